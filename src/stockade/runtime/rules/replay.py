"""Replaying recorded events (JSON lines, one event dict per line) through an :class:`Engine`.

A line that is not JSON, not an object, or has no string ``evt.type`` is *malformed*: counted, its line
number kept (the first few), and skipped — the rest of the file is still evaluated.

:func:`replay` takes lines; :func:`replay_stream` reads a binary stream in blocks and, where the C module
was built, lets the memo of :mod:`.screen` answer the lines it knows without decoding them.  Both give the
same alerts, in the same order, with the same counts.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import orjson

from stockade.model.alert import Alert, rfc3339_ns
from stockade.runtime.rules.engine import Engine
from stockade.runtime.rules.ruleset import CompiledRule
from stockade.runtime.rules.screen import Recorder, new_screen

MAX_LINE = 1 << 20
BLOCK = 1 << 20  # bytes read at a time by replay_stream
LEARN = 64  # lines to learn before the memo reads on
#: lines between two calls of replay_stream's ``tick`` when it reads line by line
TICK_LINES = 8192

_loads, _decode_error = orjson.loads, orjson.JSONDecodeError
#: where a replay's JSON lines go (a binary stream's ``write``)
Write = Callable[[bytes | bytearray], Any]


@dataclass(slots=True)
class ReplayStats:
    lines: int = 0
    events: int = 0
    alerts: int = 0
    malformed: int = 0
    malformed_lines: list[int] = field(default_factory=list)
    by_rule: dict[str, int] = field(default_factory=dict)


def _event(raw: bytes | bytearray, stats: ReplayStats, n: int) -> dict[str, Any] | None:
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


def _tally(stats: ReplayStats, rule: str) -> None:
    stats.alerts += 1
    stats.by_rule[rule] = stats.by_rule.get(rule, 0) + 1


def _counted(alerts: list[Alert], stats: ReplayStats) -> list[Alert]:
    for alert in alerts:
        _tally(stats, alert.rule)
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


Texts = list[tuple[str, dict[str, Any]]]
#: what the memo's replay learnt of the outputs of a line's rules: their texts and fields, the alerts'
#: host, and (made at the first use) each alert's JSON but for its time (``Alert.json_parts``)
Outputs = tuple[Texts, str, list[tuple[bytes, bytes, bytes] | None] | None]
MAX_OUTPUTS = 1 << 20  # outputs remembered; past this, the alerts of known lines are formatted every time


class _Context:
    """What the memo's replay keeps between blocks: the engine, the memo's ``learn``, and what it
    numbered for the memo: lists of rules matched (0: none), and the outputs of such rules."""

    __slots__ = ("engine", "learn", "numbers", "outputs", "owners", "pieces", "results", "texts", "write")

    def __init__(
        self,
        engine: Engine,
        learn: Callable[..., bool],
        write: Write | None = None,
        pieces: Callable[[int, tuple[bytes, ...]], None] | None = None,
    ) -> None:
        self.engine = engine
        self.learn = learn
        self.write = write
        self.pieces = pieces  # (the memo's: it then writes the alerts of the outputs it was given itself)
        self.results: list[list[CompiledRule]] = [[]]
        self.numbers: dict[tuple[int, ...], int] = {(): 0}
        self.outputs: list[Outputs] = []
        self.owners: list[int] = []  # per output, the number of its rules
        self.texts: dict[Any, int] = {}

    def teach(self, raw: bytearray, ev: dict[str, Any]) -> list[Alert]:
        """The alerts of line ``raw`` (event ``ev``), evaluated on a :class:`Recorder`, and learnt when
        nothing kept it from being: the keys the rules read, the rules matched."""
        engine = self.engine
        rec = Recorder(ev)
        errors = engine.errors
        rules = engine.match(rec)
        keys = rec.keys_read()
        if keys is None or engine.errors != errors:
            return engine.alerts_of(rec, rules)
        ids = tuple(r.index for r in rules)
        n = self.numbers.get(ids)
        if n is None:
            n = self.numbers[ids] = len(self.results)
            self.results.append(rules)
        self.learn(raw, keys, n)
        return self.told(raw, ev, n, rules) if rules else []

    def told(self, raw: bytearray, ev: dict[str, Any], n: int, rules: list[CompiledRule]) -> list[Alert]:
        """The alerts of ``rules`` (numbered ``n``), which line ``raw`` (event ``ev``) matched, formatted on
        a :class:`Recorder`; their outputs are learnt under the keys the formatting read.  A fresh recorder
        over the decoded event: on the match's, the formatter would read back the derived values the match
        stored there (``proc.cmdline``) instead of the keys they are made from (``proc.args``), and the
        outputs would be learnt under the wrong keys."""
        engine = self.engine
        rec = Recorder(ev)
        texts = [r.formatter.format(rec) for r in rules]
        host = engine.host_of(rec)
        keys = rec.keys_read()
        ts = engine.time_of(ev)
        alerts = engine.alerts_at(ts, host, rules, texts)
        if keys is None or len(self.outputs) >= MAX_OUTPUTS:
            return alerts
        try:
            key = (n, tuple((t, tuple(f.items())) for t, f in texts), host)
            o = self.texts.get(key)
        except TypeError:  # (an output value that cannot be a key)
            return alerts
        if o is None:
            o = self.texts[key] = len(self.outputs)
            self.outputs.append(([(t, dict(f)) for t, f in texts], host, None))
            self.owners.append(n)
        self.learn(raw, keys, o, n)
        if self.pieces is None:
            return alerts
        # written as JSON by the caller: the pieces now (the memo writes the next ones), the JSON from them
        return engine.alerts_at(ts, host, rules, texts, self._parts(o, alerts)[2])

    def _parts(self, o: int, alerts: list[Alert]) -> Outputs:
        """The outputs numbered ``o``, with their JSON pieces (made from ``alerts``, theirs, if not yet),
        which the memo is given (``pieces``) when it writes alerts itself."""
        texts, host, parts = entry = self.outputs[o]
        if parts is None:
            parts = [a.json_parts() for a in alerts]
            entry = self.outputs[o] = (texts, host, parts)
            if self.pieces is not None and None not in parts:
                self.pieces(o, tuple(b for p in parts if p is not None for b in p))
        return entry

    def _outputs(self, ts: int, o: int, rules: list[CompiledRule]) -> Outputs:
        """The outputs numbered ``o`` (of ``rules``), their JSON pieces made at the first use."""
        texts, host, parts = entry = self.outputs[o]
        if parts is None:
            return self._parts(o, self.engine.alerts_at(ts, host, rules, texts))
        return entry

    def drained(self, counts: list[int], stats: ReplayStats) -> None:
        """Counts the alerts the memo wrote itself: ``counts`` is its ``drain()``."""
        by_rule = stats.by_rule
        for i in range(0, len(counts), 2):
            o, c = counts[i], counts[i + 1]
            rules = self.results[self.owners[o]]
            stats.alerts += c * len(rules)
            for r in rules:
                by_rule[r.name] = by_rule.get(r.name, 0) + c

    def wrote(self, ts: int, o: int, rules: list[CompiledRule], stats: ReplayStats) -> bool:
        """Whether the alerts at ``ts`` of ``rules`` with the outputs numbered ``o`` were written as JSON
        lines (``write``) from their pieces, without making them (not when a piece is missing)."""
        _texts, _host, parts = self._outputs(ts, o, rules)
        if self.write is None or parts is None or None in parts:
            return False
        t = rfc3339_ns(ts).encode()
        for r, p in zip(rules, parts, strict=True):
            assert p is not None
            self.write(p[0] + t + p[1] + t + p[2])
            _tally(stats, r.name)
        return True

    def known(self, ts: int, o: int, rules: list[CompiledRule]) -> list[Alert]:
        """The alerts at ``ts`` of ``rules`` with the outputs numbered ``o`` (their fields' dicts are
        shared by the alerts made from them: alerts are read, not changed)."""
        texts, host, parts = self._outputs(ts, o, rules)
        return self.engine.alerts_at(ts, host, rules, texts, parts)


def _evaluate(
    items: list[Any], buf: bytearray, stats: ReplayStats, count: int, ctx: _Context, sink: bytearray | None
) -> Iterator[Alert]:
    """The alerts of the lines ``scan()`` returned (``items``) among the ``count`` lines it read; the lines
    in between are events the memo said match nothing, or whose alerts it wrote into ``sink`` itself: those
    are written (``ctx.write``) before the alerts of the next line returned."""
    engine, results, known, wrote = ctx.engine, ctx.results, ctx.known, ctx.wrote
    match, alerts_of = engine.match, engine.alerts_of
    base = stats.lines
    done = 0  # lines accounted for
    flushed = 0  # bytes of sink written
    try:
        for i in range(0, len(items), 7):
            line, start, stop, code, ts, out, mark = items[i : i + 7]
            if mark > flushed:
                assert sink is not None and ctx.write is not None
                ctx.write(sink[flushed:mark])
                flushed = mark
            stats.events += line - done
            done = line + 1
            stats.lines = base + done
            if code >= 2 and out >= 0 and ts is not None:  # all an alert needs is known: no decoding
                stats.events += 1
                if not wrote(ts, out, results[code - 1], stats):
                    yield from _counted(known(ts, out, results[code - 1]), stats)
                continue
            raw = buf[start:stop]
            ev = _event(raw, stats, base + done)
            if ev is None:
                continue
            if code == 0:
                found = alerts_of(ev, match(ev))
            elif code == 1:
                found = ctx.teach(raw, ev)
            elif out >= 0:  # (no integer evt.time: the event's own, see Engine.time_of)
                found = known(engine.time_of(ev), out, results[code - 1])
            elif out == -1:
                found = ctx.told(raw, ev, code - 1, results[code - 1])
            else:
                found = alerts_of(ev, results[code - 1])
            if found:
                yield from _counted(found, stats)
        stats.events += count - done
        done = count
        if sink:
            assert ctx.write is not None
            if len(sink) > flushed:
                ctx.write(sink[flushed:] if flushed else sink)
            sink.clear()
    finally:  # (also when the reader stops early: the lines up to the last one handed out)
        stats.lines = base + done


def _reader(stream: IO[bytes]) -> Callable[[memoryview], int]:
    """A function reading from ``stream`` into a buffer what one read gives (from a pipe, what has come
    so far).  A file or pipe opened by Python is read by ``os.readv`` straight into the buffer once what
    it had buffered is taken (a ``read1`` returns that); other streams by ``read1`` and a copy.
    (``readinto1`` took three times as long as ``read1`` and a copy: 0.36 s against 0.11 s over 694 MB.)"""
    read = getattr(stream, "read1", stream.read)

    def copy(view: memoryview) -> int:
        data = read(len(view))
        view[: len(data)] = data
        return len(data)

    if type(stream) not in (io.BufferedReader, io.FileIO) or not hasattr(os, "readv"):
        return copy  # (a wrapper's fileno may be another stream's: a gzip file's is the compressed one)
    fd = stream.fileno()
    drained = False

    def direct(view: memoryview) -> int:
        nonlocal drained
        if not drained:  # (the stream's own buffer first: after one read1 of a block it is empty)
            drained = True
            return copy(view)
        return os.readv(fd, [view])

    return direct


def replay_json(
    engine: Engine,
    stream: IO[bytes],
    stats: ReplayStats,
    write: Write,
    tick: Callable[[], None] | None = None,
) -> None:
    """:func:`replay_stream`, each alert written as one JSON line (``Alert.to_json``) with ``write``, in
    order; those the memo knows whole are written from their pieces, without making an alert."""
    for alert in replay_stream(engine, stream, stats, tick, write=write):
        write(alert.to_json())


def replay_stream(
    engine: Engine,
    stream: IO[bytes],
    stats: ReplayStats,
    tick: Callable[[], None] | None = None,
    *,
    write: Write | None = None,
) -> Iterator[Alert]:
    """The alerts of the events in ``stream``'s lines, read :data:`BLOCK` bytes at a time (from a pipe,
    what has come so far); ``tick`` is called after each block.  Without the C module, line
    by line through :func:`replay`.  With ``write`` (:func:`replay_json`), the alerts the memo knows whole
    are written as JSON lines with it instead of yielded: the caller writes each alert it is given at
    once, so that all come out in order."""
    screen = new_screen(engine.ruleset)
    if screen is None:
        yield from replay(engine, stream, stats, tick)
        return
    engine.per_rule()  # (the memo evaluates a few events of each combination: compiling per rule pays)
    read = _reader(stream)
    scan = screen.scan
    sink = None if write is None else bytearray()  # (the alerts the memo writes itself, per scan)
    ctx = _Context(engine, screen.learn, write, None if write is None else screen.pieces)
    buf = bytearray(BLOCK + MAX_LINE + 1)  # (one buffer for the whole stream: a line's start is kept)
    view = memoryview(buf)
    have = 0  # bytes in buf
    long_line = blank = False  # in a line longer than MAX_LINE whose end is still to come; all blank
    while True:
        n = read(view[have : have + BLOCK])
        if not n:
            break
        if long_line:  # the rest of a line longer than MAX_LINE: dropped up to its end
            nl = buf.find(b"\n", have, have + n)
            blank = blank and not buf[have : (have + n if nl < 0 else nl)].strip()
            if nl < 0:
                continue
            stats.lines += 1
            if not blank:
                _malformed(stats, stats.lines)
            long_line = False
            buf[have : have + n - (nl + 1 - have)] = buf[nl + 1 : have + n]
            n -= nl + 1 - have
        have += n
        end = 0
        while True:  # (scan() stops after LEARN lines to learn: they teach the memo before it goes on)
            items, _skipped, stop, count = scan(view[:have], end, MAX_LINE, LEARN, sink)
            if not count:
                break
            yield from _evaluate(items, buf, stats, count, ctx, sink)
            if sink is not None:
                ctx.drained(screen.drain(), stats)
            end = stop
        buf[: have - end] = buf[end:have]  # (the start of the next line, to the front)
        have -= end
        if have > MAX_LINE:  # no end of line in sight: malformed (unless blank) whatever follows
            long_line, blank, have = True, not buf[:have].strip(), 0
        if tick is not None:
            tick()
    if long_line:  # (the file's last line, without a newline)
        stats.lines += 1
        if not blank:
            _malformed(stats, stats.lines)
    elif have:  # a last line without a newline
        yield from replay(engine, [bytes(buf[:have])], stats)
