"""Scanning the content of one file (or one layer entry) given as a stream of byte chunks.

- **Binary or text, by content**: the first 8 KiB decide.  A byte-order mark or the zero-byte pattern
  of ASCII in UTF-16/UTF-32 makes it text in that encoding; otherwise a zero byte, or more than 30 % of
  control characters, makes it binary and it is skipped (as gitleaks and detect-secrets do).
- **Any encoding**: every other file is decoded as Latin-1, which maps each byte to one character and
  never fails, so invalid UTF-8 is scanned like the rest (secrets are ASCII); UTF-16/32 are decoded with
  an incremental decoder, so a chunk boundary inside a character is harmless.
- **Bounded memory**: chunks of 4 MiB; each window is the previous window's last 16 KiB plus the next
  chunk, and a window reports only the hits that start before its last 16 KiB (which the next window
  scans again), so a secret that straddles two chunks is found once and whole.  A file of any size
  needs a few chunks of memory.  Holes of sparse files are skipped (``SEEK_DATA``); chunks of zero
  bytes are not scanned.
"""

from __future__ import annotations

import codecs
import errno
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from stockade.secrets.engine import Ruleset
from stockade.secrets.model import Hit

CHUNK = 4 * 1024 * 1024
OVERLAP = 16 * 1024
SNIFF = 8192
MAX_HITS = 1000  # per file: past this the file is reported as partly scanned
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 8, 27))
_BINARY_RATIO = 0.30


@dataclass(slots=True)
class ContentResult:
    hits: list[Hit] = field(default_factory=list)
    skipped: str | None = None  # why nothing was scanned ("binary")
    encoding: str = "latin-1"
    truncated: bool = False  # more than MAX_HITS hits


def sniff(head: bytes) -> str | None:
    """The encoding to decode with, or None for a binary file."""
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "utf-32"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    sample = head[:SNIFF]
    if b"\0" in sample:
        n = len(sample) - len(sample) % 4
        if n >= 8:
            evens, odds = sample[0:n:2], sample[1:n:2]
            if not odds.strip(b"\0") and evens.count(0) < len(evens) // 10:
                return "utf-16-le"
            if not evens.strip(b"\0") and odds.count(0) < len(odds) // 10:
                return "utf-16-be"
        return None
    if sample and len(sample.translate(None, _CONTROL)) < len(sample) * (1 - _BINARY_RATIO):
        return None
    return "latin-1"


def _decoded(chunks: Iterator[bytes], encoding: str, first: bytes) -> Iterator[str]:
    if encoding == "latin-1":
        yield first.decode("latin-1")
        for chunk in chunks:
            if chunk.count(0) != len(chunk):
                yield chunk.decode("latin-1")
        return
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    yield decoder.decode(first)
    for chunk in chunks:
        yield decoder.decode(chunk)
    yield decoder.decode(b"", final=True)


def scan_chunks(chunks: Iterable[bytes], ruleset: Ruleset) -> ContentResult:
    """Scan a stream of byte chunks as one file."""
    it = iter(chunks)
    first = b""
    for chunk in it:
        first += chunk
        if len(first) >= SNIFF:
            break
    out = ContentResult()
    if not first:
        return out
    encoding = sniff(first)
    if encoding is None:
        out.skipped = "binary"
        return out
    out.encoding = encoding
    texts = _decoded(it, encoding, first)
    tail = ""
    line_base, offset = 1, 0
    current = next(texts, None)
    while current is not None:
        following = next(texts, None)
        window = tail + current if tail else current
        if following is None:
            out.hits.extend(ruleset.scan(window, line_base=line_base, offset=offset))
            break
        limit = max(0, len(window) - OVERLAP)
        out.hits.extend(ruleset.scan(window, line_base=line_base, offset=offset, limit=limit))
        if len(out.hits) > MAX_HITS:
            out.truncated = True
            break
        line_base += window.count("\n", 0, limit)
        offset += limit
        tail = window[limit:]
        current = following
    if len(out.hits) > MAX_HITS:
        out.hits = out.hits[:MAX_HITS]
        out.truncated = True
    return out


def file_chunks(fd: int, chunk: int = CHUNK) -> Iterator[bytes]:
    """The data of an open file in chunks, jumping over the holes of a sparse file."""
    pos = 0
    seek_data = getattr(os, "SEEK_DATA", None)
    while True:
        if seek_data is not None:
            try:
                data_at = os.lseek(fd, pos, seek_data)
            except OSError as exc:
                if exc.errno == errno.ENXIO:
                    return  # only a hole is left
                seek_data = None  # the filesystem cannot tell: read on
            else:
                pos = data_at
        data = os.pread(fd, chunk, pos)
        if not data:
            return
        pos += len(data)
        yield data


def scan_file(path: str, ruleset: Ruleset, max_size: int | None = None) -> ContentResult:
    """Scan one regular file on this machine (``OSError`` is the caller's to report)."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0))
    try:
        if max_size is not None and os.fstat(fd).st_size > max_size:
            return ContentResult(skipped=f"larger than {max_size} bytes")
        return scan_chunks(file_chunks(fd), ruleset)
    finally:
        os.close(fd)
