"""Sorting findings into kept and suppressed, and reporting exceptions that no longer apply.

For each finding, in order: the inline annotations of the object it is about (its own, then its pod
template's), then the exceptions file (first matching exception in file order).  The first that covers
the finding is recorded in ``metadata["suppression"]`` (:meth:`Suppression.to_dict`) on a copy of the
finding, which goes to ``suppressed``; the scan lists those apart, never drops them.

Findings that are not about a Kubernetes object (``lookup`` returns None: Dockerfile findings) have no
annotations and are matched by id and ``path`` scope only, ``path`` being the finding's location.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import date

from stockade.model.finding import Finding
from stockade.model.status import Status, StatusKind
from stockade.policy.annotations import annotation_suppression, invalid_annotations
from stockade.policy.exception_set import ExceptionSet
from stockade.policy.facts import IGNORE, ObjectFacts, facts_of
from stockade.policy.suppression import Suppression

__all__ = ["ObjectFacts", "facts_of"]  # (their home is policy/facts.py; imported from here too)

EXCEPTIONS_PLUGIN = "policy/exceptions"
ANNOTATIONS_PLUGIN = "policy/annotations"


Lookup = Callable[[Finding], ObjectFacts | None]


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
