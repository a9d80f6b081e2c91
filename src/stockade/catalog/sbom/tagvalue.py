"""SPDX 2.x tag-value (SPDX 2.3 §5 and Annex: ``Tag: Value`` lines, multi-line values between
``<text>`` and ``</text>``, ``#`` comments) into the JSON document shape that :mod:`.spdx` reads.

Sections start with their first tag: ``PackageName`` a package, ``FileName`` a file, ``SnippetSPDXID``
a snippet, ``LicenseID`` an extracted license; ``Relationship`` lines belong to the document wherever
they are.  A malformed line is reported with its number and skipped; an unterminated ``<text>`` ends
the reading, keeping what came before.
"""

from __future__ import annotations

from typing import Any

_PACKAGE_FIELDS = {
    "SPDXID": "SPDXID", "PackageVersion": "versionInfo", "PackageLicenseDeclared": "licenseDeclared",
    "PackageLicenseConcluded": "licenseConcluded", "PrimaryPackagePurpose": "primaryPackagePurpose",
    "PackageSourceInfo": "sourceInfo", "PackageDescription": "description",
}  # fmt: skip
_DOCUMENT_FIELDS = {
    "SPDXVersion": "spdxVersion",
    "DocumentName": "name",
    "DocumentNamespace": "documentNamespace",
}
_OTHER_SECTIONS = {
    "FileName": "files",
    "SnippetSPDXID": "snippets",
    "LicenseID": "hasExtractedLicensingInfos",
}
MAX_REPORTED = 20

Json = dict[str, Any]


def iter_tags(text: str, problems: list[str]) -> list[tuple[int, str, str]]:
    """``(line, tag, value)`` for every tag; malformed lines go to ``problems``."""
    out: list[tuple[int, str, str]] = []
    lines = text.splitlines()
    i = 0
    bad = 0
    while i < len(lines):
        lineno, line = i + 1, lines[i]
        i += 1
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        tag, sep, value = line.partition(":")
        tag = tag.strip()
        if not sep or not tag or " " in tag:
            bad += 1
            if bad <= MAX_REPORTED:
                problems.append(f"line {lineno}: expected 'Tag: value', got {stripped[:60]!r}: skipped")
            continue
        value = value.strip()
        if value.startswith("<text>"):
            body = value[len("<text>") :]
            while "</text>" not in body and i < len(lines):
                body += "\n" + lines[i]
                i += 1
            if "</text>" not in body:
                problems.append(
                    f"line {lineno}: <text> of {tag} is not closed by </text>: reading stopped there"
                )
                break
            value = body[: body.index("</text>")].strip()
        out.append((lineno, tag, value))
    if bad > MAX_REPORTED:
        problems.append(f"{bad - MAX_REPORTED} more malformed lines")
    return out


def to_json(text: str) -> tuple[Json, list[str]]:
    """The SPDX JSON shape of a tag-value document, and the problems met (messages)."""
    problems: list[str] = []
    doc: Json = {"packages": [], "relationships": [], "creationInfo": {"creators": []}}
    section: Json | None = None  # the current package, or None at document level / in another section
    in_other = False
    for lineno, tag, value in iter_tags(text, problems):
        if tag == "PackageName":
            section = {"name": value, "_line": lineno, "externalRefs": []}
            doc["packages"].append(section)
            in_other = False
        elif tag in _OTHER_SECTIONS:
            doc[_OTHER_SECTIONS[tag]] = doc.get(_OTHER_SECTIONS[tag], 0) + 1
            section, in_other = None, True
        elif tag == "Relationship":
            parts = value.split()
            if len(parts) == 3:
                doc["relationships"].append(
                    {"spdxElementId": parts[0], "relationshipType": parts[1], "relatedSpdxElement": parts[2]}
                )
            else:
                problems.append(f"line {lineno}: Relationship: expected 'ID TYPE ID', got {value[:60]!r}")
        elif section is not None:
            if tag == "ExternalRef":
                parts = value.split(None, 2)
                if len(parts) == 3:
                    section["externalRefs"].append(
                        {
                            "referenceCategory": parts[0],
                            "referenceType": parts[1],
                            "referenceLocator": parts[2],
                        }
                    )
                else:
                    problems.append(
                        f"line {lineno}: ExternalRef: expected 'CATEGORY TYPE LOCATOR', got {value[:60]!r}"
                    )
            elif tag in _PACKAGE_FIELDS:
                section[_PACKAGE_FIELDS[tag]] = value
        elif not in_other:
            if tag in _DOCUMENT_FIELDS:
                doc[_DOCUMENT_FIELDS[tag]] = value
            elif tag == "Creator":
                doc["creationInfo"]["creators"].append(value)
            elif tag == "Created":
                doc["creationInfo"]["created"] = value
    for key in _OTHER_SECTIONS.values():  # counts, in the shape read_spdx2 counts
        if key in doc:
            doc[key] = [None] * doc[key]
    return doc, [f"failed to parse SPDX tag-value: {p}" for p in problems]
