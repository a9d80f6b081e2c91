"""``stockade``: the entry point, exit codes and error reporting.

Exit codes: 0 clean, 1 findings at or above ``--fail-on``, 2 usage or input error, 3 runtime error.
"""

from __future__ import annotations

import os
import sys

import click

from stockade import __version__
from stockade.cli.config_cmds import config, dockerfile, k8s
from stockade.cli.db_cmds import db
from stockade.cli.image_cmd import image
from stockade.cli.inventory_cmd import inventory
from stockade.cli.netpol_cmds import netpol
from stockade.cli.rbac_cmds import rbac
from stockade.cli.rules_cmds import runtime
from stockade.cli.sbom_cmd import sbom
from stockade.cli.scan_cmds import host, rootfs
from stockade.errors import StockadeError

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_RUNTIME = 0, 1, 2, 3


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="stockade", message="%(prog)s %(version)s")
def cli() -> None:
    """stockade — workload security for containers, hosts, functions and databases.

    Scan a workload for what it is made of and what is wrong with it; every scan states what it did
    not cover.  Results are recorded in a local inventory (see `stockade inventory`).

    \b
    Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage or input error, 3 runtime error.
    """


cli.add_command(host)
cli.add_command(rootfs)
cli.add_command(image)
cli.add_command(inventory)
cli.add_command(k8s)
cli.add_command(dockerfile)
cli.add_command(config)
cli.add_command(db)
cli.add_command(netpol)
cli.add_command(rbac)
cli.add_command(runtime)
cli.add_command(sbom)


def _error(message: str, hint: str = "") -> None:
    click.echo(f"stockade: error: {message}", err=True)
    if hint:
        click.echo(f"hint: {hint}", err=True)


def main(argv: list[str] | None = None) -> None:
    try:
        code = cli.main(args=argv, prog_name="stockade", standalone_mode=False)
    except click.exceptions.Exit as exc:  # --help, --version
        code = exc.exit_code
    except click.ClickException as exc:
        exc.show()
        code = EXIT_USAGE if isinstance(exc, click.UsageError) else exc.exit_code
    except click.Abort:
        _error("aborted")
        code = 130
    except StockadeError as exc:
        _error(exc.message, exc.diagnostics())
        code = exc.exit_code
    except KeyboardInterrupt:
        _error("interrupted")
        code = 130
    except BrokenPipeError:
        code = EXIT_OK
    except Exception as exc:
        if os.environ.get("STOCKADE_DEBUG"):
            raise
        _error(
            f"internal error: {type(exc).__name__}: {exc}", "run again with STOCKADE_DEBUG=1 for a traceback"
        )
        code = EXIT_RUNTIME
    sys.exit(code if isinstance(code, int) else EXIT_OK)


if __name__ == "__main__":  # pragma: no cover
    main()
