"""Header blob parsing: real headers (from rpm's database and from .rpm files) and damaged ones."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from stockade.catalog.os.rpmheader import (
    HEADER_MAGIC,
    TAG_NAME,
    HeaderError,
    HeaderInfo,
    header_info,
    read_tags,
    split_sourcerpm,
)
from tests.catalog.os_rpm.conftest import QUERY_FORMAT, RpmDB, run, sqlite_blobs


def rpm_line(info: HeaderInfo) -> str:
    return (f"{info.name} {info.epoch or 0} {info.version} {info.release} {info.arch or '(none)'} "
            f"{info.sourcerpm or '(none)'}")  # fmt: skip


@pytest.fixture(scope="module")
def blobs(sqlite_db: RpmDB) -> list[bytes]:
    return [blob for _, blob in sqlite_blobs(sqlite_db.host_file)]


def test_database_headers(sqlite_db: RpmDB, blobs: list[bytes]) -> None:
    assert sorted(rpm_line(header_info(b)) for b in blobs) == sqlite_db.expected


def main_header(rpm_file: Path) -> bytes:
    """The main header of a package file: after the 96-byte lead and the signature header, which is
    padded to a multiple of 8 bytes (RPM file format, "Signature")."""
    data = rpm_file.read_bytes()
    sig = 96
    assert data[sig : sig + 4] == HEADER_MAGIC
    il, dl = struct.unpack_from(">II", data, sig + 8)
    sig_len = 16 + 16 * il + dl
    start = sig + sig_len + (-sig_len % 8)
    assert data[start : start + 4] == HEADER_MAGIC
    return data[start:]


def test_package_file_headers(rpm_files: list[Path]) -> None:
    """A header with its magic (as in a .rpm file) is read too; compared with ``rpm -qp``."""
    for path in rpm_files:
        expected = run(["rpm", "-qp", "--qf", QUERY_FORMAT, str(path)]).strip()
        assert rpm_line(header_info(main_header(path))) == expected


def test_utf8_and_license(blobs: list[bytes]) -> None:
    infos = {i.name: i for i in map(header_info, blobs)}
    assert infos["stk-hello"].vendor == "Stöckade Test"
    assert infos["libstk-hello1"].license == "LGPL-2.1-or-later"
    assert infos["stk-plain"].vendor is None
    assert infos["stk-plain"].epoch is None
    assert infos["stk-multi-dash-name"].epoch == 0


def big_blob(blobs: list[bytes]) -> bytes:
    return max(blobs, key=len)


@pytest.mark.parametrize("keep", [0, 4, 8, 20, 100, -1])
def test_truncated_header(blobs: list[bytes], keep: int) -> None:
    blob = big_blob(blobs)
    with pytest.raises(HeaderError):
        header_info(blob[:keep])


def with_entry(blob: bytes, tag: int, **changes: int) -> bytes:
    """``blob`` with the index entry of ``tag`` changed (type, offset or count)."""
    il = struct.unpack_from(">i", blob)[0]
    out = bytearray(blob)
    for i in range(il):
        pos = 8 + 16 * i
        etag, etype, offset, count = struct.unpack_from(">iIiI", blob, pos)
        if etag == tag:
            values = {"type": etype, "offset": offset, "count": count, **changes}
            struct.pack_into(">iIiI", out, pos, etag, values["type"], values["offset"], values["count"])
            return bytes(out)
    raise AssertionError(f"tag {tag} not in header")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"offset": 10_000_000}, "outside the"),
        ({"offset": -5}, "outside the"),
        ({"type": 7}, "unexpected type 7"),
        ({"type": 4, "count": 1_000_000}, "overrun the data store"),
    ],
)
def test_bad_index_entry(blobs: list[bytes], change: dict[str, int], message: str) -> None:
    with pytest.raises(HeaderError, match=message):
        header_info(with_entry(blobs[0], TAG_NAME, **change))


def test_unterminated_string(blobs: list[bytes]) -> None:
    blob = blobs[0]
    il, dl = struct.unpack_from(">iI", blob)
    data_end = 8 + 16 * il + dl
    # point NAME at the last byte of the store and make that byte non-NUL
    bad = bytearray(with_entry(blob, TAG_NAME, offset=dl - 1))
    bad[data_end - 1] = ord("x")
    with pytest.raises(HeaderError, match="not NUL-terminated"):
        header_info(bytes(bad))


@pytest.mark.parametrize(
    ("il", "dl", "message"),
    [(0, 10, "index count 0"), (-1, 10, "index count -1"), (70_000, 10, "index count 70000"),
     (1, 300 * 1024 * 1024, "over rpm's limit"), (1, 100, "only 116 bytes")],
)  # fmt: skip
def test_bad_sizes(il: int, dl: int, message: str) -> None:
    blob = struct.pack(">iI", il, dl) + bytes(108)
    with pytest.raises(HeaderError, match=message):
        read_tags(blob)


@pytest.mark.parametrize(
    ("sourcerpm", "expected"),
    [
        ("bash-5.1.8-6.el9.src.rpm", ("bash", "5.1.8", "6.el9")),
        ("python3.11-pip-22.3.1-4.el9.src.rpm", ("python3.11-pip", "22.3.1", "4.el9")),
        ("kernel-5.14.0-284.11.1.el9_2.nosrc.rpm", ("kernel", "5.14.0", "284.11.1.el9_2")),
        ("stk-multi-dash-name-3.0~rc1-0.1.src.rpm", ("stk-multi-dash-name", "3.0~rc1", "0.1")),
        ("nodejs-10.21.0-3.module_el8.2.0+391+8da3adc6.src.rpm",
         ("nodejs", "10.21.0", "3.module_el8.2.0+391+8da3adc6")),
        ("bash-5.1.8.src.rpm", None),
        ("bash-5.1.8-6.el9.rpm", None),
        ("-1-2.src.rpm", None),
        ("(none)", None),
    ],
)  # fmt: skip
def test_split_sourcerpm(sourcerpm: str, expected: tuple[str, str, str] | None) -> None:
    assert split_sourcerpm(sourcerpm) == expected
