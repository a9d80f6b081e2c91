"""The ZIP central-directory reader behind the Java cataloger, checked against ``zipfile``.

Every jar Debian ships (/usr/share/java, /usr/share/maven/lib) and every archive the Java tests build
with the JDK's ``jar`` tool is indexed both ways (the hinted search and the record-by-record fallback)
and must give the entries ``zipfile`` lists, and the same bytes.  Archives written here by hand
(:func:`build_zip`, APPNOTE.TXT 4.3.7 / 4.3.12 / 4.3.14-16) cover what real jars rarely have: ZIP64 end
records and extra fields, data before the archive, long comments, signatures inside names and extra
fields, NUL and non-ASCII names, and every kind of broken or refused entry.
"""

from __future__ import annotations

import io
import random
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from stockade._internal.zipindex import Entry, NameFilter, ZipIndex, ZipIndexError, check_end
from stockade.catalog.lang.java import JAVA_ENTRIES, _wanted
from tests.catalog.lang_java.test_java import built, real_jars

__all__ = ["built"]  # the fixture, imported to be used here

BIG = 1 << 30
CLASSES = NameFilter(hint=re.compile(rb"\.class"), wanted=lambda name: name.endswith(".class"))


# -- a hand-written ZIP writer, to make what zipfile will not -------------------------------------------
@dataclass
class Member:
    name: bytes
    data: bytes = b""
    method: int = zipfile.ZIP_DEFLATED
    flags: int = 0
    crc: int | None = None  # what the headers say, when it is a lie
    size: int | None = None
    compressed: bytes | None = None  # the bytes stored, when not the data compressed
    central_extra: bytes = b""
    local_extra: bytes = b""
    comment: bytes = b""
    local_name: bytes | None = None


def raw_deflate(data: bytes) -> bytes:
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def build_zip(
    members: list[Member],
    *,
    prefix: bytes = b"",
    comment: bytes = b"",
    zip64: bool = False,
    entry_count: int | None = None,
    disks: int = 1,
) -> bytes:
    """Local headers and data, the central directory, ZIP64 end records when ``zip64`` (then every size
    and offset of the central directory is 0xFFFFFFFF and given in a ZIP64 extra field), the end record.
    Offsets count from the start of the archive, not of ``prefix``, as a launcher script leaves them."""
    body, central = bytearray(), bytearray()
    for m in members:
        comp = m.compressed if m.compressed is not None else raw_deflate(m.data) if m.method == 8 else m.data
        crc = zlib.crc32(m.data) if m.crc is None else m.crc
        size = len(m.data) if m.size is None else m.size
        local_name = m.name if m.local_name is None else m.local_name
        offset = len(body)
        body += struct.pack("<4s5H3I2H", b"PK\3\4", 20, m.flags, m.method, 0, 0x21, crc, len(comp),
                            size, len(local_name), len(m.local_extra))  # fmt: skip
        body += local_name + m.local_extra + comp
        extra, fields = m.central_extra, (len(comp), size, offset)
        if zip64:
            extra = struct.pack("<2H3Q", 1, 24, size, len(comp), offset) + extra
            fields = (0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF)
        central += struct.pack("<4s6H3I5H2I", b"PK\1\2", 45, 45, m.flags, m.method, 0, 0x21, crc,
                               fields[0], fields[1], len(m.name), len(extra), len(m.comment), 0, 0, 0,
                               fields[2])  # fmt: skip
        central += m.name + extra + m.comment
    count = len(members) if entry_count is None else entry_count
    out = bytearray(prefix + body + central)
    cd_size, cd_offset = len(central), len(body)
    if zip64:
        out += struct.pack("<4sQ2H2I4Q", b"PK\6\6", 44, 45, 45, 0, 0, count, count, cd_size, cd_offset)
        out += struct.pack("<4sIQI", b"PK\6\7", 0, cd_offset + cd_size, disks)
        count, cd_size, cd_offset = 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF
    out += struct.pack("<4s4H2IH", b"PK\5\6", 0, 0, count, count, cd_size, cd_offset, len(comment)) + comment
    return bytes(out)


# -- comparing with zipfile ----------------------------------------------------------------------------
def expected(zf: zipfile.ZipFile, wanted: Callable[[str], bool]) -> list[tuple[object, ...]]:
    return [(i.filename, i.compress_type, i.flag_bits, i.CRC, i.compress_size, i.file_size, i.header_offset)
            for i in zf.infolist() if wanted(i.filename)]  # fmt: skip


def listed(zi: ZipIndex) -> list[tuple[object, ...]]:
    return [
        (e.name, e.method, e.flags, e.crc, e.compressed_size, e.size, e.header_offset) for e in zi.entries
    ]


