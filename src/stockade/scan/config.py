"""The configuration pipeline: files → documents → objects → checks → exceptions → result.

Kubernetes manifests (YAML/JSON, multi-document, ``List`` kinds; what ``helm template`` and ``kustomize
build`` print) and Dockerfiles.  A file that cannot be parsed is a status naming file:line; the other
documents and files are still checked.  Objects of kinds no check is about are counted, not errors.
Findings an exception covers go to ``ScanResult.suppressed``, never away.
"""

from __future__ import annotations

import fnmatch
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from stockade._internal.forkpool import default_jobs
from stockade.checks.interface import Check, finding_of, to_finding
from stockade.checks.kubernetes.check import K8sCheck
from stockade.checks.kubernetes.objects import POD_SPEC_PATHS, K8sObject, objects_of
from stockade.errors import InputError, ParseError, StockadeError, TargetNotFoundError
from stockade.model.finding import Finding
from stockade.model.inventory import Location
from stockade.model.result import ScanResult
from stockade.model.status import Status, StatusKind
from stockade.model.target import Target, TargetKind
from stockade.policy import exceptions_file
from stockade.policy.facts import facts_of, mention_exceptions
from stockade.scan.ids import new_scan_id, utc_now
from stockade.target.manifests import LoadResult, load_bytes, load_file

KUBERNETES_SUFFIXES = (".yaml", ".yml", ".json")
DOCKERFILE_PATTERNS = (
    "Dockerfile",
    "Dockerfile.*",
    "*.Dockerfile",
    "*.dockerfile",
    "Containerfile",
    "Containerfile.*",
)
SKIP_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", ".venv", "__pycache__", ".terraform"})
#: kinds with checks beyond the pod template
OTHER_CHECKED_KINDS = frozenset({"Service", "Ingress", "ServiceAccount"})


@dataclass(slots=True)
class ConfigOptions:
    mode: str = "auto"  # "kubernetes" | "dockerfile" | "auto"
    pss_level: str | None = None  # None: both levels (restricted includes baseline)
    pss_version: str | None = None  # None: the latest
    exceptions_file: str | None = None  # None: .stockade/exceptions.yaml if it exists
    today: Callable[[], date] = date.today
    clock: Callable[[], Any] = utc_now
    scan_id: Callable[[], str] = new_scan_id
    stdin: Callable[[], bytes] = field(default=lambda: sys.stdin.buffer.read())
    jobs: int = field(default_factory=default_jobs)  # worker processes (files are spread over them)
    secrets: bool = True  # also look for secrets in the files (docs/secrets.md)


def is_dockerfile(name: str) -> bool:
    base = os.path.basename(name)
    return any(fnmatch.fnmatchcase(base, p) for p in DOCKERFILE_PATTERNS)


def collect(paths: Sequence[str], mode: str) -> tuple[list[tuple[str, str]], list[Status]]:
    """``(path, "kubernetes"|"dockerfile")`` for every input file, sorted within each directory."""
    out: list[tuple[str, str]] = []
    statuses: list[Status] = []
    for given in paths:
        if given == "-":
            out.append(("-", mode))
            continue
        if not os.path.exists(given):
            raise TargetNotFoundError(f"{given}: no such file or directory")
        if os.path.isfile(given):
            kind = (
                "dockerfile"
                if (mode == "dockerfile" or (mode == "auto" and is_dockerfile(given)))
                else "kubernetes"
            )
            out.append((given, kind))
            continue

        def unreadable(exc: OSError) -> None:
            statuses.append(
                Status("walk", StatusKind.SKIPPED, f"directory not read: {exc.strerror}", exc.filename)
            )

        for top, dirs, files in os.walk(given, onerror=unreadable):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
            for name in sorted(files):
                full = os.path.join(top, name)
                if mode in ("dockerfile", "auto") and is_dockerfile(name):
                    out.append((full, "dockerfile"))
                elif mode in ("kubernetes", "auto") and name.lower().endswith(KUBERNETES_SUFFIXES):
                    out.append((full, "kubernetes"))
    return out, statuses


