"""Events synthesised from rule conditions, and a reference interpreter to judge them.

``satisfy(expr, want)`` searches (depth first, bounded) for field values that make a resolved condition
``want``: each check proposes candidate values from its own right-hand side (``startswith /etc`` →
``/etc/x``; ``in (a, b)`` → ``a``, ``b``; ``> 5`` → 6 …) or leaves the field unset.  ``to_event`` turns the
assignment into an event dict (ancestors for ``proc.aname[N]``, ``evt.args`` for ``evt.arg.X``).
``reference`` evaluates an AST over an event by walking it — a second, independent implementation of the
operators that the compiled engine is checked against.
"""

from __future__ import annotations

import fnmatch
import ipaddress
from collections.abc import Iterator
from typing import Any

from stockade.runtime.rules.extract import extractor
from stockade.runtime.rules.fields import FType, lookup, resolve_name
from stockade.runtime.rules.grammar.ast import (
    And,
    BinaryCheck,
    Const,
    Expr,
    Field,
    ListValue,
    Not,
    Or,
    UnaryCheck,
    Value,
)

MISSING = object()
NUM = (FType.INT, FType.PORT, FType.ABSTIME, FType.RELTIME)
UNSUPPORTED_KEYS = ("container.mount", "fd.types", "proc.env[", "k8s.pod.label[", "evt.buffer")


def _key(f: Field) -> str:
    return f.text()


def _type(f: Field) -> FType:
    base, _ = resolve_name(f.name)
    spec = lookup(base)
    return spec.type if spec else FType.STR


def _conv(text: str, t: FType) -> Any:
    if t in NUM:
        try:
            return int(text, 0)
        except ValueError:
            return None
    if t is FType.BOOL:
        return text.lower() == "true"
    return text


def _values(e: BinaryCheck) -> list[str]:
    if isinstance(e.right, Value):
        return [e.right.text]
    if isinstance(e.right, ListValue):
        return [v.text for v in e.right.items]
    return []


def check_value(e: BinaryCheck | UnaryCheck, v: Any) -> bool:
    """The reference semantics of one check on one value (``MISSING``/None: no value)."""
    if v is MISSING or v is None:
        return False
    if isinstance(e, UnaryCheck):
        return True
    assert isinstance(e.left, Field)
    t = _type(e.left)
    op, vals = e.op, _values(e)
    if t is FType.NET:
        nets = [ipaddress.ip_network(x, strict=False) for x in vals]
        try:
            addr = ipaddress.ip_address(v)
        except ValueError:
            return False
        inside = any(addr.version == n.version and addr in n for n in nets)
        return inside if op in ("=", "==", "in", "intersects") else not inside
    conv = [_conv(x, t) for x in vals]
    if t is FType.IP:
        conv = [str(ipaddress.ip_address(x)) for x in vals]
    if op in ("=", "=="):
        return bool(v == conv[0])
    if op == "!=":
        return bool(v != conv[0])
    if op in ("in", "intersects"):
        return v in conv
    if op in ("<", "<=", ">", ">="):
        if not isinstance(v, int):
            return False
        a, b = v, conv[0]
        return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
    s, k = str(v), vals[0] if vals else ""
    if op == "contains":
        return k in s
    if op == "icontains":
        return k.lower() in s.lower()
    if op == "startswith":
        return s.startswith(k)
    if op == "endswith":
        return s.endswith(k)
    if op == "glob":
        return fnmatch.fnmatchcase(s, k)
    if op == "pmatch":
        return any(s == p or s.startswith(p.rstrip("/") + "/") for p in vals)
    raise NotImplementedError(op)


def candidates(e: BinaryCheck | UnaryCheck) -> list[Any]:
    if isinstance(e, UnaryCheck):
        return ["x", 1]
    assert isinstance(e.left, Field)
    t = _type(e.left)
    vals = _values(e)
    out: list[Any] = []
    for raw in vals[:6]:
        if t is FType.NET:
            net = ipaddress.ip_network(raw, strict=False)
            out += [str(net.network_address + 1), "203.0.113.7"]
            continue
        c = _conv(raw, t)
        if t in NUM and isinstance(c, int):
            out += [c, c + 1, c - 1]
        elif t is FType.BOOL:
            out += [True, False]
        elif t is FType.IP:
            out += [str(ipaddress.ip_address(raw)), "203.0.113.7"]
        else:
            out += [raw, f"{raw}/x", f"x{raw}", f"x{raw}x", raw.replace("*", "a").replace("?", "a")]
    out += ["zz-synth", 424242] if t not in (FType.BOOL,) else [True, False]
    return out


