"""PHP cataloger: composer.lock and vendor/composer/installed.json.

Fixtures (``testdata/make_fixtures.sh`` regenerates them): ``composer.lock`` and ``installed.json`` were
written by Composer 2.5.5 (Debian bookworm) running ``composer install`` offline against a path
repository of stand-in packages named and versioned like real Packagist ones (``guzzlehttp/guzzle
v7.4.4``, ``monolog/monolog 2.9.1``, ``psr/log 1.1.4``, dev ``phpunit/phpunit 9.5.20``).  Composer 1 is
not packaged: ``installed-composer1.json`` is Composer 2's package list without ``install-path``, which
is the shape Composer 1 wrote.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from stockade.catalog.interface import CatalogContext
from stockade.catalog.lang.php import PhpCataloger
from stockade.model.inventory import Package
from stockade.model.status import StatusKind
from stockade.scan.scanner import ScanOptions, scan_filesystem
from stockade.target.fs import TargetFS
from stockade.target.rootfs import open_rootfs

TESTDATA = Path(__file__).parent / "testdata"
LOCK = "/var/www/app/composer.lock"
INSTALLED = "/var/www/app/vendor/composer/installed.json"
EXPECTED = {
    "guzzlehttp/guzzle": "7.4.4",
    "monolog/monolog": "2.9.1",
    "psr/log": "1.1.4",
    "phpunit/phpunit": "9.5.20",
}


def put(root: Path, path: str, data: str | bytes) -> str:
    dest = root / path.lstrip("/")
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def run(root: Path, paths: list[str]) -> tuple[list[Package], CatalogContext]:
    ctx = CatalogContext(fs=TargetFS(str(root)), os=None, plugin="catalog/lang/php")
    cat = PhpCataloger()
    assert all(cat.accepts(p) for p in paths)
    return cat.catalog(ctx, paths), ctx


@pytest.mark.parametrize(
    ("path", "accepted"),
    [
        (LOCK, True),
        (INSTALLED, True),
        ("/var/www/app/installed.json", False),
        ("/opt/thing/composer/installed.json", False),
    ],
)
def test_accepts(path: str, accepted: bool) -> None:
    assert PhpCataloger().accepts(path) is accepted


def test_composer_lock(tmp_path: Path) -> None:
    text = (TESTDATA / "composer.lock").read_text()
    pkgs, ctx = run(tmp_path, [put(tmp_path, LOCK, text)])
    assert ctx.problems == []
    got = {p.name: p for p in pkgs}
    assert {n: p.version for n, p in got.items()} == EXPECTED
    guzzle = got["guzzlehttp/guzzle"]
    assert guzzle.purl == "pkg:composer/guzzlehttp/guzzle@7.4.4"
    assert (guzzle.type, guzzle.ecosystem, guzzle.namespace, guzzle.found_by) == (
        "composer", "Packagist", "guzzlehttp", "lang/php")  # fmt: skip
    assert guzzle.metadata["version_raw"] == "v7.4.4"
    assert guzzle.metadata["reference"] == "b73da930325f2093904658249552561d7274ce96"
    assert guzzle.licenses == ("MIT",)
    assert "version_raw" not in got["psr/log"].metadata
    assert {n: p.metadata["dev"] for n, p in got.items()} == {n: n == "phpunit/phpunit" for n in EXPECTED}
    lines = text.splitlines()
    for p in pkgs:
        line = p.locations[0].line
        assert line is not None and f'"name": "{p.name}"' in lines[line - 1]


def test_installed_json_composer2(tmp_path: Path) -> None:
    pkgs, ctx = run(tmp_path, [put(tmp_path, INSTALLED, (TESTDATA / "installed.json").read_bytes())])
    assert ctx.problems == []
    got = {p.name: p for p in pkgs}
    assert {n: p.version for n, p in got.items()} == EXPECTED
    assert {n: p.metadata["dev"] for n, p in got.items()} == {n: n == "phpunit/phpunit" for n in EXPECTED}
    assert got["psr/log"].metadata["install_path"] == "/var/www/app/vendor/psr/log"
    assert got["guzzlehttp/guzzle"].purl == "pkg:composer/guzzlehttp/guzzle@7.4.4"


def test_installed_json_composer1(tmp_path: Path) -> None:
    pkgs, ctx = run(
        tmp_path, [put(tmp_path, INSTALLED, (TESTDATA / "installed-composer1.json").read_bytes())]
    )
    assert ctx.problems == []
    assert {p.name: p.version for p in pkgs} == EXPECTED
    assert all("dev" not in p.metadata for p in pkgs)  # Composer 1 did not record it


@pytest.mark.parametrize(
    ("raw", "version"),
    [("v7.4.4", "7.4.4"), ("V1.0", "1.0"), ("dev-main", "dev-main"), ("2.x-dev", "2.x-dev"),
     ("vendor", "vendor"), ("1.0.0-beta1", "1.0.0-beta1")],
)  # fmt: skip
def test_version_prefix(tmp_path: Path, raw: str, version: str) -> None:
    doc = {"packages": [{"name": "acme/lib", "version": raw, "source": {"reference": "abc123"}}]}
    pkgs, ctx = run(tmp_path, [put(tmp_path, LOCK, json.dumps(doc))])
    assert ctx.problems == []
    [pkg] = pkgs
    assert pkg.version == version and pkg.purl == f"pkg:composer/acme/lib@{version}"
    assert pkg.metadata.get("version_raw") == (raw if raw != version else None)
    assert pkg.metadata["reference"] == "abc123"


def test_wrong_json_types(tmp_path: Path) -> None:
    doc = {
        "packages": [
            {"name": "good/one", "version": "1.0.0", "license": "MIT"},
            "not an object",
            {"name": 5, "version": "1.0"},
            {"name": "no-vendor", "version": "1.0"},
            {"name": "acme/x", "version": ["1"]},
            {"name": "acme/y", "version": "2.0", "license": {"odd": True}},
        ],
        "packages-dev": {"oops": "an object"},
    }
    pkgs, ctx = run(tmp_path, [put(tmp_path, LOCK, json.dumps(doc, indent=4))])
    assert sorted((p.name, p.version) for p in pkgs) == [("acme/y", "2.0"), ("good/one", "1.0.0")]
    assert next(p for p in pkgs if p.name == "good/one").licenses == ("MIT",)
    reasons = [s.reason for s in ctx.problems]
    assert all(s.path == LOCK and s.status is StatusKind.PARTIAL for s in ctx.problems)
    assert any("'packages-dev' should be a list, got an object" in r for r in reasons)
    assert any("packages[1]: expected an object, got a string" in r for r in reasons)
    assert any("packages[2]: 'name' missing or not a string" in r for r in reasons)
    assert any("line 14: name 'no-vendor' is not 'vendor/name'" in r for r in reasons)
    assert any("packages[4]: 'version' missing or not a string" in r for r in reasons)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"[1, 2, 3]", "expected a JSON object at the top, got a list"),
        (b'"text"', "expected a JSON object at the top, got a string"),
        (b'{"content-hash": "x"}', "no 'packages' list"),
        (b"", "line 1, column 1: Expecting value"),
        (bytes(range(256)) * 8, "binary data"),
        (b'{\n  "packages": [\n    {"name": "a/b", "vers', "line 3"),
    ],
)
def test_unreadable_lock(tmp_path: Path, data: bytes, reason: str) -> None:
    pkgs, ctx = run(tmp_path, [put(tmp_path, LOCK, data)])
    assert pkgs == []
    [problem] = ctx.problems
    assert reason in problem.reason and problem.status is StatusKind.ERROR and problem.path == LOCK


@pytest.mark.parametrize(
    ("fixture", "path", "kept"),
    [
        # the lock lists packages-dev (phpunit) after packages: cut off with psr/log
        ("composer.lock", LOCK, ["guzzlehttp/guzzle", "monolog/monolog"]),
        # installed.json has one list sorted by name: phpunit comes before psr/log
        ("installed.json", INSTALLED, ["guzzlehttp/guzzle", "monolog/monolog", "phpunit/phpunit"]),
        ("installed-composer1.json", INSTALLED, ["guzzlehttp/guzzle", "monolog/monolog", "phpunit/phpunit"]),
    ],
)
def test_truncated_keeps_complete_packages(tmp_path: Path, fixture: str, path: str, kept: list[str]) -> None:
    text = (TESTDATA / fixture).read_text()
    cut = text.index('"name": "psr/log"') + 5  # inside psr/log's entry
    pkgs, ctx = run(tmp_path, [put(tmp_path, path, text[:cut])])
    assert sorted(p.name for p in pkgs) == kept
    [problem] = ctx.problems
    assert f"kept the {len(kept)} packages before it" in problem.reason and "line " in problem.reason


def test_against_composer_show(tmp_path: Path) -> None:
    """Composer's own listing of the installed fixture must agree with ours."""
    if shutil.which("composer") is None or shutil.which("php") is None:
        pytest.skip("composer/php not installed: cannot compare with Composer's own reading")
    app = tmp_path / "app"
    (app / "vendor/composer").mkdir(parents=True)
    shutil.copy(TESTDATA / "composer.lock", app / "composer.lock")
    shutil.copy(TESTDATA / "installed.json", app / "vendor/composer/installed.json")
    (app / "composer.json").write_text(json.dumps({"require": {}}))
    env = {"HOME": str(tmp_path), "COMPOSER_HOME": str(tmp_path / "composer"), "PATH": "/usr/bin:/bin"}
    shown = subprocess.run(
        ["composer", "show", "--locked", "--format=json", "--no-interaction", "-d", str(app)],
        capture_output=True, text=True, check=True, env=env,
    ).stdout  # fmt: skip
    expected = {p["name"]: p["version"] for p in json.loads(shown)["locked"]}
    pkgs, _ = run(tmp_path / "app", ["/composer.lock"])
    assert expected and {p.name: p.metadata.get("version_raw", p.version) for p in pkgs} == expected


