"""Whiteouts, opaque directories, replacement and links, applied exactly as the OCI image spec says
(layer.md "Whiteouts"), on hand-made layers whose every entry is known."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from stockade.catalog.registry import PRESETS
from stockade.scan.scanner import load_catalogers
from stockade.target.image.layout import open_layout
from stockade.target.image.squash import Squashed, Squasher
from stockade.target.image.stream import Limits
from tests.target.image.handmade import E, oci_layout

LAYERS = [
    [
        E("a/", "d"),
        E("a/x", data=b"x1"),
        E("a/y", data=b"y1"),
        E("b/z", data=b"z1"),
        E("c", data=b"c1"),
        E("d/1", data=b"d1"),
        E("link", "l", link="/a"),
        E("e", data=b"e1"),
        E("etc/os-release", data=b"ID=alpine\nVERSION_ID=3.19.1\n"),
    ],
    [
        E("a/.wh.x"),
        E("b/.wh..wh..opq"),
        E("b/new", data=b"n2"),
        E(".wh.c"),
        E("d", data=b"d-file"),
        E(".wh.e"),
        E("e", data=b"e2"),  # a whiteout never hides its own layer's entries
        E(".wh..wh.plnk"),  # aufs metadata: no effect
    ],
    [E("c", data=b"c3"), E("a/y", data=b"y3")],
]


def squash(tmp_path: Path, layers: list[list[E] | bytes], compression: str = "gzip") -> Squashed:
    layout = oci_layout(tmp_path / "layout", layers, compression=compression)
    spec = open_layout(str(layout), None, None, str(layout))
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    catalogers, _ = load_catalogers(PRESETS["image"])
    return Squasher(spec, str(scratch), catalogers, Limits()).run()


@pytest.mark.parametrize("compression", ["gzip", "zstd", "none"])
def test_final_filesystem(tmp_path: Path, compression: str) -> None:
    out = squash(tmp_path, LAYERS, compression)
    files = {p: (e[0], e[1]) for p, e in out.entries.items() if e[1] != "d"}
    assert files == {
        "/a/y": (2, "f"),
        "/b/new": (1, "f"),
        "/c": (2, "f"),
        "/d": (1, "f"),
        "/e": (1, "f"),
        "/link": (0, "l"),
        "/etc/os-release": (0, "f"),
    }
    hidden = {(h.path, h.layer): (h.hidden_in, h.how) for h in out.hidden}
    assert hidden == {
        ("/a/x", 0): (1, "deleted"),
        ("/a/y", 0): (2, "replaced"),
        ("/b/z", 0): (1, "deleted"),
        ("/c", 0): (1, "deleted"),
        ("/d/1", 0): (1, "replaced"),
        ("/e", 0): (1, "deleted"),  # deleted and written again in layer 2: the old content is gone
    }
    # only what the analysis wants was written: the release file, not the others
    written = sorted(str(p.relative_to(out.root)) for p in Path(out.root).rglob("*") if not p.is_dir())
    assert written == ["etc/os-release", "link"]
    assert os.readlink(Path(out.root) / "link") == "/a"


def test_opaque_directory_keeps_its_own_layer(tmp_path: Path) -> None:
    out = squash(
        tmp_path, [[E("opt/app/old", data=b"1")], [E("opt/app/.wh..wh..opq"), E("opt/app/new", data=b"2")]]
    )
    assert "/opt/app/new" in out.entries and "/opt/app/old" not in out.entries
    assert out.entries["/opt/app"][1] == "d"


def test_symlink_replaced_by_directory_from_above(tmp_path: Path) -> None:
    # an upper layer's files under lib/ imply a directory lib/ that replaces the lower symlink
    out = squash(tmp_path, [[E("lib", "l", link="usr/lib")], [E("lib/x", data=b"x")]])
    assert out.entries["/lib"][1] == "d"
    assert [(h.path, h.how) for h in out.hidden] == [("/lib", "replaced")]


def test_devices_and_setuid_are_recorded_not_created(tmp_path: Path) -> None:
    out = squash(
        tmp_path,
        [
            [
                E("dev/null", "c"),
                E("run/fifo", "p"),
                E("usr/bin/su", data=b"\x7fELF" + b"\0" * 2000, mode=0o4755),
            ]
        ],
    )
    assert sorted(p for p, _, _ in out.special) == ["/dev/null", "/run/fifo"]
    assert out.setuid == [("/usr/bin/su", 0o4755, 0)]
    assert not (Path(out.root) / "dev/null").exists()
    assert any("device nodes/FIFOs" in s.reason for s in out.statuses)
    # an executable over 1 KiB is wanted by the binary catalogers, and unpacked with its mode
    assert (Path(out.root) / "usr/bin/su").stat().st_mode & 0o111


def test_hard_link_to_a_wanted_file(tmp_path: Path) -> None:
    meta = b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n\n"
    out = squash(
        tmp_path,
        [
            [
                E("site/demo-1.0.dist-info/METADATA", data=meta),
                E("site2/demo-1.0.dist-info/METADATA", "h", link="site/demo-1.0.dist-info/METADATA"),
            ]
        ],
    )
    assert (Path(out.root) / "site2/demo-1.0.dist-info/METADATA").read_bytes() == meta