def satisfy(e: Expr, want: bool, env: dict[str, Any], budget: list[int]) -> Iterator[dict[str, Any]]:
    budget[0] -= 1
    if budget[0] < 0:
        return
    if isinstance(e, Const):
        if e.value == want:
            yield env
    elif isinstance(e, Not):
        yield from satisfy(e.child, not want, env, budget)
    elif isinstance(e, (And, Or)):
        if isinstance(e, And) == want:  # every child must be `want`
            yield from _all(e.children, want, env, budget)
        else:  # one child suffices
            for c in e.children:
                yield from satisfy(c, want, env, budget)
    elif isinstance(e, (BinaryCheck, UnaryCheck)):
        if not isinstance(e.left, Field) or any(k in _key(e.left) for k in UNSUPPORTED_KEYS):
            return
        k = _key(e.left)
        if k in env:
            if check_value(e, env[k]) == want:
                yield env
            return
        if not want:
            yield {**env, k: MISSING}
        for v in candidates(e):
            try:
                ok = check_value(e, v) == want
            except (ValueError, TypeError):
                continue
            if ok:
                yield {**env, k: v}


def _all(
    children: tuple[Expr, ...], want: bool, env: dict[str, Any], budget: list[int]
) -> Iterator[dict[str, Any]]:
    if not children:
        yield env
        return
    for env2 in satisfy(children[0], want, env, budget):
        yield from _all(children[1:], want, env2, budget)


ANC = {"proc.aname": "name", "proc.apid": "pid", "proc.aexe": "exe", "proc.aexepath": "exepath",
       "proc.acmdline": "cmdline"}  # fmt: skip
PARENT = {"proc.pname": "proc.aname", "proc.ppid": "proc.apid", "proc.pexe": "proc.aexe",
          "proc.pexepath": "proc.aexepath", "proc.pcmdline": "proc.acmdline"}  # fmt: skip


def to_event(env: dict[str, Any], evttype: str) -> dict[str, Any]:
    ev: dict[str, Any] = {"evt.type": evttype}
    ancestors: dict[int, dict[str, Any]] = {}
    extra: list[dict[str, Any]] = []
    for k, v in env.items():
        if v is MISSING:
            continue
        name, _, arg = k.partition("[")
        arg = arg.rstrip("]")
        if name in PARENT:
            name, arg = PARENT[name], "1"
        if name in ANC:
            if arg:
                ancestors.setdefault(int(arg), {})[ANC[name]] = v
            else:
                extra.append({ANC[name]: v})
        elif name.startswith("evt.arg.") or name == "evt.arg":
            key = arg or name.split(".", 2)[2]
            ev.setdefault("evt.args", {})[key] = v
        elif name in ("fd.ip", "fd.net", "fd.snet"):
            ev["fd.sip"] = v
        elif name == "fd.cnet":
            ev["fd.cip"] = v
        elif name in ("fd.lnet", "fd.rnet"):
            ev[name.replace("net", "ip")] = v
        elif name == "fd.port":
            ev["fd.sport"] = v
        else:
            ev[k] = v
    depth = max([0, *ancestors])
    chain = [ancestors.get(i, {"name": "zz-ancestor", "pid": 1000 + i}) for i in range(1, depth + 1)]
    chain += extra
    if chain:
        ev["proc.ancestors"] = chain
    return ev


def reference(e: Expr, ev: dict[str, Any]) -> bool:
    if isinstance(e, Const):
        return e.value
    if isinstance(e, Not):
        return not reference(e.child, ev)
    if isinstance(e, And):
        return all(reference(c, ev) for c in e.children)
    if isinstance(e, Or):
        return any(reference(c, ev) for c in e.children)
    assert isinstance(e, (BinaryCheck, UnaryCheck)) and isinstance(e.left, Field)
    base, dotted = resolve_name(e.left.name)
    x = extractor(base, dotted if dotted is not None else e.left.arg)
    v = x.fn(dict(ev)) if x.fn is not None else ev.get(x.key or "")
    if x.multi:
        vals = v or []
        if isinstance(e, BinaryCheck) and e.op == "!=" and base in ("fd.ip", "fd.port", "fd.net"):
            eq = BinaryCheck(e.left, "=", e.right, None, e.pos)
            return bool(vals) and not any(check_value(eq, i) for i in vals)
        return any(check_value(e, i) for i in vals)
    return check_value(e, v)
