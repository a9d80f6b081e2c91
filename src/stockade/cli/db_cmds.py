"""``stockade db import|update|status``: the local advisory database (see docs/commands/db.md)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from stockade.cli.common import F
from stockade.errors import InputError
from stockade.model.status import Status
from stockade.report._common import dumps

if TYPE_CHECKING:
    from stockade.vuln.db import DBStatus
    from stockade.vuln.dbwrite import SourceReport

PROBLEMS_SHOWN = 20  # without --verbose


def _db_options(func: F) -> F:
    func = click.option(
        "--json", "as_json", is_flag=True, help="Write a JSON document to standard output instead of tables."
    )(func)
    return click.option(
        "--advisory-db",
        "advisory_db",
        default=None,
        metavar="PATH",
        help="Advisory database (default: $STOCKADE_ADVISORY_DB, else advisories.db in the user's data "
        "directory).",
    )(func)


def _write_options(func: F) -> F:
    func = click.option(
        "-v", "--verbose", is_flag=True, help=f"List every problem (default: the first {PROBLEMS_SHOWN})."
    )(func)
    return click.option(
        "--wait",
        type=click.FloatRange(min=0),
        default=0.0,
        metavar="SECONDS",
        help="Wait up to SECONDS for another `db import`/`db update` to finish (default: fail at once).",
    )(func)


@click.group("db")
def db() -> None:
    """The local advisory database: OSV advisories, distro trackers, CISA KEV and EPSS.

    \b
    stockade db update            download the OSV exports, KEV and EPSS, and import them
    stockade db import PATH...    import feeds from files or directories (offline)
    stockade db status            what the database holds, and how old it is
    """


def _console() -> Console:
    return Console(width=120 if not sys.stdout.isatty() else None, highlight=False)


def _count(n: int) -> str:
    return f"{n:,}"


def _size(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{int(size)} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{n} bytes"  # pragma: no cover


def ago(when: str | None, now: datetime) -> str:
    """``3 days ago`` for an ISO 8601 time, ``unknown`` if there is none."""
    if not when:
        return "unknown"
    try:
        moment = datetime.fromisoformat(when.replace("Z", "+00:00"))
    except ValueError:
        return when
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    seconds = int((now - moment).total_seconds())
    if seconds < 0:
        return "in the future"
    for unit, length in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= length:
            n = seconds // length
            return f"{n} {unit}{'s' if n != 1 else ''} ago"
    return "just now"


def _problem_lines(problems: list[Status], verbose: bool) -> list[str]:
    shown = problems if verbose else problems[:PROBLEMS_SHOWN]
    lines = [f"  {p.path + ': ' if p.path else ''}{p.reason} ({p.plugin}, {p.status.value})" for p in shown]
    if len(shown) < len(problems):
        lines.append(f"  ... and {len(problems) - len(shown):,} more (--verbose lists every one)")
    return lines


def _table(*columns: str) -> Table:
    """A table whose cells are plain text (paths may hold ``[``); numeric columns end in ``#``."""
    table = Table(show_edge=False)
    for col in columns:
        numeric = col.endswith("#")
        table.add_column(col.rstrip("#"), justify="right" if numeric else "left", overflow="fold")
    return table


def _row(table: Table, *cells: str) -> None:
    table.add_row(*(Text(c) for c in cells))


def _print_reports(title: str, reports: list[SourceReport], verbose: bool) -> None:
    console = _console()
    console.print(title, markup=False)
    table = _table("source", "reader", "records#", "problems#")
    for r in reports:
        state = "replaced" if r.replaced else "new"
        if not r.records:
            state = "nothing read: previous records kept" if r.kept_previous else "nothing imported"
        _row(table, f"{r.location} ({state})", "", _count(r.records), _count(len(r.problems)))
        by_plugin: dict[str, int] = {}
        for p in r.problems:
            by_plugin[p.plugin] = by_plugin.get(p.plugin, 0) + 1
        for reader, n in sorted(r.readers.items()):
            _row(table, "", reader, _count(n), _count(by_plugin.get(f"feed/{reader}", 0)))
    console.print(table)
    for r in reports:
        if not r.records:
            continue
        parts = [f"{r.advisories:,} advisories ({r.withdrawn:,} withdrawn)"] if r.advisories else []
        if r.kev:
            parts.append(f"{r.kev:,} KEV entries" + (f" (catalog {r.version})" if r.version else ""))
        if r.epss:
            parts.append(f"{r.epss:,} EPSS scores")
        if r.duplicates:
            parts.append(f"{r.duplicates:,} duplicate records dropped")
        console.print(f"{r.location}: " + ", ".join(parts), markup=False, soft_wrap=True)
    problems = [p for r in reports for p in r.problems]
    if problems:
        console.print(f"problems ({len(problems):,}):", markup=False)
        for line in _problem_lines(problems, verbose):
            console.print(line, markup=False, soft_wrap=True)


@db.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--fresh", is_flag=True, help="Build a new database holding only these PATHS.")
@_write_options
@_db_options
def import_cmd(
    paths: tuple[str, ...], fresh: bool, wait: float, verbose: bool, advisory_db: str | None, as_json: bool
) -> int:
    """Import advisory feeds from files or directories, atomically.

    Each PATH is one source (a file, or a directory read recursively; every feed format stockade
    reads is recognised by its content).  Importing a PATH again replaces what it gave before;
    several sources are merged.  A crash or error leaves the previous database as it was.
    """
    from stockade.vuln import db as vdb
    from stockade.vuln.dbbuild import SourceSpec, build, path_checksum

    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        raise InputError(
            f"{missing[0]}: no such file or directory", hint="give files or directories to import"
        )
    path = vdb.resolve_path(advisory_db)
    specs: dict[str, SourceSpec] = {}
    for p in paths:
        real = os.path.realpath(p)
        specs.setdefault(real, SourceSpec(real, real, real, "import", path_checksum(real)))
    reports = build(path, list(specs.values()), wait=wait, fresh=fresh)
    imported = any(r.records for r in reports)
    if as_json:
        click.echo(
            dumps({"database": path, "imported": imported, "sources": [r.to_dict() for r in reports]}),
            nl=False,
        )
    else:
        _print_reports(f"advisory database {path}", reports, verbose)
    if not imported:
        raise InputError(
            "nothing was imported: no advisory, KEV or EPSS records were found in " + ", ".join(paths),
            hint="the problems above say what was wrong; `stockade db import` reads OSV JSON/YAML, the "
            "Debian and Ubuntu trackers, Alpine secdb, the Node.js security WG, victims, CISA KEV and EPSS",
        )
    return 0


@contextmanager
def _progress(quiet: bool) -> Iterator[Callable[[str, int, int | None], None] | None]:
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from rich.status import Status as Spinner

    with Spinner("downloading", console=Console(stderr=True)) as spinner:

        def show(name: str, done: int, total: int | None) -> None:
            spinner.update(f"{name}: {_size(done)}" + (f" of {_size(total)}" if total else ""))

        yield show


@db.command("update")
@click.option(
    "-e",
    "--ecosystem",
    "ecosystems",
    multiple=True,
    metavar="NAME",
    help="OSV ecosystem to download (repeatable; case-sensitive). Default: PyPI npm Go crates.io Maven "
    "RubyGems NuGet Packagist Debian Alpine.",
)
@click.option(
    "--mirror",
    default=None,
    metavar="URL",
    help="OSV export base URL (default: $STOCKADE_OSV_MIRROR, else osv.dev's bucket).",
)
@click.option("--kev-url", default=None, metavar="URL", help="CISA KEV catalog JSON URL.")
@click.option("--epss-url", default=None, metavar="URL", help="EPSS scores CSV (.csv.gz) URL.")
@click.option("--no-kev", is_flag=True, help="Do not download the CISA KEV catalog.")
@click.option("--no-epss", is_flag=True, help="Do not download EPSS scores.")
@click.option("-q", "--quiet", is_flag=True, help="No progress on standard error.")
@_write_options
@_db_options
def update_cmd(
    ecosystems: tuple[str, ...],
    mirror: str | None,
    kev_url: str | None,
    epss_url: str | None,
    no_kev: bool,
    no_epss: bool,
    quiet: bool,
    wait: float,
    verbose: bool,
    advisory_db: str | None,
    as_json: bool,
) -> int:
    """Download the OSV exports, CISA KEV and EPSS, and import them atomically.

    Interrupted downloads are resumed by the next run; sizes and (where the server gives one) MD5
    digests are checked.  Any failed download leaves the database as it was.
    """
    from stockade.vuln import db as vdb
    from stockade.vuln import update as upd

    downloads = upd.plan(
        ecosystems or upd.DEFAULT_ECOSYSTEMS,
        mirror=mirror,
        kev_url=None if no_kev else kev_url or upd.KEV_URL,
        epss_url=None if no_epss else epss_url or upd.EPSS_URL,
    )
    path = vdb.resolve_path(advisory_db)
    with _progress(quiet or as_json) as progress:
        fetched, reports = upd.update(path, downloads, wait=wait, progress=progress)
    if as_json:
        click.echo(
            dumps(
                {
                    "database": path,
                    "downloads": [f.to_dict() for f in fetched],
                    "sources": [r.to_dict() for r in reports],
                }
            ),
            nl=False,
        )
    else:
        console = _console()
        for f in fetched:
            resumed = f", resumed at {_size(f.resumed_from)}" if f.resumed_from else ""
            check = "md5 verified" if f.md5_verified else "no checksum from the server"
            console.print(f"downloaded {f.download.url} ({_size(f.size)}{resumed}, {check})", markup=False)
        _print_reports(f"advisory database {path}", reports, verbose)
    return 0


def _status_doc(status: DBStatus, now: datetime) -> dict[str, Any]:
    doc = status.to_dict()
    doc["exists"] = True
    doc["age_seconds"] = None
    if status.built_at:
        built = datetime.fromisoformat(status.built_at)
        doc["age_seconds"] = int((now - built).total_seconds())
    return doc


@db.command("status")
@_db_options
def status_cmd(advisory_db: str | None, as_json: bool) -> int:
    """What the advisory database holds: sources, counts, problems, age, KEV and EPSS.

    Exits 2 when there is no database yet (with how to create one).
    """
    from stockade.vuln import db as vdb

    path = vdb.resolve_path(advisory_db)
    now = datetime.now(UTC)
    try:
        with vdb.AdvisoryDB(path) as adb:
            status = adb.status()
    except vdb.NoAdvisoryDBError:
        if as_json:
            click.echo(dumps({"path": path, "exists": False}), nl=False)
        raise
    if as_json:
        click.echo(dumps(_status_doc(status, now)), nl=False)
        return 0
    console = _console()
    out: list[str] = [
        f"advisory database {status.path}",
        f"  size {_size(status.size)}, schema {status.schema}, "
        f"built {status.built_at} ({ago(status.built_at, now)})",
        f"  advisories {status.advisories:,} ({status.withdrawn:,} withdrawn)",
    ]
    if status.ecosystems:
        out.append("  by ecosystem: " + ", ".join(f"{e} {n:,}" for e, n in status.ecosystems.items()))
    kev = f"  CISA KEV: {status.kev_count:,} entries"
    if status.kev_count:
        kev += f", catalog {status.kev_version or 'version unknown'}, newest added {status.kev_newest}"
    out.append(kev)
    epss = f"  EPSS: {status.epss_count:,} scores"
    if status.epss_count:
        epss += f", score date {status.epss_date or 'unknown'}"
    out.append(epss)
    for line in out:
        console.print(line, markup=False, soft_wrap=True)
    table = _table("source", "kind", "imported", "records#", "problems#", "newest modified")
    for s in status.sources:
        _row(
            table,
            s.location,
            s.kind,
            f"{s.imported_at} ({ago(s.imported_at, now)})",
            _count(s.records),
            _count(s.problems),
            s.newest_modified or "",
        )
    console.print(table)
    return 0
