"""``stockade inventory``: the workloads recorded by earlier scans."""

from __future__ import annotations

import json

import click
from rich.console import Console
from rich.table import Table

from stockade.errors import InputError
from stockade.store.factory import open_store


@click.group(invoke_without_command=True)
@click.option("--db", default=None, metavar="PATH", help="Inventory database (default: $STOCKADE_DB, else the "
              "user's data directory).")  # fmt: skip
@click.option("-f", "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_context
def inventory(ctx: click.Context, db: str | None, fmt: str) -> int:
    """List every recorded workload with its package and finding counts.

    `stockade inventory show ID` shows one workload; ID is a target id, a name or a scan id (prefix).
    """
    ctx.obj = {"db": db, "fmt": fmt}
    if ctx.invoked_subcommand is not None:
        return 0
    with open_store(db) as store:
        rows = store.workloads()
    if fmt == "json":
        click.echo(json.dumps({"workloads": [r.to_dict() for r in rows]}, indent=2))
        return 0
    if not rows:
        click.echo("no workloads recorded yet: run `stockade host` or `stockade rootfs PATH`")
        return 0
    table = Table(show_edge=False)
    for col in ("kind", "name", "last scanned", "scans", "packages", "findings", "coverage notes", "target id"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(r.kind, r.name, r.last_scanned.isoformat(), str(r.scans), str(r.packages), str(r.findings),
                      str(r.problems), r.target_id)  # fmt: skip
    Console(width=160).print(table)
    return 0


@inventory.command()
@click.argument("ident", metavar="ID")
@click.option("-f", "--format", "fmt", type=click.Choice(["table", "json"]), default=None,
              help="Output format (default: the one given to `inventory`).")  # fmt: skip
@click.pass_context
def show(ctx: click.Context, ident: str, fmt: str | None) -> int:
    """Show one recorded workload: its latest scan's packages, findings and coverage."""
    from stockade.report.table import TableFormatter
    from stockade.store.restore import result_from_dict

    fmt = fmt or ctx.obj["fmt"]
    with open_store(ctx.obj["db"]) as store:
        summary = store.find(ident)
        if summary is None:
            raise InputError(f"no recorded workload or scan matches {ident!r}",
                             hint="`stockade inventory` lists what is recorded")  # fmt: skip
        doc = store.result(summary.last_scan_id)
    if doc is None:  # pragma: no cover - find() only returns workloads with a stored scan
        raise InputError(f"scan {summary.last_scan_id} has no stored result")
    if fmt == "json":
        click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
        return 0
    click.echo(TableFormatter(packages=True).render(result_from_dict(doc)), nl=False)
    return 0
