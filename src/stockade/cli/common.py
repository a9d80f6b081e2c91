"""What every scanning command shares: output options, progress, writing, recording, exit status."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import click

from stockade.cli import fastexit
from stockade.errors import OutputError
from stockade.model.finding import Finding
from stockade.model.result import ScanResult
from stockade.model.severity import Severity
from stockade.model.status import StatusKind
from stockade.report import registry as formatters
from stockade.report.interface import Formatter

if TYPE_CHECKING:  # (the scanner and the store are imported where used: not every command needs them)
    from stockade.scan.scanner import Progress

F = TypeVar("F", bound=Callable[..., Any])
SEVERITIES = [s.value for s in Severity if s is not Severity.UNKNOWN]
_PRIORITY = re.compile(r"^priority\s*(?:>=|:)\s*(\d{1,3})$")


class FailOn(click.ParamType):  # type: ignore[type-arg]  # generic only from click 8.2
    """``--fail-on``: a severity (``high``) or a vulnerability priority threshold (``priority>=70``, or
    ``priority:70``, which needs no quoting in a shell)."""

    name = "fail_on"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "[" + "|".join(SEVERITIES) + "|priority>=N]"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value).strip().lower()
        if text in SEVERITIES:
            return text
        m = _PRIORITY.match(text)
        if m and 0 <= int(m.group(1)) <= 100:
            return f"priority>={int(m.group(1))}"
        self.fail(
            f"{value!r} is not a severity ({', '.join(SEVERITIES)}) or 'priority>=N' with N from 0 to 100",
            param,
            ctx,
        )


def failing(result: ScanResult, fail_on: str | None) -> tuple[Finding, ...]:
    """The findings that make ``--fail-on`` exit 1: at or above the severity, or (``priority>=N``)
    vulnerability findings whose priority is at least N (other findings have no priority)."""
    if not fail_on:
        return ()
    if fail_on.startswith("priority>="):
        threshold = int(fail_on.removeprefix("priority>="))
        return tuple(f for f in result.findings if f.priority is not None and f.priority >= threshold)
    return result.findings_at_or_above(Severity.parse(fail_on))


def jobs_option(func: F) -> F:
    return click.option(
        "-j",
        "--jobs",
        type=click.IntRange(min=1),
        default=None,
        help="Worker processes for walking and cataloging (default: the CPUs this process may use).",
    )(func)


def output_options(func: F) -> F:
    """``--format --output --fail-on --quiet --packages --db --no-store``."""
    options = [
        click.option(
            "-f",
            "--format",
            "fmt",
            type=click.Choice(list(formatters.FORMATTERS)),
            default="table",
            show_default=True,
            help="Output format. cyclonedx is CycloneDX 1.6 JSON, spdx is SPDX 2.3 "
            "JSON, sarif is SARIF 2.1.0.",
        ),
        click.option(
            "-o",
            "--output",
            type=click.Path(dir_okay=False, writable=True),
            default=None,
            help="Write the result to this file (atomically) instead of standard output.",
        ),
        click.option(
            "--fail-on",
            type=FailOn(),
            default=None,
            help="Exit 1 when a finding at or above this severity is found, or with 'priority>=N' (quote it "
            "in a shell, or write priority:N) a vulnerability of priority N (0-100) or more.",
        ),
        click.option("-q", "--quiet", is_flag=True, help="No progress and no summary on standard error."),
        click.option(
            "--packages",
            "list_packages",
            is_flag=True,
            help="With --format table: list every package and every coverage entry, not only counts.",
        ),
        click.option(
            "--db",
            "db",
            default=None,
            metavar="PATH",
            help="Inventory database (default: $STOCKADE_DB, else the user's data directory).",
        ),
        click.option("--no-store", is_flag=True, help="Do not record this scan in the inventory."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@contextmanager
def progress_reporter(quiet: bool) -> Iterator[Progress]:
    """A spinner with the current stage and walk counts, on stderr, only when stderr is a terminal."""
    from stockade.scan.scanner import Progress

    if quiet or not sys.stderr.isatty():
        yield Progress()
        return
    from rich.console import Console
    from rich.status import Status

    console = Console(stderr=True)
    with Status("starting", console=console) as status:
        state = {"stage": "starting"}

        def stage(text: str) -> None:
            state["stage"] = text
            status.update(text)

        def walked(dirs: int, files: int) -> None:
            status.update(f"{state['stage']}: {dirs:,} directories, {files:,} files")

        yield Progress(stage=stage, walked=walked)


def write_output(text: str | bytes | Iterable[bytes], output: str | None) -> None:
    """Write a document (text, bytes, or bytes in pieces) to the ``output`` file, or to stdout."""
    if output is None:
        for piece in (text,) if isinstance(text, (str, bytes)) else text:
            click.echo(piece, nl=False)
        return
    from stockade._internal import atomicfile

    try:
        atomicfile.write(output, text)
    except OSError as exc:
        raise OutputError(f"{output}: cannot write: {exc.strerror or exc}") from exc


def make_formatter(
    fmt: str, list_packages: bool, output: str | None, show_suppressed: bool = False
) -> Formatter:
    if fmt == "table":
        to_tty = output is None and sys.stdout.isatty()
        width = os.get_terminal_size().columns if to_tty else 120
        from stockade.report.table import TableFormatter  # (rich: 40 ms of imports machine formats skip)

        return TableFormatter(width=width, color=to_tty, packages=list_packages, suppressed=show_suppressed)
    return formatters.load(fmt)


def finish(
    result: ScanResult,
    *,
    fmt: str,
    output: str | None,
    fail_on: str | None,
    quiet: bool,
    list_packages: bool,
    db: str | None,
    no_store: bool,
    show_suppressed: bool = False,
) -> int:
    """Render, write, record; return the exit code."""
    fastexit.leave(result)  # (freed by the process's exit)
    formatter = make_formatter(fmt, list_packages, output, show_suppressed)
    write_output(formatter.render(result) if formatter.HUMAN else formatter.pieces(result), output)
    if not no_store:
        from stockade.store.factory import open_store

        with open_store(db) as store:
            store.record(result)
    problems = sum(1 for s in result.statuses if s.is_problem)
    if not quiet and (fmt != "table" or output is not None):
        suppressed = f", {len(result.suppressed)} suppressed" if result.suppressed else ""
        click.echo(
            f"stockade: {result.target.kind.value} {result.target.name}: {len(result.inventory.packages)} "
            f"packages, {len(result.findings)} findings{suppressed}, {problems} coverage notes"
            + (f"; written to {output}" if output else ""),
            err=True,
        )
    if failing(result, fail_on):
        return 1
    return 0


def vuln_options(func: F) -> F:
    """``--advisory-db PATH --no-vulns``: for the commands that match packages against advisories."""
    func = click.option(
        "--no-vulns",
        is_flag=True,
        help="Do not match packages against the advisory database (the result says so).",
    )(func)
    return click.option(
        "--advisory-db",
        default=None,
        metavar="PATH",
        help="Advisory database to match packages against (default: $STOCKADE_ADVISORY_DB, else the "
        "user's data directory; `stockade db update` or `db import` creates it).",
    )(func)


def with_vulnerabilities(
    result: ScanResult, advisory_db: str | None, no_vulns: bool, quiet: bool, progress: Progress
) -> ScanResult:
    """``result`` with vulnerability findings (docs/vulnerabilities.md); when they could not be checked
    and not ``quiet``, one warning line on standard error (the result's statuses say it too)."""
    from stockade.scan.vulns import DB_PLUGIN, add_vulnerabilities

    if progress.stage is not None and not no_vulns:
        progress.stage("matching vulnerabilities")
    out = add_vulnerabilities(result, advisory_db, enabled=not no_vulns)
    if not quiet:
        for status in out.statuses:
            if status.plugin == DB_PLUGIN and status.status is StatusKind.ERROR:
                click.echo(f"stockade: warning: {status.reason}", err=True)
    return out
