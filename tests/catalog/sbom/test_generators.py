"""SBOMs from other real generators (testdata/generate.sh made them): cyclonedx-py over a venv (CycloneDX
1.4–1.7, JSON and XML), npm's own ``npm sbom`` (CycloneDX 1.5 and SPDX 2.3 JSON) and the SPDX project's
spdx-python-model (SPDX 3.0.1 JSON-LD).  Each is checked against an independent reading of the same
file: the CycloneDX and SPDX projects' libraries, or the file's JSON walked directly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component
from packageurl import PackageURL
from spdx_tools.spdx.parser.error import SPDXParsingError
from spdx_tools.spdx.parser.parse_anything import parse_file

from stockade.catalog.sbom.read import read_sbom
from tests.catalog.sbom.conftest import TESTDATA

pytestmark = pytest.mark.filterwarnings("ignore::cyclonedx.schema.deprecation.BaseSchemaDeprecationWarning")


def library_purls(path: Path) -> set[str]:
    """Every purl cyclonedx-python-lib finds in the document, nested components included."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".xml":
        bom = Bom.from_xml(ElementTree.fromstring(text))  # type: ignore[attr-defined]
    else:
        bom = Bom.from_json(json.loads(text))  # type: ignore[attr-defined]

    def walk(components: Any) -> set[str]:
        out: set[str] = set()
        for c in components:
            assert isinstance(c, Component)
            if c.purl is not None:
                out.add(PackageURL.from_string(str(c.purl)).to_string())
            out |= walk(c.components)
        return out

    return walk(bom.components)


CYCLONEDX_PY = [
    "cdx-py-1.4.json",
    "cdx-py-1.5.json",
    "cdx-py-1.5.xml",
    "cdx-py-1.6.json",
    "cdx-py-1.6.xml",
    "cdx-py-1.7.json",
]


@pytest.mark.parametrize("name", CYCLONEDX_PY)
def test_cyclonedx_py(name: str) -> None:
    path = TESTDATA / name
    if name.endswith("1.7.json"):
        expected = {
            PackageURL.from_string(c["purl"]).to_string() for c in json.loads(path.read_text())["components"]
        }
    else:  # cyclonedx-python-lib 11 reads up to 1.6
        expected = library_purls(path)
    inventory, target, statuses = read_sbom(str(path))
    assert {p.purl for p in inventory.packages} == expected
    assert {"pkg:pypi/six@1.16.0", "pkg:pypi/idna@3.4", "pkg:pypi/urllib3@1.26.5"} <= expected
    assert {p.ecosystem for p in inventory.packages} == {"PyPI"}
    meta = target.metadata["sbom"]
    assert meta["spec_version"] == name.split("-")[2].rsplit(".", 1)[0]
    assert meta["encoding"] == name.rsplit(".", 1)[1]
    assert any(t.startswith("cyclonedx-py ") for t in meta["tools"])
    assert [s for s in statuses if s.is_problem] == []


def test_npm_cyclonedx() -> None:
    path = TESTDATA / "npm-cyclonedx.json"
    inventory, target, statuses = read_sbom(str(path))
    assert {p.purl for p in inventory.packages} == library_purls(path)
    names = {(p.name, p.version, p.namespace) for p in inventory.packages}
    assert ("@sindresorhus/is", "4.6.0", "@sindresorhus") in names  # scoped: the npm name, as OSV spells it
    assert ("ms", "2.1.2", None) in names and ("ms", "2.1.3", None) in names  # two versions kept apart
    subject = target.metadata["sbom"]["subject"]
    assert subject["purl"] == "pkg:npm/npm@1.0.0"
    assert target.id == "sbom:pkg:npm/npm@1.0.0"
    assert "pkg:npm/npm@1.0.0" not in {p.purl for p in inventory.packages}  # the subject is not a package
    assert [s for s in statuses if s.is_problem] == []


def test_npm_spdx_agrees_with_its_json_and_with_npm_cyclonedx() -> None:
    """(spdx-tools cannot be the reference here: its parser rejects the whole document for npm's
    millisecond ``created`` timestamp, which the SPDX 2.3 JSON schema allows.)"""
    path = TESTDATA / "npm-spdx.json"
    with pytest.raises(SPDXParsingError, match="does not match format"):
        parse_file(str(path))
    doc = json.loads(path.read_text())
    described = {
        r["relatedSpdxElement"]
        for r in doc["relationships"]
        if r["spdxElementId"] == "SPDXRef-DOCUMENT" and r["relationshipType"] == "DESCRIBES"
    }
    expected = {
        ref["referenceLocator"]
        for p in doc["packages"]
        if p["SPDXID"] not in described
        for ref in p.get("externalRefs", [])
        if ref["referenceType"] == "purl"
    }
    inventory, target, statuses = read_sbom(str(path))
    assert {p.purl for p in inventory.packages} == {PackageURL.from_string(e).to_string() for e in expected}
    assert len(expected) == 4
    cyclonedx, _, _ = read_sbom(str(TESTDATA / "npm-cyclonedx.json"))
    assert {(p.name, p.version, p.purl) for p in inventory.packages} == {
        (p.name, p.version, p.purl) for p in cyclonedx.packages
    }
    assert target.metadata["sbom"]["subject"]["purl"] == "pkg:npm/npm@1.0.0"
    assert [s for s in statuses if s.is_problem] == []


def test_spdx3_json_ld_debian() -> None:
    path = TESTDATA / "spdx3-debian.jsonld"
    graph = json.loads(path.read_text())["@graph"]
    expected = {
        e["software_packageUrl"]: e
        for e in graph
        if e["type"] == "software_Package" and "software_packageUrl" in e
    }
    inventory, target, statuses = read_sbom(str(path))
    assert {p.purl: (p.name, p.version) for p in inventory.packages} == {
        PackageURL.from_string(k).to_string(): (v["name"], v["software_packageVersion"])
        for k, v in expected.items()
    }
    assert inventory.os is not None
    assert (inventory.os.id, inventory.os.version_id) == ("debian", "12")
    by_name = {p.name: p for p in inventory.packages}
    assert (by_name["libc6"].source_name, by_name["libc6"].source_version) == ("glibc", "2.36-9+deb12u14")
    assert (by_name["bash"].source_name, by_name["bash"].source_version) == ("bash", "5.2.15-2")
    assert by_name["bash"].licenses == ("GPL-3.0-or-later",)
    assert {p.ecosystem for p in inventory.packages} == {"Debian"}
    meta = target.metadata["sbom"]
    assert (meta["format"], meta["spec_version"], meta["encoding"]) == ("SPDX", "3.0.1", "json-ld")
    assert meta["subject"]["name"] == "debian-bookworm-example"
    assert [s for s in statuses if s.is_problem] == []
