"""Every lockfile format and installed layout, checked against what the tool that wrote it reports.

The testdata was generated with the real tools (see testdata/README.md); each directory keeps the tool's
own listing (``npm ls``, ``yarn list``/``yarn info``, ``pnpm list``) next to the lockfile.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from stockade.catalog.interface import CatalogContext
from stockade.catalog.lang.npm import NpmCataloger
from stockade.catalog.walker import walk
from stockade.model.inventory import Package
from stockade.model.status import StatusKind
from stockade.scan.scanner import ScanOptions, scan_filesystem
from stockade.target.fs import TargetFS
from stockade.target.rootfs import open_rootfs

TESTDATA = Path(__file__).parent / "testdata"
Pair = tuple[str, str]


def aliases() -> dict[str, str]:
    """alias → real name, from the project's package.json (``"ms-alias": "npm:ms@2.1.2"``)."""
    manifest = json.loads((TESTDATA / "project" / "package.json").read_text())
    out: dict[str, str] = {}
    for section in ("dependencies", "devDependencies", "optionalDependencies"):
        for alias, spec in manifest.get(section, {}).items():
            if spec.startswith("npm:"):
                out[alias] = spec[4:].rpartition("@")[0]
    return out


def local_version() -> str:
    return str(json.loads((TESTDATA / "project/packages/local-lib/package.json").read_text())["version"])


def npm_ls(path: Path) -> set[Pair]:
    """``npm ls --all --json``: a tree keyed by installed name."""
    names = aliases()
    out: set[Pair] = set()

    def walk(deps: dict[str, Any]) -> None:
        for key, node in deps.items():
            if "version" in node:
                out.add((names.get(key, key), node["version"]))
            walk(node.get("dependencies", {}))

    walk(json.loads(path.read_text())["dependencies"])
    return out


def yarn_list(path: Path) -> set[Pair]:
    """yarn classic ``yarn list --json``: trees of ``name@version``; ``shadow`` nodes are ranges."""
    names = aliases()
    out: set[Pair] = set()

    def walk(trees: list[dict[str, Any]]) -> None:
        for tree in trees:
            if not tree.get("shadow"):
                name, _, version = tree["name"].rpartition("@")
                out.add((names.get(name, name), version))
            walk(tree.get("children", []))

    walk(json.loads(path.read_text())["data"]["trees"])
    return out


def yarn_info(path: Path) -> set[Pair]:
    """yarn berry ``yarn info --all --recursive --json``: one locator per line; workspaces left out."""
    out: set[Pair] = set()
    for line in path.read_text().splitlines():
        item = json.loads(line)
        locator = item["value"]
        name = locator[: locator.index("@", 1)]
        if locator[len(name) + 1 :].startswith("workspace:"):
            continue
        out.add((name, item["children"]["Version"]))
    return out


def pnpm_list(path: Path) -> Iterator[Pair]:
    """``pnpm list --depth Infinity --json``: ``from`` is the real name behind an alias."""

    def walk(node: dict[str, Any]) -> Iterator[Pair]:
        for section in ("dependencies", "devDependencies", "optionalDependencies"):
            for child in node.get(section, {}).values():
                yield child["from"], child["version"]
                yield from walk(child)

    for project in json.loads(path.read_text()):
        yield from walk(project)


def pairs(packages: Iterable[Package]) -> set[Pair]:
    return {(p.name, p.version) for p in packages}


def without_local(found: Iterable[Pair]) -> set[Pair]:
    """A tool's listing less the local ``file:`` package, for formats that do not record its version."""
    return {(n, v) for n, v in found if n != "local-lib"}


def pnpm_expected(path: Path, local_recorded: bool) -> set[Pair]:
    out: set[Pair] = set()
    for name, version in pnpm_list(path):
        if version.startswith(("file:", "link:")):
            if not local_recorded:
                continue
            version = local_version()
        out.add((name, version))
    return out


