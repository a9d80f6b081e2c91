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

import contextlib
import hashlib
import queue
import threading
import zlib
from collections.abc import Iterator
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


class LayerStream:
    """Decompressed bytes of one layer blob as chunks, with the limits applied as they are produced."""

    def __init__(
        self, raw: BinaryIO, limits: Limits, counters: Counters, what: str, diff_id: str | None = None
    ) -> None:
        self._raw = raw
        self._limits = limits
        self._counters = counters
        self.what = what
        self.compressed = 0  # bytes read from the blob
        self.uncompressed = 0
        self.compression = "none"
        self._diff_id = diff_id

    def _read_raw(self) -> bytes:
        data = self._raw.read(CHUNK)
        self.compressed += len(data)
        return data

    def chunks(self) -> Iterator[bytes]:
        """The decompressed stream in chunks of at most ``CHUNK`` bytes; at the end the blob has been
        read to its last byte, so its digest (and the diff_id, where asked) is verified."""
        try:
            head = self._read_raw()
            if head.startswith(GZIP_MAGIC):
                self.compression = "gzip"
                produced = self._gzip(head)
            elif head.startswith(ZSTD_MAGIC):
                self.compression = "zstd"
                produced = self._zstd(head)
            else:
                produced = self._plain(head)
            hasher = None
            if self._diff_id is not None:
                algorithm, _ = split_digest(self._diff_id)
                hasher = hashlib.new(algorithm)
            for out in produced:
                if out:
                    self._account(len(out))
                    if hasher is not None:
                        hasher.update(out)
                    yield out
            while self._read_raw():  # the compressed data ended: read the blob to its end
                pass
            if hasher is not None:
                self._check_diff_id(hasher.hexdigest())
        finally:
            self._raw.close()

    def _plain(self, head: bytes) -> Iterator[bytes]:
        data = head
        while data:
            yield data
            data = self._read_raw()

    def _gzip(self, head: bytes) -> Iterator[bytes]:
        d = zlib.decompressobj(zlib.MAX_WBITS | 16)
        data = head
        while True:
            if not data:
                data = self._read_raw()
                if not data:
                    if not d.eof:
                        raise ImageSafetyError(f"{self.what}: gzip stream ends early (truncated layer)")
                    return
            try:
                out = d.decompress(data, CHUNK)
            except zlib.error as exc:
                raise ImageSafetyError(f"{self.what}: gzip data is corrupt: {exc}") from None
            data = d.unconsumed_tail
            yield out
            if d.eof:
                rest = d.unused_data + data
                if not rest.strip(b"\0"):
                    return  # trailing zero padding, or nothing
                # another gzip member follows (RFC 1952 allows several): go on with a new decompressor
                d = zlib.decompressobj(zlib.MAX_WBITS | 16)
                data = rest

    def _zstd(self, head: bytes) -> Iterator[bytes]:
        d = zstandard.ZstdDecompressor().decompressobj()
        data = head
        while True:
            if not data:
                data = self._read_raw()
                if not data:
                    return
            try:
                out = d.decompress(data)
            except zstandard.ZstdError as exc:
                raise ImageSafetyError(f"{self.what}: zstd data is corrupt: {exc}") from None
            data = b""
            yield out
            if d.eof:
                rest = d.unused_data
                if rest.strip(b"\0"):
                    d = zstandard.ZstdDecompressor().decompressobj()  # the next frame
                    data = rest

    def _check_diff_id(self, hexdigest: str) -> None:
        assert self._diff_id is not None
        algorithm, _ = split_digest(self._diff_id)
        actual = f"{algorithm}:{hexdigest}"
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


_END = object()


class Prefetch:
    """Run a chunk generator in a thread, a bounded number of chunks ahead of the reader.

    Decompression (zlib, zstd) and hashing release the GIL, so the thread decompresses the next chunks
    while the reader parses tar headers and writes files: the scan takes about as long as the
    decompression alone.  At most ``depth`` chunks wait (``depth × CHUNK`` bytes of memory).  An
    exception in the generator is raised in the reader; closing stops the thread.
    """

    def __init__(self, chunks: Iterator[bytes], depth: int = 8) -> None:
        self._queue: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(chunks,), daemon=True, name="layer-reader")
        self._thread.start()

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self, chunks: Iterator[bytes]) -> None:
        try:
            for chunk in chunks:
                if not self._put(chunk):
                    return
            self._put(_END)
        except BaseException as exc:  # handed to the reader, raised there
            self._put(exc)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()

    def __iter__(self) -> Iterator[bytes]:
        while True:
            item = self._queue.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]

    def close(self) -> None:
        self._stop.set()
        while self._thread.is_alive():
            with contextlib.suppress(queue.Empty):
                self._queue.get(timeout=0.05)
        self._thread.join()

    def __enter__(self) -> Prefetch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
