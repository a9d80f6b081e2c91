"""rpm header blobs, as every rpm database backend stores them.

Format (rpm ``lib/header.c`` ``headerImport``, the "header structure" of the RPM file format,
https://rpm-software-management.github.io/rpm/manual/format.html): a stored header has no magic, only

* ``il`` — index entry count, int32 big-endian (rpm refuses more than 0xffff),
* ``dl`` — data store size in bytes, int32 big-endian (at most 256 MiB),
* ``il`` index entries of 16 bytes, each ``(tag, type, offset, count)`` big-endian,
* ``dl`` bytes of data; ``offset`` is relative to the start of the data store.

The first entry is normally a region tag (HEADERIMMUTABLE, 63) that encloses the entries signed in the
package; entries that rpm adds on install ("dribbles", e.g. INSTALLTIME) follow it, and rpm lets a
dribble replace a region entry of the same tag — so here a later entry of a tag wins over an earlier one.
A header as found in a ``.rpm`` file (with the 8-byte ``8e ad e8 01`` magic and reserved word) is
accepted too.

Types: CHAR 1, INT8 2, INT16 3, INT32 4, INT64 5, STRING 6 (one NUL-terminated string), BIN 7,
STRING_ARRAY 8 (``count`` NUL-terminated strings), I18NSTRING 9 (``count`` strings, one per locale of
the I18NTABLE; the first is the untranslated "C" text, which is the one used here).
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass
from typing import TypeAlias

#: a whole database file: read into memory, or mapped
ByteSource: TypeAlias = bytes | mmap.mmap

# tags (rpm lib/rpmtag.h)
TAG_NAME = 1000
TAG_VERSION = 1001
TAG_RELEASE = 1002
TAG_EPOCH = 1003
TAG_VENDOR = 1011
TAG_LICENSE = 1014
TAG_ARCH = 1022
TAG_SOURCERPM = 1044
TAG_MODULARITYLABEL = 5096

# types (rpm lib/rpmtag.h rpmTagType_e)
TYPE_INT8 = 2
TYPE_INT16 = 3
TYPE_INT32 = 4
TYPE_INT64 = 5
TYPE_STRING = 6
TYPE_STRING_ARRAY = 8
TYPE_I18NSTRING = 9
_INT_FORMATS = {TYPE_INT8: "B", TYPE_INT16: "H", TYPE_INT32: "I", TYPE_INT64: "Q"}

#: rpm's own limits (lib/header.c hdrchkTags / hdrchkData)
MAX_INDEX_ENTRIES = 0xFFFF
MAX_DATA_SIZE = 256 * 1024 * 1024
HEADER_MAGIC = b"\x8e\xad\xe8\x01"

_STRING_TAGS = (TAG_NAME, TAG_VERSION, TAG_RELEASE, TAG_VENDOR, TAG_LICENSE, TAG_ARCH, TAG_SOURCERPM,
                TAG_MODULARITYLABEL)  # fmt: skip
WANTED_TAGS = frozenset((*_STRING_TAGS, TAG_EPOCH))

_ENTRY = struct.Struct(">iIiI")


class HeaderError(ValueError):
    """A header blob is malformed; the message says where."""


class RpmDBError(ValueError):
    """A whole rpm database cannot be read (any further).  ``unsupported`` marks a valid database of a
    kind or variant this reader does not handle, as opposed to a damaged one."""

    def __init__(self, message: str, *, unsupported: bool = False) -> None:
        super().__init__(message)
        self.unsupported = unsupported


@dataclass(frozen=True, slots=True)
class HeaderInfo:
    """What the cataloger needs from one installed package's header."""

    name: str | None
    version: str | None
    release: str | None
    epoch: int | None
    arch: str | None
    sourcerpm: str | None
    license: str | None
    vendor: str | None
    modularity_label: str | None


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        # headers of old distributions (CentOS 5 era) carry Latin-1 text
        return raw.decode("latin-1")


