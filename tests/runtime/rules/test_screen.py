"""The replay memo (``runtime/rules/screen.py``, ``_screen.c``): a replay through it gives what the engine
gives line by line — the same alerts in the same order, the same counts — on the upstream rules, on
events built to sit next to each rule's edge, on lines JSON writes in many ways, and on broken lines."""

from __future__ import annotations

import contextlib
import io
import random
from typing import Any

import orjson
import pytest

from stockade.model.alert import Alert
from stockade.runtime.rules import replay as replay_mod
from stockade.runtime.rules import screen as screen_mod
from stockade.runtime.rules.engine import Engine
from stockade.runtime.rules.extract import DERIVED_READS, KEY_READERS, extractor
from stockade.runtime.rules.fields import FIELDS
from stockade.runtime.rules.replay import ReplayStats, replay, replay_stream
from stockade.runtime.rules.ruleset import Ruleset, load_ruleset
from stockade.runtime.rules.screen import Recorder, abstractions, differences
from stockade.runtime.sensor import DEFAULT_RULES

from .test_replay import SHADOW
from .test_synthesized import _synthesise

native = pytest.mark.skipif(not screen_mod.NATIVE, reason="the C module _screen was not built here")


class Screens:
    """Keeps the memos the replays make, to look at their counters."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.made: list[Any] = []
        make = screen_mod.new_screen

        def new(rs: Ruleset) -> Any:
            s = make(rs)
            self.made.append(s)
            return s

        monkeypatch.setattr(replay_mod, "new_screen", new)

    def stats(self) -> dict[str, Any]:
        assert self.made, "no memo was made"
        out: dict[str, Any] = self.made[-1].stats()
        return out


@pytest.fixture
def screens(monkeypatch: pytest.MonkeyPatch) -> Screens:
    return Screens(monkeypatch)


def both(rs: Ruleset, data: bytes, rule_matching: str = "first") -> tuple[Any, Any]:
    """(alerts as JSON, stats, engine errors) of the line-by-line replay and of the memo's, on ``data``."""
    out = []
    for stream in (False, True):
        engine = Engine(rs, rule_matching=rule_matching, hostname="h")
        stats = ReplayStats()
        if stream:
            alerts = list(replay_stream(engine, io.BytesIO(data), stats))
        else:
            alerts = list(replay(engine, io.BytesIO(data), stats))
        out.append(([_timeless(a) for a in alerts], stats, engine.errors))
    return out[0], out[1]


def _timeless(a: Alert) -> bytes:
    """An alert's JSON without its time, which is the clock's for an event without ``evt.time``; and
    whether its JSON, made from parts for alerts the memo knows, is its dict's."""
    assert a.to_json() == orjson.dumps(a.to_dict(), option=orjson.OPT_APPEND_NEWLINE)
    d = a.to_dict()
    if d["output"].startswith(d["time"]):
        d["output"] = d["output"][len(d["time"]) :]
    del d["time"]
    return orjson.dumps(d)


def _proc(rng: random.Random) -> dict[str, Any]:
    name = rng.choice(["bash", "sh", "nginx", "python3", "curl", "nc", "cat", "sshd"])
    ev: dict[str, Any] = {
        "proc.pid": rng.randint(100, 200),
        "proc.name": name,
        "proc.exe": f"/usr/bin/{name}",
        "proc.args": rng.choice([["-c", "id"], ["-la"], ["/etc/hosts"], []]),
        "proc.tty": rng.choice([0, 34816]),
        "proc.vpid": rng.choice([1, 2, 77]),
        "proc.ancestors": [{"pid": 9, "name": rng.choice(["bash", "systemd", "containerd-shim"])}],
        "user.uid": rng.choice([0, 1000]),
        "user.name": rng.choice(["root", "app"]),
        "container.id": rng.choice(["host", "3ad7b26ded6d"]),
        "evt.num": rng.choice([0, 1, rng.randint(2, 10**9)]),
        "evt.time": 1_700_000_000_000_000_000 + rng.randint(0, 10**9),
    }
    return ev


