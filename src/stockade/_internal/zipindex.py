"""A small ZIP reader for catalogers: the end records, the few wanted entries of the central directory,
and the bytes of those entries.  Section numbers are those of PKWARE's APPNOTE.TXT (version 6.3.x).

``zipfile.ZipFile`` builds one ``ZipInfo`` object per entry when it opens an archive; a jar holds
thousands of ``.class`` files and a cataloger wants three or four entries of it.  This module reads the
central directory as one ``bytes`` object and finds the wanted entries in it with C-speed searches:

* **End records** (4.3.16 end of central directory, 4.3.15 ZIP64 locator, 4.3.14 ZIP64 record), found as
  ``zipfile`` finds them: the last 22 bytes when the archive has no comment, else the last ``PK\\5\\6``
  of the last 64 KiB + 22 bytes; the ZIP64 record is taken to lie right before its locator, the locator
  right before the end record.  The central directory is taken to end where the end records start;
  the difference between that and the offset the end record states is data put before the archive (the
  launcher script of an "executable" jar) and is added to every local header offset ("concat").
* **Central directory** (4.3.12: ``PK\\1\\2``, 46 fixed bytes, then name, extra field, comment), read in
  one read of at most ``max_central_directory`` bytes.  A :class:`NameFilter` names the wanted entries:
  ``hint``, a regular expression run over the ASCII-lower-cased directory, and ``wanted``, the exact test
  on a decoded name.  For each match of the hint, the record it lies in is found by searching back for
  ``PK\\1\\2``; that record must end where the next record (or the directory) starts and begin where the
  record before it ends, and the number of ``PK\\1\\2`` in the directory must be the entry count of the
  end record.  A match inside a record's name makes it a candidate; one that lies by chance in the fixed
  fields, the extra field or the comment is passed over.  A match across the start or end of a name,
  any failed check, a ZIP64 or multi-disk end record: the fallback reads every record in turn (correct,
  slower).  A stray or forged signature next to a wanted record is caught; only two or more consistent
  forged records inside one entry, with a forged entry count, could hide a wanted entry from the search
  (``zipfile`` and the JDK would list it).  Names are decoded as UTF-8 when
  general purpose bit 11 is set (4.4.4, appendix D), else as IBM code page 437, and cut at the first NUL,
  as ``zipfile`` does.  Sizes and offsets of ``0xFFFFFFFF`` are taken from the ZIP64 extended information
  extra field (4.5.3).
* **Entry data**: the local file header (4.3.7: ``PK\\3\\4``, 30 fixed bytes, name, extra field) gives
  where the data starts; its name must be the central directory's.  Stored (method 0) and deflated
  (method 8, raw deflate, RFC 1951) data is read in chunks, never more output than the entry's declared
  size (+1 byte to see a lie), and checked against the CRC-32 (4.4.7).  Encrypted entries (bits 0 and 6),
  patched data (bit 5) and other compression methods (4.4.5) are refused.

Every problem raises :class:`ZipIndexError` with a message for the user; ``over_limit`` tells a limit
(the archive may be fine) from a broken or unsupported archive.
"""

from __future__ import annotations

import os
import re
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO, NamedTuple, TypeAlias

from stockade.errors import StockadeError
from stockade.target.fs import human_size

# signatures and fixed sizes of: central file header, local file header, end of central directory
# record, ZIP64 end of central directory record and locator
CEN_SIG, LOC_SIG, EOCD_SIG = b"PK\1\2", b"PK\3\4", b"PK\5\6"
EOCD64_SIG, EOCD64_LOCATOR_SIG = b"PK\6\6", b"PK\6\7"
CEN_SIZE, LOC_SIZE, EOCD_SIZE, EOCD64_SIZE, EOCD64_LOCATOR_SIZE = 46, 30, 22, 56, 20
#: how far before the end ``zipfile`` looks for the end record: the longest comment and the record
END_WINDOW = (1 << 16) + EOCD_SIZE
STORED, DEFLATED = 0, 8
FLAG_ENCRYPTED, FLAG_PATCHED, FLAG_STRONG_ENCRYPTION, FLAG_UTF8 = 0x0001, 0x0020, 0x0040, 0x0800
METHOD_NAMES = {1: "shrink", 6: "implode", 9: "deflate64", 12: "bzip2", 14: "LZMA", 93: "zstd", 95: "xz",
                98: "PPMd", 99: "AE-x encryption"}  # fmt: skip

