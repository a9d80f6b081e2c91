"""Dart package versions (Pub): ``pub_semver``'s ``Version.compareTo``.

SemVer 2.0.0-rc.1 as pub_semver implements it (``lib/src/version.dart``), which differs from SemVer
2.0.0 (:mod:`stockade.vuln.versions.semver`) in two ways that affect ordering:

* build metadata counts: after the pre-release, a version without build sorts first, then builds
  compare identifier by identifier like pre-releases — ``1.0.0-pre < 1.0.0-pre+b < 1.0.0 < 1.0.0+b``
  (OSV's ``osv/ecosystems/pub.py`` relies on the same);
* numbers may have leading zeros, and an identifier is a number when Dart's ``int.tryParse`` accepts it
  (decimal with an optional ``-``, or ``0x`` hex, within 64 bits), otherwise a string; numbers sort
  before strings, strings by code unit, and a missing identifier before a present one.
"""

from __future__ import annotations

import functools
import re
from typing import Any, ClassVar

from stockade.vuln.versions.interface import VersionError, VersionKey, VersionScheme

NAME = "pub"

_IDENT = r"[0-9A-Za-z-]+"
_PUB = re.compile(
    rf"([0-9]+)\.([0-9]+)\.([0-9]+)(?:-({_IDENT}(?:\.{_IDENT})*))?(?:\+({_IDENT}(?:\.{_IDENT})*))?", re.A
)
_DART_INT = re.compile(r"(-?)(?:([0-9]+)|0[xX]([0-9a-fA-F]+))", re.A)
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_RELEASE: tuple[int] = (1,)
_NO_BUILD: tuple[int] = (0,)


def _parts(text: str) -> tuple[Any, ...]:
    out: list[tuple[int, Any]] = []
    for part in text.split("."):
        m = _DART_INT.fullmatch(part)
        if m:
            sign, dec, hexa = m.groups()
            n = int(dec) if dec is not None else int(hexa, 16)
            n = -n if sign else n
            if _INT64_MIN <= n <= _INT64_MAX:
                out.append((0, n))
                continue
        out.append((1, part))
    return tuple(out)


@functools.lru_cache(maxsize=65536)
def pub_key(version: str) -> VersionKey:
    m = _PUB.fullmatch(version)
    if m is None:
        raise VersionError(NAME, version, "not MAJOR.MINOR.PATCH[-prerelease][+build]")
    major, minor, patch, pre, build = m.groups()
    return (
        int(major),
        int(minor),
        int(patch),
        _RELEASE if pre is None else (0, _parts(pre)),
        _NO_BUILD if build is None else (1, _parts(build)),
    )


class PubScheme(VersionScheme):
    NAME: ClassVar[str] = NAME
    REFERENCE: ClassVar[str] = "dart-lang pub_semver lib/src/version.dart (Version.compareTo)"

    def key(self, version: str) -> VersionKey:
        return pub_key(version)
