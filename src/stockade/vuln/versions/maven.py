"""Maven versions: ``org.apache.maven.artifact.versioning.ComparableVersion``, exactly.

Port of maven-artifact 3.8.7/3.8.8 ``ComparableVersion.java`` (the one Debian ships; MNG-6964 and
MNG-7644 included):

* the version is lower-cased and split into items at ``.``, at ``-`` and at every letter/digit boundary;
  ``-`` and a letter→digit boundary open a nested *list* (``1-alpha-1`` = ``[1, [alpha, [1]]]``), and a
  qualifier after ``.`` that is followed by a digit or ends the version is nested too, so
  ``1.0.0.RC1 == 1.0.0-RC1`` (MNG-7644);
* numbers compare numerically (leading zeros dropped); a number beats a list, which beats a string;
* strings are qualifiers ordered ``alpha < beta < milestone < rc = cr < snapshot < "" = ga = final =
  release < sp < unknown`` (unknown ones lexically); ``a``/``b``/``m`` directly followed by a digit
  mean alpha/beta/milestone;
* every list drops trailing "null" items (``0``, ``""``, empty list) — ``1.0.0 == 1 == 1-ga``;
* a shorter list is padded with "null", which compares like the zero of the other item's type
  (``1 < 1.1``, ``1-rc < 1``, ``1 < 1-sp``, and ``1-0.alpha < 1`` per MNG-6964).

``compare`` is that algorithm, item by item.  It is not a total order: ``1 < 1.sp.1``,
``1.sp.1 < 1-alpha`` and ``1-alpha < 1`` all hold in Maven itself (the padding "null" changes type
with the other side).  ``key`` therefore is a total order that agrees with ``compare`` for every pair
whose Maven order is consistent, and breaks Maven's cycles one fixed way: it ranks items as
``pre-qualifier < null-like item followed by an older tail < older list < end < newer list ...``
(see ``_RANK_*``).  Versions that differ from the end of the list only by a bare qualifier after a
``.`` (``1.sp.1``, ``1.0.beta.1``) compared with a ``-`` list are where the two can disagree; range
matching that must reproduce Maven exactly should call ``compare``.

Later Maven (4.x, ``CombinationItem``) changed letter+digit items again; OSV's own comparator follows the
Version Order Specification of https://maven.apache.org/pom.html#version-order-specification, which
differs from every ComparableVersion in corner cases like these.
"""

from __future__ import annotations

import functools
import re
from typing import Any, ClassVar

from stockade.vuln.versions.interface import VersionError, VersionKey, VersionScheme

NAME = "maven"

#: A parsed item: int (number), str (the qualifier's comparable form) or a tuple (a nested list).
Item = int | str | tuple["Item", ...]

_QUALIFIERS = ("alpha", "beta", "milestone", "rc", "snapshot", "", "sp")
_ALIASES = {"ga": "", "final": "", "release": "", "cr": "rc"}
_SHORT = {"a": "alpha", "b": "beta", "m": "milestone"}
_RELEASE = "5"  # comparableQualifier("")


def _qualifier(value: str, followed_by_digit: bool) -> str:
    """``StringItem``: alias resolution, then ``comparableQualifier`` (index, or ``"7-" + value``)."""
    if followed_by_digit and len(value) == 1:
        value = _SHORT.get(value, value)
    value = _ALIASES.get(value, value)
    try:
        return str(_QUALIFIERS.index(value))
    except ValueError:
        return f"{len(_QUALIFIERS)}-{value}"


def _is_digit(c: str) -> bool:
    # Java Character.isDigit(char): Unicode Nd within the BMP (astral digits are surrogate pairs there)
    return c.isdecimal() and ord(c) < 0x10000


def _parse_item(is_digit: bool, buf: str) -> int | str:
    return int(buf) if is_digit else _qualifier(buf, False)


def _is_null(item: Item) -> bool:
    if isinstance(item, int):
        return item == 0
    if isinstance(item, str):
        return item == _RELEASE
    return not item


def _normalize(items: list[Any]) -> None:
    i = len(items) - 1
    while i >= 0:
        item = items[i]
        if _is_null(item):
            del items[i]
        elif not isinstance(item, list):
            break
        i -= 1


def _freeze(items: list[Any]) -> tuple[Item, ...]:
    return tuple(_freeze(i) if isinstance(i, list) else i for i in items)


#: an ASCII version as runs: one separator, a digit run, or a run of anything else
_RUNS = re.compile(r"[.-]|[0-9]+|[^.0-9-]+")


@functools.lru_cache(maxsize=65536)
def parse(version: str) -> tuple[Item, ...]:
    """``ComparableVersion.parseVersion``: the normalised item list."""
    if not version or " " in version or not version.isprintable():
        raise VersionError(NAME, version, "empty, or contains whitespace or control characters")
    v = version.lower()
    items: list[Any] = []
    current = items
    stack = [items]

    def nest() -> None:
        nonlocal current
        sub: list[Any] = []
        current.append(sub)
        current = sub
        stack.append(sub)

    # The Java loop walks characters; on ASCII input walking runs is the same and much faster.  Other
    # input takes the character walk, where Java's Character.isDigit decides (Unicode Nd in the BMP).
    pending: str | None = None  # the run since the last separator (Java's startIndex..i)
    pending_digit = False
    ascii_only = v.isascii()
    for run in _RUNS.findall(v) if ascii_only else _char_runs(v):
        c = run[0]
        if c == "." or c == "-":
            current.append(
                0 if pending is None else int(pending) if pending_digit else _qualifier(pending, False)
            )
            pending = None
            if c == "-":
                nest()
        elif c in _DIGITS if ascii_only else _is_digit(c):
            if pending is not None:  # letters then digits
                if current:  # 1.0.0.X1 < 1.0.0-X2: treat .X as -X (MNG-7644)
                    nest()
                current.append(_qualifier(pending, True))
                nest()
            pending, pending_digit = run, True
        else:
            if pending is not None:  # digits then letters
                current.append(int(pending))
                nest()
            pending, pending_digit = run, False
    if pending is not None:
        if not pending_digit and current:  # MNG-7644 again, for a qualifier that ends the version
            nest()
        current.append(int(pending) if pending_digit else _qualifier(pending, False))
    while stack:
        _normalize(stack.pop())
    return _freeze(items)


