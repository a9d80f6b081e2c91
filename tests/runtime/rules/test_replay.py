"""Replay's line handling and the alert's JSON shape, on stockade's own rule set (no upstream files)."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import orjson
import pytest

from stockade.model.alert import Alert, rfc3339_ns
from stockade.runtime.rules.engine import Engine
from stockade.runtime.rules.replay import MAX_LINE, ReplayStats, replay
from stockade.runtime.rules.ruleset import load_ruleset
from stockade.runtime.sensor import DEFAULT_RULES

SHADOW = {
    "evt.type": "openat", "evt.time": 1_700_000_000_123_456_789, "proc.name": "cat", "proc.exe": "/bin/cat",
    "fd.name": "/etc/shadow", "fd.type": "file", "fd.num": 3, "evt.args": {"flags": "O_RDONLY"},
    "container.id": "host", "user.uid": 1000, "user.name": "u",
}  # fmt: skip


@pytest.fixture(scope="module")
def engine() -> Engine:
    rs = load_ruleset([str(DEFAULT_RULES)])
    assert not rs.errors
    return Engine(rs, hostname="h1")


def test_blank_lines_skipped_malformed_counted_with_their_line_numbers(engine: Engine) -> None:
    lines = [
        orjson.dumps(SHADOW),  # 1: an alert
        b"",  # 2: blank
        b"   \t ",  # 3: blank (only white space)
        b"{not json",  # 4
        b"[1, 2]",  # 5: not an object
        b'{"evt.type": 7}',  # 6: evt.type not a string
        b" " * (MAX_LINE + 1),  # 7: over the limit, but blank
        b'{"evt.type": "openat", "pad": "' + b"x" * MAX_LINE + b'"}',  # 8: over the limit
        orjson.dumps({**SHADOW, "fd.name": "/etc/hosts"}),  # 9: an event, no alert
    ]
    stats = ReplayStats()
    alerts = list(replay(engine, lines, stats))
    assert [a.output_fields.get("fd.name") for a in alerts] == ["/etc/shadow"]
    assert (stats.lines, stats.events, stats.alerts, stats.malformed) == (9, 2, 1, 4)
    assert stats.malformed_lines == [4, 5, 6, 8]
    assert stats.by_rule == {alerts[0].rule: 1}


def test_line_numbers_go_on_across_two_inputs(engine: Engine) -> None:
    stats = ReplayStats()
    list(replay(engine, [b"{}", orjson.dumps(SHADOW)], stats))
    list(replay(engine, [orjson.dumps(SHADOW), b"nope"], stats))
    assert stats.lines == 4 and stats.malformed_lines == [1, 4] and stats.alerts == 2


def test_counts_are_kept_when_the_reader_stops_early(engine: Engine) -> None:
    stats = ReplayStats()
    gen = replay(engine, [b"x", orjson.dumps(SHADOW), orjson.dumps(SHADOW)], stats)
    next(gen)  # the first alert (line 2)
    gen.close()
    assert stats.lines == 2 and stats.malformed == 1 and stats.alerts == 1


@pytest.mark.parametrize(
    "ns",
    [0, 1, 999_999_999, 10**9, 1_700_000_000_123_456_789, 1_700_000_001_000_000_000, 4_102_444_800 * 10**9],
)
def test_rfc3339_ns_matches_datetime_whatever_came_before(ns: int) -> None:
    seconds, frac = divmod(ns, 10**9)
    want = dt.datetime.fromtimestamp(seconds, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{frac:09d}Z"
    for before in (ns, ns - 10**9, ns + 10**9, 0):  # the one-second memo holds another second, or this one
        rfc3339_ns(max(before, 0))
        assert rfc3339_ns(ns) == want


def test_alert_json_time_and_output_prefix_agree() -> None:
    a = Alert(1_700_000_000_000_000_042, "R", "Warning", "text", {"k": 1}, tags=("b", "a"), hostname="h")
    d = a.to_dict()
    assert d["time"] == "2023-11-14T22:13:20.000000042Z"
    assert d["output"] == f"{d['time']}: Warning text" == a.line()
    assert d["tags"] == ["a", "b"] and d["output_fields"] == {"k": 1}
    assert list(d) == sorted(d)  # Falco's key order (alphabetical)


def test_progress_is_drawn_on_a_terminal_as_the_replay_reads(tmp_path: Path, engine: Engine) -> None:
    import io
    import os

    from rich.console import Console

    from stockade.cli.rules_cmds import _progress
    from stockade.runtime.rules.replay import BLOCK, replay_stream

    path = tmp_path / "events.jsonl"
    lines = [orjson.dumps({**SHADOW, "evt.num": i}) + b"\n" for i in range(3 * BLOCK // 200)]
    path.write_bytes(b"".join(lines))
    assert path.stat().st_size > 2 * BLOCK  # (several blocks: several updates)
    for source in ("file", "pipe"):
        screen = io.StringIO()
        console = Console(file=screen, force_terminal=True, width=100)
        stats = ReplayStats()
        if source == "file":
            fh = open(path, "rb")  # noqa: SIM115
        else:
            r, w = os.pipe()
            with os.fdopen(w, "wb") as writer:
                writer.write(b"".join(lines[:100]))  # (fits in the pipe's buffer)
            fh = os.fdopen(r, "rb")
        with fh, _progress(fh, stats, True, console) as tick:
            assert tick is not None
            alerts = list(replay_stream(engine, fh, stats, tick))
        want = len(lines) if source == "file" else 100
        assert stats.lines == want and stats.events == want and len(alerts) == want
        assert "replaying" in screen.getvalue(), source
    stats = ReplayStats()
    with open(path, "rb") as fh, _progress(fh, stats, False) as tick:
        assert tick is None  # no terminal: nothing drawn


def test_alerts_of_a_file_go_out_buffered_and_of_a_pipe_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Replaying a file, the alerts are written through a buffer of the command's own, whatever
    PYTHONUNBUFFERED says (unbuffered, each alert was a write(2)); from a pipe (perhaps a live stream)
    they go out as they come."""
    import io

    from stockade.cli import rules_cmds

    events = tmp_path / "events.jsonl"
    events.write_bytes(b"{}\n")
    with open(tmp_path / "out", "wb", buffering=0) as raw, open(events, "rb") as fh:
        monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(raw, write_through=True))
        out = rules_cmds._alert_output(fh)
        assert isinstance(out, io.BufferedWriter) and out.fileno() == raw.fileno()
        out.write(b"alert\n")
        assert (tmp_path / "out").read_bytes() == b""  # held in the buffer ...
        out.flush()
        assert (tmp_path / "out").read_bytes() == b"alert\n"  # ... until flushed
        r, w = os.pipe()
        with open(r, "rb") as pipe:
            assert rules_cmds._alert_output(pipe) is sys.stdout.buffer
        os.close(w)
