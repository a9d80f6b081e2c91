"""Vulnerability findings for a scan result: match its inventory against the advisory database, rate
each match (:mod:`stockade.vuln.priority`) and append one ``kind="vulnerability"`` finding per
vulnerability per package, with statuses saying what was and was not checked.

Any scan that produced a :class:`~stockade.model.result.ScanResult` can call :func:`add_vulnerabilities`
on it (``host``, ``rootfs``, ``image``, an SBOM read back with ``sbom scan``): only the inventory is read.

It never reports zero vulnerabilities silently: without a database the result says, as an ``error``
status of plug-in ``vuln/db``, that vulnerabilities were not checked and how to create the database;
ecosystems and releases the database has no data for, and packages whose version does not parse, are
``vuln/match`` statuses (:mod:`stockade.vuln.match`); the database's age and KEV/EPSS coverage are a
``vuln/db`` status.  The JSON of a finding is documented in docs/json-schema.md.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from stockade.errors import InputError, StoreError
from stockade.model.advisory import Advisory, AffectedState, EpssScore, KevEntry
from stockade.model.finding import Finding
from stockade.model.result import ScanResult
from stockade.model.severity import Severity
from stockade.model.status import Status, StatusKind
from stockade.vuln.db import CREATE_HINT, AdvisoryDB, NoAdvisoryDBError, resolve_path
from stockade.vuln.match import FIXED, WONT_FIX, VulnMatch, match_inventory
from stockade.vuln.match_group import is_cve
from stockade.vuln.priority import (
    UNKNOWN_SIGNALS,
    Cvss,
    RuntimeSignals,
    choose_cvss,
    is_vector,
    parse_cvss,
    priority,
    severity_of_label,
)

DB_PLUGIN = "vuln/db"
KIND = "vulnerability"
#: an advisory database older than this (days, at the scan's start) is reported as stale
STALE_DAYS = 7


@dataclass(frozen=True, slots=True)
class DatabaseFacts:
    """What the scan says about the database: its age and its KEV/EPSS coverage."""

    built_at: str | None
    newest_modified: str | None
    kev_count: int
    kev_version: str | None
    epss_count: int
    epss_date: str | None


def add_vulnerabilities(
    result: ScanResult,
    db_path: str | None = None,
    *,
    enabled: bool = True,
    signals: Mapping[str, RuntimeSignals] | None = None,
    stale_days: int = STALE_DAYS,
) -> ScanResult:
    """``result`` with its vulnerability findings and coverage statuses added.

    ``db_path``: the advisory database (None: ``$STOCKADE_ADVISORY_DB``, else the default location).
    ``enabled=False`` (``--no-vulns``) only records that vulnerabilities were not checked.
    ``signals``: runtime facts per package purl (unknown when absent)."""
    if not enabled:
        note = Status(DB_PLUGIN, StatusKind.SKIPPED, "vulnerabilities not checked: --no-vulns")
        return _with(result, (), [note])
    path = resolve_path(db_path)
    try:
        db = AdvisoryDB(path)
    except NoAdvisoryDBError:
        reason = f"vulnerabilities not checked: no advisory database at {path}; {CREATE_HINT}"
        return _with(result, (), [Status(DB_PLUGIN, StatusKind.ERROR, reason)])
    except (StoreError, InputError) as exc:
        hint = f" ({exc.hint})" if exc.hint else ""
        reason = f"vulnerabilities not checked: {exc.message}{hint}"
        return _with(result, (), [Status(DB_PLUGIN, StatusKind.ERROR, reason)])
    with db:
        try:
            facts = database_facts(db)
            matched = match_inventory(result.inventory, db)
            findings = build_findings(db, matched.matches, facts, result.target.name, signals or {})
        except StoreError as exc:
            reason = f"vulnerabilities not checked: {exc.message}"
            return _with(result, (), [Status(DB_PLUGIN, StatusKind.ERROR, reason)])
    statuses = [*_db_statuses(path, facts, result.started, stale_days), *matched.statuses]
    return _with(result, findings, statuses)


def _with(result: ScanResult, findings: Sequence[Finding], statuses: Iterable[Status]) -> ScanResult:
    return replace(
        result,
        findings=tuple(sorted((*result.findings, *findings), key=Finding.sort_key)),
        statuses=tuple(sorted((*result.statuses, *statuses), key=Status.sort_key)),
    )


_NEWEST = (
    "SELECT max(newest_modified) FROM sources "
    "WHERE advisories > 0 AND newest_modified NOT LIKE '0001%'"  # Go's placeholder dates
)


def database_facts(db: AdvisoryDB) -> DatabaseFacts:
    try:
        conn = db.conn
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        (newest,) = conn.execute(_NEWEST).fetchone()
        (kev_count,) = conn.execute("SELECT count(DISTINCT cve) FROM kev").fetchone()
        (kev_version,) = conn.execute("SELECT max(version) FROM sources WHERE kev > 0").fetchone()
        (epss_count, epss_date) = conn.execute("SELECT count(DISTINCT cve), max(date) FROM epss").fetchone()
    except sqlite3.Error as exc:
        raise StoreError(f"{db.path}: cannot read the advisory database: {exc}") from exc
    return DatabaseFacts(meta.get("built_at"), newest, kev_count, kev_version, epss_count, epss_date)


def _db_statuses(path: str, facts: DatabaseFacts, started: datetime, stale_days: int) -> list[Status]:
    parts = [f"advisory database {path}"]
    if facts.built_at:
        parts.append(f"built {facts.built_at}")
    if facts.newest_modified:
        parts.append(f"newest advisory modified {facts.newest_modified}")
    parts.append(f"CISA KEV catalog {facts.kev_version or 'absent'} ({facts.kev_count} CVEs)")
    dated = f" ({facts.epss_date})" if facts.epss_date else ""
    parts.append(f"EPSS scores for {facts.epss_count} CVEs{dated}")
    out = [Status(DB_PLUGIN, StatusKind.OK, ", ".join(parts))]
    age = _age_days(facts.built_at, started)
    if age is not None and age > stale_days:
        text = (
            f"the advisory database is {age} days old (built {facts.built_at}): advisories published "
            "since are missing; run `stockade db update`"
        )
        out.append(Status(DB_PLUGIN, StatusKind.PARTIAL, text))
    if not facts.kev_count:
        text = (
            "not covered: the advisory database has no CISA KEV catalog, so known exploitation is "
            "unknown (priority says kev:unknown)"
        )
        out.append(Status(DB_PLUGIN, StatusKind.SKIPPED, text))
    if not facts.epss_count:
        text = (
            "not covered: the advisory database has no EPSS scores, so exploit probability is unknown "
            "(priority says epss:unknown)"
        )
        out.append(Status(DB_PLUGIN, StatusKind.SKIPPED, text))
    return out


def _age_days(built_at: str | None, started: datetime) -> int | None:
    if not built_at:
        return None
    try:
        built = datetime.fromisoformat(built_at)
    except ValueError:
        return None
    if built.tzinfo is None:
        built = built.replace(tzinfo=UTC)
    when = started if started.tzinfo is not None else started.replace(tzinfo=UTC)
    days = (when - built).days
    return days if days >= 0 else None


# -- findings -----------------------------------------------------------------------------------------
def build_findings(
    db: AdvisoryDB,
    matches: Sequence[VulnMatch],
    facts: DatabaseFacts,
    target: str,
    signals: Mapping[str, RuntimeSignals],
) -> list[Finding]:
    """One finding per match, rated with the database's KEV, EPSS and every vector of the vulnerability."""
    cves = sorted({m.id for m in matches if is_cve(m.id)})
    kev = db.kev(cves) if facts.kev_count and cves else {}
    epss = db.epss(cves) if facts.epss_count and cves else {}
    own = [_own_vectors(m) for m in matches]
    related = _related_vectors(db, [m for m, vectors in zip(matches, own, strict=True) if not vectors])
    out = []
    for m, vectors in zip(matches, own, strict=True):
        chosen = choose_cvss(vectors, related.get(m.id, ()))
        rated = _Rating(chosen, kev.get(m.id), epss.get(m.id), bool(facts.kev_count))
        out.append(_finding(m, rated, target, signals.get(m.package.purl, UNKNOWN_SIGNALS)))
    return out


