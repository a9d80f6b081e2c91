"""An alert's line as the replay memo writes it without Python: a *program* of literal bytes, the time, and
the pieces of the rule's output fields, which the memo learns field by field (``_screen.c``).

An alert's JSON line (``Alert.to_json``) is ``{"hostname":…,"output":"<time>: <Priority> <text>",
"output_fields":{…},"priority":…,"rule":…,"source":…,"tags":[…],"time":"<time>"}``; its text line
(``Alert.line``) is ``<time>: <Priority> <text>``.  Everything in them but the host, the time and the
fields' texts and values is the rule's own.  JSON escapes a string character by character, so the escaped
text is the concatenation of its escaped pieces; ``orjson`` writes a dict's values one by one, so the fields
object is the concatenation of ``"name":value`` pieces.  Of an output field (``%proc.name``), the memo keeps
three pieces: its text escaped for JSON, its value as JSON, its text (:func:`field_pieces`).  A field named
twice keeps its first place in ``output_fields`` (a dict's), with the same value.

A program is not trusted on this reasoning alone: the replay registers one only after writing an alert of
it, from the pieces, byte for byte as the alert's own ``to_json``/``line`` (:func:`render`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import orjson

from stockade.model.alert import Alert, rfc3339_ns
from stockade.model.event import Event
from stockade.runtime.rules.output import field_output
from stockade.runtime.rules.ruleset import CompiledRule

TIME = -1  # an op: the alert's time
TEXT, VALUE, RAW = 0, 1, 2  # kinds of a field's pieces: text escaped for JSON, value as JSON, text
HOST = "\x00host"  # the alert's host, a field of its own (read from the event, else the engine's)
FORMS = ("json", "text")

Pieces = tuple[bytes, bytes, bytes]
Op = bytes | int


def _esc(text: str) -> bytes:
    """``text`` escaped as inside a JSON string (what orjson writes between the quotes)."""
    return orjson.dumps(text)[1:-1]


Reader = Callable[[Event], Any] | None  # (None: the host's, Engine.host_of)


def fields_of(rules: Sequence[CompiledRule], form: str) -> dict[str, Reader]:
    """The output fields ``rules`` print, in order, each with its reader (``HOST`` first, for JSON)."""
    out: dict[str, Reader] = {}
    if form == "json":
        out[HOST] = None
    for r in rules:
        for p in r.formatter.parts:
            if not isinstance(p, str):
                out.setdefault(p[0], p[1])
    return out


def program(rules: Sequence[CompiledRule], form: str, fields: list[str]) -> tuple[Op, ...]:
    """The ops writing the alerts of ``rules`` (one line each) in ``form``: bytes, :data:`TIME`, or
    ``3 * i + kind`` for the piece ``kind`` of ``fields[i]``."""
    at = {name: i for i, name in enumerate(fields)}
    ops: list[Op] = []

    def field(name: str, kind: int) -> None:
        ops.append(3 * at[name] + kind)

    for r in rules:
        parts = r.formatter.parts
        if form == "text":
            ops += [TIME, f": {r.priority} ".encode()]
            for p in parts:
                if isinstance(p, str):
                    ops.append(p.encode())
                else:
                    field(p[0], RAW)
            ops.append(b"\n")
            continue
        ops.append(b'{"hostname":')
        field(HOST, VALUE)
        ops += [b',"output":"', TIME, _esc(f": {r.priority} ")]
        for p in parts:
            if isinstance(p, str):
                ops.append(_esc(p))
            else:
                field(p[0], TEXT)
        ops.append(b'","output_fields":{')
        names = list(dict.fromkeys(p[0] for p in parts if not isinstance(p, str)))
        for i, name in enumerate(names):
            ops.append((b"," if i else b"") + orjson.dumps(name) + b":")
            field(name, VALUE)
        tail = {"priority": r.priority, "rule": r.name, "source": r.source, "tags": sorted(r.tags)}
        ops.append(b"}," + orjson.dumps(tail)[1:-1] + b',"time":"')
        ops += [TIME, b'"}\n']
    merged: list[Op] = []  # (adjacent bytes joined: fewer ops to run)
    for op in ops:
        if isinstance(op, bytes) and merged and isinstance(merged[-1], bytes):
            merged[-1] += op
        elif op != b"":
            merged.append(op)
    return tuple(merged)


def field_pieces(get: Reader, ev: Event, host: Callable[[Event], str]) -> Pieces:
    """The pieces of the field read by ``get`` (None: the host, read by ``host``) for event ``ev``.  Raises
    ValueError/TypeError where a piece cannot be written (a text that is not Unicode, an integer JSON cannot
    hold): such a field is not learnt."""
    if get is None:
        return b"", orjson.dumps(host(ev)), b""
    text, value = field_output(get, ev)
    return _esc(text), orjson.dumps(value), text.encode()


def render(ops: Sequence[Op], pieces: Sequence[Pieces], ts: int) -> bytes:
    """What the memo writes for ``ops`` with the fields' ``pieces`` (in the program's order) at ``ts``."""
    t = rfc3339_ns(ts).encode()
    out = []
    for op in ops:
        if isinstance(op, bytes):
            out.append(op)
        elif op == TIME:
            out.append(t)
        else:
            out.append(pieces[op // 3][op % 3])
    return b"".join(out)


def written(alerts: Sequence[Alert], form: str) -> bytes:
    """``alerts`` as the replay writes them in ``form``."""
    if form == "text":
        return b"".join(a.line().encode() + b"\n" for a in alerts)
    return b"".join(a.to_json() for a in alerts)
