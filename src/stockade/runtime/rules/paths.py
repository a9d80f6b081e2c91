"""The file paths the loaded rules can match on opens, as tests a kernel filter can run on the path.

For every rule an open event meets, its relaxation over the path fields (:mod:`.index`: the condition with
every check on other fields left unknown) says which paths it can match at all.  A check becomes *atoms*
on the normalised path ``fd.name``, one of which must hold: ``fd.name = P``/``in (…)``/``startswith P``/
``pmatch (…)`` give the prefix P, ``glob`` its literal start; ``fd.directory = D`` (or ``in``,
``startswith``, ``pmatch``) the prefix D (a directory's own open has ``fd.directory`` = its name, so no
``/`` is added); ``fd.name contains S`` the substring S, ``endswith S`` the suffix S; ``fd.filename = F``
(or ``in``) the suffix ``/F``; the same checks on ``fd.nameraw`` (the path as passed) hold on it as they
are.  An ``and`` needs only one child's atoms (the fewest are kept), an ``or`` needs all of them; anything
else (``icontains``, ``not``, other ``fd.filename`` checks, a transformer …) says nothing, and one rule
saying nothing means every path: :func:`open_filter` returns None.

The atoms hold for the path the process passed only when that path is absolute and already normal (no
``.``/``..`` component, no ``//``): the kernel filter (``source/bpfprog.py``) keeps every other path.
"""

from __future__ import annotations

from dataclasses import dataclass

from stockade.runtime.rules.compile import ExprCompiler
from stockade.runtime.rules.engine import Engine
from stockade.runtime.rules.grammar.ast import (
    And,
    BinaryCheck,
    Const,
    Expr,
    Field,
    ListValue,
    Or,
    Value,
)
from stockade.runtime.rules.index import Fields

OPEN_TYPES = ("open", "openat", "openat2", "creat")  # the opens the eBPF source filters by path
PATH_FIELDS = frozenset({"fd.name", "fd.directory", "fd.filename", "fd.nameraw"})
_GLOB_META = "*?["


def _values(e: BinaryCheck) -> list[str] | None:
    if isinstance(e.right, Value):
        return [e.right.text]
    if isinstance(e.right, ListValue):
        return [v.text for v in e.right.items]
    return None


Atom = tuple[str, str]  # ("prefix" | "contains" | "suffix", text)


def _check(e: BinaryCheck) -> set[Atom] | None:
    if not isinstance(e.left, Field) or e.left.arg is not None or e.modifier is not None:
        return None
    name, op, vals = e.left.name, e.op, _values(e)
    if vals is None or name not in PATH_FIELDS:
        return None
    if op in ("=", "==", "in", "startswith", "pmatch") and name != "fd.filename":
        return {("prefix", v) for v in vals}
    if op in ("contains", "endswith") and name in ("fd.name", "fd.nameraw"):
        return {("contains" if op == "contains" else "suffix", v) for v in vals}
    if op in ("=", "==", "in") and name == "fd.filename":  # the last component: the path ends with /F
        return {("suffix", "/" + v) for v in vals}
    if op == "glob" and name in ("fd.name", "fd.nameraw"):
        starts = {v[: min((v.find(c) for c in _GLOB_META if c in v), default=len(v))] for v in vals}
        return None if "" in starts else {("prefix", v) for v in starts}
    return None


def atoms(e: Expr) -> set[Atom] | None:
    """Atoms one of which holds on ``fd.name`` whenever ``e`` holds (None: any path)."""
    if isinstance(e, Const):
        return None if e.value else set()
    if isinstance(e, BinaryCheck):
        return _check(e)
    if isinstance(e, And):
        known = [p for p in (atoms(c) for c in e.children) if p is not None]
        return min(known, key=lambda p: (len(p), sorted(p))) if known else None
    if isinstance(e, Or):
        out: set[Atom] = set()
        for c in e.children:
            p = atoms(c)
            if p is None:
                return None
            out |= p
        return out
    return None


@dataclass(frozen=True, slots=True)
class PathFilter:
    """A path passes if it starts with one of ``prefixes``, contains one of ``substrings`` or ends with one
    of ``suffixes``."""

    prefixes: tuple[str, ...]
    substrings: tuple[str, ...]
    suffixes: tuple[str, ...] = ()

    def passes(self, path: str) -> bool:
        return (
            path.startswith(self.prefixes)
            or any(s in path for s in self.substrings)
            or path.endswith(self.suffixes)
        )


def open_filter(engine: Engine) -> PathFilter | None:
    """What every rule an open can meet needs of its path; None when some rule can match any path."""
    found: set[Atom] = set()
    for t in OPEN_TYPES:
        fx = Fields(ExprCompiler(engine.ruleset.namespace, evttype=t))
        for _r, ast in engine.members(t):
            relaxed = fx.relax(ast, PATH_FIELDS)
            a = None if relaxed is None else atoms(relaxed)
            if a is None:
                return None
            found |= a
    texts = {text for _kind, text in found}
    if "" in texts or ("prefix", "/") in found:
        return None
    subs = sorted(t for k, t in found if k == "contains")
    subs = [s for i, s in enumerate(subs) if not any(q in s for q in subs[:i])]
    pre = sorted(t for k, t in found if k == "prefix" and not any(s in t for s in subs))
    pre = [p for i, p in enumerate(pre) if not any(p.startswith(q) for q in pre[:i])]  # (sorted: q < p)
    suf = sorted(
        {t for k, t in found if k == "suffix" and not any(s in t for s in subs)}, key=lambda t: t[::-1]
    )
    suf = [x for i, x in enumerate(suf) if not any(x.endswith(q) for q in suf[:i])]  # (q's reverse < x's)
    return PathFilter(tuple(pre), tuple(subs), tuple(suf))
