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

from stockade.model.alert import Alert
from stockade.runtime.rules import pieces
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


_NEW: list[str] = []  # (a list of rules whose program is still to be made)
MAX_TRIES = 8  # lines of a list of rules whose program is tried before it is given up


class _Context:
    """What the memo's replay keeps between blocks: the engine, the memo, the lists of rules it numbered
    for the memo (0: none), and, where the alerts are written (``write``, in ``form``), the numbers of the
    output fields and the fields of each list's program (None: it has none)."""

    __slots__ = (
        "engine",
        "fields",
        "form",
        "numbers",
        "programs",
        "readers",
        "results",
        "screen",
        "tries",
        "write",
    )

    def __init__(self, engine: Engine, screen: Any, write: Write | None = None, form: str = "json") -> None:
        self.engine = engine
        self.screen = screen
        self.write = write
        self.form = form
        self.results: list[list[CompiledRule]] = [[]]
        self.numbers: dict[tuple[int, ...], int] = {(): 0}
        self.fields: dict[str, int] = {}
        self.programs: dict[int, list[str] | None] = {}
        self.readers: dict[int, dict[str, pieces.Reader]] = {}  # per list of rules, its output fields
        self.tries: dict[int, int] = {}

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
        self.screen.learn(raw, keys, n)
        if not rules:
            return []
        return self.told(raw, ev, n) if self.write is not None else engine.alerts_of(ev, rules)

    def told(self, raw: bytearray, ev: dict[str, Any], n: int) -> list[Alert]:
        """The alerts of the rules numbered ``n``, which line ``raw`` (event ``ev``) matched; the output
        fields the memo does not know for the line are learnt, each on a fresh :class:`Recorder` over the
        decoded event (on one recorder, a field would read back the derived values another stored there —
        ``proc.cmdline`` — instead of the keys they are made from, and be learnt under the wrong keys).  Then
        the memo writes the line's alerts itself (with ``write``; none are returned) as it will the next
        ones.  The first lines of a list of rules make its program, given to the memo once it wrote their
        alerts right."""
        engine, rules = self.engine, self.results[n]
        program = self.programs.get(n, _NEW)
        if program is None:
            return engine.alerts_of(ev, rules)
        readers = self.readers.get(n)
        if readers is None:
            readers = self.readers[n] = pieces.fields_of(rules, self.form)
        if program is not _NEW:
            missing = self.screen.missing(raw, n)
            if missing is not None:
                wanted = set(missing)
                readers = {k: v for k, v in readers.items() if self.fields[k] in wanted}
        made: dict[str, tuple[tuple[str, ...], pieces.Pieces]] = {}
        for name, get in readers.items():
            rec = Recorder(ev)
            try:
                got = pieces.field_pieces(get, rec, engine.host_of)
            except (TypeError, ValueError):  # (not written from pieces: not learnt)
                continue
            keys = rec.keys_read()
            if keys is not None:
                made[name] = (keys, got)
        if program is not _NEW:
            if made:
                self._learn(raw, made)
            out = bytearray()  # (all its fields known now: the memo writes its alerts, as for the next ones)
            if self.screen.write(raw, n, out):
                assert self.write is not None
                self.write(out)
                return []
        alerts = engine.alerts_of(ev, rules)
        if program is _NEW and self._program(n, rules, list(readers), made, alerts) is not None:
            self._learn(raw, made)
        return alerts

    def _learn(self, raw: bytearray, made: dict[str, tuple[tuple[str, ...], pieces.Pieces]]) -> None:
        fields = self.fields
        self.screen.learn_fields(
            raw, [(keys, fields.setdefault(name, len(fields)), got) for name, (keys, got) in made.items()]
        )

    def _program(
        self,
        n: int,
        rules: list[CompiledRule],
        names: list[str],
        made: dict[str, tuple[tuple[str, ...], pieces.Pieces]],
        alerts: list[Alert],
    ) -> list[str] | None:
        """The fields of the program of the rules numbered ``n``, given to the memo if it writes
        ``alerts`` (theirs for one line, whose fields' pieces are ``made``) as they write themselves;
        None once :data:`MAX_TRIES` lines did not tell (a field not written from pieces, or not learnt)."""
        try:
            ops = pieces.program(rules, self.form, names)
        except UnicodeError:  # (a rule's own text that UTF-8 cannot hold)
            self.programs[n] = None
            return None
        if all(name in made for name in names) and alerts:
            ts = alerts[0].time_ns
            wanted = pieces.written(alerts, self.form)
            if pieces.render(ops, [made[name][1] for name in names], ts) != wanted:
                self.programs[n] = None
                return None
            if len(names) <= MAX_FIELDS:
                ids = tuple(self.fields.setdefault(name, len(self.fields)) for name in names)
                self.screen.program(n, ops, ids)
                self.programs[n] = names
                return names
        self.tries[n] = tries = self.tries.get(n, 0) + 1
        if tries >= MAX_TRIES:
            self.programs[n] = None
        return None

    def drained(self, counts: list[int], stats: ReplayStats) -> None:
        """Counts the alerts the memo wrote itself: ``counts`` is its ``drain()``."""
        by_rule = stats.by_rule
        for i in range(0, len(counts), 2):
            n, c = counts[i], counts[i + 1]
            rules = self.results[n]
            stats.alerts += c * len(rules)
            for r in rules:
                by_rule[r.name] = by_rule.get(r.name, 0) + c


