"""Run catalogers over the paths the walk found, sequentially or spread over worker processes.

Sequential (``jobs=1``): one walk, then each cataloger over all of its paths.

Parallel (``jobs>1``, Linux): the main process schedules, worker processes (forked, so catalogers and the
target need no pickling) each take a batch of directories, walk depth-first from them for a bounded
number of directories, run the file catalogers over the paths found there, and hand back the packages,
problems and the part of the tree they did not reach.  The main process re-batches that frontier, so
work spreads over all workers however the tree is shaped.  Catalogers that read fixed places (the OS
package databases: they declare no names, extensions or executables) run once, in the main process.

Both give the same result: packages are merged and sorted afterwards, and every file cataloger is
per-file.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from stockade._internal import forkpool
from stockade._internal.forkpool import default_jobs
from stockade.catalog.interface import CatalogContext, Cataloger
from stockade.catalog.walker import Walker, walk
from stockade.errors import StockadeError
from stockade.model.inventory import OSInfo, Package
from stockade.model.status import Status, StatusKind
from stockade.target.fs import TargetFS

#: directories one worker reads before handing back the rest of its frontier
BATCH_DIRECTORIES = 2000


@dataclass(slots=True)
class CatalogRun:
    packages: list[Package] = field(default_factory=list)
    problems: list[Status] = field(default_factory=list)  # per-file problems, walk statuses
    counts: dict[str, int] = field(default_factory=dict)  # packages per cataloger
    failures: dict[str, str] = field(default_factory=dict)  # cataloger → why it failed as a whole
    files: int = 0
    directories: int = 0

    def absorb(self, other: CatalogRun) -> None:
        self.packages.extend(other.packages)
        self.problems.extend(other.problems)
        for name, n in other.counts.items():
            self.counts[name] = self.counts.get(name, 0) + n
        for name, why in other.failures.items():
            self.failures.setdefault(name, why)
        self.files += other.files
        self.directories += other.directories


def is_fixed(cat: Cataloger) -> bool:
    """A cataloger that reads fixed places rather than files the walk finds."""
    return not (cat.FILE_NAMES or cat.EXTENSIONS or cat.EXECUTABLES)


def run_catalogers(
    fs: TargetFS,
    os_info: OSInfo | None,
    catalogers: Sequence[Cataloger],
    wanted: dict[str, list[str]],
    *,
    only_with_paths: bool = False,
    stage: Callable[[str], None] | None = None,
) -> CatalogRun:
    out = CatalogRun()
    for cat in catalogers:
        paths = wanted.get(cat.NAME, [])
        if only_with_paths and not paths:
            continue
        if stage is not None:
            stage(f"cataloging: {cat.NAME}")
        ctx = CatalogContext(fs=fs, os=os_info, plugin=f"catalog/{cat.NAME}")
        try:
            found = cat.catalog(ctx, paths)
        except StockadeError as exc:
            out.failures[cat.NAME] = exc.message
            found = []
        except Exception as exc:
            out.failures[cat.NAME] = f"internal error: {type(exc).__name__}: {exc}"
            found = []
        out.packages.extend(found)
        out.problems.extend(ctx.problems)
        out.counts[cat.NAME] = out.counts.get(cat.NAME, 0) + len(found)
    return out


def catalog_sequential(
    fs: TargetFS,
    os_info: OSInfo | None,
    catalogers: Sequence[Cataloger],
    exclude: dict[str, str],
    progress: Callable[[int, int], None] | None = None,
    stage: Callable[[str], None] | None = None,
) -> CatalogRun:
    walked = walk(fs, catalogers, exclude=exclude, progress=progress)
    out = run_catalogers(fs, os_info, catalogers, walked.wanted, stage=stage)
    out.problems.extend(walked.statuses)
    out.files, out.directories = walked.files, walked.directories
    return out


# -- parallel ---------------------------------------------------------------------------------------
# Set in the parent before the pool forks; workers read them (fork start method: nothing is pickled).
_STATE: dict[str, object] = {}

#: paths per cataloging work item: small enough to spread a thousand jars over the workers, large
#: enough that the round trip to a worker is a small part of it
CHUNK = 256


def _walk_task(batch: list[str]) -> tuple[list[str], dict[str, list[str]], CatalogRun]:
    """Walk from ``batch`` for at most BATCH_DIRECTORIES directories; return the unreached frontier, the
    paths found for each cataloger and the walk's own counts and statuses."""
    walker = _STATE["walker"]
    assert isinstance(walker, Walker)
    walked = walker.new_result()
    rest = walker.run(list(batch), walked, limit=BATCH_DIRECTORIES)
    run = CatalogRun(problems=walked.statuses, files=walked.files, directories=walked.directories)
    return rest, {name: paths for name, paths in walked.wanted.items() if paths}, run


