"""NuGet versions: ``NuGetVersion`` and ``VersionComparer.Default`` (NuGet.Client ``NuGet.Versioning``).

* ``Major[.Minor[.Patch[.Revision]]][-label(.label)*][+metadata]``: one to four numbers (each fits an
  ``int``), leading zeros allowed and dropped (``01.2`` = ``1.2.0``), the missing ones 0 — so
  ``1.0 == 1.0.0 == 1.0.0.0``; labels are ``[0-9A-Za-z-]+`` and an all-digit label has no leading zero
  (``IsValidPart``); metadata ``[0-9A-Za-z-]+`` parts are ignored for ordering;
* the four numbers compare first, then a version without labels is newer than one with labels;
* labels compare one by one (``CompareRelease``): two numeric labels numerically, a numeric one below a
  non-numeric one, otherwise ``StringComparer.OrdinalIgnoreCase`` (``1.0.0-RC1 == 1.0.0-rc1``); a label
  counts as numeric when ``int.TryParse`` accepts it, so ``-1`` is the number -1 and a digit run past
  2**31-1 is text; more labels win when the shared ones are equal.

Not reproduced: ``System.Version`` also accepts whitespace and a ``+`` sign inside the numbers
(``1. 2``, ``1.+2``); such strings are rejected here.
"""

from __future__ import annotations

import functools
import re
from typing import Any, ClassVar

from stockade.vuln.versions.interface import VersionError, VersionKey, VersionScheme

NAME = "nuget"

_PART = r"[0-9A-Za-z-]+"
_NUGET = re.compile(
    rf"(?P<nums>[0-9]+(?:\.[0-9]+){{0,3}})(?:-(?P<labels>{_PART}(?:\.{_PART})*))?(?:\+{_PART}(?:\.{_PART})*)?",
    re.ASCII,
)
_INT32 = re.compile(r"-?[0-9]+", re.ASCII)
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
_RELEASE: tuple[int] = (1,)


def _label_key(version: str, label: str) -> tuple[Any, ...]:
    if label.isdigit() and len(label) > 1 and label[0] == "0":
        raise VersionError(NAME, version, f"numeric release label {label!r} has a leading zero")
    if _INT32.fullmatch(label):
        n = int(label)
        if _INT_MIN <= n <= _INT_MAX:
            return (0, n)
    return (1, label.upper())


@functools.lru_cache(maxsize=65536)
def nuget_key(version: str) -> VersionKey:
    m = _NUGET.fullmatch(version.strip())
    if m is None:
        raise VersionError(NAME, version, "not Major[.Minor[.Patch[.Revision]]][-label][+metadata]")
    nums = [int(n) for n in m.group("nums").split(".")]
    if any(n > _INT_MAX for n in nums):
        raise VersionError(NAME, version, "a version number is larger than 2147483647")
    nums.extend([0] * (4 - len(nums)))
    labels = m.group("labels")
    pre = _RELEASE if labels is None else (0, tuple(_label_key(version, lb) for lb in labels.split(".")))
    return (nums[0], nums[1], nums[2], nums[3], pre)


class NuGetScheme(VersionScheme):
    NAME: ClassVar[str] = NAME
    REFERENCE: ClassVar[str] = "NuGet.Client src/NuGet.Core/NuGet.Versioning (NuGetVersion, VersionComparer)"

    def key(self, version: str) -> VersionKey:
        return nuget_key(version)
