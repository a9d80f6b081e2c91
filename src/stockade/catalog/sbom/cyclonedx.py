"""CycloneDX input, JSON and XML, spec versions 1.2–1.7 (https://cyclonedx.org/specification/overview/).

What is read: ``metadata.component`` (the subject: what the SBOM describes), ``metadata.tools`` and
``timestamp``, ``serialNumber``; every entry of ``components`` at any depth (``components`` nested in a
component are components too, CycloneDX §"components"); per component ``type``, ``bom-ref``,
``group``, ``name``, ``version``, ``purl``, ``licenses`` (``license.id``, ``license.name``,
``expression``), ``description`` and ``properties``.  ``operating-system`` components name the
distribution instead of being packages; ``file`` components without a purl are not software packages
and are counted, not kept.  ``dependencies``, ``services``, ``compositions`` and the document's own
``vulnerabilities`` (VEX) are not read: stockade matches advisories itself.

The document is read as plain JSON (orjson) or a small expat tree, not with cyclonedx-python-lib's
deserialiser: that one rejects whole documents for a single value it does not know (an unknown license
id, an enum value of a newer spec, a duplicate ``bom-ref``: common in real SBOMs) and takes 9 s for
10,000 components (measured: cyclonedx-python-lib 11.12), where this reads them, purls parsed, in 0.4 s
and reports a broken component by its index and ``bom-ref`` while reading the rest.
"""

from __future__ import annotations

from typing import Any

from stockade.catalog.common import json_type
from stockade.catalog.sbom.model import Component, SbomDocument, describe, parse_location, text
from stockade.catalog.sbom.packages import os_from_component
from stockade.catalog.sbom.xmltree import Node
from stockade.model.inventory import Location

NAME = "sbom-cyclonedx"
XML_NAMESPACE = "http://cyclonedx.org/schema/bom/"
#: the spec versions this reader was tested with; others of major version 1 are read the same way
KNOWN_VERSIONS = ("1.2", "1.3", "1.4", "1.5", "1.6", "1.7")
#: component types that are not software packages when they carry no purl
NOT_PACKAGES = frozenset({"file", "data"})
#: nesting deeper than this is refused (a hostile document could nest without end)
MAX_DEPTH = 64

Json = dict[str, Any]


def read_json(doc: Json) -> SbomDocument:
    version = text(doc.get("specVersion")) or "unknown"
    out = SbomDocument("CycloneDX", version, "json", NAME)
    _check_version(out)
    for key, label in (("serialNumber", "serial_number"), ("version", "bom_version")):
        if text(doc.get(key)):
            out.info[label] = text(doc[key])
    metadata = doc.get("metadata")
    if isinstance(metadata, dict):
        _metadata(out, metadata)
    elif metadata is not None:
        out.problem(f"metadata: expected an object, got {json_type(metadata)}")
    components = doc.get("components", [])
    if not isinstance(components, list):
        out.problem(f"components: expected an array, got {json_type(components)}: no component read")
        components = []
    _walk(out, components, "components")
    for key in ("vulnerabilities", "services"):
        value = doc.get(key)
        if isinstance(value, list) and value:
            out.info[f"{key}_not_read"] = len(value)
    return out


def read_xml(root: Node) -> SbomDocument:
    """A CycloneDX XML document, converted element by element into the JSON shape and read as JSON."""
    version = root.ns[len(XML_NAMESPACE) :] if root.ns.startswith(XML_NAMESPACE) else "unknown"
    doc: Json = {"specVersion": version, "serialNumber": root.attrs.get("serialNumber", ""),
                 "version": root.attrs.get("version", "")}  # fmt: skip
    metadata = root.child("metadata")
    if metadata is not None:
        meta: Json = {"timestamp": metadata.child_text("timestamp")}
        component = metadata.child("component")
        if component is not None:
            meta["component"] = xml_component(component, 0)
        tools = metadata.child("tools")
        if tools is not None:
            meta["tools"] = [_xml_tool(t) for t in tools.children if t.tag in ("tool", "component")]
            meta["tools"] += [_xml_tool(t) for c in tools.all("components") for t in c.all("component")]
        doc["metadata"] = meta
    comps = root.child("components")
    if comps is not None:
        doc["components"] = [xml_component(c, 0) for c in comps.all("component")]
    for tag in ("vulnerabilities", "services"):
        node = root.child(tag)
        if node is not None:
            doc[tag] = node.children
    out = read_json(doc)
    out.encoding = "xml"
    return out


def xml_component(node: Node, depth: int) -> Json:
    comp: Json = {"_line": node.line, "type": node.attrs.get("type", "")}
    if "bom-ref" in node.attrs:
        comp["bom-ref"] = node.attrs["bom-ref"]
    for tag in ("group", "name", "version", "purl", "description"):
        child = node.child(tag)
        if child is not None:
            comp[tag] = child.text
    licenses = node.child("licenses")
    if licenses is not None:
        comp["licenses"] = [
            {"expression": c.text} if c.tag == "expression"
            else {"license": {"id": c.child_text("id"), "name": c.child_text("name")}}
            for c in licenses.children if c.tag in ("license", "expression")
        ]  # fmt: skip
    props = node.child("properties")
    if props is not None:
        comp["properties"] = [
            {"name": p.attrs.get("name", ""), "value": p.text} for p in props.all("property")
        ]
    nested = node.child("components")
    if nested is not None:
        # deeper than MAX_DEPTH is cut here and reported by _walk
        comp["components"] = (
            [xml_component(c, depth + 1) for c in nested.all("component")] if depth < MAX_DEPTH else [{}]
        )
    return comp


