"""Per event type, an index on the values of a few fields, so an event only runs the rules it can match.

Nearly every rule of a type needs some fields to hold particular values — ``fd.name in (sensitive_files)``,
``proc.name in (shell_binaries)``, ``evt.is_open_write = true`` — though often inside an ``or`` or beside
checks on other fields.  For a set of fields F, a rule's *relaxation* over F is its condition with every
check that reads a field outside F replaced by "unknown": an ``and`` keeps its known parts, an ``or`` is
known only if every branch is, a ``not`` only if all of it is.  The relaxation is implied by the condition
and reads only F, so it can be decided once per distinct tuple of F's values and remembered: when it is
false the rule cannot match.

The planner groups the indexable fields (single values read from a key, not unique per event — see
:data:`UNIQUE`) by family (``fd.*``, ``proc.*``, ``container.*``/``k8s.*`` …), keeps per family the
:data:`MAX_FIELDS` fields that constrain the most rules, and indexes the :data:`MAX_DIMS` families
(*dimensions*) that constrain at least :data:`MIN_INDEXED` rules.  A dimension's values are read as the
event carries them — a derived field by what it derives from (:data:`~.extract.DEPS`), so a look-up runs
no derivation.  At run time an event's values for a
dimension pick — from a cache, or by running that dimension's relaxations once on an event holding just
those values — a bit mask of the rules still possible; the masks of all dimensions are ANDed, and the mask
picks a generated function that runs only those rules, in load order, without the top-level conjuncts the
dimensions decided exactly.  A dimension whose cache misses on more than :data:`MAX_MISS_RATE` of the
events is dropped (its values were too varied to be worth remembering).

A rule left out could not have matched, so results are unchanged; a left-out rule whose evaluation would
have raised no longer counts in the engine's ``errors``.  Where a relaxation itself raises on a value (a
transformer given a number …), events with that value run the unindexed function.  Values that Python's
dict treats as one key (``True``, ``1``, ``1.0``) are cached only when they select the same rules; a value
that cannot be a key (a list) runs the unindexed function too.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from stockade.runtime.rules.compile import UNSET, CompileError, ExprCompiler
from stockade.runtime.rules.extract import Dep, Extract, for_type
from stockade.runtime.rules.grammar.ast import (
    And,
    BinaryCheck,
    Const,
    Expr,
    Not,
    Or,
    UnaryCheck,
    fields_of,
    walk,
)

MIN_INDEXED = 3  # rules a dimension must constrain to be worth a look-up per event
MAX_DIMS = 2
MAX_FIELDS = 8
MAX_CACHED = 4096  # values (or masks) kept per cache; a full cache starts again
MAX_MISS_RATE = 0.2  # a dimension missing its cache this often (per event the engine saw) is dropped
MISS_WINDOW = 1024  # misses between two reviews of a dimension's miss rate

#: fields (nearly) unique per event or process: a cache on them would miss every time
UNIQUE = frozenset(
    [
        "evt.num",
        "evt.time",
        "evt.rawtime",
        "evt.datetime",
        "evt.time.s",
        "evt.time.iso8601",
        "evt.reltime",
        "evt.latency",
        "evt.deltatime",
        "evt.rawres",
        "evt.args",
        "proc.pid",
        "proc.vpid",
        "proc.ppid",
        "proc.tid",
        "proc.sid",
        "proc.vpgid",
        "thread.tid",
        "thread.vtid",
        "proc.cmdline",
        "proc.args",
        "proc.exeline",
        "proc.pcmdline",
        "proc.duration",
        "proc.start_ts",
        "proc.pid.ts",
        "container.duration",
        "fd.cport",
        "fd.lport",
        "fd.rport",
        "fd.ino",
        "fd.dev",
        "evt.buffer",
        "evt.arg.data",
    ]
)

Matcher = Callable[[dict[str, Any]], Any]


def conjuncts(e: Expr) -> list[Expr]:
    """The checks that must all hold for ``e`` to hold (nested ``and`` flattened)."""
    if isinstance(e, And):
        return [x for c in e.children for x in conjuncts(c)]
    return [e]


def strip(e: Expr, drop: set[int], memo: dict[int, Expr]) -> Expr:
    """``e`` without the conjuncts in ``drop`` (by ``id``), known true; shared subtrees stay shared."""
    if id(e) in drop:
        return Const(True, e.pos)
    if not isinstance(e, And):
        return e
    hit = memo.get(id(e))
    if hit is not None:
        return hit
    kids = [strip(c, drop, memo) for c in e.children]
    kept = [k for k in kids if not isinstance(k, Const)]  # only True constants come from stripping
    out: Expr
    if all(a is b for a, b in zip(kids, e.children, strict=True)):
        out = e
    elif not kept:
        out = Const(True, e.pos)
    else:
        out = kept[0] if len(kept) == 1 else And(tuple(kept), e.pos)
    memo[id(e)] = out
    return out


def family(field: str) -> str:
    head = field.split(".", 1)[0]
    return {"k8s": "container", "thread": "proc", "group": "user"}.get(head, head)


class Fields:
    """The indexable fields of the checks of one type's conditions (memoised per check)."""

    def __init__(self, compiler: ExprCompiler) -> None:
        self.compiler = compiler
        self.memo: dict[int, frozenset[str] | None] = {}
        self.extracts: dict[str, Extract] = {}

    def of(self, check: Expr) -> frozenset[str] | None:
        """The fields ``check`` reads, or None if one of them cannot be indexed."""
        if id(check) in self.memo:
            return self.memo[id(check)]
        out: set[str] = set()
        for f in fields_of(check):
            try:
                x = for_type(self.compiler.extract(f), self.compiler.evttype)
            except CompileError:
                x = None
            if x is None or x.multi or (x.key is None and x.deps is None) or x.field in UNIQUE:
                out.clear()
                break
            self.extracts[x.field] = x
            out.add(x.field)
        res = frozenset(out) if out else None
        self.memo[id(check)] = res
        return res

    def relax(self, e: Expr, within: frozenset[str]) -> Expr | None:
        """What ``e`` implies about the fields ``within`` (None: nothing)."""
        if isinstance(e, Const):
            return e
        if isinstance(e, And):
            kids = [self.relax(c, within) for c in e.children]
            kept = [k for k in kids if k is not None]
            if all(a is b for a, b in zip(kids, e.children, strict=True)):
                return e
            if not kept:
                return None
            return kept[0] if len(kept) == 1 else And(tuple(kept), e.pos)
        if isinstance(e, Or):
            ors = [self.relax(c, within) for c in e.children]
            if any(k is None for k in ors):
                return None
            if all(a is b for a, b in zip(ors, e.children, strict=True)):
                return e
            return Or(tuple(k for k in ors if k is not None), e.pos)
        if isinstance(e, Not):
            return e if self.exact(e.child, within) else None
        return e if self.exact(e, within) else None

    def exact(self, e: Expr, within: frozenset[str]) -> bool:
        """Whether ``e`` reads only fields in ``within`` (and at least one)."""
        reads: set[str] = set()
        for n in walk(e):
            if isinstance(n, (UnaryCheck, BinaryCheck)):
                fs = self.of(n)
                if fs is None or not fs <= within:
                    return False
                reads |= fs
        return bool(reads)

    def all_in(self, e: Expr) -> set[str]:
        out: set[str] = set()
        for n in walk(e):
            if isinstance(n, (UnaryCheck, BinaryCheck)):
                out |= self.of(n) or frozenset()
        return out


