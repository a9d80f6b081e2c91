"""The per-type index (``stockade.runtime.rules.index``) changes no result: the indexed engine and the
engine without it agree on every event — synthesised positives and near misses for every upstream rule,
odd variants of them (values of the wrong type, lists where a key is needed, ``evt.args`` that is not a
dict, missing or empty ancestors, derived values the event carries), values a dict cannot tell apart
(``True``/``1``/``1.0``), relaxations that raise, and a stream whose values never repeat (the dimension is
dropped).
"""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

from stockade.runtime.rules import index
from stockade.runtime.rules.engine import Engine
from stockade.runtime.rules.ruleset import Ruleset, load_ruleset

from .test_synthesized import _synthesise

ODD: list[dict[str, Any]] = [
    {"evt.args": "O_WRONLY"},
    {"evt.args": ["O_WRONLY"]},
    {"evt.args": None},
    {"evt.args": {}},
    {"evt.args": {"flags": None, "mode": "S_IXUSR"}},
    {"proc.ancestors": []},
    {"proc.ancestors": "bash"},
    {"proc.ancestors": ["bash"]},
    {"proc.ancestors": None, "proc.pname": "nginx"},
    {"proc.pname": None},
    {"proc.tty": True},
    {"proc.tty": 1.0},
    {"proc.name": 7},
    {"proc.name": ["sh"]},
    {"fd.name": ["/etc/shadow"]},
    {"fd.directory": None},
    {"fd.typechar": "f", "fd.type": None},
    {"evt.is_open_write": True},
    {"container.id": None},
]


def _names(rules: list[Any]) -> list[str]:
    return [r.name for r in rules]


def _agree(rs: Ruleset, events: list[dict[str, Any]]) -> Engine:
    """Both engines, both matching modes, cold and warm caches; returns the indexed 'all' engine."""
    out = None
    for mode in ("all", "first"):
        plain = Engine(rs, rule_matching=mode, hostname="h", index=False)
        fast = Engine(rs, rule_matching=mode, hostname="h")
        out = out or fast
        for _round in range(2):
            for ev in events:
                want = _names(plain.match(dict(ev)))
                assert _names(fast.match(dict(ev))) == want, ev
    assert out is not None
    return out


def test_index_agrees_on_synthesised_and_odd_events_for_every_upstream_rule(all_rules: Ruleset) -> None:
    done, _failed = _synthesise(all_rules)
    events = [ev for pos, misses in done.values() for ev in [pos, *misses]]
    events += [{**pos, **odd} for pos, _m in done.values() for odd in ODD]
    fast = _agree(all_rules, events)
    # the index is at work: the busiest types are indexed and some events ran a subset of their rules
    for t in ("openat", "execve", "connect"):
        assert fast.indexed_fields(t), t
    ix = fast._indexes["openat"]
    assert any(m & ix.safe and m != ix.everyone for m in ix.by_mask)


RULES = """
- rule: one in tty
  desc: d
  condition: evt.type = execve and proc.tty contains "1"
  output: o
  priority: NOTICE
- rule: shell
  desc: d
  condition: evt.type = execve and proc.name in (sh, bash) and proc.tty != 0
  output: o
  priority: NOTICE
- rule: sh prefix
  desc: d
  condition: evt.type = execve and proc.name startswith sh
  output: o
  priority: NOTICE
- rule: etc
  desc: d
  condition: evt.type = openat and fd.name startswith /etc/ and proc.name != vi
  output: o
  priority: NOTICE
- rule: shadow
  desc: d
  condition: evt.type = openat and fd.name = /etc/shadow
  output: o
  priority: NOTICE
- rule: tmp
  desc: d
  condition: evt.type = openat and (fd.name startswith /tmp/ or fd.directory = /var/tmp)
  output: o
  priority: NOTICE
"""


@pytest.fixture(scope="module")
def rs() -> Ruleset:
    rs = load_ruleset(texts=[(textwrap.dedent(RULES), "index.yaml")])
    assert rs.errors == [], rs.errors
    return rs


