"""Inline exceptions: annotations on the Kubernetes object a finding is about.

.. code-block:: yaml

    metadata:
      annotations:
        stockade.io/ignore: "STK-K8S-0007,STK-PSS-0003"      # exact check ids, comma-separated
        stockade.io/ignore-reason: "vendor image needs root"  # required
        stockade.io/ignore-expires: "2027-01-01"              # optional: the last day it applies

Two metadata blocks are read, each on its own (a reason covers the ignore of its own block only):

- the object's own ``metadata.annotations``;
- for kinds with a pod template (Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController,
  Job: ``spec.template.metadata.annotations``; CronJob: ``spec.jobTemplate.spec.template.metadata
  .annotations``), the pod template's, which covers the findings on that workload too.  A CronJob's
  ``spec.jobTemplate.metadata`` is not read.

An ignore applies only to findings on that object.  It does not apply, and is reported by
:func:`invalid_annotations`, when the reason is missing or empty, the expiry date is not a date, or the
date is past; an id that is not an exact check id (``STK-K8S-0007``; no wildcards) is reported and
skipped while the other ids apply.  ``stockade.io/ignore-*`` keys that mean nothing (a typo such as
``stockade.io/ignore-reasons``) and a reason or expiry without an ignore are reported too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from stockade.policy.facts import IGNORE
from stockade.policy.suppression import CHECK_ID_PATTERN, Suppression, is_check_id, is_expired, parse_date

IGNORE_REASON = "stockade.io/ignore-reason"
IGNORE_EXPIRES = "stockade.io/ignore-expires"
KNOWN_KEYS = (IGNORE, IGNORE_REASON, IGNORE_EXPIRES)


@dataclass(frozen=True, slots=True)
class AnnotationProblem:
    """An inline exception that does not apply (or not in full), and why."""

    where: str  # file:line of the annotations, "" when unknown
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


@dataclass(frozen=True, slots=True)
class _Ignore:
    ids: frozenset[str]
    reason: str
    expires: date | None


def _evaluate(block: Mapping[str, str], today: date) -> tuple[_Ignore | None, list[str]]:
    """The ignore a metadata block makes (None when it makes none that applies) and its problems."""
    problems: list[str] = []
    for key in block:
        if key.startswith(IGNORE) and key not in KNOWN_KEYS:
            expected = ", ".join(KNOWN_KEYS)
            problems.append(f"unknown annotation {key} (expected one of {expected}): it has no effect")
    if IGNORE not in block:
        for key in (IGNORE_REASON, IGNORE_EXPIRES):
            if key in block:
                problems.append(f"{key} without {IGNORE}: it has no effect")
        return None, problems

    ids: list[str] = []
    for token in block[IGNORE].split(","):
        token = token.strip()
        if not token:
            continue
        if is_check_id(token):
            ids.append(token)
        else:
            problems.append(
                f"{IGNORE}: {token!r} is not a check id (expected {CHECK_ID_PATTERN}; exact ids only,"
                " no wildcards): skipped"
            )
    label = f"{IGNORE} {','.join(ids)}" if ids else IGNORE
    applies = True
    if not ids:
        problems.append(f"{IGNORE} names no check id: not applied")
        applies = False
    reason = block.get(IGNORE_REASON, "").strip()
    if not reason:
        state = "is empty" if IGNORE_REASON in block else "is missing"
        problems.append(f"{label} not applied: {IGNORE_REASON} {state} (a reason is required)")
        applies = False
    expires: date | None = None
    if IGNORE_EXPIRES in block:
        parsed = parse_date(block[IGNORE_EXPIRES])
        if isinstance(parsed, str):
            problems.append(f"{IGNORE_EXPIRES}: {parsed}: {label} not applied")
            applies = False
        elif is_expired(parsed, today):
            problems.append(f"{label} expired on {parsed.isoformat()}; it no longer applies")
            applies = False
        else:
            expires = parsed
    if not applies:
        return None, problems
    return _Ignore(frozenset(ids), reason, expires), problems


def annotation_suppression(
    obj_annotations: Mapping[str, str],
    template_annotations: Mapping[str, str],
    finding_id: str,
    today: date,
    *,
    obj_where: str = "",
    template_where: str = "",
) -> Suppression | None:
    """The suppression the object's own annotations, then its pod template's, make for ``finding_id``.
    ``obj_where``/``template_where``: ``file:line`` of each block's ``stockade.io/ignore``."""
    for block, where in ((obj_annotations, obj_where), (template_annotations, template_where)):
        if IGNORE not in block:
            continue
        ignore, _ = _evaluate(block, today)
        if ignore is not None and finding_id in ignore.ids:
            return Suppression("annotation", ignore.reason, None, ignore.expires, where)
    return None


def invalid_annotations(
    obj_annotations: Mapping[str, str],
    template_annotations: Mapping[str, str],
    today: date,
    *,
    obj_where: str = "",
    template_where: str = "",
) -> list[AnnotationProblem]:
    """Every inline exception of an object that does not apply in full, and why."""
    out: list[AnnotationProblem] = []
    blocks = ((obj_annotations, obj_where, ""), (template_annotations, template_where, "pod template: "))
    for block, where, prefix in blocks:
        if not any(key.startswith(IGNORE) for key in block):
            continue
        _, problems = _evaluate(block, today)
        out.extend(AnnotationProblem(where, prefix + message) for message in problems)
    return out
