"""Synthesised events for every enabled upstream rule: one built to fire it and near misses built from it.

The reference interpreter (``synth.reference``, an AST walk) and the compiled engine must agree on every
event, and the synthesised positive must make the engine report the rule.
"""

from __future__ import annotations

from typing import Any

from stockade.runtime.rules.engine import Engine
from stockade.runtime.rules.ruleset import Ruleset

from .synth import MISSING, reference, satisfy, to_event

PREFERRED = ("execve", "openat", "connect", "open", "openat2", "symlinkat", "linkat", "ptrace")


def _pick(types: frozenset[str]) -> str:
    for t in PREFERRED:
        if t in types:
            return t
    return sorted(types)[0]


def _synthesise(rs: Ruleset) -> tuple[dict[str, tuple[dict[str, Any], list[dict[str, Any]]]], list[str]]:
    done: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]] = {}
    failed: list[str] = []
    for r in rs.rules:
        t = _pick(r.evttypes)
        ast = r.asts.get(t) or r.asts[None]
        found = None
        for env in satisfy(ast, True, {}, [20000]):
            ev = to_event(env, t)
            if reference(ast, ev):
                found = (env, ev)
                break
        if found is None:
            failed.append(r.name)
            continue
        env, ev = found
        misses = []
        for k, v in env.items():  # near misses: one assigned field changed or removed
            if v is MISSING:
                continue
            for alt in (MISSING, "zz-other", 987654):
                miss = to_event({**env, k: alt}, t)
                if not reference(ast, miss):
                    misses.append(miss)
                    break
        done[r.name] = (ev, misses)
    return done, failed


def test_synthesised_events_fire_their_rule_and_near_misses_do_not(all_rules: Ruleset) -> None:
    engine = Engine(all_rules, rule_matching="all", hostname="h")
    done, failed = _synthesise(all_rules)
    # the synthesiser does not model mounts, fd tables or env maps: a handful of rules stay out
    assert len(done) >= 0.85 * len(all_rules.rules), failed
    disagreements = []
    for name, (ev, misses) in done.items():
        if name not in [r.name for r in engine.match(dict(ev))]:
            disagreements.append(f"{name}: positive did not fire: {ev}")
        for miss in misses:
            if name in [r.name for r in engine.match(dict(miss))]:
                disagreements.append(f"{name}: near miss fired: {miss}")
    assert disagreements == []
    assert sum(len(m) for _, m in done.values()) >= len(done)
    assert engine.errors == 0
