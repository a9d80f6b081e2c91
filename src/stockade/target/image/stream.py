"""Reading one layer as a stream: decompression (gzip, zstd or none, sniffed from the bytes), the
decompression-bomb limits, and the digest checks.

A layer is never read into memory nor written to disk whole: the compressed blob is read in 1 MiB
chunks, decompressed with a bounded output size per call (``zlib`` ``max_length``), and handed to
``tarfile`` in stream mode.  Limits (:class:`Limits`, configurable on the command line) stop a hostile
layer early: total uncompressed bytes, the uncompressed/compressed ratio once a layer is past a floor,
and the number of tar entries.  When the blob has no digest of its own (docker-archive layers) the
uncompressed stream is hashed and checked against the config's ``diff_id`` (image-spec config.md:
"the digest over the layer's uncompressed tar archive").
"""

from __future__ import annotations

import hashlib
import io
import zlib
from dataclasses import dataclass
from typing import BinaryIO

import zstandard

from stockade.errors import StockadeError
from stockade.target.image.digest import DigestMismatchError, split_digest

CHUNK = 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
MiB = 1024 * 1024
GiB = 1024 * MiB


class ImageSafetyError(StockadeError):
    """The image is refused: a hostile or broken archive (path traversal, a write through a symbolic
    link, a decompression bomb).  Nothing was written outside the scan's private scratch directory."""

    exit_code = 2


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on what one image may make us read.  Defaults admit every real image we know of (the
    largest public ones are ~20 GB uncompressed) while stopping bombs within seconds."""

    max_bytes: int = 64 * GiB  # uncompressed bytes, all layers together
    max_ratio: float = 200.0  # uncompressed / compressed, per layer, judged past ratio_floor
    ratio_floor: int = 256 * MiB
    max_entries: int = 4_000_000  # tar entries, all layers together


@dataclass(slots=True)
class Counters:
    """Running totals over the whole image (the limits are per image, not per layer)."""

    bytes: int = 0
    entries: int = 0


class LayerStream(io.RawIOBase):
    """Decompressed bytes of one layer blob, with the limits applied as they are produced."""

    def __init__(
        self, raw: BinaryIO, limits: Limits, counters: Counters, what: str, diff_id: str | None = None
    ) -> None:
        super().__init__()
        self._raw = raw
        self._limits = limits
        self._counters = counters
        self.what = what
        self.compressed = 0  # bytes read from the blob
        self.uncompressed = 0
        head = raw.read(CHUNK)
        self.compressed += len(head)
        self.compression = (
            "gzip" if head.startswith(GZIP_MAGIC) else "zstd" if head.startswith(ZSTD_MAGIC) else "none"
        )
        self._pending = head
        self._tail = b""
        self._eof = False
        self._zlib: zlib._Decompress | None = None
        self._zstd: zstandard.ZstdDecompressionObj | None = None
        if self.compression == "gzip":
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS | 16)
        elif self.compression == "zstd":
            self._zstd = zstandard.ZstdDecompressor().decompressobj()
        self._hash = None
        self._diff_id = diff_id
        if diff_id is not None:
            algorithm, _ = split_digest(diff_id)
            self._hash = hashlib.new(algorithm)

    def readable(self) -> bool:
        return True

    def _raw_chunk(self) -> bytes:
        if self._pending:
            data, self._pending = self._pending, b""
            return data
        data = self._raw.read(CHUNK)
        self.compressed += len(data)
        return data

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            size = CHUNK
        while not self._eof:
            out = self._next(size)
            if out:
                self._account(len(out))
                if self._hash is not None:
                    self._hash.update(out)
                return out
        return b""

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def _next(self, size: int) -> bytes:
        if self.compression == "none":
            data = self._raw_chunk()
            if not data:
                self._finish()
            return data
        if self._zlib is not None:
            return self._next_gzip(size)
        return self._next_zstd()

    def _next_gzip(self, size: int) -> bytes:
        d = self._zlib
        assert d is not None
        data = self._tail or self._raw_chunk()
        if not data:
            if not d.eof:
                raise ImageSafetyError(f"{self.what}: gzip stream ends early (truncated layer)")
            self._finish()
            return b""
        try:
            out = d.decompress(data, size)
        except zlib.error as exc:
            raise ImageSafetyError(f"{self.what}: gzip data is corrupt: {exc}") from None
        self._tail = d.unconsumed_tail
        if d.eof:
            rest = d.unused_data + self._tail
            self._tail = b""
            if rest.strip(b"\0"):
                # another gzip member follows (RFC 1952 allows several): continue with a new decompressor
                self._zlib = zlib.decompressobj(zlib.MAX_WBITS | 16)
                self._tail = rest
            else:
                self._drain_raw()
        return out

    def _next_zstd(self) -> bytes:
        d = self._zstd
        assert d is not None
        data = self._tail or self._raw_chunk()
        self._tail = b""
        if not data:
            self._finish()
            return b""
        try:
            out = d.decompress(data)
        except zstandard.ZstdError as exc:
            raise ImageSafetyError(f"{self.what}: zstd data is corrupt: {exc}") from None
        if d.eof:
            rest = d.unused_data
            if rest.strip(b"\0"):
                self._zstd = zstandard.ZstdDecompressor().decompressobj()  # the next frame
                self._tail = rest
        return out

    def _drain_raw(self) -> None:
        """Read the blob to its end (so that its digest is checked) once the compressed data ended."""
        while self._raw_chunk():
            pass

    def _finish(self) -> None:
        self._eof = True
        if self._hash is not None and self._diff_id is not None:
            algorithm, _ = split_digest(self._diff_id)
            actual = f"{algorithm}:{self._hash.hexdigest()}"
            if actual != self._diff_id:
                raise DigestMismatchError(
                    f"digest mismatch for {self.what}: uncompressed content hashes to {actual}, "
                    f"the image config's diff_id is {self._diff_id}",
                    expected=self._diff_id,
                    actual=actual,
                )

    def _account(self, n: int) -> None:
        self.uncompressed += n
        self._counters.bytes += n
        limits = self._limits
        if self._counters.bytes > limits.max_bytes:
            raise ImageSafetyError(
                f"{self.what}: the image unpacks to more than {limits.max_bytes // MiB} MiB; refusing "
                "(a decompression bomb, or raise --max-size)"
            )
        if (
            self.uncompressed > limits.ratio_floor
            and self.compression != "none"
            and self.uncompressed > limits.max_ratio * max(self.compressed, 1)
        ):
            raise ImageSafetyError(
                f"{self.what}: decompresses more than {limits.max_ratio:g}× "
                f"({self.uncompressed // MiB} MiB from {self.compressed // 1024} KiB read); refusing "
                "(a decompression bomb, or raise --max-ratio)"
            )

    def drain(self) -> None:
        """Read to the end, so that every digest is verified even when tar stopped at its end marker."""
        while self.read(CHUNK):
            pass

    def close(self) -> None:
        if not self.closed:
            try:
                self._raw.close()
            finally:
                super().close()
