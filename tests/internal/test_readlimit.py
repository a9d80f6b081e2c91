"""Reading a whole file up to a limit (_internal/readlimit.py): regular files at, under and over the
limit, pipes (no size) over and under it, and objects without a file descriptor."""

from __future__ import annotations

import contextlib
import io
import os
import threading
from pathlib import Path

import pytest

from stockade._internal.readlimit import PIECE, read_limited, read_path


@pytest.mark.parametrize("size", [0, 1, 99, 100, 101, 5000])
def test_regular_files(tmp_path: Path, size: int) -> None:
    f = tmp_path / "f"
    f.write_bytes(bytes(range(256)) * (size // 256) + b"x" * (size % 256))
    with f.open("rb") as fh:
        got = read_limited(fh, 100)
    assert got == (f.read_bytes() if size <= 100 else None)


def test_a_file_read_from_the_middle_gives_the_rest(tmp_path: Path) -> None:
    f = tmp_path / "f"
    f.write_bytes(b"0123456789")
    with f.open("rb") as fh:
        fh.read(4)
        assert read_limited(fh, 100) == b"456789"


@pytest.mark.parametrize("size", [0, 10, 3 * PIECE, 3 * PIECE + 1, 3 * PIECE + 5000])
def test_pipes_have_no_size_and_are_read_to_the_limit(size: int) -> None:
    r, w = os.pipe()
    data = os.urandom(size)

    def feed() -> None:
        # (the reader stops at the limit: the rest meets a closed pipe)
        with contextlib.suppress(BrokenPipeError), os.fdopen(w, "wb") as out:
            out.write(data)

    t = threading.Thread(target=feed)
    t.start()
    with os.fdopen(r, "rb") as fh:
        got = read_limited(fh, 3 * PIECE)
    t.join()
    assert got == (data if size <= 3 * PIECE else None)


def test_objects_without_a_descriptor() -> None:
    assert read_limited(io.BytesIO(b"abc"), 3) == b"abc"
    assert read_limited(io.BytesIO(b"abcd"), 3) is None


@pytest.mark.parametrize("size", [0, 1, 100, 101, 3 * PIECE + 5])
def test_read_path(tmp_path: Path, size: int) -> None:
    f = tmp_path / "f"
    f.write_bytes(os.urandom(size))
    assert read_path(str(f), 100) == (f.read_bytes() if size <= 100 else None)
    assert read_path(str(f), 3 * PIECE + 5) == f.read_bytes()


def test_read_path_of_a_fifo_and_of_nothing(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    data = os.urandom(PIECE + 3)

    def feed() -> None:
        with fifo.open("wb") as out:
            out.write(data)

    t = threading.Thread(target=feed)
    t.start()
    assert read_path(str(fifo), 2 * PIECE) == data
    t.join()
    with pytest.raises(FileNotFoundError):
        read_path(str(tmp_path / "missing"), 10)
    with pytest.raises(IsADirectoryError):
        read_path(str(tmp_path), 10)


def test_a_file_that_grows_past_its_size_is_read_on(tmp_path: Path) -> None:
    """A size taken before the file grew: the byte asked for beyond it shows there is more."""
    from stockade._internal import readlimit

    f = tmp_path / "f"
    f.write_bytes(b"x" * 10)
    reads: list[int] = []
    with f.open("rb") as fh:

        def read(n: int) -> bytes:
            reads.append(n)
            return fh.read(n)

        assert readlimit._read(read, 5, 100) == b"x" * 10  # (fstat said 5)
        assert reads[0] == 6
