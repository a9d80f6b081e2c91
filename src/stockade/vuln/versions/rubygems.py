"""RubyGems versions: ``Gem::Version`` (rubygems ``lib/rubygems/version.rb``).

* syntax: ``ANCHORED_VERSION_PATTERN`` =
  ``\\A\\s*([0-9]+(?>\\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*)?)?\\s*\\z``; every ``-`` then
  becomes ``.pre.`` (``1.0-1`` is ``1.0.pre.1``);
* segments: ``scan(/[0-9]+|[a-z]+/i)``, digit runs as integers (``1.0a1`` = ``[1, 0, "a", 1]``);
* a version is a pre-release when it contains any letter;
* ``canonical_segments`` drops trailing zeros from the numeric head and from the rest separately
  (``1.0.0 == 1``, ``1.0.a.0 == 1.a``);
* ``<=>`` pads the shorter list with ``0``; a string sorts below a number (``1.a < 1 < 1.0.1``),
  numbers compare numerically, strings bytewise.

Ruby treats an empty or blank string as ``"0"``; here it is an error (no package has an empty version).

Sort key: one ``(rank, value)`` per canonical segment plus an end marker.  A ``0`` that is not trailing
compares like the end of the shorter list only until the next non-zero segment decides, so it is
encoded with the sign of that segment (``(1, 0, -1)`` when a string follows, ``(1, 0, 1)`` when a
number does): tuple order then equals ``<=>`` on 0-padded segment lists.
"""

from __future__ import annotations

import functools
import re
from typing import Any, ClassVar

from stockade.vuln.versions.interface import VersionError, VersionKey, VersionScheme

NAME = "rubygems"

_PATTERN = re.compile(r"\s*([0-9]+(?>\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?)?\s*", re.ASCII)
_SEGMENT = re.compile(r"[0-9]+|[a-z]+", re.IGNORECASE | re.ASCII)
_END: tuple[int, int, int] = (1, 0, 0)


def segments(version: str) -> list[int | str]:
    """``Gem::Version#canonical_segments`` (after validation)."""
    text = version.strip().replace("-", ".pre.")
    segs: list[int | str] = [int(s) if s[0].isdigit() else s for s in _SEGMENT.findall(text)]
    split = next((i for i, s in enumerate(segs) if isinstance(s, str)), len(segs))
    head, tail = segs[:split], segs[split:]
    while head and head[-1] == 0:
        head.pop()
    while tail and tail[-1] == 0:
        tail.pop()
    return head + tail


@functools.lru_cache(maxsize=65536)
def rubygems_key(version: str) -> VersionKey:
    if not _PATTERN.fullmatch(version):
        raise VersionError(NAME, version, "malformed version number string (Gem::Version)")
    if not version.strip():
        raise VersionError(NAME, version, "version string is empty")
    segs = segments(version)
    out: list[tuple[Any, ...]] = []
    for i, seg in enumerate(segs):
        if isinstance(seg, str):
            out.append((0, seg))
        elif seg:
            out.append((1, seg, 0))
        else:
            # not trailing (canonical_segments dropped those): the next non-zero segment decides
            nxt = next(s for s in segs[i + 1 :] if s != 0)
            out.append((1, 0, -1 if isinstance(nxt, str) else 1))
    out.append(_END)
    return tuple(out)


class RubyGemsScheme(VersionScheme):
    NAME: ClassVar[str] = NAME
    REFERENCE: ClassVar[str] = "rubygems lib/rubygems/version.rb (Gem::Version#<=>, canonical_segments)"

    def key(self, version: str) -> VersionKey:
        return rubygems_key(version)
