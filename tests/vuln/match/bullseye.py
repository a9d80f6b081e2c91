"""A real Debian 11 (bullseye) root filesystem, made and cached by tests/rootfs_fixtures.py.  Debian 11
is the newest release the Debian security tracker snapshot in ../shared/data covers (its DSA list ends in
March 2023, before bookworm's release)."""

from __future__ import annotations

from pathlib import Path

from tests.rootfs_fixtures import debian_rootfs


def bullseye_rootfs() -> Path:
    """Path of the cached tree; raises RuntimeError with the reason when it cannot be made here."""
    return debian_rootfs("bullseye")
