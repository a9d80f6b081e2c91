""".NET cataloger.

There is no .NET SDK on this machine (``which dotnet`` finds nothing and Debian bookworm has no
``dotnet-sdk-8.0`` package), and nuget.org is not reachable, so:

- the one deps.json written by the real SDK is ``pythonnet``'s ``Python.Runtime.deps.json``, copied from
  its PyPI wheel (see testdata/README.md); it is checked against an independent reading of the JSON;
- the self-contained app's ``WebApi.deps.json`` and the ``packages.lock.json`` are hand-written following
  the documented formats (dotnet/runtime ``docs/design/specs/runtime-configuration-file.md`` and
  ``docs/design/features/host-probing.md``: ``runtimeTarget``, ``targets``, ``libraries``; NuGet's lock file
  ``version``/``dependencies``);
- broken files: truncated JSON, wrong shapes.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from stockade.catalog import registry
from stockade.catalog.interface import CatalogContext
from stockade.catalog.lang.dotnet import DotnetCataloger
from stockade.catalog.walker import walk
from stockade.model.inventory import Package
from stockade.model.status import StatusKind
from stockade.target.fs import TargetFS

TESTDATA = Path(__file__).parent / "testdata"
PYTHONNET = "pythonnet-3.2.1/Python.Runtime.deps.json"


def tree(tmp_path: Path, files: dict[str, str]) -> Path:
    """Copy testdata files (source → target path) into a target tree."""
    for src, dst in files.items():
        target = tmp_path / dst.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(TESTDATA / src, target)
    return tmp_path


def run(root: Path) -> tuple[list[Package], CatalogContext]:
    fs = TargetFS(str(root))
    cat = DotnetCataloger()
    walked = walk(fs, [cat])
    ctx = CatalogContext(fs=fs, os=None, plugin="catalog/lang/dotnet")
    return cat.catalog(ctx, walked.wanted[cat.NAME]), ctx


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_real_sdk_output_from_pythonnet(tmp_path: Path) -> None:
    dst = "/usr/lib/python3/dist-packages/pythonnet/runtime/Python.Runtime.deps.json"
    pkgs, ctx = run(tree(tmp_path, {PYTHONNET: dst}))
    assert ctx.problems == []
    doc = json.loads((TESTDATA / PYTHONNET).read_text())
    expected = {tuple(k.split("/")) for k, v in doc["libraries"].items() if v["type"] == "package"}
    assert len(expected) == 9
    assert {(p.name, p.version) for p in pkgs} == expected
    by_name = {p.name: p for p in pkgs}
    csharp = by_name["Microsoft.CSharp"]
    assert (csharp.type, csharp.ecosystem, csharp.found_by) == ("nuget", "NuGet", "lang/dotnet")
    assert csharp.purl == "pkg:nuget/Microsoft.CSharp@4.7.0"
    assert csharp.locations[0].path == dst
    text = (TESTDATA / PYTHONNET).read_text().splitlines()
    line = csharp.locations[0].line
    assert line is not None and line > text.index('  "libraries": {')  # the key in "libraries", not "targets"
    assert text[line - 1] == '    "Microsoft.CSharp/4.7.0": {' and '"type": "package"' in text[line]
    assert csharp.metadata == {
        "library_type": "package",
        "sha512": doc["libraries"]["Microsoft.CSharp/4.7.0"]["sha512"],
        "path": "microsoft.csharp/4.7.0",
        "target_framework": ".NETStandard,Version=v2.0/",
        "application": "Python.Runtime/3.2.1",
    }
    assert "Python.Runtime" not in by_name  # the project itself is not a NuGet package


def test_self_contained_app(tmp_path: Path) -> None:
    src = "webapi-selfcontained/WebApi.deps.json"
    pkgs, ctx = run(tree(tmp_path, {src: "/app/WebApi.deps.json"}))
    assert ctx.problems == []
    got = {(p.name, p.version, p.metadata["library_type"]) for p in pkgs}
    assert got == {
        ("Microsoft.NETCore.App.Runtime.linux-x64", "8.0.0", "runtimepack"),
        ("Microsoft.AspNetCore.App.Runtime.linux-x64", "8.0.0", "runtimepack"),
        ("Newtonsoft.Json", "13.0.1", "package"),
        ("Serilog", "3.1.1", "package"),
        ("Serilog.AspNetCore", "8.0.0", "package"),
    }  # projects (WebApi, Shared.Lib) and the plain reference (Legacy.Interop) are not packages
    by_name = {p.name: p for p in pkgs}
    runtime = by_name["Microsoft.NETCore.App.Runtime.linux-x64"]
    assert runtime.purl == "pkg:nuget/Microsoft.NETCore.App.Runtime.linux-x64@8.0.0"
    assert runtime.metadata["application"] == "WebApi/1.0.0"
    assert runtime.metadata["target_framework"] == ".NETCoreApp,Version=v8.0/linux-x64"
    # the line of the key in "libraries", not of the same key in "targets"
    key = '"runtimepack.Microsoft.NETCore.App.Runtime.linux-x64/8.0.0": {'
    lines = [i for i, t in enumerate((TESTDATA / src).read_text().splitlines(), 1) if key in t]
    assert len(lines) == 2
    assert runtime.locations[0].line == lines[1]


def test_lock_file(tmp_path: Path) -> None:
    src = "lockfile/packages.lock.json"
    pkgs, ctx = run(tree(tmp_path, {src: "/src/Api/packages.lock.json"}))
    assert ctx.problems == []
    got = {
        (p.name, p.version): (p.metadata["dependency_type"], tuple(p.metadata["frameworks"])) for p in pkgs
    }
    assert got == {
        ("Newtonsoft.Json", "13.0.1"): ("Direct", ("net6.0", "net8.0", "net8.0/linux-x64")),
        ("System.Text.Json", "6.0.0"): ("Direct", ("net6.0",)),
        ("System.Text.Json", "8.0.4"): ("Direct", ("net8.0",)),
        ("System.Runtime.CompilerServices.Unsafe", "6.0.0"): ("Transitive", ("net6.0",)),
        ("System.Text.Encodings.Web", "6.0.0"): ("CentralTransitive", ("net6.0",)),
        ("Microsoft.NETCore.App.Runtime.linux-x64", "8.0.7"): ("Direct", ("net8.0/linux-x64",)),
    }  # "shared.lib" is a Project entry
    newtonsoft = next(p for p in pkgs if p.name == "Newtonsoft.Json")
    assert newtonsoft.purl == "pkg:nuget/Newtonsoft.Json@13.0.1"
    assert newtonsoft.locations[0].line == line_of(TESTDATA / src, '"Newtonsoft.Json": {')
    assert newtonsoft.metadata["content_hash"].endswith("==")
    stj8 = next(p for p in pkgs if (p.name, p.version) == ("System.Text.Json", "8.0.4"))
    text = (TESTDATA / src).read_text().splitlines()
    assert text[stj8.locations[0].line - 1].strip() == '"System.Text.Json": {'
    assert "8.0.4" in text[stj8.locations[0].line + 2]


def test_walker_hands_over_only_deps_and_lock_files(tmp_path: Path) -> None:
    root = tree(
        tmp_path, {PYTHONNET: "/app/App.deps.json", "lockfile/packages.lock.json": "/src/packages.lock.json"}
    )
    (root / "app" / "App.runtimeconfig.json").write_text('{"runtimeOptions": {}}')
    (root / "app" / "appsettings.json").write_text("not json at all")
    (root / "src" / "package-lock.json").write_text("{}")
    fs = TargetFS(str(root))
    cat = DotnetCataloger()
    assert walk(fs, [cat]).wanted[cat.NAME] == ["/app/App.deps.json", "/src/packages.lock.json"]
    assert registry.load("lang/dotnet") is DotnetCataloger


def test_broken_files(tmp_path: Path) -> None:
    root = tree(tmp_path, {
        "broken/Truncated.deps.json": "/a/Truncated.deps.json",
        "broken/Array.deps.json": "/a/Array.deps.json",
        "broken/Odd.deps.json": "/a/Odd.deps.json",
        "broken/packages.lock.json": "/b/packages.lock.json",
        "webapi-selfcontained/WebApi.deps.json": "/c/WebApi.deps.json",
    })  # fmt: skip
    pkgs, ctx = run(root)
    # the good file and the good entries of the odd files are still read
    got = {(p.locations[0].path, p.name, p.version) for p in pkgs}
    assert ("/a/Odd.deps.json", "Dapper", "2.1.28") in got
    assert ("/b/packages.lock.json", "Polly", "8.2.0") in got
    assert len([g for g in got if g[0] == "/c/WebApi.deps.json"]) == 5
    assert len(got) == 7
    problems = sorted((s.path or "", s.status, s.reason) for s in ctx.problems)
    odd = TESTDATA / "broken/Odd.deps.json"
    lock = TESTDATA / "broken/packages.lock.json"
    assert problems == sorted([
        ("/a/Array.deps.json", StatusKind.ERROR, "failed to parse .NET deps.json: the document is an array, "
                                                 "expected an object"),
        ("/a/Odd.deps.json", StatusKind.PARTIAL,
         f"failed to parse .NET deps.json: line {line_of(odd, 'NoVersionHere')}: library key 'NoVersionHere' "
         "is not 'Name/Version'"),
        ("/a/Odd.deps.json", StatusKind.PARTIAL,
         f"failed to parse .NET deps.json: line {line_of(odd, 'Stringy')}: library 'Stringy/1.0.0' is a "
         "string, expected an object"),
        ("/a/Truncated.deps.json", StatusKind.ERROR,
         "failed to parse .NET deps.json: line 8, column 1: Expecting property name enclosed in double "
         "quotes"),
        ("/b/packages.lock.json", StatusKind.PARTIAL,
         f"failed to parse NuGet packages.lock.json: line {line_of(lock, 'Unresolved')}: 'Unresolved' has "
         "no 'resolved' version"),
        ("/b/packages.lock.json", StatusKind.PARTIAL,
         f"failed to parse NuGet packages.lock.json: line {line_of(lock, 'net9.0')}: framework 'net9.0' is "
         "an array, expected an object"),
        ("/b/packages.lock.json", StatusKind.PARTIAL,
         f"failed to parse NuGet packages.lock.json: line {line_of(lock, 'Weird')}: 'Weird' is a number, "
         "expected an object"),
    ])  # fmt: skip


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"\xff\xfe{}", "not UTF-8 text (byte 0)"),
        (b'{"runtimeTarget": {}}', "'libraries' is missing"),
        (b'{"libraries": []}', "'libraries' is an array, expected an object"),
        (b"", "line 1, column 1: Expecting value"),
        (b'{"libraries": ' + b"[" * 200_000 + b"]" * 200_000 + b"}", "JSON nested too deeply"),
    ],
)
def test_unusable_deps_json(tmp_path: Path, content: bytes, reason: str) -> None:
    (tmp_path / "X.deps.json").write_bytes(content)
    pkgs, ctx = run(tmp_path)
    assert pkgs == []
    ((st),) = ctx.problems
    assert (st.path, st.status, st.reason) == (
        "/X.deps.json",
        StatusKind.ERROR,
        f"failed to parse .NET deps.json: {reason}",
    )


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    (tmp_path / "Bom.deps.json").write_bytes(b"\xef\xbb\xbf" + (TESTDATA / PYTHONNET).read_bytes())
    pkgs, ctx = run(tmp_path)
    assert ctx.problems == [] and len(pkgs) == 9
