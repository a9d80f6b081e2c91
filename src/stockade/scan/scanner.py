"""The static pipeline: target → walk → catalogers → inventory → checks → result.

Clock and scan ids are injected so that results are reproducible in tests.  A plug-in that fails is
recorded as a status entry and the scan goes on; nothing here prints.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from stockade import __version__
from stockade.catalog import registry
from stockade.catalog.interface import CatalogContext, Cataloger
from stockade.catalog.osrelease import detect_os
from stockade.catalog.walker import excluded_mounts, walk
from stockade.errors import StockadeError
from stockade.model.inventory import Inventory, Package
from stockade.model.result import ScanResult
from stockade.model.status import Status, StatusKind
from stockade.model.target import Target
from stockade.target.fs import TargetFS

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def new_scan_id() -> str:
    return uuid.uuid4().hex


@dataclass(slots=True)
class Progress:
    """Callbacks the CLI uses to draw progress; every one is optional."""

    stage: Callable[[str], None] | None = None
    walked: Callable[[int, int], None] | None = None


@dataclass(slots=True)
class ScanOptions:
    catalogers: Sequence[str] | None = None  # names; None means the target kind's preset
    clock: Clock = utc_now
    scan_id: Callable[[], str] = new_scan_id
    progress: Progress = field(default_factory=Progress)


def merge_packages(packages: list[Package]) -> tuple[Package, ...]:
    """One entry per (purl, cataloger), with every location it was seen at; sorted for stable output."""
    merged: dict[tuple[str, str], Package] = {}
    for pkg in packages:
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

    stage("walking the filesystem")
    t0 = time.perf_counter()
    walked = walk(fs, catalogers, exclude=excluded_mounts(fs.root), progress=opts.progress.walked)
    statuses.extend(walked.statuses)
    walk_seconds = time.perf_counter() - t0

    packages: list[Package] = []
    for cat in catalogers:
        stage(f"cataloging: {cat.NAME}")
        ctx = CatalogContext(fs=fs, os=os_info, plugin=f"catalog/{cat.NAME}")
        try:
            found = cat.catalog(ctx, walked.wanted.get(cat.NAME, []))
        except StockadeError as exc:
            statuses.append(Status(ctx.plugin, StatusKind.ERROR, exc.message))
            statuses.extend(ctx.problems)
            continue
        except Exception as exc:
            statuses.append(
                Status(ctx.plugin, StatusKind.ERROR, f"internal error: {type(exc).__name__}: {exc}")
            )
            statuses.extend(ctx.problems)
            continue
        packages.extend(found)
        statuses.extend(ctx.problems)
        worst = StatusKind.PARTIAL if ctx.problems else StatusKind.OK
        statuses.append(
            Status(
                ctx.plugin,
                worst,
                f"{len(found)} packages" + (f", {len(ctx.problems)} problems" if ctx.problems else ""),
            )
        )

    target = replace(
        target,
        metadata={
            **target.metadata,
            "files_walked": walked.files,
            "directories_walked": walked.directories,
            "walk_seconds": round(walk_seconds, 3),
        },
    )
    return ScanResult(
        scan_id=opts.scan_id(),
        target=target,
        inventory=Inventory(os=os_info, packages=merge_packages(packages)),
        findings=(),
        statuses=tuple(sorted(statuses, key=lambda s: (s.plugin, s.path or "", s.status, s.reason))),
        started=started,
        finished=opts.clock(),
        tool_version=__version__,
    )
