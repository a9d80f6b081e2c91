"""From loaded items to one self-contained AST per rule: macros inlined, lists expanded, exceptions added.

- Macros are parsed once each (every syntax error reported, used or not) and inlined wherever an
  identifier names them; a macro that reaches itself is an error.  An identifier naming no macro is an
  error ("undefined macro"), at the identifier's position.
- In a list value ``(a, b)`` an item naming a list is replaced by that list's items, and ``in name`` reads
  the list ``name`` — as Falco's list resolver does.  Items written quoted (``'"(systemd)"'``) lose their
  quotes.
- Exceptions become ``(condition) and not (t1 or t2 …)`` per exception, each tuple ``tN`` being
  ``f1 c1 v1 and f2 c2 v2 …`` — the expansion of Falco's ``rule_loader_compiler.cpp``
  (https://falco.org/docs/concepts/rules/exceptions/): comps default to ``=``, or ``in`` for the
  single-field form, whose values then form one list.
"""

from __future__ import annotations

from stockade.runtime.rules.diagnostics import Diagnostics
from stockade.runtime.rules.grammar import lexer
from stockade.runtime.rules.grammar.ast import (
    And,
    BinaryCheck,
    Expr,
    Field,
    Ident,
    ListRef,
    ListValue,
    Loc,
    Not,
    Or,
    Transform,
    UnaryCheck,
    Value,
)
from stockade.runtime.rules.grammar.parser import ConditionSyntaxError, parse
from stockade.runtime.rules.items import Condition, ExceptionDef, ListDef, MacroDef, RuleDef
from stockade.runtime.rules.loader import unquote_item

LIST_OPS = ("in", "intersects", "pmatch")
BINARY_OPS = {op.strip() for op in (*lexer.NUM_OPS, *lexer.STR_OPS, *lexer.LIST_OPS)}


class _Undefined(Exception):
    pass


