"""`stockade sbom scan` matches what an SBOM lists, as `rootfs` does: language packages by purl, OS
packages by their source package and the distro release in the purl qualifiers."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

from tests.vuln.match.conftest import build_db, osv, write_osv

Cli = Callable[..., CompletedProcess[str]]


def _bom(components: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "version": 1,
        "metadata": {"component": {"type": "container", "name": "shop-api", "bom-ref": "root"}},
        "components": components,
    }


def test_sbom_scan_reports_vulnerabilities(cli: Cli, tmp_path: Path) -> None:
    records = [
        osv("PYSEC-2019-217", "PyPI", "jinja2", [("introduced", "0"), ("fixed", "2.10.1")],
            aliases=["CVE-2019-10906"]),
        osv("PYSEC-2099-1", "PyPI", "click", [("introduced", "0"), ("fixed", "7.0")]),  # 8.1.3 is past it
        osv("DSA-9999-1", "Debian:11", "openssl", [("introduced", "0"), ("fixed", "1.1.1n-0+deb11u4")]),
        osv("DSA-9999-2", "Debian:12", "openssl", [("introduced", "0"), ("fixed", "3.0.99-1")]),
    ]  # fmt: skip
    db = build_db(tmp_path / "advisories.db", [write_osv(tmp_path / "osv", records)])
    sbom = tmp_path / "bom.json"
    sbom.write_text(
        json.dumps(
            _bom(
                [
                    {"type": "library", "name": "Jinja2", "version": "2.10", "purl": "pkg:pypi/jinja2@2.10"},
                    {"type": "library", "name": "click", "version": "8.1.3", "purl": "pkg:pypi/click@8.1.3"},
                    {
                        "type": "library",
                        "name": "libssl1.1",
                        "version": "1.1.1n-0+deb11u3",
                        "purl": "pkg:deb/debian/libssl1.1@1.1.1n-0%2Bdeb11u3?arch=amd64&upstream=openssl"
                        "&distro=debian-11",
                    },
                ]
            )
        )
    )
    proc = cli("sbom", "scan", str(sbom), "--advisory-db", str(db), "--format", "json", "--no-store")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    found = {(f["package"]["name"], f["id"]): f for f in doc["findings"] if f["kind"] == "vulnerability"}
    assert set(found) == {("Jinja2", "CVE-2019-10906"), ("libssl1.1", "DSA-9999-1")}
    assert found[("Jinja2", "CVE-2019-10906")]["fixed_versions"] == ["2.10.1"]
    assert "PYSEC-2019-217" in found[("Jinja2", "CVE-2019-10906")]["aliases"]
    # the Debian 12 record does not apply to a Debian 11 package, whatever its version
    assert found[("libssl1.1", "DSA-9999-1")]["fixed_versions"] == ["1.1.1n-0+deb11u4"]