_FIRST_TAIL = 8192  # first read at the end: the end records, and all of a small central directory
_CHUNK = 1 << 20  # compressed bytes read at a time
_SLACK = 64  # read this much beyond the central extra field, as a guess at the local one
_U32 = 0xFFFFFFFF
_EOCD = struct.Struct("<4s4H2IH")
_LOCATOR = struct.Struct("<4sIQI")
_EOCD64 = struct.Struct("<4sQ2H2I4Q")
_CEN_FIELDS = struct.Struct("<HH4x3I3H8xI")  # from offset 8: flags, method, crc, sizes, lengths, offset
_CEN_LENGTHS = struct.Struct("<3H")  # from offset 28: name, extra field and comment lengths
_LOC_LENGTHS = struct.Struct("<2H")  # from offset 26: name and extra field lengths
_EXTRA_HEADER = struct.Struct("<2H")
_U64 = struct.Struct("<Q")
_ZIP64_EXTRA = 0x0001


class ZipIndexError(StockadeError):
    """A ZIP archive or entry that cannot be read; ``over_limit`` when only a size limit stops it."""

    def __init__(self, message: str, *, over_limit: bool = False) -> None:
        super().__init__(message)
        self.over_limit = over_limit


@dataclass(frozen=True, slots=True)
class NameFilter:
    """Which entries to index.  ``wanted(name)`` decides, on the decoded name.  ``hint`` finds the
    candidates in the ASCII-lower-cased central directory: every wanted name must hold a match of it,
    whatever bytes come before and after the name (so no anchors, and look-arounds only within the
    name).  Other matches are fine: ``wanted`` sorts them out."""

    hint: re.Pattern[bytes]
    wanted: Callable[[str], bool]


class Entry(NamedTuple):
    """One entry of the central directory; ``header_offset`` includes any data before the archive."""

    name: str
    method: int
    flags: int
    crc: int
    compressed_size: int
    size: int
    header_offset: int
    raw_name: bytes


class _End(NamedTuple):
    cd_start: int
    cd_size: int
    concat: int
    entries: int
    plain: bool  # no ZIP64, one disk: fit for the hinted search


class _BytesSource:
    __slots__ = ("data", "size")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.size = len(data)

    def read_at(self, offset: int, n: int) -> bytes:
        return self.data[offset : offset + n] if offset >= 0 else b""


class _FileSource:
    """A file read at offsets: ``pread(2)`` when it has a descriptor (one system call, no buffer)."""

    __slots__ = ("fd", "fh", "size")

    def __init__(self, fh: BinaryIO) -> None:
        self.fh = fh
        self.size = fh.seek(0, os.SEEK_END)
        try:
            self.fd: int | None = fh.fileno()
        except (OSError, ValueError, AttributeError):  # io.UnsupportedOperation is both
            self.fd = None

    def read_at(self, offset: int, n: int) -> bytes:
        if offset < 0 or n <= 0:
            return b""
        if self.fd is not None:
            parts = [os.pread(self.fd, n, offset)]
            got = len(parts[0])
            while 0 < got < n and parts[-1]:  # a short read before the end of the file: go on
                parts.append(os.pread(self.fd, n - got, offset + got))
                got += len(parts[-1])
            return parts[0] if len(parts) == 1 else b"".join(parts)
        self.fh.seek(offset)
        return self.fh.read(n)


_Source: TypeAlias = _BytesSource | _FileSource


def _source(archive: bytes | BinaryIO) -> _Source:
    return _BytesSource(archive) if isinstance(archive, bytes) else _FileSource(archive)


def _not_a_zip(src: _Source) -> ZipIndexError:
    head = src.read_at(0, 4)
    if not head:
        return ZipIndexError("not a zip archive: empty file")
    if head == LOC_SIG:
        return ZipIndexError("truncated zip archive: it starts with a local file header but the "
                             "end-of-central-directory record is missing")  # fmt: skip
    return ZipIndexError(f"not a zip archive: no end-of-central-directory record (starts {head!r})")


