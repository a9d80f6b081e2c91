"""Would this change break traffic?  Two models (before, after) compared probe by probe.

Peers are matched by id (``namespace/name``).  Probed: ``--ports`` if given, else every container port the
destination declares in either model, else (flows given) exactly the observed flows.  A probe allowed
before and denied after *breaks*; denied before and allowed after *opens*.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from stockade.netpol.flows import FlowLoad, resolve_flows
from stockade.netpol.model import Cluster
from stockade.netpol.reach import build_matrix
from stockade.netpol.semantics.evaluate import Evaluator, endpoint_text


@dataclass(frozen=True, slots=True)
class Change:
    src: str
    dst: str
    port: int
    protocol: str
    before: bool
    after: bool
    policies_before: tuple[str, ...] = ()
    policies_after: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "src": self.src,
            "dst": self.dst,
            "port": self.port,
            "protocol": self.protocol,
            "before": self.before,
            "after": self.after,
            "policies_before": list(self.policies_before),
            "policies_after": list(self.policies_after),
        }


@dataclass(slots=True)
class Diff:
    broken: list[Change] = field(default_factory=list)
    opened: list[Change] = field(default_factory=list)
    probes: int = 0
    only_before: list[str] = field(default_factory=list)
    only_after: list[str] = field(default_factory=list)


def diff(
    before: Cluster,
    after: Cluster,
    *,
    ports: Sequence[tuple[int, str]] | None = None,
    flows: FlowLoad | None = None,
) -> Diff:
    out = Diff()
    ids_b = {p.id for p in before.peers}
    ids_a = {p.id for p in after.peers}
    out.only_before = sorted(ids_b - ids_a)
    out.only_after = sorted(ids_a - ids_b)
    common = sorted(ids_b & ids_a)
    if flows is not None:
        eb, ea = Evaluator(before), Evaluator(after)
        rb, ra = resolve_flows(before, flows.flows), resolve_flows(after, flows.flows)
        after_by_line = {(f.flow.line, endpoint_text(f.dst)): f for f in ra.flows}
        for fb in rb.flows:
            fa = after_by_line.get((fb.flow.line, endpoint_text(fb.dst)))
            if fa is None:
                continue
            out.probes += 1
            vb = eb.decide(fb.src, fb.dst, fb.port, fb.flow.protocol)
            va = ea.decide(fa.src, fa.dst, fa.port, fa.flow.protocol)
            _record(
                out,
                endpoint_text(fb.src),
                endpoint_text(fb.dst),
                fb.port,
                fb.flow.protocol,
                vb.allowed,
                va.allowed,
                vb.allowing_policies(),
                va.allowing_policies(),
            )
        return out
    pb = [p for p in before.peers if p.id in ids_a]
    pa = [next(q for q in after.peers if q.id == p.id) for p in pb]
    assert [p.id for p in pb] == [p.id for p in pa] == common
    declared: dict[str, set[tuple[int, str]]] = {}
    for p in (*pb, *pa):
        declared.setdefault(p.id, set()).update((c.port, c.protocol) for c in p.ports)
    mb, ma = build_matrix(before, peers=pb), build_matrix(after, peers=pa)
    for i, src in enumerate(pb):
        for j, dst in enumerate(pb):
            if i == j:
                continue
            probes = list(ports) if ports is not None else sorted(declared[dst.id])
            for port, proto in probes:
                out.probes += 1
                b, a = mb.allowed(i, j, port, proto), ma.allowed(i, j, port, proto)
                if a != b:
                    _record(
                        out,
                        src.id,
                        dst.id,
                        port,
                        proto,
                        b,
                        a,
                        mb.policies(i, j, port, proto),
                        ma.policies(i, j, port, proto),
                    )
    return out


def _record(
    out: Diff,
    src: str,
    dst: str,
    port: int,
    proto: str,
    b: bool,
    a: bool,
    pol_b: Sequence[str],
    pol_a: Sequence[str],
) -> None:
    if b == a:
        return
    c = Change(src, dst, port, proto, b, a, tuple(pol_b) if b else (), tuple(pol_a) if a else ())
    (out.broken if b else out.opened).append(c)
