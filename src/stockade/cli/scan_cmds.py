"""``stockade host`` and ``stockade rootfs``: scan the live machine or an unpacked filesystem."""

from __future__ import annotations

from dataclasses import replace

import click

from stockade.cli.common import (
    finish,
    jobs_option,
    output_options,
    progress_reporter,
    vuln_options,
    with_vulnerabilities,
)
from stockade.model.finding import Finding
from stockade.model.result import ScanResult
from stockade.scan.scanner import Progress, ScanOptions, scan_filesystem
from stockade.target.fs import TargetFS
from stockade.target.host import open_host
from stockade.target.rootfs import open_rootfs


@click.command()
@jobs_option
@click.option(
    "--secrets",
    "secrets",
    is_flag=True,
    help="Also look for secrets in every file (reads every file: slow on a whole machine).",
)
@vuln_options
@output_options
def host(jobs: int | None, secrets: bool, advisory_db: str | None, no_vulns: bool, **opts: object) -> int:
    """Scan this machine: its operating system, installed packages and language packages.

    Walks / once, skipping kernel pseudo filesystems (/proc, /sys, ...) and container engine storage
    (scan images with `stockade image`); every skipped or unreadable part is listed in the result.
    Packages are matched against the advisory database (see `stockade db`).
    """
    target, fs = open_host()
    quiet = bool(opts["quiet"])
    with progress_reporter(quiet) as progress:
        result = scan_filesystem(target, fs, scan_options(jobs, progress))
        if secrets:
            result = with_secrets(result, fs, jobs, progress)
        result = with_vulnerabilities(result, advisory_db, no_vulns, quiet, progress)
    return finish(result, **opts)  # type: ignore[arg-type]


@click.command()
@click.argument("path", type=click.Path(file_okay=True, dir_okay=True, exists=False))
@jobs_option
@click.option(
    "--secrets",
    "secrets",
    is_flag=True,
    help="Also look for secrets in every file (reads every file: several times slower).",
)
@vuln_options
@output_options
def rootfs(
    path: str, jobs: int | None, secrets: bool, advisory_db: str | None, no_vulns: bool, **opts: object
) -> int:
    """Scan an unpacked filesystem at PATH (a chroot, an extracted image, a mounted disk).

    Symbolic links are resolved inside PATH, as chroot would: nothing outside PATH is read.
    Packages are matched against the advisory database (see `stockade db`).
    """
    target, fs = open_rootfs(path)
    quiet = bool(opts["quiet"])
    with progress_reporter(quiet) as progress:
        result = scan_filesystem(target, fs, scan_options(jobs, progress))
        if secrets:
            result = with_secrets(result, fs, jobs, progress)
        result = with_vulnerabilities(result, advisory_db, no_vulns, quiet, progress)
    return finish(result, **opts)  # type: ignore[arg-type]


def with_secrets(result: ScanResult, fs: TargetFS, jobs: int | None, progress: Progress) -> ScanResult:
    """``result`` with the secrets found in the target's files (docs/secrets.md)."""
    from stockade.secrets.scan import scan_tree_secrets
    from stockade.secrets.tree import TreeOptions

    if progress.stage is not None:
        progress.stage("looking for secrets")
    options = TreeOptions(jobs=jobs if jobs is not None else ScanOptions().jobs)
    found, statuses = scan_tree_secrets(fs, result.target.name, options)
    return replace(
        result,
        findings=tuple(sorted((*result.findings, *found), key=Finding.sort_key)),
        statuses=(*result.statuses, *statuses),
    )


def scan_options(jobs: int | None, progress: Progress) -> ScanOptions:
    options = ScanOptions(progress=progress)
    if jobs is not None:
        options.jobs = jobs
    return options