@dataclass(frozen=True, slots=True)
class _Rating:
    cvss: Cvss | None
    kev: KevEntry | None
    epss: EpssScore | None
    kev_known: bool


def _advisory_vectors(adv: Advisory) -> list[Cvss]:
    out = []
    for kind, score in adv.severity:
        if kind.startswith("CVSS"):
            parsed = parse_cvss(score, adv.id)
            if parsed is not None:
                out.append(parsed)
    return out


def _own_vectors(m: VulnMatch) -> list[Cvss]:
    """The vectors of the records that matched: the advisories' and their applied entries'."""
    out: list[Cvss] = []
    for record in m.records:
        out.extend(_advisory_vectors(record.advisory))
        for entry in record.entries:
            if entry.severity and is_vector(entry.severity):
                parsed = parse_cvss(entry.severity, record.advisory.id)
                if parsed is not None:
                    out.append(parsed)
    return out


def _related_vectors(db: AdvisoryDB, matches: Sequence[VulnMatch]) -> dict[str, list[Cvss]]:
    """For vulnerabilities whose matched records have no vector: the vectors of the database's records
    whose id is their CVE (the Ubuntu tracker's per-CVE record carries NVD's vector; a DSA or PYSEC
    record has none).  Records of the same package that carry vectors (GHSA's) were matched by name
    and are among the vulnerability's own records already."""
    cves = sorted({m.id for m in matches if is_cve(m.id)})
    out: dict[str, list[Cvss]] = {}
    if cves:
        for adv in db.get(cves):
            vectors = _advisory_vectors(adv)
            if vectors:
                out.setdefault(adv.id, []).extend(vectors)
    return out