class _Checks:
    """The checks to run, loaded once."""

    def __init__(self, opts: ConfigOptions) -> None:
        from stockade.checks.kubernetes import practice, pss

        level = opts.pss_level or "restricted"
        version = opts.pss_version or pss.LATEST
        try:
            pss_checks = pss.checks_for(level, version)
        except ValueError as exc:
            raise InputError(str(exc)) from None
        self.k8s: list[K8sCheck] = [*pss_checks, *(c() for c in practice.CHECKS)]
        self._by_kind: dict[str, list[K8sCheck]] = {}
        self.dockerfile_checks: list[Check[Any]] | None = None

    def for_kind(self, kind: str) -> list[K8sCheck]:
        """The checks that can find anything in an object of ``kind``, in their order."""
        got = self._by_kind.get(kind)
        if got is None:
            got = self._by_kind[kind] = [c for c in self.k8s if kind in c.KINDS]
        return got

    def dockerfile(self) -> list[Check[Any]]:
        if self.dockerfile_checks is None:
            from stockade.checks import dockerfile

            self.dockerfile_checks = [c() for c in dockerfile.CHECKS]
        return self.dockerfile_checks


#: path → its text (``spec.containers[0].image``): the same few dozen paths come back for every object
_FIELDS: dict[tuple[str | int, ...], str] = {}


def _field(path: Iterable[str | int]) -> str:
    key = tuple(path)  # (a tuple is returned as it is)
    text = _FIELDS.get(key)
    if text is None:
        text = ""
        for step in key:
            text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
        if len(_FIELDS) < 4096:
            _FIELDS[key] = text
    return text


def check_object(obj: K8sObject, checks: Iterable[Check[K8sObject]]) -> list[Finding]:
    """The findings of ``checks`` on ``obj``.  Their metadata is made with its keys in order where it can
    be (field, kind, name, namespace, the check's, the violation's, rendered_from): it is written sorted,
    and ``Finding.to_dict`` sorts only what is not."""
    out: list[Finding] = []
    base: dict[str, Any] = {"kind": obj.kind, "name": obj.name, "namespace": obj.namespace}
    rendered_from = obj.rendered_from
    tail = {"rendered_from": rendered_from} if rendered_from else {}
    display, path = obj.display(), obj.path
    for check in checks:
        own = check.METADATA
        for v in check.check(obj):
            where = {"field": _field(v.path)} if v.path else {}
            meta = {**where, **base, **own, **v.extra, **tail}
            out.append(finding_of(check, v, display, Location(path, obj.line_of(v.path)), meta))
    return out


@dataclass(slots=True)
class _Part:
    """What one slice of the input files gave: findings (each with the facts of its object, for
    exceptions), statuses and counts.  Built in a worker process when the scan is parallel."""

    findings: list[tuple[Finding, Any]] = field(default_factory=list)  # (finding, ObjectFacts | None)
    checked: list[Any] = field(default_factory=list)  # ObjectFacts of every checked object
    statuses: list[Status] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)
    unchecked: Counter[str] = field(default_factory=Counter)
    files: int = 0
    documents: int = 0

    def absorb(self, other: _Part) -> None:
        self.findings.extend(other.findings)
        self.checked.extend(other.checked)
        self.statuses.extend(other.statuses)
        self.kinds.update(other.kinds)
        self.unchecked.update(other.unchecked)
        self.files += other.files
        self.documents += other.documents


#: files per work item of a parallel scan
CHUNK = 24
_STATE: dict[str, Any] = {}


