"""A finding: something a check or matcher wants a human to act on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from stockade.model.inventory import Location
from stockade.model.severity import Severity


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

    def sort_key(self) -> tuple[int, str, str, str]:
        return (-self.severity.rank, self.id, str(self.location or ""), self.package or "")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "severity": self.severity.value,
            "title": self.title,
            "target": self.target,
            "location": self.location.to_dict() if self.location else None,
            "evidence": self.evidence,
            "remediation": self.remediation,
            "references": list(self.references),
        }
        if self.package is not None:
            out["package"] = self.package
        if self.metadata:
            out["metadata"] = dict(sorted(self.metadata.items()))
        return out
