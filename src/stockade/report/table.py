"""Tables for people, drawn with rich: a summary, the findings, and what was not covered."""

from __future__ import annotations

import io
from collections import Counter

from rich.console import Console
from rich.table import Table
from rich.text import Text

from stockade.model.result import ScanResult
from stockade.model.severity import Severity
from stockade.model.target import TargetKind
from stockade.report.interface import Formatter

SEVERITY_STYLE = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
    Severity.UNKNOWN: "dim",
}


class TableFormatter(Formatter):
    NAME = "report/table"
    FORMAT = "table"
    HUMAN = True
    #: per-file coverage entries shown in the table (the JSON result always has all of them)
    COVERAGE_ROWS = 15
    DESCRIPTION = "readable tables: summary, findings, coverage gaps (and packages with --packages)"

    def __init__(
        self, *, width: int = 120, color: bool = False, packages: bool = False, suppressed: bool = False
    ) -> None:
        self.width = width
        self.color = color
        self.packages = packages
        self.suppressed = suppressed

    def render(self, result: ScanResult) -> str:
        buf = io.StringIO()
        console = Console(
            file=buf, width=self.width, force_terminal=self.color, no_color=not self.color, highlight=False
        )
        self._summary(console, result)
        if self.packages:
            self._packages(console, result)
        self._findings(console, result)
        self._suppressed(console, result)
        self._coverage(console, result)
        return buf.getvalue()

    @staticmethod
    def _summary(console: Console, result: ScanResult) -> None:
        inv = result.inventory
        target = result.target
        os_text = (
            (inv.os.pretty_name or f"{inv.os.id} {inv.os.version_id or ''}".strip()) if inv.os else "unknown"
        )
        console.print(Text(f"{target.kind.value}: {target.name}", style="bold"))
        if target.kind is TargetKind.MANIFESTS:
            objects = target.metadata.get("objects") or {}
            listed = ", ".join(f"{n} {k}" for k, n in sorted(objects.items()))
            console.print(f"{target.metadata.get('files', 0)} files" + (f": {listed}" if listed else ""))
            return
        console.print(f"operating system: {os_text}")
        counts = Counter((p.ecosystem, p.found_by) for p in inv.packages)
        table = Table(title=f"{len(inv.packages)} packages", title_justify="left", show_edge=False)
        table.add_column("ecosystem")
        table.add_column("found by")
        table.add_column("packages", justify="right")
        for (eco, found_by), n in sorted(counts.items()):
            table.add_row(eco, found_by, str(n))
        console.print(table)

    @staticmethod
    def _packages(console: Console, result: ScanResult) -> None:
        table = Table(title="packages", title_justify="left", show_edge=False)
        for col in ("name", "version", "type", "location"):
            table.add_column(col, overflow="fold")
        for p in result.inventory.packages:
            loc = str(p.locations[0]) if p.locations else ""
            more = f" (+{len(p.locations) - 1})" if len(p.locations) > 1 else ""
            table.add_row(p.name, p.version, p.type, loc + more)
        console.print(table)

    @staticmethod
    def _findings(console: Console, result: ScanResult) -> None:
        if not result.findings:
            console.print("findings: none")
            return
        bysev = Counter(f.severity for f in result.findings)
        parts = ", ".join(f"{bysev[s]} {s.value}" for s in sorted(bysev, key=lambda s: -s.rank))
        table = Table(
            title=f"{len(result.findings)} findings ({parts})", title_justify="left", show_edge=False
        )
        for col in ("severity", "id", "title", "location"):
            table.add_column(col, overflow="fold")
        for f in result.findings:
            table.add_row(
                Text(f.severity.value, style=SEVERITY_STYLE[f.severity]),
                f.id,
                f.title,
                str(f.location or f.package or ""),
            )
        console.print(table)

    def _suppressed(self, console: Console, result: ScanResult) -> None:
        if not result.suppressed:
            return
        if not self.suppressed:
            console.print(
                f"suppressed by exceptions: {len(result.suppressed)} (--show-suppressed lists them)"
            )
            return
        table = Table(
            title=f"{len(result.suppressed)} suppressed findings", title_justify="left", show_edge=False
        )
        for col in ("severity", "id", "location", "reason", "expires"):
            table.add_column(col, overflow="fold")
        for f in result.suppressed:
            why = f.metadata.get("suppression", {})
            table.add_row(f.severity.value, f.id, str(f.location or ""), str(why.get("reason", "")),
                          str(why.get("expires") or ""))  # fmt: skip
        console.print(table)

    def _coverage(self, console: Console, result: ScanResult) -> None:
        problems = [s for s in result.statuses if s.is_problem]
        if not problems:
            console.print("coverage: every plug-in ran over all of its input")
            return
        # every plug-in's own line (no path) is always shown; per-file entries up to a limit, unless
        # --packages asked for everything
        overall = [s for s in problems if s.path is None]
        per_file = [s for s in problems if s.path is not None]
        shown = per_file if self.packages else per_file[: self.COVERAGE_ROWS]
        table = Table(
            title=f"not covered or partly covered ({len(problems)})", title_justify="left", show_edge=False
        )
        for col in ("plug-in", "status", "path", "reason"):
            table.add_column(col, overflow="fold")
        for s in [*overall, *shown]:
            table.add_row(s.plugin, s.status.value, s.path or "", s.reason)
        console.print(table)
        hidden = len(per_file) - len(shown)
        if hidden:
            console.print(
                f"… and {hidden} more files (every entry is in --format json; --packages lists all here)"
            )