@dataclass(frozen=True, slots=True)
class Dim:
    """Fields whose values are looked up together — by the parts of the event they are computed from
    (``reads``: a plain key, a stored key, or a derivation's :data:`~.extract.Dep`), so no derivation
    runs for the look-up; per member rule constrained, the relaxation over the fields and the rule's bit;
    the ids of top-level conjuncts these fields decide exactly."""

    extracts: tuple[Extract, ...]
    tests: tuple[tuple[Expr, int], ...]
    exact: frozenset[int]
    reads: tuple[Dep, ...]


def reads_of(extracts: tuple[Extract, ...]) -> tuple[Dep, ...]:
    out: dict[Dep, None] = {}
    for x in extracts:
        if x.key is not None:
            out[("key", x.key, None)] = None
        else:
            assert x.stored is not None and x.deps is not None
            out[("stored", x.stored, None)] = None
            out.update(dict.fromkeys(x.deps))
    # a stored read of a key tells all a plain read of it does (and absent from None besides)
    return tuple(r for r in out if not (r[0] == "key" and ("stored", r[1], None) in out))


class Whole:
    """A value read whole where a part was expected (``evt.args`` not a dict …): compared by type and
    ``repr``, so a list can be a key too; the event is rebuilt with the value itself."""

    __slots__ = ("_k", "value")

    def __init__(self, value: Any) -> None:
        self.value = value
        self._k = (type(value).__name__, repr(value))

    def __hash__(self) -> int:
        return hash(self._k)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Whole) and other._k == self._k


