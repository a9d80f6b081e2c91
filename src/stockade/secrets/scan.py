"""The secrets scan of files and directories, and of a target's filesystem.

:func:`scan_secret_paths` is what ``stockade secrets PATH...`` runs; :func:`scan_tree_secrets` is what
the ``rootfs``/``host`` scans call with their :class:`~stockade.target.fs.TargetFS`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from stockade.catalog.walker import ENGINE_REASON, ENGINE_STORAGE, excluded_mounts
from stockade.errors import TargetNotFoundError
from stockade.model.finding import Finding
from stockade.model.result import ScanResult
from stockade.model.status import Status
from stockade.model.target import Target, TargetKind
from stockade.scan.ids import new_scan_id, utc_now
from stockade.secrets import policy
from stockade.secrets.engine import Ruleset, default_ruleset
from stockade.secrets.rules import all_ids
from stockade.secrets.tree import (
    DEFAULT_EXCLUDES,
    Part,
    TreeOptions,
    compile_excludes,
    scan_files,
    sort_findings,
    summary,
    walk,
)
from stockade.target.fs import TargetFS


@dataclass(slots=True)
class SecretsOptions:
    tree: TreeOptions = field(default_factory=TreeOptions)
    ruleset: Ruleset | None = None  # None: the built-in rules
    exceptions_file: str | None = None  # None: .stockade/exceptions.yaml if it exists
    today: Callable[[], date] = date.today
    clock: Callable[[], Any] = utc_now
    scan_id: Callable[[], str] = new_scan_id


def _inputs(paths: Sequence[str], opts: TreeOptions, statuses: list[Status]) -> Iterator[tuple[str, str]]:
    excludes = compile_excludes(opts.excludes)
    for given in paths:
        if os.path.isfile(given):
            yield given, given
            continue
        root = given.rstrip("/") or "/"
        skip = dict(excluded_mounts(os.path.abspath(root)))
        prefix = "" if os.path.abspath(root) == "/" else os.path.abspath(root)
        for path in ENGINE_STORAGE:
            if os.path.abspath(root) == "/":
                skip.setdefault(prefix + path, ENGINE_REASON)
        # excluded_mounts gives absolute paths; the walk sees paths as given
        skip = {os.path.join(root, os.path.relpath(k, os.path.abspath(root))): v for k, v in skip.items()}
        for host in walk(root, excludes, skip, statuses, os.path.normpath):
            yield host, os.path.normpath(host)


def scan_secret_paths(paths: Sequence[str], options: SecretsOptions | None = None) -> ScanResult:
    """Scan files and directories; the result's findings are the secrets found (masked)."""
    opts = options or SecretsOptions()
    started = opts.clock()
    for given in paths:
        if not os.path.exists(given):
            raise TargetNotFoundError(f"{given}: no such file or directory")
    ruleset = opts.ruleset or default_ruleset()
    rules, statuses = policy.load(opts.exceptions_file, all_ids() | {s.id for s in ruleset.specs})
    name = " ".join(paths)
    part = scan_files(_inputs(paths, opts.tree, statuses), ruleset, name, opts.tree)
    statuses.extend(part.statuses)
    statuses.append(summary(part))
    kept, suppressed, more = policy.split(sort_findings(part.findings), rules, opts.today())
    statuses.extend(more)
    target = Target(
        kind=TargetKind.DIRECTORY,
        name=name,
        id="secrets:" + ",".join(sorted(os.path.realpath(p) for p in paths)),
        metadata={"files": part.files, "binary_files_skipped": part.binary, "rules": len(ruleset.rules)},
    )
    return ScanResult.without_packages(
        scan_id=opts.scan_id(),
        target=target,
        findings=kept,
        suppressed=suppressed,
        statuses=statuses,
        started=started,
        finished=opts.clock(),
    )


def scan_path_secrets(
    paths: Sequence[str], options: TreeOptions | None = None, ruleset: Ruleset | None = None
) -> tuple[list[Finding], list[Status]]:
    """Secrets in files and directories as the user named them (for ``stockade k8s``/``config``, which
    apply their own exceptions): findings sorted by path and line, and the coverage statuses."""
    opts = options or TreeOptions()
    statuses: list[Status] = []
    part = scan_files(_inputs(paths, opts, statuses), ruleset or default_ruleset(), " ".join(paths), opts)
    statuses.extend(part.statuses)
    statuses.append(summary(part))
    return sort_findings(part.findings), statuses


def scan_tree_secrets(
    fs: TargetFS, target: str, options: TreeOptions | None = None, ruleset: Ruleset | None = None
) -> tuple[list[Finding], list[Status]]:
    """Secrets in every regular file of a target's filesystem (rootfs, host).  Findings name target
    paths (``/etc/app/.env``); pseudo filesystems and container-engine storage are skipped with a
    status.  Exceptions are the caller's to apply (:func:`stockade.secrets.policy.split`)."""
    opts = options or TreeOptions()
    rules = ruleset or default_ruleset()
    statuses: list[Status] = []
    root = fs.root
    skip = dict(excluded_mounts(root))
    prefix = "" if fs.is_host_root else root
    for path in ENGINE_STORAGE:
        skip.setdefault(prefix + path, ENGINE_REASON)
    if fs.is_host_root:
        for pseudo in ("/proc", "/sys", "/dev", "/run"):
            skip.setdefault(pseudo, "pseudo or runtime filesystem: holds no files of the installed system")
    shown = fs.target_path
    excludes = compile_excludes([p for p in opts.excludes if p not in DEFAULT_EXCLUDES])
    files = ((host, shown(host)) for host in walk(root, excludes, skip, statuses, shown))
    part: Part = scan_files(files, rules, target, opts)
    statuses.extend(part.statuses)
    statuses.append(summary(part))
    return sort_findings(part.findings), statuses
