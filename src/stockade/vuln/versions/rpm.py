"""RPM versions (Red Hat, AlmaLinux, Rocky Linux, SUSE, openSUSE, Mageia, openEuler, Photon OS ...).

``[epoch:]version[-release]`` compared as rpm's ``labelCompare``: epoch numerically (absent = 0), then
``rpmvercmp(version)``, then ``rpmvercmp(release)``.  The split is rpm's ``parseEVR``
(``rpmio/rpmver.c``): leading digits followed by ``:`` are the epoch (``":1.0"`` has epoch 0), the
release is everything after the last ``-``.

``rpmvercmp`` (``rpmio/rpmvercmp.c``, rpm 4.18): characters other than ASCII letters, digits, ``~`` and
``^`` only separate segments and are otherwise ignored.  Walking both strings segment by segment:

* ``~`` sorts before anything, even the end of the string (``1.0~rc1 < 1.0``);
* ``^`` sorts after the end of the string but before anything else (``1.0 < 1.0^git1 < 1.0.1``);
* a digit segment beats a letter segment; digit segments compare numerically, letter segments by
  ``strcmp``; whichever string has a segment left over is newer.

So every position holds one of five token kinds, ordered ``~ < end < ^ < letters < digits``; the sort
key is the flattened token list with an end marker.

Not modelled: rpm's dependency matching (``rpmdsCompare``) skips the release when one side has none;
that is not a total order.  Here an absent release is the empty string, as ``rpmvercmp("", r)``.
"""

from __future__ import annotations

import functools
import re
from typing import ClassVar

from stockade.vuln.versions.interface import VersionError, VersionKey, VersionScheme

NAME = "rpm"

#: one rpmvercmp token: tilde, caret, a digit run or a letter run (everything else separates)
_TOKEN = re.compile(r"~|\^|[0-9]+|[A-Za-z]+")
_EPOCH = re.compile(r"([0-9]*):")
_TILDE, _END, _CARET, _ALPHA, _DIGIT = 0, 1, 2, 3, 4


@functools.lru_cache(maxsize=16384)
def _tokens(text: str) -> tuple[int | str, ...]:
    """The flattened token list of one rpmvercmp operand, end marker included."""
    out: list[int | str] = []
    for tok in _TOKEN.findall(text):
        c = tok[0]
        if c == "~":
            out.append(_TILDE)
        elif c == "^":
            out.append(_CARET)
        elif "0" <= c <= "9":
            out.append(_DIGIT)
            out.append(int(tok))
        else:
            out.append(_ALPHA)
            out.append(tok)
    out.append(_END)
    return tuple(out)


def split_evr(version: str) -> tuple[int, str, str]:
    """``(epoch, version, release)`` as rpm's ``parseEVR`` splits them (absent release = ``""``)."""
    epoch = 0
    m = _EPOCH.match(version)
    if m:
        epoch = int(m.group(1) or "0")
        version = version[m.end() :]
    ver, hyphen, rel = version.rpartition("-")
    if not hyphen:
        return epoch, version, ""
    return epoch, ver, rel


def rpmvercmp(a: str, b: str) -> int:
    """rpm's ``rpmvercmp`` on two bare version (or release) strings."""
    ka, kb = _tokens(a), _tokens(b)
    return (ka > kb) - (ka < kb)


@functools.lru_cache(maxsize=65536)
def rpm_key(version: str) -> VersionKey:
    if not version:
        raise VersionError(NAME, version, "version string is empty")
    if " " in version or not version.isprintable():
        raise VersionError(NAME, version, "version string has whitespace or control characters")
    epoch, ver, rel = split_evr(version)
    if not ver:
        raise VersionError(NAME, version, "version part is empty")
    return (epoch, *_tokens(ver), *_tokens(rel))


class RpmScheme(VersionScheme):
    NAME: ClassVar[str] = NAME
    REFERENCE: ClassVar[str] = "rpm rpmio/rpmvercmp.c rpmvercmp, rpmio/rpmver.c parseEVR (rpm 4.18)"

    def key(self, version: str) -> VersionKey:
        return rpm_key(version)
