"""Python package versions (PyPI): PEP 440 as implemented by ``packaging.version.Version``.

Parsing, normalisation (``1.0-ALPHA_1`` = ``1.0a1``, ``1.0.post`` = ``1.0.post0``, ``v1.0`` = ``1.0``)
and ordering are packaging's; legacy versions that pip no longer accepts (``2004d``, ``1.0-foo``)
raise :class:`VersionError`.  The key is built from the public fields, not packaging's private
``_key`` (its shape changed between releases), and mirrors ``packaging.version._cmpkey``
(https://peps.python.org/pep-0440/#summary-of-permitted-suffixes-and-relative-ordering)::

    (epoch, release without trailing zeros, pre, post, dev, local)

``.devN`` alone sorts before every pre-release of the same release; no pre-release sorts after
``rc``; no post-release before any; no ``.dev`` after any; a local label (``+ubuntu.1``) sorts after
the same public version, its segments comparing ints numerically above strings.
"""

from __future__ import annotations

import functools
from typing import Any, ClassVar

from packaging.version import InvalidVersion, Version

from stockade.vuln.versions.interface import VersionError, VersionKey, VersionScheme

NAME = "pep440"

_DEV_ONLY: tuple[int] = (0,)
_NO_PRE: tuple[int] = (2,)
_NO_POST: tuple[int] = (0,)
_NO_DEV: tuple[int] = (1,)
_NO_LOCAL: tuple[int] = (0,)


def _local_key(local: str) -> tuple[Any, ...]:
    # packaging normalises the separators to "." and lower-cases the label
    return (1, tuple((1, int(seg)) if seg.isdigit() else (0, seg) for seg in local.split(".")))


@functools.lru_cache(maxsize=65536)
def pep440_key(version: str) -> VersionKey:
    try:
        v = Version(version)
    except InvalidVersion:
        raise VersionError(NAME, version, "not a PEP 440 version") from None
    release = v.release
    i = len(release)
    while i and release[i - 1] == 0:
        i -= 1
    pre, post, dev, local = v.pre, v.post, v.dev, v.local
    if pre is None:
        pre_key: tuple[Any, ...] = _DEV_ONLY if post is None and dev is not None else _NO_PRE
    else:
        pre_key = (1, pre[0], pre[1])  # "a" < "b" < "rc"
    return (
        v.epoch,
        release[:i],
        pre_key,
        _NO_POST if post is None else (1, post),
        _NO_DEV if dev is None else (0, dev),
        _NO_LOCAL if local is None else _local_key(local),
    )


class Pep440Scheme(VersionScheme):
    NAME: ClassVar[str] = NAME
    REFERENCE: ClassVar[str] = "PEP 440; packaging.version.Version"

    def key(self, version: str) -> VersionKey:
        return pep440_key(version)