def test_values_a_dict_cannot_tell_apart_are_not_confused(rs: Ruleset) -> None:
    # str(True) is "True", str(1) is "1": 'contains "1"' tells them apart although True == 1 == 1.0
    events = [{"evt.type": "execve", "proc.name": "sh", "proc.tty": v} for v in (True, 1, 1.0, False, 0, 10)]
    fast = _agree(rs, events + events[::-1])
    assert "proc.tty" in fast.indexed_fields("execve")[0]
    assert _names(fast.match({"evt.type": "execve", "proc.name": "sh", "proc.tty": True})) == [
        "shell",
        "sh prefix",
    ]
    assert _names(fast.match({"evt.type": "execve", "proc.name": "sh", "proc.tty": 1})) == [
        "one in tty",
        "shell",
        "sh prefix",
    ]


def test_a_relaxation_that_raises_runs_the_unindexed_function(rs: Ruleset) -> None:
    # startswith on a number raises: the rule fails (and counts in errors) as it does without the index
    ev = {"evt.type": "execve", "proc.name": 17, "proc.tty": 0}
    plain = Engine(rs, rule_matching="all", hostname="h", index=False)
    fast = Engine(rs, rule_matching="all", hostname="h")
    assert _names(plain.match(dict(ev))) == []
    assert _names(fast.match(dict(ev))) == []
    assert fast.errors == plain.errors == 1
    ix = fast._indexes["execve"]
    (mask,) = [m for key, m in ix.caches[0].items() if 17 in key]
    assert not mask & ix.safe


def test_a_dimension_whose_values_never_repeat_is_dropped(rs: Ruleset) -> None:
    events = [
        {"evt.type": "openat", "fd.name": f"/{d}/f{i}", "fd.type": "file", "proc.name": "cat"}
        for i in range(3 * index.MISS_WINDOW)
        for d in ("etc", "tmp")
    ] + [{"evt.type": "openat", "fd.name": "/etc/shadow", "fd.type": "file", "proc.name": "vi"}]
    fast = _agree(rs, events)
    ix = fast._indexes["openat"]
    assert ix.dropped and "fd.name" in ix.dropped[0]
    assert all("fd.name" not in fields for fields in fast.indexed_fields("openat"))
    assert _names(fast.match(dict(events[-1]))) == ["shadow"]


def test_hopeless_events_match_nothing_whatever_enrichment_adds(all_rules: Ruleset) -> None:
    """``Engine.hopeless`` judges an event as a source gives it (``evt.*`` and ``fd.*`` only): when it says
    no rule can match, the whole event — with the process, user and container fields enrichment would
    add — matches nothing; every synthesised positive is not hopeless."""
    done, _failed = _synthesise(all_rules)
    engine = Engine(all_rules, rule_matching="all", hostname="h")
    hopeless = 0
    for name, (pos, misses) in done.items():
        for ev in [pos, *misses]:
            raw = {k: v for k, v in ev.items() if k.startswith(("evt.", "fd."))}
            if engine.hopeless(raw):
                hopeless += 1
                assert engine.match(dict(ev)) == [], (name, ev)
    assert hopeless > 10  # (the near misses on fd.* fields)


def test_hopeless_connects_and_types_without_rules(stable_rules: Ruleset) -> None:
    engine = Engine(stable_rules, rule_matching="all", hostname="h")
    loopback = {"evt.type": "connect", "evt.rawres": 0, "fd.type": "ipv4", "fd.l4proto": "tcp"}
    loopback.update({"fd.sip": "127.0.0.1", "fd.sport": 40123, "fd.rip": "127.0.0.1", "fd.rport": 40123})
    # the SSH rule needs one of its ports; the Kubernetes API rule a server name (fd.sip.name)
    assert engine.hopeless(dict(loopback))
    outside = {**loopback, "fd.sip": "93.184.216.34", "fd.sport": 443, "fd.rport": 443}
    assert not engine.hopeless(outside)  # "Disallowed SSH Connection Non Standard Port" may match
    assert engine.hopeless({"evt.type": "chdir", "evt.rawres": 0})  # no rule names chdir
    assert not engine.hopeless({"evt.type": 7})
    rule = "- rule: r\n  desc: d\n  condition: proc.name = x\n  output: o\n  priority: INFO\n"
    any_type = load_ruleset(texts=[(rule, "t.yaml")])
    assert not Engine(any_type, hostname="h").hopeless({"evt.type": "chdir"})  # a rule for every type
