"""Bad and partly bad input: files that are not SBOMs, broken JSON/XML/YAML (file:line:column), broken
components inside good documents (named by index and bom-ref; the rest is read), components without
purls, limits, hostile XML.  Broken documents are derived from the real fixtures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stockade.catalog.sbom.read import read_sbom, read_sbom_bytes
from stockade.errors import InputError, ParseError, TargetNotFoundError
from stockade.model.status import StatusKind
from tests.catalog.sbom.conftest import TESTDATA

NPM_CDX = TESTDATA / "npm-cyclonedx.json"
NPM_SPDX = TESTDATA / "npm-spdx.json"


def load(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return doc


def write(tmp_path: Path, name: str, content: str | bytes) -> str:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("content", "line", "column"),
    [
        (
            '{\n  "bomFormat": "CycloneDX",\n  "components": [\n    {"name": "x",}\n  ]\n}\n',
            4,
            17,
        ),  # the trailing comma
        ('{\n  "spdxVersion": "SPDX-2.3"\n  "packages": []\n}\n', 3, 3),
        ('{"bomFormat": "CycloneDX", "components": [', 1, 43),
    ],
)
def test_broken_json_names_file_line_and_column(content: str, line: int, column: int, tmp_path: Path) -> None:
    path = write(tmp_path, "broken.json", content)
    with pytest.raises(ParseError) as info:
        read_sbom(path)
    assert (info.value.path, info.value.line, info.value.column) == (path, line, column)
    assert info.value.message.startswith(f"failed to parse JSON: {path}:{line}:{column}: ")


def test_truncated_real_sbom(tmp_path: Path) -> None:
    text = NPM_CDX.read_text()
    cut = text[: len(text) // 2]
    path = write(tmp_path, "truncated.json", cut)
    with pytest.raises(ParseError) as info:
        read_sbom(path)
    assert info.value.line == cut.count("\n") + 1


def test_broken_xml_names_line_and_column(tmp_path: Path) -> None:
    text = (TESTDATA / "cdx-py-1.5.xml").read_text()
    lines = text.splitlines()
    column = len(lines[9]) + 3  # expat stops on the character after the bare ampersand
    lines[9] += " & "
    path = write(tmp_path, "broken.xml", "\n".join(lines))
    with pytest.raises(ParseError) as info:
        read_sbom(path)
    assert (info.value.line, info.value.column) == (10, column)
    assert info.value.message.startswith(f"failed to parse XML: {path}:10:{column}: not well-formed")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            '{"name": "my-app", "version": "1.0.0", "dependencies": {}}',
            "its keys: dependencies, name, version",
        ),
        ('[{"bomFormat": "CycloneDX"}]', "the JSON document is an array"),
        ("<project><modelVersion>4.0.0</modelVersion></project>", "root element is project"),
        ("name: demo\nversion: 1\n", "neither JSON, XML nor SPDX tag-value"),
        ("", "empty file"),
        (b"\x7fELF\x02\x01\x01\x00\x00\x00", "binary data"),
        ('{"spdxVersion": "SPDX-1.2"}', "SPDX-1.2 JSON is not supported"),
    ],
)
def test_not_an_sbom(content: str | bytes, expected: str, tmp_path: Path) -> None:
    path = write(tmp_path, "input", content)
    with pytest.raises(InputError) as info:
        read_sbom(path)
    assert path in info.value.message
    assert expected in info.value.message
    if "not supported" not in expected and "empty" not in expected:
        assert "expected an SBOM: CycloneDX" in info.value.message


def test_spdx_rdf_is_reported_unsupported(tmp_path: Path) -> None:
    rdf = (
        '<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns:spdx="http://spdx.org/rdf/terms#"><spdx:SpdxDocument rdf:about="x"/></rdf:RDF>\n'
    )
    with pytest.raises(InputError, match="SPDX RDF/XML is not supported") as info:
        read_sbom(write(tmp_path, "doc.rdf", rdf))
    assert "pyspdxtools" in info.value.diagnostics()


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(TargetNotFoundError, match="no such file"):
        read_sbom(str(tmp_path / "absent.json"))
    with pytest.raises(InputError, match="is a directory"):
        read_sbom(str(tmp_path))


def test_size_limit(tmp_path: Path) -> None:
    path = str(NPM_CDX)
    size = NPM_CDX.stat().st_size
    with pytest.raises(InputError, match=r"refused: .* than the .* limit") as info:
        read_sbom(path, max_size=size - 1)
    assert "--max-size" in info.value.diagnostics()
    inventory, _, _ = read_sbom(path, max_size=size)
    assert len(inventory.packages) == 4


def test_xml_doctype_is_refused(tmp_path: Path) -> None:
    laughs = (
        '<?xml version="1.0"?>\n<!DOCTYPE bom [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>\n'
        '<bom xmlns="http://cyclonedx.org/schema/bom/1.5"><components><component type="library">'
        "<name>&b;</name></component></components></bom>\n"
    )
    with pytest.raises(InputError, match="refused: the XML has a document type declaration"):
        read_sbom(write(tmp_path, "laughs.xml", laughs))


def test_broken_components_are_named_and_the_rest_is_read(tmp_path: Path) -> None:
    doc = load(NPM_CDX)
    good = len(doc["components"])
    doc["components"][1]["purl"] = "pkg:npm/debug@4.3.4?not-a-qualifier"
    doc["components"][2]["name"] = 42
    doc["components"].insert(0, "not a component")
    doc["components"].append({"type": "library", "bom-ref": "nameless", "version": "1.0"})
    inventory, _, statuses = read_sbom(write(tmp_path, "partly-broken.json", json.dumps(doc)))
    problems = {s.reason for s in statuses if s.status is StatusKind.PARTIAL and s.path is not None}
    assert "components[0]: expected an object, got a string: skipped" in problems
    assert any(
        r.startswith(
            "components[2] 'debug@4.3.4' (bom-ref 'debug@4.3.4'): purl 'pkg:npm/debug@4.3.4?not-a-qualifier'"
        )
        and r.endswith("cannot be matched")
        for r in problems
    )
    assert any(
        r.startswith("components[3] ") and "name: expected a string, got a number" in r for r in problems
    )
    assert any(
        r.startswith("components[5] '@1.0' (bom-ref 'nameless')") and "has no name" in r for r in problems
    )
    # the component with a broken purl is kept (as not matchable); the nameless one is not
    assert len(inventory.packages) == good - 1
    assert [p.metadata.get("purl") for p in inventory.packages if p.type == "generic"] == [
        "synthesised: the SBOM gives no purl"
    ]
    summary = [s for s in statuses if s.path is None]
    assert len(summary) == 1 and summary[0].status is StatusKind.PARTIAL


def test_broken_spdx_package_is_named_and_the_rest_is_read(tmp_path: Path) -> None:
    doc = load(NPM_SPDX)
    doc["packages"][1]["externalRefs"] = "pkg:npm/oops"
    doc["packages"][2]["versionInfo"] = ["4.3.4"]
    inventory, _, statuses = read_sbom(write(tmp_path, "partly-broken.spdx.json", json.dumps(doc)))
    problems = [s.reason for s in statuses if s.is_problem and s.path is not None]
    spdx_id = doc["packages"][1]["SPDXID"]
    assert any(
        r.startswith("packages[1] ") and f"(id '{spdx_id}')" in r and "externalRefs: expected an array" in r
        for r in problems
    )
    assert any(
        r.startswith("packages[2] ") and "versionInfo: expected a string, got an array" in r for r in problems
    )
    assert len(inventory.packages) == 4


def test_components_without_purl_are_kept_with_a_status(tmp_path: Path) -> None:
    doc = load(NPM_CDX)
    doc["components"].append({"type": "library", "bom-ref": "vendored", "name": "libfoo", "version": "2.1"})
    doc["components"].append({"type": "file", "name": "/usr/bin/foo"})
    inventory, _, statuses = read_sbom(write(tmp_path, "no-purl.json", json.dumps(doc)))
    kept = [p for p in inventory.packages if p.name == "libfoo"]
    assert len(kept) == 1
    assert (kept[0].type, kept[0].ecosystem, kept[0].purl) == ("generic", "generic", "pkg:generic/libfoo@2.1")
    reasons = [s.reason for s in statuses]
    assert "components[4] 'libfoo@2.1' (bom-ref 'vendored'): no purl: cannot be matched" in reasons
    assert "1 file components without a purl not read: they are not packages" in reasons
    assert not any(p.name == "/usr/bin/foo" for p in inventory.packages)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PackageName: a\nthis line is wrong\nSPDXID: SPDXRef-a\n", "line 6: expected 'Tag: value'"),
        (
            "PackageName: a\nPackageComment: <text>never closed\n",
            "line 6: <text> of PackageComment is not closed",
        ),
        (
            "PackageName: a\nExternalRef: PACKAGE-MANAGER purl\n",
            "line 6: ExternalRef: expected 'CATEGORY TYPE",
        ),
    ],
)
def test_tag_value_problems_have_line_numbers(text: str, expected: str) -> None:
    head = "SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\nSPDXID: SPDXRef-DOCUMENT\n\n"
    inventory, _, statuses = read_sbom_bytes((head + text).encode(), "doc.spdx")
    assert any(expected in s.reason for s in statuses), [s.reason for s in statuses]
    assert [p.name for p in inventory.packages] == ["a"]


def test_broken_yaml_names_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "doc.yaml", "spdxVersion: SPDX-2.3\npackages:\n  - name: a\n   bad: [\n")
    with pytest.raises(ParseError) as info:
        read_sbom(path)
    assert info.value.line is not None and info.value.column is not None
    assert "failed to parse YAML" in info.value.message


def test_deep_nesting_is_cut_and_reported() -> None:
    component: dict[str, Any] = {"type": "library", "name": "leaf", "purl": "pkg:npm/leaf@1.0.0"}
    for i in range(80):
        component = {
            "type": "library",
            "name": f"n{i}",
            "purl": f"pkg:npm/n{i}@1.0.0",
            "components": [component],
        }
    doc = {"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [component]}
    inventory, _, statuses = read_sbom_bytes(json.dumps(doc).encode(), "deep.json")
    assert len(inventory.packages) == 65
    assert any("components nested deeper than 64: not read" in s.reason for s in statuses)


def test_yaml_aliases_are_refused() -> None:
    bomb = "spdxVersion: SPDX-2.3\na: &a [x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
    with pytest.raises(ParseError) as info:
        read_sbom_bytes(bomb.encode(), "bomb.yaml")
    assert (info.value.line, info.value.column) == (3, 8)  # the first *a
    assert "aliases are not allowed" in info.value.message
