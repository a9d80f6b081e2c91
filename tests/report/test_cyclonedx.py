"""CycloneDX 1.6: validated with cyclonedx-python-lib's strict 1.6 JSON schema validator and read back
with its deserialiser."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from typing import Any

import pytest
from cyclonedx.model.bom import Bom
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from stockade.model.inventory import Inventory
from stockade.model.result import ScanResult
from stockade.model.target import TargetKind
from stockade.report.cyclonedx import CycloneDxFormatter, licenses_of, serial_number
from tests.report.conftest import SCAN_ID, constructed_result

VALIDATOR = JsonStrictValidator(SchemaVersion.V1_6)


def render(result: ScanResult) -> dict[str, Any]:
    text = CycloneDxFormatter().render(result)
    error = VALIDATOR.validate_str(text, all_errors=True)
    assert error is None, f"CycloneDX 1.6 schema: {error}"
    doc: dict[str, Any] = json.loads(text)
    return doc


def by_purl(doc: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for comp in doc["components"]:
        if "purl" in comp:
            out.setdefault(comp["purl"], []).append(comp)
    return out


def props(comp: dict[str, Any], name: str) -> list[str]:
    return [p["value"] for p in comp.get("properties", []) if p["name"] == name]


def test_real_scan_is_valid_and_complete(scanned: ScanResult) -> None:
    doc = render(scanned)
    assert doc["bomFormat"] == "CycloneDX" and doc["specVersion"] == "1.6"
    comps = by_purl(doc)
    assert len(scanned.inventory.packages) >= 15
    for p in scanned.inventory.packages:
        [comp] = comps[p.purl]
        assert comp["bom-ref"] == p.purl
        assert comp["version"] == p.version
        assert props(comp, "stockade:found_by") == [p.found_by]
        assert props(comp, "stockade:location") == [str(loc) for loc in p.locations]
        if p.source_name:
            assert props(comp, "stockade:source_name") == [p.source_name]
    libc = next(c for c in doc["components"] if c["name"] == "libc6")
    assert props(libc, "stockade:source_name") == ["glibc"]
    assert props(libc, "stockade:location")[0].startswith("/var/lib/dpkg/status:")
    [os_comp] = [c for c in doc["components"] if c["type"] == "operating-system"]
    assert (os_comp["name"], os_comp["version"]) == ("debian", "12")


def test_metadata(scanned: ScanResult) -> None:
    doc = render(scanned)
    meta = doc["metadata"]
    assert meta["timestamp"] == "2025-03-01T12:00:00Z"
    assert doc["serialNumber"] == f"urn:uuid:{uuid.UUID(SCAN_ID)}"
    assert meta["component"]["name"] == scanned.target.name
    assert meta["component"]["type"] == "operating-system"  # a rootfs
    [tool] = meta["tools"]["components"]
    assert (tool["name"], tool["version"]) == ("stockade", scanned.tool_version)


@pytest.mark.parametrize(
    ("kind", "expected"),
    [(TargetKind.IMAGE, "container"), (TargetKind.HOST, "device"), (TargetKind.ROOTFS, "operating-system"),
     (TargetKind.DIRECTORY, "application"), (TargetKind.MANIFESTS, "application")],
)  # fmt: skip
def test_root_component_type(kind: TargetKind, expected: str) -> None:
    doc = render(constructed_result(kind=kind))
    assert doc["metadata"]["component"]["type"] == expected


def test_serial_number_of_a_non_uuid_scan_id() -> None:
    first = serial_number("scan-2025-03-01/a")
    assert first == serial_number("scan-2025-03-01/a") != serial_number("scan-2025-03-01/b")
    assert first.startswith("urn:uuid:")
    render(constructed_result(scan_id="scan-2025-03-01/a"))  # the schema's serialNumber pattern


@pytest.mark.parametrize(
    ("licenses", "expected"),
    [
        ((), []),
        (("MIT",), [{"license": {"id": "MIT"}}]),
        (("mit",), [{"license": {"id": "MIT"}}]),
        (("GPL-2.0+",), [{"license": {"id": "GPL-2.0-or-later"}}]),
        (("Apache 2.0",), [{"license": {"name": "Apache 2.0"}}]),
        (("UNKNOWN",), [{"license": {"name": "UNKNOWN"}}]),
        (("LicenseRef-Proprietary",), [{"license": {"name": "LicenseRef-Proprietary"}}]),
        (("GPL-2.0-only WITH MIT",), [{"license": {"name": "GPL-2.0-only WITH MIT"}}]),
        (("Classpath-exception-2.0",), [{"license": {"name": "Classpath-exception-2.0"}}]),
        (("MIT OR Apache-2.0",), [{"expression": "MIT OR Apache-2.0"}]),
        (("apache-2.0 AND (gpl-2.0 AND lgpl-2.0)",),
         [{"expression": "Apache-2.0 AND (GPL-2.0-only AND LGPL-2.0-only)"}]),
        (("MIT", "BSD-3-Clause"), [{"license": {"id": "MIT"}}, {"license": {"id": "BSD-3-Clause"}}]),
        # an expression may only stand alone: next to another license it becomes a name
        (("MIT OR Apache-2.0", "BSD"),
         [{"license": {"name": "MIT OR Apache-2.0"}}, {"license": {"name": "BSD"}}]),
        (("  ", "MIT"), [{"license": {"id": "MIT"}}]),
    ],
)  # fmt: skip
def test_licenses(licenses: tuple[str, ...], expected: list[dict[str, Any]]) -> None:
    assert licenses_of(licenses) == expected


def test_licenses_from_real_metadata(scanned: ScanResult) -> None:
    comps = {c["name"]: c for c in render(scanned)["components"]}
    assert comps["packaging"]["licenses"] == [{"expression": "Apache-2.0 OR BSD-2-Clause"}]
    assert comps["sortedcontainers"]["licenses"] == [{"license": {"name": "Apache 2.0"}}]
    assert comps["typing_extensions"]["licenses"] == [{"license": {"id": "PSF-2.0"}}]
    assert comps["isoduration"]["licenses"] == [{"license": {"name": "UNKNOWN"}}]


def test_groups_duplicates_and_odd_names(constructed: ScanResult) -> None:
    doc = render(constructed)
    comps = by_purl(doc)
    npm = comps["pkg:npm/%40babel/core@7.24.0"][0]
    assert (npm.get("group"), npm["name"]) == ("@babel", "core")
    maven = comps["pkg:maven/org.apache.commons/commons-text@1.9"][0]
    assert (maven.get("group"), maven["name"]) == ("org.apache.commons", "commons-text")
    composer = comps["pkg:composer/monolog/monolog@2.9.1"][0]
    assert (composer.get("group"), composer["name"]) == ("monolog", "monolog")
    deb = next(c for c in doc["components"] if c["name"] == "libssl3")
    assert "group" not in deb  # the purl namespace of a deb is the distro, not a publisher
    assert props(deb, "stockade:location") == ["/var/lib/dpkg/status:812", "/var/lib/dpkg/status.d/libssl3"]
    requests = comps["pkg:pypi/requests@2.31.0"]
    assert sorted(c["bom-ref"] for c in requests) == [
        "pkg:pypi/requests@2.31.0",
        "pkg:pypi/requests@2.31.0#sbom/spdx",
    ]
    refs = [c["bom-ref"] for c in doc["components"]] + [doc["metadata"]["component"]["bom-ref"]]
    assert len(refs) == len(set(refs))


def test_dependencies(constructed: ScanResult) -> None:
    doc = render(constructed)
    deps = {d["ref"]: d.get("dependsOn", []) for d in doc["dependencies"]}
    root = doc["metadata"]["component"]["bom-ref"]
    os_ref = "os:debian@12"
    assert os_ref in deps[root]
    assert deps[os_ref] == ["pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12"]
    assert "pkg:npm/%40babel/core@7.24.0" in deps[root]
    assert set(deps) == {root, os_ref}  # packages' own dependencies are unknown, so not declared empty


def test_vulnerabilities(constructed: ScanResult) -> None:
    doc = render(constructed)
    vulns = {v["id"]: v for v in doc["vulnerabilities"]}
    assert set(vulns) == {"CVE-2023-5678", "GHSA-j8r2-6x86-q33q", "CVE-2099-0001"}  # no "check" findings
    refs = {c["bom-ref"] for c in doc["components"]}
    ssl = vulns["CVE-2023-5678"]
    assert ssl["ratings"] == [{"severity": "high"}]
    assert ssl["affects"] == [{"ref": "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12"}]
    assert ssl["recommendation"] == "Upgrade libssl3 to 3.0.13-1~deb12u1."
    assert ssl["advisories"] == [{"url": "https://security-tracker.debian.org/tracker/CVE-2023-5678"}]
    # a purl two catalogers reported: both components are affected
    assert [a["ref"] for a in vulns["GHSA-j8r2-6x86-q33q"]["affects"]] == [
        "pkg:pypi/requests@2.31.0", "pkg:pypi/requests@2.31.0#sbom/spdx"]  # fmt: skip
    for v in vulns.values():
        assert all(a["ref"] in refs for a in v.get("affects", []))
    unknown = vulns["CVE-2099-0001"]
    assert "affects" not in unknown and props(unknown, "stockade:package") == [
        "pkg:generic/not-in-inventory@1"
    ]
    assert unknown["ratings"] == [{"severity": "unknown"}]


def test_no_os_and_no_packages(constructed: ScanResult) -> None:
    empty = replace(constructed, inventory=Inventory(None, ()), findings=())
    doc = render(empty)
    assert doc["components"] == [] and "vulnerabilities" not in doc


def test_library_reads_it_back(constructed: ScanResult) -> None:
    doc = render(constructed)
    bom = Bom.from_json(doc)  # type: ignore[attr-defined]
    assert len(bom.components) == len(constructed.inventory.packages) + 1
    assert {str(c.purl) for c in bom.components if c.purl} == {p.purl for p in constructed.inventory.packages}
    assert len(bom.vulnerabilities) == 3
    assert str(bom.serial_number) == str(uuid.UUID(SCAN_ID))


@pytest.mark.slow
def test_full_host_scan_is_valid(host_result: ScanResult) -> None:
    doc = render(host_result)
    refs = [c["bom-ref"] for c in doc["components"]]
    assert len(refs) == len(set(refs))
    assert len(doc["components"]) == len(host_result.inventory.packages) + (
        1 if host_result.inventory.os else 0
    )
