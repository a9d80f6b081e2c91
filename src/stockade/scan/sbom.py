"""Scanning an SBOM: read the document into an inventory and wrap it in a :class:`ScanResult`.

The result has the same shape as a filesystem scan's (inventory, statuses, no findings yet), so that
later stages — advisory matching above all — extend it exactly as they extend a host or image scan.
The target is the SBOM file (kind ``sbom``, name = the path given); what the SBOM describes (its
``metadata.component`` or described SPDX package) is ``target.metadata["sbom"]["subject"]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from stockade import __version__
from stockade.catalog.sbom.read import DEFAULT_MAX_SIZE, read_sbom
from stockade.model.result import ScanResult
from stockade.model.status import Status
from stockade.scan.scanner import ScanOptions


@dataclass(slots=True)
class SbomScanOptions:
    scan: ScanOptions = field(default_factory=ScanOptions)  # clock, scan id, progress
    max_size: int = DEFAULT_MAX_SIZE  # bytes; larger SBOMs are refused


def scan_sbom(path: str, options: SbomScanOptions | None = None) -> ScanResult:
    """Read the SBOM at ``path`` (``-`` for standard input).  Raises InputError/ParseError for input
    that is not a readable SBOM; a partly broken one gives what could be read and statuses."""
    opts = options or SbomScanOptions()
    started = opts.scan.clock()
    if opts.scan.progress.stage is not None:
        opts.scan.progress.stage(f"reading {path}")
    inventory, target, statuses = read_sbom(path, max_size=opts.max_size)
    return ScanResult(
        scan_id=opts.scan.scan_id(),
        target=target,
        inventory=inventory,
        findings=(),
        statuses=tuple(sorted(statuses, key=Status.sort_key)),
        started=started,
        finished=opts.scan.clock(),
        tool_version=__version__,
    )
