"""Advisories and prioritisation signals, as read from any feed (OSV, distro trackers, KEV, EPSS).

The shape follows the OSV schema (ossf.github.io/osv-schema): an advisory has ``affected`` entries, each
naming a package in an ecosystem and the versions it affects as ``ranges`` (ordered events) and/or an
explicit ``versions`` list.  Distro feeds that are not OSV (Debian tracker lists, Alpine secdb, Ubuntu
CVE tracker, the Node.js security WG, victims) are converted into the same shape by their readers, so
that one matcher serves every source.  Pure data: no I/O here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class RangeType(StrEnum):
    ECOSYSTEM = "ECOSYSTEM"  # versions compared with the ecosystem's own rules
    SEMVER = "SEMVER"  # SemVer 2.0 precedence
    GIT = "GIT"  # commit hashes: not matchable against installed versions


class AffectedState(StrEnum):
    """What a feed says of a package/release.  OSV records are ``affected`` (fix given by the ranges);
    distro trackers also say that no fix exists yet or that none will come."""

    AFFECTED = "affected"  # affected; the ranges say from/until which versions
    UNFIXED = "unfixed"  # affected, no fixed version yet (Debian <unfixed>, Ubuntu "needed")
    WONT_FIX = "wont-fix"  # affected, the distro will not fix (Debian <no-dsa>/<ignored>, Ubuntu "ignored")
    NOT_AFFECTED = "not-affected"  # explicitly not affected (kept so that it can override other data)


@dataclass(frozen=True, slots=True)
class Range:
    """One OSV range: ``events`` in order, each ``(kind, version)`` with kind one of ``introduced``,
    ``fixed``, ``last_affected``, ``limit``."""

    type: RangeType
    events: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Affected:
    """One package in one ecosystem.  ``ecosystem`` is the OSV ecosystem string including a release
    where the feed has one (``PyPI``, ``Go``, ``Debian:12``, ``Alpine:v3.11``, ``Ubuntu:20.04``);
    ``name`` as the feed spells it (the store normalises it for look-ups)."""

    ecosystem: str
    name: str
    ranges: tuple[Range, ...] = ()
    versions: tuple[str, ...] = ()
    state: AffectedState = AffectedState.AFFECTED
    severity: str | None = None  # a feed's own per-package label (Ubuntu priority, Debian urgency)
    purl: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)  # ecosystem_specific


@dataclass(frozen=True, slots=True)
class Advisory:
    """One advisory (one OSV record, one DSA, one UCT CVE file ...).

    ``severity`` holds scoring vectors as ``(type, score)`` pairs, OSV style: ``("CVSS_V3",
    "CVSS:3.1/AV:N/...")``, ``("CVSS_V4", ...)``; ``severity_label`` a feed's word for it (GHSA
    ``database_specific.severity``, Ubuntu ``Priority``) when there is no vector.
    """

    id: str
    source: str  # the feed it came from: "osv", "debian-dsa", "alpine-secdb", "ubuntu-uct", "nswg" ...
    affected: tuple[Affected, ...]
    aliases: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    summary: str = ""
    details: str = ""
    published: str | None = None  # RFC 3339 as given
    modified: str | None = None
    withdrawn: str | None = None
    severity: tuple[tuple[str, str], ...] = ()
    severity_label: str | None = None
    references: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)  # database_specific


@dataclass(frozen=True, slots=True)
class KevEntry:
    """One CISA Known Exploited Vulnerabilities catalog entry (cisa.gov/known-exploited-vulnerabilities)."""

    cve: str
    vendor: str = ""
    product: str = ""
    name: str = ""
    date_added: str | None = None  # YYYY-MM-DD
    due_date: str | None = None
    ransomware: bool = False  # knownRansomwareCampaignUse == "Known"
    notes: str = ""


@dataclass(frozen=True, slots=True)
class EpssScore:
    """FIRST EPSS: probability of exploitation activity in the next 30 days, and its percentile."""

    cve: str
    score: float
    percentile: float | None = None
    date: str | None = None  # the model date the score is for, when the feed states it


#: what a feed reader yields
FeedRecord = Advisory | KevEntry | EpssScore
