"""The generated output formatter (``Formatter._generate``) against the reading loop it replaced, on
every upstream rule's output and events with values of every kind."""

from __future__ import annotations

import random
from typing import Any

from stockade.runtime.rules.output import Formatter, field_output, render
from stockade.runtime.rules.ruleset import Ruleset

from .test_synthesized import _synthesise


def _field_before(get: Any, ev: dict[str, Any]) -> tuple[str, Any]:
    """One field as formatting read it before it was generated."""
    try:
        v = get(ev)
    except Exception:
        v = None
    r = render(v)
    return r, (v if v is None or isinstance(v, (str, int, float, bool)) else r)


def assembled(
    f: Formatter, ev: dict[str, Any], field: Any, fresh: bool = False
) -> tuple[str, dict[str, Any]]:
    """The output made by a loop over its parts, each field by ``field`` (on a fresh copy of the event
    with ``fresh``, as the replay memo learns fields)."""
    text: list[str] = []
    values: dict[str, Any] = {}
    for p in f.parts:
        if isinstance(p, str):
            text.append(p)
            continue
        t, v = field(p[1], dict(ev) if fresh else ev)
        text.append(t)
        values[p[0]] = v
    return "".join(text), values


ODD = [None, "", "x y", 0, -7, 2**70, 1.5, True, False, ["a", 1, None], {"k": "v"}, [], b"\xff"]


def test_generated_formatting_matches_the_loop(all_rules: Ruleset) -> None:
    done, _ = _synthesise(all_rules)
    events = [ev for ev, misses in done.values()] + [m for _ev, misses in done.values() for m in misses]
    rng = random.Random(4)
    keys = sorted({k for ev in events for k in ev})
    for _ in range(300):  # values of every kind under the keys the rules read (some break the readers)
        events.append({k: rng.choice(ODD) for k in rng.sample(keys, min(len(keys), 12))})
    checked = 0
    for rule in all_rules.rules:
        for ev in events:
            a, b = dict(ev), dict(ev)
            assert rule.formatter.format(a) == assembled(rule.formatter, b, _field_before), (rule.name, ev)
            assert a == b  # the same derived values stored back in the event
            assert rule.formatter.format(dict(ev)) == assembled(rule.formatter, ev, field_output, fresh=True)
            checked += 1
    assert checked > 10_000


def test_percent_literals_and_unknown_fields_are_kept() -> None:
    f = Formatter("100%% of %proc.name by %no.such_field and %proc.aname[2]%fd.num")
    text, values = f.format(
        {"proc.name": "sh", "proc.ancestors": [{"name": "a"}, {"name": "b"}], "fd.num": 3}
    )
    assert text == "100% of sh by %no.such_field and b3"
    assert values == {"proc.name": "sh", "proc.aname[2]": "b", "fd.num": 3}
    assert Formatter("plain").format({}) == ("plain", {})
