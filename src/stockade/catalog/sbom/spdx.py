"""SPDX 2.2 / 2.3 input (https://spdx.github.io/spdx-spec/v2.3/), as JSON, YAML or tag-value.

Every encoding is turned into the JSON shape (tag-value by :mod:`.tagvalue`, SPDX 3.0 JSON-LD by
:mod:`.spdx3`) and read here.  What is read: the document's ``name``, ``documentNamespace``,
``creationInfo`` (created, creators); the package(s) the document ``DESCRIBES`` (``documentDescribes``
or ``relationships``) — one described package is the subject and is not itself part of the
inventory; every other package with ``name``, ``versionInfo``, its ``PACKAGE-MANAGER`` ``purl``
external reference (Annex F; ``PACKAGE_MANAGER`` as spdx-tools writes it is accepted),
``licenseDeclared`` else ``licenseConcluded`` (not ``NOASSERTION``/``NONE``), ``primaryPackagePurpose``
and ``sourceInfo``.  A package of purpose ``OPERATING-SYSTEM`` without a purl names the distribution.
``files``, ``snippets``, ``annotations`` and relationships other than ``DESCRIBES`` are not read.

spdx-tools (the SPDX project's library) is not used to read: its parsers collect every error and then
return no document at all, so one bad package loses the whole SBOM (spdx-tools 0.8.5 rejects npm 11's
``npm sbom`` output outright for its millisecond ``created`` timestamp, which the 2.3 JSON schema
allows); and it is slower: 0.8 s for a 3,000-package tag-value document (ply), 0.15 s here.  The
tests read documents that spdx-tools wrote and validated (JSON, YAML, tag-value, SPDX 2.2).
"""

from __future__ import annotations

import re
from typing import Any

from stockade.catalog.common import json_type
from stockade.catalog.sbom.model import Component, SbomDocument, describe, parse_location, text
from stockade.catalog.sbom.packages import os_from_component
from stockade.model.inventory import Location

NAME = "sbom-spdx"
KNOWN_VERSIONS = ("SPDX-2.2", "SPDX-2.3")
DOCUMENT = "SPDXRef-DOCUMENT"
NO_VALUE = frozenset({"NOASSERTION", "NONE", ""})
#: ``sourceInfo`` as stockade's own SPDX writer fills it
_STOCKADE_SOURCE = re.compile(r"^found by stockade (?P<found_by>\S+)(?: in (?P<where>.+))?$")

Json = dict[str, Any]


def read_spdx2(doc: Json, encoding: str, *, spec_version: str | None = None) -> SbomDocument:
    """``spec_version`` is given by the SPDX 3 reader, which hands over a converted document."""
    version = text(doc.get("spdxVersion"))
    out = SbomDocument("SPDX", spec_version or version.removeprefix("SPDX-"), encoding, NAME)
    if spec_version is None and version not in KNOWN_VERSIONS:
        out.problem(f"spdxVersion {version!r}: read as SPDX-2.3")
    for key, label in (("name", "document_name"), ("documentNamespace", "document_namespace")):
        if text(doc.get(key)):
            out.info[label] = text(doc[key])
    creation = doc.get("creationInfo")
    if isinstance(creation, dict):
        if text(creation.get("created")):
            out.info["created"] = text(creation["created"])
        creators = creation.get("creators")
        if isinstance(creators, list):
            out.info["tools"] = [text(c) for c in creators if text(c)]
    packages = doc.get("packages", [])
    if not isinstance(packages, list):
        out.problem(f"packages: expected an array, got {json_type(packages)}: no package read")
        packages = []
    described = described_ids(doc, out)
    comps: list[Component] = []
    for i, raw in enumerate(packages):
        where = f"packages[{i}]"
        if not isinstance(raw, dict):
            out.problem(f"{where}: expected an object, got {json_type(raw)}: skipped")
            continue
        problems: list[str] = []
        comp = package_component(raw, where, problems)
        for p in problems:
            out.problem(f"{describe(comp)}: {p}")
        if not comp.name:
            out.problem(f"{describe(comp)}: has no name: skipped")
            continue
        comps.append(comp)
    subject = [c for c in comps if c.ref in described] if len(described) == 1 else []
    if subject:
        s = subject[0]
        out.subject = {k: v for k, v in (("type", s.kind.lower()), ("name", s.name), ("version", s.version),
                                         ("purl", s.purl), ("spdx_id", s.ref)) if v}  # fmt: skip
    elif text(doc.get("name")):
        out.subject = {"name": text(doc["name"])}
    for comp in comps:
        if subject and comp is subject[0]:
            continue
        if comp.kind == "OPERATING-SYSTEM" and not comp.purl:
            os = os_from_component(comp, "SBOM package of purpose OPERATING-SYSTEM")
            if os is not None:
                out.os_candidates.append((os, comp.where))
                continue
        out.components.append(comp)
    for key in ("files", "snippets"):
        value = doc.get(key)
        if isinstance(value, list) and value:
            out.info[f"{key}_not_read"] = len(value)
    return out


