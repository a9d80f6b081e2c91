"""A plain YAML scalar's value, as PyYAML's safe loader resolves and constructs it (YAML 1.1), without
importing PyYAML.

Importing PyYAML costs 12-16 ms a run (its reader compiles a character class of all of Unicode at
import), and the fast reader (:mod:`.yamlfast`) needs nothing of it but this.  The implicit resolvers
and their order are PyYAML's ``resolver.py`` (a scalar's first character picks the candidates: a digit
tries float, then int, then timestamp; ``n`` tries bool, then null …), the patterns copied as they are
there, compiled at their first use; the values are built as ``SafeConstructor`` builds them.  Timestamps
(and any text holding a line break) are left to PyYAML itself, imported then.  A text PyYAML would refuse
to construct (``<<``, ``=``, ``0b_``) raises, as PyYAML's constructor does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

_TAG_PREFIX = "tag:yaml.org,2002:"

#: PyYAML's implicit resolvers (``yaml/resolver.py``), by tag
_PATTERNS = {
    "bool": r"""^(?:yes|Yes|YES|no|No|NO
                |true|True|TRUE|false|False|FALSE
                |on|On|ON|off|Off|OFF)$""",
    "float": r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
                |\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
                |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
                |[-+]?\.(?:inf|Inf|INF)
                |\.(?:nan|NaN|NAN))$""",
    "int": r"""^(?:[-+]?0b[0-1_]+
                |[-+]?0[0-7_]+
                |[-+]?(?:0|[1-9][0-9_]*)
                |[-+]?0x[0-9a-fA-F_]+
                |[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$""",
    "merge": r"^(?:<<)$",
    "null": r"""^(?: ~
                |null|Null|NULL
                | )$""",
    "timestamp": r"""^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
                |[0-9][0-9][0-9][0-9] -[0-9][0-9]? -[0-9][0-9]?
                 (?:[Tt]|[ \t]+)[0-9][0-9]?
                 :[0-9][0-9] :[0-9][0-9] (?:\.[0-9]*)?
                 (?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$""",
    "value": r"^(?:=)$",
}
#: first character → the tags to try, in PyYAML's order (the order the resolvers were added)
_ORDER = ("bool", "float", "int", "merge", "null", "timestamp", "value")
_FIRST = {
    "bool": "yYnNtTfFoO",
    "float": "-+0123456789.",
    "int": "-+0123456789",
    "merge": "<",
    "null": "~nN",  # and the empty text
    "timestamp": "0123456789",
    "value": "=",
}
_CANDIDATES: dict[str, tuple[str, ...]] = {}
for _tag in _ORDER:
    for _c in _FIRST[_tag]:
        _CANDIDATES[_c] = (*_CANDIDATES.get(_c, ()), _tag)
_COMPILED: dict[str, re.Pattern[str]] = {}

_BOOL = {"yes": True, "no": False, "true": True, "false": False, "on": True, "off": False}
_INF = 1e300
while _INF != _INF * _INF:  # (as SafeConstructor makes its infinity and NaN)
    _INF *= _INF
_NAN = -_INF / _INF


def _matches(tag: str, text: str) -> bool:
    pattern = _COMPILED.get(tag)
    if pattern is None:
        pattern = _COMPILED[tag] = re.compile(_PATTERNS[tag], re.X)
    return pattern.match(text) is not None


def tag_of(text: str) -> str:
    """The tag PyYAML's resolver gives a plain scalar ``text`` (``str`` when no implicit resolver
    matches), without the ``tag:yaml.org,2002:`` prefix."""
    for tag in _CANDIDATES.get(text[:1], ()) if text else ("null",):
        if _matches(tag, text):
            return tag
    return "str"


def plain(text: str) -> Any:
    """The value of the plain scalar ``text``; raises (as PyYAML's constructor does) where PyYAML cannot
    construct it."""
    if "\n" in text:  # (a folded scalar: "$" in the patterns also matches before a final line break)
        return _with_pyyaml(text)
    tag = tag_of(text)
    if tag == "str":
        return text
    if tag == "null":
        return None
    if tag == "bool":
        return _BOOL[text.lower()]
    if tag == "int":
        return _int(text)
    if tag == "float":
        return _float(text)
    if tag == "timestamp":
        return _with_pyyaml(text)
    raise ValueError(f"no constructor for a plain {text!r} ({_TAG_PREFIX}{tag})")


def _int(text: str) -> int:
    """``SafeConstructor.construct_yaml_int``."""
    value = text.replace("_", "")
    sign = -1 if value[0] == "-" else 1
    if value[0] in "+-":
        value = value[1:]
    if value == "0":
        return 0
    if value.startswith("0b"):
        return sign * int(value[2:], 2)
    if value.startswith("0x"):
        return sign * int(value[2:], 16)
    if value[0] == "0":
        return sign * int(value, 8)
    if ":" in value:
        return sign * int(_base60(value, int))
    return sign * int(value)


def _float(text: str) -> float:
    """``SafeConstructor.construct_yaml_float``."""
    value = text.replace("_", "").lower()
    sign = -1 if value[0] == "-" else 1
    if value[0] in "+-":
        value = value[1:]
    if value == ".inf":
        return sign * _INF
    if value == ".nan":
        return _NAN
    if ":" in value:
        return sign * float(_base60(value, float))
    return sign * float(value)


def _base60(value: str, number: Callable[[str], Any]) -> Any:
    """``190:20:30`` (sexagesimal, YAML 1.1), each part read by ``number``, summed as the constructors do
    (from the last part, the float sum starting at 0.0)."""
    total = number("0")
    base = 1
    for part in reversed(value.split(":")):
        total += number(part) * base
        base *= 60
    return total


def _with_pyyaml(text: str) -> Any:
    import yaml

    loader = yaml.SafeLoader("")
    try:
        tag = loader.resolve(yaml.ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
        mark = yaml.Mark("", 0, 0, 0, None, None)  # type: ignore[arg-type]  # (no snippet: no buffer)
        return loader.construct_object(yaml.ScalarNode(tag, text, mark, mark), deep=True)
    finally:
        loader.dispose()
