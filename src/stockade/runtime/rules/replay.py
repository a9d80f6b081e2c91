"""Replaying recorded events (JSON lines, one event dict per line) through an :class:`Engine`.

A line that is not JSON, not an object, or has no string ``evt.type`` is *malformed*: counted, its line
number kept (the first few), and skipped — the rest of the file is still evaluated.

:func:`replay` takes lines; :func:`replay_stream` reads a binary stream in blocks and, where the C module
was built, lets the memo of :mod:`.screen` answer the lines it knows without decoding them.  Both give the
same alerts, in the same order, with the same counts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import orjson

from stockade.model.alert import Alert
from stockade.runtime.rules.engine import Engine
from stockade.runtime.rules.ruleset import CompiledRule
from stockade.runtime.rules.screen import Recorder, new_screen

MAX_LINE = 1 << 20
BLOCK = 1 << 20  # bytes read at a time by replay_stream
LEARN = 64  # lines to learn before the memo reads on
#: lines between two calls of replay_stream's ``tick`` when it reads line by line
TICK_LINES = 8192

_loads, _decode_error = orjson.loads, orjson.JSONDecodeError


@dataclass(slots=True)
class ReplayStats:
    lines: int = 0
    events: int = 0
    alerts: int = 0
    malformed: int = 0
    malformed_lines: list[int] = field(default_factory=list)
    by_rule: dict[str, int] = field(default_factory=dict)


def _event(raw: bytes, stats: ReplayStats, n: int) -> dict[str, Any] | None:
    """Line ``n``'s event, or None: a blank line (skipped) or a malformed one (counted)."""
    try:  # (blank lines fail to decode too: they are told from malformed ones only then)
        ev = _loads(raw) if len(raw) <= MAX_LINE else None
    except _decode_error:
        ev = None
    if ev.__class__ is not dict or ev.get("evt.type").__class__ is not str:
        if raw.strip():
            _malformed(stats, n)
        return None
    stats.events += 1
    return ev


def _malformed(stats: ReplayStats, n: int) -> None:
    stats.malformed += 1
    if len(stats.malformed_lines) < 20:
        stats.malformed_lines.append(n)


def _counted(alerts: list[Alert], stats: ReplayStats) -> list[Alert]:
    by_rule = stats.by_rule
    for alert in alerts:
        stats.alerts += 1
        by_rule[alert.rule] = by_rule.get(alert.rule, 0) + 1
    return alerts


def replay(
    engine: Engine, lines: Iterable[bytes], stats: ReplayStats, tick: Callable[[], None] | None = None
) -> Iterator[Alert]:
    """The alerts of ``lines``' events; ``tick`` is called every :data:`TICK_LINES` lines."""
    match = engine.alerts
    n = first = stats.lines
    try:
        for n, raw in enumerate(lines, first + 1):  # (n: the count of lines, read in `finally`)
            if tick is not None and n % TICK_LINES == 0:
                tick()
            ev = _event(raw, stats, n)
            if ev is not None:
                alerts = match(ev)
                if alerts:
                    yield from _counted(alerts, stats)
    finally:
        stats.lines = n


class _Context:
    """What the memo's replay keeps between blocks: the engine, the memo's ``learn``, and the rule lists
    it numbered for the memo (0: none)."""

    __slots__ = ("alerts_of", "engine", "learn", "match", "numbers", "results")

    def __init__(self, engine: Engine, learn: Callable[[bytes, tuple[str, ...], int], bool]) -> None:
        self.engine = engine
        self.match = engine.match
        self.alerts_of = engine.alerts_of
        self.learn = learn
        self.results: list[list[CompiledRule]] = [[]]
        self.numbers: dict[tuple[int, ...], int] = {(): 0}

    def number(self, rules: list[CompiledRule]) -> int:
        ids = tuple(r.index for r in rules)
        n = self.numbers.get(ids)
        if n is None:
            n = self.numbers[ids] = len(self.results)
            self.results.append(rules)
        return n


def _evaluate(items: list[int], buf: bytes, stats: ReplayStats, count: int, ctx: _Context) -> Iterator[Alert]:
    """The alerts of the lines ``scan()`` returned (``items``) among the ``count`` lines it read; the lines
    in between are events the memo said match nothing."""
    engine, match, alerts_of, results = ctx.engine, ctx.match, ctx.alerts_of, ctx.results
    base = stats.lines
    done = 0  # lines accounted for
    try:
        for i in range(0, len(items), 4):
            line, start, stop, code = items[i : i + 4]
            stats.events += line - done
            done = line + 1
            stats.lines = base + done
            raw = buf[start:stop]
            ev = _event(raw, stats, base + done)
            if ev is None:
                continue
            if code == 0:
                found = alerts_of(ev, match(ev))
            elif code == 1:  # evaluated on a recorder, and learnt when it raised nothing
                rec = Recorder(ev)
                errors = engine.errors
                rules = match(rec)
                keys = rec.keys_read()
                if engine.errors == errors and keys is not None:
                    ctx.learn(raw, keys, ctx.number(rules))
                found = alerts_of(rec, rules)
            else:  # the memo knows the rules it matches
                found = alerts_of(ev, results[code - 1])
            if found:
                yield from _counted(found, stats)
        stats.events += count - done
        done = count
    finally:  # (also when the reader stops early: the lines up to the last one handed out)
        stats.lines = base + done


def replay_stream(
    engine: Engine, stream: IO[bytes], stats: ReplayStats, tick: Callable[[], None] | None = None
) -> Iterator[Alert]:
    """The alerts of the events in ``stream``'s lines, read :data:`BLOCK` bytes at a time (``read1``:
    from a pipe, what has come so far); ``tick`` is called after each block.  Without the C module, line
    by line through :func:`replay`."""
    screen = new_screen(engine.ruleset)
    if screen is None:
        yield from replay(engine, stream, stats, tick)
        return
    read = getattr(stream, "read1", stream.read)
    scan = screen.scan
    ctx = _Context(engine, screen.learn)
    buf = b""
    long_line = blank = False  # in a line longer than MAX_LINE whose end is still to come; all blank
    while True:
        data = read(BLOCK)
        if not data:
            break
        if long_line:  # the rest of a line longer than MAX_LINE: dropped up to its end
            nl = data.find(b"\n")
            blank = blank and not (data if nl < 0 else data[:nl]).strip()
            if nl < 0:
                continue
            stats.lines += 1
            if not blank:
                _malformed(stats, stats.lines)
            long_line, data = False, data[nl + 1 :]
        buf = buf + data if buf else data
        end = 0
        while True:  # (scan() stops after LEARN lines to learn: they teach the memo before it goes on)
            items, _skipped, stop, count = scan(buf, end, MAX_LINE, LEARN)
            if not count:
                break
            yield from _evaluate(items, buf, stats, count, ctx)
            end = stop
        buf = buf[end:]
        if len(buf) > MAX_LINE:  # no end of line in sight: malformed (unless blank) whatever follows
            buf, long_line, blank = b"", True, not buf.strip()
        if tick is not None:
            tick()
    if long_line:  # (the file's last line, without a newline)
        stats.lines += 1
        if not blank:
            _malformed(stats, stats.lines)
    elif buf:  # a last line without a newline
        yield from replay(engine, [buf], stats)
