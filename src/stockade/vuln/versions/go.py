"""Go module versions.

golang.org/x/mod/semver (``semver.go``: ``parse``, ``Compare``, ``comparePrerelease``): SemVer 2.0.0
with a mandatory leading ``v``, plus the shorthands ``vMAJOR`` and ``vMAJOR.MINOR`` (= ``.0.0`` /
``.0``; no pre-release or build allowed on a shorthand).  Build metadata is ignored, so
``v2.0.0+incompatible == v2.0.0``.

Pseudo-versions need no special case: they are pre-releases by construction
(https://go.dev/ref/mod#pseudo-versions).  ``v0.0.0-20191109021931-daa7c04131f5`` has the single
alphanumeric identifier ``20191109021931-daa7c04131f5`` (ordered by its UTC timestamp prefix), and
``vX.Y.(Z+1)-0.yyyymmddhhmmss-hash`` / ``vX.Y.Z-pre.0.yyyymmddhhmmss-hash`` sort after ``vX.Y.Z`` /
``vX.Y.Z-pre`` and before the next tagged release, exactly as semver precedence gives.

``semver.Compare`` orders invalid strings below every valid one; here they raise :class:`VersionError`
instead.  OSV ``SEMVER`` ranges for Go carry no ``v``: use the ``semver`` scheme for those
(:func:`stockade.vuln.versions.registry.scheme_for_range`).
"""

from __future__ import annotations

import functools
import re
from typing import ClassVar

from stockade.vuln.versions.interface import VersionError, VersionKey, VersionScheme
from stockade.vuln.versions.semver import prerelease_key

NAME = "go"

_NUM = r"0|[1-9][0-9]*"
_IDENT = r"[0-9A-Za-z-]+"
_GO = re.compile(
    rf"v(?P<major>{_NUM})(?:\.(?P<minor>{_NUM})(?:\.(?P<patch>{_NUM})"
    rf"(?:-(?P<pre>{_IDENT}(?:\.{_IDENT})*))?"
    rf"(?:\+(?P<build>{_IDENT}(?:\.{_IDENT})*))?)?)?",
    re.ASCII,
)
_RELEASE: tuple[int] = (1,)


@functools.lru_cache(maxsize=65536)
def go_key(version: str) -> VersionKey:
    m = _GO.fullmatch(version)
    if m is None:
        if not version.startswith("v"):
            raise VersionError(NAME, version, "Go module versions start with 'v'")
        raise VersionError(NAME, version, "not vMAJOR[.MINOR[.PATCH[-prerelease][+build]]]")
    pre = m.group("pre")
    return (
        int(m.group("major")),
        int(m.group("minor") or 0),
        int(m.group("patch") or 0),
        _RELEASE if pre is None else prerelease_key(version, NAME, pre),
    )


class GoScheme(VersionScheme):
    NAME: ClassVar[str] = NAME
    REFERENCE: ClassVar[str] = "golang.org/x/mod/semver semver.go (parse, Compare)"

    def key(self, version: str) -> VersionKey:
        return go_key(version)
