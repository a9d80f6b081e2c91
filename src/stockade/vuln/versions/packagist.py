"""Packagist (Composer) versions.

Composer orders a version by normalising it (``Composer\\Semver\\VersionParser::normalize``, composer/semver
3.3) and comparing the normal forms with PHP's ``version_compare`` (``Constraint::versionCompare``):

* normalise: trim, drop an ``as alias`` and an ``@stability`` flag and ``+build`` metadata, then
  ``v1.2`` → ``1.2.0.0``; ``1.0-beta.2`` → ``1.0.0.0-beta2``; ``1.0RC1`` → ``1.0.0.0-RC1``;
  ``a``/``b``/``p``/``pl`` → ``alpha``/``beta``/``patch``; a trailing ``-dev`` stays; date versions
  ``20230102`` keep their digits; ``1.x-dev`` → ``1.9999999.9999999.9999999-dev``;
* ``version_compare`` (php-src ``ext/standard/versioning.c``): ``-``, ``_``, ``+`` and every other
  non-alphanumeric become ``.``, letter/digit boundaries get a ``.``; parts compare as numbers when both
  are digits, else by the special forms (prefix match, case-sensitive)
  ``anything else < dev < alpha = a < beta = b < RC = rc < number < pl = p``; when one version runs
  out, a following number makes the other newer, a following word is compared with a number
  (``1.0.0.0-beta1 < 1.0.0.0 < 1.0.0.0-patch1``).

So Composer's order differs from raw ``version_compare``: ``version_compare("1.0", "1.0.0")`` is -1,
but Composer normalises both to ``1.0.0.0``.  Branch names (``dev-main``, ``master``) have no order in
Composer (every comparison with them is false) and raise :class:`VersionError`.

Sort key: one ``(order, number)`` pair per part (numbers are ``(4, n)``, words ``(order, 0)``) and the
end marker ``(4, -1)``: below every number, above every word except ``pl``/``p``.
"""

from __future__ import annotations

import functools
import re
from typing import ClassVar

from stockade.vuln.versions.interface import VersionError, VersionKey, VersionScheme

NAME = "packagist"

_MODIFIER = r"[._-]?(?:(stable|beta|b|RC|alpha|a|patch|pl|p)((?:[.-]?[0-9]+)*+)?)?([.-]?dev)?"
_CLASSICAL = re.compile(r"v?([0-9]{1,5})(\.[0-9]++)?(\.[0-9]++)?(\.[0-9]++)?" + _MODIFIER, re.I | re.A)
_DATE = re.compile(r"v?([0-9]{4}(?:[.:-]?[0-9]{2}){1,6}(?:[.:-]?[0-9]{1,3})?)" + _MODIFIER, re.I | re.A)
_ALIAS = re.compile(r"([^,\s]++) ++as ++([^,\s]++)", re.A)
_STABILITY_FLAG = re.compile(r"@(?:stable|RC|beta|alpha|dev)$", re.I | re.A)
_BUILD = re.compile(r"([^,\s+]++)\+[^\s]++", re.A)
_DEV_BRANCH = re.compile(r"(.*?)[.-]?dev", re.I | re.A | re.S)
_BRANCH_PART = r"(\.(?:[0-9]++|[xX*]))?"
_NUMERIC_BRANCH = re.compile(r"v?([0-9]++)" + _BRANCH_PART * 3, re.I | re.A)
_NON_DIGIT = re.compile(r"[^0-9]", re.A)
_EXPAND = {"a": "alpha", "b": "beta", "p": "patch", "pl": "patch", "rc": "RC"}
_PHP_TRIM = " \t\n\r\0\x0b"


def _normalize_branch(name: str) -> str | None:
    """``normalizeBranch`` for a numeric branch (``1.x`` → ``1.9999999.9999999.9999999-dev``)."""
    m = _NUMERIC_BRANCH.fullmatch(name.strip(_PHP_TRIM))
    if m is None:
        return None
    groups = [g for g in m.groups() if g is not None]
    version = "".join(g.replace("*", "x").replace("X", "x") for g in groups) + ".x" * (4 - len(groups))
    return version.replace("x", "9999999") + "-dev"


def normalize(version: str) -> str:
    """``VersionParser::normalize``; raises :class:`VersionError` for branches and invalid strings."""
    v = version.strip(_PHP_TRIM)
    m = _ALIAS.fullmatch(v)
    if m:
        v = m.group(1)
    m = _STABILITY_FLAG.search(v)
    if m:
        v = v[: m.start()]
    if v in ("master", "trunk", "default") or v[:4].lower() == "dev-":
        raise VersionError(NAME, version, "a branch name, which Composer does not order")
    m = _BUILD.fullmatch(v)
    if m:
        v = m.group(1)
    m = _CLASSICAL.fullmatch(v)
    if m:
        out = m.group(1) + "".join(g or ".0" for g in m.group(2, 3, 4))
        index = 5
    else:
        m = _DATE.fullmatch(v)
        if m:
            out = _NON_DIGIT.sub(".", m.group(1))
            index = 2
    if m:
        stability, number, dev = m.group(index, index + 1, index + 2)
        if stability:
            if stability == "stable":
                return out
            out += "-" + _EXPAND.get(stability.lower(), stability.lower()) + (number or "").lstrip(".-")
        if dev:
            out += "-dev"
        return out
    m = _DEV_BRANCH.fullmatch(v)
    if m:
        branch = _normalize_branch(m.group(1))
        if branch is not None:
            return branch
    raise VersionError(NAME, version, "not a Composer version (VersionParser::normalize)")


_PART = re.compile(r"[0-9]+|[^0-9]+", re.A)
_SEPARATORS = re.compile(r"[^A-Za-z0-9]+", re.A)
#: php's special forms, tried in this order with strncmp (a prefix match)
_SPECIAL: tuple[tuple[str, int], ...] = (
    ("dev", 0),
    ("alpha", 1),
    ("a", 1),
    ("beta", 2),
    ("b", 2),
    ("RC", 3),
    ("rc", 3),
    ("#", 4),
    ("pl", 5),
    ("p", 5),
)
_NUMBER = 4
_LONG_MAX = 2**63 - 1
_END: tuple[int, int] = (4, -1)


def _word_order(word: str) -> int:
    for name, order in _SPECIAL:
        if word.startswith(name):
            return order
    return -1


def compare_key(normalized: str) -> VersionKey:
    """The ``version_compare`` key of one (already canonical-friendly) version string."""
    out: list[int] = []
    for chunk in _SEPARATORS.split(normalized):
        for part in _PART.findall(chunk):
            if "0" <= part[0] <= "9":
                out += (_NUMBER, min(int(part), _LONG_MAX))  # strtol saturates
            else:
                out += (_word_order(part), 0)
    out += _END
    return tuple(out)


@functools.lru_cache(maxsize=65536)
def packagist_key(version: str) -> VersionKey:
    return compare_key(normalize(version))


class PackagistScheme(VersionScheme):
    NAME: ClassVar[str] = NAME
    REFERENCE: ClassVar[str] = (
        "composer/semver 3.3 VersionParser::normalize; php-src ext/standard/versioning.c version_compare"
    )

    def key(self, version: str) -> VersionKey:
        return packagist_key(version)
