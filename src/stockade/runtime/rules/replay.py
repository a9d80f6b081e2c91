"""Replaying recorded events (JSON lines, one event dict per line) through an :class:`Engine`.

A line that is not JSON, not an object, or has no string ``evt.type`` is *malformed*: counted, its line
number kept (the first few), and skipped — the rest of the file is still evaluated.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import orjson

from stockade.model.alert import Alert
from stockade.runtime.rules.engine import Engine

MAX_LINE = 1 << 20


@dataclass(slots=True)
class ReplayStats:
    lines: int = 0
    events: int = 0
    alerts: int = 0
    malformed: int = 0
    malformed_lines: list[int] = field(default_factory=list)
    by_rule: dict[str, int] = field(default_factory=dict)


def replay(engine: Engine, lines: Iterable[bytes], stats: ReplayStats) -> Iterator[Alert]:
    loads, decode_error, match = orjson.loads, orjson.JSONDecodeError, engine.alerts
    by_rule = stats.by_rule
    n = first = stats.lines
    try:
        for n, raw in enumerate(lines, first + 1):  # (n: the count of lines, read in `finally`)
            try:  # (blank lines fail to decode too: they are told from malformed ones only then)
                ev = loads(raw) if len(raw) <= MAX_LINE else None
            except decode_error:
                ev = None
            if ev.__class__ is not dict or ev.get("evt.type").__class__ is not str:
                if not raw.strip():
                    continue
                stats.malformed += 1
                if len(stats.malformed_lines) < 20:
                    stats.malformed_lines.append(n)
                continue
            stats.events += 1
            for alert in match(ev):
                stats.alerts += 1
                by_rule[alert.rule] = by_rule.get(alert.rule, 0) + 1
                yield alert
    finally:
        stats.lines = n
