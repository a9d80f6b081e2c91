"""A real Debian root filesystem made with debootstrap, built once and cached in tests/.cache/."""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
from pathlib import Path

CACHE = Path(__file__).resolve().parent / ".cache"
SUITE = "bookworm"


def debian_mirror() -> str | None:
    """The Debian mirror this machine's apt already uses (deb822 .sources or one-line sources.list)."""
    candidates = [*sorted(Path("/etc/apt/sources.list.d").glob("*.sources")), Path("/etc/apt/sources.list")]
    for path in candidates:
        try:
            text = path.read_text()
        except OSError:
            continue
        for stanza in re.split(r"\n\s*\n", text):
            uris = re.search(r"^URIs:\s*(\S+)", stanza, re.M)
            suites = re.search(r"^Suites:\s*(.+)$", stanza, re.M)
            if uris and suites and SUITE in suites.group(1).split():
                return uris.group(1)
        for line in text.splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[0] == "deb" and parts[2] == SUITE:
                return parts[1]
    return None


def debian_rootfs(suite: str = SUITE) -> Path:
    """Path of a cached ``debootstrap --variant=minbase SUITE`` tree (from the mirror this machine's apt
    uses); raises RuntimeError with the reason when it cannot be made here."""
    target = CACHE / f"debian-{suite}-minbase"
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
    with open(CACHE / f"debootstrap-{suite}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one builder at a time across pytest-xdist workers
        if (target / "var/lib/dpkg/status").exists():
            return target
        work = CACHE / f"debian-{suite}-minbase.partial"
        shutil.rmtree(work, ignore_errors=True)
        proc = subprocess.run(
            ["debootstrap", "--variant=minbase", suite, str(work), mirror],
            capture_output=True,
            text=True,
            timeout=1800,
            check=False,
        )
        # the tree is data for the scanner only: drop what debootstrap leaves mounted or cached
        _unmount_below(work)
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            raise RuntimeError(f"debootstrap {suite} failed: {' | '.join(tail)}")
        shutil.rmtree(work / "var/cache/apt/archives", ignore_errors=True)
        os.replace(work, target)
    return target


def _unmount_below(root: Path) -> None:
    """Unmount what debootstrap may leave mounted inside the tree (its ``/proc``), deepest first, so that
    the cache never holds a live ``/proc`` for the scanner (or a ``grep -r``) to wander into."""
    prefix = str(root.resolve()) + "/"
    with open("/proc/self/mounts", encoding="utf-8") as fh:
        points = [line.split()[1] for line in fh]
    for point in sorted((p for p in points if p.startswith(prefix)), key=len, reverse=True):
        subprocess.run(["umount", "-l", point], capture_output=True, check=False)
