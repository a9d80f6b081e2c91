"""Observed flows: read them, tie them to the model, and hold them against the policies.

Input is JSON Lines, one flow per line, in either of two shapes:

* simple — ``{"src": A, "dst": B, "port": 5432, "protocol": "TCP", "count": 12}``, where an endpoint is
  ``"ns/pod"`` (a pod, a workload, or a replica's pod name), ``"ns/svc"`` of a Service, an IP address, or an
  object ``{"namespace", "pod", "ip", "labels"}``; ``protocol`` defaults to TCP, ``count`` to 1.
* sensor — the runtime sensor's (Falco-field) connect/accept events, bare or under ``output_fields``:
  ``evt.type`` ``connect`` (the pod named by ``k8s.ns.name``/``k8s.pod.name`` is the client, the server is
  ``fd.sip``:``fd.sport``) or ``accept`` (the pod is the server, the client is ``fd.cip``), with
  ``fd.l4proto`` (tcp/udp/sctp).  Other event types are counted and skipped.

A line that is neither is an error naming its line and what was expected; the other lines are still read.
A flow to a Service is a flow to its backend pods on the target port (policies apply after the Service's
address translation).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from stockade.netpol.model import Cluster, IPAddress, Peer
from stockade.netpol.ports import PROTOCOLS
from stockade.netpol.resolve import Resolver, parse_ip
from stockade.netpol.semantics.evaluate import Endpoint, Evaluator, Verdict, endpoint_text

MAX_ERRORS = 200


@dataclass(frozen=True, slots=True)
class RawEndpoint:
    """An endpoint as the flow names it, before it is tied to the model."""

    ref: str | None = None  # "ns/name"
    ip: IPAddress | None = None
    labels: dict[str, str] | None = field(default=None, hash=False, compare=False)

    def text(self) -> str:
        return self.ref or (str(self.ip) if self.ip else "?")


@dataclass(frozen=True, slots=True)
class Flow:
    src: RawEndpoint
    dst: RawEndpoint
    port: int
    protocol: str
    count: int
    line: int


@dataclass(slots=True)
class FlowLoad:
    flows: list[Flow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    skipped: int = 0  # sensor events of other types


def _endpoint(raw: Any) -> RawEndpoint | None:
    if isinstance(raw, str) and raw:
        ip = parse_ip(raw)
        return RawEndpoint(ip=ip) if ip is not None else RawEndpoint(ref=raw)
    if isinstance(raw, dict):
        ns, pod = raw.get("namespace"), raw.get("pod") or raw.get("name") or raw.get("workload")
        ip = parse_ip(str(raw["ip"])) if raw.get("ip") else None
        labels = raw.get("labels")
        ref = f"{ns or 'default'}/{pod}" if pod else None
        if ref is None and ip is None:
            return None
        return RawEndpoint(
            ref, ip, {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else None
        )
    return None


def _port(raw: Any) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, str) and raw.isdigit():
        raw = int(raw)
    return raw if isinstance(raw, int) and 1 <= raw <= 65535 else None


def parse_flows(lines: Iterable[str], name: str) -> FlowLoad:
    out = FlowLoad()

    def error(n: int, msg: str) -> None:
        if len(out.errors) < MAX_ERRORS:
            out.errors.append(f"{name}:{n}: {msg}")

    for n, line in enumerate(lines, 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            error(n, f"not JSON ({exc.msg} at column {exc.colno}); expected one JSON object per line")
            continue
        if not isinstance(doc, dict):
            error(n, "expected a JSON object (a flow or a sensor event)")
            continue
        nested = doc.get("output_fields")
        fields: dict[str, Any] = nested if isinstance(nested, dict) else doc
        flow = _sensor(fields, n, out, error) if "evt.type" in fields else _simple(doc, n, error)
        if flow is not None:
            out.flows.append(flow)
    return out


def _simple(doc: dict[str, Any], n: int, error: Any) -> Flow | None:
    src, dst = _endpoint(doc.get("src")), _endpoint(doc.get("dst"))
    if src is None or dst is None:
        which = "src" if src is None else "dst"
        error(n, f'{which}: expected "namespace/pod", an IP address, or {{namespace, pod, ip, labels}}')
        return None
    port = _port(doc.get("port"))
    if port is None:
        error(n, f"port: expected a number between 1 and 65535, got {doc.get('port')!r}")
        return None
    proto = str(doc.get("protocol") or "TCP").upper()
    if proto not in PROTOCOLS:
        error(n, f"protocol: expected TCP, UDP or SCTP, got {doc.get('protocol')!r}")
        return None
    count = doc.get("count", 1)
    return Flow(src, dst, port, proto, count if isinstance(count, int) and count > 0 else 1, n)


def _sensor(f: dict[str, Any], n: int, out: FlowLoad, error: Any) -> Flow | None:
    etype = str(f.get("evt.type"))
    if etype not in ("connect", "accept", "accept4"):
        out.skipped += 1
        return None
    proto = str(f.get("fd.l4proto") or "tcp").upper()
    if proto not in PROTOCOLS:
        out.skipped += 1  # unix sockets, raw IP …
        return None
    ns, pod = f.get("k8s.ns.name"), f.get("k8s.pod.name")
    me = RawEndpoint(ref=f"{ns}/{pod}") if ns and pod else None
    sip, cip = parse_ip(str(f.get("fd.sip") or "")), parse_ip(str(f.get("fd.cip") or ""))
    port = _port(f.get("fd.sport"))
    if port is None:
        error(n, "fd.sport: expected the server port of the connection")
        return None
    if etype == "connect":
        if sip is None:
            error(n, "fd.sip: expected the server address of a connect event")
            return None
        src: RawEndpoint | None = me or (RawEndpoint(ip=cip) if cip else None)
        dst: RawEndpoint | None = RawEndpoint(ip=sip)
    else:
        if cip is None:
            error(n, "fd.cip: expected the client address of an accept event")
            return None
        src = RawEndpoint(ip=cip)
        dst = me or (RawEndpoint(ip=sip) if sip else None)
    if src is None or dst is None:
        error(n, "expected k8s.ns.name and k8s.pod.name (or both addresses) to place the event")
        return None
    return Flow(src, dst, port, proto, 1, n)


@dataclass(frozen=True, slots=True)
class ResolvedFlow:
    flow: Flow
    src: Endpoint
    dst: Endpoint
    port: int  # after Service translation: the target port
    via: str | None = None  # the Service, when the flow went through one


@dataclass(slots=True)
class Resolution:
    flows: list[ResolvedFlow] = field(default_factory=list)
    unresolved: list[tuple[Flow, str]] = field(default_factory=list)


def resolve_flows(cluster: Cluster, flows: Iterable[Flow]) -> Resolution:
    """Tie each flow to peers (or an external IP); a named endpoint the model lacks is unresolved."""
    r = Resolver(cluster)
    out = Resolution()
    for flow in flows:
        src = _place(r, flow.src)
        if isinstance(src, str):
            out.unresolved.append((flow, f"source {src}"))
            continue
        svc = None
        if flow.dst.ref is not None:
            svc = r.service(flow.dst.ref) if r.peer(flow.dst.ref) is None else None
        elif flow.dst.ip is not None and r.ip(flow.dst.ip) is None:
            svc = r.service(flow.dst.ip)
        if svc is not None:
            backends = r.backends(svc, flow.port, flow.protocol)
            if not backends:
                out.unresolved.append(
                    (flow, f"Service {svc.namespace}/{svc.name} has no backend pods in the model")
                )
            for peer, port in backends:
                out.flows.append(ResolvedFlow(flow, src, peer, port, f"{svc.namespace}/{svc.name}"))
            continue
        dst = _place(r, flow.dst)
        if isinstance(dst, str):
            out.unresolved.append((flow, f"destination {dst}"))
            continue
        out.flows.append(ResolvedFlow(flow, src, dst, flow.port))
    return out


def _place(r: Resolver, e: RawEndpoint) -> Endpoint | str:
    if e.ref is not None:
        peer = r.peer(e.ref)
        if peer is not None:
            return peer
        if e.ip is None:
            return f"{e.ref} is not in the manifests"
    if e.ip is not None:
        return r.ip(e.ip) or e.ip
    return "without name or address"


@dataclass(frozen=True, slots=True)
class FlowVerdict:
    flow: ResolvedFlow
    verdict: Verdict

    def to_dict(self) -> dict[str, Any]:
        f = self.flow
        out: dict[str, Any] = {
            "line": f.flow.line,
            "src": endpoint_text(f.src),
            "dst": endpoint_text(f.dst),
            "port": f.port,
            "protocol": f.flow.protocol,
            "count": f.flow.count,
            "allowed": self.verdict.allowed,
            "policies": self.verdict.allowing_policies() if self.verdict.allowed else [],
            "reasons": list(self.verdict.reasons),
        }
        if f.via:
            out["via_service"] = f.via
        return out


@dataclass(slots=True)
class FlowReport:
    allowed: list[FlowVerdict] = field(default_factory=list)
    blocked: list[FlowVerdict] = field(default_factory=list)
    unseen: list[tuple[Peer, Peer, int, str]] = field(default_factory=list)  # allowed, never observed
    unresolved: list[tuple[Flow, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def check_flows(
    cluster: Cluster, load: FlowLoad, *, ports: tuple[tuple[int, str], ...] | None = None
) -> FlowReport:
    from stockade.netpol.reach import build_matrix

    res = resolve_flows(cluster, load.flows)
    ev = Evaluator(cluster)
    rep = FlowReport(unresolved=res.unresolved, errors=list(load.errors))
    seen: set[tuple[str, str, int, str]] = set()
    for rf in res.flows:
        v = ev.decide(rf.src, rf.dst, rf.port, rf.flow.protocol)
        (rep.allowed if v.allowed else rep.blocked).append(FlowVerdict(rf, v))
        seen.add((endpoint_text(rf.src), endpoint_text(rf.dst), rf.port, rf.flow.protocol))
    m = build_matrix(cluster, ports=ports)
    for c in m.connections(with_policies=False):
        if (
            c.allowed
            and c.port is not None
            and c.protocol is not None
            and (c.src.id, c.dst.id, c.port, c.protocol) not in seen
        ):
            rep.unseen.append((c.src, c.dst, c.port, c.protocol))
    return rep
