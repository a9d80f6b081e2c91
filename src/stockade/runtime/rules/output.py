"""Rule outputs: ``%field`` and ``%field[arg]`` substituted from the event, as Falco formats them.

A field reference is ``%`` followed by a field name (``[a-zA-Z0-9_.]`` with at least one dot) and an
optional ``[arg]``; ``%%`` is a literal percent (upstream lists write ``date +%%s``).  A field with no value
prints ``<NA>`` and is ``null`` in ``output_fields`` — Falco's rendering
(https://falco.org/docs/concepts/rules/basic-elements/#output).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from stockade.model.event import Event
from stockade.runtime.rules.extract import Extract, extractor, key_getter
from stockade.runtime.rules.fields import lookup, plugin_of, resolve_name

_REF = re.compile(r"%%|%([a-zA-Z][a-zA-Z0-9_]*(?:\.[a-zA-Z0-9_]+)+)(\[[^\]]*\])?")


@dataclass(frozen=True, slots=True)
class OutputRef:
    text: str  # as written, without '%': "proc.aname[2]"
    name: str
    arg: str | None
    offset: int


def references(output: str) -> list[OutputRef]:
    out: list[OutputRef] = []
    for m in _REF.finditer(output):
        if m.group(0) == "%%":
            continue
        arg = m.group(2)[1:-1] if m.group(2) else None
        out.append(OutputRef(m.group(0)[1:], m.group(1), arg, m.start()))
    return out


def check(ref: OutputRef) -> str | None:
    """Why ``ref`` cannot be formatted, or None."""
    base, _ = resolve_name(ref.name)
    if lookup(base) is None:
        plugin = plugin_of(ref.name)
        return f"field '{ref.name}' needs the '{plugin}' plugin" if plugin else f"unknown field '{ref.name}'"
    return None


def render(v: Any) -> str:
    if v is None:
        return "<NA>"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, tuple)):
        return ",".join(render(i) for i in v)
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    return str(v)


class Formatter:
    """A compiled output string: literal pieces and field readers."""

    __slots__ = ("fields", "parts")

    def __init__(self, output: str) -> None:
        self.parts: list[str | tuple[str, Callable[[Event], Any]]] = []
        self.fields: list[tuple[str, Callable[[Event], Any]]] = []
        pos = 0
        for m in _REF.finditer(output):
            self.parts.append(output[pos : m.start()])
            pos = m.end()
            if m.group(0) == "%%":
                self.parts.append("%")
                continue
            arg = m.group(2)[1:-1] if m.group(2) else None
            base, dotted = resolve_name(m.group(1))
            if lookup(base) is None:
                self.parts.append(m.group(0))
                continue
            x: Extract = extractor(base, dotted if dotted is not None else arg)
            name = m.group(0)[1:]
            get: Callable[[Event], Any] = x.fn if x.fn is not None else key_getter(x.key or name)
            self.parts.append((name, get))
            self.fields.append((name, get))
        self.parts.append(output[pos:])

    def format(self, ev: Event) -> tuple[str, dict[str, Any]]:
        text: list[str] = []
        values: dict[str, Any] = {}
        for p in self.parts:
            if isinstance(p, str):
                text.append(p)
                continue
            name, get = p
            try:
                v = get(ev)
            except Exception:  # a malformed event value: show it as missing
                v = None
            c = v.__class__
            if c is str:  # (the usual cases first, without render()'s tests)
                values[name] = v
                text.append(v)
            elif v is None:
                values[name] = None
                text.append("<NA>")
            elif c is int:
                values[name] = v
                text.append(str(v))
            else:
                r = render(v)
                values[name] = v if isinstance(v, (str, int, float, bool)) else r
                text.append(r)
        return "".join(text), values
