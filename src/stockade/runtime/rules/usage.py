"""Which fields a loaded rule's condition reads, and which enabled rules depend on fields an event
source cannot fill (issue "Runtime rule engine", item 3: "a field the sensors cannot fill is reported at
load time as unsupported, with the rules that use it").

A rule whose condition needs a field the source never fills cannot fire on the facts that field carries
(libsinsp's rule: a comparison on a missing value is false), so the rule is degraded, not broken: the
sensor says so at start instead of letting it look covered.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping

from stockade.runtime.rules.grammar.ast import Field
from stockade.runtime.rules.ruleset import CompiledRule, Ruleset


def _walk(node: object) -> Iterator[str]:
    if isinstance(node, Field):
        yield node.name
        return
    if isinstance(node, tuple):
        for item in node:
            yield from _walk(item)
        return
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        for f in dataclasses.fields(node):
            if f.name != "pos":
                yield from _walk(getattr(node, f.name))


def condition_fields(rule: CompiledRule) -> frozenset[str]:
    """Every field name the rule's condition reads (over all its event types), without arguments."""
    names: set[str] = set()
    for ast in rule.asts.values():
        names.update(_walk(ast))
    return frozenset(names)


def blind_rules(ruleset: Ruleset, unfilled: Mapping[str, str]) -> dict[str, list[str]]:
    """Rule name → the fields it reads that the source never fills (``unfilled``: field → why), for
    the enabled rules that read any; sorted."""
    out: dict[str, list[str]] = {}
    for rule in ruleset.rules:
        missing = sorted(condition_fields(rule) & unfilled.keys())
        if missing:
            out[rule.name] = missing
    return dict(sorted(out.items()))