# lockfile, the tool's own listing, how to read it
LOCKFILES: list[tuple[str, Callable[[], set[Pair]]]] = [
    # npm 6 writes lockfileVersion 1, which records a file: dependency as "file:..." without its version
    ("npm-v1/package-lock.json", lambda: without_local(npm_ls(TESTDATA / "npm-v1/npm-ls.json"))),
    ("npm-v2/package-lock.json", lambda: npm_ls(TESTDATA / "npm-v2/npm-ls.json")),
    ("npm-v3/package-lock.json", lambda: npm_ls(TESTDATA / "npm-v3/npm-ls.json")),
    ("npm-shrinkwrap/npm-shrinkwrap.json", lambda: npm_ls(TESTDATA / "npm-v2/npm-ls.json")),
    ("yarn-v1/yarn.lock", lambda: yarn_list(TESTDATA / "yarn-v1/yarn-list.json")),
    ("yarn-berry/yarn.lock", lambda: yarn_info(TESTDATA / "yarn-berry/yarn-info.json")),
    ("pnpm-v5/pnpm-lock.yaml", lambda: pnpm_expected(TESTDATA / "pnpm-v5/pnpm-list.json", True)),
    # pnpm 8 and 9 write no version for a file: directory
    ("pnpm-v6/pnpm-lock.yaml", lambda: pnpm_expected(TESTDATA / "pnpm-v6/pnpm-list.json", False)),
    ("pnpm-v9/pnpm-lock.yaml", lambda: pnpm_expected(TESTDATA / "pnpm-v9/pnpm-list.json", False)),
]


def catalog(ctx: CatalogContext, *paths: str) -> list[Package]:
    return NpmCataloger().catalog(ctx, list(paths))


@pytest.mark.parametrize(("lockfile", "expected"), LOCKFILES, ids=[lf for lf, _ in LOCKFILES])
def test_lockfile_matches_the_tool(
    ctx: CatalogContext, lockfile: str, expected: Callable[[], set[Pair]]
) -> None:
    packages = catalog(ctx, "/" + lockfile)
    assert ctx.problems == []
    want = expected()
    assert len(want) >= 14  # the listing was read at all
    assert pairs(packages) == want
    for pkg in packages:
        assert pkg.type == "npm" and pkg.ecosystem == "npm" and pkg.found_by == "lang/npm"
        assert pkg.locations[0].path == "/" + lockfile


def test_every_lockfile_format_is_distinct() -> None:
    """The fixtures really are the versions they claim to be."""
    assert json.loads((TESTDATA / "npm-v1/package-lock.json").read_text())["lockfileVersion"] == 1
    assert json.loads((TESTDATA / "npm-v2/package-lock.json").read_text())["lockfileVersion"] == 2
    assert json.loads((TESTDATA / "npm-v3/package-lock.json").read_text())["lockfileVersion"] == 3
    assert (TESTDATA / "yarn-v1/yarn.lock").read_text().splitlines()[1] == "# yarn lockfile v1"
    assert "\n__metadata:\n" in (TESTDATA / "yarn-berry/yarn.lock").read_text()
    for name, version in (("pnpm-v5", "5.4"), ("pnpm-v6", "'6.0'"), ("pnpm-v9", "'9.0'")):
        first = (TESTDATA / name / "pnpm-lock.yaml").read_text().splitlines()[0]
        assert first == f"lockfileVersion: {version}"


def installed_manifests(root: str) -> list[str]:
    found = walk(TargetFS(str(TESTDATA)), [NpmCataloger()]).wanted["lang/npm"]
    return sorted(p for p in found if p.startswith(root))


def test_installed_npm_tree(ctx: CatalogContext) -> None:
    paths = installed_manifests("/installed-npm/")
    assert "/installed-npm/app/package.json" not in paths  # the project itself
    packages = catalog(ctx, *paths)
    assert ctx.problems == []
    # node_modules/local-lib is a symbolic link to the project's own directory: not copied, not walked
    assert pairs(packages) == without_local(npm_ls(TESTDATA / "npm-v3/npm-ls.json"))
    by_path = {p.locations[0].path: p for p in packages}
    nested = by_path["/installed-npm/app/node_modules/debug/node_modules/ms/package.json"]
    assert (nested.name, nested.version) == ("ms", "2.0.0")
    alias = by_path["/installed-npm/app/node_modules/ms-alias/package.json"]
    assert (alias.name, alias.version, alias.metadata) == ("ms", "2.1.2", {"alias": "ms-alias"})
    assert by_path["/installed-npm/app/node_modules/react/package.json"].licenses == ("MIT",)


