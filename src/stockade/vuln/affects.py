"""Whether one installed version lies in one OSV ``affected`` entry: the schema's evaluation rules
(ossf.github.io/osv-schema/#evaluation, "IsVulnerable"), exactly:

- a version is affected when it is listed in ``versions`` or lies in any one of the ``ranges``;
- ``versions`` entries are compared as strings (``v == version``), as the schema's pseudocode does;
  Go's ``v`` prefix is the one spelling difference allowed (OSV writes Go versions without it);
- in a range, the events are sorted by version under the range's ordering (``SEMVER``: SemVer 2.0
  precedence; ``ECOSYSTEM``: the ecosystem's scheme, :mod:`stockade.vuln.versions.registry`), then
  walked in order: ``introduced`` at or below the version makes it vulnerable, ``fixed`` at or below
  it makes it not vulnerable, ``last_affected`` strictly below it makes it not vulnerable.
  ``introduced: "0"`` sorts before every version.  Events at the same version keep their order;
- ``limit`` events bound the range from above: with any, the version must be below at least one of them
  (a limit containing ``*`` is infinity); without any, an implicit ``limit: "*"`` applies;
- ``GIT`` ranges hold commit hashes: an installed version cannot be placed in a commit graph, so they
  are counted (:attr:`Verdict.git_ranges`) and never guessed at.

A range whose bounds do not parse under its ordering is skipped and reported
(:attr:`Verdict.bad_bounds`); an installed version that does not parse under a range's ordering is
reported (:attr:`Verdict.installed_error`).  Neither raises.

"Fixed versions" are the ``fixed`` events, of every evaluated range of the entry, that sort above the
installed version: upgrading to any of them leaves the range.  Sort keys come from the schemes'
``lru_cache`` and each range's sorted, keyed events are cached too, so a look-up that hits the same
advisories again costs dictionary look-ups, not parsing.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from stockade.model.advisory import Affected, RangeType
from stockade.vuln.versions.interface import VersionError, VersionKey, VersionScheme
from stockade.vuln.versions.registry import get_scheme, scheme_for

INTRODUCED, FIXED, LAST_AFFECTED, LIMIT = "introduced", "fixed", "last_affected", "limit"
_ZERO = (0,)  # sort rank of introduced "0": before every version
_RANKED = 1  # sort rank of every other event (then its key)

#: a range prepared for evaluation: events as ``(kind, key or None for "0", version)`` in sorted order,
#: and the limit keys (None when a limit is infinite); ``limits is None`` means no limit events
Compiled = tuple[tuple[tuple[str, VersionKey | None, str], ...], tuple[VersionKey | None, ...] | None]


@dataclass(frozen=True, slots=True)
class Verdict:
    """What one affected entry says of one installed version."""

    affected: bool
    fixed: tuple[str, ...] = ()  # fixed events above the installed version, in ascending order
    git_ranges: int = 0  # GIT ranges of the entry (not evaluated)
    bad_bounds: tuple[str, ...] = ()  # one message per range skipped because a bound does not parse
    installed_error: str | None = None  # the installed version does not parse under a range's ordering
    evaluated: bool = True  # False: nothing in the entry could be evaluated (only GIT/unparseable)


NOT_AFFECTED = Verdict(False)


@functools.lru_cache(maxsize=65536)
def compile_range(scheme_name: str, events: tuple[tuple[str, str], ...]) -> Compiled:
    """The events of one range keyed and sorted under scheme ``scheme_name``.  Raises
    :class:`VersionError` naming the first bound that does not parse."""
    key = get_scheme(scheme_name).key
    ranked: list[tuple[Any, int, str, VersionKey | None, str]] = []
    limits: list[VersionKey | None] = []
    for index, (kind, version) in enumerate(events):
        if kind == LIMIT:
            limits.append(None if "*" in version else key(version))
            continue
        if kind == INTRODUCED and version == "0":
            ranked.append((_ZERO, index, kind, None, version))
            continue
        k = key(version)
        ranked.append(((_RANKED, k), index, kind, k, version))
    ranked.sort(key=lambda item: (item[0], item[1]))
    return tuple((kind, k, version) for _, _, kind, k, version in ranked), (tuple(limits) if limits else None)


def in_compiled(compiled: Compiled, vkey: VersionKey) -> tuple[bool, list[str]]:
    """Whether ``vkey`` lies in the range, and the range's fixed versions above it."""
    ordered, limits = compiled
    fixed_above: list[str] = []
    for kind, k, version in ordered:
        if kind == FIXED and k is not None and k > vkey:
            fixed_above.append(version)
    if limits is not None and not any(limit is None or vkey < limit for limit in limits):
        return False, fixed_above
    vulnerable = False
    for kind, k, _ in ordered:
        if kind == INTRODUCED:
            if k is None or vkey >= k:
                vulnerable = True
        elif kind == FIXED:
            if k is not None and vkey >= k:
                vulnerable = False
        elif kind == LAST_AFFECTED and k is not None and vkey > k:
            vulnerable = False
    return vulnerable, fixed_above


def _listed(version: str, versions: tuple[str, ...], go: bool) -> bool:
    if version in versions:
        return True
    if go and version.startswith("v"):
        return version[1:] in versions
    return False


def range_scheme(range_type: RangeType, ecosystem: str) -> VersionScheme | None:
    """The ordering of one range (None for GIT and for ecosystems without a scheme)."""
    if range_type is RangeType.SEMVER:
        return get_scheme("semver")
    if range_type is RangeType.ECOSYSTEM:
        return scheme_for(ecosystem)
    return None


def evaluate(affected: Affected, version: str) -> Verdict:
    """Whether ``version`` of the entry's package is affected (see the module docstring)."""
    git = 0
    bad: list[str] = []
    installed_error: str | None = None
    fixed: list[tuple[VersionKey, str]] = []
    hit = False
    evaluated = bool(affected.versions)
    for rng in affected.ranges:
        if rng.type is RangeType.GIT:
            git += 1
            continue
        scheme = range_scheme(rng.type, affected.ecosystem)
        if scheme is None:
            bad.append(
                f"{rng.type.value} range: no version ordering is known for ecosystem {affected.ecosystem!r}"
            )
            continue
        try:
            compiled = compile_range(scheme.NAME, rng.events)
        except VersionError as exc:
            bad.append(f"{rng.type.value} range skipped: {exc.message}")
            continue
        try:
            vkey = scheme.key(version)
        except VersionError as exc:
            installed_error = exc.message
            continue
        evaluated = True
        inside, above = in_compiled(compiled, vkey)
        hit = hit or inside
        for value in above:
            fixed.append((scheme.key(value), value))
    if not hit and affected.versions:
        hit = _listed(version, affected.versions, affected.ecosystem.startswith("Go"))
    if not hit and not git and not bad and installed_error is None:
        return NOT_AFFECTED
    return Verdict(hit, _ascending(fixed), git, tuple(bad), installed_error, evaluated)


def _ascending(fixed: list[tuple[VersionKey, str]]) -> tuple[str, ...]:
    """The fixed versions, once each, in ascending order (as found when two orderings are mixed)."""
    try:
        ordered = sorted(fixed, key=lambda item: item[0])
    except TypeError:  # SEMVER and ECOSYSTEM keys of one entry do not compare
        ordered = fixed
    return tuple(dict.fromkeys(value for _, value in ordered))
