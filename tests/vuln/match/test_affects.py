"""The OSV evaluation rules (ossf.github.io/osv-schema/#evaluation), one case per row.

Expected values are worked out by hand from the schema's pseudocode, not from the implementation."""

from __future__ import annotations

import pytest

from stockade.model.advisory import Affected, Range, RangeType
from stockade.vuln.affects import evaluate

E = RangeType.ECOSYSTEM


def entry(
    ecosystem: str, *ranges: tuple[RangeType, tuple[tuple[str, str], ...]], versions: tuple[str, ...] = ()
) -> Affected:
    return Affected(ecosystem, "pkg", tuple(Range(t, ev) for t, ev in ranges), versions)


ZERO_TO_12 = (E, (("introduced", "0"), ("fixed", "1.2")))
TWO_BRANCHES = (E, (("introduced", "1.0"), ("fixed", "1.2"), ("introduced", "2.0"), ("fixed", "2.3")))
LAST = (E, (("introduced", "0"), ("last_affected", "1.5")))
LIMITED = (E, (("introduced", "0"), ("limit", "2.0")))
UNSORTED = (E, (("fixed", "1.2"), ("introduced", "1.0")))
GIT = (RangeType.GIT, (("introduced", "0"), ("fixed", "a" * 40)))

CASES = [
    # (entry, installed, affected, fixed versions above)
    (entry("PyPI", ZERO_TO_12), "1.1", True, ("1.2",)),
    (entry("PyPI", ZERO_TO_12), "1.2", False, ()),
    (entry("PyPI", ZERO_TO_12), "0.0.1", True, ("1.2",)),
    (entry("PyPI", ZERO_TO_12), "1.2rc1", True, ("1.2",)),  # a pre-release sorts before its release
    (entry("PyPI", ZERO_TO_12), "1.2.post1", False, ()),
    (entry("PyPI", TWO_BRANCHES), "0.9", False, ()),  # below the first introduced (no fixes when unaffected)
    (entry("PyPI", TWO_BRANCHES), "1.1", True, ("1.2", "2.3")),
    (entry("PyPI", TWO_BRANCHES), "1.5", False, ()),  # between the branches
    (entry("PyPI", TWO_BRANCHES), "2.2.9", True, ("2.3",)),
    (entry("PyPI", TWO_BRANCHES), "2.3", False, ()),
    (entry("PyPI", LAST), "1.5", True, ()),  # last_affected is inclusive and names no fix
    (entry("PyPI", LAST), "1.5.1", False, ()),
    (entry("PyPI", LIMITED), "1.9", True, ()),
    (entry("PyPI", LIMITED), "2.0", False, ()),  # at or above every limit: outside
    (entry("PyPI", LIMITED), "3.0", False, ()),
    (entry("PyPI", (E, (("introduced", "0"), ("limit", "1.0"), ("limit", "*")))), "5.0", True, ()),
    (entry("PyPI", (E, (("introduced", "0"), ("limit", "1.0"), ("limit", "3.0")))), "2.0", True, ()),
    (entry("PyPI", UNSORTED), "1.1", True, ("1.2",)),  # events are sorted before the walk
    (entry("PyPI", UNSORTED), "0.9", False, ()),
    (entry("PyPI", versions=("1.0", "1.1")), "1.1", True, ()),  # the versions list alone
    (entry("PyPI", versions=("1.0", "1.1")), "1.1.0", False, ()),  # compared as strings, as OSV says
    (entry("PyPI", ZERO_TO_12, versions=("7.0",)), "7.0", True, ()),  # in the list, outside the range
    (entry("Go", (RangeType.SEMVER, (("introduced", "0"), ("fixed", "1.2.4")))), "v1.2.3", True, ("1.2.4",)),
    (
        entry("Go", (RangeType.SEMVER, (("introduced", "0"), ("fixed", "1.2.4")))),
        "v1.2.4+incompatible",
        False,
        (),
    ),
    (entry("Go", versions=("1.0.0",)), "v1.0.0", True, ()),  # Go's "v" is the one allowed difference
    (
        entry("crates.io", (RangeType.SEMVER, (("introduced", "0.5.0-alpha"), ("fixed", "0.5.2")))),
        "0.5.0-beta.1",
        True,
        ("0.5.2",),
    ),
    (
        entry("Debian:11", (E, (("introduced", "0"), ("fixed", "1:2.0-1")))),
        "2.5-1",
        True,
        ("1:2.0-1",),
    ),  # epoch
    (entry("Debian:11", (E, (("introduced", "0"), ("fixed", "2.0-1")))), "2.0-1~bpo1", True, ("2.0-1",)),  # ~
    (
        entry("Alpine:v3.18", (E, (("introduced", "0"), ("fixed", "1.2.3-r1")))),
        "1.2.3-r0",
        True,
        ("1.2.3-r1",),
    ),
    (entry("npm", GIT, versions=("1.0.0",)), "1.0.0", True, ()),  # GIT ranges never decide, the list does
]


@pytest.mark.parametrize(("affected", "installed", "expected", "fixed"), CASES)
def test_evaluation(affected: Affected, installed: str, expected: bool, fixed: tuple[str, ...]) -> None:
    verdict = evaluate(affected, installed)
    assert (verdict.affected, verdict.fixed) == (expected, fixed)
    assert verdict.bad_bounds == () and verdict.installed_error is None


def test_git_ranges_are_counted_never_guessed() -> None:
    verdict = evaluate(entry("PyPI", GIT), "1.0")
    assert (verdict.affected, verdict.git_ranges, verdict.evaluated) == (False, 1, False)
    listed = evaluate(entry("PyPI", GIT, versions=("1.0",)), "1.0")
    assert (listed.affected, listed.git_ranges, listed.evaluated) == (True, 1, True)


def test_a_bound_that_does_not_parse_skips_its_range_and_says_so() -> None:
    bad = (E, (("introduced", "0"), ("fixed", "not a version!")))
    verdict = evaluate(entry("PyPI", bad, ZERO_TO_12), "1.0")
    assert verdict.affected  # the other range still decides
    assert len(verdict.bad_bounds) == 1 and "not a version!" in verdict.bad_bounds[0]
    alone = evaluate(entry("PyPI", bad), "1.0")
    assert not alone.affected and alone.bad_bounds


def test_an_installed_version_that_does_not_parse_is_reported() -> None:
    verdict = evaluate(entry("Go", (RangeType.SEMVER, (("introduced", "0"), ("fixed", "1.0.0")))), "(devel)")
    assert not verdict.affected and verdict.installed_error and "(devel)" in verdict.installed_error


def test_no_ordering_for_an_ecosystem_is_reported() -> None:
    verdict = evaluate(entry("Hackage", ZERO_TO_12), "1.0")
    assert not verdict.affected and "Hackage" in verdict.bad_bounds[0]
