"""Matching an inventory against the advisory database: which advisories apply to which package.

For each package (docs/vulnerabilities.md has the whole rule set):

- **What is looked up**: language packages by ecosystem and name (normalised per ecosystem,
  :func:`~stockade.vuln.feeds.names.normalise`); OS packages (deb, rpm, apk) by their **source**
  package (dpkg ``Source:``, the rpm's SRPM name, the apk origin) and source version, because
  distributions key advisories by source package (OSV: "the name is the name of the source package").
- **Which entries apply**: the advisory's ``affected`` entries of the same ecosystem and name; for OS
  packages only those of the system's release (:mod:`stockade.vuln.match_release`: ``Debian:12`` entries
  never apply to a Debian 11 system).  Withdrawn advisories never apply (they are counted).
- **Whether the version is affected**: :func:`stockade.vuln.affects.evaluate`, the OSV evaluation
  rules.  An entry a distribution marks ``NOT_AFFECTED`` overrides every record of the same
  vulnerability for that package; ``UNFIXED`` and ``WONT_FIX`` entries affect every version and give
  the finding its ``fix_state``.
- **One finding per vulnerability per package**: :mod:`stockade.vuln.match_group`.

Nothing here raises for bad data: a version that does not parse, an ecosystem without data or without
an ordering, a release the database does not cover, GIT-only ranges — each becomes a status entry
(plug-in ``vuln/match``) saying which packages were not checked and why.  Hot path: one
:meth:`~stockade.vuln.db.AdvisoryDB.lookup_names` per ecosystem, cached sort keys, plain tuples.
"""

from __future__ import annotations

import contextlib
import functools
import re
import sqlite3
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from stockade.errors import StoreError
from stockade.model.advisory import Advisory, Affected, AffectedState
from stockade.model.inventory import Inventory, OSInfo, Package
from stockade.model.status import Status, StatusKind
from stockade.vuln.affects import evaluate
from stockade.vuln.db import AdvisoryDB
from stockade.vuln.feeds.names import canonical_ecosystem, ecosystem_base, normalise
from stockade.vuln.match_group import group
from stockade.vuln.match_release import (
    NAMESPACE_ECOSYSTEMS,
    OS_ECOSYSTEMS,
    OS_TYPES,
    applies,
    distro_of_purl,
    release_ecosystem,
)
from stockade.vuln.versions.interface import VersionError, VersionKey
from stockade.vuln.versions.registry import get_scheme, scheme_for

PLUGIN = "vuln/match"
#: how many names a status lists before "and N more"
LISTED = 10

FIXED, UNFIXED, WONT_FIX = "fixed", "unfixed", "wont-fix"


@dataclass(frozen=True, slots=True)
class RecordMatch:
    """One advisory record that applies to one package."""

    advisory: Advisory
    entries: tuple[Affected, ...]  # the affected entries that applied
    affected: bool  # False: the record only says "not affected" (an override)
    states: tuple[AffectedState, ...]
    fixed: tuple[str, ...]  # fixed versions above the installed one


@dataclass(frozen=True, slots=True)
class VulnMatch:
    """One vulnerability in one package."""

    package: Package
    id: str
    aliases: tuple[str, ...]
    records: tuple[RecordMatch, ...]  # the records that say it is affected
    fixed_versions: tuple[str, ...]
    fix_state: str  # fixed | unfixed | wont-fix
    ecosystem: str  # where it was matched: "PyPI", "Debian:11"
    name: str  # the name looked up: the source package of an OS package
    version: str  # the version compared: the source version of an OS package
    os_package: bool = False  # matched by source package and distribution release


@dataclass(frozen=True, slots=True)
class MatchResult:
    matches: tuple[VulnMatch, ...]
    statuses: tuple[Status, ...]
    packages: int  # in the inventory
    checked: int  # compared against the database
    overridden: int = 0  # vulnerabilities a distribution's "not affected" removed
    withdrawn: int = 0  # withdrawn advisories that named an installed package (ignored)
    git_ranges: int = 0  # GIT ranges met (never evaluated)


@dataclass(slots=True)
class _Subject:
    package: Package
    base: str
    name: str
    norm: str
    version: str
    release: str | None
    os_package: bool


@dataclass(slots=True)
class _Notes:
    no_data: Counter[str] = field(default_factory=Counter)
    no_scheme: Counter[str] = field(default_factory=Counter)
    release_unknown: Counter[str] = field(default_factory=Counter)
    release_missing: dict[str, tuple[int, list[str]]] = field(default_factory=dict)
    bad_versions: list[Status] = field(default_factory=list)
    bad_bounds: dict[str, str] = field(default_factory=dict)
    git_only: dict[str, set[str]] = field(default_factory=dict)
    git_ranges: int = 0
    withdrawn: set[str] = field(default_factory=set)
    overridden: int = 0


