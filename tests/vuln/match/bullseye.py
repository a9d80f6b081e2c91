"""A real Debian 11 (bullseye) root filesystem, made with ``debootstrap --variant=minbase`` from the
Debian mirror this machine's apt uses, built once and cached in tests/.cache/ (like
tests/rootfs_fixtures.py does for bookworm).  Debian 11 is the newest release the Debian security
tracker snapshot in ../shared/data covers (its DSA list ends in March 2023, before bookworm's release)."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from pathlib import Path

from tests.rootfs_fixtures import CACHE, debian_mirror

SUITE = "bullseye"


def bullseye_rootfs() -> Path:
    """Path of the cached tree; raises RuntimeError with the reason when it cannot be made here."""
    target = CACHE / f"debian-{SUITE}-minbase"
    if (target / "var/lib/dpkg/status").exists():
        return target
    if os.geteuid() != 0:
        raise RuntimeError("debootstrap needs root")
    if shutil.which("debootstrap") is None:
        raise RuntimeError("debootstrap is not installed (make system-deps installs it)")
    mirror = debian_mirror()
    if mirror is None:
        raise RuntimeError("no Debian mirror configured in /etc/apt")
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / f"debootstrap-{SUITE}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one builder at a time across pytest-xdist workers
        if (target / "var/lib/dpkg/status").exists():
            return target
        work = CACHE / f"debian-{SUITE}-minbase.partial"
        shutil.rmtree(work, ignore_errors=True)
        proc = subprocess.run(
            ["debootstrap", "--variant=minbase", SUITE, str(work), mirror],
            capture_output=True,
            text=True,
            timeout=1800,
            check=False,
        )
        _unmount_below(work)
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            raise RuntimeError(f"debootstrap {SUITE} failed: {' | '.join(tail)}")
        shutil.rmtree(work / "var/cache/apt/archives", ignore_errors=True)
        os.replace(work, target)
    return target


def _unmount_below(root: Path) -> None:
    """Unmount what debootstrap may leave mounted inside the tree (its /proc), deepest first."""
    prefix = str(root.resolve()) + "/"
    with open("/proc/self/mounts", encoding="utf-8") as fh:
        points = [line.split()[1] for line in fh]
    for point in sorted((p for p in points if p.startswith(prefix)), key=len, reverse=True):
        subprocess.run(["umount", "-l", point], capture_output=True, check=False)