def same_as_zipfile(
    data: bytes, names: NameFilter = JAVA_ENTRIES, *, read: bool = True
) -> tuple[ZipIndex, ZipIndex]:
    """Index ``data`` (as bytes and as a file; hinted and sequential): the entries and their bytes must
    be zipfile's.  Returns the hinted and the sequential index."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        want = expected(zf, names.wanted)
        contents = [zf.read(i) for i in zf.infolist() if names.wanted(i.filename)] if read else []
    hinted = ZipIndex(data, names, max_central_directory=BIG)
    sequential = ZipIndex(data, names, max_central_directory=BIG, force_sequential=True)
    from_file = ZipIndex(io.BytesIO(data), names, max_central_directory=BIG)
    assert sequential.sequential
    for zi in (hinted, sequential, from_file):
        assert listed(zi) == want
        if read:
            assert [zi.read(e, BIG) for e in zi.entries] == contents
    return hinted, sequential


def archives_here(built: Path) -> list[Path]:
    """The archives under the target tree and the libraries and war they were built from."""
    found = sorted(p for p in built.parent.rglob("*") if p.suffix in (".jar", ".war", ".ear"))
    assert len(found) >= 12
    return found


# -- real archives -------------------------------------------------------------------------------------
def test_debian_jars_match_zipfile() -> None:
    jars = real_jars()
    if not jars:
        pytest.skip("no jars in /usr/share/java or /usr/share/maven/lib (Debian's maven package)")
    hinted = 0
    for jar in jars:
        data = jar.read_bytes()
        zi, _ = same_as_zipfile(data)
        hinted += not zi.sequential
        same_as_zipfile(data, CLASSES, read=False)  # hundreds of matches per jar
    assert hinted >= len(jars) * 9 // 10  # the fast path is the common one


def test_built_archives_match_zipfile(built: Path) -> None:
    for path in archives_here(built):
        data = path.read_bytes()
        zi, _ = same_as_zipfile(data)
        assert not zi.sequential, path
        assert zi.entries, path
        same_as_zipfile(data, CLASSES)
        with zipfile.ZipFile(path) as zf:  # the nested archives, in memory
            for info in zf.infolist():
                if info.filename.endswith((".jar", ".war")):
                    same_as_zipfile(zf.read(info))


# -- entries and how they are stored -------------------------------------------------------------------
MANIFEST = b"Manifest-Version: 1.0\r\nCreated-By: test\r\n\r\n"
POM = b"groupId=g\nartifactId=a\nversion=1\n"


def test_stored_deflated_empty_and_large_entries() -> None:
    large = random.Random(0).randbytes(3 << 20)  # does not compress
    members = [
        Member(b"META-INF/MANIFEST.MF", MANIFEST),
        Member(b"META-INF/maven/g/a/pom.properties", POM, method=0),
        Member(b"META-INF/maven/g/a/pom.xml", b""),
        Member(b"lib/empty.jar", b"", method=0),
        Member(b"com/example/A.class", b"\xca\xfe\xba\xbe" * 10),
        Member(b"lib/large.jar", large),
    ]
    data = build_zip(members)
    assert len(data) > 2 << 20  # more than one chunk of compressed data
    hinted, _ = same_as_zipfile(data)
    assert not hinted.sequential
    assert [e.name for e in hinted.entries] == [m.name.decode() for m in members if _wanted(m.name.decode())]


def test_data_before_the_archive_and_long_comment() -> None:
    """A launcher script before an executable jar (offsets count from the archive), and a comment longer
    than the first read at the end of the file."""
    members = [Member(b"META-INF/MANIFEST.MF", MANIFEST), Member(b"lib/x.jar", b"PK")]
    data = build_zip(members, prefix=b'#!/bin/sh\nexec java -jar "$0"\n' * 10, comment=b"c" * 20000)
    hinted, _ = same_as_zipfile(data)
    assert not hinted.sequential and len(hinted.entries) == 2


def test_zip64_end_records_and_extra_field() -> None:
    members = [
        Member(b"META-INF/MANIFEST.MF", MANIFEST),
        Member(b"a/B.class", b"x"),
        Member(b"lib/y.war", b"y"),
    ]
    data = build_zip(members, zip64=True)
    hinted, _ = same_as_zipfile(data)
    assert hinted.sequential  # ZIP64: read record by record
    # the 32-bit size field only says "see the ZIP64 record": the real size is measured
    check_end(data, 1000)
    with pytest.raises(ZipIndexError, match="spans several disks"):
        ZipIndex(build_zip(members, zip64=True, disks=2), JAVA_ENTRIES, max_central_directory=BIG)


def test_zip64_written_by_zipfile() -> None:
    """More than 65535 entries: zipfile writes ZIP64 end records."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for i in range(66000):
            zf.writestr(f"c/C{i}.class", b"")
        zf.writestr("META-INF/MANIFEST.MF", MANIFEST)
        zf.writestr("BOOT-INF/lib/z.jar", b"PK")
    data = buf.getvalue()
    assert data[-98:-94] == b"PK\6\6"
    hinted, _ = same_as_zipfile(data)
    assert hinted.sequential and hinted.entry_count == 66002
    assert [e.name for e in hinted.entries] == ["META-INF/MANIFEST.MF", "BOOT-INF/lib/z.jar"]


