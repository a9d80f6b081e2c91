"""Sorting findings into kept and suppressed, and reporting exceptions that no longer apply.

For each finding, in order: the inline annotations of the object it is about (its own, then its pod
template's), then the exceptions file (first matching exception in file order).  The first that covers
the finding is recorded in ``metadata["suppression"]`` (:meth:`Suppression.to_dict`) on a copy of the
finding, which goes to ``suppressed``; the scan lists those apart, never drops them.

Findings that are not about a Kubernetes object (``lookup`` returns None: Dockerfile findings) have no
annotations and are matched by id and ``path`` scope only, ``path`` being the finding's location.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date

from stockade.checks.kubernetes.objects import K8sObject
from stockade.model.fastinit import faster_init
from stockade.model.finding import Finding
from stockade.model.status import Status, StatusKind
from stockade.policy.annotations import IGNORE, annotation_suppression, invalid_annotations
from stockade.policy.exception_set import ExceptionSet
from stockade.policy.suppression import Suppression

EXCEPTIONS_PLUGIN = "policy/exceptions"
ANNOTATIONS_PLUGIN = "policy/annotations"


@faster_init
@dataclass(frozen=True, slots=True)
class ObjectFacts:
    """What exceptions match on: the Kubernetes object a finding is about."""

    kind: str
    name: str
    namespace: str | None
    path: str
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    #: the pod template's annotations, for kinds that have one (empty for a Pod)
    template_annotations: Mapping[str, str] = field(default_factory=dict)
    annotations_line: int | None = None  # line of ``stockade.io/ignore`` (or of the annotations)
    template_annotations_line: int | None = None

    def where(self, line: int | None) -> str:
        return f"{self.path}:{line}" if line is not None else self.path

    def display(self) -> str:
        ns = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {ns}{self.name}"


Lookup = Callable[[Finding], ObjectFacts | None]


def facts_of(obj: K8sObject) -> ObjectFacts:
    """The facts of a parsed object: its own metadata and, for controllers, its pod template's."""
    template: Mapping[str, str] = {}
    template_line: int | None = None
    spec_path = obj.pod_spec_path
    if spec_path is not None and len(spec_path) > 1:  # a Pod's "template" is its own metadata
        raw = obj.pod_metadata().get("annotations")
        if isinstance(raw, dict) and raw:
            template = {str(k): str(v) for k, v in raw.items()}
            template_line = obj.line_of((*spec_path[:-1], "metadata", "annotations", IGNORE))
    own_line = obj.line_of(("metadata", "annotations", IGNORE)) if obj.annotations else None
    return ObjectFacts(
        kind=obj.kind,
        name=obj.name,
        namespace=obj.namespace,
        path=obj.path,
        labels=obj.labels,
        annotations=obj.annotations,
        template_annotations=template,
        annotations_line=own_line,
        template_annotations_line=template_line,
    )


def suppression_for(
    finding: Finding, facts: ObjectFacts | None, exceptions: ExceptionSet | None, today: date
) -> Suppression | None:
    """The suppression covering ``finding``, or None."""
    if facts is not None and (IGNORE in facts.annotations or IGNORE in facts.template_annotations):
        found = annotation_suppression(
            facts.annotations,
            facts.template_annotations,
            finding.id,
            today,
            obj_where=facts.where(facts.annotations_line),
            template_where=facts.where(facts.template_annotations_line),
        )
        if found is not None:
            return found
    if exceptions is None or not exceptions.entries:
        return None
    if facts is None:
        return exceptions.match(finding, today=today)
    return exceptions.match(
        finding,
        today=today,
        kind=facts.kind,
        namespace=facts.namespace,
        name=facts.name,
        labels=facts.labels,
        path=facts.path,
    )


def suppress(finding: Finding, suppression: Suppression) -> Finding:
    """A copy of ``finding`` carrying ``metadata["suppression"]``; the original is left as it was."""
    return replace(finding, metadata={**finding.metadata, "suppression": suppression.to_dict()})


def any_inline_exception(objects: Iterable[ObjectFacts]) -> bool:
    """Whether any of ``objects`` carries an inline exception (``stockade.io/ignore`` on the object or on
    its pod template): without one, and without an exceptions file, :func:`split` keeps every finding."""
    return any(IGNORE in o.annotations or IGNORE in o.template_annotations for o in objects)


def split(
    findings: Iterable[Finding], lookup: Lookup, exceptions: ExceptionSet | None, today: date
) -> tuple[tuple[Finding, ...], tuple[Finding, ...]]:
    """``(kept, suppressed)``, each in the order of ``findings``."""
    kept: list[Finding] = []
    suppressed: list[Finding] = []
    for finding in findings:
        found = suppression_for(finding, lookup(finding), exceptions, today)
        if found is None:
            kept.append(finding)
        else:
            suppressed.append(suppress(finding, found))
    return tuple(kept), tuple(suppressed)


def expired_statuses(exceptions: ExceptionSet | None, today: date) -> list[Status]:
    """One status per expired exception of the file (``line N: exception for … expired on …``)."""
    if exceptions is None:
        return []
    return [
        Status(EXCEPTIONS_PLUGIN, StatusKind.PARTIAL, f"line {e.line}: {e.expired_message()}", e.file)
        for e in exceptions.expired(today)
    ]


def annotation_statuses(objects: Iterable[ObjectFacts], today: date) -> list[Status]:
    """One status per inline exception that does not apply in full (missing reason, expired, bad id …)."""
    out: list[Status] = []
    for facts in objects:
        problems = invalid_annotations(
            facts.annotations,
            facts.template_annotations,
            today,
            obj_where=str(facts.annotations_line or ""),
            template_where=str(facts.template_annotations_line or ""),
        )
        for problem in problems:
            at = f"line {problem.where}: " if problem.where else ""
            out.append(
                Status(
                    ANNOTATIONS_PLUGIN,
                    StatusKind.PARTIAL,
                    f"{at}{facts.display()}: {problem.message}",
                    facts.path,
                )
            )
    return out