def mix_event(rng: random.Random) -> dict[str, Any]:
    ev = _proc(rng)
    r = rng.random()
    if r < 0.45:
        ev.update(
            {
                "evt.type": rng.choice(["openat", "open"]),
                "fd.name": rng.choice(["/etc/shadow", "/etc/hosts", "/usr/lib/libc.so.6", "/root/.ssh/id"]),
                "fd.type": "file",
                "fd.num": 3,
                "evt.args": {"flags": rng.choice(["O_RDONLY", "O_WRONLY|O_CREAT", "O_RDWR"])},
                "evt.rawres": rng.choice([3, -2]),
            }
        )
    elif r < 0.7:
        ev.update({"evt.type": "execve", "evt.rawres": 0})
    elif r < 0.85:
        ev.update(
            {
                "evt.type": "connect",
                "fd.type": "ipv4",
                "fd.l4proto": "tcp",
                "fd.sip": rng.choice(["10.0.0.1", "93.184.216.34"]),
                "fd.sport": rng.choice([80, 4444]),
                "fd.cip": "10.0.0.5",
                "fd.cport": rng.randint(30000, 30010),
            }
        )
    else:
        ev["evt.type"] = rng.choice(["close", "read", "ptrace", "setuid"])
        ev["evt.args"] = {"request": rng.choice(["PTRACE_ATTACH", "PTRACE_PEEKDATA"]), "uid": "0"}
    return ev


def written(rng: random.Random, ev: dict[str, Any]) -> bytes:
    """``ev`` as one JSON line, written one of several ways (key order, spacing, escapes)."""
    items = list(ev.items())
    if rng.random() < 0.3:
        rng.shuffle(items)
    sep = rng.choice([(",", ":"), (", ", ": "), (" ,", " :\t")])
    parts = []
    for k, v in items:
        value = str(v) if v.__class__ is int else orjson.dumps(v).decode()  # (ints past 64 bits too)
        if isinstance(v, str) and rng.random() < 0.1:
            value = value.replace("/", "\\/")  # the same string, escaped
        if isinstance(v, str) and rng.random() < 0.05:
            value = '"' + "".join(f"\\u{ord(c):04x}" for c in v) + '"'
        parts.append(f"{orjson.dumps(k).decode()}{sep[1]}{value}")
    return ("{" + sep[0].join(parts) + "}" + rng.choice(["", " ", "\r"])).encode()


BROKEN = [
    b"",
    b"   ",
    b"{not json",
    b"[1, 2]",
    b'{"evt.type": 7}',
    b'{"evt.type": "openat", "fd.name": "/etc/shadow"',
    b'{"evt.type": "openat", "fd.name": "/etc/shadow",}',
    b'{"evt.type": "openat", "fd.name": "/etc/\\ud800"}',  # a lone surrogate
    b'{"evt.type": "openat", "fd.name": "/etc/\xff"}',  # not UTF-8
    b'{"evt.type": "openat", "fd.name": "/etc/\xc3\xa9"}',  # UTF-8
    b'{"evt.type": "openat", "n": 1e400}',  # infinite
    b'{"evt.type": "openat", "n": 01}',
    b'{"evt.type": "openat", "n": -}',
    b'{"evt.type": "openat", "x": ' + b"[" * 200 + b"]" * 200 + b"}",
    b'{"evt.type": "openat", "fd.name": "/etc/shadow", "fd.name": "/etc/hosts"}',  # last one wins
    b'{"evt.type": "openat", "fd\\u002ename": "/etc/shadow"}',  # the key fd.name, escaped
    b'{"evt.type": "open\\u0061t", "fd.name": "/etc/shadow"}',
    b'{"evt.type": "openat", "fd.name": "/etc/sha\tdow"}',  # a control character
    b'{"evt.type": "openat"} x',
    b'{"evt.type": "openat", "evt.num": 0.0, "fd.name": "/etc/hosts"}',
    b'{"evt.type": "openat", "evt.num": -0, "fd.name": "/etc/hosts"}',
    b'{"evt.type": "openat", "evt.num": true, "fd.name": "/etc/hosts"}',
    b'{"evt.type": "openat", "evt.num": "0", "fd.name": "/etc/hosts"}',
]


