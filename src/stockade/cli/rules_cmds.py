"""``stockade runtime``: Falco-compatible rules — ``runtime rules validate`` and ``runtime replay``.

``validate`` prints every error and warning like a compiler (``file:line:col: error: …``), the counts of
lists, macros and rules loaded, and the rules skipped because stockade lacks their event source or
fields; it exits 2 when there is an error.  ``replay`` evaluates recorded events (JSON lines) and writes
alerts in Falco's JSON output shape, one per line.
"""

from __future__ import annotations

import gc
import os
import stat
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any

import click
import orjson

from stockade.cli.lazy import LazyGroup
from stockade.runtime.rules.diagnostics import Diagnostic
from stockade.runtime.rules.engine import Engine
from stockade.runtime.rules.replay import ReplayStats, replay_write
from stockade.runtime.rules.ruleset import DEFAULT_RULES, Ruleset, load_ruleset

EXIT_OK, EXIT_USAGE = 0, 2
PRIORITY_CHOICES = ["emergency", "alert", "critical", "error", "warning", "notice", "informational", "debug"]


@click.group("runtime", cls=LazyGroup, lazy={"watch": "stockade.cli.runtime_cmds:watch"})
def runtime() -> None:
    """Runtime protection: Falco-compatible detection rules."""


@runtime.group("rules")
def rules() -> None:
    """Falco rules files: load, check, explain."""


def _diag_lines(ds: list[Diagnostic], *, warnings: bool) -> list[str]:
    return [str(d) for d in ds if warnings or d.level == "error"]


def _summary(rs: Ruleset) -> list[str]:
    c = rs.counts
    lines = [
        f"loaded {len(rs.files)} file(s): {c['lists']} lists, {c['macros']} macros, {c['rules']} rules "
        f"({c['enabled']} enabled, {c['disabled']} disabled, {c['skipped']} skipped as unsupported, "
        f"{c['invalid']} invalid"
        + (f", {c['below_priority']} below the priority threshold" if c["below_priority"] else "")
        + ")"
    ]
    for s in rs.skipped:
        fields = f" ({', '.join(s.fields)})" if s.fields else ""
        lines.append(f"  skipped: {s.rule}: {s.reason}{fields}")
    lines.append(f"{len(rs.errors)} error(s), {len(rs.warnings)} warning(s)")
    return lines


@rules.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of text.")
@click.option("--no-warnings", is_flag=True, help="Print errors only (warnings are still counted).")
@click.option(
    "--min-priority",
    type=click.Choice(PRIORITY_CHOICES, case_sensitive=False),
    default=None,
    help="Leave out rules less severe than this.",
)
def validate(files: tuple[str, ...], as_json: bool, no_warnings: bool, min_priority: str | None) -> None:
    """Load FILES in order (later files override earlier ones) and report every problem with its position.

    Exits 0 when there is no error, 2 otherwise.
    """
    rs = load_ruleset(files, min_priority=min_priority)
    if as_json:
        doc = {
            "files": rs.files,
            "counts": rs.counts,
            "diagnostics": [d.to_dict() for d in rs.diagnostics if not no_warnings or d.level == "error"],
            "skipped": [{"rule": s.rule, "reason": s.reason, "fields": list(s.fields)} for s in rs.skipped],
            "rules": [
                {"name": r.name, "priority": r.priority, "evttypes": _types(r.evttypes)} for r in rs.rules
            ],
        }
        click.echo(orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode())
    else:
        for line in _diag_lines(rs.diagnostics, warnings=not no_warnings):
            click.echo(line)
        for line in _summary(rs):
            click.echo(line)
    sys.exit(EXIT_USAGE if rs.errors else EXIT_OK)


def _types(types: frozenset[str]) -> list[str]:
    from stockade.runtime.rules.evttypes import ALL

    return ["*"] if types == ALL else sorted(types)