def test_installed_pnpm_store(ctx: CatalogContext) -> None:
    paths = installed_manifests("/installed-pnpm/")
    assert all("/node_modules/.pnpm/" in p for p in paths)
    packages = catalog(ctx, *paths)
    assert ctx.problems == []
    assert pairs(packages) == pnpm_expected(TESTDATA / "pnpm-v9/pnpm-list.json", True)


def test_scoped_purl(ctx: CatalogContext) -> None:
    for lockfile, _ in LOCKFILES:
        pkg = next(p for p in catalog(ctx, "/" + lockfile) if p.name == "@sindresorhus/is")
        assert pkg.purl == "pkg:npm/%40sindresorhus/is@4.6.0"
        assert pkg.namespace == "@sindresorhus"
    plain = next(p for p in catalog(ctx, "/npm-v3/package-lock.json") if p.name == "debug")
    assert plain.purl == "pkg:npm/debug@2.6.9" and plain.namespace is None


def _key_line(path: Path, pattern: str) -> int:
    rx = re.compile(pattern)
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if rx.search(line))


# lockfile, package, a pattern for its entry's line (found here line by line, not the way the code does)
LINES = [
    ("npm-v3/package-lock.json", ("@types/react", "18.3.32"), r'^    "node_modules/@types/react": \{'),
    ("npm-v2/package-lock.json", ("ms", "2.0.0"), r'^    "node_modules/debug/node_modules/ms": \{'),
    ("yarn-v1/yarn.lock", ("@types/prop-types", "15.7.15"), r'^"@types/prop-types@\*", '),
    ("yarn-v1/yarn.lock", ("js-tokens", "4.0.0"), r"^\"js-tokens@"),
    ("yarn-berry/yarn.lock", ("@types/react", "19.3.0"), r'^"@types/react@npm:\*":$'),
    ("pnpm-v5/pnpm-lock.yaml", ("use-sync-external-store", "1.2.0"), r"^  /use-sync-external-store/1\.2\.0_"),
    ("pnpm-v6/pnpm-lock.yaml", ("@types/react", "18.3.32"), r"^  /@types/react@18\.3\.32:$"),
    ("pnpm-v9/pnpm-lock.yaml", ("@sindresorhus/is", "4.6.0"), r"^  '@sindresorhus/is@4\.6\.0':$"),
]


@pytest.mark.parametrize(("lockfile", "package", "pattern"), LINES)
def test_entry_lines(ctx: CatalogContext, lockfile: str, package: Pair, pattern: str) -> None:
    pkg = next(p for p in catalog(ctx, "/" + lockfile) if (p.name, p.version) == package)
    assert pkg.locations[0].line == _key_line(TESTDATA / lockfile, pattern)


def _meta(ctx: CatalogContext, lockfile: str) -> dict[Pair, dict[str, Any]]:
    return {(p.name, p.version): p.metadata for p in catalog(ctx, "/" + lockfile)}


@pytest.mark.parametrize("lockfile", ["npm-v1/package-lock.json", "npm-v2/package-lock.json",
                                      "npm-v3/package-lock.json", "pnpm-v5/pnpm-lock.yaml",
                                      "pnpm-v6/pnpm-lock.yaml"])  # fmt: skip
def test_dev_and_optional_flags(ctx: CatalogContext, lockfile: str) -> None:
    meta = _meta(ctx, lockfile)
    assert meta[("is-number", "7.0.0")].get("dev") is True
    assert meta[("@types/react", "18.3.32")].get("dev") is True
    assert meta[("escape-string-regexp", "4.0.0")].get("optional") is True
    assert "dev" not in meta[("react", "18.2.0")]


@pytest.mark.parametrize("lockfile", ["npm-v1/package-lock.json", "npm-v2/package-lock.json",
                                      "npm-v3/package-lock.json", "yarn-v1/yarn.lock",
                                      "yarn-berry/yarn.lock"])  # fmt: skip
def test_alias_is_the_real_package(ctx: CatalogContext, lockfile: str) -> None:
    meta = _meta(ctx, lockfile)
    assert meta[("ms", "2.1.2")]["alias"] == "ms-alias"
    assert not any(name == "ms-alias" for name, _ in meta)


