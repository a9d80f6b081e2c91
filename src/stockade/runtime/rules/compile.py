"""Compiling a resolved condition AST into Python: one expression per rule, run over the event dict.

Each check becomes an inline Python expression over ``g = event.get`` (``g('proc.name') in K3``), so a
rule costs no function call per node; everything taken from the rules file — strings, sets, compiled
globs and regexes — is bound as a constant (``K3``), never pasted into the source, so a rules file cannot
inject code.  Before generating, checks on ``evt.type`` are folded to constants for the event type the code
is for (the engine compiles each rule once per type it can match), which removes the type tests the index
already did.  Semantics of a missing value follow libsinsp: every comparison on a field with no value is
false, ``exists`` is false.  Right-hand values are converted to the field's type here, so ``proc.tty !=
abc`` is a load error with a position, not a silent false.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from stockade.model.event import FD_TYPECHARS
from stockade.runtime.rules import operators as ops
from stockade.runtime.rules.extract import Extract, extractor, for_type
from stockade.runtime.rules.fields import FType, lookup, resolve_name
from stockade.runtime.rules.grammar.ast import (
    And,
    BinaryCheck,
    Const,
    Expr,
    Field,
    ListRef,
    ListValue,
    Loc,
    Not,
    Or,
    Transform,
    TransformList,
    UnaryCheck,
    Value,
)

NUMERIC = (FType.INT, FType.PORT, FType.ABSTIME, FType.RELTIME)
FOLDABLE_OPS = ("=", "==", "!=", "in", "intersects")
EVERY_ENDPOINT = ("fd.ip", "fd.port", "fd.net")  # '!=' means "no endpoint equals" for these


UNSET = object()
_EQ_CONST = re.compile(r"\(_v == (K\d+)\)")


class CompileError(Exception):
    def __init__(self, message: str, loc: Loc) -> None:
        super().__init__(message)
        self.message = message
        self.loc = loc


class Namespace:
    """Constants and helpers the generated code refers to by name."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {
            "_num": ops.num,
            "_U": UNSET,
            "_in_nets": ops.in_nets,
            "_bcontains": ops.bcontains,
            "_bstartswith": ops.bstartswith,
            "_str": lambda v: None if v is None else v if isinstance(v, str) else str(v),
            "_FDTC": FD_TYPECHARS.get,
        }
        for name, fn in ops.TRANSFORMS.items():
            self.values[f"T_{name}"] = fn
        self._by_key: dict[Any, str] = {}

    def bind(self, value: Any, key: Any = None) -> str:
        k = key if key is not None else ("id", id(value))
        name = self._by_key.get(k)
        if name is None:
            name = f"K{len(self._by_key)}"
            self._by_key[k] = name
            self.values[name] = value
        return name


# -- folding ------------------------------------------------------------------------------------------
def fold(e: Expr, evttype: str | None, memo: dict[int, tuple[Expr, Expr]] | None = None) -> Expr:
    """``e`` with ``evt.type`` checks decided for ``evttype`` and constant branches removed.

    An unchanged subtree is returned as the same object, and ``memo`` (by ``id``) makes a subtree shared by
    several rules (an inlined macro) fold to one shared object — the engine evaluates it once per event.
    """
    if memo is None:
        memo = {}
    hit = memo.get(id(e))
    if hit is not None and hit[0] is e:  # the input is kept alive with the result: ids are never reused
        return hit[1]
    out = _fold(e, evttype, memo)
    memo[id(e)] = (e, out)
    return out


def _fold(e: Expr, evttype: str | None, memo: dict[int, tuple[Expr, Expr]]) -> Expr:
    if isinstance(e, BinaryCheck):
        if (
            evttype is not None
            and isinstance(e.left, Field)
            and e.left.name == "evt.type"
            and e.modifier is None
            and e.op in FOLDABLE_OPS
            and isinstance(e.right, (Value, ListValue))
        ):
            names = {e.right.text} if isinstance(e.right, Value) else {v.text for v in e.right.items}
            hit = evttype in names
            return Const(not hit if e.op == "!=" else hit, e.pos)
        return e
    if isinstance(e, Not):
        c = fold(e.child, evttype, memo)
        if c is e.child:
            return e
        return Const(not c.value, e.pos) if isinstance(c, Const) else Not(c, e.pos)
    if isinstance(e, (And, Or)):
        absorbing = isinstance(e, Or)  # True absorbs an 'or', False absorbs an 'and'
        kept: list[Expr] = []
        for child in e.children:
            c = fold(child, evttype, memo)
            if isinstance(c, Const):
                if c.value == absorbing:
                    return Const(absorbing, e.pos)
                continue
            kept.append(c)
        if not kept:
            return Const(not absorbing, e.pos)
        if len(kept) == len(e.children) and all(a is b for a, b in zip(kept, e.children, strict=True)):
            return e
        return kept[0] if len(kept) == 1 else type(e)(tuple(kept), e.pos)
    return e


