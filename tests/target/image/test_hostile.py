"""Hostile images are refused with a clear error, and nothing is written outside the scratch directory.

Each case is a layer no honest tool writes: ``..`` names that climb out of the root, an entry written
through a symbolic link of its own layer, hard links out of the root, decompression bombs, too many
entries, a blob whose digest does not match.  The scan runs with TMPDIR pointing at a directory of the
test, which must be empty afterwards; the files the attacks aim at must not exist.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.target.image.handmade import E, oci_layout, tar_of


def scan(tmp_path: Path, layout: Path, *extra: str) -> tuple[int, str]:
    scratch = tmp_path / "tmpdir"
    scratch.mkdir(exist_ok=True)
    proc = run_cli(
        "image",
        str(layout),
        "--no-store",
        "--quiet",
        "--format",
        "json",
        *extra,
        env={"TMPDIR": str(scratch)},
    )
    assert "Traceback" not in proc.stderr
    assert list(scratch.iterdir()) == [], "the scratch directory was not removed"
    return proc.returncode, proc.stderr


def target_of_attack(tmp_path: Path) -> tuple[Path, str]:
    victim = tmp_path / "victim"
    victim.mkdir()
    # deep enough to climb from any scratch directory to / and back down to the victim
    return victim / "pwned", "../" * 40 + str(victim / "pwned").lstrip("/")


def test_path_traversal_is_refused(tmp_path: Path) -> None:
    victim, name = target_of_attack(tmp_path)
    layout = oci_layout(tmp_path / "img", [[E("etc/os-release", data=b"ID=x\n"), E(name, data=b"owned")]])
    code, err = scan(tmp_path, layout)
    assert code == 2
    assert "path traversal" in err and "layer 1" in err
    assert not victim.exists()


def test_write_through_symlink_is_refused(tmp_path: Path) -> None:
    victim, _ = target_of_attack(tmp_path)
    layer = [E("escape", "l", link=str(victim.parent)), E("escape/pwned", data=b"owned")]
    code, err = scan(tmp_path, oci_layout(tmp_path / "img", [layer]))
    assert code == 2
    assert "symlink escape" in err
    assert not victim.exists()


def test_relative_symlink_escape_is_refused(tmp_path: Path) -> None:
    victim, _ = target_of_attack(tmp_path)
    layer = [E("a/up", "l", link="../" * 40 + str(victim.parent).lstrip("/")), E("a/up/pwned", data=b"x")]
    code, err = scan(tmp_path, oci_layout(tmp_path / "img", [layer]))
    assert code == 2 and "symlink escape" in err
    assert not victim.exists()


def test_hard_link_out_of_the_root_is_refused(tmp_path: Path) -> None:
    layer = [E("usr/lib/x.dist-info/METADATA", "h", link="../" * 40 + "etc/shadow")]
    code, err = scan(tmp_path, oci_layout(tmp_path / "img", [layer]))
    assert code == 2 and "path traversal" in err


def test_gzip_bomb_is_refused_by_size(tmp_path: Path) -> None:
    # 64 MiB of zeros compress to ~64 KiB; --max-size 16 (MiB) must stop it
    tar = tar_of([E("zeros", data=bytes(64 * 1024 * 1024))])
    code, err = scan(tmp_path, oci_layout(tmp_path / "img", [tar]), "--max-size", "16")
    assert code == 2
    assert "decompression bomb" in err and "--max-size" in err


def test_bomb_is_refused_by_ratio(tmp_path: Path) -> None:
    from stockade.scan.image import ImageScanOptions, scan_image
    from stockade.target.image.stream import ImageSafetyError, Limits

    tar = tar_of([E("zeros", data=bytes(64 * 1024 * 1024))])
    layout = oci_layout(tmp_path / "img", [tar])
    opts = ImageScanOptions(limits=Limits(max_ratio=100, ratio_floor=1024 * 1024))
    with pytest.raises(ImageSafetyError, match="decompresses more than 100"):
        scan_image(str(layout), opts)


def test_too_many_entries(tmp_path: Path) -> None:
    layer = [E(f"f{i}", data=b"") for i in range(50)]
    code, err = scan(tmp_path, oci_layout(tmp_path / "img", [layer]), "--max-entries", "20")
    assert code == 2 and "--max-entries" in err


def test_digest_mismatch_is_an_error(tmp_path: Path) -> None:
    layout = oci_layout(tmp_path / "img", [[E("etc/os-release", data=b"ID=x\n")]], compression="none")
    # flip one byte of the layer blob (the largest blob is the layer: 2 KiB of tar)
    blob = max((layout / "blobs/sha256").iterdir(), key=lambda p: p.stat().st_size)
    data = bytearray(blob.read_bytes())
    data[600] ^= 0xFF
    blob.write_bytes(bytes(data))
    code, err = scan(tmp_path, layout)
    assert code != 0
    assert "digest mismatch" in err


def test_truncated_gzip_layer(tmp_path: Path) -> None:
    layout = oci_layout(tmp_path / "img", [[E("a", data=b"x" * 100000)]])
    index = json.loads((layout / "index.json").read_text())
    manifest_digest = index["manifests"][0]["digest"].split(":")[1]
    manifest = json.loads((layout / "blobs/sha256" / manifest_digest).read_text())
    layer = layout / "blobs/sha256" / manifest["layers"][0]["digest"].split(":")[1]
    layer.write_bytes(layer.read_bytes()[:200])
    code, err = scan(tmp_path, layout)
    assert code != 0 and ("mismatch" in err or "truncated" in err)


def test_not_a_tar_layer(tmp_path: Path) -> None:
    code, err = scan(tmp_path, oci_layout(tmp_path / "img", [gzip.compress(b"hello, not a tar" * 100)]))
    assert code == 2 and "not a tar archive" in err
