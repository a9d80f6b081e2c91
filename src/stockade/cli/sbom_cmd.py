"""``stockade sbom``: work with SBOMs made by any tool (``sbom scan FILE``)."""

from __future__ import annotations

import click

from stockade.catalog.sbom.read import DEFAULT_MAX_SIZE, MiB
from stockade.cli.common import finish, output_options, progress_reporter, vuln_options, with_vulnerabilities
from stockade.scan.sbom import SbomScanOptions, scan_sbom
from stockade.scan.scanner import ScanOptions


@click.group()
def sbom() -> None:
    """Read SBOMs made by other tools (or by stockade) as workloads."""


@sbom.command()
@click.argument("file", metavar="FILE", type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "--max-size",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_SIZE // MiB,
    show_default=True,
    metavar="MIB",
    help="Refuse SBOMs larger than this many MiB.",
)
@vuln_options
@output_options
def scan(file: str, max_size: int, advisory_db: str | None, no_vulns: bool, **opts: object) -> int:
    """Read the SBOM in FILE (`-` for standard input) into an inventory, as if the workload it
    describes had been scanned.

    \b
    Formats (detected from the content, not the file name):
      CycloneDX 1.2–1.7            JSON or XML
      SPDX 2.2 / 2.3               JSON, YAML or tag-value
      SPDX 3.0                     JSON-LD

    Packages are identified by their purl; OS packages keep their distribution release and source
    package (purl `distro` and `upstream` qualifiers).  Components without a purl are kept and listed
    as not matchable.  The result's statuses say what in the document was not read.  Packages are
    matched against the advisory database (see `stockade db`), as for `stockade host`.
    """
    quiet = bool(opts["quiet"])
    with progress_reporter(quiet) as progress:
        result = scan_sbom(
            file, SbomScanOptions(scan=ScanOptions(progress=progress), max_size=max_size * MiB)
        )
        result = with_vulnerabilities(result, advisory_db, no_vulns, quiet, progress)
    return finish(result, **opts)  # type: ignore[arg-type]
