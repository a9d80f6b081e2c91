"""Round trips: stockade scans a small real rootfs, writes CycloneDX / SPDX with its own formatters (and
the SPDX and CycloneDX projects' libraries re-encode them: XML, tag-value, YAML, older spec versions);
reading the SBOM back gives the same packages, source packages and operating system."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from cyclonedx.model.bom import Bom
from cyclonedx.output import make_outputter
from cyclonedx.schema import OutputFormat, SchemaVersion
from spdx_tools.spdx.model.spdx_no_assertion import SpdxNoAssertion
from spdx_tools.spdx.writer.write_anything import write_file

from stockade.catalog.sbom.read import read_sbom
from stockade.model.inventory import Inventory, Package
from stockade.model.result import ScanResult
from stockade.report.cyclonedx import CycloneDxFormatter
from stockade.report.spdx import SpdxFormatter
from tests.catalog.sbom.conftest import scan_tree
from tests.rootfs_fixtures import debian_rootfs

Row = tuple[Any, ...]


def rows(packages: tuple[Package, ...]) -> set[Row]:
    """What must survive a round trip.  Licenses are normalised by the writers (``mit`` → ``MIT``) and
    compared apart."""
    return {
        (
            p.name,
            p.version,
            p.type,
            p.ecosystem,
            p.purl,
            p.namespace,
            p.source_name,
            p.source_version,
            p.arch,
            tuple(p.locations),
        )
        for p in packages
    }


def write_cyclonedx(result: ScanResult, path: Path) -> Path:
    path.write_text(CycloneDxFormatter().render(result), encoding="utf-8")
    return path


def write_spdx(result: ScanResult, path: Path) -> Path:
    path.write_text(SpdxFormatter().render(result), encoding="utf-8")
    return path


def check_same(result: ScanResult, inventory: Inventory, found_by: str) -> None:
    assert rows(inventory.packages) == rows(result.inventory.packages)
    assert {p.found_by for p in inventory.packages} == {found_by}
    original = {p.purl: p.found_by for p in result.inventory.packages}
    assert {p.purl: p.metadata["sbom_found_by"] for p in inventory.packages} == original
    assert inventory.os is not None and result.inventory.os is not None
    assert (inventory.os.id, inventory.os.version_id, inventory.os.pretty_name) == (
        result.inventory.os.id,
        result.inventory.os.version_id,
        result.inventory.os.pretty_name,
    )


@pytest.mark.parametrize("scan", ["debian_scan", "alpine_scan", "fedora_scan"])
def test_cyclonedx_round_trip(scan: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    result: ScanResult = request.getfixturevalue(scan)
    assert len(result.inventory.packages) >= 5
    inventory, target, statuses = read_sbom(str(write_cyclonedx(result, tmp_path / "bom.json")))
    check_same(result, inventory, "sbom-cyclonedx")
    assert inventory.os is not None and result.inventory.os is not None
    assert inventory.os.version_codename == result.inventory.os.version_codename
    assert [s for s in statuses if s.is_problem] == []
    assert target.metadata["sbom"]["subject"]["target_id"] == result.target.id
    assert target.metadata["sbom"]["spec_version"] == "1.6"


@pytest.mark.parametrize("scan", ["debian_scan", "alpine_scan", "fedora_scan"])
def test_spdx_json_round_trip(scan: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    result: ScanResult = request.getfixturevalue(scan)
    inventory, target, statuses = read_sbom(str(write_spdx(result, tmp_path / "sbom.spdx.json")))
    check_same(result, inventory, "sbom-spdx")
    assert [s for s in statuses if s.is_problem] == []
    assert target.metadata["sbom"]["subject"]["name"] == result.target.name


def test_licenses_survive_as_the_writers_normalise_them(debian_scan: ScanResult, tmp_path: Path) -> None:
    inventory, _, _ = read_sbom(str(write_cyclonedx(debian_scan, tmp_path / "bom.json")))
    written = CycloneDxFormatter().to_dict(debian_scan)["components"]
    expected = {
        c["purl"]: tuple(
            lic.get("expression") or lic["license"].get("id") or lic["license"]["name"]
            for lic in c.get("licenses", [])
        )
        for c in written
        if "purl" in c
    }
    assert {p.purl: p.licenses for p in inventory.packages} == expected
    assert any(expected.values())


@pytest.mark.parametrize(
    ("fmt", "version"),
    [
        (OutputFormat.JSON, SchemaVersion.V1_3),
        (OutputFormat.JSON, SchemaVersion.V1_4),
        (OutputFormat.JSON, SchemaVersion.V1_5),
        (OutputFormat.XML, SchemaVersion.V1_3),
        (OutputFormat.XML, SchemaVersion.V1_4),
        (OutputFormat.XML, SchemaVersion.V1_5),
        (OutputFormat.XML, SchemaVersion.V1_6),
    ],
)
def test_cyclonedx_library_re_encodings(
    fmt: OutputFormat, version: SchemaVersion, debian_scan: ScanResult, tmp_path: Path
) -> None:
    """cyclonedx-python-lib reads stockade's 1.6 JSON and writes it as another version / as XML."""
    bom = Bom.from_json(CycloneDxFormatter().to_dict(debian_scan))  # type: ignore[attr-defined]
    text = make_outputter(bom, fmt, version).output_as_string(indent=2)
    path = tmp_path / f"bom.{fmt.name.lower()}"
    path.write_text(text, encoding="utf-8")
    if fmt is OutputFormat.XML:
        assert (
            ElementTree.fromstring(text).tag
            == f"{{http://cyclonedx.org/schema/bom/{version.to_version()}}}bom"
        )
    inventory, target, statuses = read_sbom(str(path))
    check_same(debian_scan, inventory, "sbom-cyclonedx")
    assert target.metadata["sbom"]["spec_version"] == version.to_version()
    assert target.metadata["sbom"]["encoding"] == fmt.name.lower()
    assert [s for s in statuses if s.is_problem] == []


