"""A finding: something a check or matcher wants a human to act on."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from stockade.model.fastinit import faster_init
from stockade.model.inventory import Location
from stockade.model.severity import Severity

#: the fields a vulnerability finding adds at the top level of its JSON (docs/json-schema.md);
#: ``package`` there is an object (name, version, purl, ecosystem ...) instead of the purl
VULNERABILITY_KEYS = (
    "aliases",
    "advisories",
    "cvss",
    "epss",
    "kev",
    "priority",
    "why",
    "signals",
    "package",
    "ecosystem",
    "fixed_versions",
    "fix_state",
)


@faster_init
@dataclass(frozen=True, slots=True)
class Finding:
    """Every finding has an id (a stable check id such as ``STK-HOST-0001`` or an advisory id), a
    severity, a title, the target it is about, where (file:line where there is one), the evidence that
    triggered it, what to do about it and references."""

    id: str
    severity: Severity
    title: str
    target: str
    kind: str = "check"  # check | vulnerability | secret | ...
    location: Location | None = None
    evidence: str = ""
    remediation: str = ""
    references: tuple[str, ...] = ()
    package: str | None = None  # purl, for vulnerability findings
    metadata: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    #: vulnerability findings only: the :data:`VULNERABILITY_KEYS` fields, written at the top level of
    #: the finding's JSON (its ``package`` object replaces the purl there; ``self.package`` keeps it)
    vulnerability: dict[str, Any] | None = field(default=None, hash=False, compare=False)

    @property
    def priority(self) -> int | None:
        """The vulnerability priority (0-100), for findings that have one."""
        value = self.vulnerability.get("priority") if self.vulnerability else None
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # pickled as the constructor's arguments: parallel scans send tens of thousands of findings back
        # from their workers, and the dataclass's own ``__setstate__`` (a Python loop) unpickles 2.4× slower
        return (Finding, tuple(getattr(self, name) for name in _FIELDS))

    def sort_key(self) -> str:
        """The most severe first, then by id, location (``path:line``) and package: one string, the
        parts NUL-separated (none holds a NUL: it ends a path), so that it orders as the tuple of the
        parts does and compares at C speed (sorting 18,516 findings by the tuple took 34 ms)."""
        return f"{_ORDER[self.severity._value_]}{self.id}\0{self.location or ''}\0{self.package or ''}"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "severity": self.severity._value_,  # (``.value`` is a Python-level property: 4x slower)
            "title": self.title,
            "target": self.target,
            "location": self.location.to_dict() if self.location else None,
            "evidence": self.evidence,
            "remediation": self.remediation,
            "references": list(self.references),
        }
        if self.package is not None:
            out["package"] = self.package
        if self.vulnerability:
            out.update(self.vulnerability)
        if self.metadata:
            out["metadata"] = _sorted(self.metadata)
        return out


_FIELDS = tuple(f.name for f in fields(Finding))
#: key tuple → whether it is sorted: metadata made with its keys in order (a configuration scan's) is copied,
#: not sorted again (0.45 vs 1.2 µs a finding)
_IN_ORDER: dict[tuple[str, ...], bool] = {}


def _sorted(metadata: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``metadata`` with its keys sorted."""
    keys = tuple(metadata)
    in_order = _IN_ORDER.get(keys)
    if in_order is None:
        in_order = list(keys) == sorted(keys)
        if len(_IN_ORDER) < 4096:
            _IN_ORDER[keys] = in_order
    return dict(metadata) if in_order else dict(sorted(metadata.items()))


#: a severity's first character in :meth:`Finding.sort_key`: a higher rank sorts first
_ORDER = {s.value: chr(ord("A") + 20 - s.rank) for s in Severity}  # (by text: an Enum hashes in Python)
