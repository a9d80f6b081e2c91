"""Broken input becomes a status naming the file and what was wrong; the rest is still read.  Large
lockfiles are read in one pass."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stockade.catalog.interface import CatalogContext
from stockade.catalog.lang import pnpm_lock
from stockade.catalog.lang.npm import NpmCataloger
from stockade.catalog.lang.pnpm_lock import split_key
from stockade.catalog.lang.yarn_lock import first_descriptor
from stockade.model.status import StatusKind
from stockade.target.fs import TargetFS

GOOD_V3 = json.dumps(
    {"lockfileVersion": 3, "packages": {"": {"name": "p"}, "node_modules/a": {"version": "1.0.0"}}}, indent=2
)
NM = "node_modules"

# file (under the target root), content, status, fragments the reason must contain, packages still read
TRUNCATED = b'{\n  "lockfileVersion": 3,\n  "packages": {\n    "node_modules/a": {"version": "1.0.0"'
WRONG_TYPES = {
    "node_modules/a": {"version": "1.0.0"},
    "node_modules/b": {"version": 5},
    "node_modules/c": "x",
    "node_modules/d": {"link": True, "resolved": "nowhere"},
}
V1_WRONG = {
    "a": {"version": 5},
    "b": {"version": "1.0.0", "dependencies": {"c": {"version": "2.0.0"}, "d": []}},
    "e": {"version": "npm:"},
}
YARN_BROKEN = (
    b'# yarn lockfile v1\n\na@^1:\n  version "1.0.0"\n\ngarbage line\n  version "9"\n\n'
    b'"@s/b@^2", "@s/b@^2.1":\n  version "2.1.0"\n\nc@^3:\n  resolved "x"\n'
)
PNPM_BAD_INDENT = (
    b"lockfileVersion: '9.0'\npackages:\n  a@1.0.0:\n    resolution: x\n   bad: y\n  c@1.0.0: {}\n"
)
PNPM_WRONG = (
    b"lockfileVersion: '6.0'\npackages:\n  /a@1.0.0:\n    dev: false\n"
    b"  /b@1.0.0:\n    name: b\n    version: 5\n  /c@1: oops\n"
)

# file (under the target root), content, status, fragments the reason must contain, packages still read
CASES: list[tuple[str, bytes, StatusKind, tuple[str, ...], set[tuple[str, str]]]] = [
    ("t1/package-lock.json", TRUNCATED, StatusKind.ERROR,
     ("failed to parse npm lockfile: line 4, column ", "Expecting"), set()),
    ("t2/package-lock.json", bytes(range(256)) * 8, StatusKind.ERROR,
     ("failed to parse npm lockfile: binary data",), set()),
    ("t3/package-lock.json", b'{"lockfileVersion": 3,\n "x": "\xff\xfe"}', StatusKind.ERROR,
     ("line 2: not UTF-8",), set()),
    ("t4/package-lock.json", json.dumps({"lockfileVersion": 3, "packages": WRONG_TYPES}).encode(),
     StatusKind.PARTIAL,
     ("failed to parse npm lockfile: entry 'node_modules/b': 'version' is a number, expected a string",
      "entry 'node_modules/c' is a string", "link 'node_modules/d' points to 'nowhere'"),
     {("a", "1.0.0")}),
    ("t5/package-lock.json", b"[1, 2]", StatusKind.ERROR, ("the top level is an array",), set()),
    ("t6/package-lock.json", b'{"lockfileVersion": 2, "packages": []}', StatusKind.ERROR,
     ("'packages' is an array, expected an object",), set()),
    ("t7/npm-shrinkwrap.json", json.dumps({"lockfileVersion": 1, "dependencies": V1_WRONG}).encode(),
     StatusKind.PARTIAL,
     ("failed to parse npm lockfile: dependency 'a': 'version' is a number",
      "dependency 'b > d' is an array", "alias 'npm:' is not 'npm:name@version'"),
     {("b", "1.0.0"), ("c", "2.0.0")}),
    ("t8/yarn.lock", YARN_BROKEN, StatusKind.PARTIAL,
     ("failed to parse yarn.lock: line 6: expected an entry header ending in ':'",
      "line 12: entry 'c@^3' has no version"),
     {("a", "1.0.0"), ("@s/b", "2.1.0")}),
    ("t9/yarn.lock", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", StatusKind.ERROR, ("binary data",), set()),
    ("t10/pnpm-lock.yaml", PNPM_BAD_INDENT, StatusKind.ERROR,
     ("failed to parse pnpm-lock.yaml: line 5, column 4: while parsing a block mapping",), set()),
    ("t11/pnpm-lock.yaml", PNPM_WRONG, StatusKind.PARTIAL,
     ("entry '/b@1.0.0': 'version' is a number", "entry '/c@1' is a string"), {("a", "1.0.0")}),
    ("t12/pnpm-lock.yaml", b"lockfileVersion: 5.4\npackages:\n  - /a/1.0.0\n", StatusKind.ERROR,
     ("'packages' is an array, expected a mapping",), set()),
    (f"t13/{NM}/a/package.json", b'{"name": "a", "version": 5}', StatusKind.ERROR,
     ("failed to parse package.json: 'version' is a number, expected a string",), set()),
    (f"t14/{NM}/a/package.json", b'{"version": "1.0.0"}', StatusKind.ERROR, ("'name' is missing",), set()),
    (f"t15/{NM}/a/package.json", b'{\n  "name": "a",\n  "version": "1.0.0",\n', StatusKind.ERROR,
     ("failed to parse package.json: line 4, column 1: Expecting",), set()),
    (f"t16/{NM}/a/package.json", b'{"name": "", "version": "1.0.0"}', StatusKind.ERROR,
     ("'name' is empty",), set()),
]  # fmt: skip


@pytest.mark.parametrize(("rel", "content", "status", "fragments", "kept"), CASES, ids=[c[0] for c in CASES])
def test_malformed(
    tmp_path: Path,
    rel: str,
    content: bytes,
    status: StatusKind,
    fragments: tuple[str, ...],
    kept: set[tuple[str, str]],
) -> None:
    (tmp_path / rel).parent.mkdir(parents=True)
    (tmp_path / rel).write_bytes(content)
    ctx = CatalogContext(fs=TargetFS(str(tmp_path)), os=None, plugin="catalog/lang/npm")
    packages = NpmCataloger().catalog(ctx, ["/" + rel])
    assert {(p.name, p.version) for p in packages} == kept
    assert len(ctx.problems) == 1
    problem = ctx.problems[0]
    assert problem.path == "/" + rel and problem.status is status
    for fragment in fragments:
        assert fragment in problem.reason


def test_one_broken_file_does_not_stop_the_others(tmp_path: Path) -> None:
    for rel, content, *_ in CASES:
        (tmp_path / rel).parent.mkdir(parents=True)
        (tmp_path / rel).write_bytes(content)
    (tmp_path / "good").mkdir()
    (tmp_path / "good/package-lock.json").write_text(GOOD_V3)
    ctx = CatalogContext(fs=TargetFS(str(tmp_path)), os=None, plugin="catalog/lang/npm")
    paths = ["/" + c[0] for c in CASES] + ["/good/package-lock.json"]
    packages = NpmCataloger().catalog(ctx, paths)
    assert len(ctx.problems) == len(CASES)
    assert ("a", "1.0.0", "/good/package-lock.json") in {
        (p.name, p.version, p.locations[0].path) for p in packages
    }


def test_many_problems_are_counted_not_listed(tmp_path: Path) -> None:
    entries: dict[str, dict[str, object]] = {f"node_modules/bad{i}": {"version": i} for i in range(40)}
    entries["node_modules/ok"] = {"version": "1.0.0"}
    (tmp_path / "package-lock.json").write_text(json.dumps({"lockfileVersion": 3, "packages": entries}))
    ctx = CatalogContext(fs=TargetFS(str(tmp_path)), os=None, plugin="catalog/lang/npm")
    assert len(NpmCataloger().catalog(ctx, ["/package-lock.json"])) == 1
    assert ctx.problems[0].reason.count("is a number") == 5
    assert "and 35 more" in ctx.problems[0].reason


# key, lockfile major version, name and version
KEYS = [
    ("/ms/2.1.3", 5, ("ms", "2.1.3")),
    ("/@babel/core/7.22.5_@types+node@20.1.0", 5, ("@babel/core", "7.22.5")),
    ("/use-sync-external-store/1.2.0_react@18.2.0", 5, ("use-sync-external-store", "1.2.0")),
    ("/a/1.0.0-rc.1_f2b7hsxvhvsa4dqwfz6o4idlwe", 5, ("a", "1.0.0-rc.1")),
    ("/use-sync-external-store@1.2.0(react@18.2.0)", 6, ("use-sync-external-store", "1.2.0")),
    ("/@s/a@1.0.0(@s/b@2.0.0)(react@18.2.0)", 6, ("@s/a", "1.0.0")),
    ("/@s/a@1.0.0", 6, ("@s/a", "1.0.0")),
    ("@s/a@1.0.0", 9, ("@s/a", "1.0.0")),
    ("a@1.0.0(b@2.0.0)", 9, ("a", "1.0.0")),
    ("file:packages/x", 5, ("", "")),
    ("github.com/u/r/0123abc", 6, ("", "")),
    ("local@file:packages/local", 9, ("local", "file:packages/local")),
]


@pytest.mark.parametrize(("key", "major", "expected"), KEYS)
def test_pnpm_keys(key: str, major: int, expected: tuple[str, str]) -> None:
    assert split_key(key, major) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('"@scope/a@^1.0.0", "@scope/a@^1.1.0"', "@scope/a@^1.0.0"),
        ('"js-tokens@^3.0.0 || ^4.0.0", js-tokens@^4.0.0', "js-tokens@^3.0.0 || ^4.0.0"),
        ("a@^1, a@^2", "a@^1"),
        ('"@s/a@npm:*, @s/a@npm:^15.7.0"', "@s/a@npm:*"),
        ("a@1.0.0", "a@1.0.0"),
    ],
)
def test_yarn_headers(header: str, expected: str) -> None:
    assert first_descriptor(header) == expected


N = 10_000  # large enough to show quadratic behaviour; timings live in benchmarks/, not here


def _ids() -> list[tuple[str, str]]:
    return [
        ((f"@scope{i % 50}/pkg-{i}" if i % 3 == 0 else f"pkg-{i}"), f"{i % 7}.{i % 11}.{i}") for i in range(N)
    ]


def test_large_lockfiles(tmp_path: Path) -> None:
    ids = _ids()
    packages: dict[str, dict[str, object]] = {"": {"name": "big"}}
    packages.update({f"node_modules/x/node_modules/{n}": {"version": v, "dev": True} for n, v in ids})
    (tmp_path / "package-lock.json").write_text(
        json.dumps({"lockfileVersion": 3, "packages": packages}, indent=2)
    )
    yarn = ["# yarn lockfile v1\n"]
    yarn += [
        f'"{n}@^{v}", "{n}@~{v}":\n  version "{v}"\n  resolved "x"\n  dependencies:\n    a "1"\n\n'
        for n, v in ids
    ]
    (tmp_path / "yarn.lock").write_text("".join(yarn))
    pnpm = ["lockfileVersion: '9.0'\n\npackages:\n\n"]
    pnpm += [
        f"  '{n}@{v}':\n    resolution: {{integrity: sha512-x}}\n    engines: {{node: '>=8'}}\n\n"
        for n, v in ids
    ]
    (tmp_path / "pnpm-lock.yaml").write_text("".join(pnpm))
    ctx = CatalogContext(fs=TargetFS(str(tmp_path)), os=None, plugin="catalog/lang/npm")
    cat = NpmCataloger()
    for name in ("package-lock.json", "yarn.lock", "pnpm-lock.yaml"):
        found = cat.catalog(ctx, ["/" + name])
        assert ctx.problems == []
        assert sorted((p.name, p.version) for p in found) == sorted(ids)
        assert found[-1].locations[0].line is not None


@pytest.mark.parametrize("name", ["pnpm-v5", "pnpm-v6", "pnpm-v9"])
def test_pnpm_scanner_agrees_with_yaml(name: str) -> None:
    text = (Path(__file__).parent / "testdata" / name / "pnpm-lock.yaml").read_text()
    fast = pnpm_lock.scan(text)
    assert fast == pnpm_lock._from_yaml(text, "/x")
    assert sum(len(entries) for _, entries in fast) >= 15


@pytest.mark.parametrize(
    "text",
    [
        "{lockfileVersion: '9.0', packages: {a@1.0.0: {}}}\n",  # flow style
        "lockfileVersion: '9.0'\npackages:\n  a@1.0.0: {resolution: {integrity: x}}\n",  # flow entry
        "lockfileVersion: '9.0'\npackages:\n  a@1.0.0:\n    version: &v 1.0.0\n",  # anchor
        "lockfileVersion: '9.0'\npackages:\n\ta@1.0.0: {}\n",  # tab
        "a: 1\nlockfileVersion: '9.0'\n",  # not pnpm's order
    ],
)
def test_pnpm_scanner_hands_other_yaml_to_the_loader(text: str) -> None:
    with pytest.raises(pnpm_lock._NotPlain):
        pnpm_lock.scan(text)


def test_pnpm_two_documents(tmp_path: Path) -> None:
    """pnpm 10 can put an environment lockfile before the project's, as a first YAML document."""
    text = (
        "---\nlockfileVersion: '9.0'\n\nimporters:\n  .:\n    configDependencies: {}\n\npackages:\n\n"
        "  cfg@1.0.0:\n    resolution: {integrity: x}\n\n---\nlockfileVersion: '9.0'\n\npackages:\n\n"
        "  a@2.0.0:\n    resolution: {integrity: y}\n"
    )
    (tmp_path / "pnpm-lock.yaml").write_text(text)
    ctx = CatalogContext(fs=TargetFS(str(tmp_path)), os=None, plugin="catalog/lang/npm")
    found = NpmCataloger().catalog(ctx, ["/pnpm-lock.yaml"])
    assert ctx.problems == []
    assert [(p.name, p.version, p.locations[0].line) for p in found] == [
        ("cfg", "1.0.0", 10),
        ("a", "2.0.0", 18),
    ]
    assert pnpm_lock.scan(text) == pnpm_lock._from_yaml(text, "/x")