MAX_FIELDS = 128  # output fields of one list of rules the memo writes (_screen.c's)


def _evaluate(
    items: list[Any], buf: bytearray, stats: ReplayStats, count: int, ctx: _Context, sink: bytearray | None
) -> Iterator[Alert]:
    """The alerts of the lines ``scan()`` returned (``items``) among the ``count`` lines it read; the lines
    in between are events the memo said match nothing, or whose alerts it wrote into ``sink`` itself: those
    are written (``ctx.write``) before the alerts of the next line returned."""
    engine, results = ctx.engine, ctx.results
    match, alerts_of = engine.match, engine.alerts_of
    base = stats.lines
    done = 0  # lines accounted for
    flushed = 0  # bytes of sink written
    try:
        for i in range(0, len(items), 7):
            line, start, stop, code, _ts, fields, mark = items[i : i + 7]
            if mark > flushed:
                assert sink is not None and ctx.write is not None
                ctx.write(sink[flushed:mark])
                flushed = mark
            stats.events += line - done
            done = line + 1
            stats.lines = base + done
            raw = buf[start:stop]
            ev = _event(raw, stats, base + done)
            if ev is None:
                continue
            if code == 0:
                found = alerts_of(ev, match(ev))
            elif code == 1:
                found = ctx.teach(raw, ev)
            elif fields == -1:
                found = ctx.told(raw, ev, code - 1)
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


def replay_write(
    engine: Engine,
    stream: IO[bytes],
    stats: ReplayStats,
    write: Write,
    tick: Callable[[], None] | None = None,
    form: str = "json",
) -> None:
    """:func:`replay_stream`, each alert written with ``write``, in order, as one line: JSON
    (``Alert.to_json``) or text (``Alert.line``) by ``form``.  The memo writes the alerts it knows whole
    itself."""
    if form not in pieces.FORMS:
        raise ValueError(f"form: one of {', '.join(pieces.FORMS)}, not {form!r}")
    for alert in replay_stream(engine, stream, stats, tick, write=write, form=form):
        write(pieces.written([alert], form))


def replay_stream(
    engine: Engine,
    stream: IO[bytes],
    stats: ReplayStats,
    tick: Callable[[], None] | None = None,
    *,
    write: Write | None = None,
    form: str = "json",
) -> Iterator[Alert]:
    """The alerts of the events in ``stream``'s lines, read :data:`BLOCK` bytes at a time (from a pipe,
    what has come so far); ``tick`` is called after each block.  Without the C module, line
    by line through :func:`replay`.  With ``write`` (:func:`replay_write`), the alerts the memo knows whole
    are written as lines in ``form`` with it instead of yielded: the caller writes each alert it is given at
    once, so that all come out in order."""
    screen = new_screen(engine.ruleset)
    if screen is None:
        yield from replay(engine, stream, stats, tick)
        return
    engine.per_rule()  # (the memo evaluates a few events of each combination: compiling per rule pays)
    read = _reader(stream)
    scan = screen.scan
    sink = None if write is None else bytearray()  # (the alerts the memo writes itself, per scan)
    ctx = _Context(engine, screen, write, form)
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
