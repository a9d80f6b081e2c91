"""rpm's Berkeley DB ``Packages`` database (RHEL/CentOS ≤ 8, SUSE < 15.3, Amazon Linux 2), read directly.

``Packages`` is a Berkeley DB *hash* database (libdb ``src/dbinc/db_page.h``, ``hash.h``): the key of
each record is the header instance number (a 4-byte integer in the writer's byte order; instance 0 is
rpm's own bookkeeping record and is skipped), the value is a header blob (see :mod:`.rpmheader`).

Layout:

* page 0 is the hash metadata page (``HMETA``): magic ``0x061561`` at byte 12 (its byte order tells the
  file's byte order), hash version at 16, page size at 20, encryption algorithm at 24, page type 8 at 25,
  meta flags at 26, last page number at 32.
* every page starts with a 26-byte header: LSN 0-7, pgno 8, prev_pgno 12, next_pgno 16, ``entries``
  (u16) 20, ``hf_offset`` (u16) 22, level 24, type 25.
* hash pages (type 13 ``P_HASH``, or 2 ``P_HASH_UNSORTED`` before libdb 4.6) hold ``entries`` u16 item
  offsets right after the header, alternately key and data.  The length of item ``i`` is
  ``(i == 0 ? pagesize : inp[i - 1]) - inp[i]`` (``LEN_HITEM``).  The first byte of an item is its type:
  ``H_KEYDATA`` 1 (the bytes follow), ``H_OFFPAGE`` 3 (3 unused bytes, u32 first overflow page, u32
  total length); duplicates (2, 4) and blobs (5) are not used by rpm.
* overflow pages (type 7 ``P_OVERFLOW``) hold ``hf_offset`` bytes of the value after the header and
  chain through ``next_pgno`` (0 ends the chain).

Every hash page is visited in file order (free pages have type 0 and are skipped), so no hashing is
needed.  Databases with page checksums or encryption are reported as unsupported.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

from stockade.catalog.os.rpmheader import ByteSource, RpmDBError

HASH_MAGIC = 0x061561
BTREE_MAGIC = 0x053162
HASH_VERSIONS = frozenset({7, 8, 9, 10})
P_HASH_UNSORTED = 2
P_OVERFLOW = 7
P_HASHMETA = 8
P_HASH = 13
H_KEYDATA = 1
H_OFFPAGE = 3
PAGE_HEADER = 26
DBMETA_CHKSUM = 0x01
META_SIZE = 72
PAGE_SIZES = frozenset(1 << n for n in range(9, 17))


def _byte_order(data: ByteSource) -> str:
    if len(data) < META_SIZE:
        raise RpmDBError(f"{len(data)} bytes, too short for a Berkeley DB metadata page")
    for order in ("<", ">"):
        (magic,) = struct.unpack_from(order + "I", data, 12)
        if magic == HASH_MAGIC:
            return order
        if magic == BTREE_MAGIC:
            raise RpmDBError("a Berkeley DB btree, not the hash database rpm uses", unsupported=True)
    raise RpmDBError("not a Berkeley DB hash database (bad magic)")


def iter_records(data: ByteSource, problems: list[str]) -> Iterator[tuple[int, bytes]]:
    """Yield ``(instance, header blob)`` for every record of a ``Packages`` hash database.

    A record that cannot be read is described in ``problems`` and skipped; a database that cannot be
    read at all (or any further) raises :class:`RpmDBError` — the records already yielded stand.
    """
    order = _byte_order(data)
    version, pagesize, enc_alg, ptype, metaflags = struct.unpack_from(order + "IIBBB", data, 16)
    (last_pgno,) = struct.unpack_from(order + "I", data, 32)
    if ptype != P_HASHMETA:
        raise RpmDBError(f"metadata page has type {ptype}, expected {P_HASHMETA} (hash metadata)")
    if version not in HASH_VERSIONS:
        raise RpmDBError(f"Berkeley DB hash version {version} not supported", unsupported=True)
    if pagesize not in PAGE_SIZES:
        raise RpmDBError(f"invalid page size {pagesize}")
    if enc_alg:
        raise RpmDBError("encrypted Berkeley DB not supported", unsupported=True)
    if metaflags & DBMETA_CHKSUM:
        raise RpmDBError("Berkeley DB with page checksums not supported", unsupported=True)
    npages = last_pgno + 1
    available = len(data) // pagesize
    u16 = struct.Struct(order + "H")
    u32 = struct.Struct(order + "I")
    for pgno in range(1, min(npages, available)):
        base = pgno * pagesize
        if data[base + 25] not in (P_HASH, P_HASH_UNSORTED):
            continue
        (entries,) = u16.unpack_from(data, base + 20)
        if entries % 2 or PAGE_HEADER + 2 * entries > pagesize:
            problems.append(f"page {pgno}: {entries} items, expected key/data pairs that fit the page")
            continue
        offsets = struct.unpack_from(f"{order}{entries}H", data, base + PAGE_HEADER)
        for i in range(0, entries, 2):
            key_off, val_off = offsets[i], offsets[i + 1]
            key_end = pagesize if i == 0 else offsets[i - 1]
            if not PAGE_HEADER < val_off < key_off < key_end <= pagesize:
                problems.append(f"page {pgno}: item {i} has offsets out of order")
                continue
            if data[base + key_off] != H_KEYDATA:
                problems.append(f"page {pgno}: item {i}: key of type {data[base + key_off]}, expected 1")
                continue
            key = data[base + key_off + 1 : base + key_end]
            instance = u32.unpack(key)[0] if len(key) == 4 else -1
            if instance == 0:
                continue  # rpm's record of the next free instance number
            kind = data[base + val_off]
            if kind == H_KEYDATA:
                yield instance, bytes(data[base + val_off + 1 : base + key_off])
            elif kind == H_OFFPAGE:
                if key_off - val_off < 12:
                    problems.append(f"record {instance} (page {pgno}): off-page item is too short")
                    continue
                first, total = struct.unpack_from(order + "II", data, base + val_off + 4)
                value = _overflow(data, pagesize, order, first, total, min(npages, available))
                if isinstance(value, str):
                    problems.append(f"record {instance} (page {pgno}): {value}")
                else:
                    yield instance, value
            else:
                problems.append(f"record {instance} (page {pgno}): value item of unsupported type {kind}")
    if available < npages:
        raise RpmDBError(f"truncated: the metadata names {npages} pages of {pagesize} bytes, "
                         f"the file holds {len(data) // pagesize}")  # fmt: skip


def _overflow(data: ByteSource, pagesize: int, order: str, pgno: int, total: int, npages: int) -> bytes | str:
    """The value stored on the overflow chain starting at ``pgno``; a string says what is wrong."""
    parts: list[bytes] = []
    got = 0
    seen: set[int] = set()
    while pgno:
        if pgno >= npages:
            return f"overflow page {pgno} is past the end of the file"
        if pgno in seen:
            return f"overflow chain loops at page {pgno}"
        seen.add(pgno)
        base = pgno * pagesize
        if data[base + 25] != P_OVERFLOW:
            return f"page {pgno} has type {data[base + 25]}, expected an overflow page"
        next_pgno, _entries, used = struct.unpack_from(order + "IHH", data, base + 16)
        if used > pagesize - PAGE_HEADER:
            return f"overflow page {pgno} claims {used} bytes"
        parts.append(data[base + PAGE_HEADER : base + PAGE_HEADER + used])
        got += used
        if got > total:
            break
        pgno = next_pgno
    if got != total:
        return f"overflow chain holds {got} bytes, expected {total}"
    return b"".join(parts)
