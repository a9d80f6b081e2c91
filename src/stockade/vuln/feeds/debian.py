"""Debian security tracker advisory lists: ``data/DSA/list`` and ``data/DLA/list``
(salsa.debian.org/security-tracker-team/security-tracker; format described in its
``doc/narrative_introduction`` and checked by ``bin/check-syntax``)::

    [29 Mar 2023] DSA-5380-1 xorg-server - security update
    \t{CVE-2023-1393}
    \t[bullseye] - xorg-server 2:1.20.11-1+deb11u6
    \t[lenny] - vlc <not-affected> (Vulnerable code not present)
    \tNOTE: fixed in testing at time of DSA

One :class:`Advisory` per DSA/DLA id (source ``debian-dsa``/``debian-dla``), aliases = the ids in
braces.  Each ``[release] - source version`` line is one affected entry in ecosystem ``Debian:<N>``
(the release's version number: woody 3.0 … bookworm 12, trixie 13), name = the source package:

- a version → range ECOSYSTEM introduced ``0`` fixed <version>;
- ``<unfixed>`` → UNFIXED; ``<no-dsa>``, ``<ignored>``, ``<postponed>``, ``<end-of-life>`` → WONT_FIX
  (all versions, ``extra["status"]`` and ``extra["reason"]``); ``<not-affected>`` → NOT_AFFECTED.

A parenthesised note is split at ``;``: ``bug #N`` items go to ``extra["bugs"]``, an urgency word
(unimportant/low/medium/high) to ``Affected.severity``, anything else to ``extra["reason"]``.  The date
becomes ``published`` (``2023-03-29T00:00:00Z``).  ``data/CVE/list`` (per-CVE, all releases) is a
different format and is not read here; the snapshot in ``shared/data`` lacks it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from stockade.model.advisory import Advisory, Affected, AffectedState, FeedRecord, Range, RangeType
from stockade.model.status import Status, StatusKind
from stockade.vuln.feeds.common import dmy_date, read_head
from stockade.vuln.feeds.interface import FeedReader

NAME = "debian"

#: Debian release code names → version numbers (debian.org/releases); OSV's ``Debian:<N>``
RELEASES: dict[str, str] = {
    "buzz": "1.1", "rex": "1.2", "bo": "1.3", "hamm": "2.0", "slink": "2.1", "potato": "2.2",
    "woody": "3.0", "sarge": "3.1", "etch": "4.0", "lenny": "5.0", "squeeze": "6.0", "wheezy": "7",
    "jessie": "8", "stretch": "9", "buster": "10", "bullseye": "11", "bookworm": "12", "trixie": "13",
    "forky": "14", "duke": "15",
}  # fmt: skip

_HEADER = re.compile(r"^\[(?P<date>[^\]]+)\]\s+(?P<id>D[SL]A-\d+(?:-\d+)?)\s*(?P<rest>.*)$")
_RELEASE = re.compile(
    r"^\s+\[(?P<rel>[a-z-]+)\]\s+-\s+(?P<pkg>[a-z0-9][a-z0-9+.-]*)"
    r"(?:\s+(?P<ver><[a-z-]+>|[^\s(<][^\s(]*))?(?:\s+\((?P<note>[^)]*)\))?\s*$"
)
_IDS = re.compile(r"^\s+\{(?P<ids>[^}]*)\}\s*$")
_URGENCY = frozenset(("unimportant", "low", "medium", "high"))
_WONT_FIX = frozenset(("no-dsa", "ignored", "postponed", "end-of-life"))
_SOURCES = {"DSA": "debian-dsa", "DLA": "debian-dla"}


class DebianReader(FeedReader):
    NAME = NAME
    DESCRIPTION = "Debian security tracker DSA/list and DLA/list"

    @classmethod
    def detect(cls, path: str) -> bool:
        for line in read_head(path, 1024).decode("utf-8", "replace").splitlines():
            if line.strip():
                return _HEADER.match(line) is not None
        return False

    def read_file(self, path: str, problems: list[Status]) -> Iterator[FeedRecord]:
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                lines = fh.read().splitlines()
        except OSError as exc:
            self.problem(problems, path, f"could not be read: {exc.strerror or exc}")
            return
        current: _Entry | None = None
        for lineno, line in enumerate(lines, 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            header = _HEADER.match(line)
            if header:
                if current is not None:
                    yield current.advisory()
                current = _Entry(header["id"], header["date"], header["rest"])
                continue
            if current is None:
                self._bad(problems, path, lineno, "expected '[date] DSA-n package - description'")
                continue
            ids = _IDS.match(line)
            if ids:
                current.aliases.extend(ids["ids"].split())
                continue
            stripped = line.strip()
            if stripped.startswith("NOTE:"):
                current.notes.append(stripped[5:].strip())
                continue
            release = _RELEASE.match(line)
            if release is None:
                self._bad(problems, path, lineno, "expected '[release] - package version' or '{CVE-...}'")
                continue
            affected = _affected(release["rel"], release["pkg"], release["ver"], release["note"])
            if isinstance(affected, str):
                self._bad(problems, path, lineno, affected)
                continue
            current.affected.append(affected)
        if current is not None:
            yield current.advisory()

    def _bad(self, problems: list[Status], path: str, lineno: int, what: str) -> None:
        self.problem(
            problems, path, f"failed to parse Debian advisory list: line {lineno}: {what}", StatusKind.PARTIAL
        )


class _Entry:
    __slots__ = ("affected", "aliases", "date", "id", "notes", "title")

    def __init__(self, id_: str, date: str, title: str) -> None:
        self.id = id_
        self.date = date
        self.title = title.strip()
        self.aliases: list[str] = []
        self.notes: list[str] = []
        self.affected: list[Affected] = []

    def advisory(self) -> Advisory:
        day = dmy_date(self.date)
        packages, _, description = self.title.partition(" - ")
        extra: dict[str, Any] = {"packages": packages.split()} if packages else {}
        if self.notes:
            extra["notes"] = self.notes
        return Advisory(
            id=self.id,
            source=_SOURCES[self.id[:3]],
            affected=tuple(self.affected),
            aliases=tuple(dict.fromkeys(self.aliases)),
            summary=self.title,
            details=description.strip(),
            published=f"{day}T00:00:00Z" if day else None,
            references=(f"https://security-tracker.debian.org/tracker/{self.id}",),
            extra=extra,
        )


def _affected(release: str, package: str, version: str | None, note: str | None) -> Affected | str:
    """The affected entry of one release line, or what was wrong with it."""
    number = RELEASES.get(release)
    if number is None:
        return f"unknown release {release!r}"
    if not version:
        return f"expected a version or <state> after the package {package!r}"
    extra: dict[str, Any] = {}
    severity = None
    reasons: list[str] = []
    for item in (note or "").split(";"):
        item = item.strip()
        if not item:
            continue
        if item.startswith("bug #"):
            extra.setdefault("bugs", []).append(item[5:].strip())
        elif item in _URGENCY:
            severity = item
        else:
            reasons.append(item)
    if reasons:
        extra["reason"] = "; ".join(reasons)
    ecosystem = f"Debian:{number}"
    every = (Range(RangeType.ECOSYSTEM, (("introduced", "0"),)),)
    if not version.startswith("<"):
        fixed = Range(RangeType.ECOSYSTEM, (("introduced", "0"), ("fixed", version)))
        return Affected(ecosystem, package, (fixed,), severity=severity, extra=extra)
    state = version[1:-1]
    extra["status"] = state
    if state == "unfixed":
        return Affected(
            ecosystem, package, every, state=AffectedState.UNFIXED, severity=severity, extra=extra
        )
    if state in _WONT_FIX:
        return Affected(
            ecosystem, package, every, state=AffectedState.WONT_FIX, severity=severity, extra=extra
        )
    if state == "not-affected":
        return Affected(ecosystem, package, state=AffectedState.NOT_AFFECTED, severity=severity, extra=extra)
    return f"unknown state {version!r}"