@runtime.command("replay")
@click.argument("events", type=click.File("rb"))
@click.option(
    "-r", "--rules", "rule_files", multiple=True, type=click.Path(dir_okay=False),
    help="A Falco rules file (repeatable; loaded in order).  Default: stockade's own rule set.",
)  # fmt: skip
@click.option("--with-default", is_flag=True, help="Load stockade's own rule set as well as --rules.")
@click.option(
    "--rule-matching",
    type=click.Choice(["first", "all"]),
    default="first",
    show_default=True,
    help="Falco's rule_matching: stop at the first matching rule, or report all.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["json", "text"]), default="json", show_default=True,
    help="json: Falco's JSON alert a line; text: Falco's '<time>: <Priority> <output>' line.",
)  # fmt: skip
@click.option(
    "--min-priority", type=click.Choice(PRIORITY_CHOICES, case_sensitive=False), default=None,
    help="Leave out rules less severe than this.",
)  # fmt: skip
@click.option("--hostname", default=None, help="Hostname for alerts whose event has no evt.hostname.")
@click.option("-q", "--quiet", is_flag=True, help="No summary on standard error.")
def replay_cmd(
    events: IO[bytes],
    rule_files: tuple[str, ...],
    with_default: bool,
    rule_matching: str,
    fmt: str,
    min_priority: str | None,
    hostname: str | None,
    quiet: bool,
) -> None:
    """Evaluate recorded EVENTS (JSON lines, '-' for standard input; `runtime watch --record` writes
    them) and print alerts.

    Alerts are Falco-shaped JSON (time, rule, priority, output, output_fields, source, tags, hostname),
    one per line.  Malformed lines are counted and skipped.  Rules files with errors stop the replay
    (exit 2) after printing every error.

    Events that repeat what the rules read in earlier ones are answered from a memo, without being
    decoded, with the same alerts (docs/commands/rules.md).
    """
    files = (*((str(DEFAULT_RULES),) if with_default or not rule_files else ()), *rule_files)
    rs = load_ruleset(files, min_priority=min_priority)
    if rs.errors:
        for line in _diag_lines(rs.diagnostics, warnings=False):
            click.echo(line, err=True)
        click.echo(f"{len(rs.errors)} error(s) in the rules; nothing replayed", err=True)
        sys.exit(EXIT_USAGE)
    engine = Engine(rs, rule_matching=rule_matching, hostname=hostname)
    # the rules' objects stay for the whole replay: out of the collector's way (its runs over them were
    # ~2 % of replaying 1M events; what the replay makes is still collected)
    gc.freeze()
    stats = ReplayStats()
    out = _alert_output(events)
    # a progress bar on a terminal's stderr, unless the alerts go to that terminal too
    show = not quiet and sys.stderr.isatty() and not sys.stdout.isatty()
    try:
        with _progress(events, stats, show) as tick:
            replay_write(engine, events, stats, out.write, tick, form=fmt)
    finally:
        out.flush()  # (the alerts found before a Ctrl-C are written too)
    if not quiet:
        click.echo(
            f"{stats.events} event(s), {stats.alerts} alert(s), {stats.malformed} malformed line(s) skipped"
            + (f" (lines {', '.join(map(str, stats.malformed_lines))})" if stats.malformed_lines else "")
            + (f", {engine.errors} event(s) with evaluation errors" if engine.errors else ""),
            err=True,
        )
        for rule, n in sorted(stats.by_rule.items(), key=lambda kv: (-kv[1], kv[0])):
            click.echo(f"  {n:>8}  {rule}", err=True)


def _file_size(stream: IO[bytes]) -> int | None:
    """The size of the regular file behind ``stream``; None for a pipe, a terminal or no real file."""
    try:
        st = os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError):  # (not a real file)
        return None
    return st.st_size if stat.S_ISREG(st.st_mode) else None


def _alert_output(events: IO[bytes]) -> IO[bytes]:
    """Where the alerts go: standard output, through a 64 KiB buffer of its own when the events come from
    a file (whatever PYTHONUNBUFFERED says: unbuffered, every alert was a write(2), 7 µs each); alert by
    alert when they come from a pipe, which may be a live stream whose reader waits for each."""
    out = sys.stdout.buffer
    if _file_size(events) is None:
        return out
    try:
        return open(out.fileno(), "wb", buffering=1 << 16, closefd=False)
    except (OSError, ValueError, AttributeError):  # (standard output replaced: no descriptor)
        return out


@contextmanager
def _progress(
    events: IO[bytes], stats: ReplayStats, show: bool, console: Any = None
) -> Iterator[Callable[[], None] | None]:
    """A function the replay calls now and then (after each block it reads) to draw a progress bar, when
    ``show``: bytes read of a file's size, or a running count for a stream; the bar is removed when done
    (the summary follows).  None when not ``show``."""
    if not show:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    total = _file_size(events) or None
    columns = [TextColumn("{task.description}"), BarColumn(), TimeRemainingColumn()] if total else [
        TextColumn("{task.description}")
    ]  # fmt: skip
    with Progress(*columns, console=console or Console(stderr=True), transient=True) as bar:
        task = bar.add_task("replaying", total=total)

        def tick() -> None:
            done = events.tell() if total else stats.lines
            bar.update(task, completed=done, description=f"replaying: {stats.events:,} events, "
                       f"{stats.alerts:,} alerts")  # fmt: skip

        yield tick
