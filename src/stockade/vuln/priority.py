"""Severity and priority of a vulnerability finding (the formula is documented in
docs/vulnerabilities.md; change both together).

**CVSS.**  Base scores are computed from the vectors with the ``cvss`` library (RedHatProductSecurity/
cvss, which implements the FIRST specifications: v2.0, v3.0/v3.1, v4.0), never taken from a feed's
number.  A vulnerability's vector is chosen among its records' ``severity`` entries (OSV
``severity[]`` and ``affected[].severity``; the NVD vectors of the Ubuntu tracker; GHSA's): the newest
CVSS version first (v4.0, then v3.1, v3.0, v2.0), then a vector of a record that matched the package
before one of another record of the same vulnerability, then the higher score.

**Severity** is the qualitative rating of that score (CVSS v3.1 §5 and v4.0 §2: 0.1-3.9 low, 4.0-6.9
medium, 7.0-8.9 high, 9.0-10.0 critical; 0.0 is "none" → info; v2.0: 0-3.9 low, 4.0-6.9 medium,
7.0-10.0 high).  Without any vector, the feeds' own words (GHSA ``database_specific.severity``, the
Ubuntu priority, the Debian urgency) give it, the highest of the matched records' words; otherwise it is
``unknown``.

**Priority** (0-100, an integer) adds up what makes a vulnerability urgent to fix, each part with a
short machine-readable reason in ``why``:

====================  =================================================  ==========================
part                  points                                             ``why``
====================  =================================================  ==========================
base                  5 × CVSS base score (0-50); without a vector, 5 ×  ``cvss:9.8`` /
                      the SARIF band value of the severity: critical     ``severity:high``
                      9.5, high 8.0, medium 5.5, low 3.0, info 0;
                      **unknown counts as medium** (5.5)
KEV                   +30 when CISA lists it as exploited; +5 more when  ``kev``, ``kev-ransomware``
                      used in ransomware campaigns                       (``kev:unknown``: no catalog)
EPSS                  +25 at ≥ 0.5, +15 at ≥ 0.1, +5 at ≥ 0.01, else 0   ``epss>=0.5`` … ``epss<0.01``
                      (no score: 0, and said)                            (``epss:unknown``)
fix                   +5 when a fixed version exists; −10 when the       ``fix-available`` /
                      distribution will not fix it; 0 when none yet      ``wont-fix`` / ``no-fix``
in use (runtime)      +10 when the package is loaded at run time, −20    ``in-use`` / ``not-in-use``
                      when observed not to be; unknown: 0
exposed (runtime)     +10 when the workload is reachable from outside,   ``exposed`` /
                      −10 when it is not; unknown: 0                     ``not-exposed``
====================  =================================================  ==========================

The sum is clamped to 0-100 and rounded half up.  Runtime signals (:class:`RuntimeSignals`) are not
collected yet: later components fill them; until then they are ``None``, which means *unknown*, never
"no", and changes nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cvss import CVSS2, CVSS3, CVSS4  # type: ignore[import-untyped]
from cvss.exceptions import CVSSError  # type: ignore[import-untyped]

from stockade.model.advisory import EpssScore, KevEntry
from stockade.model.severity import Severity

#: the ``cvss`` library (PyPI ``cvss``) computes the base scores
CVSS_LIBRARY = "cvss"

#: feed words → severity (GHSA: low/moderate/high/critical; Ubuntu: negligible/low/medium/high/critical;
#: Debian urgency: unimportant/low/medium/high; Red Hat: low/moderate/important/critical)
LABELS: dict[str, Severity] = {
    "critical": Severity.CRITICAL,
    "high": Severity.HIGH,
    "important": Severity.HIGH,
    "medium": Severity.MEDIUM,
    "moderate": Severity.MEDIUM,
    "low": Severity.LOW,
    "negligible": Severity.INFO,
    "unimportant": Severity.INFO,
}
#: the value a severity word stands for when there is no vector (the SARIF security-severity bands)
BAND_SCORE: dict[Severity, float] = {
    Severity.CRITICAL: 9.5,
    Severity.HIGH: 8.0,
    Severity.MEDIUM: 5.5,
    Severity.LOW: 3.0,
    Severity.INFO: 0.0,
    Severity.UNKNOWN: 5.5,
}
BASE_WEIGHT = 5.0
KEV_POINTS, RANSOMWARE_POINTS = 30.0, 5.0
EPSS_TIERS: tuple[tuple[float, float, str], ...] = (
    (0.5, 25.0, "epss>=0.5"),
    (0.1, 15.0, "epss>=0.1"),
    (0.01, 5.0, "epss>=0.01"),
)
FIX_POINTS = {"fixed": 5.0, "wont-fix": -10.0, "unfixed": 0.0}
FIX_WHY = {"fixed": "fix-available", "wont-fix": "wont-fix", "unfixed": "no-fix"}
IN_USE_POINTS, NOT_IN_USE_POINTS = 10.0, -20.0
EXPOSED_POINTS, NOT_EXPOSED_POINTS = 10.0, -10.0
_VERSION_RANK = {"4.0": 4, "3.1": 3, "3.0": 2, "2.0": 1}


@dataclass(frozen=True, slots=True)
class Cvss:
    """One CVSS base score, computed from its vector."""

    version: str  # "2.0", "3.0", "3.1", "4.0"
    vector: str
    score: float
    severity: Severity
    source: str = ""  # the advisory the vector came from

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "vector": self.vector,
            "score": self.score,
            "severity": self.severity.value,
            "source": self.source,
        }


@dataclass(frozen=True, slots=True)
class RuntimeSignals:
    """What the runtime knows of a vulnerable package.  ``None`` is *unknown*: the default until the
    runtime components report, and never treated as "no"."""

    in_use: bool | None = None  # the package's code is loaded or executed in the running workload
    exposed: bool | None = None  # the workload is reachable from outside (a listening, exposed port)

    def to_dict(self) -> dict[str, Any]:
        return {"in_use": self.in_use, "exposed": self.exposed}


UNKNOWN_SIGNALS = RuntimeSignals()


@dataclass(frozen=True, slots=True)
class Priority:
    score: int
    why: tuple[str, ...]


def severity_of_score(score: float, version: str) -> Severity:
    """The qualitative rating of a CVSS base score (module docstring)."""
    if version == "2.0":
        return Severity.HIGH if score >= 7.0 else Severity.MEDIUM if score >= 4.0 else Severity.LOW
    if score >= 9.0:
        return Severity.CRITICAL
    if score >= 7.0:
        return Severity.HIGH
    if score >= 4.0:
        return Severity.MEDIUM
    if score > 0.0:
        return Severity.LOW
    return Severity.INFO


def severity_of_label(label: str | None) -> Severity | None:
    return LABELS.get(label.strip().lower()) if label else None


def is_vector(text: str) -> bool:
    return text.startswith("CVSS:") or ("AV:" in text and "/" in text)


@functools.lru_cache(maxsize=16384)
def _parse(vector: str) -> tuple[str, float] | None:
    text = vector.strip()
    try:
        if text.startswith("CVSS:4."):
            v4 = CVSS4(text)
            return "4.0", float(v4.base_score)
        if text.startswith("CVSS:3."):
            v3 = CVSS3(text)
            return text[5:8], float(v3.base_score)
        if text.startswith("AV:") or text.startswith("(AV:"):
            v2 = CVSS2(text.strip("()"))
            return "2.0", float(v2.base_score)
    except (CVSSError, ValueError, KeyError, IndexError, TypeError, ArithmeticError):
        return None
    return None


def parse_cvss(vector: str, source: str = "") -> Cvss | None:
    """The base score of ``vector`` (any of CVSS 2.0, 3.0, 3.1, 4.0), or None when it is not valid."""
    parsed = _parse(vector)
    if parsed is None:
        return None
    version, score = parsed
    return Cvss(version, vector.strip(), score, severity_of_score(score, version), source)


def choose_cvss(matched: Iterable[Cvss], related: Iterable[Cvss] = ()) -> Cvss | None:
    """The vector that rates the vulnerability (module docstring)."""
    ranked = [(c, 0) for c in matched] + [(c, 1) for c in related]
    if not ranked:
        return None
    best = min(
        ranked, key=lambda cr: (-_VERSION_RANK.get(cr[0].version, 0), cr[1], -cr[0].score, cr[0].vector)
    )
    return best[0]


def priority(
    *,
    cvss: Cvss | None,
    severity: Severity,
    epss: EpssScore | None,
    kev: KevEntry | None,
    kev_known: bool,
    fix_state: str,
    signals: RuntimeSignals = UNKNOWN_SIGNALS,
) -> Priority:
    """The priority score and its reasons (the table in the module docstring)."""
    why: list[str] = []
    total = 0.0
    if kev is not None:
        total += KEV_POINTS
        why.append("kev")
        if kev.ransomware:
            total += RANSOMWARE_POINTS
            why.append("kev-ransomware")
    elif not kev_known:
        why.append("kev:unknown")
    if epss is None:
        why.append("epss:unknown")
    else:
        for threshold, points, label in EPSS_TIERS:
            if epss.score >= threshold:
                total += points
                why.append(label)
                break
        else:
            why.append("epss<0.01")
    if cvss is not None:
        total += BASE_WEIGHT * cvss.score
        why.append(f"cvss:{cvss.score:.1f}")
    else:
        total += BASE_WEIGHT * BAND_SCORE[severity]
        why.append(f"severity:{severity.value}")
    total += FIX_POINTS.get(fix_state, 0.0)
    why.append(FIX_WHY.get(fix_state, "no-fix"))
    if signals.in_use is not None:
        total += IN_USE_POINTS if signals.in_use else NOT_IN_USE_POINTS
        why.append("in-use" if signals.in_use else "not-in-use")
    if signals.exposed is not None:
        total += EXPOSED_POINTS if signals.exposed else NOT_EXPOSED_POINTS
        why.append("exposed" if signals.exposed else "not-exposed")
    return Priority(int(min(100.0, max(0.0, total)) + 0.5), tuple(why))
