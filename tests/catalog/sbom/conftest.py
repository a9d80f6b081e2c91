"""Small real target trees for the SBOM round trips, scanned by stockade itself.

- ``debian``: ``/etc/os-release`` of a Debian 12 machine, the eight real dpkg paragraphs of
  ``tests/catalog/os_dpkg/testdata/status`` (``Source:`` fields with and without versions) and the real
  ``.dist-info``/``.egg-info`` directories of ``tests/catalog/lang_python/testdata``.
- ``alpine``: an Alpine 3.11 os-release and the real apk ``installed`` database of
  ``tests/catalog/os_apk/testdata`` (origins that differ from package names).
- ``fedora``: a Fedora 39 os-release and the real ndb rpm database of ``tests/catalog/os_rpm/testdata``
  (epochs, source rpms).
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from stockade.model.result import ScanResult
from stockade.scan.scanner import ScanOptions, scan_filesystem
from stockade.target.rootfs import open_rootfs

HERE = Path(__file__).parent
TESTDATA = HERE / "testdata"
CATALOG = HERE.parent
T0 = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
SCAN_ID = "3f2c9a7e5b1d4c8e9a0b1c2d3e4f5a6b"


def options() -> ScanOptions:
    return ScanOptions(jobs=1, clock=lambda: T0, scan_id=lambda: SCAN_ID)


def scan_tree(root: Path) -> ScanResult:
    target, fs = open_rootfs(str(root))
    return scan_filesystem(target, fs, options())


def build_debian(root: Path) -> Path:
    (root / "etc").mkdir(parents=True)
    shutil.copy(CATALOG.parent / "report/testdata/os-release", root / "etc/os-release")
    (root / "var/lib/dpkg").mkdir(parents=True)
    shutil.copy(CATALOG / "os_dpkg/testdata/status", root / "var/lib/dpkg/status")
    shutil.copytree(CATALOG / "lang_python/testdata/site-packages", root / "usr/lib/python3/dist-packages")
    return root


def build_alpine(root: Path) -> Path:
    (root / "etc").mkdir(parents=True)
    shutil.copy(TESTDATA / "alpine-os-release", root / "etc/os-release")
    (root / "lib/apk/db").mkdir(parents=True)
    shutil.copy(CATALOG / "os_apk/testdata/installed", root / "lib/apk/db/installed")
    return root


def build_fedora(root: Path) -> Path:
    (root / "etc").mkdir(parents=True)
    shutil.copy(TESTDATA / "fedora-os-release", root / "etc/os-release")
    (root / "var/lib/rpm").mkdir(parents=True)
    shutil.copy(CATALOG / "os_rpm/testdata/ndb/Packages.db", root / "var/lib/rpm/Packages.db")
    return root


@pytest.fixture(scope="module")
def debian_scan(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    return scan_tree(build_debian(tmp_path_factory.mktemp("debian")))


@pytest.fixture(scope="module")
def alpine_scan(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    return scan_tree(build_alpine(tmp_path_factory.mktemp("alpine")))


@pytest.fixture(scope="module")
def fedora_scan(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    return scan_tree(build_fedora(tmp_path_factory.mktemp("fedora")))