def described_ids(doc: Json, out: SbomDocument) -> set[str]:
    describes = doc.get("documentDescribes")
    ids = {text(x) for x in describes if text(x)} if isinstance(describes, list) else set()
    relationships = doc.get("relationships", [])
    if not isinstance(relationships, list):
        out.problem(f"relationships: expected an array, got {json_type(relationships)}")
        return ids
    for rel in relationships:
        if not isinstance(rel, dict):
            continue
        kind = text(rel.get("relationshipType"))
        a, b = text(rel.get("spdxElementId")), text(rel.get("relatedSpdxElement"))
        if kind == "DESCRIBES" and a == DOCUMENT and b:
            ids.add(b)
        elif kind == "DESCRIBED_BY" and b == DOCUMENT and a:
            ids.add(a)
    return ids


def package_component(raw: Json, where: str, problems: list[str]) -> Component:
    values: dict[str, str] = {}
    for key in ("SPDXID", "name", "versionInfo", "primaryPackagePurpose", "sourceInfo", "description",
                "licenseDeclared", "licenseConcluded"):  # fmt: skip
        value = raw.get(key)
        if value is not None and not isinstance(value, str):
            problems.append(f"{key}: expected a string, got {json_type(value)}")
        values[key] = text(value) if isinstance(value, str) else ""
    purls: list[str] = []
    refs = raw.get("externalRefs", [])
    if not isinstance(refs, list):
        problems.append(f"externalRefs: expected an array, got {json_type(refs)}")
        refs = []
    for ref in refs:
        if not isinstance(ref, dict):
            problems.append(f"externalRefs: expected objects, got {json_type(ref)}")
            continue
        category = text(ref.get("referenceCategory")).upper().replace("_", "-")
        if category == "PACKAGE-MANAGER" and text(ref.get("referenceType")) == "purl":
            locator = text(ref.get("referenceLocator"))
            if locator:
                purls.append(locator)
    if len(set(purls)) > 1:
        problems.append(
            f"{len(set(purls))} purls; the first is used: {', '.join(sorted(set(purls))[1:4])} ignored"
        )
    properties: dict[str, str] = {}
    locations: tuple[Location, ...] = ()
    m = _STOCKADE_SOURCE.match(values["sourceInfo"])
    if m:
        properties["stockade:found_by"] = m.group("found_by")
        if m.group("where"):
            locations = tuple(parse_location(w) for w in m.group("where").split(", "))
    license_text = next(
        (values[k] for k in ("licenseDeclared", "licenseConcluded") if values[k] not in NO_VALUE), ""
    )
    line = raw.get("_line")
    version = values["versionInfo"] if values["versionInfo"] not in NO_VALUE else ""
    return Component(
        where=where, name=values["name"], version=version, purl=purls[0] if purls else None,
        ref=values["SPDXID"] or None,
        kind=values["primaryPackagePurpose"].upper().replace("_", "-") or "LIBRARY",
        line=line if isinstance(line, int) else None, licenses=(license_text,) if license_text else (),
        properties=properties, locations=locations, description=values["description"] or None,
    )  # fmt: skip