@pytest.mark.parametrize("lockfile", ["npm-v2/package-lock.json", "npm-v3/package-lock.json"])
def test_link_takes_the_version_of_its_target(ctx: CatalogContext, lockfile: str) -> None:
    meta = _meta(ctx, lockfile)
    assert meta[("local-lib", local_version())] == {"link": True, "resolved": "packages/local-lib"}


# path, whether it is an installed package's manifest
ACCEPTS = [
    ("/app/node_modules/a/package.json", True),
    ("/app/node_modules/@s/a/package.json", True),
    ("/app/node_modules/a/node_modules/b/package.json", True),
    ("/app/node_modules/a/node_modules/@s/b/node_modules/c/package.json", True),
    ("/app/node_modules/.pnpm/a@1.0.0/node_modules/a/package.json", True),
    ("/app/node_modules/.pnpm/@s+a@1.0.0_r@1/node_modules/@s/a/package.json", True),
    ("/usr/lib/node_modules/npm/node_modules/semver/package.json", True),
    ("/app/package.json", False),
    ("/app/packages/local-lib/package.json", False),
    ("/app/test/fixtures/a/package.json", False),
    ("/app/node_modules/package.json", False),
    ("/app/node_modules/@s/package.json", False),
    ("/app/node_modules/a/esm/package.json", False),
    ("/app/node_modules/a/test/node_modules/b/package.json", False),
    ("/app/node_modules/.cache/a/package.json", False),
    ("/app/node_modules/.pnpm/a@1.0.0/package.json", False),
    ("/app/node_modules/.pnpm/node_modules/a/x/package.json", False),
    ("/app/node_modules/a/package-lock.json", False),
    ("/app/node_modules/a/yarn.lock", False),
    ("/app/package-lock.json", True),
    ("/app/npm-shrinkwrap.json", True),
    ("/app/yarn.lock", True),
    ("/app/pnpm-lock.yaml", True),
]


@pytest.mark.parametrize(("path", "wanted"), ACCEPTS)
def test_accepts(path: str, wanted: bool) -> None:
    cat = NpmCataloger()
    assert path.rsplit("/", 1)[-1] in cat.FILE_NAMES
    assert cat.accepts(path) is wanted


def test_whole_testdata_tree_through_the_walker(ctx: CatalogContext) -> None:
    """Every file the walker hands over is read without a problem; project manifests are not taken."""
    paths = walk(TargetFS(str(TESTDATA)), [NpmCataloger()]).wanted["lang/npm"]
    assert not any(p.endswith("/app/package.json") or p.startswith("/project/") for p in paths)
    packages = catalog(ctx, *paths)
    assert [s for s in ctx.problems if s.status is not StatusKind.OK] == []
    assert "stockade-npm-fixture" not in {p.name for p in packages}
    assert len(paths) == 9 + 15 + 16


def test_scan_filesystem(tmp_path: Path) -> None:
    """Through the scanner: the registry loads the plug-in, the walker feeds it, packages merge."""
    root = tmp_path / "rootfs"
    app = root / "srv/app"
    for rel in ("npm-v3/package-lock.json", "yarn-v1/yarn.lock"):
        dest = app / rel.split("/")[0] / rel.split("/")[1]
        dest.parent.mkdir(parents=True)
        dest.write_bytes((TESTDATA / rel).read_bytes())
    for src in (TESTDATA / "installed-npm/app").rglob("package.json"):
        dest = app / src.relative_to(TESTDATA / "installed-npm/app")
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(src.read_bytes())
    target, fs = open_rootfs(str(root))
    result = scan_filesystem(target, fs, ScanOptions(catalogers=["lang/npm"]))
    status = next(s for s in result.statuses if s.plugin == "catalog/lang/npm")
    assert status.status is StatusKind.OK, result.statuses
    packages = {p.purl: p for p in result.inventory.packages}
    # npm v3 (16) + yarn v1 (17) + node_modules (15) entries, merged by purl
    assert len(packages) == len(
        npm_ls(TESTDATA / "npm-v3/npm-ls.json") | yarn_list(TESTDATA / "yarn-v1/yarn-list.json")
    )
    ms = packages["pkg:npm/ms@2.1.3"]
    assert {loc.path for loc in ms.locations} == {
        "/srv/app/npm-v3/package-lock.json",
        "/srv/app/yarn-v1/yarn.lock",
        "/srv/app/node_modules/ms/package.json",
    }
