"""Scan results for the formatter tests.

- ``scanned``: ``scan_filesystem`` over a small rootfs built from ``testdata/``: this Debian 12 machine's
  ``/etc/os-release``, eight real paragraphs of its ``/var/lib/dpkg/status`` and the ``METADATA``
  headers of eight installed wheels chosen for their license fields (an SPDX expression, ``Apache 2.0``,
  ``UNKNOWN``, lower-case compound, names with ``.``/``_``), plus one ``METADATA`` without a Version,
  which the python cataloger reports as a coverage gap.
- ``constructed``: a hand-made result with findings of every severity (kinds ``check`` and
  ``vulnerability``), locations with and without lines, odd package names, one purl reported by two
  catalogers, and non-ok statuses.
- ``host_result``: the full scan of this machine (slow tests only).
- ``sarif_schema``: the OASIS SARIF 2.1.0 schema from the npm package ``@microsoft/jest-sarif``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from stockade.catalog.common import make_package
from stockade.model.finding import Finding
from stockade.model.inventory import Inventory, Location, OSInfo, Package
from stockade.model.result import ScanResult
from stockade.model.severity import Severity
from stockade.model.status import Status, StatusKind
from stockade.model.target import Target, TargetKind
from stockade.scan.scanner import ScanOptions, scan_filesystem
from stockade.target.rootfs import open_rootfs

TESTDATA = Path(__file__).parent / "testdata"
SCHEMAS = Path(__file__).parent / "schemas"
CACHE = Path(__file__).resolve().parents[1] / ".cache"
T0 = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
T1 = datetime(2025, 3, 1, 12, 0, 7, tzinfo=UTC)
SCAN_ID = "3f2c9a7e5b1d4c8e9a0b1c2d3e4f5a6b"
SARIF_PACKAGE = "@microsoft/jest-sarif@1.0.0-beta.0"
SARIF_MEMBER = "package/lib/schemas/sarif-2.1.0-rtm.5.json"
BROKEN_METADATA = "Metadata-Version: 2.1\nName: half-installed\n"


def build_rootfs(root: Path) -> Path:
    (root / "etc").mkdir(parents=True)
    shutil.copy(TESTDATA / "os-release", root / "etc" / "os-release")
    (root / "var/lib/dpkg").mkdir(parents=True)
    shutil.copy(TESTDATA / "dpkg-status", root / "var/lib/dpkg/status")
    site = root / "usr/lib/python3/dist-packages"
    shutil.copytree(TESTDATA / "site-packages", site)
    broken = site / "half_installed-1.0.dist-info"
    broken.mkdir()
    (broken / "METADATA").write_text(BROKEN_METADATA, encoding="utf-8")
    return root


def scan_rootfs(root: Path, scan_id: str = SCAN_ID) -> ScanResult:
    target, fs = open_rootfs(str(root))
    opts = ScanOptions(catalogers=("os/dpkg", "lang/python"), clock=lambda: T0, scan_id=lambda: scan_id)
    return scan_filesystem(target, fs, opts)


@pytest.fixture(scope="session")
def rootfs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_rootfs(tmp_path_factory.mktemp("report") / "rootfs")


@pytest.fixture(scope="session")
def scanned(rootfs: Path) -> ScanResult:
    return scan_rootfs(rootfs)


def pkg(name: str, version: str, type_: str, found_by: str, path: str, **kw: Any) -> Package:
    return make_package(name=name, version=version, type_=type_, found_by=found_by, path=path, **kw)


def constructed_result(scan_id: str = SCAN_ID, kind: TargetKind = TargetKind.IMAGE) -> ScanResult:
    os_info = OSInfo("debian", "12", "Debian GNU/Linux", "Debian GNU/Linux 12 (bookworm)", "bookworm",
                     source="/etc/os-release")  # fmt: skip
    distro = {"arch": "amd64", "distro": "debian-12"}
    openssl = pkg("libssl3", "3.0.11-1~deb12u2", "deb", "os/dpkg", "/var/lib/dpkg/status", line=812,
                  namespace="debian", ecosystem="Debian", qualifiers=distro, source_name="openssl",
                  source_version="3.0.11-1~deb12u2", arch="amd64")  # fmt: skip
    packages = [
        openssl,
        pkg(
            "@babel/core",
            "7.24.0",
            "npm",
            "lang/npm",
            "/app/node_modules/@babel/core/package.json",
            namespace="@babel",
            purl_name="core",
            licenses=("MIT",),
        ),
        pkg(
            "commons-text",
            "1.9",
            "maven",
            "lang/java",
            "/app/lib/commons-text-1.9.jar",
            namespace="org.apache.commons",
            licenses=("Apache-2.0",),
        ),
        pkg(
            "monolog/monolog",
            "2.9.1",
            "composer",
            "lang/php",
            "/app/composer.lock",
            line=10,
            namespace="monolog",
            purl_name="monolog",
            licenses=("MIT",),
        ),
        pkg(
            "weird name+ü",
            "1.0",
            "pypi",
            "lang/python",
            "/opt/x y/weird_name-1.0.dist-info/METADATA",
            purl_name="weird-name-ü",
            licenses=("GPL-2.0+", "BSD"),
        ),
        pkg(
            "dual",
            "0.1",
            "pypi",
            "lang/python",
            "/usr/lib/python3/dist-packages/dual-0.1.dist-info/METADATA",
            licenses=("MIT OR Apache-2.0",),
        ),
        # the same purl from two catalogers (an egg-info and a dist-info copy, say)
        pkg(
            "requests",
            "2.31.0",
            "pypi",
            "lang/python",
            "/usr/lib/python3/dist-packages/requests.egg-info",
            licenses=("Apache 2.0",),
        ),
        pkg("requests", "2.31.0", "pypi", "sbom/spdx", "/app/sbom.spdx.json", line=40),
    ]
    # seen in the status file and in a distroless status.d entry
    packages[0] = replace(openssl, locations=(Location("/var/lib/dpkg/status", 812),
                                              Location("/var/lib/dpkg/status.d/libssl3")))  # fmt: skip
    findings = (
        Finding(
            "STK-HOST-0001",
            Severity.CRITICAL,
            "SSH permits root login",
            "img",
            "check",
            Location("/etc/ssh/sshd_config", 32),
            "PermitRootLogin yes",
            "Set PermitRootLogin no.",
            ("https://man.openbsd.org/sshd_config",),
        ),
        Finding(
            "STK-HOST-0001",
            Severity.CRITICAL,
            "SSH permits root login",
            "img",
            "check",
            Location("/etc/ssh/sshd_config.d/10-root.conf", 1),
            "PermitRootLogin yes",
            "Set PermitRootLogin no.",
        ),
        Finding(
            "STK-IMG-0003",
            Severity.MEDIUM,
            "image runs as root",
            "img",
            "check",
            None,
            "USER not set",
            "Add a USER instruction.",
        ),
        Finding(
            "STK-IMG-0007",
            Severity.LOW,
            "world-writable file",
            "img",
            "check",
            Location("/tmp/a b/file%1"),
            "mode 0777",
        ),
        Finding(
            "STK-IMG-0009",
            Severity.INFO,
            "package manager cache left",
            "img",
            "check",
            Location("/var/cache/apt/pkgcache.bin", layer="sha256:" + "ab" * 32),
        ),
        Finding(
            "CVE-2023-5678",
            Severity.HIGH,
            "openssl: DH check slowness",
            "img",
            "vulnerability",
            remediation="Upgrade libssl3 to 3.0.13-1~deb12u1.",
            package=openssl.purl,
            references=("https://security-tracker.debian.org/tracker/CVE-2023-5678", "DSA-5532-1"),
        ),
        Finding(
            "GHSA-j8r2-6x86-q33q",
            Severity.MEDIUM,
            "requests: Proxy-Authorization leak",
            "img",
            "vulnerability",
            remediation="Upgrade requests to 2.32.0.",
            package="pkg:pypi/requests@2.31.0",
        ),
        Finding(
            "CVE-2099-0001",
            Severity.UNKNOWN,
            "not yet rated",
            "img",
            "vulnerability",
            package="pkg:generic/not-in-inventory@1",
        ),
    )
    statuses = (
        Status("catalog/lang/npm", StatusKind.OK, "1 packages"),
        Status(
            "catalog/lang/python",
            StatusKind.PARTIAL,
            "failed to parse Python package metadata: missing Version",
            "/usr/lib/python3/dist-packages/half_installed-1.0.dist-info/METADATA",
        ),
        Status("catalog/os/rpm", StatusKind.ERROR, "plug-in could not be loaded"),
        Status("walk", StatusKind.SKIPPED, "file larger than the limit", "/var/lib/big.img"),
        Status("walk", StatusKind.UNSUPPORTED, "unknown compression", "/app/x.jar"),
    )
    return ScanResult(
        scan_id=scan_id,
        target=Target(kind, "registry.example/app:1.2", "image:sha256:" + "cd" * 32),
        inventory=Inventory(os_info, tuple(packages)),
        findings=tuple(sorted(findings, key=lambda f: f.sort_key())),
        statuses=statuses,
        started=T0,
        finished=T1,
        tool_version="0.1.0",
    )


@pytest.fixture
def constructed() -> ScanResult:
    return constructed_result()


@pytest.fixture(scope="session")
def host_result() -> ScanResult:
    """This machine's scan, cut to a bounded sample that keeps what makes real data hard: up to 200
    packages of every cataloger, and every package with a licence string not seen before.  (A CI machine's
    host holds every checkout and cache the suite made; the validators are slow on tens of thousands.)"""
    from stockade.target.host import open_host

    full = scan_filesystem(*open_host())
    per_cataloger: dict[str, int] = {}
    licences: set[tuple[str, ...]] = set()
    sample = []
    for pkg in full.inventory.packages:
        taken = per_cataloger.get(pkg.found_by, 0)
        if taken < 200 or pkg.licenses not in licences:
            sample.append(pkg)
            per_cataloger[pkg.found_by] = taken + 1
            licences.add(pkg.licenses)
    return replace(full, inventory=Inventory(full.inventory.os, tuple(sample)))


@pytest.fixture(scope="session")
def sarif_schema() -> dict[str, Any]:
    """The OASIS SARIF 2.1.0 (rtm.5) schema, fetched once with ``npm pack`` into tests/.cache/."""
    cached = CACHE / "sarif-2.1.0-rtm.5.json"
    if not cached.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip(f"npm not installed: cannot fetch the SARIF schema ({SARIF_PACKAGE})")
        CACHE.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=CACHE) as work:
            try:
                proc = subprocess.run([npm, "pack", SARIF_PACKAGE, "--silent"], cwd=work, capture_output=True,
                                      text=True, timeout=180, check=False)  # fmt: skip
            except subprocess.TimeoutExpired:
                pytest.skip(f"npm pack {SARIF_PACKAGE} timed out (is the npm registry reachable?)")
            tarballs = list(Path(work).glob("*.tgz"))
            if proc.returncode != 0 or not tarballs:
                pytest.skip(
                    f"npm pack {SARIF_PACKAGE} failed (exit {proc.returncode}): {proc.stderr.strip()[-400:]}"
                )
            with tarfile.open(tarballs[0]) as tar:
                member = tar.extractfile(SARIF_MEMBER)
                assert member is not None, f"{SARIF_MEMBER} missing from {tarballs[0].name}"
                data = member.read()
            tmp = Path(work) / "schema.json"
            tmp.write_bytes(data)
            os.replace(tmp, cached)  # atomic: parallel workers may race here
    schema: dict[str, Any] = json.loads(cached.read_text(encoding="utf-8"))
    return schema
