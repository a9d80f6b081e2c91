"""Debian package versions (Debian, Ubuntu and their derivatives).

Debian Policy 5.6.12 ``[epoch:]upstream_version[-debian_revision]``; the comparison is dpkg's
``verrevcmp`` (dpkg ``lib/dpkg/version.c``), the validity rules dpkg's ``parseversion``
(``lib/dpkg/parsehelp.c``):

* the epoch is a decimal number (default 0) and compares numerically first;
* the revision is everything after the *last* hyphen (absent = ``""``, which dpkg orders like ``"0"``);
* upstream and revision compare alike: alternating non-digit and digit runs; in a non-digit run
  ``~`` sorts before everything, even the end of the string, then the end of the run, then letters
  (ASCII order), then every other character (ASCII order + 256); a digit run compares as a number
  (an absent run is 0).

Strict where dpkg only warns (``dpkg --compare-versions`` still compares those): an upstream version
must start with a digit and use only ``[A-Za-z0-9.+~:-]``, a revision only ``[A-Za-z0-9.+~]``.

Sort key: ``(epoch, *upstream, *revision)`` with each part flattened to ``order(c)...,0,number,...,0``:
the ``0`` that ends a non-digit run doubles as the end-of-string marker, which is exactly where dpkg
puts the end (above ``~``, below everything else).
"""

from __future__ import annotations

import functools
import re
import string
from typing import ClassVar

from stockade.vuln.versions.interface import VersionError, VersionKey, VersionScheme

NAME = "dpkg"

_PAIR = re.compile(r"([^0-9]*)([0-9]*)")
_UPSTREAM_OK = re.compile(r"[0-9][A-Za-z0-9.+~:-]*")
_REVISION_OK = re.compile(r"[A-Za-z0-9.+~]*")
_EPOCH = re.compile(r"\+?[0-9]+")  # strtol: an optional "+"
_INT_MAX = 2**31 - 1

#: dpkg's ``order()``: letters their code, ``~`` -1, anything else code + 256 (digits never reach it)
_ORDER: dict[str, int] = {c: ord(c) + 256 for c in ".+-:"}
_ORDER.update({c: ord(c) for c in string.ascii_letters})
_ORDER["~"] = -1


@functools.lru_cache(maxsize=16384)
def _part_key(part: str) -> tuple[int, ...]:
    """The flattened key of an upstream version or revision (already validated); parts repeat a lot."""
    out: list[int] = []
    for text, digits in _PAIR.findall(part)[:-1]:  # findall ends with an empty match
        if text:
            out.extend([_ORDER[c] for c in text])
        out.append(0)  # the end of the non-digit run
        out.append(int(digits) if digits else 0)  # an absent digit run counts as 0
    out.append(0)  # the end of the string
    return tuple(out)


@functools.lru_cache(maxsize=65536)
def dpkg_key(version: str) -> VersionKey:
    v = version.strip(" \t")
    if not v:
        raise VersionError(NAME, version, "version string is empty")
    if " " in v or "\t" in v:
        raise VersionError(NAME, version, "version string has embedded spaces")
    epoch = 0
    head, colon, rest = v.partition(":")
    if colon:
        if not head:
            raise VersionError(NAME, version, "epoch in version is empty")
        if not _EPOCH.fullmatch(head):
            raise VersionError(NAME, version, "epoch in version is not a number")
        epoch = int(head)
        if epoch > _INT_MAX:
            raise VersionError(NAME, version, "epoch in version is too big")
        if not rest:
            raise VersionError(NAME, version, "nothing after colon in version number")
        v = rest
    upstream, hyphen, revision = v.rpartition("-")
    if not hyphen:
        upstream, revision = v, ""
    elif not revision:
        raise VersionError(NAME, version, "revision number is empty")
    if not upstream:
        raise VersionError(NAME, version, "upstream version is empty")
    if not _UPSTREAM_OK.fullmatch(upstream):
        if not "0" <= upstream[0] <= "9":
            raise VersionError(NAME, version, "version number does not start with digit")
        raise VersionError(NAME, version, "invalid character in version number")
    if not _REVISION_OK.fullmatch(revision):
        raise VersionError(NAME, version, "invalid character in revision number")
    return (epoch, *_part_key(upstream), *_part_key(revision or "0"))


class DpkgScheme(VersionScheme):
    NAME: ClassVar[str] = NAME
    REFERENCE: ClassVar[str] = "Debian Policy 5.6.12; dpkg lib/dpkg/version.c verrevcmp"

    def key(self, version: str) -> VersionKey:
        return dpkg_key(version)
