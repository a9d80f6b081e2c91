"""Read an SBOM file into an inventory: detect the format from the content, parse, turn components into
packages, name the target.

Formats, told apart by content, never by file name: a JSON object with ``bomFormat: "CycloneDX"``, one
with ``spdxVersion`` (SPDX 2), one whose ``@context`` is SPDX 3's; XML whose root is a CycloneDX
``bom``; text with an ``SPDXVersion:`` tag (tag-value) or a ``spdxVersion:`` key (SPDX YAML, as
spdx-tools writes it).  Anything else is an :class:`~stockade.errors.InputError` naming the file and
what was expected; malformed JSON/XML is a :class:`~stockade.errors.ParseError` with line and column.
A document that parses but is partly broken yields what could be read, and a status for the rest.

Files larger than ``max_size`` (default 128 MiB, ``--max-size``) are refused before being parsed: a
parsed JSON document takes several times its size in memory.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import sys
from dataclasses import replace
from typing import Any, BinaryIO

import orjson
import yaml

from stockade._internal.readlimit import read_limited
from stockade.catalog.sbom import cyclonedx, spdx, spdx3, tagvalue
from stockade.catalog.sbom.model import SbomDocument
from stockade.catalog.sbom.packages import build_all
from stockade.catalog.sbom.xmltree import parse_xml
from stockade.errors import InputError, ParseError, TargetNotFoundError
from stockade.model.inventory import Inventory, Package
from stockade.model.status import Status, StatusKind
from stockade.model.target import Target, TargetKind
from stockade.target.fs import human_size

STDIN = "-"
STDIN_NAME = "<stdin>"
MiB = 1024 * 1024
DEFAULT_MAX_SIZE = 128 * MiB
EXPECTED = (
    "expected an SBOM: CycloneDX 1.2–1.7 (JSON or XML), SPDX 2.2/2.3 (JSON, YAML or tag-value) "
    "or SPDX 3.0 JSON-LD"
)
_TAG_VALUE = re.compile(rb"^\s*SPDXVersion:\s*\S", re.M)
_YAML = re.compile(rb"^['\"]?spdxVersion['\"]?:\s*\S", re.M)
_NOT_READ = {
    "vulnerabilities_not_read": "vulnerabilities in the SBOM not read: stockade matches advisories itself",
    "services_not_read": "services not read: they are not packages",
    "file_components_not_read": "file components without a purl not read: they are not packages",
    "files_not_read": "files not read: packages are read, files are not",
    "snippets_not_read": "snippets not read",
}


def read_input(path: str, max_size: int = DEFAULT_MAX_SIZE) -> bytes:
    """The file's bytes (standard input for ``-``), refused past ``max_size``."""
    if path == STDIN:
        return _read_limited(sys.stdin.buffer, STDIN_NAME, max_size)
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed below, after fstat
    except FileNotFoundError:
        raise TargetNotFoundError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory; {EXPECTED}") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    with fh:
        st = os.fstat(fh.fileno())
        if stat.S_ISDIR(st.st_mode):
            raise InputError(f"{path}: is a directory; {EXPECTED}")
        if stat.S_ISREG(st.st_mode) and st.st_size > max_size:
            raise _too_large(path, st.st_size, max_size)
        return _read_limited(fh, path, max_size)


def _read_limited(fh: BinaryIO, name: str, max_size: int) -> bytes:
    try:
        data = read_limited(fh, max_size)
    except OSError as exc:
        raise InputError(f"{name}: cannot read: {exc.strerror or exc}") from None
    if data is None:
        raise _too_large(name, None, max_size)
    return data


def _too_large(name: str, size: int | None, max_size: int) -> InputError:
    what = f"{human_size(size)}, more" if size is not None else "more"
    return InputError(f"{name}: refused: {what} than the {human_size(max_size)} limit for an SBOM",
                      hint="raise the limit with --max-size MIB if the file is trusted")  # fmt: skip


