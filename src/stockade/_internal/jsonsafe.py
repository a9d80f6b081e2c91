"""JSON for data that may hold what JSON cannot: text with lone surrogates (a file name or command line
that is not UTF-8, read with ``surrogateescape``), integers past 64 bits.

orjson refuses both.  :func:`dumps` tries orjson first (the usual case costs nothing more); then writes
each lone surrogate as U+FFFD — a ``surrogateescape`` one as its original byte decoded with ``replace``,
so a non-UTF-8 name reads as a UTF-8 decoder would show it — and, for integers orjson cannot write, falls
back to the standard library's encoder.  A sensor must not stop on one event it cannot write.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def _text(s: str) -> str:
    try:
        s.encode("utf-8")
        return s
    except UnicodeEncodeError:
        pass
    try:  # (bytes kept by surrogateescape: U+DC80..U+DCFF)
        return s.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # (other lone surrogates)
        return s.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def clean(v: Any) -> Any:
    """``v`` with every text (keys too) valid UTF-8."""
    if isinstance(v, str):
        return _text(v)
    if isinstance(v, dict):
        return {clean(k): clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [clean(x) for x in v]
    return v


def dumps(obj: Any, *, sort_keys: bool = False) -> bytes:
    """``obj`` as compact JSON (UTF-8; unknown types as ``str``)."""
    option = orjson.OPT_SORT_KEYS if sort_keys else 0
    try:
        return orjson.dumps(obj, option=option, default=str)
    except orjson.JSONEncodeError:
        pass
    safe = clean(obj)
    try:
        return orjson.dumps(safe, option=option, default=str)
    except orjson.JSONEncodeError:  # (integers past 64 bits)
        text = json.dumps(safe, sort_keys=sort_keys, default=str, ensure_ascii=False, separators=(",", ":"))
        return text.encode("utf-8")
