"""The version-scheme family: one exact ordering per packaging ecosystem.

A :class:`VersionScheme` turns a version string into a *sort key*: a tuple built only of ints, strs and
nested tuples of them, such that ``key(a) < key(b)`` exactly when the ecosystem's own tool orders ``a``
before ``b``.  Keys are what range matching compares (OSV ``introduced``/``fixed``/``last_affected``), so
they are built once per distinct string (``functools.lru_cache``) and compared as plain tuples.  A string
the ecosystem rejects raises :class:`VersionError`; schemes never guess.

One ecosystem does not have a total order: Maven's ``ComparableVersion.compareTo`` is not transitive on
some mixed versions (``1 < 1.sp.1 < 1-alpha < 1``).  :meth:`VersionScheme.compare` is always the tool's
exact pairwise answer; for Maven :meth:`~VersionScheme.key` is a total order that agrees with it wherever
the tool itself is consistent (see :mod:`stockade.vuln.versions.maven`).

Speed (measured on the shared 2-core development machine under load, CPython 3.11, every string new, so
each call parses): dpkg ~95k keys/s, rpm ~110k, apk ~90k, pep440 ~115k, semver ~120k, go ~100k,
rubygems ~85k, nuget ~70k, packagist ~65k, pub ~40k, maven ~38k; a repeated string is an
``lru_cache`` hit at ~0.3 µs.  Keying 10,000 installed versions plus 30,000 advisory bounds therefore
takes ~0.4 s cold (``tests/vuln/versions/test_registry_speed.py`` holds it under a generous bound).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

from stockade.errors import InputError

#: A sort key: a tuple of ints, strs and nested tuples of them.  Only keys of one scheme are comparable.
VersionKey = tuple[Any, ...]


class VersionError(InputError):
    """A version string the scheme cannot order.  The message names the version and the reason."""

    def __init__(self, scheme: str, version: str, reason: str) -> None:
        super().__init__(
            f"invalid {scheme} version {version!r}: {reason}",
            hint="check the version string; it does not follow the ecosystem's version syntax",
        )
        self.scheme = scheme
        self.version = version
        self.reason = reason


class VersionScheme(ABC):
    """One ecosystem's version ordering.  Stateless: the registry hands out one shared instance."""

    NAME: ClassVar[str]
    #: Where the rules come from (spec or upstream source file).
    REFERENCE: ClassVar[str] = ""

    @abstractmethod
    def key(self, version: str) -> VersionKey:
        """The sort key of ``version``.  Raises :class:`VersionError` for a string the scheme rejects."""

    def compare(self, a: str, b: str) -> int:
        """-1, 0 or 1 as ``a`` sorts before, equal to or after ``b``.  Raises :class:`VersionError`."""
        ka = self.key(a)
        kb = self.key(b)
        return (ka > kb) - (ka < kb)

    def is_valid(self, version: str) -> bool:
        try:
            self.key(version)
        except VersionError:
            return False
        return True

    def sort(self, versions: list[str]) -> list[str]:
        """``versions`` in ascending order (stable for equal versions).  Raises :class:`VersionError`."""
        return sorted(versions, key=self.key)