def read_code(d: Dep) -> str:
    """The dispatcher's expression for one read (``_p`` is scratch; ``_W`` is :class:`Whole`)."""
    kind, key, sub = d
    if kind == "key":
        return f"g({key!r})"
    if kind == "stored":
        return f"g({key!r}, _U)"
    if kind == "dict":
        return f"(_p.get({sub!r}, _U) if (_p := g({key!r})).__class__ is dict else _W(_p))"
    return (
        f"(_p[0].get({sub!r}, _U) if (_p := g({key!r})).__class__ is list and _p"
        f" and _p[0].__class__ is dict else _W(_p))"
    )


def rebuild(reads: tuple[Dep, ...], values: tuple[Any, ...]) -> dict[str, Any]:
    """An event holding just what ``reads`` read (the inverse of :func:`read_code`)."""
    ev: dict[str, Any] = {}
    for (kind, key, sub), v in zip(reads, values, strict=True):
        if isinstance(v, Whole):
            if v.value is not None:
                ev[key] = v.value
        elif kind == "key":
            if v is not None:
                ev[key] = v
        elif kind == "stored":
            if v is not UNSET:
                ev[key] = v
        elif v is not UNSET:
            if kind == "dict":
                ev.setdefault(key, {})[sub] = v
            else:
                ev.setdefault(key, [{}])[0][sub] = v
        elif kind == "dict":
            ev.setdefault(key, {})
        else:
            ev.setdefault(key, [{}])
    return ev


def plan(options: dict[str, Dim]) -> list[Dim]:
    """The dimensions worth indexing among one type's :func:`by_family` options (may be none)."""
    ranked = sorted(options.values(), key=lambda d: -len(d.tests))
    return [d for d in ranked[:MAX_DIMS] if len(d.tests) >= MIN_INDEXED]


def fd_dim(options: dict[str, Dim], members: int) -> Dim | None:
    """The ``fd.*`` dimension when it constrains every one of the ``members`` conditions (so its values
    alone can rule out all of them), else None."""
    d = options.get("fd")
    return d if d is not None and members and len(d.tests) == members else None


