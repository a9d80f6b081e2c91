"""node-semver ranges (``<1.2.3 || >=2 <2.4``, ``^1.2``, ``~0.8.0-pre``, ``1.x``, ``1.2 - 2``) as OSV
SEMVER events.

The grammar and desugaring follow node-semver's README ("Ranges", "Advanced Range Syntax";
github.com/npm/node-semver): ``||`` joins comparator sets, whitespace within a set means AND, a space
after an operator is allowed (``< 1.2``), a leading ``v`` or ``=`` on a version is ignored, and

- X-ranges: ``1.2.x``/``1.2``/``1.2.*`` → ``>=1.2.0 <1.3.0-0``; ``*``/``x``/empty → any version;
  ``<1.2`` → ``<1.2.0-0``; ``<=1.2`` → ``<1.3.0-0``; ``>1.2`` → ``>=1.3.0``; ``>=1.2`` → ``>=1.2.0``;
- tilde: ``~1.2.3`` → ``>=1.2.3 <1.3.0-0``, ``~1.2`` → ``>=1.2.0 <1.3.0-0``, ``~1`` → ``>=1.0.0 <2.0.0-0``;
- caret: ``^1.2.3`` → ``<2.0.0-0``, ``^0.2.3`` → ``<0.3.0-0``, ``^0.0.3`` → ``<0.0.4-0``, ``^1.x`` →
  ``<2.0.0-0``, ``^0.0.x``/``^0.0`` → ``<0.1.0-0``, ``^0.x`` → ``<1.0.0-0``;
- hyphen: ``1.2.3 - 2.3.4`` → ``>=1.2.3 <=2.3.4``; a partial upper end ``- 2.3`` → ``<2.4.0-0``.

Each comparator set becomes one interval; the union is sorted and merged, and each interval becomes
one OSV range (``introduced`` then ``fixed`` for an exclusive end or ``last_affected`` for an
inclusive one), so a range never mixes ``fixed`` and ``last_affected``.  OSV has no exclusive start:
``>1.2.3`` is written as ``introduced: 1.2.4-0``, the least version above 1.2.3 in SemVer 2.0
precedence (semver.org §11), which is exact.

Not modelled: node-semver excludes a prerelease (``1.3.0-beta``) from a range unless a comparator of
the same ``major.minor.patch`` names a prerelease; OSV SEMVER compares by precedence only, so such
prereleases are inside the converted range.  Build metadata is ignored, as in SemVer precedence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stockade.model.advisory import Range, RangeType

Key = tuple[int, int, int, int, tuple[tuple[int, int | str], ...]]

_VERSION = re.compile(
    r"^[=v\s]*(?P<M>0|[1-9]\d*|\d+|[xX*])(?:\.(?P<m>\d+|[xX*])(?:\.(?P<p>\d+|[xX*])"
    r"(?:-?(?P<pre>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z.-]+)?)?)?$"
)
_COMPARATOR = re.compile(r"^(?P<op><=|>=|<|>|=|~>|~|\^)?(?P<ver>.*)$")
_HYPHEN = re.compile(r"^\s*(\S+)\s+-\s+(\S+)\s*$")
_OP_SPACE = re.compile(r"(<=|>=|<|>|=|~>|~|\^)\s+")
_WILD = ("x", "X", "*")


@dataclass(frozen=True, slots=True)
class Version:
    major: int
    minor: int
    patch: int
    pre: tuple[int | str, ...] = ()

    @property
    def key(self) -> Key:
        """SemVer 2.0 precedence: a prerelease sorts before its release; numeric identifiers before
        alphanumeric ones; a longer identifier list after its prefix."""
        if not self.pre:
            return (self.major, self.minor, self.patch, 1, ())
        ids = tuple((0, p) if isinstance(p, int) else (1, p) for p in self.pre)
        return (self.major, self.minor, self.patch, 0, ids)

    def __str__(self) -> str:
        core = f"{self.major}.{self.minor}.{self.patch}"
        return core + ("-" + ".".join(str(p) for p in self.pre) if self.pre else "")

    def successor(self) -> Version:
        """The least version greater than this one: ``1.2.3`` → ``1.2.4-0``, ``1.2.3-beta`` →
        ``1.2.3-beta.0``."""
        if self.pre:
            return Version(self.major, self.minor, self.patch, (*self.pre, 0))
        return Version(self.major, self.minor, self.patch + 1, (0,))


ZERO = Version(0, 0, 0, (0,))  # the least SemVer version


@dataclass(frozen=True, slots=True)
class Interval:
    """``lower`` (inclusive; None: from the first version) to ``upper`` (None: no end), the upper end
    inclusive when ``upper_inclusive``."""

    lower: Version | None
    upper: Version | None
    upper_inclusive: bool = False

    def is_empty(self) -> bool:
        if self.lower is None or self.upper is None:
            return False
        lo, hi = self.lower.key, self.upper.key
        return lo > hi or (lo == hi and not self.upper_inclusive)


ANY = Interval(None, None)


class RangeSyntaxError(ValueError):
    """A range string that is not node-semver syntax."""


def _pre(text: str | None) -> tuple[int | str, ...]:
    if not text:
        return ()
    return tuple(int(p) if p.isdigit() else p for p in text.split("."))


def _partial(text: str) -> tuple[int | None, int | None, int | None, tuple[int | str, ...]]:
    m = _VERSION.match(text.strip())
    if m is None:
        raise RangeSyntaxError(f"not a version: {text.strip()!r}")
    parts = [m["M"], m["m"], m["p"]]
    nums: list[int | None] = []
    for part in parts:
        if part is None or part in _WILD or (nums and nums[-1] is None):
            nums.append(None)
        else:
            nums.append(int(part))
    pre = _pre(m["pre"]) if nums[2] is not None else ()
    return nums[0], nums[1], nums[2], pre


def _bump(major: int, minor: int | None) -> Version:
    """The ``-0`` version just past an X-range: ``1.x`` → ``2.0.0-0``, ``1.2.x`` → ``1.3.0-0``."""
    if minor is None:
        return Version(major + 1, 0, 0, (0,))
    return Version(major, minor + 1, 0, (0,))


def _comparator(op: str, text: str) -> Interval:
    major, minor, patch, pre = _partial(text)
    if major is None:  # * / x: any version, or none for < and >
        return Interval(ZERO, ZERO) if op in ("<", ">") else ANY
    full = patch is not None
    low = Version(major, minor or 0, patch or 0, pre)
    if op in ("", "="):
        return Interval(low, low, True) if full else Interval(low, _bump(major, minor))
    if op == ">=":
        return Interval(low, None)
    if op == ">":
        return Interval(low.successor() if full else _bump(major, minor), None)
    if op == "<":
        return Interval(None, low if full else Version(major, minor or 0, 0, (0,)))
    if op == "<=":
        return Interval(None, low, True) if full else Interval(None, _bump(major, minor))
    if op in ("~", "~>"):
        return Interval(low, _bump(major, minor))
    # caret: the left-most non-zero part is held
    if major != 0 or minor is None:
        return Interval(low, _bump(major, None))
    if minor != 0 or patch is None:
        return Interval(low, _bump(0, minor))
    return Interval(low, Version(0, 0, patch + 1, (0,)))


def _intersect(a: Interval, b: Interval) -> Interval:
    lower = a.lower if b.lower is None or (a.lower is not None and a.lower.key >= b.lower.key) else b.lower
    if a.upper is None:
        upper, inclusive = b.upper, b.upper_inclusive
    elif b.upper is None:
        upper, inclusive = a.upper, a.upper_inclusive
    elif a.upper.key != b.upper.key:
        upper, inclusive = (
            (a.upper, a.upper_inclusive) if a.upper.key < b.upper.key else (b.upper, b.upper_inclusive)
        )
    else:
        upper, inclusive = a.upper, a.upper_inclusive and b.upper_inclusive
    return Interval(lower, upper, inclusive)


def _comparator_set(text: str) -> Interval:
    hyphen = _HYPHEN.match(text)
    if hyphen:
        low = _comparator(">=", hyphen[1])
        high = _comparator("<=", hyphen[2])
        return _intersect(low, high)
    tokens = _OP_SPACE.sub(r"\1", text.strip()).split()
    result = ANY
    for token in tokens:
        m = _COMPARATOR.match(token)
        if m is None or not m["ver"]:  # pragma: no cover - the pattern matches any token
            raise RangeSyntaxError(f"not a comparator: {token!r}")
        result = _intersect(result, _comparator(m["op"] or "", m["ver"]))
    return result


def parse(text: str) -> list[Interval]:
    """The union of a node-semver range as sorted, disjoint, non-empty intervals."""
    if not isinstance(text, str):
        raise RangeSyntaxError(f"not a range: {text!r}")
    return union([_comparator_set(part) for part in text.split("||")])


def _lower_key(i: Interval) -> Key:
    return ZERO.key if i.lower is None else i.lower.key


def union(intervals: list[Interval]) -> list[Interval]:
    """Sorted, merged, without empty intervals."""
    items = sorted((i for i in intervals if not i.is_empty()), key=_lower_key)
    out: list[Interval] = []
    for item in items:
        if not out:
            out.append(item)
            continue
        last = out[-1]
        if last.upper is None:
            break
        start = _lower_key(item)
        end = last.upper.key
        touches = (
            start < end or start == end or (last.upper_inclusive and start == last.upper.successor().key)
        )
        if not touches:
            out.append(item)
            continue
        if item.upper is None:
            out[-1] = Interval(last.lower, None)
        elif item.upper.key > end or (item.upper.key == end and item.upper_inclusive):
            out[-1] = Interval(last.lower, item.upper, item.upper_inclusive)
    return out


def complement(intervals: list[Interval]) -> list[Interval]:
    """Every version not in ``intervals`` (which must come from :func:`union`)."""
    out: list[Interval] = []
    cursor: Version | None = None  # start of the next gap; None = from the first version
    for item in intervals:
        if item.lower is not None and (cursor is None or cursor.key < item.lower.key):
            out.append(Interval(cursor, item.lower))
        if item.upper is None:
            return out
        cursor = item.upper.successor() if item.upper_inclusive else item.upper
    out.append(Interval(cursor, None))
    return [i for i in out if not i.is_empty()]


def difference(a: list[Interval], b: list[Interval]) -> list[Interval]:
    """``a`` without ``b`` (both from :func:`union`)."""
    gaps = complement(b)
    return union([_intersect(x, y) for x in a for y in gaps])


def to_ranges(intervals: list[Interval]) -> tuple[Range, ...]:
    """One OSV SEMVER range per interval."""
    out: list[Range] = []
    for i in intervals:
        events: list[tuple[str, str]] = [("introduced", "0" if i.lower is None else str(i.lower))]
        if i.upper is not None:
            events.append(("last_affected" if i.upper_inclusive else "fixed", str(i.upper)))
        out.append(Range(RangeType.SEMVER, tuple(events)))
    return tuple(out)


def convert(vulnerable: str, patched: str | None = None) -> tuple[Range, ...]:
    """OSV ranges for ``vulnerable`` minus ``patched`` (when given and parseable)."""
    affected = parse(vulnerable)
    if patched is not None and patched.strip():
        affected = difference(affected, parse(patched))
    return to_ranges(affected)
