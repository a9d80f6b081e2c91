"""Loading rules files into a :class:`Ruleset`: resolve, check fields, compile, index by event type.

The stages, each reporting every problem it finds (never only the first):

1. :class:`~stockade.runtime.rules.loader.RuleLoader` reads the files in order (append/override applied);
2. :class:`~stockade.runtime.rules.resolve.Resolver` parses conditions, inlines macros, expands lists and
   adds exceptions;
3. every field is looked up (:mod:`.fields`): unknown → error (or the rule is skipped with
   ``skip-if-unknown-filter``); a field of a plug-in stockade lacks, or a ``source`` other than
   ``syscall``, skips the rule and says so;
4. the event types each rule can match are resolved (:mod:`.evttypes`); a rule matching every type gets
   Falco's ``warn_evttypes`` warning;
5. each rule is compiled once per event type it can match, with ``evt.type`` checks folded away
   (:mod:`.compile`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stockade.runtime.rules import evttypes
from stockade.runtime.rules.compile import CompileError, ExprCompiler, Namespace, fold
from stockade.runtime.rules.diagnostics import Diagnostic, Diagnostics
from stockade.runtime.rules.fields import Arg, lookup, plugin_of, resolve_name
from stockade.runtime.rules.grammar.ast import Expr, fields_of
from stockade.runtime.rules.items import PRIORITY_RANK, RuleDef
from stockade.runtime.rules.loader import SUPPORTED_SOURCES, RuleLoader
from stockade.runtime.rules.output import Formatter, check, references
from stockade.runtime.rules.resolve import Resolver

#: stockade's own rules, loaded unless the user gives others (``runtime watch``, ``runtime replay``)
DEFAULT_RULES = Path(__file__).parents[1] / "ruleset" / "stockade_rules.yaml"


@dataclass(slots=True)
class CompiledRule:
    index: int
    name: str
    priority: str
    tags: tuple[str, ...]
    source: str
    formatter: Formatter
    evttypes: frozenset[str]  # evttypes.ALL when unrestricted
    codes: dict[str | None, str] = field(default_factory=dict)  # event type (None: any) → expression
    asts: dict[str | None, Expr] = field(default_factory=dict)  # the folded condition per event type


@dataclass(slots=True)
class Skipped:
    rule: str
    reason: str
    fields: tuple[str, ...] = ()


@dataclass(slots=True)
class Ruleset:
    rules: list[CompiledRule] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    namespace: Namespace = field(default_factory=Namespace)
    files: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.level == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.level == "warning"]

    def by_name(self, name: str) -> CompiledRule | None:
        return next((r for r in self.rules if r.name == name), None)


def _check_fields(
    expr: Expr, rule: RuleDef, diag: Diagnostics, item: str
) -> tuple[bool, list[str], list[str]]:
    """(ok, fields of missing plug-ins, unknown fields) — errors reported in ``diag``."""
    ok = True
    plugin_fields: list[str] = []
    unknown: list[str] = []
    for f in fields_of(expr):
        base, dotted = resolve_name(f.name)
        spec = lookup(base)
        if spec is None:
            if plugin_of(f.name):
                plugin_fields.append(f.name)
            elif rule.skip_if_unknown_filter:
                unknown.append(f.name)
            else:
                diag.error("unknown-field", f"unknown field '{f.name}'", f.pos, item)
                ok = False
            continue
        has_arg = f.arg is not None or dotted is not None
        if spec.arg is Arg.NONE and has_arg:
            diag.error("field-argument", f"field '{f.name}' does not take an argument", f.pos, item)
            ok = False
        elif spec.arg is Arg.REQUIRED and not has_arg:
            diag.error("field-argument", f"field '{f.name}' needs an argument: {f.name}[...]", f.pos, item)
            ok = False
    return ok, sorted(set(plugin_fields)), sorted(set(unknown))


def build(loader: RuleLoader, *, min_priority: str | None = None) -> Ruleset:
    diag = loader.diag
    rs = Ruleset(files=list(loader.files))
    resolver = Resolver(loader.lists, loader.macros, diag)
    compiler = ExprCompiler(rs.namespace)
    fold_memos: dict[str | None, dict[int, tuple[Expr, Expr]]] = {}
    threshold = PRIORITY_RANK.get(min_priority.upper(), 99) if min_priority else 99
    counts = {
        "lists": len(loader.lists),
        "macros": len(loader.macros),
        "rules": len(loader.rules),
        "enabled": 0,
        "disabled": 0,
        "below_priority": 0,
        "skipped": 0,
        "invalid": 0,
    }
    for rule in loader.rules.values():
        item = f"rule '{rule.name}'"
        if rule.source not in SUPPORTED_SOURCES:
            rs.skipped.append(
                Skipped(rule.name, f"event source '{rule.source}' is not supported by stockade")
            )
            diag.warning(
                "unsupported-source",
                f"rule skipped: event source '{rule.source}' is not supported "
                f"(only {', '.join(SUPPORTED_SOURCES)})",
                rule.loc,
                item,
            )
            counts["skipped"] += 1
            continue
        expr = resolver.rule(rule)
        ok = expr is not None
        if expr is not None:
            fok, plugin_fields, unknown = _check_fields(expr, rule, diag, item)
            out_ok = _check_output(rule, diag, item)
            if plugin_fields:
                plugins = sorted({plugin_of(f) or "" for f in plugin_fields})
                reason = f"fields of plug-in(s) {', '.join(plugins)} are not available"
                rs.skipped.append(Skipped(rule.name, reason, tuple(plugin_fields)))
                diag.warning(
                    "unsupported-field", f"rule skipped: {reason}: {', '.join(plugin_fields)}", rule.loc, item
                )
                counts["skipped"] += 1
                continue
            if unknown:
                rs.skipped.append(
                    Skipped(rule.name, "unknown fields (skip-if-unknown-filter)", tuple(unknown))
                )
                diag.warning(
                    "skip-unknown-filter",
                    f"rule skipped (skip-if-unknown-filter): unknown field(s) {', '.join(unknown)}",
                    rule.loc,
                    item,
                )
                counts["skipped"] += 1
                continue
            ok = fok and out_ok
        if not ok or expr is None:
            counts["invalid"] += 1
            continue
        if not rule.enabled:
            counts["disabled"] += 1
            _compile_checked(compiler, expr, None, diag, item)  # errors in disabled rules are still errors
            continue
        if PRIORITY_RANK.get(rule.priority, 99) > threshold:
            counts["below_priority"] += 1
            continue
        types = evttypes.resolve(expr)
        if not types:
            diag.warning("no-evttypes", "the condition can never match any event type", rule.loc, item)
        if types == evttypes.ALL and rule.warn_evttypes:
            diag.warning(
                "evttypes",
                "rule matches too many evt.type values (no evt.type restriction): it runs on every event",
                rule.loc,
                item,
            )
        compiled = CompiledRule(
            index=len(rs.rules),
            name=rule.name,
            priority=_display_priority(rule.priority),
            tags=tuple(rule.tags),
            source=rule.source,
            formatter=Formatter(rule.output),
            evttypes=types,
        )
        targets: list[str | None] = [None] if types == evttypes.ALL else [*sorted(types)]
        good = True
        for t in targets:
            folded = fold(expr, t, fold_memos.setdefault(t, {}))
            compiled.asts[t] = folded
            code = _compile_checked(compiler, folded, None, diag, item)
            if code is None:
                good = False
                break
            compiled.codes[t] = code
        if not good:
            counts["invalid"] += 1
            continue
        rs.rules.append(compiled)
        counts["enabled"] += 1
    resolver.unused()
    counts["errors"] = len(diag.errors)
    counts["warnings"] = len(diag.warnings)
    rs.counts = counts
    rs.diagnostics = _dedupe(diag.sorted())
    return rs


def _compile_checked(
    compiler: ExprCompiler, expr: Expr, t: str | None, diag: Diagnostics, item: str
) -> str | None:
    try:
        return compiler.compile(fold(expr, t) if t is not None else expr)
    except CompileError as exc:
        diag.error("type", exc.message, exc.loc, item)
        return None


def _check_output(rule: RuleDef, diag: Diagnostics, item: str) -> bool:
    ok = True
    for ref in references(rule.output):
        why = check(ref)
        if why is not None:
            diag.error("output", f"in output: {why}", rule.output_loc, item)
            ok = False
    return ok


def _display_priority(p: str) -> str:
    return "Informational" if p == "INFORMATIONAL" else p.capitalize()


def _dedupe(items: Iterable[Diagnostic]) -> list[Diagnostic]:
    seen: set[tuple[Any, ...]] = set()
    out: list[Diagnostic] = []
    for d in items:
        key = (d.level, d.code, d.message, d.loc)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


def load_ruleset(
    paths: Iterable[str | Path] = (),
    *,
    texts: Iterable[tuple[str, str]] = (),
    min_priority: str | None = None,
) -> Ruleset:
    """Loads files (and ``(text, name)`` pairs) in order and builds the ruleset."""
    loader = RuleLoader()
    for p in paths:
        loader.load_file(p)
    for text, name in texts:
        loader.load_text(text, name)
    return build(loader, min_priority=min_priority)
