"""Section tables of executables, read from their headers only: ELF, PE/COFF and Mach-O.

Supported:

* ELF, 32 and 64 bit, little and big endian (System V gABI, "Sections"): every section that has bytes
  in the file (``SHT_NOBITS`` such as ``.bss`` is left out), named from ``.shstrtab``; the extended
  numbering for more than 0xff00 sections (``e_shnum == 0`` / ``e_shstrndx == SHN_XINDEX``, the count
  and index then live in section 0) is followed.  An ELF without a section header table (``sstrip``)
  has no sections; that is not an error.
* PE/COFF, PE32 and PE32+ (Microsoft "PE Format"): sections by name, with ``/123`` long names looked
  up in the COFF string table; ``addr`` is ``ImageBase + VirtualAddress``.
* Mach-O, 32 and 64 bit, both byte orders, and universal ("fat") files, of which the first
  architecture is read (``<mach-o/loader.h>``, ``<mach-o/fat.h>``).  Sections are keyed both as
  ``"__DATA,__go_buildinfo"`` (segment, section) and by the bare section name (the first one wins);
  zero-fill sections are left out.

Only headers are read: the ELF header, the section header table and the section name table (three
reads, a few KB, wherever they lie in the file), never a whole file.  Section bytes are read on demand
by :func:`read_section` / :func:`read_at`, with a size limit.  Truncated or inconsistent headers raise
:class:`BinaryFormatError` naming what is wrong; a file that is none of these formats is not an error
(:func:`read_image` returns ``None``).
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from typing import BinaryIO, NamedTuple

from stockade.errors import StockadeError

ELF_MAGIC = b"\x7fELF"
_MACHO_THIN = {
    b"\xfe\xed\xfa\xce": (">", 32),
    b"\xce\xfa\xed\xfe": ("<", 32),
    b"\xfe\xed\xfa\xcf": (">", 64),
    b"\xcf\xfa\xed\xfe": ("<", 64),
}
_FAT_MAGIC = b"\xca\xfe\xba\xbe"  # also the Java class-file magic: told apart by the count that follows
_FAT_MAGIC_64 = b"\xca\xfe\xba\xbf"
_MAX_FAT_ARCHS = 30  # a class file has its major version (>= 45) where a fat file has the count

_SHT_NOBITS = 8
_SHN_XINDEX = 0xFFFF
_SHF_ALLOC = 0x2
#: caps on what header parsing reads: tables larger than this are not from a real executable
_MAX_TABLE = 16 * 1024 * 1024


class BinaryFormatError(StockadeError):
    """An executable's headers are truncated or inconsistent."""


class Section(NamedTuple):
    """Where a section's bytes are: file ``offset``, ``size`` in the file, and virtual ``addr`` (0 for a
    section that is not loaded)."""

    offset: int
    size: int
    addr: int


@dataclass(frozen=True, slots=True)
class Image:
    """What :func:`read_image` learned: the format (``elf``, ``pe``, ``macho``), word size, byte order,
    the sections by name, and the loaded ones as ``(addr, size, offset)`` spans for address lookup."""

    format: str
    bits: int
    big_endian: bool
    sections: dict[str, Section]
    spans: tuple[tuple[int, int, int], ...]
    file_size: int

    def offset_of(self, addr: int, size: int) -> int | None:
        """The file offset of ``size`` bytes at virtual address ``addr``, if one loaded section holds them."""
        for start, length, offset in self.spans:
            if start <= addr and addr + size <= start + length:
                return offset + addr - start
        return None


def sniff(head: bytes) -> str | None:
    """The executable format that the first bytes of a file announce (``elf``, ``pe``, ``macho``), or None."""
    magic = head[:4]
    if magic == ELF_MAGIC:
        return "elf"
    if head[:2] == b"MZ":
        return "pe"
    if magic in _MACHO_THIN:
        return "macho"
    if magic in (_FAT_MAGIC, _FAT_MAGIC_64) and len(head) >= 8:
        count = struct.unpack_from(">I", head, 4)[0]
        return "macho" if 0 < count <= _MAX_FAT_ARCHS else None
    return None


def file_size(fh: BinaryIO) -> int:
    try:
        return os.fstat(fh.fileno()).st_size
    except (OSError, AttributeError, ValueError):
        return fh.seek(0, os.SEEK_END)


