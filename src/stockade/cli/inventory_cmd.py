"""``stockade inventory``: the workloads recorded by earlier scans."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from stockade.errors import InputError
from stockade.report._common import dumps
from stockade.store.factory import open_store, resolve_db, store_exists
from stockade.store.interface import WorkloadSummary

_DB_HELP = "Inventory database (default: $STOCKADE_DB, else the user's data directory)."


@click.group(invoke_without_command=True)
@click.option("--db", default=None, metavar="PATH", help=_DB_HELP)
@click.option(
    "-f", "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.pass_context
def inventory(ctx: click.Context, db: str | None, fmt: str) -> int:
    """List every recorded workload with its package and finding counts.

    `stockade inventory show ID` shows one workload; ID is a target id, a name or a scan id (prefix).
    """
    ctx.obj = {"db": db, "fmt": fmt}
    if ctx.invoked_subcommand is not None:
        return 0
    rows: list[WorkloadSummary] = []
    if store_exists(db):  # listing never creates an empty database
        with open_store(db) as store:
            rows = store.workloads()
    if fmt == "json":
        click.echo(dumps({"workloads": [r.to_dict() for r in rows]}), nl=False)
        return 0
    if not rows:
        click.echo("no workloads recorded yet: run `stockade host` or `stockade rootfs PATH`")
        return 0
    table = Table(show_edge=False)
    for col in (
        "kind",
        "name",
        "last scanned",
        "scans",
        "packages",
        "findings",
        "coverage notes",
        "target id",
    ):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(
            r.kind,
            r.name,
            r.last_scanned.isoformat(),
            str(r.scans),
            str(r.packages),
            str(r.findings),
            str(r.problems),
            r.target_id,
        )
    Console(width=160).print(table)
    return 0


@inventory.command()
@click.argument("ident", metavar="ID")
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default=None,
    help="Output format (default: the one given to `inventory`).",
)
@click.option("--db", default=None, metavar="PATH", help=_DB_HELP + " Overrides `inventory --db`.")
@click.pass_context
def show(ctx: click.Context, ident: str, fmt: str | None, db: str | None) -> int:
    """Show one recorded workload: its latest scan's packages, findings and coverage.

    When ID is a scan id (or prefix), that scan is shown, even if the workload has been scanned since.
    """
    from stockade.report.table import TableFormatter
    from stockade.store.restore import result_from_dict

    fmt = fmt or ctx.obj["fmt"]
    db = db or ctx.obj["db"]
    if not store_exists(db):
        raise InputError(
            f"no recorded workload or scan matches {ident!r}: no inventory at {resolve_db(db)} yet",
            hint="scans are recorded there when run: `stockade host` or `stockade rootfs PATH`",
        )
    with open_store(db) as store:
        summary = store.find(ident)
        if summary is None:
            raise InputError(
                f"no recorded workload or scan matches {ident!r}",
                hint="`stockade inventory` lists what is recorded; a scan id prefix needs at least "
                "6 characters",
            )
        by_scan = ident not in (summary.target_id, summary.name)
        doc = store.result(ident if by_scan else summary.last_scan_id)
    if doc is None:  # pragma: no cover - find() only returns workloads with a stored scan
        raise InputError(f"scan {ident if by_scan else summary.last_scan_id} has no stored result")
    if fmt == "json":
        click.echo(dumps(doc), nl=False)
        return 0
    result = result_from_dict(doc)
    latest = "the latest" if result.scan_id == summary.last_scan_id else f"latest: {summary.last_scan_id}"
    click.echo(f"scan {result.scan_id}, finished {result.finished.isoformat()} ({latest} of {summary.scans})")
    click.echo(TableFormatter(packages=True).render(result), nl=False)
    return 0
