"""The walker: which paths reach which cataloger, what is excluded, what is reported."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest

from stockade.catalog.interface import CatalogContext, Cataloger
from stockade.catalog.walker import excluded_mounts, walk
from stockade.model.inventory import Package
from stockade.target.fs import TargetFS


class Probe(Cataloger):
    NAME = "probe"
    FILE_NAMES = frozenset({"wanted.txt"})
    EXTENSIONS = frozenset({"jar"})
    EXECUTABLES = True

    def catalog(self, ctx: CatalogContext, paths: Sequence[str]) -> list[Package]:
        return []


def names(paths: Iterable[str]) -> list[str]:
    return sorted(paths)


def test_names_extensions_executables(tmp_path: Path) -> None:
    (tmp_path / "a/b").mkdir(parents=True)
    (tmp_path / "a/wanted.txt").write_text("x")
    (tmp_path / "a/b/lib.JAR").write_text("x")
    (tmp_path / "a/b/other.txt").write_text("x")
    exe = tmp_path / "a/tool"
    exe.write_bytes(b"\x7fELF" + b"\0" * 2000)
    exe.chmod(0o755)
    small = tmp_path / "a/tiny"
    small.write_bytes(b"#!/bin/sh\n")
    small.chmod(0o755)
    noexec = tmp_path / "a/data"
    noexec.write_bytes(b"\0" * 4000)
    os.symlink("wanted.txt", tmp_path / "a/b/wanted.txt")  # a link with a wanted name is passed on
    result = walk(TargetFS(str(tmp_path)), [Probe()])
    assert names(result.wanted["probe"]) == ["/a/b/lib.JAR", "/a/b/wanted.txt", "/a/tool", "/a/wanted.txt"]
    assert result.statuses == []
    assert result.files == 7


def test_directory_symlink_loops_are_not_followed(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    os.symlink("..", tmp_path / "d/up")
    os.symlink("loop", tmp_path / "d/loop")
    (tmp_path / "d/wanted.txt").write_text("x")
    result = walk(TargetFS(str(tmp_path)), [Probe()])
    assert result.wanted["probe"] == ["/d/wanted.txt"]


def test_engine_storage_is_skipped_and_said(tmp_path: Path) -> None:
    store = tmp_path / "var/lib/containers/storage/overlay/x"
    store.mkdir(parents=True)
    (store / "wanted.txt").write_text("x")
    result = walk(TargetFS(str(tmp_path)), [Probe()])
    assert result.wanted["probe"] == []
    assert [(s.path, s.status.value) for s in result.statuses] == [("/var/lib/containers/storage", "skipped")]


def test_pseudo_filesystems_from_mountinfo(tmp_path: Path) -> None:
    info = tmp_path / "mountinfo"
    info.write_text(
        "22 1 0:21 / /proc rw,nosuid - proc proc rw\n"
        "23 1 0:22 / /sys rw - sysfs sysfs rw\n"
        "24 1 8:1 / / rw - ext4 /dev/vda rw\n"
        "25 1 0:23 / /mnt/with\\040space rw - tmpfs tmpfs rw\n"
        "26 1 0:24 / /srv/root/proc rw - proc proc rw\n"
    )
    assert set(excluded_mounts("/", str(info))) == {"/proc", "/sys", "/srv/root/proc"}
    assert set(excluded_mounts("/srv/root", str(info))) == {"/srv/root/proc"}


def test_unreadable_directory_is_reported(tmp_path: Path) -> None:
    """Run as an unprivileged user (root reads everything), through the real CLI."""
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or setpriv is None:
        pytest.skip("needs root and setpriv to drop to an unprivileged user (root can read any directory)")
    # pytest's own tmp directories are private to root: make one the unprivileged user can reach
    tmp_path = Path(tempfile.mkdtemp(prefix="stockade-walk-", dir="/tmp"))
    root = tmp_path / "rootfs"
    (root / "locked").mkdir(parents=True)
    (root / "locked/secret.jar").write_text("x")
    (root / "locked").chmod(0)
    for p in (tmp_path, root):
        p.chmod(0o755)
    env = {**os.environ, "STOCKADE_DB": str(tmp_path / "db/inv.db"), "HOME": str(tmp_path)}
    (tmp_path / "db").mkdir(mode=0o777)
    (tmp_path / "db").chmod(0o777)
    proc = subprocess.run(
        [
            setpriv,
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            sys.executable,
            "-m",
            "stockade.cli.main",
            "rootfs",
            str(root),
            "--format",
            "json",
            "--quiet",
            "--no-store",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if "Permission denied" in proc.stderr and "python" in proc.stderr.lower():
        pytest.skip(f"the unprivileged user cannot run this interpreter: {proc.stderr.strip()[:200]}")
    assert proc.returncode == 0, proc.stderr
    shutil.rmtree(tmp_path, ignore_errors=True)
    statuses = json.loads(proc.stdout)["statuses"]
    walk_problems = [s for s in statuses if s["plugin"] == "walk"]
    assert walk_problems == [
        {
            "plugin": "walk",
            "status": "skipped",
            "reason": "directory not read: permission denied",
            "path": "/locked",
        }
    ]


class ShortEnding(Cataloger):
    NAME = "short"
    FILE_NAMES = frozenset({"ab", "Cargo.lock"})
    EXTENSIONS = frozenset({"js", "deps.json"})

    def catalog(self, ctx: CatalogContext, paths: Sequence[str]) -> list[Package]:
        return []


def test_short_names_and_endings_are_still_found(tmp_path: Path) -> None:
    """The four-character shortcut must not hide two-letter endings or names shorter than four."""
    for name in ("x.js", "ab", "Cargo.lock", "app.deps.json", "other.json", "abc", "x.jsx"):
        (tmp_path / name).write_text("x")
    result = walk(TargetFS(str(tmp_path)), [ShortEnding()])
    assert result.wanted["short"] == ["/Cargo.lock", "/ab", "/app.deps.json", "/x.js"]
