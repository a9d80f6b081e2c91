"""Scanning files and directory trees: the user's paths (``stockade secrets``) or a target's filesystem
(``rootfs``, ``host``).

The walk uses ``os.scandir``, never follows symbolic links (a link is not a second copy of a file, and
links may leave the tree), skips pseudo filesystems (proc, sysfs ...) and container-engine storage when
scanning a root, and applies ``.gitignore``-style excludes (the ``pathspec`` library's gitwildmatch
rules, matched against the path relative to the scanned directory; ``.git/`` is excluded by default).
Files are scanned in parallel by forked workers, in batches; only masked findings come back from a worker.
YAML and JSON files that look like Kubernetes manifests are also read structurally
(:mod:`stockade.secrets.kubernetes`).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pathspec

from stockade.model.finding import Finding
from stockade.model.status import Status, StatusKind
from stockade.secrets.content import MAX_HITS, ContentResult, scan_chunks, scan_file
from stockade.secrets.engine import Ruleset
from stockade.secrets.findings import dedupe, hit_finding
from stockade.secrets.kubernetes import looks_like_manifest, scan_manifest_text

PLUGIN = "secrets"
DEFAULT_EXCLUDES = (".git/",)
_MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
_MANIFEST_MAX = 32 * 1024 * 1024
BATCH = 64


@dataclass(slots=True)
class TreeOptions:
    excludes: Sequence[str] = DEFAULT_EXCLUDES
    max_file_size: int | None = None  # None: every file, streamed
    jobs: int = 1
    progress: Callable[[int], None] | None = None


@dataclass(slots=True)
class Part:
    """What scanning some files gave."""

    findings: list[Finding] = field(default_factory=list)
    statuses: list[Status] = field(default_factory=list)
    files: int = 0
    binary: int = 0
    bytes: int = 0

    def absorb(self, other: Part) -> None:
        self.findings.extend(other.findings)
        self.statuses.extend(other.statuses)
        self.files += other.files
        self.binary += other.binary
        self.bytes += other.bytes


def compile_excludes(patterns: Sequence[str]) -> pathspec.PathSpec[Any] | None:
    lines = [p for p in patterns if p.strip() and not p.lstrip().startswith("#")]
    return pathspec.GitIgnoreSpec.from_lines(lines) if lines else None


def walk(
    root: str,
    excludes: pathspec.PathSpec[Any] | None,
    skip_dirs: dict[str, str],
    statuses: list[Status],
    display: Callable[[str], str],
) -> Iterator[str]:
    """Host paths of the regular files under ``root``, depth first, sorted within each directory."""
    stack = [root]
    cut = len(root.rstrip("/")) + 1
    while stack:
        top = stack.pop()
        try:
            with os.scandir(top) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            statuses.append(
                Status(PLUGIN, StatusKind.SKIPPED, f"directory not read: {exc.strerror}", display(top))
            )
            continue
        subdirs = []
        for entry in entries:
            full = entry.path
            rel = full[cut:]
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
                is_file = not is_dir and entry.is_file(follow_symlinks=False)
            except OSError:
                continue
            if is_dir:
                if full in skip_dirs:
                    statuses.append(Status(PLUGIN, StatusKind.SKIPPED, skip_dirs[full], display(full)))
                elif excludes is None or not excludes.match_file(rel + "/"):
                    subdirs.append(full)
            elif is_file and (excludes is None or not excludes.match_file(rel)):
                yield full
        stack.extend(reversed(subdirs))


def scan_one(
    host_path: str, shown: str, ruleset: Ruleset, target: str, opts: TreeOptions, part: Part
) -> None:
    part.files += 1
    try:
        manifest = host_path.endswith(_MANIFEST_SUFFIXES) and os.lstat(host_path).st_size <= _MANIFEST_MAX
        if manifest:
            with open(host_path, "rb") as fh:
                data = fh.read()
            part.bytes += len(data)
            result = scan_chunks([data], ruleset)
        else:
            result = scan_file(host_path, ruleset, opts.max_file_size)
            if result.skipped is None:
                part.bytes += os.lstat(host_path).st_size
    except OSError as exc:
        part.statuses.append(Status(PLUGIN, StatusKind.SKIPPED, f"not read: {exc.strerror or exc}", shown))
        return
    _record(result, shown, target, part)
    if manifest and result.skipped is None:
        text = data.decode("utf-8", "replace")
        if looks_like_manifest(text):
            structured = scan_manifest_text(text, shown, ruleset, target)
            # a Secret's data is base64: the decoded value's finding replaces what the text scan saw
            lines = {
                f.location.line
                for f in structured
                if f.location
                and f.metadata.get("field", "").startswith(("data.", "stringData."))
                and f.metadata.get("found_in") != "manifest value"
            }
            if lines:
                part.findings[:] = [
                    f
                    for f in part.findings
                    if not (f.location and f.location.path == shown and f.location.line in lines)
                ]
            part.findings.extend(structured)


def _record(result: ContentResult, shown: str, target: str, part: Part, **extra: Any) -> None:
    if result.skipped == "binary":
        part.binary += 1
        return
    if result.skipped is not None:
        part.statuses.append(Status(PLUGIN, StatusKind.SKIPPED, f"not scanned: {result.skipped}", shown))
        return
    if result.truncated:
        part.statuses.append(
            Status(
                PLUGIN,
                StatusKind.PARTIAL,
                f"more than {MAX_HITS} secrets: only the first are reported",
                shown,
            )
        )
    meta = {k: v for k, v in extra.items() if v is not None} or None
    for hit in result.hits:
        part.findings.append(
            hit_finding(hit, target=target, path=shown, layer=extra.get("layer"), extra=meta)
        )


_STATE: dict[str, Any] = {}


def _work(kind: str, args: tuple[Any, ...]) -> object:
    part = Part()
    for host_path, shown in args[0]:
        scan_one(host_path, shown, _STATE["ruleset"], _STATE["target"], _STATE["opts"], part)
    return part


def scan_files(files: Iterator[tuple[str, str]], ruleset: Ruleset, target: str, opts: TreeOptions) -> Part:
    """Scan ``(host path, shown path)`` pairs, in ``opts.jobs`` forked workers when there are several."""
    total = Part()
    if opts.jobs <= 1 or not hasattr(os, "fork"):
        for host_path, shown in files:
            scan_one(host_path, shown, ruleset, target, opts, total)
            if opts.progress is not None and total.files % 500 == 0:
                opts.progress(total.files)
        return total
    from stockade._internal import forkpool

    _STATE.update(ruleset=ruleset, target=target, opts=opts)

    def next_task() -> tuple[str, tuple[Any, ...]] | None:
        batch = [item for _, item in zip(range(BATCH), files, strict=False)]
        return ("batch", (batch,)) if batch else None

    def on_result(_kind: str, got: object) -> None:
        assert isinstance(got, Part)
        total.absorb(got)
        if opts.progress is not None:
            opts.progress(total.files)

    try:
        forkpool.run(opts.jobs, _work, next_task, on_result)
    finally:
        _STATE.clear()
    return total


def summary(part: Part) -> Status:
    return Status(
        PLUGIN,
        StatusKind.OK,
        f"{part.files} files scanned ({part.bytes // 1024 // 1024} MiB of text), "
        f"{part.binary} binary files skipped",
    )


def sort_findings(findings: list[Finding]) -> list[Finding]:
    return sorted(
        dedupe(findings),
        key=lambda f: (
            str(f.location.path if f.location else ""),
            f.location.line or 0 if f.location else 0,
            f.id,
        ),
    )


def file_mode_ok(path: str) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False