@functools.lru_cache(maxsize=65536)
def _norm(base: str, name: str) -> str:
    return normalise(base, name)


_base = functools.lru_cache(maxsize=4096)(ecosystem_base)
_applies = functools.lru_cache(maxsize=4096)(applies)


def is_os_package(pkg: Package) -> bool:
    return pkg.type in OS_TYPES or ecosystem_base(pkg.ecosystem) in OS_ECOSYSTEMS


def subject(pkg: Package, os: OSInfo | None) -> _Subject | str:
    """What to look up for ``pkg``, or why it cannot be checked."""
    base = ecosystem_base(pkg.ecosystem)
    os_package = is_os_package(pkg)
    if os_package and base not in OS_ECOSYSTEMS:
        base = NAMESPACE_ECOSYSTEMS.get((pkg.namespace or "").lower(), base)
    if os_package:
        name = pkg.source_name or pkg.name
        version = pkg.source_version or pkg.version
        release = release_ecosystem(base, os) or release_ecosystem(base, distro_of_purl(pkg.purl))
    else:
        name, version, release = pkg.name, pkg.version, None
    if scheme_for(base) is None:
        return f"no version ordering is known for ecosystem {base!r}"
    return _Subject(pkg, base, name, _norm(base, name), version, release, os_package)


def _version_problem(subj: _Subject) -> str | None:
    """Why the subject's version cannot be compared (asked only of packages that advisories name: for
    the others no version needs comparing, and they are checked all the same)."""
    if not subj.version:
        return "the package has no version"
    scheme = scheme_for(subj.base)
    try:
        if scheme is not None:
            scheme.key(subj.version)
    except VersionError as exc:
        return exc.message
    return None


_LIVE = "shadowed = 0 AND withdrawn = 0"


class DatabaseCoverage:
    """Which ecosystems and releases the database has live advisories for, asked per ecosystem (one
    indexed query each; a distribution's releases are listed only to explain a missing one)."""

    def __init__(self, db: AdvisoryDB) -> None:
        self.db = db
        self._bases: dict[str, bool] = {}
        self._releases: dict[str, bool] = {}

    def _one(self, sql: str, params: tuple[str, ...]) -> list[tuple[str, ...]]:
        try:
            return list(self.db.conn.execute(sql, params).fetchall())
        except sqlite3.Error as exc:
            raise StoreError(f"{self.db.path}: cannot read the advisory database: {exc}") from exc

    def has(self, base: str) -> bool:
        if base not in self._bases:
            sql = f"SELECT 1 FROM affected WHERE ecosystem_base = ? AND {_LIVE} LIMIT 1"
            self._bases[base] = bool(self._one(sql, (base,)))
        return self._bases[base]

    def has_release(self, base: str, release: str) -> bool:
        """Whether entries of ``release``, or of ``base`` with no release (every release), exist."""
        if release not in self._releases:
            spellings = (base, release, release + ":LTS")
            sql = (
                "SELECT 1 FROM affected WHERE ecosystem_base = ? AND ecosystem IN (?, ?, ?) "
                f"AND {_LIVE} LIMIT 1"
            )
            self._releases[release] = bool(self._one(sql, (base, *spellings)))
        return self._releases[release]

    def has_every_release(self, base: str) -> bool:
        return self.has_release(base, base)

    def releases(self, base: str) -> list[str]:
        sql = f"SELECT DISTINCT ecosystem FROM affected WHERE ecosystem_base = ? AND {_LIVE}"
        found = {canonical_ecosystem(eco) for (eco,) in self._one(sql, (base,))}
        return sorted(found, key=_natural)


def _natural(text: str) -> tuple[tuple[int, int | str], ...]:
    """``Debian:9`` before ``Debian:10``."""
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"(\d+)", text) if p)


