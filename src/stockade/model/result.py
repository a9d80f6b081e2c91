"""The result of one scan: what was scanned, what it is made of, what is wrong, what was covered."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from stockade.model.finding import Finding
from stockade.model.inventory import Inventory
from stockade.model.severity import Severity
from stockade.model.status import Status
from stockade.model.target import Target

#: Bumped on any incompatible change of the JSON result; documented in docs/json-schema.md.
SCHEMA_VERSION = "1.1"  # 1.1: vulnerability findings (docs/json-schema.md)


@dataclass(frozen=True, slots=True)
class ScanResult:
    scan_id: str
    target: Target
    inventory: Inventory
    findings: tuple[Finding, ...]
    statuses: tuple[Status, ...]
    started: datetime
    finished: datetime
    tool_version: str
    #: findings an exception covers: never dropped, listed apart, each with ``metadata["suppression"]``
    suppressed: tuple[Finding, ...] = ()

    @classmethod
    def without_packages(
        cls,
        *,
        scan_id: str,
        target: Target,
        findings: Iterable[Finding],
        statuses: Iterable[Status],
        started: datetime,
        finished: datetime,
        suppressed: Iterable[Finding] = (),
    ) -> ScanResult:
        """The result of a scan that lists no packages (configuration, secrets, policies): findings and
        statuses in their stable order."""
        from stockade import __version__

        return cls(
            scan_id=scan_id,
            target=target,
            inventory=Inventory(os=None, packages=()),
            findings=tuple(sorted(findings, key=Finding.sort_key)),
            suppressed=tuple(sorted(suppressed, key=Finding.sort_key)),
            statuses=tuple(sorted(statuses, key=Status.sort_key)),
            started=started,
            finished=finished,
            tool_version=__version__,
        )

    def max_severity(self) -> Severity | None:
        if not self.findings:
            return None
        return max((f.severity for f in self.findings), key=lambda s: s.rank)

    def findings_at_or_above(self, threshold: Severity) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity.rank >= threshold.rank)

    def head_dict(self) -> dict[str, Any]:
        """The JSON result's members before the findings (see :meth:`to_dict`)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "scan": {
                "id": self.scan_id,
                "started": self.started.isoformat(),
                "finished": self.finished.isoformat(),
                "tool": {"name": "stockade", "version": self.tool_version},
            },
            "target": self.target.to_dict(),
            "inventory": self.inventory.to_dict(),
        }

    def to_dict(self) -> dict[str, Any]:
        """The JSON result (docs/json-schema.md): :meth:`head_dict`, then ``findings``, ``suppressed``
        and ``statuses`` (report/json.py writes them in this order, piece by piece)."""
        doc = self.head_dict()
        doc["findings"] = [f.to_dict() for f in self.findings]
        doc["suppressed"] = [f.to_dict() for f in self.suppressed]
        doc["statuses"] = [s.to_dict() for s in self.statuses]
        return doc
