"""Inline exceptions: ``stockade.io/ignore`` with a required reason and an optional expiry date."""

from __future__ import annotations

from datetime import date

import pytest

from stockade.policy.annotations import annotation_suppression, invalid_annotations

TODAY = date(2026, 6, 1)
IGNORE = "stockade.io/ignore"
REASON = "stockade.io/ignore-reason"
EXPIRES = "stockade.io/ignore-expires"

# (case, annotations, finding id, applies?, fragments of the reported problems, in order)
FORMS: list[tuple[str, dict[str, str], str, bool, list[str]]] = [
    ("one id with reason", {IGNORE: "STK-K8S-0007", REASON: "vendor image"}, "STK-K8S-0007", True, []),
    ("other id", {IGNORE: "STK-K8S-0007", REASON: "vendor image"}, "STK-K8S-0008", False, []),
    ("several ids, first", {IGNORE: "STK-K8S-0007,STK-PSS-0003", REASON: "r"}, "STK-K8S-0007", True, []),
    ("several ids, second", {IGNORE: "STK-K8S-0007,STK-PSS-0003", REASON: "r"}, "STK-PSS-0003", True, []),
    (
        "several ids, spaces",
        {IGNORE: " STK-K8S-0007 , STK-PSS-0003 ,", REASON: "r"},
        "STK-PSS-0003",
        True,
        [],
    ),
    ("several ids, none", {IGNORE: "STK-K8S-0007,STK-PSS-0003", REASON: "r"}, "STK-PSS-0004", False, []),
    (
        "missing reason",
        {IGNORE: "STK-K8S-0007"},
        "STK-K8S-0007",
        False,
        ["stockade.io/ignore STK-K8S-0007 not applied: stockade.io/ignore-reason is missing"],
    ),
    (
        "empty reason",
        {IGNORE: "STK-K8S-0007", REASON: "  "},
        "STK-K8S-0007",
        False,
        ["stockade.io/ignore-reason is empty"],
    ),
    ("expires later", {IGNORE: "STK-K8S-0007", REASON: "r", EXPIRES: "2027-01-01"}, "STK-K8S-0007", True, []),
    ("expires today", {IGNORE: "STK-K8S-0007", REASON: "r", EXPIRES: "2026-06-01"}, "STK-K8S-0007", True, []),
    (
        "expired yesterday",
        {IGNORE: "STK-K8S-0007", REASON: "r", EXPIRES: "2026-05-31"},
        "STK-K8S-0007",
        False,
        ["stockade.io/ignore STK-K8S-0007 expired on 2026-05-31; it no longer applies"],
    ),
    (
        "bad expiry date",
        {IGNORE: "STK-K8S-0007", REASON: "r", EXPIRES: "next year"},
        "STK-K8S-0007",
        False,
        ["stockade.io/ignore-expires: expected a date (YYYY-MM-DD), got 'next year'"],
    ),
    (
        "impossible expiry date",
        {IGNORE: "STK-K8S-0007", REASON: "r", EXPIRES: "2027-02-30"},
        "STK-K8S-0007",
        False,
        ["invalid date '2027-02-30'"],
    ),
    (
        "wildcard id skipped, others apply",
        {IGNORE: "STK-K8S-*,STK-PSS-0003", REASON: "r"},
        "STK-PSS-0003",
        True,
        ["'STK-K8S-*' is not a check id"],
    ),
    (
        "wildcard id does not match",
        {IGNORE: "STK-K8S-*", REASON: "r"},
        "STK-K8S-0007",
        False,
        ["not a check id", "names no check id"],
    ),
    (
        "all is not an id",
        {IGNORE: "all", REASON: "r"},
        "STK-K8S-0007",
        False,
        ["'all' is not a check id", "names no check id"],
    ),
    ("empty ignore", {IGNORE: "", REASON: "r"}, "STK-K8S-0007", False, ["names no check id"]),
    (
        "reason alone",
        {REASON: "r"},
        "STK-K8S-0007",
        False,
        ["stockade.io/ignore-reason without stockade.io/ignore: it has no effect"],
    ),
    (
        "misspelt reason key",
        {IGNORE: "STK-K8S-0007", "stockade.io/ignore-reasons": "r"},
        "STK-K8S-0007",
        False,
        ["unknown annotation stockade.io/ignore-reasons", "stockade.io/ignore-reason is missing"],
    ),
    ("other annotations", {"team": "payments", "stockade.io/other": "x"}, "STK-K8S-0007", False, []),
]


@pytest.mark.parametrize(
    ("annotations", "check_id", "applies", "problems"), [c[1:] for c in FORMS], ids=[c[0] for c in FORMS]
)
def test_annotation_forms(
    annotations: dict[str, str], check_id: str, applies: bool, problems: list[str]
) -> None:
    got = annotation_suppression(annotations, {}, check_id, TODAY, obj_where="pod.yaml:5")
    assert (got is not None) is applies
    if got is not None:
        assert got.source == "annotation"
        assert got.reason == annotations[REASON].strip()
        assert got.owner is None
        assert got.where == "pod.yaml:5"
        assert got.expires == (date.fromisoformat(annotations[EXPIRES]) if EXPIRES in annotations else None)
    reported = invalid_annotations(annotations, {}, TODAY, obj_where="pod.yaml:5")
    assert len(reported) == len(problems), reported
    for problem, fragment in zip(reported, problems, strict=True):
        assert fragment in problem.message
        assert problem.where == "pod.yaml:5"


def test_pod_template_annotations_apply_to_the_workload() -> None:
    template = {IGNORE: "STK-PSS-0003", REASON: "needs host network"}
    got = annotation_suppression({}, template, "STK-PSS-0003", TODAY, template_where="d.yaml:14")
    assert got is not None and (got.reason, got.where) == ("needs host network", "d.yaml:14")


def test_object_annotations_come_first() -> None:
    own = {IGNORE: "STK-PSS-0003", REASON: "own"}
    template = {IGNORE: "STK-PSS-0003", REASON: "template"}
    got = annotation_suppression(own, template, "STK-PSS-0003", TODAY, obj_where="a:1", template_where="a:9")
    assert got is not None and (got.reason, got.where) == ("own", "a:1")


def test_a_reason_covers_the_ignore_of_its_own_block_only() -> None:
    own = {REASON: "reason on the object"}
    template = {IGNORE: "STK-PSS-0003"}
    assert annotation_suppression(own, template, "STK-PSS-0003", TODAY) is None
    reported = invalid_annotations(own, template, TODAY, obj_where="a:3", template_where="a:12")
    assert [(p.where, p.message.split(":")[0]) for p in reported] == [
        ("a:3", "stockade.io/ignore-reason without stockade.io/ignore"),
        ("a:12", "pod template"),
    ]
    assert "stockade.io/ignore-reason is missing" in reported[1].message
    assert str(reported[0]).startswith("a:3: stockade.io/ignore-reason without")


def test_valid_annotations_report_nothing() -> None:
    ok = {IGNORE: "STK-K8S-0007", REASON: "r", EXPIRES: "2030-01-01"}
    assert invalid_annotations(ok, ok, TODAY) == []
    assert invalid_annotations({}, {}, TODAY) == []
