"""A stored JSON result back into a :class:`ScanResult`: the exact inverse of ``ScanResult.to_dict()``.

``result_from_dict(result.to_dict()).to_dict() == result.to_dict()`` for every result; the tests prove it
on real scans.  Keys that ``to_dict`` leaves out when empty (``line``, ``layer``, ``namespace``,
``metadata``, ``licenses``, ``path`` ...) may be absent or ``null``.  A document of another major
``schema_version`` (see docs/json-schema.md), or one that is not a stockade result, is a ``ParseError``
naming the first bad field as a path (``inventory.packages[3].purl: missing``); nothing else escapes.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from stockade.errors import ParseError
from stockade.model.finding import VULNERABILITY_KEYS, Finding
from stockade.model.inventory import Inventory, Location, OSInfo, Package
from stockade.model.result import SCHEMA_VERSION, ScanResult
from stockade.model.severity import Severity
from stockade.model.status import Status, StatusKind
from stockade.model.target import Target, TargetKind

E = TypeVar("E", bound=StrEnum)
_TYPE_NAMES = {str: "a string", int: "an integer", dict: "an object", list: "an array"}


class _Bad(Exception):
    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")


def _get(d: dict[str, Any], key: str, where: str, kind: type, required: bool = True) -> Any:
    value = d.get(key)
    if value is None:
        if required:
            raise _Bad(f"{where}{key}", "missing")
        return None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise _Bad(f"{where}{key}", f"expected {_TYPE_NAMES[kind]}, got {type(value).__name__}")
    return value


def _str(d: dict[str, Any], key: str, where: str) -> str:
    value: str = _get(d, key, where, str)
    return value


def _opt_str(d: dict[str, Any], key: str, where: str) -> str | None:
    value: str | None = _get(d, key, where, str, required=False)
    return value


def _strings(d: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    items: list[Any] = _get(d, key, where, list, required=False) or []
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise _Bad(f"{where}{key}[{i}]", f"expected a string, got {type(item).__name__}")
    return tuple(items)


def _metadata(d: dict[str, Any], where: str) -> dict[str, Any]:
    return dict(_get(d, "metadata", where, dict, required=False) or {})


def _objects(d: dict[str, Any], key: str, where: str) -> list[tuple[dict[str, Any], str]]:
    items: list[Any] = _get(d, key, where, list)
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise _Bad(f"{where}{key}[{i}]", f"expected an object, got {type(item).__name__}")
        out.append((item, f"{where}{key}[{i}]."))
    return out


def _enum(cls: type[E], d: dict[str, Any], key: str, where: str) -> E:
    value = _str(d, key, where)
    try:
        return cls(value)
    except ValueError:
        choices = ", ".join(m.value for m in cls)
        raise _Bad(f"{where}{key}", f"unknown value {value!r} (expected one of: {choices})") from None


def _time(d: dict[str, Any], key: str, where: str) -> datetime:
    value = _str(d, key, where)
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise _Bad(f"{where}{key}", f"not an ISO 8601 date and time: {value!r}") from None


def _location(d: dict[str, Any], where: str) -> Location:
    return Location(
        path=_str(d, "path", where),
        line=_get(d, "line", where, int, required=False),
        layer=_opt_str(d, "layer", where),
    )


def _package(d: dict[str, Any], where: str) -> Package:
    return Package(
        name=_str(d, "name", where),
        version=_str(d, "version", where),
        type=_str(d, "type", where),
        ecosystem=_str(d, "ecosystem", where),
        purl=_str(d, "purl", where),
        found_by=_str(d, "found_by", where),
        locations=tuple(_location(loc, w) for loc, w in _objects(d, "locations", where)),
        namespace=_opt_str(d, "namespace", where),
        source_name=_opt_str(d, "source_name", where),
        source_version=_opt_str(d, "source_version", where),
        arch=_opt_str(d, "arch", where),
        licenses=_strings(d, "licenses", where),
        metadata=_metadata(d, where),
    )


def _os(d: dict[str, Any], where: str) -> OSInfo:
    return OSInfo(
        id=_str(d, "id", where),
        version_id=_opt_str(d, "version_id", where),
        name=_opt_str(d, "name", where),
        pretty_name=_opt_str(d, "pretty_name", where),
        version_codename=_opt_str(d, "version_codename", where),
        id_like=_strings(d, "id_like", where),
        source=_opt_str(d, "source", where),
    )


def _finding(d: dict[str, Any], where: str) -> Finding:
    location = _get(d, "location", where, dict, required=False)
    package: str | None
    vulnerability: dict[str, Any] | None = None
    raw_package = d.get("package")
    if isinstance(raw_package, dict):  # a vulnerability finding: its package object holds the purl
        vulnerability = {k: d[k] for k in VULNERABILITY_KEYS if k in d}
        package = _str(raw_package, "purl", f"{where}package.")
    else:
        package = _opt_str(d, "package", where)
    return Finding(
        id=_str(d, "id", where),
        severity=_enum(Severity, d, "severity", where),
        title=_str(d, "title", where),
        target=_str(d, "target", where),
        kind=_str(d, "kind", where),
        location=_location(location, f"{where}location.") if location is not None else None,
        evidence=_str(d, "evidence", where),
        remediation=_str(d, "remediation", where),
        references=_strings(d, "references", where),
        package=package,
        metadata=_metadata(d, where),
        vulnerability=vulnerability,
    )


def _status(d: dict[str, Any], where: str) -> Status:
    return Status(
        plugin=_str(d, "plugin", where),
        status=_enum(StatusKind, d, "status", where),
        reason=_str(d, "reason", where),
        path=_opt_str(d, "path", where),
    )


def _result(doc: dict[str, Any]) -> ScanResult:
    version = _str(doc, "schema_version", "")
    if version.split(".")[0] != SCHEMA_VERSION.split(".")[0]:
        raise _Bad("schema_version", f"{version} is not readable by this version (reads {SCHEMA_VERSION})")
    scan = _get(doc, "scan", "", dict)
    tool = _get(scan, "tool", "scan.", dict)
    if tool.get("name") != "stockade":
        raise _Bad("scan.tool.name", f"expected 'stockade', got {tool.get('name')!r}")
    target = _get(doc, "target", "", dict)
    inventory = _get(doc, "inventory", "", dict)
    os_info = _get(inventory, "os", "inventory.", dict, required=False)
    return ScanResult(
        scan_id=_str(scan, "id", "scan."),
        target=Target(
            kind=_enum(TargetKind, target, "kind", "target."),
            name=_str(target, "name", "target."),
            id=_str(target, "id", "target."),
            path=_opt_str(target, "path", "target."),
            metadata=_metadata(target, "target."),
            image=_get(target, "image", "target.", dict, required=False),
        ),
        inventory=Inventory(
            os=_os(os_info, "inventory.os.") if os_info is not None else None,
            packages=tuple(_package(p, w) for p, w in _objects(inventory, "packages", "inventory.")),
        ),
        findings=tuple(_finding(f, w) for f, w in _objects(doc, "findings", "")),
        statuses=tuple(_status(s, w) for s, w in _objects(doc, "statuses", "")),
        started=_time(scan, "started", "scan."),
        finished=_time(scan, "finished", "scan."),
        tool_version=_str(tool, "version", "scan.tool."),
        suppressed=tuple(_finding(f, w) for f, w in _objects(doc, "suppressed", ""))
        if "suppressed" in doc
        else (),
    )


def result_from_dict(doc: Any, *, source: str = "stored result") -> ScanResult:
    """The :class:`ScanResult` that ``doc`` (a ``ScanResult.to_dict()`` document) was made from.
    ``source`` names the document in errors (a file path, or the default)."""
    if not isinstance(doc, dict):
        raise ParseError("stockade JSON result", source, f"expected an object, got {type(doc).__name__}")
    try:
        return _result(doc)
    except _Bad as exc:
        raise ParseError("stockade JSON result", source, str(exc)) from None
