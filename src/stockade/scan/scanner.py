"""The static pipeline: target → walk → catalogers → inventory → checks → result.

Clock and scan ids are injected so that results are reproducible in tests.  A plug-in that fails is
recorded as a status entry and the scan goes on; nothing here prints.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from stockade import __version__
from stockade.catalog import registry
from stockade.catalog.interface import Cataloger
from stockade.catalog.osrelease import detect_os
from stockade.catalog.runner import catalog_tree, default_jobs
from stockade.catalog.walker import excluded_mounts
from stockade.errors import StockadeError
from stockade.model.inventory import Inventory, Package
from stockade.model.result import ScanResult
from stockade.model.status import Status, StatusKind
from stockade.model.target import Target
from stockade.scan.ids import new_scan_id, utc_now
from stockade.target.fs import TargetFS

Clock = Callable[[], datetime]


@dataclass(slots=True)
class Progress:
    """Callbacks the CLI uses to draw progress; every one is optional."""

    stage: Callable[[str], None] | None = None
    walked: Callable[[int, int], None] | None = None


@dataclass(slots=True)
class ScanOptions:
    catalogers: Sequence[str] | None = None  # names; None means the target kind's preset
    jobs: int = field(default_factory=default_jobs)  # worker processes for walking and cataloging
    clock: Clock = utc_now
    scan_id: Callable[[], str] = new_scan_id
    progress: Progress = field(default_factory=Progress)


def merge_packages(packages: list[Package]) -> tuple[Package, ...]:
    """One entry per (purl, cataloger), with every location it was seen at; sorted for stable output."""
    merged: dict[tuple[str, str], Package] = {}
    # the first location (in path order) decides the metadata kept, whatever order catalogers ran in
    for pkg in sorted(packages, key=lambda p: (p.purl, p.found_by, p.locations)):
        key = pkg.key
        seen = merged.get(key)
        if seen is None:
            merged[key] = pkg
        else:
            locations = tuple(sorted(set(seen.locations) | set(pkg.locations)))
            merged[key] = replace(seen, locations=locations)
    return tuple(sorted(merged.values(), key=lambda p: (p.type, p.name, p.version, p.purl, p.found_by)))


def load_catalogers(names: Sequence[str]) -> tuple[list[Cataloger], list[Status]]:
    loaded: list[Cataloger] = []
    statuses: list[Status] = []
    for name in names:
        try:
            loaded.append(registry.load(name)())
        except StockadeError as exc:
            statuses.append(Status(f"catalog/{name}", StatusKind.ERROR, exc.message))
    return loaded, statuses


def scan_filesystem(target: Target, fs: TargetFS, options: ScanOptions | None = None) -> ScanResult:
    opts = options or ScanOptions()
    started = opts.clock()
    stage = opts.progress.stage or (lambda _s: None)
    names = opts.catalogers if opts.catalogers is not None else registry.PRESETS[target.kind.value]
    catalogers, statuses = load_catalogers(names)

    stage("identifying the operating system")
    os_info = detect_os(fs, statuses)
    if os_info is None:
        statuses.append(
            Status(
                "os-release",
                StatusKind.PARTIAL,
                "operating system not identified "
                "(no /etc/os-release, /usr/lib/os-release or older release file)",
            )
        )

    stage("walking the filesystem and cataloging")
    t0 = time.perf_counter()
    run = catalog_tree(
        fs,
        os_info,
        catalogers,
        excluded_mounts(fs.root),
        jobs=opts.jobs,
        progress=opts.progress.walked,
        stage=opts.progress.stage,
    )
    elapsed = time.perf_counter() - t0
    statuses.extend(run.problems)
    problems_by_plugin: dict[str, int] = {}
    for problem in run.problems:
        problems_by_plugin[problem.plugin] = problems_by_plugin.get(problem.plugin, 0) + 1
    for cat in catalogers:
        plugin = f"catalog/{cat.NAME}"
        if cat.NAME in run.failures:
            statuses.append(Status(plugin, StatusKind.ERROR, run.failures[cat.NAME]))
            continue
        found, problems = run.counts.get(cat.NAME, 0), problems_by_plugin.get(plugin, 0)
        reason = f"{found} packages" + (f", {problems} problems" if problems else "")
        statuses.append(Status(plugin, StatusKind.PARTIAL if problems else StatusKind.OK, reason))

    target = replace(
        target,
        metadata={
            **target.metadata,
            "files_walked": run.files,
            "directories_walked": run.directories,
            "catalog_seconds": round(elapsed, 3),
        },
    )
    return ScanResult(
        scan_id=opts.scan_id(),
        target=target,
        inventory=Inventory(os=os_info, packages=merge_packages(run.packages)),
        findings=(),
        statuses=tuple(sorted(statuses, key=Status.sort_key)),
        started=started,
        finished=opts.clock(),
        tool_version=__version__,
    )