def _severity(m: VulnMatch, cvss: Cvss | None) -> Severity:
    if cvss is not None:
        return cvss.severity
    words = []
    for record in m.records:
        words.append(severity_of_label(record.advisory.severity_label))
        words.extend(
            severity_of_label(e.severity) for e in record.entries if e.severity and not is_vector(e.severity)
        )
    known = [w for w in words if w is not None]
    return max(known, key=lambda s: s.rank) if known else Severity.UNKNOWN


def _finding(m: VulnMatch, rated: _Rating, target: str, signals: RuntimeSignals) -> Finding:
    pkg = m.package
    severity = _severity(m, rated.cvss)
    prio = priority(
        cvss=rated.cvss,
        severity=severity,
        epss=rated.epss,
        kev=rated.kev,
        kev_known=rated.kev_known,
        fix_state=m.fix_state,
        signals=signals,
    )
    records = sorted(m.records, key=lambda r: (r.advisory.id != m.id, r.advisory.id, r.advisory.source))
    title = next((r.advisory.summary for r in records if r.advisory.summary), "")
    if not title:
        details = next((r.advisory.details for r in records if r.advisory.details), "")
        title = details.strip().splitlines()[0][:160] if details.strip() else f"{m.id} in {pkg.name}"
    references = list(dict.fromkeys(u for r in records for u in r.advisory.references))
    if not references:
        references = [f"https://osv.dev/vulnerability/{m.id}"]
    package: dict[str, Any] = {
        "name": pkg.name,
        "version": pkg.version,
        "type": pkg.type,
        "ecosystem": pkg.ecosystem,
        "purl": pkg.purl,
        "found_by": pkg.found_by,
    }
    if m.os_package:
        package["source"] = {"name": m.name, "version": m.version}
    vulnerability: dict[str, Any] = {
        "aliases": list(m.aliases),
        "advisories": [{"id": r.advisory.id, "feed": r.advisory.source} for r in records],
        "cvss": rated.cvss.to_dict() if rated.cvss else None,
        "epss": _epss(rated.epss),
        "kev": _kev(rated.kev, rated.kev_known),
        "priority": prio.score,
        "why": list(prio.why),
        "signals": signals.to_dict(),
        "package": package,
        "ecosystem": m.ecosystem,
        "fixed_versions": list(m.fixed_versions),
        "fix_state": m.fix_state,
    }
    return Finding(
        id=m.id,
        severity=severity,
        title=title,
        target=target,
        kind=KIND,
        location=pkg.locations[0] if pkg.locations else None,
        evidence=_evidence(m, records),
        remediation=_remediation(m, records),
        references=tuple(references),
        package=pkg.purl,
        vulnerability=vulnerability,
    )


def _epss(score: EpssScore | None) -> dict[str, Any] | None:
    if score is None:
        return None
    return {"score": score.score, "percentile": score.percentile, "date": score.date}


def _kev(entry: KevEntry | None, known: bool) -> dict[str, Any] | None:
    if not known:
        return None  # no catalog in the database: unknown
    if entry is None:
        return {"listed": False}
    return {
        "listed": True,
        "date_added": entry.date_added,
        "due_date": entry.due_date,
        "ransomware": entry.ransomware,
        "vendor": entry.vendor,
        "product": entry.product,
        "name": entry.name,
    }


def _evidence(m: VulnMatch, records: Sequence[Any]) -> str:
    pkg = m.package
    text = f"{pkg.name} {pkg.version} is installed"
    if m.os_package and (m.name, m.version) != (pkg.name, pkg.version):
        text += f" (source package {m.name} {m.version})"
    return text + f"; affected according to {', '.join(r.advisory.id for r in records)} ({m.ecosystem})"


def _remediation(m: VulnMatch, records: Sequence[Any]) -> str:
    what = f"{m.package.name}" + (f" (source package {m.name})" if m.name != m.package.name else "")
    if m.fix_state == FIXED:
        first = m.fixed_versions[0]
        more = f"; fixed versions: {', '.join(m.fixed_versions)}" if len(m.fixed_versions) > 1 else ""
        return f"Upgrade {what} to {first} or later{more}."
    if m.fix_state == WONT_FIX:
        reasons = sorted(
            {
                str(e.extra.get("reason") or e.extra.get("status") or "")
                for r in records
                for e in r.entries
                if e.state is AffectedState.WONT_FIX
            }
            - {""}
        )
        why = f" ({'; '.join(reasons)})" if reasons else ""
        return f"{m.ecosystem} will not fix this in {what}{why}: mitigate it, or replace the package."
    return f"No fixed version of {what} is known yet: mitigate it, and watch the advisories for a fix."
