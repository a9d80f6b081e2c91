"""Evaluating events against a :class:`~stockade.runtime.rules.ruleset.Ruleset`, indexed by event type.

As in Falco, an event only meets the rules that can match its ``evt.type``: for every type some rule
names, the engine generates one Python function that runs those rules' compiled expressions in load
order (plus the rules that match every type), and a dict maps the type to it.  A type's function is
generated at its first event, so that start-up pays only for the types a stream has.  ``rule_matching`` is
Falco's option (https://falco.org/docs/reference/daemon/config-options/): ``first`` stops at the first
matching rule, ``all`` reports every matching rule.

Within a type, a second index on the values of a few fields (:mod:`.index`): an event runs a function
generated for the rules its values leave possible, with the checks already decided left out.

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
from stockade.runtime.rules.compile import ExprCompiler
from stockade.runtime.rules.grammar.ast import And, Expr, Not, Or, walk
from stockade.runtime.rules.index import TypeIndex, by_family, fd_dim, plan, strip
from stockade.runtime.rules.ruleset import CompiledRule, Ruleset

Matcher = Callable[[Event], Any]


class Engine:
    def __init__(
        self,
        ruleset: Ruleset,
        *,
        rule_matching: str = "first",
        hostname: str | None = None,
        index: bool = True,
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
        self._single: dict[tuple[int, str | None], Matcher] = {}
        self._indexes: dict[str | None, TypeIndex] = {}
        #: per type whose every rule needs something of its fd.* fields: an index on those alone
        self._prefilters: dict[str, TypeIndex] = {}
        self._prechecked = 0
        self._by_type: dict[str, Matcher] = {}
        self._fallback: Matcher
        # a type's function and index are built at its first event: a replay or a sensor meets a few of
        # the dozens of types the upstream files name (and a rules file's start-up is paid for those only)
        self._index = index
        self._per_rule = False
        self._pending: set[str] = set(types)
        for t in sorted(types):
            self._by_type[t] = self._on_first(t)
        self._build(None, index)
        self._any_type = bool(self.members(None))  # rules that do not restrict the event type

    def _on_first(self, t: str) -> Matcher:
        def first(ev: Event) -> Any:
            self._ensure(t)
            return self._by_type[t](ev)  # (now the built function)

        return first

    def _ensure(self, t: str | None) -> None:
        """Build type ``t``'s function and index if that has not been done yet."""
        if t in self._pending:
            assert t is not None
            self._build(t, self._index)
            self._pending.discard(t)  # (after: a build that failed is tried again, not left half done)

    def hopeless(self, ev: Event) -> bool:
        """Whether no rule can match ``ev`` whatever fields enrichment adds to it: its type has no rules,
        or its ``fd.*`` values leave none (the index's relaxations, see :mod:`.index`).  The sensor then
        skips enrichment (process table look-ups, cgroup → container) for it."""
        t = ev.get("evt.type")
        if t.__class__ is not str:
            return False
        if t not in self._by_type:
            return not self._any_type
        self._prechecked += 1
        self._ensure(t)
        ix = self._prefilters.get(t)
        pre = ix.prefilter if ix is not None else None
        return pre is not None and pre(ev)

    def members(self, t: str | None) -> list[tuple[CompiledRule, Expr]]:
        """The rules events of type ``t`` meet, in load order, with their conditions for the type."""
        out = []
        for r in self.rules:
            ast = r.asts.get(t) if t is not None else None
            if ast is None:
                ast = r.asts.get(None)
            if ast is not None:
                out.append((r, ast))
        return out

    def _install(self, t: str | None) -> Callable[[Matcher], None]:
        def install(fn: Matcher) -> None:
            if t is None:
                self._fallback = fn
            else:
                self._by_type[t] = fn

        return install

    def per_rule(self) -> None:
        """From now on, types built at their first event run their rules one by one, each rule's function
        compiled at its first use, instead of one function generated and compiled per type and per
        combination of index values.  For a caller that evaluates only a few events of each combination
        (the replay's memo, :mod:`.screen`): there, compiling those functions took ~10 % of a replay."""
        self._per_rule = True

    def _rules_in_turn(self, t: str | None, members: list[tuple[CompiledRule, Expr]]) -> Matcher:
        """``members`` run one by one (:meth:`per_rule`), as :meth:`_generate`'s function would."""
        rule_fn, first = self._rule_fn, self.first
        pairs = [(r, t if t in r.codes else None) for r, _ast in members]
        fns: list[Matcher | None] = [None] * len(pairs)

        def run(ev: Event) -> list[CompiledRule]:
            out = []
            for i, (r, rt) in enumerate(pairs):
                fn = fns[i]
                if fn is None:
                    fn = fns[i] = rule_fn(r, rt)
                if fn(ev):
                    if first:
                        return [r]
                    out.append(r)
            return out

        return run

    def _build(self, t: str | None, index: bool) -> None:
        """Install the function events of type ``t`` run: the type's index, or one function for all its
        rules (``None``: events of a type no rule names)."""
        members = self.members(t)
        full = self._rules_in_turn(t, members) if self._per_rule else self._generate(t, members)
        compiler = ExprCompiler(self.ruleset.namespace, evttype=t)
        options = by_family([ast for _r, ast in members], compiler) if index else {}
        fd = fd_dim(options, len(members)) if t is not None else None
        if fd is not None and t is not None:
            self._prefilters[t] = TypeIndex(
                t, len(members), [fd], compiler, full, lambda _m, _d: full, lambda: self._prechecked,
                lambda _fn: None, prefilter=True,
            )  # fmt: skip
        dims = plan(options)
        if not dims:
            self._install(t)(full)
            return

        def generate(mask: int, decided: set[int]) -> Matcher:
            if self._per_rule:  # (the decided checks are run again: true, and reading keys already read)
                return self._rules_in_turn(t, [m for i, m in enumerate(members) if mask >> i & 1])
            memo: dict[int, Expr] = {}
            kept = [(r, strip(ast, decided, memo)) for i, (r, ast) in enumerate(members) if mask >> i & 1]
            return self._generate(t, kept)

        self._indexes[t] = TypeIndex(
            t, len(members), dims, compiler, full, generate, lambda: self.evaluated, self._install(t)
        )

    def indexed_fields(self, t: str | None) -> list[tuple[str, ...]]:
        """The fields the index of type ``t`` looks up, per dimension (none: the type is not indexed)."""
        self._ensure(t)
        ix = self._indexes.get(t)
        return [] if ix is None else [tuple(x.field for x in d.extracts) for d in ix.dims]

    def _generate(self, t: str | None, members: list[tuple[CompiledRule, Expr]]) -> Matcher:
        """One function running ``members`` (rules with their conditions for type ``t``) in order;
        subtrees shared by several rules (inlined macros such as ``open_read``, ``container``), plain keys
        and derived fields are evaluated at most once per event."""
        ns = self.ruleset.namespace.values
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
        fn = self._by_type.get(t, self._fallback) if t.__class__ is str else self._fallback
        try:
            hits: list[CompiledRule] = fn(ev)
        except Exception:
            hits = self._careful(ev, t if isinstance(t, str) and t in self._by_type else None)
        return hits

    def _careful(self, ev: Event, t: str | None) -> list[CompiledRule]:
        self.errors += 1
        out: list[CompiledRule] = []
        for r, _ast in self.members(t):
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
        """The alerts of the rules ``ev`` matches."""
        return self.alerts_of(ev, self.match(ev))

    def alerts_of(self, ev: Event, rules: list[CompiledRule]) -> list[Alert]:
        """The alerts of ``rules`` (which ``ev`` matched)."""
        if not rules:
            return []
        texts = [r.formatter.format(ev) for r in rules]
        return self.alerts_at(self.time_of(ev), self.host_of(ev), rules, texts)

    @staticmethod
    def time_of(ev: Event) -> int:
        """An alert's time: the event's ``evt.time``, else now."""
        ts = ev.get("evt.time")
        return ts if isinstance(ts, int) else time.time_ns()

    def host_of(self, ev: Event) -> str:
        """An alert's host: the event's ``evt.hostname``, else the engine's."""
        return str(ev.get("evt.hostname") or self.hostname)

    @staticmethod
    def alerts_at(
        ts: int,
        host: str,
        rules: list[CompiledRule],
        texts: list[tuple[str, dict[str, Any]]],
    ) -> list[Alert]:
        """The alerts of ``rules`` with their outputs ``texts`` (``Formatter.format``'s) at ``ts``."""
        return [
            Alert(ts, r.name, r.priority, text, fields, r.source, r.tags, host)
            for r, (text, fields) in zip(rules, texts, strict=True)
        ]

    def rules_for(self, evttype: str) -> list[str]:
        """Names of the rules an event of ``evttype`` meets (the index at work)."""
        return [r.name for r, _ in self.members(evttype if evttype in self._by_type else None)]
