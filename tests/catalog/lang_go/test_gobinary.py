"""Go build info in real executables: built here with the Go toolchain, a real Go 1.16 binary in the
older pointer format, and the Go programs installed on this machine; compared with ``go version -m``."""

from __future__ import annotations

import gzip
import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from stockade.catalog.lang.gobinary import MAGIC, GoBinaryCataloger, go_semver, parse_modinfo
from stockade.model.status import StatusKind
from tests.catalog.lang_go.conftest import CROSS, GoBuild
from tests.catalog.lang_go.helpers import catalog_tree, expected_from, install, parse_version_m

TESTDATA = Path(__file__).parent / "testdata"


def check_against_go(binary: Path, version_m: str, tmp_path: Path) -> None:
    """Catalog ``binary`` inside a tree and compare every field with ``go version -m``'s output."""
    vm = parse_version_m(version_m)
    target = install(binary, tmp_path)
    pkgs, ctx = catalog_tree(tmp_path, GoBinaryCataloger())
    assert ctx.problems == []
    assert {(p.name, p.version) for p in pkgs} == expected_from(vm)
    assert len(pkgs) == len(expected_from(vm))
    assert {p.locations[0].path for p in pkgs} == {target}
    assert {(p.type, p.ecosystem, p.found_by) for p in pkgs} == {("golang", "Go", "lang/go-binary")}
    by_name = {p.name: p for p in pkgs}
    stdlib = by_name["stdlib"]
    assert stdlib.purl == f"pkg:golang/stdlib@{stdlib.version}"
    assert stdlib.metadata["go_version"] == vm.go
    if vm.main:
        main = by_name[vm.main[0]]
        assert main.metadata["main_module"] is True
        assert main.metadata["main_package"] == vm.path
        assert main.metadata.get("build_settings", {}) == vm.build
    for dep in vm.deps:
        local = dep.get("rpath", "").startswith(("./", "../"))
        name = dep["path"] if "rpath" not in dep or local else dep["rpath"]
        pkg = by_name[name]
        if "rpath" in dep:
            assert pkg.metadata["required_path"] == dep["path"]
            assert pkg.metadata["required_version"] == dep["version"]
            assert pkg.metadata["replace_path"] == dep["rpath"]
            assert pkg.metadata["replace_version"] == dep["rversion"]
            assert pkg.metadata["replace_local"] is local
            assert pkg.metadata.get("sum", "") == dep["rsum"]
        else:
            assert pkg.metadata.get("sum", "") == dep["sum"]
        namespace, _, last = name.rpartition("/")
        assert pkg.purl.startswith(f"pkg:golang/{namespace}/{last}@")


@pytest.mark.parametrize("flags", [(), ("-trimpath",)], ids=["plain", "trimpath"])
def test_built_binary_matches_go_version_m(gobuild: GoBuild, tmp_path: Path, flags: tuple[str, ...]) -> None:
    binary = gobuild.build("hello-trimpath" if flags else "hello", *flags)
    text = gobuild.version_m(binary)
    check_against_go(binary, text, tmp_path)
    vm = parse_version_m(text)
    assert ("-trimpath" in vm.build) is bool(flags)
    # the fixture really exercises a directory replacement, a module replacement and plain deps
    assert {d.get("rpath") for d in vm.deps} >= {"./dep", "example.com/fork", None}


def test_built_binary_package_details(gobuild: GoBuild, tmp_path: Path) -> None:
    install(gobuild.build("hello"), tmp_path)
    pkgs, _ = catalog_tree(tmp_path, GoBinaryCataloger())
    by_name = {p.name: p for p in pkgs}
    assert by_name["example.com/hello"].purl == "pkg:golang/example.com/hello@%28devel%29"
    assert by_name["example.com/fork"].purl == "pkg:golang/example.com/fork@v1.0.0"
    assert by_name["example.com/fork"].metadata["required_path"] == "example.com/other"
    assert by_name["example.com/dep"].version == "(devel)"
    assert by_name["example.com/dep"].metadata["replace_local"] is True
    assert by_name["example.com/plain"].metadata["sum"].startswith("h1:")
    assert "example.com/other" not in by_name  # replaced: not what is compiled in


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CROSS))
def test_cross_compiled_formats(gobuild: GoBuild, tmp_path: Path, name: str) -> None:
    """PE, Mach-O, 32-bit little-endian ELF, and both big-endian ELF classes, built by Go itself."""
    goos, goarch = CROSS[name]
    binary = gobuild.build(name, goos=goos, goarch=goarch)
    check_against_go(binary, gobuild.version_m(binary), tmp_path)


def test_go116_pointer_format(tmp_path: Path) -> None:
    """A real Go 1.16 executable (pointer format, before Go 1.18), trimmed to its headers and build info."""
    binary = tmp_path / "fixture" / "esbuild"
    binary.parent.mkdir()
    binary.write_bytes(gzip.decompress((TESTDATA / "esbuild-go1.16.elf.gz").read_bytes()))
    binary.chmod(0o755)
    assert binary.read_bytes()[0x6C9000 + 15] & 0x2 == 0  # really the pointer format
    recorded = (TESTDATA / "esbuild-go1.16.go-version-m.txt").read_text()
    check_against_go(binary, recorded, tmp_path / "tree")
    go = shutil.which("go")
    if go is not None:  # Go's own reader agrees on the trimmed file
        now = subprocess.run([go, "version", "-m", str(binary)], capture_output=True, text=True, check=True)
        assert now.stdout.split("\n", 1)[1] == recorded.split("\n", 1)[1]


