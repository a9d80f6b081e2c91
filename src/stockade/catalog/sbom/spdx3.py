"""SPDX 3.0 JSON-LD input (https://spdx.github.io/spdx-spec/v3.0.1/serializations/), compact form.

A 3.0 document is a flat ``@graph`` of elements with the compact names of the SPDX JSON-LD context
(``software_Package``, ``software_packageVersion`` ...).  It is turned into the SPDX 2 JSON shape and
read by :mod:`.spdx`:

- ``software_Package`` → a package: ``name``, ``software_packageVersion``, the purl from
  ``software_packageUrl`` or an ``externalIdentifier`` of type ``packageUrl``,
  ``software_primaryPurpose`` (``operatingSystem`` names the distribution, as ``OPERATING-SYSTEM`` does
  in 2.x), the declared (else concluded) license from ``hasDeclaredLicense`` /
  ``hasConcludedLicense`` relationships to license expressions.
- The ``SpdxDocument``'s ``rootElement`` — through a ``software_Sbom``'s own ``rootElement`` — is what
  the document describes.
- ``CreationInfo``: ``specVersion``, ``created``, the names of ``createdBy`` agents and
  ``createdUsing`` tools.

Not read: files, snippets, AI/dataset profiles, security (VEX) elements, relationships other than the
license ones; documents in the expanded (full IRI) JSON-LD form, or in another RDF serialisation.
"""

from __future__ import annotations

from typing import Any

from stockade.catalog.common import json_type
from stockade.catalog.sbom.model import SbomDocument, text
from stockade.catalog.sbom.spdx import read_spdx2

Json = dict[str, Any]
CONTEXT_MARK = "spdx.org/rdf/3."
_LICENSE_RELATIONSHIPS = {"hasDeclaredLicense": "licenseDeclared", "hasConcludedLicense": "licenseConcluded"}


def is_spdx3(doc: Json) -> bool:
    context = doc.get("@context")
    values = context if isinstance(context, list) else [context]
    return any(isinstance(v, str) and CONTEXT_MARK in v for v in values)


def element_type(element: Json) -> str:
    kind = text(element.get("type") or element.get("@type"))
    if "/terms/" in kind:  # an expanded IRI: https://spdx.org/rdf/3.0.1/terms/Software/Package
        namespace, _, local = kind.split("/terms/", 1)[1].rpartition("/")
        kind = f"{namespace.lower()}_{local}" if namespace and namespace != "Core" else local
    return kind


def _id(element: Json) -> str:
    return text(element.get("spdxId") or element.get("@id"))


def _ids(value: object) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [text(x) if not isinstance(x, dict) else _id(x) for x in items if x]


def read_spdx3(doc: Json) -> SbomDocument:
    graph = doc.get("@graph")
    if graph is None and element_type(doc):
        graph = [doc]
    problems: list[str] = []
    if not isinstance(graph, list):
        problems.append(f"@graph: expected an array, got {json_type(graph)}: no element read")
        graph = []
    elements: dict[str, Json] = {}
    for i, element in enumerate(graph):
        if not isinstance(element, dict):
            problems.append(f"@graph[{i}]: expected an object, got {json_type(element)}: skipped")
            continue
        element.setdefault("_index", i)
        if _id(element):
            elements[_id(element)] = element
    by_type: dict[str, list[Json]] = {}
    for element in graph:
        if isinstance(element, dict):
            by_type.setdefault(element_type(element), []).append(element)

    spec_version = ""
    creation: Json = {}
    infos = by_type.get("CreationInfo", [])
    if infos:
        info = infos[0]
        spec_version = text(info.get("specVersion"))
        creators = [text(elements.get(a, {}).get("name")) or a for a in _ids(info.get("createdBy"))]
        creators += [text(elements.get(t, {}).get("name")) or t for t in _ids(info.get("createdUsing"))]
        creation = {"created": text(info.get("created")), "creators": [c for c in creators if c]}

    described: list[str] = []
    documents = by_type.get("SpdxDocument", [])
    for root in _ids(documents[0].get("rootElement")) if documents else []:
        element = elements.get(root, {})
        if element_type(element) in ("software_Sbom", "Bom"):
            described += _ids(element.get("rootElement"))
        else:
            described.append(root)

    licenses: dict[str, Json] = {}
    for rel in by_type.get("Relationship", []):
        key = _LICENSE_RELATIONSHIPS.get(text(rel.get("relationshipType")))
        targets = _ids(rel.get("to"))
        if key and targets:
            expression = elements.get(targets[0], {})
            value = text(expression.get("simplelicensing_licenseExpression")) or targets[0]
            licenses.setdefault(text(rel.get("from")), {})[key] = value

    packages = []
    for element in by_type.get("software_Package", []):
        pid = _id(element)
        purls = [text(element.get("software_packageUrl"))]
        for ident in element.get("externalIdentifier") or []:
            if isinstance(ident, dict) and text(ident.get("externalIdentifierType")) == "packageUrl":
                purls.append(text(ident.get("identifier")))
        purpose = text(element.get("software_primaryPurpose"))
        packages.append({
            "SPDXID": pid or f"@graph[{element['_index']}]", "name": element.get("name", ""),
            "versionInfo": element.get("software_packageVersion", ""),
            "primaryPackagePurpose": "".join("-" + c if c.isupper() else c for c in purpose).upper(),
            "description": element.get("description") or element.get("summary") or "",
            "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                              "referenceLocator": p} for p in dict.fromkeys(purls) if p],
            **licenses.get(pid, {}),
        })  # fmt: skip
    as_spdx2: Json = {
        "name": text(documents[0].get("name")) if documents else "",
        "documentNamespace": _id(documents[0]) if documents else "",
        "creationInfo": creation,
        "documentDescribes": described,
        "packages": packages,
    }
    out = read_spdx2(as_spdx2, "json-ld", spec_version=spec_version or "3.0")
    for p in problems:
        out.problem(p)
    if graph and not packages and not by_type.get("SpdxDocument"):
        out.problem("no SpdxDocument and no software_Package element: only the compact JSON-LD form "
                    "(the SPDX 3.0 context's names) is read")  # fmt: skip
    files = len(by_type.get("software_File", []))
    if files:
        out.info["files_not_read"] = files
    return out