@pytest.mark.parametrize("suffix", ["spdx", "yaml"])
def test_spdx_tools_tag_value_and_yaml(suffix: str, debian_scan: ScanResult, tmp_path: Path) -> None:
    """spdx-tools writes stockade's SPDX document as tag-value and YAML (after validating it)."""
    path = tmp_path / f"sbom.{suffix}"
    write_file(SpdxFormatter().build(debian_scan), str(path), validate=True)
    inventory, target, statuses = read_sbom(str(path))
    check_same(debian_scan, inventory, "sbom-spdx")
    assert target.metadata["sbom"]["encoding"] == {"spdx": "tag-value", "yaml": "yaml"}[suffix]
    assert [s for s in statuses if s.is_problem] == []


def test_spdx_2_2_without_package_purpose(debian_scan: ScanResult, tmp_path: Path) -> None:
    """SPDX 2.2 has no primaryPackagePurpose: the distribution then comes from the purls' distro
    qualifiers, and stockade's OS package is an ordinary package without a purl."""
    document = SpdxFormatter().build(debian_scan)
    document.creation_info.spdx_version = "SPDX-2.2"
    # 2.2 has no purpose, and asks for license and copyright fields on every package
    document.packages = [
        replace(
            p,
            primary_package_purpose=None,
            license_concluded=p.license_concluded or SpdxNoAssertion(),
            license_declared=p.license_declared or SpdxNoAssertion(),
            copyright_text=p.copyright_text or SpdxNoAssertion(),
        )
        for p in document.packages
    ]
    path = tmp_path / "sbom-2.2.json"
    write_file(document, str(path), validate=True)
    assert json.loads(path.read_text())["spdxVersion"] == "SPDX-2.2"
    inventory, target, statuses = read_sbom(str(path))
    assert target.metadata["sbom"]["spec_version"] == "2.2"
    assert inventory.os is not None
    assert (inventory.os.id, inventory.os.version_id, inventory.os.source) == (
        "debian",
        "12",
        "purl distro qualifier",
    )
    no_purl = [p for p in inventory.packages if p.type == "generic"]
    assert [(p.name, p.version) for p in no_purl] == [("debian", "12")]
    assert rows(tuple(p for p in inventory.packages if p.type != "generic")) == rows(
        debian_scan.inventory.packages
    )
    reasons = [s.reason for s in statuses if s.is_problem]
    assert any("'debian@12'" in r and "no purl: cannot be matched" in r for r in reasons)


@pytest.mark.slow
def test_debootstrap_rootfs_round_trip(tmp_path: Path) -> None:
    try:
        root = debian_rootfs()
    except RuntimeError as exc:
        pytest.skip(f"no Debian rootfs: {exc}")
    result = scan_tree(root)
    assert len(result.inventory.packages) > 50
    for write, found_by in ((write_cyclonedx, "sbom-cyclonedx"), (write_spdx, "sbom-spdx")):
        inventory, _, _ = read_sbom(str(write(result, tmp_path / "sbom")))
        check_same(result, inventory, found_by)
