"""TargetFS: symbolic links resolve inside the root, loops and size limits are clear errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from stockade.target.fs import FileAccessError, TargetFS


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "etc").mkdir()
    (tmp_path / "usr/lib").mkdir(parents=True)
    (tmp_path / "usr/lib/os-release").write_text("ID=inside\n")
    return tmp_path


@pytest.mark.parametrize(
    "link",
    [
        "/usr/lib/os-release",
        "../usr/lib/os-release",
        "../../../../usr/lib/os-release",
        "/../usr/./lib/os-release",
    ],
)
def test_links_resolve_inside_root(root: Path, link: str) -> None:
    os.symlink(link, root / "etc/os-release")
    fs = TargetFS(str(root))
    assert fs.read_text("/etc/os-release") == "ID=inside\n"


def test_absolute_link_never_reads_the_host(root: Path) -> None:
    os.symlink("/etc/hostname", root / "etc/leak")  # exists on the host, not in the root
    fs = TargetFS(str(root))
    with pytest.raises(FileAccessError) as err:
        fs.read_text("/etc/leak")
    assert err.value.reason == "no such file"


def test_symlink_loop(root: Path) -> None:
    os.symlink("b", root / "etc/a")
    os.symlink("a", root / "etc/b")
    fs = TargetFS(str(root))
    with pytest.raises(FileAccessError) as err:
        fs.read_bytes("/etc/a")
    assert err.value.reason == "symlink loop"


def test_directory_links_inside_path(root: Path) -> None:
    os.symlink("usr/lib", root / "lib")
    assert TargetFS(str(root)).read_text("/lib/os-release") == "ID=inside\n"


def test_size_limit_on_sparse_file(root: Path) -> None:
    big = root / "big"
    with open(big, "wb") as fh:
        fh.truncate(2 * 1024**3)  # 2 GB, sparse: costs no disk
    fs = TargetFS(str(root))
    with pytest.raises(FileAccessError) as err:
        fs.read_bytes("/big")
    assert err.value.reason == "skipped: 2.0 GB is over the 256.0 MB limit"


def test_not_a_regular_file(root: Path) -> None:
    with pytest.raises(FileAccessError) as err:
        TargetFS(str(root)).read_bytes("/etc")
    assert err.value.reason in ("is a directory", "not a regular file")


def test_host_root_paths_are_identity() -> None:
    fs = TargetFS("/")
    assert fs.is_host_root and fs.host_path("/etc/passwd") == "/etc/passwd"