def _process(inputs: Sequence[tuple[str, str]], opts: ConfigOptions, checks: _Checks) -> _Part:
    part = _Part()
    for path, kind in inputs:
        part.files += 1
        if kind == "dockerfile":
            part.findings.extend((f, None) for f in _dockerfile(path, opts, checks, part.statuses))
            continue
        loaded = load_bytes(opts.stdin(), "<stdin>") if path == "-" else load_file(path)
        _report_parse_errors(loaded, part.statuses)
        for document in loaded.documents:
            part.documents += 1
            for obj in objects_of(document):
                part.kinds[obj.kind] += 1
                if obj.kind not in POD_SPEC_PATHS and obj.kind not in OTHER_CHECKED_KINDS:
                    part.unchecked[obj.kind] += 1
                    continue
                facts = facts_of(obj)
                part.checked.append(facts)
                try:
                    found = check_object(obj, checks.for_kind(obj.kind))
                except StockadeError as exc:
                    part.statuses.append(Status("checks/kubernetes", StatusKind.ERROR, exc.message, obj.path))
                    continue
                part.findings.extend((f, facts) for f in found)
    return part


def _work(kind: str, args: tuple[Any, ...]) -> object:
    return _process(args[0], _STATE["opts"], _STATE["checks"])


def _process_all(inputs: list[tuple[str, str]], opts: ConfigOptions, checks: _Checks, jobs: int) -> _Part:
    from stockade._internal import forkpool

    if jobs <= 1 or len(inputs) < 2 * CHUNK or not hasattr(os, "fork"):
        return _process(inputs, opts, checks)
    total = _Part()
    stdin_items = [item for item in inputs if item[0] == "-"]  # standard input is read here, not in a worker
    files = [item for item in inputs if item[0] != "-"]
    chunks = [files[i : i + CHUNK] for i in range(0, len(files), CHUNK)]
    _STATE.update(opts=opts, checks=checks)
    try:
        forkpool.run(
            jobs,
            _work,
            lambda: ("chunk", (chunks.pop(0),)) if chunks else None,
            lambda _kind, got: total.absorb(got),  # type: ignore[arg-type]
            parent_works=True,  # 18,000 findings cost 0.3 s to unpickle: the parent checks files too
        )
    finally:
        _STATE.clear()
    if stdin_items:
        total.absorb(_process(stdin_items, opts, checks))
    return total