# -- values -------------------------------------------------------------------------------------------
def coerce(text: str, t: FType, loc: Loc, what: str) -> Any:
    """The right-hand ``text`` as a value of the field's type (libsinsp parses it the same way)."""
    if t in NUMERIC:
        v = ops.num(text)
        if not isinstance(v, int):
            raise CompileError(f"invalid value '{text}' for {what}: expected an integer", loc)
        return v
    if t is FType.BOOL:
        low = text.lower()
        if low not in ("true", "false"):
            raise CompileError(f"invalid value '{text}' for {what}: expected true or false", loc)
        return low == "true"
    if t is FType.IP:
        a = ops._addr(text.strip())
        if a is None:
            raise CompileError(f"invalid value '{text}' for {what}: expected an IP address", loc)
        return str(a)
    if t is FType.NET:
        try:
            return ipaddress.ip_network(text.strip(), strict=False)
        except ValueError:
            raise CompileError(f"invalid value '{text}' for {what}: expected an IP network", loc) from None
    return text


def _slow_cmp(op: str) -> Any:
    import operator

    fn = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}[op]

    def cmp(v: Any, k: int) -> bool:
        n = ops.num(v)
        return n is not None and bool(fn(n, k))

    return cmp


class ExprCompiler:
    """``shared``: ids of subtrees met more than once in one generated function, each evaluated at most
    once per event into a slot; ``memo_fields``: derived fields kept in slots too, and plain keys read
    once into locals (``keys``: key → local name, which the function must assign before the rules run;
    see the engine)."""

    def __init__(
        self,
        ns: Namespace,
        shared: set[int] | None = None,
        memo_fields: bool = False,
        evttype: str | None = None,
    ) -> None:
        self.ns = ns
        self.evttype = evttype  # the code runs only on events of this type (None: any)
        self.tmp = 0
        self.shared = shared or set()
        self.memo_fields = memo_fields
        self.slots: dict[object, str] = {}
        self.keys: dict[str, str] = {}

    def _slot(self, key: object) -> tuple[str, bool]:
        name = self.slots.get(key)
        if name is not None:
            return name, False
        name = f"_s{len(self.slots)}"
        self.slots[key] = name
        return name, True

    def _t(self) -> str:
        self.tmp += 1
        return f"_t{self.tmp}"

    def compile(self, e: Expr) -> str:
        if id(e) in self.shared and isinstance(e, (And, Or, Not)):
            slot, _new = self._slot(("node", id(e)))
            return f"({slot} if {slot} is not _U else ({slot} := {self._compile(e)}))"
        return self._compile(e)

    def _compile(self, e: Expr) -> str:
        if isinstance(e, Const):
            return "True" if e.value else "False"
        if isinstance(e, And):
            return "(" + " and ".join(self.compile(c) for c in e.children) + ")"
        if isinstance(e, Or):
            return "(" + " or ".join(self.compile(c) for c in e.children) + ")"
        if isinstance(e, Not):
            return f"(not {self.compile(e.child)})"
        if isinstance(e, UnaryCheck):
            code, _t, multi, _name = self.operand(e.left)
            return f"bool({code})" if multi else f"({code} is not None)"
        if isinstance(e, BinaryCheck):
            return self._binary(e)
        raise CompileError(
            f"unexpected identifier '{getattr(e, 'name', e)}' (macros must be resolved)", e.pos
        )

    # -- operands --------------------------------------------------------------------------------------
    def extract(self, f: Field) -> Extract:
        name, dotted = resolve_name(f.name)
        if lookup(name) is None:
            raise CompileError(f"unknown field '{f.name}'", f.pos)
        return extractor(name, dotted if dotted is not None else f.arg)

    def operand(self, o: Field | Transform | Value | TransformList) -> tuple[str, FType, bool, str]:
        """``(code, type, multi, name)`` of a left-hand side or transformer argument."""
        if isinstance(o, Field):
            x = for_type(self.extract(o), self.evttype)
            if x.key is not None:
                if not self.memo_fields:
                    return f"g({x.key!r})", x.type, x.multi, x.field
                local = self.keys.get(x.key)
                if local is None:
                    local = self.keys[x.key] = f"_k{len(self.keys)}"
                return local, x.type, x.multi, x.field
            fn = self.ns.bind(x.fn, ("fn", x.field))
            code = f"{fn}(ev)"
            if self.memo_fields:  # (multi values are never placed in a comprehension's iterable)
                slot, _new = self._slot(("field", x.field))
                if x.stored is not None:
                    code = self._stored(x)
                code = f"({slot} if {slot} is not _U else ({slot} := {code}))"
            return code, x.type, x.multi, x.field
        if isinstance(o, Value):
            v: Any = o.text if o.quoted else (ops.num(o.text) if ops.num(o.text) is not None else o.text)
            return self.ns.bind(v, ("v", type(v).__name__, v)), FType.STR, False, repr(o.text)
        if isinstance(o, TransformList):
            parts = [self.operand(i)[0] for i in o.items]
            return "[" + ", ".join(parts) + "]", FType.LIST, False, "(…)"
        if o.name == "val":
            return self.operand(o.args[0])
        if o.name not in ops.TRANSFORMS:
            raise CompileError(f"transformer '{o.name}' is not supported by stockade", o.pos)
        args = [self.operand(a) for a in o.args]
        if o.name in ("tolower", "toupper", "b64", "basename", "len") and len(args) != 1:
            raise CompileError(f"transformer '{o.name}' takes one argument", o.pos)
        fn = f"T_{o.name}"
        multi = len(args) == 1 and args[0][2]
        if multi:  # the list is taken outside the comprehension: ``code`` may assign a slot
            lst = self._t()
            code = f"([{fn}(_m) for _m in {lst}] if ({lst} := {args[0][0]}) else [])"
        else:
            code = f"{fn}({', '.join(a[0] for a in args)})"
        t = FType.INT if o.name == "len" else FType.STR
        return code, t, multi, f"{o.name}({', '.join(a[3] for a in args)})"

    def _stored(self, x: Extract) -> str:
        """A derived field read inline: the value the event carries, else derived and stored back."""
        t, k = self._t(), repr(x.stored)
        if x.inline is not None:
            value = x.inline
        else:
            assert x.derive is not None
            value = f"{self.ns.bind(x.derive, ('derive', x.field, self.evttype))}(ev)"
        return f"({t} if ({t} := g({k}, _U)) is not _U else ev.setdefault({k}, {value}))"

    # -- checks ----------------------------------------------------------------------------------------
    def _binary(self, e: BinaryCheck) -> str:
        code, t, multi, name = self.operand(e.left)
        if multi:  # a list of values (or None); the list is taken outside the generator (see LIST)
            if e.op == "!=" and any(name.startswith(p) for p in EVERY_ENDPOINT):
                eq = BinaryCheck(e.left, "=", e.right, e.modifier, e.pos)
                return f"((_l := {code}) is not None and not {self._any(self._check('_v', t, eq, name))})"
            return f"({self._any(self._check('_v', t, e, name))} if (_l := {code}) else False)"
        if t is FType.LIST and e.op == "in":
            return (
                f"((_l := {code}) is not None and all({self._check('_v', FType.STR, e, name)} for _v in _l))"
            )
        if t is FType.LIST:  # the value is taken outside the generator: ``code`` may assign a slot
            return f"(any({self._check('_v', FType.STR, e, name)} for _v in _l) if (_l := {code}) else False)"
        return self._check(code, t, e, name)

    @staticmethod
    def _any(per: str) -> str:
        """Whether ``per`` (a check of ``_v``) holds for a value of the list ``_l``."""
        eq = _EQ_CONST.fullmatch(per)
        if eq is not None:  # ``_v == K``: the list's own search (identity, then ==) is the same test
            return f"({eq.group(1)} in _l)"
        return f"any({per} for _v in _l)"

    def _right_values(self, e: BinaryCheck, t: FType, name: str) -> list[Any]:
        r = e.right
        what = f"field {name} ({t})"
        if isinstance(r, Value):
            return [coerce(r.text, t, r.pos, what)]
        if isinstance(r, ListValue):
            return [coerce(v.text, t, v.pos, what) for v in r.items]
        if isinstance(r, ListRef):  # unresolved names were turned into lists by the resolver
            return [coerce(r.name, t, r.pos, what)]
        raise CompileError("expected a value", e.pos)

    def _check(self, x: str, t: FType, e: BinaryCheck, name: str) -> str:
        op = e.op
        if isinstance(e.right, Transform):  # val(field) or a transformer on the right
            rcode, _rt, rmulti, _n = self.operand(e.right)
            if rmulti:
                raise CompileError("a multi-valued field cannot be on the right of a comparison", e.right.pos)
            tmp, rt = self._t(), self._t()
            return self._op(
                op, tmp, rt, f"((({tmp} := {x}) is not None) and (({rt} := {rcode}) is not None) and ", t
            )
        if e.modifier is not None:
            if not isinstance(e.right, ListValue):
                raise CompileError(f"'{e.modifier}' needs a list of values", e.pos)
            parts = []
            for v in e.right.items:
                single = BinaryCheck(e.left, op, v, None, v.pos)
                parts.append(self._check(x, t, single, name))
            if not parts:
                return "False" if e.modifier != "allof" else "True"
            if e.modifier == "anyof":
                return "(" + " or ".join(parts) + ")"
            if e.modifier == "allof":
                return "(" + " and ".join(parts) + ")"
            return "((" + ") + (".join(parts) + ") == 1)"
        if op in ("in", "intersects"):
            vals = self._right_values(e, t, name)
            if t is FType.NET:
                nets = tuple(v for v in vals if not isinstance(v, str))
                return f"{self._networks(nets)}.contains({x})"
            s = frozenset(vals)
            return f"({x} in {self.ns.bind(s, ('set', t, tuple(sorted(map(str, s)))))})"
        if op == "pmatch":
            vals = [str(v) for v in self._right_values(e, FType.STR, name)]
            return f"{self.ns.bind(ops.PathPrefixes(vals))}.match({x})"
        if isinstance(e.right, (ListValue, ListRef)):
            raise CompileError(f"operator '{op}' takes one value, not a list", e.right.pos)
        assert isinstance(e.right, Value)
        raw = e.right.text
        tmp = self._t()
        if op in ("bcontains", "bstartswith"):
            try:
                needle = bytes.fromhex(raw)
            except ValueError:
                raise CompileError(f"'{op}' needs hexadecimal bytes, got '{raw}'", e.right.pos) from None
            fn = "_bcontains" if op == "bcontains" else "_bstartswith"
            return f"{fn}({x}, {self.ns.bind(needle)})"
        if op in ("glob", "iglob", "regex"):
            if op == "regex":
                try:
                    rx = re.compile(raw, re.DOTALL)
                except re.error as exc:
                    raise CompileError(f"invalid regular expression '{raw}': {exc}", e.right.pos) from None
                fn = self.ns.bind(rx.fullmatch)
            else:
                fn = self.ns.bind(ops.glob_regex(raw, icase=op == "iglob").match)
            return f"((({tmp} := _str({x})) is not None) and {fn}({tmp}) is not None)"
        if op in ("contains", "icontains", "startswith", "endswith"):
            needle_s = raw.lower() if op == "icontains" else raw
            k = self.ns.bind(needle_s, ("v", "str", needle_s))
            sx = x if t is FType.STR else f"_str({x})"
            if op == "contains":
                return f"((({tmp} := {sx}) is not None) and {k} in {tmp})"
            if op == "icontains":
                return f"((({tmp} := {sx}) is not None) and {k} in {tmp}.lower())"
            return f"((({tmp} := {sx}) is not None) and {tmp}.{op}({k}))"
        value = coerce(raw, t, e.right.pos, f"field {name} ({t})")
        if t is FType.NET:
            nets = (value,) if not isinstance(value, str) else ()
            inside = f"{self._networks(nets)}.contains({x})"
            if op in ("=", "=="):
                return inside
            if op == "!=":
                return f"(({x}) is not None and not {inside})"
            raise CompileError(f"operator '{op}' is not defined for network fields", e.pos)
        k = self.ns.bind(value, ("v", type(value).__name__, value))
        if op in ("=", "=="):
            return f"({x} == {k})"
        if op in ("<", "<=", ">", ">=") and isinstance(value, int):
            slow = self.ns.bind(_slow_cmp(op), ("cmp", op))
            fast = f"({tmp} := {x}).__class__ is int and {tmp} {op} {k}"
            return f"(({fast}) or ({tmp}.__class__ is not int and {slow}({tmp}, {k})))"
        return self._op(op, tmp, k, f"((({tmp} := {x}) is not None) and ", t)

    def _networks(self, nets: tuple[Any, ...]) -> str:
        return self.ns.bind(ops.Networks(nets), ("nets", tuple(map(str, nets))))

    def _op(self, op: str, left: str, right: str, prefix: str, t: FType) -> str:
        if op in ("=", "=="):
            return f"{prefix}{left} == {right})"
        if op == "!=":
            return f"{prefix}{left} != {right})"
        if op in ("<", "<=", ">", ">="):
            n = self._t()
            return f"{prefix}(({n} := _num({left})) is not None) and {n} {op} _num({right}))"
        if op in ("contains", "icontains", "startswith", "endswith"):
            lo = ".lower()" if op == "icontains" else ""
            if op in ("contains", "icontains"):
                return f"{prefix}_str({right}){lo} in _str({left}){lo})"
            return f"{prefix}_str({left}).{op}(_str({right})))"
        raise CompileError(f"operator '{op}' cannot compare two fields", Loc())
