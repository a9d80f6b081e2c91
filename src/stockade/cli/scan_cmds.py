"""``stockade host`` and ``stockade rootfs``: scan the live machine or an unpacked filesystem."""

from __future__ import annotations

import click

from stockade.cli.common import (
    finish,
    jobs_option,
    output_options,
    progress_reporter,
    vuln_options,
    with_vulnerabilities,
)
from stockade.scan.scanner import Progress, ScanOptions, scan_filesystem
from stockade.target.host import open_host
from stockade.target.rootfs import open_rootfs


@click.command()
@jobs_option
@vuln_options
@output_options
def host(jobs: int | None, advisory_db: str | None, no_vulns: bool, **opts: object) -> int:
    """Scan this machine: its operating system, installed packages and language packages.

    Walks / once, skipping kernel pseudo filesystems (/proc, /sys, ...) and container engine storage
    (scan images with `stockade image`); every skipped or unreadable part is listed in the result.
    Packages are matched against the advisory database (see `stockade db`).
    """
    target, fs = open_host()
    quiet = bool(opts["quiet"])
    with progress_reporter(quiet) as progress:
        result = scan_filesystem(target, fs, scan_options(jobs, progress))
        result = with_vulnerabilities(result, advisory_db, no_vulns, quiet, progress)
    return finish(result, **opts)  # type: ignore[arg-type]


@click.command()
@click.argument("path", type=click.Path(file_okay=True, dir_okay=True, exists=False))
@jobs_option
@vuln_options
@output_options
def rootfs(path: str, jobs: int | None, advisory_db: str | None, no_vulns: bool, **opts: object) -> int:
    """Scan an unpacked filesystem at PATH (a chroot, an extracted image, a mounted disk).

    Symbolic links are resolved inside PATH, as chroot would: nothing outside PATH is read.
    Packages are matched against the advisory database (see `stockade db`).
    """
    target, fs = open_rootfs(path)
    quiet = bool(opts["quiet"])
    with progress_reporter(quiet) as progress:
        result = scan_filesystem(target, fs, scan_options(jobs, progress))
        result = with_vulnerabilities(result, advisory_db, no_vulns, quiet, progress)
    return finish(result, **opts)  # type: ignore[arg-type]


def scan_options(jobs: int | None, progress: Progress) -> ScanOptions:
    options = ScanOptions(progress=progress)
    if jobs is not None:
        options.jobs = jobs
    return options
