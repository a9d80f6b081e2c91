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
    loads = orjson.loads
    for raw in lines:
        stats.lines += 1
        if not raw.strip():
            continue
        try:
            if len(raw) > MAX_LINE:
                raise ValueError("line too long")
            ev = loads(raw)
        except (orjson.JSONDecodeError, ValueError):
            ev = None
        if not isinstance(ev, dict) or not isinstance(ev.get("evt.type"), str):
            stats.malformed += 1
            if len(stats.malformed_lines) < 20:
                stats.malformed_lines.append(stats.lines)
            continue
        stats.events += 1
        for alert in engine.alerts(ev):
            stats.alerts += 1
            stats.by_rule[alert.rule] = stats.by_rule.get(alert.rule, 0) + 1
            yield alert
