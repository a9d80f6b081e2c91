"""Tables for people, drawn with rich: a summary, the findings, and what was not covered."""

from __future__ import annotations

import io
from collections import Counter
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from stockade.model.finding import Finding
from stockade.model.inventory import Package
from stockade.model.result import ScanResult
from stockade.model.severity import Severity
from stockade.model.target import TargetKind
from stockade.report.interface import Formatter
from stockade.target.fs import human_size

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
        if "rules" in target.metadata and not inv.packages and target.image is None:  # `stockade secrets`
            meta = target.metadata
            console.print(
                f"{meta.get('files', 0)} files searched with {meta['rules']} secret rules "
                f"({meta.get('binary_files_skipped', 0)} binary files skipped)"
            )
            return
        console.print(f"operating system: {os_text}")
        if target.image is not None:
            _image(console, target.image)
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
        layers = _layer_numbers(result)
        for col in ("name", "version", "type", "location", *(("layer",) if layers else ())):
            table.add_column(col, overflow="fold")
        for p in result.inventory.packages:
            loc = str(p.locations[0]) if p.locations else ""
            more = f" (+{len(p.locations) - 1})" if len(p.locations) > 1 else ""
            row = [p.name, p.version, p.type, loc + more]
            if layers:
                layer = p.locations[0].layer if p.locations else None
                row.append(layers.get(layer or "", ""))
            table.add_row(*row)
        console.print(table)

    @staticmethod
    def _findings(console: Console, result: ScanResult) -> None:
        if not result.findings:
            console.print("findings: none")
            return
        checks = [f for f in result.findings if f.kind != "vulnerability"]
        vulns = [f for f in result.findings if f.kind == "vulnerability"]
        if checks:
            bysev = Counter(f.severity for f in checks)
            parts = ", ".join(f"{bysev[s]} {s.value}" for s in sorted(bysev, key=lambda s: -s.rank))
            table = Table(title=f"{len(checks)} findings ({parts})", title_justify="left", show_edge=False)
            for col in ("severity", "id", "title", "location"):
                table.add_column(col, overflow="fold")
            for f in checks:
                table.add_row(
                    Text(f.severity.value, style=SEVERITY_STYLE[f.severity]),
                    f.id,
                    f.title,
                    _where(f),
                )
            console.print(table)
        if vulns:
            _vulnerabilities(console, vulns, {p.purl: p for p in result.inventory.packages})

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


def _vulnerabilities(console: Console, vulns: list[Finding], packages: dict[str, Package]) -> None:
    """One row per vulnerability per package, the highest priority first."""
    bysev = Counter(f.severity for f in vulns)
    parts = ", ".join(f"{bysev[s]} {s.value}" for s in sorted(bysev, key=lambda s: -s.rank))
    affected = len({f.package for f in vulns})
    title = f"{len(vulns)} vulnerabilities in {affected} packages ({parts})"
    table = Table(title=title, title_justify="left", show_edge=False)
    for col, justify in (("id", "left"), ("severity", "left"), ("priority", "right"), ("package", "left"),
                         ("installed", "left"), ("fixed", "left")):  # fmt: skip
        table.add_column(col, overflow="fold", justify=justify)  # type: ignore[arg-type]
    ordered = sorted(vulns, key=lambda f: (-(f.priority if f.priority is not None else -1), f.sort_key()))
    for f in ordered:
        info = f.vulnerability or {}
        described = info.get("package") if isinstance(info.get("package"), dict) else None
        pkg = packages.get(f.package or "")
        name = described["name"] if described else pkg.name if pkg else (f.package or "")
        version = described["version"] if described else pkg.version if pkg else ""
        fixed = [str(v) for v in info.get("fixed_versions") or ()]
        state = info.get("fix_state")
        fixed_text = (
            fixed[0] + (f" (+{len(fixed) - 1})" if len(fixed) > 1 else "")
            if fixed
            else "won't fix"
            if state == "wont-fix"
            else "no fix yet"
            if state == "unfixed"
            else ""
        )
        table.add_row(
            f.id,
            Text(f.severity.value, style=SEVERITY_STYLE[f.severity]),
            "" if f.priority is None else str(f.priority),
            name,
            version,
            fixed_text,
        )
    console.print(table)


def _layer_numbers(result: ScanResult) -> dict[str, str]:
    """Layer digest → ``"2"`` (1-based, bottom first), for image targets."""
    image = result.target.image
    if not image:
        return {}
    return {
        str(layer.get("digest") or layer.get("diff_id")): str(layer["index"] + 1) for layer in image["layers"]
    }


def _image(console: Console, image: dict[str, Any]) -> None:
    digest = image.get("manifest_digest") or "(none: docker-archive)"
    console.print(f"source: {image.get('source')}, platform: {image.get('platform') or 'unknown'}")
    console.print(f"manifest: {digest}")
    console.print(f"config:   {image.get('config_digest')}")
    table = Table(title=f"{len(image['layers'])} layers", title_justify="left", show_edge=False)
    for col in ("layer", "digest", "size", "created by"):
        table.add_column(col, overflow="fold")
    for layer in image["layers"]:
        size = layer.get("uncompressed_size")
        table.add_row(
            str(layer["index"] + 1),
            str(layer.get("digest") or layer.get("diff_id"))[:19],
            human_size(size) if isinstance(size, int) else "",
            str(layer.get("created_by") or "")[:80],
        )
    console.print(table)


def _where(f: Finding) -> str:
    where = str(f.location or f.package or f.metadata.get("field") or "")
    rendered_from = f.metadata.get("rendered_from")
    return f"{where} ({rendered_from})" if rendered_from else where
