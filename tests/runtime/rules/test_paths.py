"""The path tests the kernel filter takes from the rules (``rules/paths.py``) are sound: every open event
that fires a rule has a path passing them — checked on synthesised positives for every upstream rule an
open meets, and on hand-written rules for each kind of check."""

from __future__ import annotations

import textwrap

import pytest

from stockade.runtime.rules.engine import Engine
from stockade.runtime.rules.paths import OPEN_TYPES, PathFilter, open_filter
from stockade.runtime.rules.ruleset import Ruleset, load_ruleset

from .test_synthesized import _synthesise


def _rules(body: str) -> Engine:
    rs = load_ruleset(texts=[(textwrap.dedent(body), "paths.yaml")])
    assert rs.errors == [], rs.errors
    return Engine(rs, rule_matching="all", hostname="h")


def _rule(cond: str, name: str = "r") -> str:
    return f"- rule: {name}\n  desc: d\n  condition: {cond}\n  output: o\n  priority: NOTICE\n"


def test_stable_rules_give_prefixes_and_substrings(stable_rules: Ruleset) -> None:
    f = open_filter(Engine(stable_rules))
    assert f is not None
    assert "/etc/shadow" in f.prefixes and "/var/log" in f.prefixes
    assert "release_agent" in f.suffixes and "/syslog" in f.suffixes and "../" in f.substrings
    assert not f.passes("/dev/shm/tmp1/f1") and not f.passes("/usr/lib/x86_64-linux-gnu/libc.so.6")


def test_every_synthesised_open_that_fires_a_rule_passes(all_rules: Ruleset) -> None:
    done, _failed = _synthesise(all_rules)
    # the three files together have rules an open of any path can fire (no filter): check per rule instead
    checked = 0
    for r in all_rules.rules:
        if not any(t in r.asts or None in r.asts for t in OPEN_TYPES) or r.name not in done:
            continue
        ev = done[r.name][0]
        if ev.get("evt.type") not in OPEN_TYPES or not isinstance(ev.get("fd.name"), str):
            continue
        only = Ruleset(rules=[r], namespace=all_rules.namespace)
        f = open_filter(Engine(only))
        if f is None:
            continue
        raw = ev.get("fd.nameraw", ev["fd.name"])
        assert f.passes(ev["fd.name"]) or f.passes(raw), (r.name, ev["fd.name"], f)
        checked += 1
    assert checked >= 10


@pytest.mark.parametrize(
    ("cond", "want"),
    [
        ("fd.name = /etc/shadow", PathFilter(("/etc/shadow",), ())),
        ("fd.name in (/a, /b/c) and proc.name = x", PathFilter(("/a", "/b/c"), ())),
        ("fd.name pmatch (/opt, /opt/x)", PathFilter(("/opt",), ())),
        ("fd.directory = /etc or fd.filename = passwd", PathFilter(("/etc",), (), ("/passwd",))),
        ("fd.name glob '/srv/*/conf' and evt.is_open_write = true", PathFilter(("/srv/",), ())),
        ("fd.name endswith .pem", PathFilter((), (), (".pem",))),
        ("fd.name contains .pem", PathFilter((), (".pem",))),
        ("fd.nameraw contains '../' and fd.name startswith /etc", PathFilter((), ("../",))),
        ("fd.name startswith /etc and not fd.name startswith /etc/x", PathFilter(("/etc",), ())),
        ("fd.name icontains shadow", None),
        ("proc.name = cat", None),
        ("fd.name startswith /etc or proc.name = cat", None),
        ("fd.directory = /", None),
        ("not fd.name startswith /tmp", None),
    ],
)
def test_each_kind_of_check(cond: str, want: PathFilter | None) -> None:
    assert open_filter(_rules(_rule(f"evt.type = openat and ({cond})"))) == want


def test_rules_of_other_types_do_not_count() -> None:
    engine = _rules(
        _rule("evt.type = execve and proc.name = sh", "a") + _rule("evt.type = open and fd.name = /x")
    )
    assert open_filter(engine) == PathFilter(("/x",), ())