def read_exact(fh: BinaryIO, offset: int, size: int, what: str) -> bytes:
    """``size`` bytes at ``offset``; a short read is a :class:`BinaryFormatError` naming ``what``."""
    if offset < 0 or size < 0:
        raise BinaryFormatError(f"{what}: bad offset {offset} or size {size}")
    fh.seek(offset)
    chunks: list[bytes] = []
    want = size
    while want > 0:
        chunk = fh.read(want)
        if not chunk:
            raise BinaryFormatError(
                f"truncated: {what} needs {size} bytes at offset {offset}, the file ends {want} bytes early"
            )
        chunks.append(chunk)
        want -= len(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def read_image(
    fh: BinaryIO, head: bytes | None = None, only: tuple[bytes, ...] | None = None
) -> Image | None:
    """Read the section table of the executable open in ``fh``; ``None`` if it is not ELF, PE or Mach-O.

    ``head`` may hold the first bytes of the file already read (at least 64 for ELF), saving a read.
    ``only``: section names the caller will look up; an ELF file naming none of them comes back with
    no sections, without its section table being decoded.
    """
    size = file_size(fh)
    if head is None or len(head) < 64:
        fh.seek(0)
        head = fh.read(64)
    kind = sniff(head)
    try:
        if kind == "elf":
            return _read_elf(fh, head, size, only)
        if kind == "pe":
            return _read_pe(fh, head, size)
        if kind == "macho":
            return _read_macho(fh, size)
    except struct.error as exc:  # a header field that points past the bytes read for it
        raise BinaryFormatError(f"malformed {kind} headers: {exc}") from exc
    return None


#: the ELF sections stockade's catalogers read (Go build info, cargo-auditable); :func:`image_of` decodes
#: an ELF section table only when it names one of them
CATALOGED_SECTIONS = (b".go.buildinfo", b".dep-v0")

#: section tables already read in this process, by file identity: the Go and Rust catalogers look at
#: the same executables one after the other, and most executables are neither
_IMAGES: dict[tuple[int, int, int, int], Image | None] = {}
_MAX_CACHED = 8192


def image_of(fh: BinaryIO) -> Image | None:
    """:func:`read_image` of an open file, remembered by (device, inode, mtime, size) so that a second
    cataloger looking at the same executable does not read its headers again.  Errors are not
    remembered: each caller sees them."""
    try:
        st = os.fstat(fh.fileno())
    except (OSError, ValueError):  # not a real file (bytes in memory): nothing to remember it by
        fh.seek(0)
        return read_image(fh, fh.read(64), CATALOGED_SECTIONS)
    key = (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)
    if key in _IMAGES:
        return _IMAGES[key]
    fh.seek(0)
    image = read_image(fh, fh.read(64), CATALOGED_SECTIONS)
    if len(_IMAGES) >= _MAX_CACHED:
        _IMAGES.clear()
    _IMAGES[key] = image
    return image


def read_section(fh: BinaryIO, image: Image, name: str, *, limit: int) -> bytes | None:
    """The bytes of section ``name``, or None if there is none; over ``limit`` bytes is an error."""
    sec = image.sections.get(name)
    if sec is None:
        return None
    if sec.size > limit:
        raise BinaryFormatError(f"section {name} is {sec.size} bytes, over the {limit}-byte limit")
    return read_exact(fh, sec.offset, sec.size, f"section {name}")


def read_at(fh: BinaryIO, image: Image, addr: int, size: int, what: str) -> bytes:
    """``size`` bytes at virtual address ``addr``."""
    offset = image.offset_of(addr, size)
    if offset is None:
        raise BinaryFormatError(f"{what}: address {addr:#x} (+{size}) is in no loaded section")
    return read_exact(fh, offset, size, what)


def _check_span(offset: int, size: int, total: int, what: str) -> None:
    if offset + size > total:
        raise BinaryFormatError(
            f"truncated: {what} at offset {offset} ({size} bytes) runs past the end of the file "
            f"({total} bytes)"
        )


def _cstr(table: bytes, start: int) -> str:
    if start >= len(table):
        raise BinaryFormatError(f"section name offset {start} is outside the name table ({len(table)} bytes)")
    end = table.find(b"\x00", start)
    return table[start : end if end >= 0 else len(table)].decode("latin-1")


# -- ELF -------------------------------------------------------------------------------------------
def _read_elf(fh: BinaryIO, head: bytes, size: int, only: tuple[bytes, ...] | None = None) -> Image:
    if len(head) < 52:
        raise BinaryFormatError(f"truncated: ELF header needs 52 bytes, the file has {len(head)}")
    cls, data = head[4], head[5]
    if cls not in (1, 2) or data not in (1, 2):
        raise BinaryFormatError(f"not a valid ELF header: class {cls}, data encoding {data}")
    e = "<" if data == 1 else ">"
    bits = 32 if cls == 1 else 64
    if bits == 64:
        if len(head) < 64:
            raise BinaryFormatError(f"truncated: ELF64 header needs 64 bytes, the file has {len(head)}")
        shoff = struct.unpack_from(e + "Q", head, 40)[0]
        shentsize, shnum, shstrndx = struct.unpack_from(e + "HHH", head, 58)
        entry_fmt, min_entsize = e + "IIQQQQIIQQ", 64
    else:
        shoff = struct.unpack_from(e + "I", head, 32)[0]
        shentsize, shnum, shstrndx = struct.unpack_from(e + "HHH", head, 46)
        entry_fmt, min_entsize = e + "IIIIIIIIII", 40
    if shoff == 0:
        return Image("elf", bits, e == ">", {}, (), size)  # no section header table: nothing to name
    if shentsize < min_entsize:
        raise BinaryFormatError(f"ELF section header entry size {shentsize} is below {min_entsize}")
    if shnum == 0 or shstrndx == _SHN_XINDEX:  # extended numbering: the real values are in section 0
        _check_span(shoff, shentsize, size, "ELF section header 0")
        first = struct.unpack_from(entry_fmt, read_exact(fh, shoff, shentsize, "ELF section header 0"))
        shnum = shnum or first[5]
        if shstrndx == _SHN_XINDEX:
            shstrndx = first[6]
    table_size = shnum * shentsize
    if table_size > _MAX_TABLE:
        raise BinaryFormatError(f"ELF section header table of {shnum} entries is implausibly large")
    _check_span(shoff, table_size, size, f"ELF section header table ({shnum} entries)")
    raw = read_exact(fh, shoff, table_size, "ELF section header table")
    rows = [struct.unpack_from(entry_fmt, raw, i * shentsize) for i in range(shnum)]
    if shstrndx >= shnum:
        raise BinaryFormatError(f"ELF section name table index {shstrndx} is outside the {shnum} sections")
    _, _, _, _, str_off, str_size, *_ = rows[shstrndx]
    if str_size > _MAX_TABLE:
        raise BinaryFormatError(f"ELF section name table of {str_size} bytes is implausibly large")
    _check_span(str_off, str_size, size, "ELF section name table")
    names = read_exact(fh, str_off, str_size, "ELF section name table")
    if only is not None and not any(want in names for want in only):
        # none of the sections the caller reads is named here (a name table may share suffixes, so
        # this looks for the name anywhere): skip decoding every section of a file that has none
        return Image("elf", bits, e == ">", {}, (), size)
    sections: dict[str, Section] = {}
    spans: list[tuple[int, int, int]] = []
    for index, (name_off, sh_type, flags, addr, offset, sec_size, *_) in enumerate(rows):
        if index == 0 or sh_type == _SHT_NOBITS:
            continue
        name = _cstr(names, name_off)
        _check_span(offset, sec_size, size, f"ELF section {name or index}")
        sections.setdefault(name, Section(offset, sec_size, addr))
        if flags & _SHF_ALLOC and addr:
            spans.append((addr, sec_size, offset))
    return Image("elf", bits, e == ">", sections, tuple(spans), size)


# -- PE/COFF ---------------------------------------------------------------------------------------
def _read_pe(fh: BinaryIO, head: bytes, size: int) -> Image | None:
    if len(head) < 64:
        raise BinaryFormatError("truncated: DOS header needs 64 bytes")
    pe_off = struct.unpack_from("<I", head, 0x3C)[0]
    if pe_off + 24 > size:
        return None  # a DOS program (or something else starting with MZ), not PE
    coff = read_exact(fh, pe_off, 24, "PE header")
    if coff[:4] != b"PE\x00\x00":
        return None
    nsects, symtab, nsyms, opt_size = struct.unpack_from("<H4xIIH", coff, 6)
    opt = read_exact(fh, pe_off + 24, opt_size, "PE optional header") if opt_size else b""
    if len(opt) < 2:
        raise BinaryFormatError("PE optional header is missing")
    magic = struct.unpack_from("<H", opt, 0)[0]
    if magic == 0x20B and len(opt) >= 32:
        bits, image_base = 64, struct.unpack_from("<Q", opt, 24)[0]
    elif magic == 0x10B and len(opt) >= 32:
        bits, image_base = 32, struct.unpack_from("<I", opt, 28)[0]
    else:
        raise BinaryFormatError(f"PE optional header magic {magic:#x} is neither PE32 nor PE32+")
    table_off = pe_off + 24 + opt_size
    _check_span(table_off, nsects * 40, size, f"PE section table ({nsects} entries)")
    raw = read_exact(fh, table_off, nsects * 40, "PE section table")
    strtab: bytes | None = None
    sections: dict[str, Section] = {}
    spans: list[tuple[int, int, int]] = []
    for i in range(nsects):
        rawname, vsize, vaddr, rawsize, rawptr = struct.unpack_from("<8sIIII", raw, i * 40)
        name = rawname.rstrip(b"\x00").decode("latin-1")
        if name.startswith("/") and name[1:].isdigit():
            if strtab is None:
                strtab = _coff_strings(fh, symtab, nsyms, size)
            name = _cstr(strtab, int(name[1:])) if strtab else name
        if rawptr == 0 or rawsize == 0:
            continue  # uninitialised data: no bytes in the file
        length = min(vsize, rawsize) if vsize else rawsize
        _check_span(rawptr, length, size, f"PE section {name}")
        sections.setdefault(name, Section(rawptr, length, image_base + vaddr))
        spans.append((image_base + vaddr, length, rawptr))
    return Image("pe", bits, False, sections, tuple(spans), size)


def _coff_strings(fh: BinaryIO, symtab: int, nsyms: int, size: int) -> bytes:
    if symtab == 0:
        return b""
    start = symtab + nsyms * 18
    if start + 4 > size:
        raise BinaryFormatError("truncated: COFF string table is past the end of the file")
    length = struct.unpack("<I", read_exact(fh, start, 4, "COFF string table size"))[0]
    if length > _MAX_TABLE:
        raise BinaryFormatError(f"COFF string table of {length} bytes is implausibly large")
    _check_span(start, length, size, "COFF string table")
    return read_exact(fh, start, length, "COFF string table")


# -- Mach-O ----------------------------------------------------------------------------------------
_LC_SEGMENT, _LC_SEGMENT_64 = 0x1, 0x19
_ZEROFILL = {0x1, 0xC, 0x12}  # S_ZEROFILL, S_GB_ZEROFILL, S_THREAD_LOCAL_ZEROFILL


def _read_macho(fh: BinaryIO, size: int) -> Image:
    base = 0
    head = read_exact(fh, 0, 8, "Mach-O header")
    if head[:4] in (_FAT_MAGIC, _FAT_MAGIC_64):
        # universal file: every architecture carries the same build metadata; read the first one
        wide = head[:4] == _FAT_MAGIC_64
        entry = read_exact(fh, 8, 32 if wide else 20, "Mach-O universal header")
        base, length = struct.unpack_from(">QQ" if wide else ">II", entry, 8)
        _check_span(base, length, size, "Mach-O universal slice")
    head = read_exact(fh, base, 32, "Mach-O header")
    if head[:4] not in _MACHO_THIN:
        raise BinaryFormatError(f"Mach-O slice at offset {base} does not start with a Mach-O magic")
    e, bits = _MACHO_THIN[head[:4]]
    ncmds, cmds_size = struct.unpack_from(e + "II", head, 16)
    header_size = 32 if bits == 64 else 28
    if cmds_size > _MAX_TABLE:
        raise BinaryFormatError(f"Mach-O load commands of {cmds_size} bytes are implausibly large")
    _check_span(base + header_size, cmds_size, size, "Mach-O load commands")
    cmds = read_exact(fh, base + header_size, cmds_size, "Mach-O load commands")
    sections: dict[str, Section] = {}
    spans: list[tuple[int, int, int]] = []
    pos = 0
    for _ in range(ncmds):
        if pos + 8 > len(cmds):
            raise BinaryFormatError(f"Mach-O load command {pos} runs past the load command area")
        cmd, cmdsize = struct.unpack_from(e + "II", cmds, pos)
        if cmdsize < 8 or pos + cmdsize > len(cmds):
            raise BinaryFormatError(f"Mach-O load command at {pos} has a bad size {cmdsize}")
        if cmd in (_LC_SEGMENT, _LC_SEGMENT_64):
            wide = cmd == _LC_SEGMENT_64
            seg_fmt, sect_fmt = (e + "16s4Q2iII", e + "16s16sQQIIIIIIII") if wide else (
                e + "16s4I2iII", e + "16s16sIIIIIIIII")  # fmt: skip
            at = pos + 8 + struct.calcsize(seg_fmt)
            if at > pos + cmdsize:
                raise BinaryFormatError(f"Mach-O segment command at {pos} is shorter than a segment header")
            nsects = struct.unpack_from(seg_fmt, cmds, pos + 8)[7]
            step = struct.calcsize(sect_fmt)
            if at + nsects * step > pos + cmdsize:
                raise BinaryFormatError(f"Mach-O segment command at {pos} lists more sections than it holds")
            for i in range(nsects):
                sect, seg, addr, sec_size, offset, _, _, _, flags, *_ = struct.unpack_from(
                    sect_fmt, cmds, at + i * step)  # fmt: skip
                if flags & 0xFF in _ZEROFILL or offset == 0:
                    continue
                sname = sect.rstrip(b"\x00").decode("latin-1")
                full = seg.rstrip(b"\x00").decode("latin-1") + "," + sname
                _check_span(base + offset, sec_size, size, f"Mach-O section {full}")
                entry_ = Section(base + offset, sec_size, addr)
                sections.setdefault(full, entry_)
                sections.setdefault(sname, entry_)
                spans.append((addr, sec_size, base + offset))
        pos += cmdsize
    return Image("macho", bits, e == ">", sections, tuple(spans), size)
