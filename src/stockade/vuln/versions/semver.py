"""Semantic Versioning 2.0.0 (npm, crates.io, Hex, Bitnami, SwiftURL, and every OSV ``SEMVER`` range).

Precedence per https://semver.org/spec/v2.0.0.html section 11: ``MAJOR.MINOR.PATCH`` numerically; a
version with a pre-release is lower than the same version without; pre-release identifiers compare left
to right, numeric ones numerically and below alphanumeric ones, alphanumeric ones in ASCII order, and a
longer list wins when all shared identifiers are equal; build metadata (``+...``) is ignored.

Syntax is the spec's (section 2, 9, 10): no leading zeros in numbers or numeric identifiers, identifiers
``[0-9A-Za-z-]+``.  Lenient only where npm and OSV data need it: surrounding whitespace, one leading
``=`` and one leading ``v`` are dropped (node-semver accepts ``v1.2.3``; OSV's SEMVER ranges have no
``v``; Go module versions always have one).  Numbers are unbounded (node-semver rejects majors above
2**53-1, Cargo above 2**64-1; neither occurs in real data).

Sort key: ``(major, minor, patch, pre)`` where ``pre`` is ``(1,)`` for a release and
``(0, ((0, n) | (1, "id"), ...))`` for a pre-release.
"""

from __future__ import annotations

import functools
import re
from typing import Any, ClassVar

from stockade.vuln.versions.interface import VersionError, VersionKey, VersionScheme

NAME = "semver"

_NUM = r"0|[1-9][0-9]*"
_IDENT = r"[0-9A-Za-z-]+"
#: the spec's grammar; numeric pre-release identifiers are checked for leading zeros separately
SEMVER = re.compile(
    rf"(?P<major>{_NUM})\.(?P<minor>{_NUM})\.(?P<patch>{_NUM})"
    rf"(?:-(?P<pre>{_IDENT}(?:\.{_IDENT})*))?"
    rf"(?:\+(?P<build>{_IDENT}(?:\.{_IDENT})*))?",
    re.ASCII,
)
_RELEASE: tuple[int] = (1,)


def prerelease_key(version: str, scheme: str, pre: str, *, leading_zeros: bool = False) -> tuple[Any, ...]:
    """The key of a dot-separated identifier list: numeric ``(0, n)`` below alphanumeric ``(1, s)``."""
    ids: list[tuple[int, Any]] = []
    for ident in pre.split("."):
        if ident.isdigit():
            if not leading_zeros and len(ident) > 1 and ident[0] == "0":
                raise VersionError(scheme, version, f"numeric identifier {ident!r} has a leading zero")
            ids.append((0, int(ident)))
        else:
            ids.append((1, ident))
    return (0, tuple(ids))


def semver_parts(text: str, version: str, scheme: str = NAME) -> re.Match[str]:
    """Match ``text`` (``version`` without what the caller strips) against the SemVer 2.0.0 grammar."""
    m = SEMVER.fullmatch(text)
    if m is None:
        raise VersionError(scheme, version, "not MAJOR.MINOR.PATCH[-prerelease][+build] (SemVer 2.0.0)")
    return m


@functools.lru_cache(maxsize=65536)
def semver_key(version: str) -> VersionKey:
    v = version.strip()
    if v.startswith("="):
        v = v[1:].lstrip()
    if v.startswith("v"):
        v = v[1:]
    m = semver_parts(v, version)
    pre = m.group("pre")
    return (
        int(m.group("major")),
        int(m.group("minor")),
        int(m.group("patch")),
        _RELEASE if pre is None else prerelease_key(version, NAME, pre),
    )


class SemverScheme(VersionScheme):
    NAME: ClassVar[str] = NAME
    REFERENCE: ClassVar[str] = "https://semver.org/spec/v2.0.0.html (precedence: section 11)"

    def key(self, version: str) -> VersionKey:
        return semver_key(version)
