"""The rpm cataloger inside a whole filesystem scan: os-release decides the purl namespace and distro."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from stockade.model.result import ScanResult
from stockade.model.status import StatusKind
from stockade.scan.scanner import ScanOptions, scan_filesystem
from stockade.target.rootfs import open_rootfs
from tests.catalog.os_rpm.conftest import RpmDB
from tests.catalog.os_rpm.test_rpm_cataloger import as_rpm_line, without_pubkeys

OS_RELEASES = {
    "rocky": ('NAME="Rocky Linux"\nVERSION="9.3 (Blue Onyx)"\nID="rocky"\nID_LIKE="rhel centos fedora"\n'
              'VERSION_ID="9.3"\nPLATFORM_ID="platform:el9"\n'),
    "rhel": 'NAME="Red Hat Enterprise Linux"\nID="rhel"\nID_LIKE="fedora"\nVERSION_ID="9.2"\n',
    "fedora": "NAME=Fedora Linux\nVERSION_ID=39\nID=fedora\n",
    "opensuse": 'NAME="openSUSE Leap"\nID="opensuse-leap"\nID_LIKE="suse opensuse"\nVERSION_ID="15.5"\n',
    "derivative": 'NAME="Some EL rebuild"\nID="someel"\nID_LIKE="rhel fedora"\nVERSION_ID="9"\n',
}  # fmt: skip
#: os-release → (purl namespace, distro qualifier, OSV ecosystem)
EXPECTED = {
    "rocky": ("rocky", "rocky-9.3", "Rocky Linux"),
    "rhel": ("redhat", "rhel-9.2", "Red Hat"),
    "fedora": ("fedora", "fedora-39", "Fedora"),
    "opensuse": ("opensuse", "opensuse-leap-15.5", "openSUSE"),
    "derivative": ("redhat", "someel-9", "Red Hat"),
}


def make_rootfs(db: RpmDB, tmp_path: Path, os_release: str | None) -> Path:
    root = tmp_path / "rootfs"
    shutil.copytree(db.root, root, symlinks=True)
    if os_release is not None:
        (root / "etc").mkdir()
        (root / "etc/os-release").write_text(os_release)
    return root


def scan(root: Path) -> ScanResult:
    target, fs = open_rootfs(str(root))
    return scan_filesystem(target, fs, ScanOptions(catalogers=["os/rpm"]))


def test_scan_without_os_release(sqlite_db: RpmDB, tmp_path: Path) -> None:
    result = scan(make_rootfs(sqlite_db, tmp_path, None))
    packages = result.inventory.packages
    assert sorted(as_rpm_line(p) for p in packages) == without_pubkeys(sqlite_db.expected)
    assert {p.namespace for p in packages} == {"redhat"}
    assert {p.ecosystem for p in packages} == {"Red Hat"}
    assert all("distro=" not in p.purl for p in packages)
    rpm_status = [s for s in result.statuses if s.plugin == "catalog/os/rpm"]
    assert [(s.status, s.reason) for s in rpm_status] == [(StatusKind.OK, f"{len(packages)} packages")]
    assert result.to_dict()["inventory"]["packages"][0]["found_by"] == "os/rpm"


@pytest.mark.parametrize("distro", sorted(OS_RELEASES))
def test_scan_with_os_release(sqlite_db: RpmDB, tmp_path: Path, distro: str) -> None:
    namespace, qualifier, ecosystem = EXPECTED[distro]
    result = scan(make_rootfs(sqlite_db, tmp_path, OS_RELEASES[distro]))
    packages = {p.name: p for p in result.inventory.packages}
    assert len(packages) == len(without_pubkeys(sqlite_db.expected))
    hello = packages["stk-hello"]
    assert hello.purl == f"pkg:rpm/{namespace}/stk-hello@1.2.3-4.fc39?arch=noarch&distro={qualifier}&epoch=2"
    assert {p.ecosystem for p in packages.values()} == {ecosystem}
    assert {p.namespace for p in packages.values()} == {namespace}


def test_scan_broken_database_is_a_status(tmp_path: Path) -> None:
    root = tmp_path / "rootfs"
    (root / "var/lib/rpm").mkdir(parents=True)
    (root / "var/lib/rpm/Packages").write_bytes(b"\x00" * 100)
    result = scan(root)
    assert result.inventory.packages == ()
    by_path = {s.path: s for s in result.statuses if s.plugin == "catalog/os/rpm"}
    assert by_path["/var/lib/rpm/Packages"].status is StatusKind.ERROR
    assert by_path[None].status is StatusKind.PARTIAL