def _strings(data: bytes, offset: int, count: int) -> list[str]:
    out: list[str] = []
    pos = offset
    for _ in range(count):
        end = data.find(b"\0", pos)
        if end < 0:
            raise HeaderError(f"string at data offset {pos} is not NUL-terminated")
        out.append(_decode(data[pos:end]))
        pos = end + 1
    return out


def read_tags(blob: bytes, wanted: frozenset[int] = WANTED_TAGS) -> dict[int, list[str] | list[int]]:
    """The values of the ``wanted`` tags of a header blob: strings for string types, ints for ints.

    Raises :class:`HeaderError` when the blob is malformed (sizes out of range, an entry pointing
    outside the data store, an unterminated string).
    """
    start = 8 if blob[:4] == HEADER_MAGIC else 0
    if len(blob) < start + 8:
        raise HeaderError(f"header is {len(blob)} bytes, too short for its index and data sizes")
    il, dl = struct.unpack_from(">iI", blob, start)
    if not 0 < il <= MAX_INDEX_ENTRIES:
        raise HeaderError(f"header index count {il} out of range")
    if dl > MAX_DATA_SIZE:
        raise HeaderError(f"header data size {dl} over rpm's limit")
    index_start = start + 8
    data_start = index_start + il * _ENTRY.size
    if data_start + dl > len(blob):
        raise HeaderError(f"header declares {il} entries and {dl} data bytes but is only {len(blob)} bytes")
    data = bytes(blob[data_start : data_start + dl])
    out: dict[int, list[str] | list[int]] = {}
    for i in range(il):
        tag, type_, offset, count = _ENTRY.unpack_from(blob, index_start + i * _ENTRY.size)
        if tag not in wanted:
            continue
        if offset < 0 or offset >= dl or count == 0:
            raise HeaderError(f"tag {tag}: offset {offset} count {count} outside the {dl}-byte data store")
        if type_ in (TYPE_STRING, TYPE_STRING_ARRAY, TYPE_I18NSTRING):
            out[tag] = _strings(data, offset, 1 if type_ == TYPE_STRING else count)
        elif type_ in _INT_FORMATS:
            fmt = f">{count}{_INT_FORMATS[type_]}"
            if offset + struct.calcsize(fmt) > dl:
                raise HeaderError(f"tag {tag}: {count} integers at offset {offset} overrun the data store")
            out[tag] = list(struct.unpack_from(fmt, data, offset))
        else:
            raise HeaderError(f"tag {tag}: unexpected type {type_}")
    return out


def _first_str(tags: dict[int, list[str] | list[int]], tag: int) -> str | None:
    values = tags.get(tag)
    if not values:
        return None
    value = values[0]
    return value if isinstance(value, str) else str(value)


def header_info(blob: bytes) -> HeaderInfo:
    """Parse one stored header (see the module docstring).  Raises :class:`HeaderError`."""
    tags = read_tags(blob)
    epoch_values = tags.get(TAG_EPOCH)
    epoch: int | None = None
    if epoch_values:
        first = epoch_values[0]
        if not isinstance(first, int):
            raise HeaderError(f"EPOCH is a string ({first!r}), expected an integer")
        epoch = first
    return HeaderInfo(
        name=_first_str(tags, TAG_NAME),
        version=_first_str(tags, TAG_VERSION),
        release=_first_str(tags, TAG_RELEASE),
        epoch=epoch,
        arch=_first_str(tags, TAG_ARCH),
        sourcerpm=_first_str(tags, TAG_SOURCERPM),
        license=_first_str(tags, TAG_LICENSE),
        vendor=_first_str(tags, TAG_VENDOR),
        modularity_label=_first_str(tags, TAG_MODULARITYLABEL),
    )


def split_sourcerpm(sourcerpm: str) -> tuple[str, str, str] | None:
    """``name-version-release.src.rpm`` → ``(name, version, release)``; None if it is not of that form.

    Name may contain ``-``; version and release may not (rpm forbids ``-`` in both).
    """
    base = sourcerpm
    for suffix in (".src.rpm", ".nosrc.rpm"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
            break
    else:
        return None
    parts = base.rsplit("-", 2)
    if len(parts) != 3 or not all(parts):
        return None
    return parts[0], parts[1], parts[2]
