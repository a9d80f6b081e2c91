"""Evaluating events against a :class:`~stockade.runtime.rules.ruleset.Ruleset`, indexed by event type.

As in Falco, an event only meets the rules that can match its ``evt.type``: for every type some rule
names, the engine generates one Python function that runs those rules' compiled expressions in load
order (plus the rules that match every type), and a dict maps the type to it.  ``rule_matching`` is
Falco's option (https://falco.org/docs/reference/daemon/config-options/): ``first`` stops at the first
matching rule, ``all`` reports every matching rule.

Within a type, a second index: when several of its rules require a plain string key to be one of a few
values (``proc.name in (…)`` as a top-level conjunct), an event whose value is a string runs a function
generated for that value's rules only (kept per value; values selecting the same rules share it).  A rule
left out could not have matched, so results are unchanged; the one visible difference is that a left-out
rule whose evaluation would have raised no longer counts in ``errors``.

An event whose values break an expression (a number where text was expected …) does not stop the
engine: the rules are run one by one, the failing ones count as not matched, and ``errors`` counts it.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

from stockade.model.alert import Alert
from stockade.model.event import Event
from stockade.runtime.rules.compile import CompileError, ExprCompiler
from stockade.runtime.rules.fields import FType
from stockade.runtime.rules.grammar.ast import And, BinaryCheck, Expr, Field, ListValue, Not, Or, Value, walk
from stockade.runtime.rules.ruleset import CompiledRule, Ruleset

Matcher = Callable[[Event], Any]
MIN_INDEXED = 3  # rules of a type that must restrict a key for the engine to index the type on it
MAX_SPECIALISED = 4096  # specialised functions kept per type (by key value; the functions are shared)


def _conjuncts(e: Expr) -> list[Expr]:
    """The checks that must all hold for ``e`` to hold (nested ``and`` flattened)."""
    if isinstance(e, And):
        return [x for c in e.children for x in _conjuncts(c)]
    return [e]


class Engine:
    def __init__(
        self, ruleset: Ruleset, *, rule_matching: str = "first", hostname: str | None = None
    ) -> None:
        if rule_matching not in ("first", "all"):
            raise ValueError(f"rule_matching must be 'first' or 'all', not {rule_matching!r}")
        self.ruleset = ruleset
        self.first = rule_matching == "first"
        self.hostname = hostname if hostname is not None else socket.gethostname()
        self.rules = ruleset.rules
        self.errors = 0
        self.last_error = ""
        self.evaluated = 0
        types: set[str] = set()
        for r in self.rules:
            types.update(t for t in r.codes if t is not None)
        self._any_rules = [r for r in self.rules if None in r.codes]
        self._subsets: dict[tuple[str | None, tuple[int, ...]], Matcher] = {}
        self._by_type: dict[str, Matcher] = {t: self._generate(t) for t in sorted(types)}
        self._fallback: Matcher = self._generate(None)
        self._single: dict[tuple[int, str | None], Matcher] = {}
        # per type: (function, key, specialised functions by the key's value) — see _index
        self._dispatch: dict[str, tuple[Matcher, str | None, dict[str, Matcher]]] = {}
        self._restrict: dict[str, dict[int, frozenset[str]]] = {}
        for t in sorted(types):
            key, restrict = self._index(t)
            self._dispatch[t] = (self._by_type[t], key, {})
            self._restrict[t] = restrict

    def _members(self, t: str | None) -> list[tuple[CompiledRule, Expr]]:
        out = []
        for r in self.rules:
            ast = r.asts.get(t) if t is not None else None
            if ast is None:
                ast = r.asts.get(None)
            if ast is not None:
                out.append((r, ast))
        return out

    def _index(self, t: str) -> tuple[str | None, dict[int, frozenset[str]]]:
        """The plain string key (``proc.name`` …) that the most rules of type ``t`` require to be one of a
        few values — a top-level conjunct ``key = v`` or ``key in (…)`` — and those values per rule index.

        An event whose value is a string only meets the rules that allow it (plus the unrestricted ones):
        a rule whose required conjunct is false cannot match, so dropping it changes no result.
        """
        by_key: dict[str, dict[int, frozenset[str]]] = {}
        compiler = ExprCompiler(self.ruleset.namespace)
        for r, ast in self._members(t):
            found: dict[str, frozenset[str]] = {}
            for c in _conjuncts(ast):
                if not (
                    isinstance(c, BinaryCheck)
                    and isinstance(c.left, Field)
                    and c.left.arg is None
                    and c.op in ("=", "==", "in")
                    and c.modifier is None
                    and isinstance(c.right, (Value, ListValue))
                ):
                    continue
                try:
                    x = compiler.extract(c.left)
                except CompileError:
                    continue
                if x.key is None or x.multi or x.type is not FType.STR:
                    continue
                vals = frozenset(
                    [c.right.text] if isinstance(c.right, Value) else [v.text for v in c.right.items]
                )
                found[x.key] = found[x.key] & vals if x.key in found else vals
            for key, vals in found.items():
                by_key.setdefault(key, {})[r.index] = vals
        if not by_key:
            return None, {}
        key = max(sorted(by_key), key=lambda k: len(by_key[k]))
        if len(by_key[key]) < MIN_INDEXED:
            return None, {}
        return key, by_key[key]

    def _specialise(self, t: str, value: str) -> Matcher:
        """The function for events of type ``t`` whose index key has ``value`` (kept per value)."""
        restrict = self._restrict[t]
        keep = tuple(
            r.index for r, _ast in self._members(t) if r.index not in restrict or value in restrict[r.index]
        )
        fn = self._subsets.get((t, keep))
        if fn is None:
            fn = self._subsets[(t, keep)] = self._generate(t, set(keep))
        cache = self._dispatch[t][2]
        if len(cache) >= MAX_SPECIALISED:
            cache.clear()
        cache[value] = fn
        return fn

    def _generate(self, t: str | None, only: set[int] | None = None) -> Matcher:
        """One function for every rule of type ``t`` (or those of them in ``only``); subtrees shared by
        several rules (inlined macros such as ``open_read``, ``container``), plain keys and derived fields
        are evaluated at most once per event."""
        ns = self.ruleset.namespace.values
        members = [m for m in self._members(t) if only is None or m[0].index in only]
        seen: set[int] = set()
        shared: set[int] = set()
        for _r, ast in members:
            for node in walk(ast):
                if isinstance(node, (And, Or, Not)):
                    (shared if id(node) in seen else seen).add(id(node))
        compiler = ExprCompiler(self.ruleset.namespace, shared, memo_fields=True, evttype=t)
        body = [(r, compiler.compile(ast)) for r, ast in members]
        # constants the rules use most become locals (default arguments), the rest stay globals
        lines = ["def _match(ev, _U=_U):", "    g = ev.get"]
        for key, local in compiler.keys.items():  # plain keys: one dict read each, not one per use
            lines.append(f"    {local} = g({key!r})")
        if compiler.slots:
            lines.append("    " + " = ".join(compiler.slots.values()) + " = _U")
        if not self.first:
            lines.append("    out = []")
        for r, code in body:  # the function returns a new list of the matching rules
            if self.first:
                lines.append(f"    if {code}: return [_R{r.index}]")
            else:
                lines.append(f"    if {code}: out.append(_R{r.index})")
        lines.append("    return []" if self.first else "    return out")
        scope: dict[str, Any] = dict(ns)
        scope.update((f"_R{r.index}", r) for r, _ast in members)
        exec(compile("\n".join(lines), f"<rules:{t or '*'}>", "exec"), scope)
        fn: Matcher = scope["_match"]
        return fn

    def _rule_fn(self, r: CompiledRule, t: str | None) -> Matcher:
        key = (r.index, t)
        fn = self._single.get(key)
        if fn is None:
            code = r.codes.get(t) if t in r.codes else r.codes[None]
            scope: dict[str, Any] = dict(self.ruleset.namespace.values)
            exec(
                compile(f"def _one(ev):\n    g = ev.get\n    return {code}", f"<rule:{r.name}>", "exec"),
                scope,
            )
            fn = scope["_one"]
            self._single[key] = fn
        return fn

    def match(self, ev: Event) -> list[CompiledRule]:
        """The rules ``ev`` matches (at most one with ``rule_matching: first``)."""
        self.evaluated += 1
        t = ev.get("evt.type")
        d = self._dispatch.get(t) if isinstance(t, str) else None
        if d is None:
            fn = self._fallback
        else:
            fn, key, cache = d
            if key is not None:
                v = ev.get(key)
                if v.__class__ is str:
                    fn = cache.get(v) or self._specialise(t, v)  # type: ignore[arg-type]
        try:
            hits: list[CompiledRule] = fn(ev)
        except Exception:
            hits = self._careful(ev, t if isinstance(t, str) and t in self._by_type else None)
        return hits

    def _careful(self, ev: Event, t: str | None) -> list[CompiledRule]:
        self.errors += 1
        out: list[CompiledRule] = []
        for r, _ast in self._members(t):
            try:
                ok = self._rule_fn(r, t if t in r.codes else None)(ev)
            except Exception as exc:
                self.last_error = f"rule '{r.name}': {type(exc).__name__}: {exc}"
                continue
            if ok:
                out.append(r)
                if self.first:
                    break
        return out

    def alerts(self, ev: Event) -> list[Alert]:
        out = []
        for r in self.match(ev):
            text, fields = r.formatter.format(ev)
            ts = ev.get("evt.time")
            out.append(
                Alert(
                    time_ns=ts if isinstance(ts, int) else time.time_ns(),
                    rule=r.name,
                    priority=r.priority,
                    output=text,
                    output_fields=fields,
                    source=r.source,
                    tags=r.tags,
                    hostname=str(ev.get("evt.hostname") or self.hostname),
                )
            )
        return out

    def rules_for(self, evttype: str) -> list[str]:
        """Names of the rules an event of ``evttype`` meets (the index at work)."""
        return [r.name for r, _ in self._members(evttype if evttype in self._by_type else None)]
