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


_SCALARS = (str, int, float, bool)


def field_output(get: Callable[[Event], Any], ev: Event) -> tuple[str, Any]:
    """One ``%field`` of an output as :meth:`Formatter.format` makes it (``get``: its reader in
    ``Formatter.parts``): its text in the line and its value in ``output_fields``.  The replay memo learns
    an output field by field with this; ``format`` runs the same rules inlined (a test holds them equal)."""
    try:
        v = get(ev)
    except Exception:
        v = None
    t = v if v.__class__ is str else ("<NA>" if v is None else (str(v) if v.__class__ is int else render(v)))
    return t, (v if v.__class__ is str or v is None or isinstance(v, _SCALARS) else t)


class Formatter:
    """A compiled output string: literal pieces and field readers.  :meth:`format` runs a function
    generated for the string at its first use (see :meth:`_generate`)."""

    __slots__ = ("_fn", "fields", "parts")

    def __init__(self, output: str) -> None:
        self.parts: list[str | tuple[str, Callable[[Event], Any], str | None]] = []
        self.fields: list[tuple[str, Callable[[Event], Any]]] = []
        self._fn: Callable[[Event], tuple[str, dict[str, Any]]] | None = None
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
            self.parts.append((name, get, x.key if x.fn is None else None))
            self.fields.append((name, get))
        self.parts.append(output[pos:])

    def format(self, ev: Event) -> tuple[str, dict[str, Any]]:
        """The output line for ``ev`` and the value of each ``%field`` (``output_fields``): a field with
        no value is ``<NA>`` in the line and None among the values; a value that is not a string, a
        number or a boolean is given as its text (:func:`render`); a field whose reader fails on a
        malformed value counts as having none."""
        fn = self._fn
        if fn is None:
            fn = self._fn = self._generate()
        return fn(ev)

    def _generate(self) -> Callable[[Event], tuple[str, dict[str, Any]]]:
        """One function for the whole string: a plain key read inline, a derived field by its reader;
        strings (the usual value) taken as they are, others rendered."""
        scope: dict[str, Any] = {"_r": render, "_S": _SCALARS}
        lines = ["def _format(ev):", "    g = ev.get"]
        text: list[str] = []
        values: dict[str, str] = {}
        for i, p in enumerate(self.parts):
            if isinstance(p, str):
                if p:
                    text.append(repr(p))
                continue
            name, get, key = p
            v, t = f"_v{i}", f"_t{i}"
            if key is not None:
                lines.append(f"    {v} = g({key!r})")
            else:
                scope[f"_f{i}"] = get
                lines += ["    try:", f"        {v} = _f{i}(ev)", "    except Exception:"]
                lines.append(f"        {v} = None")
            lines.append(
                f"    {t} = {v} if {v}.__class__ is str else ('<NA>' if {v} is None else "
                f"(str({v}) if {v}.__class__ is int else _r({v})))"
            )
            text.append(t)
            # (a name given twice keeps its last value, as a dict does)
            values[name] = f"{v} if {v}.__class__ is str or {v} is None or isinstance({v}, _S) else {t}"
        fields = ", ".join(f"{name!r}: {code}" for name, code in values.items())
        joined = " + ".join(text) if text else "''"
        lines.append(f"    return {joined}, {{{fields}}}")
        exec(compile("\n".join(lines), "<output>", "exec"), scope)
        fn: Callable[[Event], tuple[str, dict[str, Any]]] = scope["_format"]
        return fn