def parse_document(data: bytes, name: str) -> SbomDocument:
    """Detect the format of ``data`` and read it."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    head = data.lstrip()[:1]
    if not head:
        raise InputError(f"{name}: empty file; {EXPECTED}")
    if b"\x00" in data[:4096]:
        raise InputError(
            f"{name}: not an SBOM: binary data (or a text encoding other than UTF-8); {EXPECTED}"
        )
    if head in (b"{", b"["):
        return _json(data, name)
    if head == b"<":
        return _xml(data, name)
    if _TAG_VALUE.search(data, 0, 1 << 20):
        text = _decode(data, name)
        doc, problems = tagvalue.to_json(text)
        out = spdx.read_spdx2(doc, "tag-value")
        for p in problems:
            out.problem(p)
        return out
    if _YAML.search(data, 0, 1 << 20):
        return _yaml(data, name)
    raise InputError(f"{name}: not an SBOM: neither JSON, XML nor SPDX tag-value; {EXPECTED}")


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ParseError("SPDX tag-value", name, "not valid UTF-8", line=line) from None


def _json(data: bytes, name: str) -> SbomDocument:
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ParseError("JSON", name, exc.msg, line=exc.lineno, column=exc.colno, hint=EXPECTED) from None
    if isinstance(doc, dict):
        if doc.get("bomFormat") == "CycloneDX":
            return cyclonedx.read_json(doc)
        if isinstance(doc.get("spdxVersion"), str):
            version = doc["spdxVersion"]
            if not version.startswith("SPDX-2."):
                raise InputError(f"{name}: {version} JSON is not supported; {EXPECTED}")
            return spdx.read_spdx2(doc, "json")
        if spdx3.is_spdx3(doc):
            return spdx3.read_spdx3(doc)
        keys = ", ".join(sorted(str(k) for k in doc)[:8]) or "none"
        raise InputError(
            f'{name}: not an SBOM: a JSON object without bomFormat "CycloneDX", spdxVersion or an SPDX 3 '
            f"@context (its keys: {keys}); {EXPECTED}"
        )
    kind = "an array" if isinstance(doc, list) else "a scalar"
    raise InputError(f"{name}: not an SBOM: the JSON document is {kind}, not an object; {EXPECTED}")


def _xml(data: bytes, name: str) -> SbomDocument:
    root = parse_xml(data, name)
    if root.tag == "bom" and root.ns.startswith(cyclonedx.XML_NAMESPACE):
        return cyclonedx.read_xml(root)
    if root.tag == "RDF" and b"spdx.org/rdf/terms" in data[:65536]:
        raise InputError(
            f"{name}: SPDX RDF/XML is not supported; {EXPECTED}",
            hint="convert it with spdx-tools: pyspdxtools -i FILE.rdf.xml -o FILE.spdx.json",
        )
    where = f"{{{root.ns}}}{root.tag}" if root.ns else root.tag
    raise InputError(
        f"{name}: not an SBOM: XML whose root element is {where}, not a CycloneDX bom; {EXPECTED}"
    )


def _yaml(data: bytes, name: str) -> SbomDocument:
    """SPDX YAML.  Aliases (``*a``) are refused: spdx-tools never writes them, and a few nested ones can
    stand for billions of values once walked."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        for event in yaml.parse(data, Loader=loader):
            if isinstance(event, yaml.AliasEvent):
                at = event.start_mark
                line, column = (at.line + 1, at.column + 1) if at is not None else (None, None)
                raise ParseError("YAML", name, "aliases are not allowed in an SBOM", line=line, column=column)
        doc = yaml.load(data, Loader=loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
        reason = str(exc.problem or exc)
        raise ParseError("YAML", name, reason, line=line, column=column, hint=EXPECTED) from None
    except yaml.YAMLError as exc:
        raise ParseError("YAML", name, str(exc), hint=EXPECTED) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("spdxVersion"), str):
        raise InputError(f"{name}: not an SBOM: YAML without a spdxVersion key; {EXPECTED}")
    if not doc["spdxVersion"].startswith("SPDX-2."):
        raise InputError(f"{name}: {doc['spdxVersion']} YAML is not supported; {EXPECTED}")
    return spdx.read_spdx2(_stringify(doc), "yaml")


def _stringify(value: Any) -> Any:
    """YAML reads ``versionInfo: 1.10`` as a float and dates as datetimes: SPDX values are strings."""
    if isinstance(value, dict):
        return {str(k): _stringify(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_stringify(v) for v in value]
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value).lower()
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def read_sbom(path: str, *, max_size: int = DEFAULT_MAX_SIZE) -> tuple[Inventory, Target, list[Status]]:
    """Read the SBOM at ``path`` (``-``: standard input)."""
    return read_sbom_bytes(read_input(path, max_size), path)


def read_sbom_bytes(data: bytes, path: str) -> tuple[Inventory, Target, list[Status]]:
    name = STDIN_NAME if path == STDIN else path
    doc = parse_document(data, name)
    digest = hashlib.sha256(data).hexdigest()
    plugin = f"catalog/{doc.reader}"
    os_info, packages, statuses = build_all(doc.components, doc.os_candidates, doc.reader, plugin, name)
    statuses = [Status(plugin, kind, reason, name) for kind, reason in doc.problems] + statuses
    for key, reason in _NOT_READ.items():
        if doc.info.get(key):
            statuses.append(Status(plugin, StatusKind.SKIPPED, f"{doc.info.pop(key)} {reason}", name))
    merged = merge(packages)
    problems = sum(1 for s in statuses if s.status is StatusKind.PARTIAL)
    summary = f"{len(merged)} packages from {doc.format} {doc.spec_version} {doc.encoding}"
    statuses.append(Status(plugin, StatusKind.PARTIAL if problems else StatusKind.OK,
                           summary + (f", {problems} problems" if problems else "")))  # fmt: skip
    target = Target(
        kind=TargetKind.SBOM,
        name=name,
        id=target_id(doc, digest),
        path=None if path == STDIN else os.path.abspath(path),
        metadata={"sbom": {"format": doc.format, "spec_version": doc.spec_version, "encoding": doc.encoding,
                           "subject": doc.subject, "components": len(doc.components), "sha256": digest,
                           **doc.info}},
    )  # fmt: skip
    return Inventory(os=os_info, packages=merged), target, statuses


def target_id(doc: SbomDocument, digest: str) -> str:
    """Stable per described workload: the subject's purl, else its type, name and version, else the
    document's serial number or namespace, else the file's digest."""
    s = doc.subject
    if s.get("purl"):
        return f"sbom:{s['purl']}"
    if s.get("name"):
        kind = s.get("type") or "unknown"
        return f"sbom:{kind}:{s['name']}" + (f"@{s['version']}" if s.get("version") else "")
    for key in ("serial_number", "document_namespace"):
        if doc.info.get(key):
            return f"sbom:{doc.info[key]}"
    return f"sbom:sha256:{digest}"


def merge(packages: list[Package]) -> tuple[Package, ...]:
    """One package per (purl, reader), with every location; sorted as the scanner sorts."""
    merged: dict[tuple[str, str], Package] = {}
    for pkg in packages:
        seen = merged.get(pkg.key)
        if seen is None:
            merged[pkg.key] = pkg
        else:
            merged[pkg.key] = replace(seen, locations=tuple(sorted(set(seen.locations) | set(pkg.locations))))
    return tuple(sorted(merged.values(), key=lambda p: (p.type, p.name, p.version, p.purl, p.found_by)))
