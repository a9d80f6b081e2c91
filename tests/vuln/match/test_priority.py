"""CVSS scores from vectors, severities, and the priority formula of docs/vulnerabilities.md."""

from __future__ import annotations

import pytest

from stockade.model.advisory import EpssScore, KevEntry
from stockade.model.severity import Severity
from stockade.vuln.priority import (
    RuntimeSignals,
    choose_cvss,
    parse_cvss,
    priority,
    severity_of_label,
    severity_of_score,
)

V31_CRIT = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
V4_CRIT = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"


@pytest.mark.parametrize(
    ("vector", "version", "score", "severity"),
    [
        # scores as the FIRST calculators give them (first.org/cvss/calculator/3.1, /4.0, /v2)
        (V31_CRIT, "3.1", 9.8, Severity.CRITICAL),
        ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:L", "3.1", 3.7, Severity.LOW),
        ("CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", "3.0", 6.1, Severity.MEDIUM),
        (V4_CRIT, "4.0", 9.3, Severity.CRITICAL),
        ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N", "4.0", 8.7, Severity.HIGH),
        ("AV:N/AC:L/Au:N/C:P/I:P/A:P", "2.0", 7.5, Severity.HIGH),
    ],
)
def test_cvss_from_vectors(vector: str, version: str, score: float, severity: Severity) -> None:
    cvss = parse_cvss(vector, "GHSA-x")
    assert cvss is not None
    assert (cvss.version, cvss.score, cvss.severity, cvss.source) == (version, score, severity, "GHSA-x")


@pytest.mark.parametrize("vector", ["CVSS:3.1/AV:X/AC:L", "CVSS:4.0/AV:N", "medium", "", "CVSS:9.9/AV:N"])
def test_invalid_vectors_give_none(vector: str) -> None:
    assert parse_cvss(vector) is None


@pytest.mark.parametrize(
    ("score", "expected"),
    [(0.0, Severity.INFO), (0.1, Severity.LOW), (3.9, Severity.LOW), (4.0, Severity.MEDIUM),
     (6.9, Severity.MEDIUM), (7.0, Severity.HIGH), (8.9, Severity.HIGH), (9.0, Severity.CRITICAL)],
)  # fmt: skip
def test_qualitative_bands(score: float, expected: Severity) -> None:
    assert severity_of_score(score, "3.1") == expected == severity_of_score(score, "4.0")


def test_feed_words() -> None:
    words = ("MODERATE", "important", "negligible", "unimportant", "whatever")
    expected = [Severity.MEDIUM, Severity.HIGH, Severity.INFO, Severity.INFO, None]
    assert [severity_of_label(w) for w in words] == expected


def test_the_newest_cvss_version_rates_then_matched_records_then_the_score() -> None:
    v3, v4 = (
        parse_cvss(V31_CRIT, "a"),
        parse_cvss("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N", "b"),
    )
    assert v3 is not None and v4 is not None
    assert choose_cvss([v3, v4]) == v4  # 8.7 under v4.0 beats 9.8 under v3.1
    related = parse_cvss(V31_CRIT, "related")
    low = parse_cvss("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:L", "mine")
    assert related is not None and low is not None
    assert choose_cvss([low], [related]) == low
    assert choose_cvss([], [related]) == related and choose_cvss([]) is None


def rate(**kw: object) -> tuple[int, tuple[str, ...]]:
    args: dict[str, object] = {"cvss": None, "severity": Severity.UNKNOWN, "epss": None, "kev": None,
                               "kev_known": True, "fix_state": "unfixed"}  # fmt: skip
    args.update(kw)
    p = priority(**args)  # type: ignore[arg-type]
    return p.score, p.why


KEV = KevEntry("CVE-2021-44228", due_date="2021-12-24")
RANSOM = KevEntry("CVE-2021-44228", ransomware=True)


def test_formula_cases() -> None:
    crit = parse_cvss(V31_CRIT)
    # 5 x 9.8 = 49, +30 KEV, +5 ransomware, +25 EPSS >= 0.5, +5 fix: 114, clamped
    assert rate(cvss=crit, kev=RANSOM, epss=EpssScore("c", 0.97), fix_state="fixed") == (
        100, ("kev", "kev-ransomware", "epss>=0.5", "cvss:9.8", "fix-available"))  # fmt: skip
    assert rate(cvss=crit, fix_state="fixed", epss=EpssScore("c", 0.0004)) == (
        54,
        ("epss<0.01", "cvss:9.8", "fix-available"),
    )
    # no vector: the severity's band value (medium 5.5 -> 27.5, rounded half up); unknown counts as medium
    assert rate(severity=Severity.MEDIUM) == (28, ("epss:unknown", "severity:medium", "no-fix"))
    assert rate(severity=Severity.UNKNOWN, kev_known=False) == (
        28,
        ("kev:unknown", "epss:unknown", "severity:unknown", "no-fix"),
    )
    assert rate(severity=Severity.LOW, fix_state="wont-fix")[0] == 5  # 15 - 10
    assert rate(severity=Severity.INFO, fix_state="wont-fix")[0] == 0  # clamped at 0


def test_kev_and_epss_raise_priority() -> None:
    base = rate(severity=Severity.HIGH)[0]
    assert rate(severity=Severity.HIGH, kev=KEV)[0] == base + 30
    assert rate(severity=Severity.HIGH, kev=RANSOM)[0] == base + 35
    tiers = [rate(severity=Severity.HIGH, epss=EpssScore("c", s))[0] - base for s in (0.001, 0.01, 0.1, 0.5)]
    assert tiers == [0, 5, 15, 25]


def test_runtime_signals_unknown_is_not_no() -> None:
    high = parse_cvss("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N")  # 7.5 -> 37.5
    unknown = rate(cvss=high)
    assert (
        unknown
        == rate(cvss=high, signals=RuntimeSignals(None, None))
        == (38, ("epss:unknown", "cvss:7.5", "no-fix"))
    )
    assert rate(cvss=high, signals=RuntimeSignals(in_use=True, exposed=True)) == (
        58, ("epss:unknown", "cvss:7.5", "no-fix", "in-use", "exposed"))  # fmt: skip
    assert rate(cvss=high, signals=RuntimeSignals(in_use=False, exposed=False))[0] == 8  # 37.5 - 20 - 10
