"""Real scan results for the store tests: ``scan_filesystem`` over a copy of ``testdata/rootfs``.

The rootfs holds real data: six paragraphs of this Debian 12 machine's ``/var/lib/dpkg/status`` (bash is
a binNMU, several have a ``Source:``), its ``/etc/os-release``, the ``METADATA``/``INSTALLER`` of two
installed wheels (click, platformdirs), and one broken ``METADATA`` that yields an error status.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from stockade.model.result import ScanResult
from stockade.scan.scanner import ScanOptions, scan_filesystem
from stockade.target.rootfs import open_rootfs

TESTDATA = Path(__file__).parent / "testdata"
CATALOGERS = ("os/dpkg", "lang/python")
T0 = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)

Scan = Callable[..., ScanResult]


def scan_rootfs(root: str, scan_id: str, when: datetime = T0) -> ScanResult:
    target, fs = open_rootfs(root)
    opts = ScanOptions(catalogers=CATALOGERS, clock=lambda: when, scan_id=lambda: scan_id)
    return scan_filesystem(target, fs, opts)


@pytest.fixture
def rootfs(tmp_path: Path) -> Path:
    root = tmp_path / "rootfs"
    shutil.copytree(TESTDATA / "rootfs", root)
    return root


@pytest.fixture
def scan(rootfs: Path) -> Scan:
    """``scan(scan_id, minutes=0, root=None)``: a real scan of the rootfs (or ``root``), finished
    ``minutes`` after T0."""

    def run(scan_id: str, minutes: int = 0, root: Path | None = None) -> ScanResult:
        return scan_rootfs(str(root or rootfs), scan_id, T0 + timedelta(minutes=minutes))

    return run


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "state" / "stockade" / "inventory.db"