class Resolver:
    def __init__(self, lists: dict[str, ListDef], macros: dict[str, MacroDef], diag: Diagnostics) -> None:
        self.lists = lists
        self.macros = macros
        self.diag = diag
        self.parsed: dict[str, Expr | None] = {}
        self.expanded: dict[str, Expr | None] = {}
        for m in macros.values():
            self.parsed[m.name] = self._parse(m.condition, f"macro '{m.name}'")

    def _parse(self, cond: Condition, item: str) -> Expr | None:
        try:
            return parse(cond.text(), cond.locator())
        except ConditionSyntaxError as exc:
            self.diag.error("syntax", f"invalid condition: {exc.message}", exc.loc, item)
            return None

    # -- expansion -------------------------------------------------------------------------------------
    def _macro(self, ident: Ident, item: str, stack: tuple[str, ...]) -> Expr:
        name = ident.name
        if name in stack:
            chain = " -> ".join((*stack[stack.index(name) :], name))
            self.diag.error("macro-cycle", f"macro '{name}' references itself ({chain})", ident.pos, item)
            raise _Undefined
        if name not in self.macros:
            self.diag.error("undefined-macro", f"undefined macro '{name}' used in filter", ident.pos, item)
            raise _Undefined
        self.macros[name].used = True
        if name in self.expanded:
            done = self.expanded[name]
            if done is None:
                raise _Undefined
            return done
        ast = self.parsed.get(name)
        if ast is None:  # its syntax error is already reported
            self.diag.error("macro-error", f"macro '{name}' has errors", ident.pos, item)
            raise _Undefined
        try:
            out = self._expand(ast, f"macro '{name}'", (*stack, name))
        except _Undefined:
            self.expanded[name] = None
            raise
        self.expanded[name] = out
        return out

    def _list_items(self, values: tuple[Value, ...], seen: frozenset[str] = frozenset()) -> tuple[Value, ...]:
        out: list[Value] = []
        for v in values:
            ref = self.lists.get(v.text)
            if ref is not None and v.text not in seen:
                ref.used = True
                items = tuple(Value(unquote_item(i), False, v.pos) for i in ref.items)
                out.extend(self._list_items(items, seen | {v.text}))
            else:
                out.append(v)
        return tuple(out)

    def _expand(self, e: Expr, item: str, stack: tuple[str, ...]) -> Expr:
        if isinstance(e, Ident):
            return self._macro(e, item, stack)
        if isinstance(e, (And, Or)):
            children = []
            failed = False
            for c in e.children:  # expand every child, so every undefined name is reported
                try:
                    children.append(self._expand(c, item, stack))
                except _Undefined:
                    failed = True
            if failed:
                raise _Undefined
            return type(e)(tuple(children), e.pos)
        if isinstance(e, Not):
            return Not(self._expand(e.child, item, stack), e.pos)
        if isinstance(e, BinaryCheck):
            right = e.right
            if isinstance(right, ListRef):
                ref = self.lists.get(right.name)
                base = (Value(right.name, False, right.pos),)
                right = ListValue(self._list_items(base), right.pos) if ref else ListValue(base, right.pos)
            elif isinstance(right, ListValue):
                right = ListValue(self._list_items(right.items), right.pos)
            return BinaryCheck(e.left, e.op, right, e.modifier, e.pos)
        return e

    # -- rules -----------------------------------------------------------------------------------------
    def rule(self, rule: RuleDef) -> Expr | None:
        item = f"rule '{rule.name}'"
        ast = self._parse(rule.condition, item)
        if ast is None:
            return None
        try:
            expanded = self._expand(ast, item, ())
        except _Undefined:
            return None
        extra: list[Expr] = []
        ok = True
        for exc in rule.exceptions:
            try:
                e = self._exception(exc, item)
            except _Undefined:
                ok = False
                continue
            if e is not None:
                extra.append(Not(e, exc.loc))
        if not ok:
            return None
        if not extra:
            return expanded
        return And((expanded, *extra), expanded.pos)

    def _exception(self, exc: ExceptionDef, item: str) -> Expr | None:
        if not exc.values:
            return None
        what = f"exception '{exc.name}'"
        if isinstance(exc.fields, str):
            comp = exc.comps if isinstance(exc.comps, str) else "in"
            if comp not in LIST_OPS:
                self.diag.error(
                    "exception",
                    f"{what}: the single-field form needs a list operator (in, intersects, pmatch), "
                    f"not '{comp}'",
                    exc.loc,
                    item,
                )
                raise _Undefined
            fld = _field(exc.fields, exc.field_locs[0] if exc.field_locs else exc.loc)
            vals = tuple(
                Value(unquote_item(_text(v)), False, _at(exc.value_locs, i, exc.loc))
                for i, v in enumerate(exc.values)
            )
            return BinaryCheck(fld, comp, ListValue(self._list_items(vals), exc.loc), None, exc.loc)
        fields = exc.fields
        comps = exc.comps if isinstance(exc.comps, list) else ["="] * len(fields)
        bad = [c for c in comps if c not in BINARY_OPS]
        if bad:
            self.diag.error("exception", f"{what}: unknown comparison operator '{bad[0]}'", exc.loc, item)
            raise _Undefined
        tuples: list[Expr] = []
        failed = False
        for i, tup in enumerate(exc.values):
            loc = _at(exc.value_locs, i, exc.loc)
            if not isinstance(tup, list) or len(tup) != len(fields):
                self.diag.error(
                    "exception",
                    f"{what}: each value must be a list of {len(fields)} item(s), one per field",
                    loc,
                    item,
                )
                failed = True
                continue
            checks: list[Expr] = []
            for f, c, v, floc in zip(
                fields, comps, tup, exc.field_locs or [exc.loc] * len(fields), strict=False
            ):
                right: Value | ListValue
                if c in LIST_OPS:
                    items = v if isinstance(v, list) else [v]
                    right = ListValue(
                        self._list_items(tuple(Value(unquote_item(_text(x)), False, loc) for x in items)), loc
                    )
                elif isinstance(v, list):
                    self.diag.error(
                        "exception", f"{what}: operator '{c}' takes one value, not a list", loc, item
                    )
                    failed = True
                    continue
                else:
                    right = Value(unquote_item(_text(v)), False, loc)
                checks.append(BinaryCheck(_field(f, floc), c, right, None, loc))
            tuples.append(And(tuple(checks), loc) if len(checks) > 1 else checks[0])
        if failed:
            raise _Undefined
        return Or(tuple(tuples), exc.loc) if len(tuples) > 1 else tuples[0]

    def unused(self) -> None:
        for m in self.macros.values():
            if not m.used:
                self.diag.warning("unused-macro", f"macro '{m.name}' is not used by any rule", m.loc)
        for lst in self.lists.values():
            if not lst.used:
                self.diag.warning(
                    "unused-list", f"list '{lst.name}' is not used by any rule or list", lst.loc
                )


def _text(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _at(locs: list[Loc], i: int, default: Loc) -> Loc:
    return locs[i] if i < len(locs) else default


def _field(text: str, loc: Loc) -> Field:
    name, _, rest = text.partition("[")
    return Field(name, rest[:-1] if rest.endswith("]") else None, loc)


__all__ = ["Resolver", "Transform", "UnaryCheck"]
