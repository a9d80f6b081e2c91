"""Run-time helpers of the comparison operators whose work is more than one Python expression.

Semantics are libsinsp's (``filter_compare.cpp``; https://falco.org/docs/concepts/rules/conditions/):
``glob`` is a whole-string shell glob whose ``*`` also crosses ``/``; ``regex`` must match the whole value
(RE2 ``ANCHOR_BOTH``); ``pmatch`` is true when a right-hand path is a prefix of the value *by path
components*, globs allowed in the right-hand paths
(https://falco.org/docs/rules/pmatch-operator/); ``bcontains``/``bstartswith`` take hex bytes; an
``ipnet`` field matches a network that contains the address.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import functools
import ipaddress
import os.path
import re
from collections.abc import Iterable
from typing import Any

Net = ipaddress.IPv4Network | ipaddress.IPv6Network


def glob_regex(pattern: str, *, icase: bool = False) -> re.Pattern[str]:
    return re.compile(fnmatch.translate(pattern), re.IGNORECASE | re.DOTALL if icase else re.DOTALL)


class PathPrefixes:
    """The right-hand side of ``pmatch``: a set of path prefixes, some with glob components."""

    __slots__ = ("exact", "globbed")

    def __init__(self, paths: Iterable[str]) -> None:
        self.exact: list[str] = []
        self.globbed: list[list[re.Pattern[str]]] = []
        for p in paths:
            p = p.rstrip("/") or "/"
            if any(ch in p for ch in "*?["):
                self.globbed.append([glob_regex(c) for c in p.split("/")])
            else:
                self.exact.append(p)

    def match(self, value: Any) -> bool:
        if not isinstance(value, str):
            return False
        for p in self.exact:
            if value == p or (value.startswith(p) and (p == "/" or value[len(p) : len(p) + 1] == "/")):
                return True
        if self.globbed:
            parts = value.rstrip("/").split("/") if value != "/" else [""]
            for comps in self.globbed:
                if len(parts) >= len(comps) and all(
                    rx.match(part) for rx, part in zip(comps, parts, strict=False)
                ):
                    return True
        return False


@functools.lru_cache(maxsize=65536)
def _addr(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


class Networks:
    """Networks an ``ipnet`` field is tested against: ``contains(v)`` is ``in_nets(v, nets)``, with the
    networks as integers and the answer kept per value (events repeat the same few addresses)."""

    __slots__ = ("_cache", "_spans", "nets")

    MAX_CACHE = 4096

    def __init__(self, nets: Iterable[Net]) -> None:
        self.nets = tuple(nets)
        self._spans = tuple((n.version, int(n.netmask), int(n.network_address)) for n in self.nets)
        self._cache: dict[str, bool] = {}

    def contains(self, value: Any) -> bool:
        if value is None:
            return False
        key = str(value)
        hit = self._cache.get(key)
        if hit is None:
            a = _addr(key)
            if a is None:
                hit = False
            else:
                version, ip = a.version, int(a)
                hit = any(version == v and ip & mask == net for v, mask, net in self._spans)
            if len(self._cache) >= self.MAX_CACHE:
                self._cache.clear()
            self._cache[key] = hit
        return hit


def in_nets(value: Any, nets: tuple[Net, ...]) -> bool:
    if value is None:
        return False
    a = _addr(str(value))
    if a is None:
        return False
    return any(a.version == n.version and a in n for n in nets)


def to_bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8", "surrogateescape")


def bcontains(value: Any, needle: bytes) -> bool:
    return value is not None and needle in to_bytes(value)


def bstartswith(value: Any, prefix: bytes) -> bool:
    return value is not None and to_bytes(value).startswith(prefix)


def num(value: Any) -> float | int | None:
    """A number for ``< <= > >=``: ints and floats as they are, numeric strings parsed, else None."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            return int(value, 0)
        except ValueError:
            try:
                return float(value)
            except ValueError:
                return None
    return None


# -- transformers -------------------------------------------------------------------------------------
def t_tolower(v: Any) -> Any:
    return v.lower() if isinstance(v, str) else v


def t_toupper(v: Any) -> Any:
    return v.upper() if isinstance(v, str) else v


def t_b64(v: Any) -> Any:
    if v is None:
        return None
    try:
        return base64.b64decode(to_bytes(v), validate=False).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return None


def t_basename(v: Any) -> Any:
    return os.path.basename(v) if isinstance(v, str) else v


def t_len(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, (str, bytes, list, tuple)):
        return len(v)
    return len(str(v))


def t_concat(*parts: Any) -> Any:
    if any(p is None for p in parts):
        return None
    return "".join(",".join(map(str, p)) if isinstance(p, list) else str(p) for p in parts)


def t_join(sep: Any, items: Any) -> Any:
    if sep is None or items is None:
        return None
    seq = items if isinstance(items, (list, tuple)) else [items]
    if any(i is None for i in seq):
        return None
    return str(sep).join(str(i) for i in seq)


TRANSFORMS = {
    "tolower": t_tolower,
    "toupper": t_toupper,
    "b64": t_b64,
    "basename": t_basename,
    "len": t_len,
    "concat": t_concat,
    "join": t_join,
}
