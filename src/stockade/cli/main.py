"""``stockade``: the entry point, exit codes and error reporting.

Exit codes: 0 clean, 1 findings at or above ``--fail-on``, 2 usage or input error, 3 runtime error.
"""

from __future__ import annotations

import gc
import os
import sys

import click

from stockade import __version__
from stockade.cli import fastexit
from stockade.cli.lazy import LazyGroup
from stockade.errors import StockadeError

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_RUNTIME = 0, 1, 2, 3


#: command name → "module:attribute"; a command's module is imported only when that command runs (or
#: when --help lists them all), so `stockade k8s` does not pay for the runtime sensor's imports
COMMANDS: dict[str, str] = {
    "host": "stockade.cli.scan_cmds:host",
    "rootfs": "stockade.cli.scan_cmds:rootfs",
    "image": "stockade.cli.image_cmd:image",
    "sbom": "stockade.cli.sbom_cmd:sbom",
    "inventory": "stockade.cli.inventory_cmd:inventory",
    "k8s": "stockade.cli.config_cmds:k8s",
    "dockerfile": "stockade.cli.config_cmds:dockerfile",
    "config": "stockade.cli.config_cmds:config",
    "db": "stockade.cli.db_cmds:db",
    "netpol": "stockade.cli.netpol_cmds:netpol",
    "rbac": "stockade.cli.rbac_cmds:rbac",
    "runtime": "stockade.cli.rules_cmds:runtime",
    "secrets": "stockade.cli.secrets_cmd:secrets",
}


@click.group(
    cls=LazyGroup,
    lazy=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, "--version", prog_name="stockade", message="%(prog)s %(version)s")
def cli() -> None:
    """stockade — workload security for containers, hosts, functions and databases.

    Scan a workload for what it is made of and what is wrong with it; every scan states what it did
    not cover.  Results are recorded in a local inventory (see `stockade inventory`).

    \b
    Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage or input error, 3 runtime error.
    """


def _error(message: str, hint: str = "") -> None:
    click.echo(f"stockade: error: {message}", err=True)
    if hint:
        click.echo(f"hint: {hint}", err=True)


#: the cyclic garbage collector's first generation runs after this many allocations (CPython's default:
#: 700).  A scan allocates millions of short-lived, acyclic objects (parsed manifests, findings, packages)
#: that reference counting frees; at 700 the collector kept walking them — ~9 % of a `stockade k8s` run on
#: the benchmark corpus (BENCHMARKS.md).  Cycles are still collected, less often.
GC_GEN0_THRESHOLD = 100_000


def main(argv: list[str] | None = None) -> None:
    _gen0, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GC_GEN0_THRESHOLD, gen1, gen2)
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
    code = code if isinstance(code, int) else EXIT_OK
    if argv is None:  # the installed command (tests call main(argv) in their own process)
        fastexit.exit_now(code)
    fastexit.LEFT_FOR_EXIT.clear()
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    main()
