"""apk cataloger: Alpine's installed database, damaged databases, other apk distributions, a full scan.

No tool on this machine writes an apk database (apk-tools is not packaged for Debian bookworm and the
Alpine mirrors are not reachable), so ``testdata/installed`` is written by hand to the documented format
(wiki.alpinelinux.org "Apk spec", apk-tools ``src/database.c``), laid out like the ``installed`` file of
a real Alpine 3.11 minirootfs: the same packages, keys in the order apk writes them (``C P V A S I T U L
o m t c D p r i`` then ``F``/``R``/``a``/``M``/``Z`` file lines), a blank line after every block.  Names
and versions are those of Alpine 3.11 and line up with ``/work/shared/data/alpine-secdb/v3.11``: the
openssl subpackages are at ``1.1.1d-r2``, below secdb's fix ``1.1.1d-r3``; busybox and musl are past their
fixes.  The ``C``/``Z`` checksums have apk's ``Q1``+base64(SHA-1) form but are not those of real files.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from stockade.catalog.interface import CatalogContext
from stockade.catalog.os.apk import ApkCataloger
from stockade.catalog.osrelease import detect_os
from stockade.model.inventory import Package
from stockade.model.status import StatusKind
from stockade.scan.scanner import ScanOptions, scan_filesystem
from stockade.target.fs import TargetFS
from stockade.target.rootfs import open_rootfs

TESTDATA = Path(__file__).parent / "testdata"
INSTALLED = (TESTDATA / "installed").read_text()
ALPINE = 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.11.3\nPRETTY_NAME="Alpine Linux v3.11"\n'
EXPECTED = {
    "musl": ("1.1.24-r0", "musl"),
    "busybox": ("1.31.1-r9", "busybox"),
    "alpine-baselayout": ("3.2.0-r3", "alpine-baselayout"),
    "alpine-keys": ("2.1-r2", "alpine-keys"),
    "libcrypto1.1": ("1.1.1d-r2", "openssl"),
    "libssl1.1": ("1.1.1d-r2", "openssl"),
    "ca-certificates-cacert": ("20191127-r0", "ca-certificates"),
    "libtls-standalone": ("2.9.1-r0", "libtls-standalone"),
    "ssl_client": ("1.31.1-r9", "busybox"),
    "zlib": ("1.2.11-r3", "zlib"),
    "apk-tools": ("2.10.4-r3", "apk-tools"),
    "scanelf": ("1.2.4-r0", "pax-utils"),
    "musl-utils": ("1.1.24-r0", "musl"),
    "libc-utils": ("0.7.2-r0", "libc-dev"),
}


def make_root(tmp_path: Path, installed: str | bytes | None, os_release: str = ALPINE,
              db: str = "lib/apk/db/installed") -> Path:  # fmt: skip
    (tmp_path / "etc").mkdir(parents=True, exist_ok=True)
    (tmp_path / "etc/os-release").write_text(os_release)
    if installed is not None:
        (tmp_path / db).parent.mkdir(parents=True, exist_ok=True)
        data = installed.encode() if isinstance(installed, str) else installed
        (tmp_path / db).write_bytes(data)
    return tmp_path


def catalog(root: Path) -> tuple[list[Package], CatalogContext]:
    fs = TargetFS(str(root))
    ctx = CatalogContext(fs=fs, os=detect_os(fs), plugin="catalog/os/apk")
    return ApkCataloger().catalog(ctx, []), ctx


def test_alpine_database(tmp_path: Path) -> None:
    pkgs, ctx = catalog(make_root(tmp_path, INSTALLED))
    assert ctx.problems == []
    got = {p.name: p for p in pkgs}
    assert {n: (p.version, p.source_name) for n, p in got.items()} == EXPECTED
    crypto = got["libcrypto1.1"]
    assert (
        crypto.purl
        == "pkg:apk/alpine/libcrypto1.1@1.1.1d-r2?arch=x86_64&distro=alpine-3.11.3&upstream=openssl"
    )
    assert got["zlib"].purl == "pkg:apk/alpine/zlib@1.2.11-r3?arch=x86_64&distro=alpine-3.11.3"
    assert (crypto.type, crypto.ecosystem, crypto.arch, crypto.namespace) == (
        "apk",
        "Alpine",
        "x86_64",
        "alpine",
    )
    assert crypto.source_version == "1.1.1d-r2"
    assert crypto.licenses == ("OpenSSL",)
    assert got["musl-utils"].licenses == ("MIT BSD GPL2+",)
    assert crypto.metadata["origin"] == "openssl"
    assert crypto.metadata["maintainer"] == "Timo Teras <timo.teras@iki.fi>"
    assert crypto.metadata["checksum"].startswith("Q1")
    assert "maintainer" not in got["libtls-standalone"].metadata  # no m: line
    # the line of each block's first line (its C: line), 1-based
    lines = INSTALLED.split("\n")
    for p in pkgs:
        loc = p.locations[0]
        assert loc.path == "/lib/apk/db/installed"
        assert loc.line is not None and lines[loc.line] == f"P:{p.name}"


def test_versions_line_up_with_secdb() -> None:
    """The fixture's origins and versions are those Alpine's secdb names (for later advisory tests)."""
    secdb = Path(__file__).resolve().parents[3].parent / "shared/data/alpine-secdb/v3.11/main.yaml"
    if not secdb.exists():
        pytest.skip(f"{secdb} not present")
    yaml = pytest.importorskip("yaml")
    doc = yaml.safe_load(secdb.read_text())
    fixed = {p["pkg"]["name"]: set(p["pkg"]["secfixes"]) for p in doc["packages"]}
    assert "1.1.1d-r3" in fixed["openssl"]  # the fix the fixture's libcrypto1.1 1.1.1d-r2 lacks
    assert {"busybox", "musl"} <= set(fixed)


def test_usr_lib_database_and_symlink_read_once(tmp_path: Path) -> None:
    root = make_root(tmp_path, INSTALLED, db="usr/lib/apk/db/installed")
    pkgs, ctx = catalog(root)
    assert ctx.problems == [] and len(pkgs) == len(EXPECTED)
    assert {p.locations[0].path for p in pkgs} == {"/usr/lib/apk/db/installed"}
    (root / "lib/apk").mkdir(parents=True)
    (root / "lib/apk/db").symlink_to("/usr/lib/apk/db")  # absolute: resolved inside the root
    pkgs, ctx = catalog(root)
    assert ctx.problems == [] and len(pkgs) == len(EXPECTED)


@pytest.mark.parametrize(
    ("os_release", "namespace", "ecosystem", "distro"),
    [
        ('ID=wolfi\nNAME="Wolfi"\nVERSION_ID="20230201"\n', "wolfi", "Wolfi", "wolfi-20230201"),
        ("ID=chainguard\nNAME=Chainguard\n", "chainguard", "Chainguard", "chainguard"),
        (
            'ID=postmarketos\nID_LIKE="alpine"\nVERSION_ID=v23.06\n',
            "postmarketos",
            "Alpine",
            "postmarketos-v23.06",
        ),
    ],
)
def test_other_apk_distributions(tmp_path: Path, os_release: str, namespace: str, ecosystem: str,
                                 distro: str) -> None:  # fmt: skip
    pkgs, _ = catalog(make_root(tmp_path, INSTALLED, os_release))
    zlib = next(p for p in pkgs if p.name == "zlib")
    assert zlib.ecosystem == ecosystem
    assert zlib.purl == f"pkg:apk/{namespace}/zlib@1.2.11-r3?arch=x86_64&distro={distro}"


def test_no_os_release_defaults_to_alpine(tmp_path: Path) -> None:
    root = make_root(tmp_path, INSTALLED)
    (root / "etc/os-release").unlink()
    pkgs, _ = catalog(root)
    zlib = next(p for p in pkgs if p.name == "zlib")
    assert zlib.purl == "pkg:apk/alpine/zlib@1.2.11-r3?arch=x86_64" and zlib.ecosystem == "Alpine"


def test_no_database_is_not_an_error(tmp_path: Path) -> None:
    pkgs, ctx = catalog(make_root(tmp_path, None))
    assert pkgs == [] and ctx.problems == []


def test_empty_database(tmp_path: Path) -> None:
    pkgs, ctx = catalog(make_root(tmp_path, ""))
    assert pkgs == [] and ctx.problems == []


def _cut_after(marker: str, extra: str = "") -> str:
    return INSTALLED[: INSTALLED.index(marker) + len(marker)] + extra


@pytest.mark.parametrize(
    ("text", "kept", "reason"),
    [
        # cut inside a version: the partial line is not trusted, so the block has no version
        (_cut_after("P:zlib\nV:1.2.1"), 9, "package 'zlib' has no V: (version)"),
        # cut after a complete V: line: the package is kept, the broken last line reported
        (_cut_after("P:zlib\nV:1.2.11-r3\nA:x86_64\nS:51"), 10, "file ends in the middle of a line"),
        # cut right after a complete line: nothing to report, the block has name and version
        (_cut_after("P:zlib\nV:1.2.11-r3\n"), 10, None),
        # cut after the name: reported as a package without a version
        (_cut_after("P:zlib\n"), 9, "package 'zlib' has no V: (version)"),
    ],
)
def test_truncated_database_keeps_what_was_read(
    tmp_path: Path, text: str, kept: int, reason: str | None
) -> None:
    pkgs, ctx = catalog(make_root(tmp_path, text))
    assert len(pkgs) == kept
    assert {p.name for p in pkgs} <= set(EXPECTED)
    if reason is None:
        assert ctx.problems == []
    else:
        assert ctx.problems and any(reason in s.reason for s in ctx.problems), ctx.problems
        assert all(s.path == "/lib/apk/db/installed" and "line " in s.reason for s in ctx.problems)


def test_cut_inside_version_reports_both_lines(tmp_path: Path) -> None:
    text = _cut_after("P:zlib\nV:1.2.1")
    v_line = text.count("\n") + 1
    pkgs, ctx = catalog(make_root(tmp_path, text))
    reasons = [s.reason for s in ctx.problems]
    assert any(f"line {v_line}: file ends in the middle of a line" in r for r in reasons)
    assert any("package 'zlib' has no V: (version)" in r for r in reasons)
    assert "zlib" not in {p.name for p in pkgs}


def test_garbage_lines_are_reported_and_skipped(tmp_path: Path) -> None:
    text = "P:good\nV:1.0-r0\nthis is not a field\n\n\x01\x02binary\nP:also\nV:2.0-r1\n\nP:bad name\nV:1\n"
    pkgs, ctx = catalog(make_root(tmp_path, text))
    assert sorted((p.name, p.version) for p in pkgs) == [("also", "2.0-r1"), ("good", "1.0-r0")]
    reasons = sorted(s.reason for s in ctx.problems)
    assert any("line 3: expected 'K:value'" in r for r in reasons)
    assert any("line 5: expected 'K:value'" in r for r in reasons)
    assert any("line 9: not a valid apk name and version" in r for r in reasons)
    assert {s.status for s in ctx.problems} == {StatusKind.PARTIAL}


def test_binary_garbage_is_bounded(tmp_path: Path) -> None:
    data = bytes(range(256)) * 200 + b"\n" + INSTALLED.encode()
    pkgs, ctx = catalog(make_root(tmp_path, data))
    # the garbage lines are skipped; the first block, glued to them, still has its own valid lines
    assert {p.name for p in pkgs} == set(EXPECTED)
    assert 1 <= len(ctx.problems) <= 6


def test_many_bad_lines_are_summarised(tmp_path: Path) -> None:
    text = "".join(f"garbage {i}\n" for i in range(50)) + "\nP:ok\nV:1-r0\n"
    pkgs, ctx = catalog(make_root(tmp_path, text))
    assert [p.name for p in pkgs] == ["ok"]
    assert len(ctx.problems) == 6
    assert "45 more malformed lines" in ctx.problems[-1].reason


def test_unreadable_database_is_an_error(tmp_path: Path) -> None:
    root = make_root(tmp_path, None)
    (root / "lib/apk/db/installed").mkdir(parents=True)
    pkgs, ctx = catalog(root)
    assert pkgs == []
    assert [s.status for s in ctx.problems] == [StatusKind.ERROR]


def test_scan_filesystem_rootfs(tmp_path: Path) -> None:
    root = make_root(tmp_path / "rootfs", INSTALLED)
    target, fs = open_rootfs(str(root))
    result = scan_filesystem(target, fs, ScanOptions(catalogers=["os/apk"]))
    assert result.inventory.os is not None and result.inventory.os.id == "alpine"
    assert {p.name: (p.version, p.source_name) for p in result.inventory.packages} == EXPECTED
    assert {p.found_by for p in result.inventory.packages} == {"os/apk"}
    status = next(s for s in result.statuses if s.plugin == "catalog/os/apk")
    assert status.status is StatusKind.OK and status.reason == f"{len(EXPECTED)} packages"


def test_scan_filesystem_reports_damage(tmp_path: Path) -> None:
    root = make_root(tmp_path / "rootfs", _cut_after("P:zlib\n"))
    target, fs = open_rootfs(str(root))
    result = scan_filesystem(target, fs, ScanOptions(catalogers=["os/apk"]))
    assert len(result.inventory.packages) == 9
    problems = [s for s in result.statuses if s.plugin == "catalog/os/apk" and s.is_problem]
    assert any(s.path == "/lib/apk/db/installed" and "has no V:" in s.reason for s in problems)