def _catalog_task(name: str, paths: list[str]) -> CatalogRun:
    fs, os_info, by_name = _STATE["fs"], _STATE["os"], _STATE["by_name"]
    assert isinstance(fs, TargetFS) and isinstance(by_name, dict)
    assert os_info is None or isinstance(os_info, OSInfo)
    return run_catalogers(fs, os_info, [by_name[name]], {name: paths})


def _work(kind: str, args: tuple[Any, ...]) -> object:
    if kind == "walk":
        return _walk_task(*args)
    return _catalog_task(*args)


def catalog_parallel(
    fs: TargetFS,
    os_info: OSInfo | None,
    catalogers: Sequence[Cataloger],
    exclude: dict[str, str],
    jobs: int,
    progress: Callable[[int, int], None] | None = None,
    stage: Callable[[str], None] | None = None,
) -> CatalogRun:
    """Walk and catalog with ``jobs`` forked worker processes.  Two kinds of work item: walking a slice
    of the tree (which hands back the part it did not reach, so the walk spreads over every worker), and
    cataloging a chunk of the paths found.  Walking goes first, so that the frontier keeps growing;
    cataloging fills the gaps and the end."""
    file_cats = [c for c in catalogers if not is_fixed(c)]
    fixed = [c for c in catalogers if is_fixed(c)]
    _STATE.update(fs=fs, walker=Walker(fs, file_cats, exclude), by_name={c.NAME: c for c in file_cats},
                  os=os_info)  # fmt: skip
    total = CatalogRun()
    frontier: deque[str] = deque([fs.root])
    chunks: deque[tuple[str, list[str]]] = deque()

    def next_task() -> tuple[str, tuple[Any, ...]] | None:
        if frontier:
            size = max(1, min(256, len(frontier) // (2 * jobs)))
            return "walk", ([frontier.pop() for _ in range(min(size, len(frontier)))],)
        if chunks:
            return "catalog", chunks.popleft()
        return None

    def on_result(kind: str, got: object) -> None:
        if kind == "walk":
            rest, wanted, walked = cast("tuple[list[str], dict[str, list[str]], CatalogRun]", got)
            frontier.extend(rest)
            for name, paths in wanted.items():
                chunks.extend((name, paths[i : i + CHUNK]) for i in range(0, len(paths), CHUNK))
            total.absorb(walked)
            if progress is not None:
                progress(total.directories, total.files)
        else:
            total.absorb(cast(CatalogRun, got))

    try:
        forkpool.run(jobs, _work, next_task, on_result)
    finally:
        _STATE.clear()
    total.absorb(run_catalogers(fs, os_info, fixed, {}, stage=stage))
    for cat in catalogers:
        total.counts.setdefault(cat.NAME, 0)
    return total


def catalog_tree(
    fs: TargetFS,
    os_info: OSInfo | None,
    catalogers: Sequence[Cataloger],
    exclude: dict[str, str],
    *,
    jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
    stage: Callable[[str], None] | None = None,
) -> CatalogRun:
    if jobs > 1 and hasattr(os, "fork"):
        return catalog_parallel(fs, os_info, catalogers, exclude, jobs, progress, stage)
    return catalog_sequential(fs, os_info, catalogers, exclude, progress, stage)


__all__ = ["CatalogRun", "StatusKind", "catalog_tree", "default_jobs", "run_catalogers"]
