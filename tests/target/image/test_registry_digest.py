"""Digests and VerifyingReader: hashing while streaming, failing at EOF on a mismatch."""

from __future__ import annotations

import hashlib
import io
import tarfile

import pytest

from stockade.errors import InputError
from stockade.target.image.digest import (
    DigestMismatchError,
    VerifyingReader,
    check_digest,
    compute_digest,
    split_digest,
)

DATA = bytes(range(256)) * 1000
DIGEST = "sha256:" + hashlib.sha256(DATA).hexdigest()


class Trickle(io.RawIOBase):
    """Returns at most 7 bytes per read: short reads must not break anything."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)
        self.closed_by_reader = False

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1, /) -> bytes:
        return self._data.read(min(7, size) if size >= 0 else 7)

    def close(self) -> None:
        self.closed_by_reader = True
        super().close()


@pytest.mark.parametrize("chunk", [1, 7, 4096, -1])
@pytest.mark.parametrize("size", [None, len(DATA)])
def test_success(chunk: int, size: int | None) -> None:
    reader = VerifyingReader(io.BytesIO(DATA), DIGEST, size)
    out = bytearray()
    while data := reader.read(chunk):
        out += data
        if chunk < 0:
            continue
        assert len(data) <= chunk
    assert bytes(out) == DATA
    assert reader.verified and reader.bytes_read == len(DATA)
    assert reader.read() == b""


def test_short_raw_reads_are_filled() -> None:
    reader = VerifyingReader(Trickle(DATA), DIGEST, len(DATA))
    assert reader.read(1000) == DATA[:1000]
    assert reader.read() == DATA[1000:]
    assert reader.verified
    reader.close()


@pytest.mark.parametrize(
    ("data", "size", "message"),
    [
        (DATA[:-1] + b"X", None, "digest mismatch for"),
        (DATA[:-1] + b"X", len(DATA), "digest mismatch for"),
        (
            DATA[:-1],
            len(DATA),
            f"size mismatch for {DIGEST}: expected {len(DATA)} bytes, got {len(DATA) - 1}",
        ),
        (DATA + b"!", len(DATA), f"size mismatch for {DIGEST}: expected {len(DATA)} bytes, got more"),
        (DATA, len(DATA) + 1, "size mismatch"),
        (b"", 0, "digest mismatch"),
    ],
)
def test_mismatch_raises_at_eof(data: bytes, size: int | None, message: str) -> None:
    reader = VerifyingReader(io.BytesIO(data), DIGEST, size, what=None)
    with pytest.raises(DigestMismatchError) as info:
        while reader.read(4096):
            pass
    assert message in info.value.message
    assert info.value.expected == DIGEST
    assert not reader.verified


def test_too_long_detected_before_the_end() -> None:
    """An endless stream is stopped right after the announced size, not read to its end."""

    class Endless(io.RawIOBase):
        served = 0

        def readable(self) -> bool:
            return True

        def read(self, size: int = -1, /) -> bytes:
            self.served += size
            return b"\0" * size

    raw = Endless()
    reader = VerifyingReader(raw, DIGEST, 10)
    with pytest.raises(DigestMismatchError, match="got more"):
        reader.read()
    assert raw.served <= 11


def test_mismatch_digest_names_actual() -> None:
    with pytest.raises(DigestMismatchError) as info:
        VerifyingReader(io.BytesIO(b"abc"), DIGEST, what="layer 3").read()
    assert info.value.actual == compute_digest(b"abc")
    assert info.value.message == f"digest mismatch for layer 3: expected {DIGEST}, got {info.value.actual}"


def test_verify_drains_what_the_consumer_left() -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        info = tarfile.TarInfo("a")
        info.size = 3
        tf.addfile(info, io.BytesIO(b"abc"))
    blob = buf.getvalue() + b"\0" * 4096  # trailing padding a tar reader never reads
    digest = compute_digest(blob)
    reader = VerifyingReader(io.BytesIO(blob), digest, len(blob))
    with tarfile.open(fileobj=reader, mode="r|") as tf:
        assert [m.name for m in tf] == ["a"]
    assert not reader.verified
    reader.verify()
    assert reader.verified
    bad = VerifyingReader(io.BytesIO(blob), DIGEST, len(blob))
    bad.read(10)
    with pytest.raises(DigestMismatchError):
        bad.verify()


def test_close_closes_raw() -> None:
    raw = Trickle(DATA)
    with VerifyingReader(raw, DIGEST) as reader:
        reader.read(3)
    assert raw.closed_by_reader and reader.closed


def test_other_algorithms() -> None:
    for algorithm in ("sha384", "sha512"):
        digest = compute_digest(DATA, algorithm)
        assert VerifyingReader(io.BytesIO(DATA), digest).read() == DATA
        check_digest(DATA, digest)


@pytest.mark.parametrize(
    ("digest", "reason"),
    [
        ("abc", "expected ALGORITHM:HEX"),
        ("md5:" + "0" * 32, "unsupported algorithm 'md5'"),
        ("sha256:" + "0" * 63, "64 lowercase hex"),
        ("sha256:" + "A" * 64, "64 lowercase hex"),
        ("sha512:" + "0" * 64, "128 lowercase hex"),
    ],
)
def test_invalid_digests(digest: str, reason: str) -> None:
    with pytest.raises(InputError, match=reason):
        split_digest(digest)
    with pytest.raises(InputError):
        VerifyingReader(io.BytesIO(b""), digest)


def test_check_digest() -> None:
    check_digest(DATA, DIGEST)
    with pytest.raises(DigestMismatchError, match="digest mismatch for manifest x"):
        check_digest(b"other", DIGEST, what="manifest x")
