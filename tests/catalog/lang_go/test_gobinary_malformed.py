"""Executables that are not Go, or whose Go build info is broken: silence for the first, a status entry
(and no traceback) for the second; and what a non-Go executable costs."""

from __future__ import annotations

import contextlib
import io
import random
import shutil
import struct
import subprocess
from pathlib import Path
from typing import Any

import pytest

from stockade._internal.binfmt import BinaryFormatError, read_image
from stockade.catalog.lang.gobinary import MAGIC, BuildInfoError, GoBinaryCataloger, read_buildinfo
from stockade.catalog.lang.rust import read_audit_section
from stockade.model.status import StatusKind
from tests.catalog.lang_go.conftest import CROSS, GoBuild
from tests.catalog.lang_go.helpers import catalog_tree

C_SOURCE = '#include <stdio.h>\nint main(void) { puts("not go"); return 0; }\n'


@pytest.fixture(scope="module")
def c_program(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler: `apt-get install gcc` to build a non-Go ELF executable")
    base = tmp_path_factory.mktemp("cprog")
    (base / "prog.c").write_text(C_SOURCE)
    subprocess.run([cc, "-O0", "-o", str(base / "prog"), str(base / "prog.c")], check=True)
    return base / "prog"


def objcopy() -> str:
    tool = shutil.which("objcopy")
    if tool is None:
        pytest.skip("objcopy not installed: `apt-get install binutils`")
    return tool


def put(root: Path, name: str, data: bytes) -> str:
    path = root / "usr" / "bin" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    path.chmod(0o755)
    return f"/usr/bin/{name}"


def with_section(prog: Path, tmp_path: Path, content: bytes, name: str = ".go.buildinfo") -> bytes:
    work = tmp_path.parent / (tmp_path.name + "-work")  # outside the tree that is scanned
    work.mkdir(exist_ok=True)
    blob = work / "section.bin"
    blob.write_bytes(content)
    out = work / "with-section"
    subprocess.run([objcopy(), "--add-section", f"{name}={blob}", str(prog), str(out)], check=True)
    return out.read_bytes()


def test_non_go_executables_are_silent(c_program: Path, tmp_path: Path) -> None:
    put(tmp_path, "prog", c_program.read_bytes())
    put(tmp_path, "script", b"#!/bin/sh\necho hello\n" + b"#" * 2000 + b"\n")
    put(tmp_path, "data", bytes(range(256)) * 8)
    put(tmp_path, "mz", b"MZ" + b"\x00" * 2000)  # starts like a PE, is not one
    put(tmp_path, "ls", Path("/bin/ls").read_bytes())
    pkgs, ctx = catalog_tree(tmp_path, GoBinaryCataloger())
    assert pkgs == []
    assert ctx.problems == []


def test_huge_sparse_executable_is_not_read_whole(c_program: Path, tmp_path: Path) -> None:
    """A 3 GiB executable (sparse) is over TargetFS's size limit, but only its headers are read."""
    path = tmp_path / "usr" / "bin" / "huge"
    path.parent.mkdir(parents=True)
    shutil.copyfile(c_program, path)
    with open(path, "r+b") as fh:
        fh.truncate(3 << 30)
    path.chmod(0o755)
    pkgs, ctx = catalog_tree(tmp_path, GoBinaryCataloger())
    assert (pkgs, ctx.problems) == ([], [])


def test_truncated_elf_is_a_status(c_program: Path, tmp_path: Path) -> None:
    data = c_program.read_bytes()
    put(tmp_path, "cut", data[: len(data) // 2])  # the section header table is at the end of a gcc ELF
    put(tmp_path, "stub", data[:2000])  # the walker passes executables over 1 KB
    pkgs, ctx = catalog_tree(tmp_path, GoBinaryCataloger())
    assert pkgs == []
    got = {s.path: s for s in ctx.problems}
    assert set(got) == {"/usr/bin/cut", "/usr/bin/stub"}
    for status in got.values():
        assert status.status is StatusKind.ERROR
        assert status.reason.startswith("failed to parse executable: truncated: ")


def test_truncated_go_binary_is_a_status(gobuild: GoBuild, tmp_path: Path) -> None:
    data = gobuild.build("hello").read_bytes()
    put(tmp_path, "cutgo", data[: len(data) * 2 // 3])
    pkgs, ctx = catalog_tree(tmp_path, GoBinaryCataloger())
    assert pkgs == []
    assert [(s.status, s.path) for s in ctx.problems] == [(StatusKind.ERROR, "/usr/bin/cutgo")]
    assert "truncated" in ctx.problems[0].reason


def _header(flags: int, ptr_size: int = 8, pointers: bytes = b"\x00" * 16) -> bytes:
    return MAGIC + bytes([ptr_size, flags]) + pointers


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"\x00" * 64, "does not hold the Go build info magic"),
        (_header(0x2) + b"\x80" * 12, "is not a valid varint"),
        (_header(0x2) + b"\x7fgo1.21", "run past the end of the build info"),
        (_header(0x2) + b"\x00\x00", "the Go version string is empty"),
        (_header(0x0, ptr_size=3), "pointer size 3"),
        (_header(0x0, pointers=struct.pack("<QQ", 0xDEAD0000, 0xBEEF0000)), "is in no loaded section"),
    ],
    ids=["no-magic", "bad-varint", "short-string", "empty-version", "pointer-size", "wild-pointer"],
)
def test_garbled_buildinfo_is_a_status(c_program: Path, tmp_path: Path, content: bytes, reason: str) -> None:
    put(tmp_path, "garbled", with_section(c_program, tmp_path, content))
    pkgs, ctx = catalog_tree(tmp_path, GoBinaryCataloger())
    assert pkgs == []
    assert [(s.status, s.path) for s in ctx.problems] == [(StatusKind.ERROR, "/usr/bin/garbled")]
    assert ctx.problems[0].reason.startswith("failed to parse Go build info: ")
    assert reason in ctx.problems[0].reason


def test_garbage_after_elf_magic_raises_clear_error() -> None:
    with pytest.raises(BinaryFormatError, match="not a valid ELF header"):
        read_image(io.BytesIO(b"\x7fELF\x09\x09" + b"\x00" * 100))
    with pytest.raises(BinaryFormatError, match="truncated: ELF header needs 52 bytes"):
        read_image(io.BytesIO(b"\x7fELF\x02\x01\x01" + b"\x00" * 33))
    header = bytearray(64)
    header[:7] = b"\x7fELF\x02\x01\x01"
    struct.pack_into("<Q", header, 40, 5000)  # e_shoff past the end
    struct.pack_into("<HHH", header, 58, 64, 3, 1)
    with pytest.raises(BinaryFormatError, match="truncated: ELF section header table"):
        read_image(io.BytesIO(bytes(header) + b"\x00" * 100))


class CountingReader:
    """A file wrapper that records every read: (offset, bytes returned)."""

    def __init__(self, fh: Any) -> None:
        self.fh = fh
        self.reads: list[tuple[int, int]] = []

    def seek(self, offset: int, whence: int = 0) -> int:
        return int(self.fh.seek(offset, whence))

    def read(self, n: int = -1) -> bytes:
        at = self.fh.tell()
        data: bytes = self.fh.read(n)
        self.reads.append((at, len(data)))
        return data

    def fileno(self) -> int:
        return int(self.fh.fileno())


def _elf64_header_tables(path: Path) -> list[tuple[int, int]]:
    """The byte ranges that hold an ELF64 LE file's header, section header table and section names."""
    with open(path, "rb") as fh:
        head = fh.read(64)
        shoff = struct.unpack_from("<Q", head, 40)[0]
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", head, 58)
        fh.seek(shoff + shstrndx * shentsize)
        strtab = struct.unpack_from("<IIQQQQ", fh.read(shentsize))
    return [(0, 64), (shoff, shnum * shentsize), (strtab[4], strtab[5])]


@pytest.mark.parametrize("which", ["c_program", "/bin/ls"])
def test_non_go_elf_costs_only_its_headers(c_program: Path, which: str) -> None:
    """Micro-check (not timed): rejecting a non-Go ELF reads the ELF header, the section header table
    and the section name table -- three reads -- and nothing else."""
    path = c_program if which == "c_program" else Path(which)
    allowed = _elf64_header_tables(path)
    with open(path, "rb", buffering=0) as raw:
        reader = CountingReader(raw)
        assert read_buildinfo(reader) is None  # type: ignore[arg-type]
    assert len(reader.reads) == 3, reader.reads
    for offset, size in reader.reads:
        assert any(lo <= offset and offset + size <= lo + n for lo, n in allowed), (offset, size, allowed)
    assert sum(size for _, size in reader.reads) == sum(n for _, n in allowed)
    assert sum(size for _, size in reader.reads) < 8192 < path.stat().st_size


def _mutants(data: bytes, seed: int, count: int) -> list[bytes]:
    """Truncations and byte flips in the header area of a real executable (seeded: reproducible)."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        blob = bytearray(data)
        if rng.random() < 0.3:
            blob = blob[: rng.randrange(64, len(blob))]
        for _ in range(rng.randrange(1, 8)):
            at = rng.randrange(0, min(len(blob), 4096)) if rng.random() < 0.8 else rng.randrange(len(blob))
            blob[at] = rng.randrange(256)
        out.append(bytes(blob))
    return out


@pytest.mark.parametrize(
    "kind",
    ["elf", pytest.param("pe", marks=pytest.mark.slow), pytest.param("macho", marks=pytest.mark.slow), "c"],
)
def test_mutated_executables_fail_only_with_clear_errors(
    gobuild: GoBuild, c_program: Path, tmp_path: Path, kind: str
) -> None:
    """Whatever the damage, readers raise only their own errors (which become statuses), never
    struct.error, IndexError, MemoryError ... and never read more than the limits allow."""
    if kind == "c":
        source = c_program
    elif kind == "elf":
        source = gobuild.build("hello")
    else:
        name = {"pe": "hello-windows-amd64.exe", "macho": "hello-darwin-arm64"}[kind]
        goos, goarch = CROSS[name]
        source = gobuild.build(name, goos=goos, goarch=goarch)
    seed = {"elf": 1, "pe": 2, "macho": 3, "c": 4}[kind]
    for blob in _mutants(source.read_bytes(), seed=seed, count=150):
        for reader in (read_buildinfo, read_audit_section):
            with contextlib.suppress(BinaryFormatError, BuildInfoError):
                reader(io.BytesIO(blob))
