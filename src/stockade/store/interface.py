"""The store family: what any back end (SQLite here, PostgreSQL for a fleet) must provide."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from stockade.model.result import ScanResult


@dataclass(frozen=True, slots=True)
class WorkloadSummary:
    """A workload (a target id) and its most recent scan."""

    target_id: str
    kind: str
    name: str
    scans: int
    last_scan_id: str
    last_scanned: datetime
    packages: int
    findings: int
    problems: int  # status entries that are not "ok" in the last scan

    def to_dict(self) -> dict[str, Any]:
        return {
            "target_id": self.target_id,
            "kind": self.kind,
            "name": self.name,
            "scans": self.scans,
            "last_scan_id": self.last_scan_id,
            "last_scanned": self.last_scanned.isoformat(),
            "packages": self.packages,
            "findings": self.findings,
            "problems": self.problems,
        }


class Store(ABC):
    """Records scan results and answers inventory questions.  Writes are atomic: a crash during
    ``record`` leaves every earlier scan intact."""

    @abstractmethod
    def record(self, result: ScanResult) -> None:
        """Store a whole result (target, inventory, findings, statuses)."""

    @abstractmethod
    def workloads(self) -> list[WorkloadSummary]:
        """Every workload ever scanned, with counts from its latest scan, sorted by name."""

    @abstractmethod
    def find(self, ident: str) -> WorkloadSummary | None:
        """A workload by target id, name, or scan id (or an unambiguous prefix of a scan id)."""

    @abstractmethod
    def result(self, scan_id: str) -> dict[str, Any] | None:
        """The stored JSON result of one scan (the same document ``--format json`` prints)."""

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