def _find_end(src: _Source, max_central_directory: int) -> tuple[_End, bytes, int]:
    """The end records, the bytes read at the end of the file and where they start."""
    size = src.size
    tail_start = size - min(size, _FIRST_TAIL)
    tail = src.read_at(tail_start, size - tail_start)
    if len(tail) >= EOCD_SIZE and tail.startswith(EOCD_SIG, len(tail) - EOCD_SIZE) and tail[-2:] == b"\0\0":
        pos = len(tail) - EOCD_SIZE  # no archive comment: the common case
    else:
        pos = tail.rfind(EOCD_SIG)
        if pos < 0 and tail_start > 0:
            tail_start = size - min(size, END_WINDOW)
            tail = src.read_at(tail_start, size - tail_start)
            pos = tail.rfind(EOCD_SIG)
    if pos < 0 or len(tail) - pos < EOCD_SIZE:
        raise _not_a_zip(src)
    eocd_at = tail_start + pos
    _sig, disk, cd_disk, disk_entries, entries, cd_size, cd_offset, _comment = _EOCD.unpack_from(tail, pos)
    limited_size = cd_size
    zip64 = False

    def before(offset: int, n: int) -> bytes:
        return (
            tail[offset - tail_start : offset - tail_start + n]
            if offset >= tail_start
            else src.read_at(offset, n)
        )

    loc_at = eocd_at - EOCD64_LOCATOR_SIZE
    if loc_at >= 0:
        loc = before(loc_at, EOCD64_LOCATOR_SIZE)
        if loc.startswith(EOCD64_LOCATOR_SIG) and len(loc) == EOCD64_LOCATOR_SIZE:
            _sig, loc_disk, _where, disks = _LOCATOR.unpack(loc)
            if loc_disk != 0 or disks > 1:
                raise ZipIndexError("corrupt zip archive: it spans several disks, which is not supported")
            rec = before(loc_at - EOCD64_SIZE, EOCD64_SIZE) if loc_at >= EOCD64_SIZE else b""
            if rec.startswith(EOCD64_SIG) and len(rec) == EOCD64_SIZE:
                zip64 = True
                (_sig, _len, _made, _need, disk, cd_disk, disk_entries, entries, cd_size,
                 cd_offset) = _EOCD64.unpack(rec)  # fmt: skip
                # 0xFFFFFFFF only says "see the ZIP64 record" (4.4.1.4)
                limited_size = cd_size if limited_size == _U32 else max(limited_size, cd_size)
    if limited_size > max_central_directory:
        raise ZipIndexError(f"central directory of {human_size(limited_size)} is over the "
                            f"{human_size(max_central_directory)} limit", over_limit=True)  # fmt: skip
    cd_start = eocd_at - cd_size - (EOCD64_SIZE + EOCD64_LOCATOR_SIZE if zip64 else 0)
    if cd_start < 0:
        raise ZipIndexError("corrupt zip archive: the central directory would start before the file")
    plain = not zip64 and disk == 0 and cd_disk == 0 and disk_entries == entries
    return _End(cd_start, cd_size, cd_start - cd_offset, entries, plain), tail, tail_start


def _zip64_extra(extra: bytes, name: str, size: int, csize: int, offset: int) -> tuple[int, int, int]:
    """Sizes and offset from the ZIP64 extended information extra field (4.5.3), in its order."""
    pos = 0
    while pos + 4 <= len(extra):
        kind, length = _EXTRA_HEADER.unpack_from(extra, pos)
        body = extra[pos + 4 : pos + 4 + length]
        if len(body) < length:
            raise ZipIndexError(f"corrupt zip archive: extra field {kind:#06x} of {name!r} is cut short")
        if kind == _ZIP64_EXTRA:
            values = [size, csize, offset]
            at = 0
            for i in range(3):
                if values[i] == _U32:
                    if at + 8 > length:
                        raise ZipIndexError(
                            f"corrupt zip archive: ZIP64 extra field of {name!r} is cut short"
                        )
                    values[i] = _U64.unpack_from(body, at)[0]
                    at += 8
            return values[0], values[1], values[2]
        pos += 4 + length
    return size, csize, offset


def _entry(cd: bytes, p: int, concat: int, wanted: Callable[[str], bool]) -> Entry | None:
    """The record at ``p`` as an :class:`Entry` if its name is wanted."""
    flags, method, crc, csize, size, n, m, _k, offset = _CEN_FIELDS.unpack_from(cd, p + 8)
    raw = cd[p + CEN_SIZE : p + CEN_SIZE + n]
    name = raw.decode("utf-8" if flags & FLAG_UTF8 else "cp437", "replace")
    nul = name.find("\0")
    if nul >= 0:
        name = name[:nul]
    if not wanted(name):
        return None
    if _U32 in (csize, size, offset):
        extra = cd[p + CEN_SIZE + n : p + CEN_SIZE + n + m]
        size, csize, offset = _zip64_extra(extra, name, size, csize, offset)
    return Entry(name, method, flags, crc, csize, size, offset + concat, raw)