def scan_config(paths: Sequence[str], options: ConfigOptions | None = None) -> ScanResult:
    opts = options or ConfigOptions()
    started = opts.clock()
    inputs, statuses = collect(paths, opts.mode)
    checks = _Checks(opts)
    if any(kind == "dockerfile" for _path, kind in inputs):
        checks.dockerfile()  # load before any worker forks
    part = _process_all(inputs, opts, checks, opts.jobs)
    statuses.extend(part.statuses)
    if part.unchecked:
        listed = ", ".join(f"{k}: {n}" for k, n in sorted(part.unchecked.items()))
        statuses.append(
            Status("checks/kubernetes", StatusKind.SKIPPED, f"no checks for these kinds ({listed})")
        )
    statuses.append(
        Status(
            "checks/kubernetes",
            StatusKind.OK,
            f"{sum(part.kinds.values()) - sum(part.unchecked.values())} objects checked in {part.documents} "
            f"documents of {part.files} files",
        )
    )
    secret_ids = _add_secrets(part, inputs, opts, statuses) if opts.secrets else frozenset()

    def known() -> frozenset[str]:  # (only an exceptions file needs them: the Dockerfile checks load then)
        return frozenset(c.ID for c in [*checks.k8s, *checks.dockerfile()]) | secret_ids

    kept, suppressed = _apply_exceptions(part, opts, statuses, known)
    target = Target(
        kind=TargetKind.MANIFESTS,
        name=" ".join(paths),
        id="manifests:" + ",".join(sorted(p if p == "-" else os.path.realpath(p) for p in paths)),
        metadata={
            "files": part.files,
            "documents": part.documents,
            "objects": dict(sorted(part.kinds.items())),
        },
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


_GIVES_WAY_TO_SECRETS = frozenset({"STK-K8S-0027", "STK-DF-0014"})


def _add_secrets(
    part: _Part, inputs: Sequence[tuple[str, str]], opts: ConfigOptions, statuses: list[Status]
) -> frozenset[str]:
    """Secrets in the input files (Kubernetes Secrets and ConfigMaps, env values, Dockerfile ARG/ENV),
    under the same exceptions; the name-based checks (STK-K8S-0027 literal secret in env, STK-DF-0014
    secret in ENV/ARG) give way where a secret rule reports the same variable (within the next lines).
    Returns the secret rule ids (exceptions may name them)."""
    from stockade.secrets.rules import all_ids
    from stockade.secrets.scan import scan_path_secrets
    from stockade.secrets.tree import TreeOptions

    files = [path for path, _ in inputs if path != "-"]
    if len(files) < len(inputs):
        statuses.append(
            Status(
                "secrets",
                StatusKind.SKIPPED,
                "standard input is not scanned for secrets (`stockade secrets -`)",
            )
        )
    if files:
        found, more = scan_path_secrets(files, TreeOptions(jobs=opts.jobs))
        statuses.extend(more)
        near = {(f.location.path, f.location.line) for f in found if f.location and f.location.line}
        part.findings[:] = [
            (f, fact)
            for f, fact in part.findings
            if not (
                f.id in _GIVES_WAY_TO_SECRETS
                and f.location is not None
                and f.location.line is not None
                and any((f.location.path, f.location.line + d) in near for d in range(4))
            )
        ]
        part.findings.extend((f, None) for f in found)
    return all_ids()


def _report_parse_errors(loaded: LoadResult, statuses: list[Status]) -> None:
    for err in loaded.errors:
        statuses.append(Status("parse", StatusKind.ERROR, err.short, err.path))


def _dockerfile(path: str, opts: ConfigOptions, checks: _Checks, statuses: list[Status]) -> list[Finding]:
    from stockade.checks.dockerfile.parser import load_dockerfile

    name = "<stdin>" if path == "-" else path
    try:
        if path == "-":
            data = opts.stdin()
        else:
            with open(path, "rb") as fh:
                data = fh.read()
        parsed = load_dockerfile(data, name)
    except ParseError as exc:
        statuses.append(Status("parse", StatusKind.ERROR, exc.short, name))
        return []
    except OSError as exc:
        statuses.append(Status("parse", StatusKind.ERROR, f"cannot read: {exc.strerror or exc}", name))
        return []
    out: list[Finding] = []
    for check in checks.dockerfile():
        for v in check.check(parsed):
            out.append(to_finding(check, v, name, Location(name, v.line), {"file_type": "dockerfile"}))
    return out


def _apply_exceptions(
    part: _Part, opts: ConfigOptions, statuses: list[Status], known_ids: Callable[[], frozenset[str]]
) -> tuple[list[Finding], list[Finding]]:
    path = exceptions_file(opts.exceptions_file)
    if path is None and not mention_exceptions(part.checked):
        return [f for f, _ in part.findings], []
    from stockade.policy.apply import annotation_statuses, any_inline_exception, expired_statuses, split

    today = opts.today()
    rules = None
    if path:
        from stockade.policy.exceptions import load_exceptions  # (PyYAML: only for a file)

        rules = load_exceptions(path, known_ids=known_ids())
    findings = [f for f, _ in part.findings]
    if (rules is None or not rules.entries) and not any_inline_exception(part.checked):
        kept: Sequence[Finding] = findings  # nothing could suppress a finding: no need to match each
        suppressed: Sequence[Finding] = ()
    else:
        facts = {id(f): fact for f, fact in part.findings}
        kept, suppressed = split(findings, lambda f: facts.get(id(f)), rules, today)
    statuses.extend(expired_statuses(rules, today))
    statuses.extend(annotation_statuses(part.checked, today))
    return list(kept), list(suppressed)