def stream(rng: random.Random, n: int) -> bytes:
    lines = []
    for _ in range(n):
        if rng.random() < 0.02:
            lines.append(rng.choice(BROKEN))
        else:
            lines.append(written(rng, mix_event(rng)))
    return b"\n".join(lines) + rng.choice([b"", b"\n"])


@native
@pytest.mark.parametrize("rule_matching", ["first", "all"])
def test_the_memo_gives_what_the_engine_gives_on_the_upstream_rules(
    all_rules: Ruleset, screens: Screens, rule_matching: str
) -> None:
    data = stream(random.Random(11), 12_000)
    plain, memo = both(all_rules, data, rule_matching)
    assert memo == plain
    assert plain[1].alerts > 500 and plain[1].malformed > 50  # (the stream exercises both)
    s = screens.stats()
    # and the memo answered many events (this mix is varied): as matching nothing, or with their rules
    assert s["skipped"] + s["known"] > 0.3 * plain[1].events and s["known"] > 0, s


@native
def test_blocks_cut_anywhere_give_the_same(
    all_rules: Ruleset, screens: Screens, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = stream(random.Random(5), 3000)
    plain, _ = both(all_rules, data)
    for block in (1, 7, 64, 1000, 4096):
        monkeypatch.setattr(replay_mod, "BLOCK", block)
        _, memo = both(all_rules, data)
        assert memo == plain, block


@native
def test_lines_longer_than_the_limit_are_malformed_unless_blank(
    all_rules: Ruleset, screens: Screens, monkeypatch: pytest.MonkeyPatch
) -> None:
    ev = b'{"evt.type": "openat", "fd.name": "/etc/shadow", "proc.name": "cat", "fd.type": "file"}'
    monkeypatch.setattr(replay_mod, "MAX_LINE", len(ev) + 1)  # (the line with its newline fits)
    pad = b'{"evt.type": "openat", "fd.name": "/etc/shadow", "proc.name": "cat", "fd.type": "filexx"}'
    for block in (8, 40, 1 << 20):
        monkeypatch.setattr(replay_mod, "BLOCK", block)
        for tail in (b"", b"\n"):
            data = b"\n".join([ev, pad, ev, b" " * 300, ev, b"x" * 300, ev, pad]) + tail
            plain, memo = both(all_rules, data)
            assert memo == plain, (block, tail)
            assert plain[1].malformed_lines == [2, 6, 8] and plain[1].events == 4


@native
def test_counts_are_kept_when_the_reader_stops_early(screens: Screens) -> None:
    line = orjson.dumps(SHADOW) + b"\n"
    quiet = orjson.dumps({**SHADOW, "fd.name": "/etc/hosts"}) + b"\n"
    data = quiet * 50 + b"x\n" + line + quiet * 50 + line
    stats = ReplayStats()
    gen = replay_stream(Engine(load_ruleset([DEFAULT_RULES]), hostname="h"), io.BytesIO(data), stats)
    next(gen)  # the first alert (line 52)
    gen.close()
    assert (stats.lines, stats.events, stats.malformed, stats.alerts) == (52, 51, 1, 1)


@native
def test_near_misses_learnt_do_not_hide_the_events_that_fire(all_rules: Ruleset, screens: Screens) -> None:
    """For every upstream rule, the events built one field away from firing it are replayed (and learnt)
    many times first; then the events that fire it: each must still fire."""
    done, _failed = _synthesise(all_rules)
    rng = random.Random(3)
    misses = [m for _ev, ms in done.values() for m in ms]
    positives = [ev for ev, _ms in done.values()]
    lines = [written(rng, m) for _ in range(4) for m in misses]
    lines += [written(rng, ev) for ev in positives] + [written(rng, m) for m in misses]
    plain, memo = both(all_rules, b"\n".join(lines) + b"\n", "all")
    assert memo == plain
    fired = {orjson.loads(a)["rule"] for a in memo[0]}
    assert set(done) <= fired
    assert screens.stats()["learnt"] > 0


ABSTRACT_RULES = """
- rule: small evt.num
  desc: numbers compared with constants
  condition: evt.type = openat and evt.num < 10 and evt.num != 3 and not evt.num in (5, 7)
  output: n<10 (%user.name)
  priority: WARNING
- rule: proc.vpid one
  desc: an equality
  condition: evt.type = execve and proc.vpid = 1
  output: pid 1 (%proc.name)
  priority: WARNING
- rule: has uid
  desc: a field's presence
  condition: evt.type = setuid and user.uid exists and user.uid >= 1000
  output: uid %user.uid
  priority: WARNING
"""


def test_abstractions_are_the_integers_rules_compare_plain_keys_with(all_rules: Ruleset) -> None:
    rs = load_ruleset(texts=[(ABSTRACT_RULES, "a.yaml")])
    assert not rs.errors
    got = abstractions(rs)
    assert got["evt.num"] == (3, 5, 7, 10) and got["proc.vpid"] == (1,)
    assert "user.uid" not in got  # (an output prints it: its value counts, not its place)
    up = abstractions(all_rules)
    assert up["evt.num"] == (0,) and up["proc.vpid"] == (1,)  # upstream's never_true, container entry
    assert not set(up) & DERIVED_READS  # (proc.pid is read by proc.apid[0]: never stored by place)
    other = load_ruleset(
        texts=[
            (
                ABSTRACT_RULES
                + "- rule: text\n  desc: d\n  condition: evt.type = close and evt.num contains 1\n"
                "  output: o\n  priority: WARNING\n",
                "b.yaml",
            )
        ]
    )
    assert not other.errors and "evt.num" not in abstractions(other)  # compared as text somewhere


@native
def test_numbers_stored_by_place_give_the_same(screens: Screens) -> None:
    rs = load_ruleset(texts=[(ABSTRACT_RULES, "a.yaml")])
    rng = random.Random(9)
    lines = []
    for _ in range(4000):
        t = rng.choice(["openat", "execve", "setuid"])
        ev: dict[str, Any] = {"evt.type": t}
        for key in ("evt.num", "proc.vpid", "user.uid"):
            if rng.random() < 0.9:
                ev[key] = rng.choice(
                    [0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 999, 1000, 1001, -1, 2**62, 2**63, 2**64, 1.0, 3.5,
                     "3", True, None, [1]]
                )  # fmt: skip
        lines.append(written(rng, ev))
    plain, memo = both(rs, b"\n".join(lines) + b"\n", "all")
    assert memo == plain and plain[1].alerts > 500
    assert screens.stats()["skipped"] > 1000, screens.stats()


DIFFERENCE_RULES = """
- macro: proc_is_new
  condition: (proc.duration <= 5000000000)
- rule: new proc reads
  desc: a difference compared with a constant
  condition: evt.type = openat and fd.name = /etc/shadow and not proc_is_new and proc.duration != 7
  output: read by %proc.name after %proc.duration ns at %evt.time
  priority: WARNING
- rule: young
  desc: the other side
  condition: evt.type = execve and proc.duration in (1, 2, 3) or (evt.type = execve and proc_is_new)
  output: young %proc.name
  priority: NOTICE
"""


def _rules(*texts: str) -> Ruleset:
    rs = load_ruleset(texts=[(t, f"{i}.yaml") for i, t in enumerate(texts)])
    assert not rs.errors, rs.errors
    return rs


def test_differences_are_those_the_rules_read_only_through_the_field(all_rules: Ruleset) -> None:
    assert differences(all_rules) == {"proc.duration": ("evt.time", "proc.start_ts", (5_000_000_000,))}
    assert differences(_rules(DIFFERENCE_RULES)) == {
        "proc.duration": ("evt.time", "proc.start_ts", (1, 2, 3, 7, 5_000_000_000))
    }
    rule = "- rule: t\n  desc: d\n  condition: evt.type = close and {}\n  output: o\n  priority: WARNING\n"
    for other in ("evt.time > 5", "evt.time exists", "container.duration > 1",
                  "proc.duration contains 5", "proc.duration > val(proc.pid)"):  # fmt: skip
        assert differences(_rules(DIFFERENCE_RULES, rule.format(other))) == {}, other
    assert "evt.time" not in abstractions(_rules(DIFFERENCE_RULES))  # (one way or the other, not both)


@native
def test_differences_stored_by_place_give_the_same(screens: Screens, monkeypatch: pytest.MonkeyPatch) -> None:
    """Lines around the edges of the difference (5 s exactly, ±1 ns, 7, 1..3), with starts that are not
    positive integers, values that are not canonical integers, keys missing or given twice: the memo's
    replay gives what the line-by-line replay gives, and answers most lines without the engine."""
    rs = _rules(DIFFERENCE_RULES)
    rng = random.Random(12)
    base = 1_700_000_000_000_000_000
    lines = []
    for i in range(6000):
        start = rng.choice([base - 5 * 10**9, base - 10**12, 1, 0, -5, base, 2**62])
        delta = rng.choice([5 * 10**9, 5 * 10**9 + 1, 5 * 10**9 - 1, 7, 1, 2, 3, 0, -1, 10**12 + i, i])
        ev: dict[str, Any] = {
            "evt.type": rng.choice(["openat", "execve", "close"]),
            "fd.name": rng.choice(["/etc/shadow", "/etc/hosts"]),
            "proc.name": rng.choice(["cat", "sshd"]),
            "evt.time": start + delta,
            "proc.start_ts": start,
        }
        r = rng.random()
        if r < 0.05:
            ev["proc.start_ts"] = rng.choice([None, 1.5, "1", True, 2**64])
        elif r < 0.08:
            del ev[rng.choice(["proc.start_ts", "evt.time"])]
        elif r < 0.1:
            ev["evt.time"] = rng.choice([2**63 - 1, -(2**63), 2**64, 1e3])
        line = written(rng, ev)
        if rng.random() < 0.02:  # a key given twice (the last one wins)
            line = line[:-1] + b', "proc.start_ts": 3}' if line.endswith(b"}") else line
        lines.append(line)
    data = b"\n".join(lines) + b"\n"
    plain, memo = both(rs, data, "all")
    assert memo == plain and plain[1].alerts > 300
    by_place = screens.stats()
    monkeypatch.setattr(screen_mod, "differences", lambda rs: {})
    assert both(rs, data, "all")[1] == plain
    by_bytes = screens.stats()
    assert by_place["learnt"] * 2 < by_bytes["learnt"], (by_place, by_bytes)  # (what the places saved)


@native
def test_a_type_that_never_repeats_is_no_longer_learnt(screens: Screens) -> None:
    rs = load_ruleset(
        texts=[
            (
                "- rule: r\n  desc: d\n  condition: evt.type = openat and proc.pid = 1\n  output: o\n"
                "  priority: WARNING\n",
                "r.yaml",
            )
        ]
    )
    lines = [orjson.dumps({"evt.type": "openat", "proc.pid": i}) for i in range(20_000)]
    plain, memo = both(rs, b"\n".join(lines) + b"\n")
    assert memo == plain and plain[1].alerts == 1
    t = screens.stats()["types"]["openat"]
    assert t["off"] and t["entries"] < 10_000 and t["hits"] == 0


def test_without_the_c_module_the_stream_is_replayed_line_by_line(
    all_rules: Ruleset, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = stream(random.Random(2), 2000)
    plain, _ = both(all_rules, data)
    monkeypatch.setattr(replay_mod, "new_screen", lambda rs: None)
    _, memo = both(all_rules, data)
    assert memo == plain


@native
def test_the_memo_answers_only_lines_orjson_reads_as_the_learnt_values(all_rules: Ruleset) -> None:
    """Lines mangled at random: any the memo answers must decode to an object whose values under the
    learnt keys are those of the learnt line (so the engine would have said the same)."""
    s = screen_mod.new_screen(all_rules)
    base = {"evt.type": "close", "fd.num": 3, "proc.name": "cat", "evt.args": {"a": [1, "x"]}, "z": "\u00e9"}
    good = orjson.dumps(base)
    keys = ("evt.args", "evt.type", "proc.name", "z")  # (fd.num: stored by place, see below)
    assert s.learn(good, keys, 0)
    items, skipped, _end, _n = s.scan(good + b"\n", 0, 1 << 20, 64)
    assert skipped == 1 and items == []
    rng = random.Random(1)
    alphabet = b'{}[]":,\\ \t\r0123456789eE.-+truefalsnu\x00\x1f\x7f\x80\xc3\xa9\xed\xa0\xf4\x90' + b"abcdx"
    answered = 0
    for _ in range(30_000):
        line = bytearray(good)
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(line) + 1)
            op = rng.random()
            if op < 0.4:
                line[i:i] = bytes([rng.choice(alphabet)])
            elif op < 0.8 and i < len(line):
                line[i] = rng.choice(alphabet)
            elif i < len(line):
                del line[i]
        if b"\n" in line:
            continue
        items, skipped, _end, _n = s.scan(bytes(line) + b"\n", 0, 1 << 20, 64)
        if skipped:
            answered += 1
            ev = orjson.loads(bytes(line))
            assert isinstance(ev, dict), line
            assert {k: ev.get(k) for k in keys} == {k: base[k] for k in keys}, line
    assert answered > 100  # (mangling outside the learnt keys is answered)


def test_the_recorder_notes_every_key_read() -> None:
    rec = Recorder({"a": 1, "b": {"c": 2}})
    assert rec.get("a") == 1 and rec["b"] == {"c": 2} and "zz" not in rec and rec.get("y", 5) == 5
    assert rec.keys_read() == ("a", "b", "y", "zz")
    assert isinstance(rec, dict) and rec == {"a": 1, "b": {"c": 2}}
    list(rec.items())
    assert rec.keys_read() is None  # read whole: the reads tell nothing
    rec2 = Recorder({})
    rec2.get(1)
    assert rec2.keys_read() is None  # a key that is not text


def _full_event() -> dict[str, Any]:
    ev: dict[str, Any] = {}
    for name, spec in FIELDS.items():
        ev[name] = {"int": 5, "port": 80, "bool": True, "ipaddr": "10.0.0.1", "list": ["a"]}.get(
            spec.type.value, "x/y"
        )
    ev.update(
        {
            "evt.type": "openat", "evt.args": {"flags": "O_RDONLY", "mode": "0644", "name": "/a"},
            "proc.ancestors": [{"pid": 2, "name": "bash", "exe": "/bin/bash", "cmdline": "bash -c x"}] * 3,
            "proc.args": ["-c", "x"], "proc.env": {"HOME": "/root"}, "fd.types": {"0": "file"},
            "container.mounts": [{"source": "/a", "dest": "/etc", "mode": "", "rdwr": True}],
            "k8s.pod.labels": {"app": "x"}, "container.image": "nginx:1@sha256:00",
        }
    )  # fmt: skip
    return ev


@pytest.mark.parametrize("variant", ["full", "bare", "no-ancestors", "network"])
def test_derived_reads_lists_every_key_a_field_reads_besides_its_own(variant: str) -> None:
    """The memo stores a key by place only if no derivation reads it (``DERIVED_READS``): every field's
    reader, on events that take its different paths, reads only its own key and keys listed there; and
    the keys of a difference only if the fields reading them are listed in ``KEY_READERS``."""
    ev = {"evt.type": "openat"} if variant == "bare" else _full_event()
    if variant == "no-ancestors":
        for k in ("proc.ancestors", "proc.pname", "proc.cmdline", "proc.pcmdline", "fd.directory"):
            ev.pop(k, None)
    if variant == "network":
        for k in ("fd.name", "fd.directory", "fd.filename", "fd.typechar"):
            ev.pop(k, None)
        ev["fd.type"] = "ipv4"
    extra: dict[str, set[str]] = {}
    for name in FIELDS:
        for arg in (None, "0", "1", "2", "flags", "name", "/etc*", "HOME", "app", "dest"):
            try:
                x = extractor(name, arg)
            except Exception:  # (an argument this field does not take)
                continue
            rec = Recorder(dict(ev))
            # (a value of the wrong kind for a reader raises: its reads count all the same)
            with contextlib.suppress(Exception):
                (x.fn if x.fn is not None else (lambda e, k=x.key: e.get(k)))(rec)
            own = {x.key, x.stored, name}
            read = set(rec.seen) - own - DERIVED_READS
            # (and the readers of a difference's keys are those KEY_READERS names)
            read |= {
                k for k, readers in KEY_READERS.items() if k in set(rec.seen) - own and name not in readers
            }
            if read:
                extra[x.field] = read
    assert extra == {}


@pytest.mark.parametrize("rule_matching", ["first", "all"])
def test_rules_run_one_by_one_match_what_the_generated_functions_match(
    all_rules: Ruleset, rule_matching: str
) -> None:
    """``Engine.per_rule`` (what the memo's replay uses): the same rules for every event as the functions
    generated per type and index values, on events next to every rule's edge and a mixed stream."""
    done, _ = _synthesise(all_rules)
    events = [ev for ev, ms in done.values()] + [m for _ev, ms in done.values() for m in ms]
    events += [mix_event(random.Random(i)) for i in range(3000)]
    generated = Engine(all_rules, rule_matching=rule_matching, hostname="h")
    in_turn = Engine(all_rules, rule_matching=rule_matching, hostname="h")
    in_turn.per_rule()
    for ev in events:
        want = [r.name for r in generated.match(dict(ev))]
        assert [r.name for r in in_turn.match(dict(ev))] == want, ev
    assert generated.errors == in_turn.errors


def _timeless_line(line: bytes) -> bytes:
    """A JSON alert as it is but for an alert of an event without ``evt.time`` (the clock's time then,
    ``mix_event`` sets evt.time in 2023): that one without its time."""
    d = orjson.loads(line)
    if d["time"].startswith("2023-11-1"):
        return line.rstrip(b"\n")
    if d["output"].startswith(d["time"]):
        d["output"] = d["output"][len(d["time"]) :]
    del d["time"]
    return orjson.dumps(d)


def _timeless_text(line: bytes) -> bytes:
    """A text alert as it is, but for one of an event without ``evt.time``: without its time."""
    line = line.rstrip(b"\n")
    return line if line.startswith(b"2023-11-1") else line.split(b": ", 1)[1]


@native
@pytest.mark.parametrize(
    ("source", "form", "rule_matching"),
    [("bytes", "json", "first"), ("file", "json", "first"), ("pipe", "json", "first"),
     ("bytes", "text", "first"), ("bytes", "json", "all"), ("file", "text", "all")],
)  # fmt: skip
def test_lines_written_by_the_memo_are_the_line_by_line_replay_s(
    all_rules: Ruleset, screens: Screens, tmp_path: Any, source: str, form: str, rule_matching: str
) -> None:
    """``replay_write`` (what the command writes: the alerts the memo knows whole written by the memo from
    their fields' pieces) against the line-by-line replay's ``to_json`` or ``line``, byte for byte and in
    order, read from memory, a file (``os.readv`` into the buffer) and a pipe."""
    import os
    import threading

    data = stream(random.Random(21), 6000)
    plain_stats = ReplayStats()
    engine = Engine(all_rules, rule_matching=rule_matching, hostname="h")
    norm = _timeless_line if form == "json" else _timeless_text
    alerts = replay(engine, io.BytesIO(data), plain_stats)
    want = [norm(a.to_json() if form == "json" else a.line().encode()) for a in alerts]
    out = io.BytesIO()
    stats = ReplayStats()
    engine = Engine(all_rules, rule_matching=rule_matching, hostname="h")
    if source == "bytes":
        replay_mod.replay_write(engine, io.BytesIO(data), stats, out.write, form=form)
    elif source == "file":
        path = tmp_path / "events.jsonl"
        path.write_bytes(data)
        with open(path, "rb") as fh:
            replay_mod.replay_write(engine, fh, stats, out.write, form=form)
    else:
        r, w = os.pipe()

        def feed() -> None:
            with os.fdopen(w, "wb") as writer:
                for i in range(0, len(data), 50_000):
                    writer.write(data[i : i + 50_000])
                    writer.flush()

        t = threading.Thread(target=feed)
        t.start()
        with os.fdopen(r, "rb") as fh:
            replay_mod.replay_write(engine, fh, stats, out.write, form=form)
        t.join()
    got = [norm(x) for x in out.getvalue().splitlines()]
    assert got == want and stats == plain_stats and len(want) > 500
    assert screens.stats()["wrote"] > 0  # (some alerts written by the memo)


@native
def test_the_memo_writes_known_alerts_from_their_fields_with_the_time_as_rfc3339_ns() -> None:
    """Alerts the memo writes itself (``scan``'s sink): the program's bytes, the pieces of its fields learnt
    for the line's values, and the time ``rfc3339_ns`` makes; the lines it writes are not returned, the
    others carry the sink's size when they came."""
    from stockade.model.alert import rfc3339_ns

    s = screen_mod.new_screen(load_ruleset([]))
    assert s is not None
    first = b'{"evt.type":"x","k":1,"f":"a","evt.time":5}'
    assert s.learn(first, ("evt.type", "k"), 1)
    s.program(1, (b"<", -1, b"|", -1, b">", 0, 1, 2, b"/", 5, b"\n"), (7, 3))  # (fields numbered 7 and 3)
    sink = bytearray()
    items, _skipped, _end, _n = s.scan(first + b"\n", 0, 1 << 20, 64, sink)
    assert items[3:7] == [2, 5, -1, 0] and sink == b""  # (its fields not known: returned, to learn them)
    assert s.missing(first, 1) == (7, 3) and s.missing(first, 2) is None
    assert s.learn_fields(first, [(("f",), 7, (b"A", b"B", b"C")), (("f", "k"), 3, (b"D", b"E", b"F"))]) == 2
    assert s.missing(first, 1) == ()
    items, _skipped, _end, _n = s.scan(b'{"evt.type":"x","k":1,"f":"b","evt.time":5}\n', 0, 1 << 20, 64, sink)
    assert items[3:7] == [2, 5, -1, 0] and sink == b""  # (f another value: not known)
    rng = random.Random(3)
    days = [0, 59, 60, 365 + 59, 11_016, 11_017, 11_046, 47_540, 47_541, 106_751]  # (2000-02-29, 2100-03-01…)
    day = 86_400 * 10**9
    times = [d * day + rng.choice([0, 1, 999_999_999, rng.randrange(day)]) for d in days]
    times += [2**63 - 1, rng.randrange(2**63)]
    lines = [b'{"f":"a","evt.type":"x","k":1,"evt.time":%d}' % t for t in times]
    lines.insert(3, b'{"evt.type":"x","k":1,"f":"a","evt.time":-1}')  # (before 1970: returned)
    lines.insert(5, b'{"evt.type":"x","k":2,"f":"a","evt.time":7}')  # (not known: returned, to learn)
    items, _skipped, _end, n = s.scan(b"\n".join(lines) + b"\n", 0, 1 << 20, 64, sink)
    assert n == len(lines) and s.drain() == [1, len(times)] and s.drain() == []
    want = b"".join(b"<%s|%s>ABC/F\n" % ((rfc3339_ns(t).encode(),) * 2) for t in times)
    assert sink == want, (sink[:200], want[:200])
    per = len(want) // len(times)
    marks = [(items[i], items[i + 5], items[i + 6]) for i in range(0, len(items), 7)]  # (line, fields, mark)
    assert marks == [(3, 1, 3 * per), (5, -2, 4 * per)]
    assert s.stats()["wrote"] == len(times) and s.stats()["fields"][7]["entries"] == 1