def test_names_as_zipfile_decodes_them() -> None:
    """UTF-8 (flag bit 11) and code page 437 names, a NUL (zipfile cuts the name there), and a KELVIN
    SIGN, which str.lower() makes a "k": ``x.\\u212aar`` is a .kar archive to the cataloger."""
    members = [
        Member("lib/ünïcödé.jar".encode(), b"1", flags=0x800),
        Member("lib/ünï.jar".encode("cp437"), b"2"),
        Member(b"META-INF/MANIFEST.MF\0hidden", MANIFEST),
        Member("lib/x.\u212aar".encode(), b"3", flags=0x800),
        Member(b"Meta-Inf/Manifest.MF", MANIFEST),
    ]
    hinted, _ = same_as_zipfile(build_zip(members))
    assert not hinted.sequential
    assert [e.name for e in hinted.entries] == [
        "lib/ünïcödé.jar", "lib/ünï.jar", "META-INF/MANIFEST.MF", "lib/x.\u212aar", "Meta-Inf/Manifest.MF",
    ]  # fmt: skip


# -- look-alikes: the hinted search must never be fooled ------------------------------------------------
def fake_header(name_length: int) -> bytes:
    """46 bytes that look like a central directory record whose name is ``name_length`` bytes long."""
    return struct.pack("<4s6H3I5H2I", b"PK\1\2", 20, 20, 0, 0, 0, 0, 0, 1, 1, name_length, 0, 0, 0, 0, 0, 0)


@pytest.mark.parametrize("forge_count", [False, True])
@pytest.mark.parametrize(
    "members",
    [
        # a signature inside a wanted name
        [Member(b"a/A.class", b"a"), Member(b"lib/PK\1\2-in-name.jar", b"x")],
        # a whole fake record inside a wanted name, its "name" ending where the real one ends
        [Member(b"a/A.class", b"a"), Member(b"lib/" + fake_header(9) + b"lib/a.jar", b"x")],
        # a signature in the extra field of the record before a wanted one
        [Member(b"a/A.class", b"a", central_extra=b"\xfe\xca\4\0PK\1\2"), Member(b"lib/b.jar", b"x")],
        # a signature in the comment of a wanted record
        [Member(b"lib/c.jar", b"x", comment=b"see PK\1\2"), Member(b"META-INF/MANIFEST.MF", MANIFEST)],
    ],
)
def test_signatures_in_names_and_extra_fields(members: list[Member], forge_count: bool) -> None:
    """Whether the end record's entry count counts the fake signatures too (the cheap check passes) or
    not, the result is zipfile's, from the fallback."""
    count = sum(m.name.count(b"PK\1\2") + m.central_extra.count(b"PK\1\2") + m.comment.count(b"PK\1\2")
                for m in members) + len(members)  # fmt: skip
    data = build_zip(members, entry_count=count if forge_count else None)
    hinted, _ = same_as_zipfile(data)
    assert hinted.sequential


def test_hint_text_outside_names() -> None:
    """``.jar`` in an extra field or a comment is not a name: skipped, the fast path goes on; ``.jar``
    that runs from a name into its extra field means the records cannot be trusted: the fallback."""
    members = [
        Member(b"a/A.class", b"a", central_extra=b"\xfe\xca\6\0x.jar!", comment=b"from y.jar"),
        Member(b"lib/ok.jar", b"x"),
    ]
    hinted, _ = same_as_zipfile(build_zip(members))
    assert not hinted.sequential and [e.name for e in hinted.entries] == ["lib/ok.jar"]
    # name "lib/a." and an extra field whose header reads "jar\0": id 0x616a, 114 bytes
    across = [Member(b"lib/a.", b"a", central_extra=b"jar\0" + bytes(114)), Member(b"lib/b.jar", b"x")]
    hinted, _ = same_as_zipfile(build_zip(across))
    assert hinted.sequential and [e.name for e in hinted.entries] == ["lib/b.jar"]


# -- broken archives and refused entries ---------------------------------------------------------------
def index(data: bytes, *, limit: int = BIG, sequential: bool = False) -> ZipIndex:
    return ZipIndex(data, JAVA_ENTRIES, max_central_directory=limit, force_sequential=sequential)


def read_error(member: Member, limit: int = BIG) -> ZipIndexError:
    zi = index(build_zip([member]))
    (entry,) = zi.entries
    with pytest.raises(ZipIndexError) as info:
        zi.read(entry, limit)
    return info.value


