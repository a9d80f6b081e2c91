"""The streaming tar reader against Python's tarfile and GNU tar, on archives of every header format."""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from stockade.target.image.tarstream import TarFormatError, TarReader

LONG = "deep/" * 30 + "file-with-a-long-name.txt"  # > 100 and > 155+100 characters


def chunked(data: bytes, size: int) -> Iterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


USTAR_LONG = "d" * 120 + "/" + "f" * 50  # fits ustar's prefix (155) + name (100)


def build(fmt: int) -> bytes:
    long = USTAR_LONG if fmt == tarfile.USTAR_FORMAT else LONG
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:

        def add(name: str, kind: bytes, data: bytes = b"", link: str = "", mode: int = 0o644) -> None:
            info = tarfile.TarInfo(name)
            info.type, info.linkname, info.mode, info.size = kind, link, mode, len(data)
            tf.addfile(info, io.BytesIO(data) if data else None)

        add("dir/", tarfile.DIRTYPE, mode=0o755)
        add("dir/a.txt", tarfile.REGTYPE, b"hello\n")
        add(long, tarfile.REGTYPE, os.urandom(70_000), mode=0o4755)
        add("link", tarfile.SYMTYPE, link="/" + long[:90])
        add("hard", tarfile.LNKTYPE, link="dir/a.txt")
        if fmt != tarfile.USTAR_FORMAT:
            add("ünïcödé/名前.txt", tarfile.REGTYPE, b"x")
        add("fifo", tarfile.FIFOTYPE)
        add("empty", tarfile.REGTYPE)
    return buf.getvalue()


def expected(data: bytes) -> list[tuple[str, str, int, int, str, bytes]]:
    kinds = {
        tarfile.REGTYPE: "f",
        tarfile.DIRTYPE: "d",
        tarfile.SYMTYPE: "l",
        tarfile.LNKTYPE: "h",
        tarfile.FIFOTYPE: "p",
    }
    out = []
    with tarfile.open(fileobj=io.BytesIO(data)) as tf:
        for m in tf.getmembers():
            body = tf.extractfile(m).read() if m.isfile() else b""  # type: ignore[union-attr]
            out.append((m.name, kinds[m.type], m.mode, m.size if m.isfile() else 0, m.linkname, body))
    return out


def ours(data: bytes, chunk: int) -> list[tuple[str, str, int, int, str, bytes]]:
    reader = TarReader(chunked(data, chunk), "test")
    out = []
    for e in reader:
        body = reader.read_data(1 << 30) if e.kind == "f" else b""
        out.append((e.name.rstrip("/"), e.kind, e.mode, e.size, e.linkname, body))
    return out


@pytest.mark.parametrize("fmt", [tarfile.GNU_FORMAT, tarfile.PAX_FORMAT, tarfile.USTAR_FORMAT])
@pytest.mark.parametrize("chunk", [1, 511, 4096, 1 << 20])
def test_same_entries_as_tarfile(fmt: int, chunk: int) -> None:
    data = build(fmt)
    assert ours(data, chunk) == [(n.rstrip("/"), *rest) for n, *rest in expected(data)]


def test_gnu_tar_output(tmp_path: Path) -> None:
    root = tmp_path / "src"
    (root / LONG).parent.mkdir(parents=True)
    (root / LONG).write_bytes(b"x" * 1000)
    (root / "s").symlink_to(LONG)
    for fmt in ("gnu", "posix", "ustar"):
        out = tmp_path / f"{fmt}.tar"
        proc = subprocess.run(
            ["tar", f"--format={fmt}", "-C", str(root), "-cf", str(out), "."],
            capture_output=True,
            check=False,
        )
        if proc.returncode != 0:
            continue  # ustar refuses the long name: that is GNU tar's right
        data = out.read_bytes()
        assert sorted(ours(data, 10_000)) == sorted((n.rstrip("/"), *r) for n, *r in expected(data))


def test_copy_to_writes_the_data(tmp_path: Path) -> None:
    data = build(tarfile.PAX_FORMAT)
    reader = TarReader(chunked(data, 3000), "test")
    for e in reader:
        if e.name == LONG:
            fd = os.open(tmp_path / "out", os.O_WRONLY | os.O_CREAT)
            reader.copy_to(fd)
            os.close(fd)
    want = dict((n, b) for n, _, _, _, _, b in expected(data))[LONG]
    assert (tmp_path / "out").read_bytes() == want


def test_corrupt_header_checksum() -> None:
    data = bytearray(build(tarfile.GNU_FORMAT))
    data[20] ^= 0x01
    with pytest.raises(TarFormatError, match="checksum"):
        list(TarReader(iter([bytes(data)]), "test"))


def test_truncated_data() -> None:
    data = build(tarfile.GNU_FORMAT)
    cut = data.index(b"hello\n") + 3
    with pytest.raises(TarFormatError, match="truncated"):
        list(TarReader(iter([data[:cut]]), "test"))


def test_not_a_tar() -> None:
    with pytest.raises(TarFormatError, match="not a tar archive"):
        list(TarReader(iter([b"PK\x03\x04" + bytes(600)]), "test"))
