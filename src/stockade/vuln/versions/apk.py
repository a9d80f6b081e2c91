"""Alpine package versions (Alpine, Wolfi, Chainguard, MinimOS, Alpaquita ...).

The grammar and ordering of apk-tools ``src/version.c`` (the current tokenizer with ``token_first`` /
``token_next`` / ``token_cmp``; ``test/unit/version.data`` holds its vectors)::

    digit{.digit}...{letter}{_suffix{number}}...{~hash}{-rN}

* the first number and the revision (``-rN``) and suffix numbers compare numerically (uint64; apk
  wraps larger values modulo 2**64, and so does this module);
* a later ``.number`` compares numerically, unless either side starts with ``0``: then both compare as
  strings (``1.0 < 1.001 < 1.01``, Gentoo's rule);
* one lowercase letter may follow a number (``1.2a``) and compares by its code;
* suffixes: ``_alpha < _beta < _pre < _rc < (none) < _cvs < _svn < _git < _hg < _p``, each with an
  optional number;
* ``~hash`` (lowercase hex) compares as a string;
* when one version runs out of tokens first, it is older, unless the other continues with a
  pre-release suffix (``_alpha`` ... ``_rc``): ``1.0_rc1 < 1.0 < 1.0-r1 < 1.0.1``.  More precisely,
  where the token kinds differ the one with the *later* kind in
  ``digit < letter < suffix < suffix-number < ~hash < -r < end`` is older.

The sort key is a tuple of ``(rank, value)`` pairs plus an end marker, with ranks chosen so that tuple
order reproduces ``apk_version_compare``: a pre-release suffix lowest, then the end, revision, hash,
suffix number, post-release suffix, letter, digit.  Anything apk's ``apk_version_validate`` rejects
(``1.0bc``, ``1.0_foo``, ``1.0-r``, upper case ...) raises :class:`VersionError`.
"""

from __future__ import annotations

import functools
import re
from typing import Any, ClassVar

from stockade.vuln.versions.interface import VersionError, VersionKey, VersionScheme

NAME = "apk"

_INITIAL = re.compile(r"[0-9]+")
_SUFFIX_WORD = re.compile(r"[a-z]*")
_HEX = re.compile(r"[0-9a-f]*")
_UINT64 = 2**64

#: apk-tools' DECLARE_SUFFIXES order; 5 is the absent suffix
_SUFFIXES = {"alpha": 1, "beta": 2, "pre": 3, "rc": 4, "cvs": 6, "svn": 7, "git": 8, "hg": 9, "p": 10}
_SUFFIX_NONE = 5

# token kinds as in version.c
_T_INITIAL, _T_DIGIT, _T_LETTER, _T_SUFFIX, _T_SUFFIX_NO, _T_HASH, _T_REVISION = range(7)

# key ranks: ascending = older
_R_PRE_SUFFIX, _R_END, _R_REVISION, _R_HASH, _R_SUFFIX_NO, _R_POST_SUFFIX, _R_LETTER, _R_DIGIT, _R_INITIAL = (
    range(9)
)


def _bad(version: str, at: int, what: str) -> VersionError:
    return VersionError(NAME, version, f"{what} at offset {at}")


def _digits(version: str, pos: int) -> tuple[str, int]:
    m = _INITIAL.match(version, pos)
    if not m:
        raise _bad(version, pos, "expected a number")
    return m.group(), m.end()


@functools.lru_cache(maxsize=65536)
def apk_key(version: str) -> VersionKey:
    if not version:
        raise VersionError(NAME, version, "version string is empty")
    run, pos = _digits(version, 0)
    out: list[tuple[Any, ...]] = [(_R_INITIAL, int(run) % _UINT64)]
    token = _T_INITIAL
    n = len(version)
    while pos < n:
        c = version[pos]
        if "a" <= c <= "z":
            if token > _T_DIGIT:
                raise _bad(version, pos, "a letter may only follow a number")
            out.append((_R_LETTER, c))
            token = _T_LETTER
            pos += 1
        elif c == "." or "0" <= c <= "9":
            if c == ".":
                if token > _T_DIGIT:
                    raise _bad(version, pos, "'.' may only follow a number")
                pos += 1
            if token in (_T_INITIAL, _T_DIGIT):
                run, pos = _digits(version, pos)
                token = _T_DIGIT
                # Gentoo rule: a leading zero on either side means string comparison
                out.append((_R_DIGIT, 0, run) if run[0] == "0" else (_R_DIGIT, 1, int(run) % _UINT64))
            elif token == _T_SUFFIX:
                run, pos = _digits(version, pos)
                token = _T_SUFFIX_NO
                out.append((_R_SUFFIX_NO, int(run) % _UINT64))
            else:
                raise _bad(version, pos, "a number may not follow a letter or a revision")
        elif c == "_":
            if token > _T_SUFFIX_NO:
                raise _bad(version, pos, "a suffix may not follow a hash or a revision")
            m = _SUFFIX_WORD.match(version, pos + 1)
            assert m is not None  # [a-z]* always matches
            word = m.group()
            value = _SUFFIXES.get(word)
            if value is None:
                raise _bad(version, pos, f"unknown suffix {'_' + word!r}")
            out.append((_R_PRE_SUFFIX if value < _SUFFIX_NONE else _R_POST_SUFFIX, value))
            token = _T_SUFFIX
            pos = m.end()
        elif c == "~":
            if token >= _T_HASH:
                raise _bad(version, pos, "a second '~hash' or one after the revision")
            m = _HEX.match(version, pos + 1)
            assert m is not None
            if not m.group():
                raise _bad(version, pos, "'~' must be followed by a lowercase hex commit hash")
            out.append((_R_HASH, m.group()))
            token = _T_HASH
            pos = m.end()
        elif c == "-":
            if token >= _T_REVISION or not version.startswith("-r", pos):
                raise _bad(version, pos, "'-' must start the one revision '-rN'")
            run, pos = _digits(version, pos + 2)
            out.append((_R_REVISION, int(run) % _UINT64))
            token = _T_REVISION
        else:
            raise _bad(version, pos, f"unexpected character {c!r}")
    out.append((_R_END,))
    return tuple(out)


class ApkScheme(VersionScheme):
    NAME: ClassVar[str] = NAME
    REFERENCE: ClassVar[str] = "apk-tools src/version.c (token_next, token_cmp, apk_version_compare)"

    def key(self, version: str) -> VersionKey:
        return apk_key(version)
