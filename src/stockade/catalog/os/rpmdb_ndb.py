"""rpm's own "ndb" package database, ``Packages.db`` (openSUSE / SLE 15.3 and later).

Layout, from rpm ``lib/backend/ndb/rpmpkg.c`` (all integers little-endian u32):

* file header, 32 bytes: magic ``RpmP``, version (0), generation, ``slotnpages``, next package index.
* ``slotnpages`` slot pages of 4096 bytes (the first one starts after the file header): 16-byte slots
  ``Slot`` magic, package index, block offset, block count.  A block offset of 0 is a free slot.
* blobs, addressed in 16-byte blocks: head (``BlbS`` magic, package index, timestamp, blob length),
  the blob (a header, see :mod:`.rpmheader`), zero padding, tail (Adler-32 of everything from the head
  through the padding, blob length, ``BlbE`` magic).  The block count is
  ``ceil((16 + length + 12) / 16)``.

rpm itself refuses the whole database when one slot is bad; here a bad blob is reported and skipped,
and the others are read.  Packages are yielded in block-offset order, as ``rpm -qa`` lists them.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator

from stockade.catalog.os.rpmheader import ByteSource, RpmDBError

FILE_MAGIC = b"RpmP"
SLOT_MAGIC = b"Slot"
BLOB_HEAD_MAGIC = b"BlbS"
BLOB_TAIL_MAGIC = b"BlbE"
VERSION = 0
HEADER_SIZE = 32
PAGE_SIZE = 4096
SLOT_SIZE = 16
BLK_SIZE = 16
BLOB_HEAD = 16
BLOB_TAIL = 12


def _slots(data: ByteSource, slotnpages: int, problems: list[str]) -> list[tuple[int, int, int]]:
    """``(block offset, block count, package index)`` of every used slot."""
    out: list[tuple[int, int, int]] = []
    min_blkoff = slotnpages * (PAGE_SIZE // BLK_SIZE)
    file_blocks = len(data) // BLK_SIZE
    for page in range(slotnpages):
        for off in range(page * PAGE_SIZE + (HEADER_SIZE if page == 0 else 0), (page + 1) * PAGE_SIZE,
                         SLOT_SIZE):  # fmt: skip
            if data[off : off + 4] != SLOT_MAGIC:
                raise RpmDBError(f"slot at byte {off} has no 'Slot' magic: slot pages are damaged")
            pkgidx, blkoff, blkcnt = struct.unpack_from("<III", data, off + 4)
            if not blkoff:
                continue
            if not pkgidx or not blkcnt or blkoff < min_blkoff:
                problems.append(f"slot at byte {off}: invalid entry (package {pkgidx}, block {blkoff})")
            elif blkoff + blkcnt > file_blocks:
                problems.append(f"package {pkgidx}: blob at block {blkoff} is past the end of the file "
                                f"(truncated database)")  # fmt: skip
            else:
                out.append((blkoff, blkcnt, pkgidx))
    out.sort()
    return out


def _blob(data: ByteSource, pkgidx: int, blkoff: int, blkcnt: int) -> bytes | str:
    """The blob of one slot; a string says what is wrong with it."""
    start = blkoff * BLK_SIZE
    end = start + blkcnt * BLK_SIZE
    if data[start : start + 4] != BLOB_HEAD_MAGIC:
        return f"blob at block {blkoff} has no 'BlbS' magic"
    head_idx, _tstamp, length = struct.unpack_from("<III", data, start + 4)
    if head_idx != pkgidx:
        return f"blob at block {blkoff} belongs to package {head_idx}"
    if blkcnt != (BLOB_HEAD + length + BLOB_TAIL + BLK_SIZE - 1) // BLK_SIZE:
        return f"blob length {length} does not fit its {blkcnt} blocks"
    adler, tail_len = struct.unpack_from("<II", data, end - BLOB_TAIL)
    if data[end - 4 : end] != BLOB_TAIL_MAGIC or tail_len != length:
        return f"blob at block {blkoff} has a damaged tail"
    if zlib.adler32(data[start : end - BLOB_TAIL], 1) != adler:
        return f"blob at block {blkoff} fails its Adler-32 check"
    return bytes(data[start + BLOB_HEAD : start + BLOB_HEAD + length])


def iter_records(data: ByteSource, problems: list[str]) -> Iterator[tuple[int, bytes]]:
    """Yield ``(package index, header blob)`` for every package in an ndb ``Packages.db``.

    A damaged blob is described in ``problems`` and skipped; a database whose file header or slot
    pages are damaged raises :class:`RpmDBError`.
    """
    if len(data) < HEADER_SIZE or data[:4] != FILE_MAGIC:
        raise RpmDBError("not an rpm ndb database (no 'RpmP' magic)")
    version, _generation, slotnpages = struct.unpack_from("<III", data, 4)
    if version != VERSION:
        raise RpmDBError(f"ndb version {version} not supported", unsupported=True)
    if slotnpages == 0 or slotnpages * PAGE_SIZE > len(data):
        raise RpmDBError(f"truncated: the header names {slotnpages} slot pages, the file is "
                         f"{len(data)} bytes")  # fmt: skip
    for blkoff, blkcnt, pkgidx in _slots(data, slotnpages, problems):
        blob = _blob(data, pkgidx, blkoff, blkcnt)
        if isinstance(blob, str):
            problems.append(f"package {pkgidx}: {blob}")
        else:
            yield pkgidx, blob
