"""Exceptions as data: the scope an exception applies to, one exception, and the set of a file.

Matching rules are described with the file format in :mod:`stockade.policy.exceptions` and in
docs/exceptions.md.  Matching is on plain strings and compiled globs; it runs once per finding.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from stockade.model.finding import Finding
from stockade.policy.globs import compile_glob, is_glob
from stockade.policy.suppression import Suppression


@dataclass(frozen=True, slots=True)
class Scope:
    """Where an exception applies.  Every field given must match; ``path`` and ``name`` may be globs."""

    path: str | None = None
    kind: str | None = None
    namespace: str | None = None
    name: str | None = None
    labels: tuple[tuple[str, str], ...] = ()
    _path_re: re.Pattern[str] | None = field(init=False, default=None, repr=False, compare=False)
    _name_re: re.Pattern[str] | None = field(init=False, default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.path is not None:
            # a trailing "/" names a directory: everything under it
            pattern = self.path + "**" if self.path.endswith("/") else self.path
            object.__setattr__(self, "path", _normalise(pattern))
            object.__setattr__(self, "_path_re", compile_glob(self.path))
        if self.name is not None and is_glob(self.name):
            object.__setattr__(self, "_name_re", compile_glob(self.name))
        object.__setattr__(self, "labels", tuple(sorted(self.labels)))

    def matches(
        self,
        paths: Sequence[str],
        kind: str | None,
        namespace: str | None,
        name: str | None,
        labels: Mapping[str, str] | None,
    ) -> bool:
        if self._path_re is not None and not any(self._path_re.match(p) for p in paths):
            return False
        if self.kind is not None and kind != self.kind:
            return False
        if self.namespace is not None and namespace != self.namespace:
            return False
        if self.name is not None:
            if name is None:
                return False
            if self._name_re is not None:
                if not self._name_re.match(name):
                    return False
            elif name != self.name:
                return False
        if self.labels:
            if labels is None:
                return False
            return all(labels.get(k) == v for k, v in self.labels)
        return True

    def describe(self) -> str:
        named = (("path", self.path), ("kind", self.kind), ("namespace", self.namespace), ("name", self.name))
        parts = [f"{k} {v}" for k, v in named if v is not None]
        if self.labels:
            parts.append("labels " + ",".join(f"{k}={v}" for k, v in self.labels))
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class ExceptionEntry:
    """One exception of the file, with the line it starts on."""

    ids: tuple[str, ...]
    scope: Scope
    reason: str
    owner: str
    expires: date
    file: str
    line: int

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    def is_expired(self, today: date) -> bool:
        return today > self.expires

    def suppression(self) -> Suppression:
        return Suppression("exceptions-file", self.reason, self.owner, self.expires, self.where)

    def expired_message(self) -> str:
        return (
            f"exception for {', '.join(self.ids)} ({self.scope.describe()}; owner {self.owner}) "
            f"expired on {self.expires.isoformat()}; it no longer applies"
        )


@dataclass(frozen=True, slots=True)
class ExceptionSet:
    """The exceptions of one file (or none).  ``root`` is the directory paths are also taken relative to."""

    entries: tuple[ExceptionEntry, ...] = ()
    file: str | None = None
    root: str | None = None
    _by_id: dict[str, tuple[ExceptionEntry, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_id: dict[str, list[ExceptionEntry]] = {}
        for entry in self.entries:
            for check_id in entry.ids:
                by_id.setdefault(check_id, []).append(entry)
        object.__setattr__(self, "_by_id", {k: tuple(v) for k, v in by_id.items()})
        if self.root is not None:
            object.__setattr__(self, "root", os.path.abspath(self.root))

    def __len__(self) -> int:
        return len(self.entries)

    def match(
        self,
        finding: Finding,
        *,
        today: date,
        kind: str | None = None,
        namespace: str | None = None,
        name: str | None = None,
        labels: Mapping[str, str] | None = None,
        path: str | None = None,
    ) -> Suppression | None:
        """The suppression of the first unexpired exception covering ``finding``, or None.  The object
        facts are None for a finding that is not about a Kubernetes object; ``path`` defaults to the
        finding's location."""
        candidates = self._by_id.get(finding.id)
        if not candidates:
            return None
        if path is None and finding.location is not None:
            path = finding.location.path
        paths = self._paths(path)
        for entry in candidates:
            if entry.is_expired(today):
                continue
            if entry.scope.matches(paths, kind, namespace, name, labels):
                return entry.suppression()
        return None

    def expired(self, today: date) -> tuple[ExceptionEntry, ...]:
        """The exceptions past their expiry date on ``today``, in file order."""
        return tuple(e for e in self.entries if e.is_expired(today))

    def _paths(self, path: str | None) -> tuple[str, ...]:
        if not path:
            return ()
        given = _normalise(path)
        if self.root is None:
            return (given,)
        absolute = os.path.abspath(path)
        if absolute.startswith(self.root.rstrip("/") + "/"):
            relative = absolute[len(self.root.rstrip("/")) + 1 :]
            if relative != given:
                return (given, relative)
        return (given,)


def _normalise(path: str) -> str:
    out = posixpath.normpath(path)
    return "" if out == "." else out


def default_root(path: str) -> str | None:
    """The project directory of ``<dir>/.stockade/exceptions.yaml`` (``<dir>``), else None."""
    parent = os.path.dirname(os.path.abspath(path))
    return os.path.dirname(parent) if os.path.basename(parent) == ".stockade" else None
