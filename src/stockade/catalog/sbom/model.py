"""What the SBOM readers hand to the assembler: components as the document states them, before any purl
is interpreted.  One shape for every input format (CycloneDX JSON/XML, SPDX 2 JSON/YAML/tag-value,
SPDX 3 JSON-LD), so that purl handling, source packages and the operating system are decided once, in
:mod:`.packages`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from stockade.model.inventory import Location, OSInfo
from stockade.model.status import StatusKind


@dataclass(slots=True)
class Component:
    """One software component of the document.

    ``where`` names it for people (``components[3].components[0]``, ``package SPDXRef-x``), ``ref`` is
    the document's own id (CycloneDX ``bom-ref``, SPDX ``SPDXID``), ``line`` where it starts when the
    encoding lets us know (XML, tag-value).  ``properties`` keeps the first value of every CycloneDX
    property (the readers also map a few SPDX facts into the same names).
    """

    where: str
    name: str
    version: str = ""
    purl: str | None = None
    ref: str | None = None
    group: str | None = None
    kind: str = "library"
    line: int | None = None
    licenses: tuple[str, ...] = ()
    properties: dict[str, str] = field(default_factory=dict)
    locations: tuple[Location, ...] = ()
    description: str | None = None


@dataclass(slots=True)
class SbomDocument:
    """A read document: its components, the operating systems it names, and what could not be read.

    ``problems`` are ``(kind, reason)`` pairs; the assembler turns them into statuses about the file.
    ``subject`` is what the SBOM describes (CycloneDX ``metadata.component``, the SPDX package the
    document ``DESCRIBES``), as plain JSON.
    """

    format: str  # "CycloneDX" | "SPDX"
    spec_version: str
    encoding: str  # "json" | "xml" | "yaml" | "tag-value" | "json-ld"
    reader: str  # found_by of every package: "sbom-cyclonedx" | "sbom-spdx"
    components: list[Component] = field(default_factory=list)
    os_candidates: list[tuple[OSInfo, str]] = field(default_factory=list)  # (os, where it was named)
    subject: dict[str, Any] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)  # serial number, namespace, created, tools ...
    problems: list[tuple[StatusKind, str]] = field(default_factory=list)

    def problem(self, reason: str, kind: StatusKind = StatusKind.PARTIAL) -> None:
        self.problems.append((kind, reason))


def describe(comp: Component) -> str:
    """``components[3] 'openssl@3.0.2' (bom-ref 'x', line 40)`` for status messages."""
    label = f"{comp.name}@{comp.version}" if comp.version else comp.name
    extra = [f"{'bom-ref' if comp.where.startswith('components') else 'id'} {comp.ref!r}"] if comp.ref else []
    if comp.line is not None:
        extra.append(f"line {comp.line}")
    return f"{comp.where} {label!r}" + (f" ({', '.join(extra)})" if extra else "")


def text(value: object) -> str:
    """A JSON scalar as text ("" for anything that is not a string or number)."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return ""


def parse_location(value: str) -> Location:
    """``/var/lib/dpkg/status:12`` → Location(path, 12), as stockade's own SBOMs write locations."""
    path, sep, line = value.rpartition(":")
    if sep and line.isdigit() and path:
        return Location(path, int(line))
    return Location(value)