def by_family(members: list[Expr], compiler: ExprCompiler) -> dict[str, Dim]:
    """Per family of fields, the dimension of its most constraining fields (by family name)."""
    fx = Fields(compiler)
    count: dict[str, int] = {}
    for ast in members:
        for f in fx.all_in(ast):  # (a field may only help beside another: `a = x or b = y`)
            count[f] = count.get(f, 0) + (fx.relax(ast, frozenset([f])) is not None)
    fams: dict[str, list[str]] = {}
    for f in sorted(count, key=lambda f: (-count[f], f)):
        fams.setdefault(family(f), []).append(f)
    options: dict[str, Dim] = {}
    for fam in sorted(fams):
        within = frozenset(fams[fam][:MAX_FIELDS])
        tests = []
        exact: set[int] = set()
        for i, ast in enumerate(members):
            r = fx.relax(ast, within)
            if r is not None:
                tests.append((r, 1 << i))
                exact.update(id(c) for c in conjuncts(ast) if fx.exact(c, within))
        extracts = tuple(fx.extracts[f] for f in sorted(within))
        options[fam] = Dim(extracts, tuple(tests), frozenset(exact), reads_of(extracts))
    return options  # (sorted by family name: ties in plan() keep that order)


def _variants(v: Any) -> list[Any]:
    """The values a dict cannot tell from ``v`` (``True``/``1``/``1.0`` …), ``v`` included."""
    if v.__class__ in (bool, int, float):
        out = [v]
        for alt in (bool(v) if v in (0, 1) else None, int(v) if v == int(v) else None, float(v)):
            if alt is not None and alt.__class__ is not v.__class__ and alt == v:
                out.append(alt)
        return out
    if v.__class__ is tuple:
        return [tuple(p) for p in itertools.product(*(_variants(x) for x in v))]
    return [v]