def _xml_tool(node: Node) -> Json:
    return {
        "vendor": node.child_text("vendor"),
        "name": node.child_text("name"),
        "version": node.child_text("version"),
    }


def _check_version(out: SbomDocument) -> None:
    if out.spec_version not in KNOWN_VERSIONS:
        major = out.spec_version.split(".", 1)[0]
        out.problem(
            f"CycloneDX specVersion {out.spec_version!r}: read as 1.7"
            + ("" if major == "1" else " (not a 1.x version: fields may be missed)")
        )


def _metadata(out: SbomDocument, metadata: Json) -> None:
    if text(metadata.get("timestamp")):
        out.info["created"] = text(metadata["timestamp"])
    tools = metadata.get("tools")
    entries: list[Any] = []
    if isinstance(tools, list):  # 1.2–1.4: an array of tools
        entries = tools
    elif isinstance(tools, dict):  # 1.5+: {"components": [...], "services": [...]}
        for key in ("components", "services"):
            if isinstance(tools.get(key), list):
                entries += tools[key]
    names = [" ".join(x for x in (text(t.get("name")), text(t.get("version"))) if x)
             for t in entries if isinstance(t, dict)]  # fmt: skip
    if any(names):
        out.info["tools"] = [n for n in names if n]
    subject = metadata.get("component")
    if isinstance(subject, dict):
        comp = component_of(subject, "metadata.component", [])
        out.subject = {k: v for k, v in (("type", comp.kind), ("name", comp.name), ("version", comp.version),
                                         ("purl", comp.purl), ("bom_ref", comp.ref)) if v}  # fmt: skip
        for key in ("stockade:target_kind", "stockade:target_id"):
            if key in comp.properties:
                out.subject[key.split(":", 1)[1]] = comp.properties[key]
        if comp.kind == "operating-system" and not comp.purl:
            os = os_from_component(comp, "SBOM metadata.component")
            if os is not None:
                out.os_candidates.append((os, "metadata.component"))
        # components nested in the subject are part of what it is made of
        nested = subject.get("components")
        if isinstance(nested, list):
            _walk(out, nested, "metadata.component.components")
    elif subject is not None:
        out.problem(f"metadata.component: expected an object, got {json_type(subject)}")


def _walk(out: SbomDocument, components: list[Any], where: str) -> None:
    """Every component, depth first, in document order, without recursion."""
    stack: list[tuple[str, Any, int]] = [(f"{where}[{i}]", c, 0) for i, c in enumerate(components)]
    stack.reverse()
    files = 0
    while stack:
        at, raw, depth = stack.pop()
        if not isinstance(raw, dict):
            out.problem(f"{at}: expected an object, got {json_type(raw)}: skipped")
            continue
        problems: list[str] = []
        comp = component_of(raw, at, problems)
        for p in problems:
            out.problem(f"{describe(comp)}: {p}")
        nested = raw.get("components")
        if isinstance(nested, list) and nested:
            if depth >= MAX_DEPTH:
                out.problem(f"{describe(comp)}: components nested deeper than {MAX_DEPTH}: not read")
            else:
                stack.extend(
                    reversed([(f"{at}.components[{i}]", c, depth + 1) for i, c in enumerate(nested)])
                )
        elif nested is not None and not isinstance(nested, list):
            out.problem(f"{describe(comp)}: components: expected an array, got {json_type(nested)}")
        if not comp.name:
            out.problem(f"{describe(comp)}: has no name: skipped")
            continue
        if comp.kind == "operating-system" and not comp.purl:
            os = os_from_component(comp, "SBOM operating-system component")
            if os is not None:
                out.os_candidates.append((os, at))
                continue
        if comp.kind in NOT_PACKAGES and not comp.purl:
            files += 1
            continue
        out.components.append(comp)
    if files:
        out.info["file_components_not_read"] = out.info.get("file_components_not_read", 0) + files


def component_of(raw: Json, where: str, problems: list[str]) -> Component:
    """One component object (JSON, or XML converted to the JSON shape); type errors go to ``problems``."""
    values: dict[str, str] = {}
    for key in ("type", "bom-ref", "group", "name", "version", "purl", "description"):
        value = raw.get(key)
        if value is not None and not isinstance(value, str):
            problems.append(f"{key}: expected a string, got {json_type(value)}")
        values[key] = text(value) if isinstance(value, str) else ""
    properties: dict[str, str] = {}
    locations: list[Location] = []
    props = raw.get("properties", [])
    for prop in props if isinstance(props, list) else []:
        if (
            isinstance(prop, dict)
            and isinstance(prop.get("name"), str)
            and isinstance(prop.get("value"), str)
        ):
            name, value = prop["name"], prop["value"]
            properties.setdefault(name, value)
            if name == "stockade:location" or (name.startswith("syft:location:") and name.endswith(":path")):
                locations.append(parse_location(value) if name == "stockade:location" else Location(value))
    line = raw.get("_line")
    return Component(
        where=where, name=values["name"], version=values["version"], purl=values["purl"] or None,
        ref=values["bom-ref"] or None, group=values["group"] or None, kind=values["type"] or "library",
        line=line if isinstance(line, int) else None, licenses=licenses_of(raw.get("licenses")),
        properties=properties, locations=tuple(locations), description=values["description"] or None,
    )  # fmt: skip


def licenses_of(value: object) -> tuple[str, ...]:
    out: list[str] = []
    for entry in value if isinstance(value, list) else []:
        if not isinstance(entry, dict):
            continue
        if isinstance(entry.get("expression"), str) and entry["expression"].strip():
            out.append(entry["expression"].strip())
        lic = entry.get("license")
        if isinstance(lic, dict):
            name = text(lic.get("id")) or text(lic.get("name"))
            if name:
                out.append(name)
    return tuple(out)