def match_inventory(inventory: Inventory, db: AdvisoryDB) -> MatchResult:
    """Every vulnerability of every package of ``inventory`` that ``db`` knows (module docstring)."""
    notes = _Notes()
    known = DatabaseCoverage(db)
    by_base: dict[str, list[_Subject]] = {}
    for pkg in inventory.packages:
        found = subject(pkg, inventory.os)
        if isinstance(found, str):
            _not_checked(notes, pkg, found)
            continue
        if _covered(found, known, notes):
            by_base.setdefault(found.base, []).append(found)
    matches: list[VulnMatch] = []
    checked = 0
    for base in sorted(by_base):
        subjects = by_base[base]
        checked += len(subjects)
        hits = db.lookup_names(base, sorted({s.name for s in subjects}), include_withdrawn=True)
        for subj in subjects:
            advisories = hits.get(subj.name)
            if not advisories:
                continue
            problem = _version_problem(subj)
            if problem is not None:
                _not_checked(notes, subj.package, problem)
                checked -= 1
                continue
            matches.extend(_match_one(subj, advisories, notes))
    matches.sort(key=lambda m: (m.package.purl, m.package.found_by, m.id))
    return MatchResult(
        matches=tuple(matches),
        statuses=tuple(_statuses(notes, len(inventory.packages), checked, matches)),
        packages=len(inventory.packages),
        checked=checked,
        overridden=notes.overridden,
        withdrawn=len(notes.withdrawn),
        git_ranges=notes.git_ranges,
    )


def _not_checked(notes: _Notes, pkg: Package, reason: str) -> None:
    if reason.startswith("no version ordering"):
        notes.no_scheme[ecosystem_base(pkg.ecosystem) or pkg.type] += 1
        return
    where = pkg.locations[0].path if pkg.locations else None
    text = f"vulnerabilities not checked for {pkg.name} {pkg.version}: {reason}"
    notes.bad_versions.append(Status(PLUGIN, StatusKind.PARTIAL, text, where))


def _covered(subj: _Subject, known: DatabaseCoverage, notes: _Notes) -> bool:
    """Whether the database has data for the subject's ecosystem (and release)."""
    if not known.has(subj.base):
        notes.no_data[subj.base] += 1
        return False
    if subj.base not in OS_ECOSYSTEMS:
        return True
    if subj.release is None:
        if known.has_every_release(subj.base):
            return True  # entries without a release apply
        notes.release_unknown[subj.base] += 1
        return False
    if known.has_release(subj.base, subj.release):
        return True
    count, releases = notes.release_missing.get(subj.release) or (0, known.releases(subj.base))
    notes.release_missing[subj.release] = (count + 1, releases)
    return False


def _match_one(subj: _Subject, advisories: Sequence[Advisory], notes: _Notes) -> list[VulnMatch]:
    records: list[RecordMatch] = []
    for adv in advisories:
        if adv.withdrawn:
            notes.withdrawn.add(adv.id)
            continue
        record = _record(subj, adv, notes)
        if record is not None:
            records.append(record)
    if not records:
        return []
    out: list[VulnMatch] = []
    for key, members, aliases in group(records):
        if any(not r.affected for r in members):
            if any(r.affected for r in members):
                notes.overridden += 1
            continue
        fixed = _sorted_versions(subj.base, (v for r in members for v in r.fixed))
        states = {s for r in members for s in r.states}
        state = FIXED if fixed else WONT_FIX if AffectedState.WONT_FIX in states else UNFIXED
        out.append(
            VulnMatch(
                package=subj.package,
                id=key,
                aliases=aliases,
                records=tuple(members),
                fixed_versions=fixed,
                fix_state=state,
                ecosystem=subj.release or subj.base,
                name=subj.name,
                version=subj.version,
                os_package=subj.os_package,
            )
        )
    return out


def _record(subj: _Subject, adv: Advisory, notes: _Notes) -> RecordMatch | None:
    entries: list[Affected] = []
    states: list[AffectedState] = []
    fixed: list[str] = []
    hit = not_affected = False
    for aff in adv.affected:
        if _base(aff.ecosystem) != subj.base or _norm(subj.base, aff.name) != subj.norm:
            continue
        if not _applies(aff.ecosystem, subj.base, subj.release):
            continue
        if aff.state is AffectedState.NOT_AFFECTED:
            not_affected = True
            entries.append(aff)
            continue
        verdict = evaluate(aff, subj.version)
        notes.git_ranges += verdict.git_ranges
        for message in verdict.bad_bounds:
            notes.bad_bounds.setdefault(adv.id, message)
        if verdict.installed_error is not None:
            where = subj.package.locations[0].path if subj.package.locations else None
            text = f"{adv.id} not checked for {subj.package.name} {subj.version}: {verdict.installed_error}"
            notes.bad_versions.append(Status(PLUGIN, StatusKind.PARTIAL, text, where))
        if not verdict.evaluated and verdict.git_ranges:
            notes.git_only.setdefault(adv.id, set()).add(subj.package.name)
        if verdict.affected:
            hit = True
            entries.append(aff)
            states.append(aff.state)
            fixed.extend(verdict.fixed)
    if hit:
        return RecordMatch(adv, tuple(entries), True, tuple(states), tuple(dict.fromkeys(fixed)))
    if not_affected:
        return RecordMatch(adv, tuple(entries), False, (AffectedState.NOT_AFFECTED,), ())
    return None