class TypeIndex:
    """The index of one event type.  ``install`` is called with the function the type's events must run
    (again when a dimension is dropped); it returns the rules an event matches, as ``full`` (the type's
    unindexed function) would."""

    def __init__(
        self,
        evttype: str | None,
        members: int,
        dims: list[Dim],
        compiler: ExprCompiler,
        full: Matcher,
        generate: Callable[[int, set[int]], Matcher],
        clock: Callable[[], int],
        install: Callable[[Matcher], None],
        *,
        prefilter: bool = False,
    ) -> None:
        self.evttype = evttype
        self.compiler = compiler
        self.full = full
        self._generate = generate  # (mask of members, ids of conjuncts known true) → function
        self.clock = clock  # events the engine has seen
        self.install = install
        # bit ``members`` is "safe": cleared when a relaxation raised on a value — then the event runs the
        # unindexed function, so a failing rule fails as it would without the index
        self.prefilter: Callable[[dict[str, Any]], bool] | None = None
        self.safe = 1 << members
        self.everyone = (self.safe << 1) - 1
        self.dropped: list[tuple[str, ...]] = []
        #: an index that only answers :attr:`prefilter` (matching keeps its own): nothing is installed
        self.is_prefilter = prefilter
        self._setup(dims)

    def _setup(self, dims: list[Dim]) -> None:
        self.dims = dims
        self.decided: set[int] = set().union(*(d.exact for d in dims))
        self.by_mask: dict[int, Matcher] = {}
        self.caches: list[dict[Any, int]] = [{} for _ in dims]
        self.tests = [[(self._test(e), bits) for e, bits in d.tests] for d in dims]
        self.misses = [0] * len(dims)
        self.since = [self.clock()] * len(dims)
        if self.is_prefilter:
            self.prefilter = self._prefilter()
        else:
            self.install(self._dispatcher() if dims else self.full)

    def _prefilter(self) -> Callable[[dict[str, Any]], bool] | None:
        """For the first dimension made only of ``fd.*`` fields — values a source gives and enrichment
        never changes — a function telling whether an event's values there leave no rule possible,
        whatever the process, user and container fields enrichment would add (the relaxations read
        nothing else).  None when no dimension is of that kind."""
        for i, d in enumerate(self.dims):
            if all(family(x.field) == "fd" for x in d.extracts):
                vals = [read_code(r) for r in d.reads]
                value = vals[0] if len(vals) == 1 else "(" + ", ".join(vals) + ",)"
                lines = [
                    "def _h(ev):",
                    "    g = ev.get",
                    f"    _v = {value}",
                    "    try:",
                    f"        return (_C.get(_v) or _M(_v)) == {self.safe}",
                    "    except TypeError:",
                    "        return False",
                ]
                scope: dict[str, Any] = dict(self.compiler.ns.values)
                scope.update(_C=self.caches[i], _M=self._missed(i), _W=Whole)
                exec(compile("\n".join(lines), f"<prefilter:{self.evttype or '*'}>", "exec"), scope)
                fn: Callable[[dict[str, Any]], bool] = scope["_h"]
                return fn
        return None

    def _test(self, e: Expr) -> Matcher:
        code = self.compiler.compile(e)  # (may bind new constants: the scope is taken after)
        scope = dict(self.compiler.ns.values)
        exec(compile(f"def _c(ev):\n    g = ev.get\n    return {code}", "<index>", "exec"), scope)
        fn: Matcher = scope["_c"]
        return fn

    def _dispatcher(self) -> Matcher:
        lines = ["def _d(ev):", "    g = ev.get"]
        scope: dict[str, Any] = dict(self.compiler.ns.values)
        parts = []
        for i, d in enumerate(self.dims):
            vals = [read_code(r) for r in d.reads]
            lines.append(f"    _v{i} = " + (vals[0] if len(vals) == 1 else "(" + ", ".join(vals) + ",)"))
            scope[f"_C{i}"] = self.caches[i]
            scope[f"_M{i}"] = self._missed(i)
            parts.append(f"(_C{i}.get(_v{i}) or _M{i}(_v{i}))")
        lines += [
            "    try:",
            f"        _m = {' & '.join(parts)}",
            "    except TypeError:  # a value that cannot be a dict key",
            "        return _FULL(ev)",
            f"    if _m == {self.safe}:  # no rule left",
            "        return []",
            "    return (_F.get(_m) or _FM(_m))(ev)",
        ]
        scope.update(_FULL=self.full, _F=self.by_mask, _FM=self._function, _W=Whole)
        exec(compile("\n".join(lines), f"<index:{self.evttype or '*'}>", "exec"), scope)
        fn: Matcher = scope["_d"]
        return fn

    def _mask(self, i: int, value: Any) -> int:
        d = self.dims[i]
        values = value if len(d.reads) > 1 else (value,)
        ev = rebuild(d.reads, values)  # (tests store what they derive: the same values for all)
        mask = self.everyone
        for test, bits in self.tests[i]:
            try:
                ok = test(ev)
            except Exception:  # let the rules run without the index (and fail as they would)
                return self.everyone & ~self.safe
            if not ok:
                mask &= ~bits
        return mask

    def _missed(self, i: int) -> Callable[[Any], int]:
        cache = self.caches[i]

        def missed(value: Any) -> int:
            hash(value)  # a TypeError for a list: the dispatcher runs the unindexed function
            mask = self._mask(i, value)
            if all(self._mask(i, v) == mask for v in _variants(value)[1:]):
                if len(cache) >= MAX_CACHED:
                    cache.clear()
                cache[value] = mask
            self.misses[i] += 1
            if self.misses[i] >= MISS_WINDOW:
                self._review(i)
            return mask

        return missed

    def _review(self, i: int) -> None:
        """Drop dimension ``i`` if it missed on too many of the events seen since the last review."""
        seen = self.clock() - self.since[i]
        if self.misses[i] > MAX_MISS_RATE * seen:
            self.dropped.append(tuple(x.field for x in self.dims[i].extracts))
            self._setup(self.dims[:i] + self.dims[i + 1 :])
        else:
            self.misses[i] = 0
            self.since[i] = self.clock()

    def _function(self, mask: int) -> Matcher:
        fn = self._generate(mask, self.decided) if mask & self.safe else self.full
        if len(self.by_mask) >= MAX_CACHED:
            self.by_mask.clear()
        self.by_mask[mask] = fn
        return fn
