"""SPDX 2.3: validated against the SPDX 2.3 JSON schema (schemas/README.md) with jsonschema, and with
spdx-tools' own validator, both on the document it built and on the JSON read back by its parser."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

import jsonschema
import pytest
from spdx_tools.spdx.parser.jsonlikedict.json_like_dict_parser import JsonLikeDictParser
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from stockade.model.inventory import Inventory
from stockade.model.result import ScanResult
from stockade.model.target import TargetKind
from stockade.report.spdx import SpdxFormatter, package_id, sanitise
from tests.report.conftest import SCAN_ID, SCHEMAS, constructed_result

SCHEMA = json.loads((SCHEMAS / "spdx-2.3.schema.json").read_text(encoding="utf-8"))
SPDX_ID = re.compile(r"^SPDXRef-[A-Za-z0-9.-]+$")


def render(result: ScanResult, *, full_validation: bool = True) -> dict[str, Any]:
    text = SpdxFormatter().render(result)
    doc: dict[str, Any] = json.loads(text)
    validator = jsonschema.Draft7Validator(SCHEMA, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)]
    assert errors == [], errors[:10]
    if full_validation:
        # what was written, read back by spdx-tools, passes spdx-tools' validation
        messages = validate_full_spdx_document(JsonLikeDictParser().parse(doc))
        assert [m.validation_message for m in messages] == []
    return doc


def test_built_document_passes_spdx_tools_validation(scanned: ScanResult, constructed: ScanResult) -> None:
    for result in (scanned, constructed):
        messages = validate_full_spdx_document(SpdxFormatter().build(result))
        assert [m.validation_message for m in messages] == []


def test_real_scan(scanned: ScanResult) -> None:
    doc = render(scanned)
    assert doc["spdxVersion"] == "SPDX-2.3" and doc["SPDXID"] == "SPDXRef-DOCUMENT"
    assert doc["dataLicense"] == "CC0-1.0"
    assert doc["name"] == scanned.target.name
    assert doc["documentNamespace"] == f"https://stockade.dev/spdx/rootfs/{SCAN_ID}"
    assert doc["creationInfo"] == {"created": "2025-03-01T12:00:00Z", "creators": ["Tool: stockade-0.1.0"]}
    purls = {ref["referenceLocator"]: p for p in doc["packages"] for ref in p.get("externalRefs", [])}
    for p in scanned.inventory.packages:
        sp = purls[p.purl]
        assert (sp["name"], sp["versionInfo"]) == (p.name, p.version)
        assert sp["downloadLocation"] == "NOASSERTION" and sp["supplier"] == "NOASSERTION"
        assert sp["filesAnalyzed"] is False
        assert sp["externalRefs"] == [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                                       "referenceLocator": p.purl}]  # fmt: skip
        assert p.found_by in sp["sourceInfo"]


def test_relationships(scanned: ScanResult) -> None:
    doc = render(scanned)
    rels = [
        (r["spdxElementId"], r["relationshipType"], r["relatedSpdxElement"]) for r in doc["relationships"]
    ]
    [root] = [r[2] for r in rels if r[1] == "DESCRIBES"]
    assert rels[0] == ("SPDXRef-DOCUMENT", "DESCRIBES", root)
    contained = {r[2] for r in rels if r[0] == root and r[1] == "CONTAINS"}
    ids = {p["SPDXID"] for p in doc["packages"]}
    assert contained == ids - {root}
    root_pkg = next(p for p in doc["packages"] if p["SPDXID"] == root)
    assert root_pkg["name"] == scanned.target.name and root_pkg["primaryPackagePurpose"] == "OPERATING_SYSTEM"
    os_pkg = next(p for p in doc["packages"] if p["SPDXID"].startswith("SPDXRef-OperatingSystem-"))
    assert (os_pkg["name"], os_pkg["versionInfo"]) == ("debian", "12")


def test_license_declared(scanned: ScanResult, constructed: ScanResult) -> None:
    declared = {p["name"]: p.get("licenseDeclared") for p in render(scanned)["packages"]}
    assert declared["packaging"] == "Apache-2.0 OR BSD-2-Clause"
    assert declared["rpm-inspector-rpm"] == "Apache-2.0 AND (GPL-2.0-only AND LGPL-2.0-only)"
    assert declared["typing_extensions"] == "PSF-2.0"
    assert declared["sortedcontainers"] == "NOASSERTION"  # "Apache 2.0"
    assert declared["isoduration"] == "NOASSERTION"  # "UNKNOWN"
    assert declared["libc6"] == "NOASSERTION"  # dpkg records no license
    packages = {p["name"]: p for p in render(constructed)["packages"]}
    assert packages["dual"]["licenseDeclared"] == "MIT OR Apache-2.0"
    weird = packages["weird name+ü"]
    assert weird["licenseDeclared"] == "NOASSERTION"  # GPL-2.0+ and BSD: one of them is not SPDX
    assert "GPL-2.0+; BSD" in weird["licenseComments"]


@pytest.mark.parametrize("kind", list(TargetKind))
def test_ids_unique_and_valid(kind: TargetKind) -> None:
    result = constructed_result(kind=kind)
    doc = render(result)
    ids = [p["SPDXID"] for p in doc["packages"]]
    assert len(ids) == len(set(ids)) == len(result.inventory.packages) + 2  # + root + OS
    assert all(SPDX_ID.match(i) for i in ids), ids
    assert doc["documentNamespace"] == f"https://stockade.dev/spdx/{kind.value}/{SCAN_ID}"


def test_package_ids_are_stable_and_distinguish_catalogers(constructed: ScanResult) -> None:
    a, b = (p for p in constructed.inventory.packages if p.name == "requests")
    assert package_id(a) != package_id(b)
    assert package_id(a) == package_id(constructed_result().inventory.packages[6])
    assert package_id(a).startswith("SPDXRef-Package-pypi-requests-")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("requests", "requests"), ("@babel/core", "babel-core"), ("weird name+ü", "weird-name"),
     ("zope.interface", "zope.interface"), ("lib++", "lib"), ("+++", "x")],
)  # fmt: skip
def test_sanitise(text: str, expected: str) -> None:
    assert sanitise(text) == expected


def test_namespace_of_an_odd_scan_id() -> None:
    doc = render(constructed_result(scan_id="scan 1/2#3"))
    assert doc["documentNamespace"] == "https://stockade.dev/spdx/image/scan%201%2F2%233"


@pytest.mark.slow
def test_full_host_scan_is_valid(host_result: ScanResult) -> None:
    doc = render(host_result, full_validation=False)
    ids = [p["SPDXID"] for p in doc["packages"]]
    assert len(ids) == len(set(ids)) and all(SPDX_ID.match(i) for i in ids)
    known = set(ids) | {"SPDXRef-DOCUMENT"}
    assert all(r["spdxElementId"] in known and r["relatedSpdxElement"] in known for r in doc["relationships"])
    # spdx-tools' validator is quadratic in the number of elements (1,000 packages: 1 s; 14,000: minutes),
    # so every real package goes through it in slices of 500
    packages = host_result.inventory.packages
    for start in range(0, len(packages), 500):
        part = replace(
            host_result, inventory=Inventory(host_result.inventory.os, packages[start : start + 500])
        )
        messages = validate_full_spdx_document(SpdxFormatter().build(part))
        assert [m.validation_message for m in messages] == [], f"packages {start}..{start + 500}"