def test_not_a_zip_truncated_and_empty() -> None:
    good = build_zip([Member(b"META-INF/MANIFEST.MF", MANIFEST), Member(b"a/A.class", b"a" * 5000)])
    for data, message in [
        (good[: len(good) // 2], "truncated zip archive: it starts with a local file header"),
        (b"", "not a zip archive: empty file"),
        (b"hello, world" * 10, "not a zip archive: no end-of-central-directory record (starts b'hell')"),
        (good[:-22] + b"PK\5\6", "truncated zip archive"),  # an end record cut short
    ]:
        with pytest.raises(ZipIndexError, match=re.escape(message)) as info:
            index(data)
        assert not info.value.over_limit
    # an end record that puts the central directory before the start of the file
    eocd = bytearray(good[-22:])
    eocd[12:16] = (len(good) * 2).to_bytes(4, "little")
    with pytest.raises(ZipIndexError, match="start before the file"):
        index(good[:-22] + bytes(eocd))


def test_central_directory_over_the_limit() -> None:
    data = build_zip([Member(f"c/C{i}.class".encode()) for i in range(100)])
    with pytest.raises(
        ZipIndexError, match=r"central directory of \d\.\d KB is over the 1000 B limit"
    ) as info:
        index(data, limit=1000)
    assert info.value.over_limit


def test_corrupt_central_directory_record() -> None:
    data = bytearray(build_zip([Member(b"a/A.class", b"a"), Member(b"lib/a.jar", b"x")]))
    second = data.rfind(b"PK\1\2")
    data[second : second + 4] = b"PK\x09\x09"
    for sequential in (False, True):  # the count of signatures is off: the fallback sees the record
        with pytest.raises(ZipIndexError, match="no central directory record at offset"):
            index(bytes(data), sequential=sequential)


@pytest.mark.parametrize(
    ("member", "message"),
    [
        (Member(b"lib/a.jar", POM, crc=1234), "bad CRC-32 for 'lib/a.jar'"),
        (Member(b"lib/a.jar", POM, method=0, crc=1234), "bad CRC-32 for 'lib/a.jar'"),
        (Member(b"lib/a.jar", POM * 100, size=10), "bad CRC-32"),  # a smaller size: zipfile's CRC error
        (Member(b"lib/a.jar", POM, size=len(POM) + 5), f"decompresses to {len(POM)} bytes, its central"),
        (Member(b"lib/a.jar", POM, compressed=raw_deflate(POM)[:-4]), "decompresses to"),
        (Member(b"lib/a.jar", POM, compressed=b"\xff" * 20), "corrupt deflate data in 'lib/a.jar'"),
        (Member(b"lib/a.jar", POM, flags=1), "entry 'lib/a.jar' is encrypted"),
        (Member(b"lib/a.jar", POM, flags=0x40), "is encrypted"),
        (Member(b"lib/a.jar", POM, flags=0x20), "patched data"),
        (Member(b"lib/a.jar", POM, method=12), "compression method 12 (bzip2) is not supported"),
        (Member(b"lib/a.jar", POM, method=0, compressed=POM[:-3]), "stored entry 'lib/a.jar' has a"),
        (Member(b"lib/a.jar", POM, local_name=b"lib/b.jar"), "header of 'lib/a.jar' names b'lib/b.jar'"),
    ],
)  # fmt: skip
def test_entry_errors(member: Member, message: str) -> None:
    exc = read_error(member)
    assert message in exc.message and not exc.over_limit


def test_size_lie_that_keeps_the_crc() -> None:
    """A central directory that declares the first bytes' size and CRC: zipfile would return them; the
    rest of the data is not ignored here."""
    exc = read_error(Member(b"lib/a.jar", POM * 3, size=len(POM), crc=zlib.crc32(POM)))
    assert f"decompresses to more than the {len(POM)} bytes" in exc.message


def test_entry_over_the_limit() -> None:
    exc = read_error(Member(b"lib/a.jar", bytes(5000)), limit=4999)
    assert exc.over_limit and "decompresses to 4.9 KB, over the 4.9 KB limit" in exc.message


def test_no_local_header() -> None:
    data = bytearray(build_zip([Member(b"lib/a.jar", POM)]))
    data[0:4] = b"XXXX"
    zi = index(bytes(data))
    with pytest.raises(ZipIndexError, match=r"no local file header for 'lib/a\.jar' at offset 0"):
        zi.read(zi.entries[0], BIG)


def test_entry_is_a_plain_tuple() -> None:
    zi = index(build_zip([Member(b"lib/a.jar", POM, method=0)]))
    assert zi.entries == [Entry("lib/a.jar", 0, 0, zlib.crc32(POM), len(POM), len(POM), 0, b"lib/a.jar")]