def test_real_composer_install(tmp_path: Path) -> None:
    """Regenerate the fixtures with Composer (about a second) and read them back."""
    if shutil.which("composer") is None or shutil.which("php") is None:
        pytest.skip("composer/php not installed: cannot run Composer")
    out = tmp_path / "out"
    shutil.copytree(TESTDATA, out)
    subprocess.run(["sh", str(out / "make_fixtures.sh")], check=True, capture_output=True)
    root = tmp_path / "root"
    paths = [put(root, LOCK, (out / "composer.lock").read_bytes()),
             put(root, INSTALLED, (out / "installed.json").read_bytes())]  # fmt: skip
    pkgs, ctx = run(root, paths)
    assert ctx.problems == []
    assert {(p.name, p.version, p.metadata["dev"]) for p in pkgs} == {
        (n, v, n == "phpunit/phpunit") for n, v in EXPECTED.items()
    }


def test_scan_filesystem_rootfs(tmp_path: Path) -> None:
    root = tmp_path / "rootfs"
    put(root, LOCK, (TESTDATA / "composer.lock").read_bytes())
    put(root, INSTALLED, (TESTDATA / "installed.json").read_bytes())
    put(root, "/var/www/app/installed.json", b"[]")  # not Composer's: not read
    put(root, "/srv/broken/composer.lock", b'{"packages": 3}')
    target, fs = open_rootfs(str(root))
    result = scan_filesystem(target, fs, ScanOptions(catalogers=["lang/php"]))
    pkgs = result.inventory.packages
    assert {p.name: p.version for p in pkgs} == EXPECTED
    # each package is in both files: one entry, two locations
    assert all({loc.path for loc in p.locations} == {LOCK, INSTALLED} for p in pkgs)
    problems = [s for s in result.statuses if s.plugin == "catalog/lang/php" and s.path is not None]
    assert [(s.path, s.reason) for s in problems] == [
        (
            "/srv/broken/composer.lock",
            "failed to parse composer.lock: 'packages' should be a list, got a number",
        )
    ]
