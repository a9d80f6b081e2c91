"""Content digests (``sha256:<hex>``) and a reader that verifies one while streaming.

A digest is ``algorithm ":" encoded`` as the OCI image spec defines it
(https://github.com/opencontainers/image-spec/blob/main/descriptor.md#digests).  The registered algorithms
are ``sha256`` (64 lowercase hex characters) and ``sha512`` (128); go-digest also knows ``sha384`` (96), so
it is accepted too.  Anything else cannot be verified and is rejected rather than trusted.
"""

from __future__ import annotations

import hashlib
import io
import re
from typing import TYPE_CHECKING, Protocol

from stockade.errors import InputError, StockadeError

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

#: algorithm → length of its lowercase hex encoding
ALGORITHMS: dict[str, int] = {"sha256": 64, "sha384": 96, "sha512": 128}
_ENCODED = re.compile(r"[a-f0-9]+")
CHUNK_SIZE = 1024 * 1024


class DigestMismatchError(StockadeError):
    """Content did not hash to the digest that named it, or its size was not the one announced."""

    def __init__(self, message: str, *, expected: str, actual: str | None = None) -> None:
        super().__init__(message, hint="the content was corrupted or tampered with in transit or at rest")
        self.expected = expected
        self.actual = actual


def split_digest(digest: str) -> tuple[str, str]:
    """``"sha256:ab…"`` → ``("sha256", "ab…")``; :class:`InputError` when it is not a verifiable digest."""
    algorithm, sep, encoded = digest.partition(":")
    if not sep:
        raise InputError(f"invalid digest {digest!r}: expected ALGORITHM:HEX, e.g. sha256:<64 hex digits>")
    length = ALGORITHMS.get(algorithm)
    if length is None:
        known = ", ".join(ALGORITHMS)
        raise InputError(
            f"invalid digest {digest!r}: unsupported algorithm {algorithm!r} (supported: {known})"
        )
    if len(encoded) != length or not _ENCODED.fullmatch(encoded):
        raise InputError(f"invalid digest {digest!r}: {algorithm} needs {length} lowercase hex digits")
    return algorithm, encoded


def validate_digest(digest: str) -> str:
    """Return ``digest`` unchanged if it is well formed and verifiable; raise :class:`InputError` if not."""
    split_digest(digest)
    return digest


def compute_digest(data: bytes, algorithm: str = "sha256") -> str:
    return f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}"


def check_digest(data: bytes, digest: str, *, what: str = "content") -> None:
    """Raise :class:`DigestMismatchError` unless ``data`` hashes to ``digest``."""
    algorithm, _ = split_digest(digest)
    actual = compute_digest(data, algorithm)
    if actual != digest:
        raise DigestMismatchError(
            f"digest mismatch for {what}: expected {digest}, got {actual}", expected=digest, actual=actual
        )


class Source(Protocol):
    """What :class:`VerifyingReader` reads from: any binary file object (``read(n)`` and ``close()``)."""

    def read(self, size: int, /) -> bytes: ...

    def close(self) -> None: ...


class VerifyingReader(io.BufferedIOBase):
    """Pass ``raw`` through unchanged while hashing it; at EOF compare digest and size.

    Raises :class:`DigestMismatchError` from ``read`` when the stream ends with the wrong digest, ends short
    of ``size``, or runs past ``size`` (detected as soon as it happens, so an endless stream cannot keep us
    reading).  ``size=None`` checks only the digest.  Only a stream read to its end is verified: a consumer
    that stops early must not trust what it read (``verified`` stays False).  Closing the reader closes
    ``raw``.  ``what`` names the content in messages (default: the digest).
    """

    def __init__(self, raw: Source, digest: str, size: int | None = None, *, what: str | None = None) -> None:
        super().__init__()
        algorithm, _ = split_digest(digest)
        if size is not None and size < 0:
            raise InputError(f"invalid size {size} for {digest}")
        self._raw = raw
        self._hash = hashlib.new(algorithm)
        self._algorithm = algorithm
        self.digest = digest
        self.size = size
        self.what = what or digest
        self.bytes_read = 0
        #: True once the whole stream was read and matched
        self.verified = False
        self._eof = False

    def readable(self) -> bool:
        return True

    def read1(self, size: int | None = -1, /) -> bytes:
        """At most one read of ``raw``."""
        if self._eof or size == 0:
            return b""
        want = CHUNK_SIZE if size is None or size < 0 else size
        if self.size is not None:
            # ask for one byte more than is left, so a too-long stream shows at once
            want = min(want, self.size - self.bytes_read + 1)
        data = self._raw.read(want)
        if not data:
            self._finish()
            return b""
        self._hash.update(data)
        self.bytes_read += len(data)
        if self.size is not None and self.bytes_read > self.size:
            self._eof = True
            raise DigestMismatchError(
                f"size mismatch for {self.what}: expected {self.size} bytes, got more", expected=self.digest
            )
        return data

    def read(self, size: int | None = -1, /) -> bytes:
        """``size`` bytes, fewer only at the end of the stream; everything that is left for ``size < 0``."""
        chunks: list[bytes] = []
        left = -1 if size is None else size
        while left != 0:
            data = self.read1(CHUNK_SIZE if left < 0 else left)
            if not data:
                break
            chunks.append(data)
            if left > 0:
                left -= len(data)
        return b"".join(chunks)

    def readinto(self, buffer: WriteableBuffer, /) -> int:
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)

    def verify(self) -> None:
        """Read what is left (discarding it) and check; for consumers that stop before the end (tar)."""
        while self.read1(CHUNK_SIZE):
            pass
        if not self.verified:
            raise DigestMismatchError(f"{self.what} was not verified", expected=self.digest)

    def _finish(self) -> None:
        self._eof = True
        if self.size is not None and self.bytes_read != self.size:
            raise DigestMismatchError(
                f"size mismatch for {self.what}: expected {self.size} bytes, got {self.bytes_read}",
                expected=self.digest,
            )
        actual = f"{self._algorithm}:{self._hash.hexdigest()}"
        if actual != self.digest:
            raise DigestMismatchError(
                f"digest mismatch for {self.what}: expected {self.digest}, got {actual}",
                expected=self.digest,
                actual=actual,
            )
        self.verified = True

    def close(self) -> None:
        if not self.closed:
            try:
                self._raw.close()
            finally:
                super().close()