def _installed_go_programs() -> list[Path]:
    found: dict[str, Path] = {}
    for name in ("docker", "podman", "containerd", "runc", "kubectl", "buildah", "skopeo", "go"):
        where = shutil.which(name)
        if where:
            real = Path(os.path.realpath(where))
            with open(real, "rb") as fh:
                head = fh.read(4)
            if head == b"\x7fELF":
                found.setdefault(str(real), real)
    return sorted(found.values())


def test_go_programs_installed_on_this_machine(tmp_path: Path) -> None:
    go = shutil.which("go")
    if go is None:
        pytest.skip("go not installed: needed to read `go version -m` of installed programs")
    checked = 0
    for index, binary in enumerate(_installed_go_programs()):
        proc = subprocess.run([go, "version", "-m", str(binary)], capture_output=True, text=True, check=False)
        if proc.returncode != 0 or ": go" not in proc.stdout.split("\n", 1)[0]:
            continue  # not a Go program (runc may be C on some systems)
        check_against_go(binary, proc.stdout, tmp_path / str(index))
        checked += 1
    if checked == 0:
        pytest.skip("no Go program (docker, podman, containerd, runc, kubectl, go ...) installed here")


@pytest.mark.parametrize(
    ("tag", "semver"),
    [
        ("go1.21.5", "v1.21.5"),
        ("go1.21", "v1.21.0"),
        ("go1.16", "v1.16.0"),
        ("go1.21rc2", "v1.21.0-rc.2"),
        ("go1.9beta1", "v1.9.0-beta.1"),
        ("go1.22.1 X:boringcrypto", "v1.22.1"),
        ("go1", "v1.0.0"),
        ("devel go1.23-abcdef Tue Jan 2 2024", None),
        ("", None),
    ],
)
def test_go_version_to_semver(tag: str, semver: str | None) -> None:
    assert go_semver(tag) == semver


def test_modinfo_lines_go_1_19_blank_lines_and_quoting() -> None:
    text = (
        "path\texample.com/x/cmd\nmod\texample.com/x\t(devel)\t\n"
        "dep\texample.com/a\tv1.0.0\n=>\t../a\t(devel)\t\n\n"  # go1.19 writes a blank line after "=>"
        'build\t-ldflags="-X \\"main.v=1\\""\nbuild\tCGO_ENABLED=0\n'
    )
    info = parse_modinfo(text)
    assert info.errors == []
    assert info.main is not None and info.main.path == "example.com/x"
    assert info.deps[0].replace is not None and info.deps[0].replace.path == "../a"
    assert info.settings == {"-ldflags": '-X "main.v=1"', "CGO_ENABLED": "0"}


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("dep\texample.com/a\n", "line 1: expected 'dep <path> <version> [<sum>]'"),
        ("=>\t../a\t(devel)\t\n", "line 1: replacement with no module on the line before"),
        ("dep\texample.com/a\tv1\n=>\t../a (devel)\t\n", "line 2: expected '=> <path> <version> <sum>'"),
        ("build\tnoequals\n", "line 1: expected 'build <key>=<value>'"),
        ("garbage\n", "line 1: expected a tab-separated line"),
    ],
)
def test_modinfo_malformed_lines(text: str, error: str) -> None:
    assert any(e.startswith(error) for e in parse_modinfo(text).errors), parse_modinfo(text).errors


def test_status_kinds_are_errors_only_for_broken_files(gobuild: GoBuild, tmp_path: Path) -> None:
    binary = gobuild.build("hello")
    data = bytearray(binary.read_bytes())
    # a modinfo line with the wrong number of columns: the file is read, that line reported
    old = b"=>\t./dep\t(devel)\t"
    at = data.index(old, data.index(MAGIC))  # in the build info, not a copy elsewhere
    data[at : at + len(old)] = b"=>\t./dep (devel)\t"
    broken = tmp_path / "usr" / "bin" / "brokenmod"
    broken.parent.mkdir(parents=True)
    broken.write_bytes(bytes(data))
    broken.chmod(0o755)
    pkgs, ctx = catalog_tree(tmp_path, GoBinaryCataloger())
    assert [(s.status, s.path) for s in ctx.problems] == [(StatusKind.PARTIAL, "/usr/bin/brokenmod")]
    assert "module information line" in ctx.problems[0].reason
    assert "expected '=> <path> <version> <sum>'" in ctx.problems[0].reason
    assert {"example.com/hello", "example.com/plain", "stdlib"} <= {p.name for p in pkgs}


@pytest.mark.slow
def test_universal_macho(gobuild: GoBuild, tmp_path: Path) -> None:
    """A universal (fat) Mach-O as lipo(1) lays it out (<mach-o/fat.h>: big-endian header, slices
    page-aligned) around the real darwin/arm64 build; the first slice is read."""
    thin = gobuild.build("hello-darwin-arm64", goos="darwin", goarch="arm64")
    data = thin.read_bytes()
    cpu_arm64, align = 0x0100000C, 14
    header = struct.pack(">II", 0xCAFEBABE, 1) + struct.pack(
        ">iiIII", cpu_arm64, 0, 1 << align, len(data), align
    )
    fat = tmp_path / "work" / "hello-universal"
    fat.parent.mkdir()
    fat.write_bytes(header.ljust(1 << align, b"\x00") + data)
    check_against_go(fat, gobuild.version_m(thin).replace(str(thin), str(fat)), tmp_path / "tree")