def _record_end(cd: bytes, p: int) -> int:
    n, m, k = _CEN_LENGTHS.unpack_from(cd, p + 28)
    return int(p + CEN_SIZE + n + m + k)


def _scan_all(cd: bytes, concat: int, wanted: Callable[[str], bool]) -> list[Entry]:
    """Every record in turn (the fallback)."""
    out: list[Entry] = []
    pos, end = 0, len(cd)
    while pos < end:
        if end - pos < CEN_SIZE:
            raise ZipIndexError(f"corrupt zip archive: central directory record at offset {pos} is cut short")
        if not cd.startswith(CEN_SIG, pos):
            raise ZipIndexError(f"corrupt zip archive: no central directory record at offset {pos} "
                                f"(found {cd[pos : pos + 4]!r})")  # fmt: skip
        nxt = _record_end(cd, pos)
        if nxt > end:
            raise ZipIndexError(f"corrupt zip archive: central directory record at offset {pos} is cut short")
        entry = _entry(cd, pos, concat, wanted)
        if entry is not None:
            out.append(entry)
        pos = nxt
    return out


def _chained(cd: bytes, p: int) -> bool:
    """Whether the record at ``p`` ends where the next record (or the directory) starts, and the record
    before it (if any) ends at ``p``."""
    nxt = _record_end(cd, p)
    if nxt > len(cd) or (nxt < len(cd) and not cd.startswith(CEN_SIG, nxt)):
        return False
    q = cd.rfind(CEN_SIG, 0, p)
    if q < 0:
        return p == 0
    return q + CEN_SIZE <= p and _record_end(cd, q) == p


def _scan_hinted(cd: bytes, end: _End, names: NameFilter) -> list[Entry] | None:
    """The wanted records found from the hint's matches; ``None`` if a check fails (see module doc)."""
    if not end.plain or cd.count(CEN_SIG) != end.entries:
        return None
    size = len(cd)
    found: dict[int, Entry | None] = {}  # record offset: entry, in directory order (matches come in order)
    for match in names.hint.finditer(cd.lower()):
        start, stop = match.span()
        p = cd.rfind(CEN_SIG, 0, start)
        if p < 0 or p + CEN_SIZE > size:
            return None
        if p not in found:
            if not _chained(cd, p):
                return None
            found[p] = None
        name_start = p + CEN_SIZE
        name_end = name_start + _CEN_LENGTHS.unpack_from(cd, p + 28)[0]
        if name_start <= start and stop <= name_end:
            if found[p] is None:
                found[p] = _entry(cd, p, end.concat, names.wanted)
        elif stop > name_start and (start < name_end or stop > _record_end(cd, p)):
            return None  # across the start or end of the name, or into the next record
        # else: by chance in the fixed fields, the extra field or the comment
    return [entry for entry in found.values() if entry is not None]


def _check_crc(entry: Entry, data: bytes) -> None:
    crc = zlib.crc32(data)
    if crc != entry.crc:
        raise ZipIndexError(
            f"bad CRC-32 for {entry.name!r}: {crc:08x}, the central directory says {entry.crc:08x}"
        )