def _sorted_versions(base: str, versions: Iterable[str]) -> tuple[str, ...]:
    """Distinct versions in ascending order under the ecosystem's scheme (SemVer for bounds the
    ecosystem's scheme rejects, such as Go's ``1.2.3`` without ``v``); unorderable ones last."""
    unique = list(dict.fromkeys(versions))
    if len(unique) < 2:
        return tuple(unique)
    schemes = [s for s in (scheme_for(base), get_scheme("semver")) if s is not None]
    keyed: list[tuple[int, VersionKey, str]] = []
    rest: list[str] = []
    for value in unique:
        for rank, scheme in enumerate(schemes):
            try:
                keyed.append((rank, scheme.key(value), value))
                break
            except VersionError:
                continue
        else:
            rest.append(value)
    with contextlib.suppress(TypeError):  # keys of one scheme always compare; this is a safeguard
        keyed.sort(key=lambda item: (item[0], item[1]))
    return tuple([v for _, _, v in keyed] + rest)


def _listing(counts: Counter[str] | dict[str, int]) -> str:
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    text = ", ".join(f"{k} ({n} package{'s' if n != 1 else ''})" for k, n in items[:LISTED])
    return text + (f" and {len(items) - LISTED} more" if len(items) > LISTED else "")


def _ids(ids: Iterable[str]) -> str:
    items = sorted(ids)
    return ", ".join(items[:LISTED]) + (f" and {len(items) - LISTED} more" if len(items) > LISTED else "")


def _statuses(notes: _Notes, packages: int, checked: int, matches: Sequence[VulnMatch]) -> list[Status]:
    vulnerable = len({(m.package.purl, m.package.found_by) for m in matches})
    summary = (
        f"{checked} of {packages} packages checked: {len(matches)} vulnerabilities in {vulnerable} packages"
    )
    extras = []
    if notes.overridden:
        extras.append(f"{notes.overridden} removed by a distribution's 'not affected'")
    if notes.withdrawn:
        extras.append(f"{len(notes.withdrawn)} withdrawn advisories ignored")
    if notes.git_ranges:
        extras.append(f"{notes.git_ranges} GIT (commit) ranges not evaluated")
    out = [Status(PLUGIN, StatusKind.OK, summary + (f"; {'; '.join(extras)}" if extras else ""))]
    skipped, partial = StatusKind.SKIPPED, StatusKind.PARTIAL
    if notes.no_data:
        text = f"not covered: the advisory database has no advisories for {_listing(notes.no_data)}"
        out.append(Status(PLUGIN, skipped, text))
    for release, (count, releases) in sorted(notes.release_missing.items()):
        have = ", ".join(releases[:LISTED]) + (" …" if len(releases) > LISTED else "")
        text = (
            f"not covered: the advisory database has no advisories for {release}, the scanned system's "
            f"release (it has {have}): {count} packages not checked"
        )
        out.append(Status(PLUGIN, skipped, text))
    if notes.release_unknown:
        text = (
            "not checked: the distribution release is unknown and distribution advisories are per "
            f"release: {_listing(notes.release_unknown)}"
        )
        out.append(Status(PLUGIN, partial, text))
    if notes.no_scheme:
        text = f"not checked: no version ordering is known for {_listing(notes.no_scheme)}"
        out.append(Status(PLUGIN, StatusKind.UNSUPPORTED, text))
    if notes.bad_bounds:
        first = min(notes.bad_bounds)
        text = (
            f"{len(notes.bad_bounds)} advisories have version ranges that do not parse; those ranges were "
            f"skipped: {_ids(notes.bad_bounds)} ({first}: {notes.bad_bounds[first]})"
        )
        out.append(Status(PLUGIN, partial, text))
    if notes.git_only:
        named = [f"{aid} ({', '.join(sorted(names))})" for aid, names in notes.git_only.items()]
        text = (
            f"{len(named)} advisories give only GIT (commit) ranges and no version list for an installed "
            f"package; commits cannot be compared with installed versions, so these were not decided: "
            f"{_ids(named)}"
        )
        out.append(Status(PLUGIN, skipped, text))
    out.extend(notes.bad_versions)
    return out