_DIGITS = frozenset("0123456789")


def _char_runs(v: str) -> list[str]:
    """Split like ``_RUNS`` but with Java's notion of a digit (for non-ASCII versions)."""
    runs: list[str] = []
    for c in v:
        kind = 0 if c in ".-" else 1 if _is_digit(c) else 2
        if kind == 0 or not runs or runs[-1][0] in ".-" or (1 if _is_digit(runs[-1][0]) else 2) != kind:
            runs.append(c)
        else:
            runs[-1] += c
    return runs


def _cmp(a: Item, b: Item | None) -> int:
    """``Item.compareTo``: ``b is None`` is the padding of a shorter list."""
    if isinstance(a, int):
        if b is None:
            return 0 if a == 0 else 1
        if isinstance(b, int):
            return (a > b) - (a < b)
        return 1  # 1.1 > 1-sp, 1.1 > 1-1
    if isinstance(a, str):
        if b is None:
            return (a > _RELEASE) - (a < _RELEASE)
        if isinstance(b, str):
            return (a > b) - (a < b)
        return -1  # 1.any < 1.1, 1.any < 1-1
    if b is None:
        for item in a:  # MNG-6964: the whole list, not just its first item
            r = _cmp(item, None)
            if r:
                return r
        return 0
    if isinstance(b, int):
        return -1  # 1-1 < 1.0.x
    if isinstance(b, str):
        return 1  # 1-1 > 1-sp
    for i in range(max(len(a), len(b))):
        left = a[i] if i < len(a) else None
        right = b[i] if i < len(b) else None
        r = (0 if right is None else -_cmp(right, None)) if left is None else _cmp(left, right)
        if r:
            return r
    return 0


# Key ranks, ascending.  "-"/"+": whether the item (or, for a null-like item, what follows it) is
# older or newer than the end of the list.
(
    _RANK_PRE_QUALIFIER,
    _RANK_NULL_QUALIFIER_OLDER,
    _RANK_LIST_OLDER,
    _RANK_ZERO_OLDER,
    _RANK_END,
    _RANK_NULL_QUALIFIER_NEWER,
    _RANK_QUALIFIER_NEWER,
    _RANK_LIST_NEWER,
    _RANK_ZERO_NEWER,
    _RANK_NUMBER,
) = range(10)
_END: tuple[int] = (_RANK_END,)


def _tail_sign(items: tuple[Item, ...], start: int) -> int:
    for item in items[start:]:
        r = _cmp(item, None)
        if r:
            return r
    return 0


def _list_key(items: tuple[Item, ...]) -> tuple[Any, ...]:
    out: list[tuple[Any, ...]] = []
    for i, item in enumerate(items):
        if isinstance(item, int):
            if item:
                out.append((_RANK_NUMBER, item))
            else:
                sign = _tail_sign(items, i + 1)
                out.append((_RANK_ZERO_OLDER,) if sign < 0 else (_RANK_ZERO_NEWER,) if sign > 0 else _END)
        elif isinstance(item, str):
            if item < _RELEASE:
                out.append((_RANK_PRE_QUALIFIER, item))
            elif item > _RELEASE:
                out.append((_RANK_QUALIFIER_NEWER, item))
            else:
                sign = _tail_sign(items, i + 1)
                out.append(
                    (_RANK_NULL_QUALIFIER_OLDER,)
                    if sign < 0
                    else (_RANK_NULL_QUALIFIER_NEWER,)
                    if sign > 0
                    else _END
                )
        else:
            rank = _RANK_LIST_OLDER if _cmp(item, None) < 0 else _RANK_LIST_NEWER
            out.append((rank, _list_key(item)))
    out.append(_END)
    return tuple(out)


@functools.lru_cache(maxsize=65536)
def maven_key(version: str) -> VersionKey:
    return _list_key(parse(version))


def maven_compare(a: str, b: str) -> int:
    """``new ComparableVersion(a).compareTo(new ComparableVersion(b))`` as -1/0/1."""
    r = _cmp(parse(a), parse(b))
    return (r > 0) - (r < 0)


def canonical(version: str) -> str:
    """``ComparableVersion.getCanonical()`` (for messages and tests); qualifiers in their alias form."""

    def text(item: Item) -> str:
        if isinstance(item, int):
            return str(item)
        if isinstance(item, str):
            return _QUALIFIERS[int(item)] if len(item) == 1 else item[2:]
        out = ""
        for sub in item:
            if out:
                out += "-" if isinstance(sub, tuple) else "."
            out += text(sub)
        return out

    return text(parse(version))


class MavenScheme(VersionScheme):
    NAME: ClassVar[str] = NAME
    REFERENCE: ClassVar[str] = (
        "maven-artifact 3.8.7 org/apache/maven/artifact/versioning/ComparableVersion.java"
    )

    def key(self, version: str) -> VersionKey:
        return maven_key(version)

    def compare(self, a: str, b: str) -> int:
        return maven_compare(a, b)