class ZipIndex:
    """The wanted entries of one archive, in central-directory order, and a way to read them.

    ``archive`` is the whole archive as ``bytes`` or a seekable binary file (read in pieces, never
    whole).  ``sequential`` tells whether the fallback read every record; ``force_sequential`` makes it
    (for tests and comparisons)."""

    __slots__ = ("_src", "entries", "entry_count", "sequential")

    def __init__(
        self,
        archive: bytes | BinaryIO,
        names: NameFilter,
        *,
        max_central_directory: int,
        force_sequential: bool = False,
    ) -> None:
        self._src = _source(archive)
        end, tail, tail_start = _find_end(self._src, max_central_directory)
        if end.cd_start >= tail_start:
            cd = tail[end.cd_start - tail_start : end.cd_start - tail_start + end.cd_size]
        else:
            cd = self._src.read_at(end.cd_start, end.cd_size)
        if len(cd) < end.cd_size:
            raise ZipIndexError("corrupt zip archive: the central directory is cut short")
        self.entry_count = end.entries
        entries = None if force_sequential else _scan_hinted(cd, end, names)
        self.sequential = entries is None
        self.entries: list[Entry] = _scan_all(cd, end.concat, names.wanted) if entries is None else entries

    def read(self, entry: Entry, limit: int) -> bytes:
        """The entry's data, checked against its CRC-32; never more than ``limit`` bytes."""
        name = entry.name
        if entry.flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION):
            raise ZipIndexError(f"entry {name!r} is encrypted")
        if entry.flags & FLAG_PATCHED:
            raise ZipIndexError(f"entry {name!r} holds patched data (flag bit 5), which is not supported")
        if entry.method not in (STORED, DEFLATED):
            what = METHOD_NAMES.get(entry.method, "unknown")
            raise ZipIndexError(
                f"entry {name!r}: compression method {entry.method} ({what}) is not supported"
            )
        if entry.size > limit:
            raise ZipIndexError(f"entry {name!r} decompresses to {human_size(entry.size)}, over the "
                                f"{human_size(limit)} limit", over_limit=True)  # fmt: skip
        csize = entry.compressed_size
        want = LOC_SIZE + len(entry.raw_name) + _SLACK + (csize if csize <= _CHUNK else 0)
        head = self._src.read_at(entry.header_offset, want)
        if len(head) < LOC_SIZE or not head.startswith(LOC_SIG):
            raise ZipIndexError(f"corrupt zip archive: no local file header for {name!r} at offset "
                                f"{entry.header_offset}")  # fmt: skip
        n, m = _LOC_LENGTHS.unpack_from(head, 26)
        if head[LOC_SIZE : LOC_SIZE + n] != entry.raw_name:
            raise ZipIndexError(f"corrupt zip archive: the local file header of {name!r} names "
                                f"{head[LOC_SIZE : LOC_SIZE + n]!r}")  # fmt: skip
        skip = LOC_SIZE + n + m
        data_at = entry.header_offset + skip
        if entry.method == STORED:
            if csize != entry.size:
                raise ZipIndexError(f"corrupt zip archive: stored entry {name!r} has a compressed size of "
                                    f"{csize} but a size of {entry.size}")  # fmt: skip
            data = (
                head[skip : skip + csize] if len(head) >= skip + csize else self._src.read_at(data_at, csize)
            )
            if len(data) < csize:
                raise ZipIndexError(f"truncated zip archive: the data of {name!r} is cut short")
        else:
            first = head[skip : skip + csize] if len(head) > skip else b""
            data = self._inflate(entry, data_at, first)
        _check_crc(entry, data)
        return data

    def _inflate(self, entry: Entry, data_at: int, first: bytes) -> bytes:
        """Raw deflate data, fed in chunks, never more than the declared size + 1 byte out."""
        size, left_in = entry.size, entry.compressed_size
        d = zlib.decompressobj(-15)
        out: list[bytes] = []
        produced = 0
        pending = first
        read_at = data_at + len(first)
        left_in -= len(first)
        try:
            while True:
                if not pending:
                    if left_in <= 0:
                        tail = d.flush()
                        out.append(tail)
                        produced += len(tail)
                        break
                    pending = self._src.read_at(read_at, min(_CHUNK, left_in))
                    if not pending:
                        raise ZipIndexError(f"truncated zip archive: the data of {entry.name!r} is cut short")
                    read_at += len(pending)
                    left_in -= len(pending)
                piece = d.decompress(pending, size - produced + 1)
                out.append(piece)
                produced += len(piece)
                pending = d.unconsumed_tail
                if d.eof or produced > size:
                    break
        except zlib.error as exc:
            raise ZipIndexError(f"corrupt deflate data in {entry.name!r}: {exc}") from exc
        data = b"".join(out)
        if produced > size:
            _check_crc(entry, data[:size])  # what zipfile, which stops at the declared size, reports
            raise ZipIndexError(f"entry {entry.name!r} decompresses to more than the {size} bytes the "
                                "central directory declares")  # fmt: skip
        if produced < size:
            raise ZipIndexError(f"entry {entry.name!r} decompresses to {produced} bytes, its central "
                                f"directory record declares {size}")  # fmt: skip
        return data


def check_end(archive: bytes | BinaryIO, max_central_directory: int) -> None:
    """Only look at the end records (and the central directory's size); raise what :class:`ZipIndex`
    would raise for them."""
    _find_end(_source(archive), max_central_directory)
