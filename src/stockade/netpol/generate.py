"""Least-privilege NetworkPolicies from observed flows.

What is generated, per namespace of the model (or of the flows):

* ``default-deny`` — ``podSelector: {}``, ``policyTypes: [Ingress, Egress]``: every pod isolated both ways.
* ``allow-<peer>-ingress`` for each destination that received flows: one rule per source, on exactly the
  ports seen.  A source pod in the same namespace is a ``podSelector``; in another namespace a
  ``namespaceSelector`` on the immutable ``kubernetes.io/metadata.name`` label AND a ``podSelector`` in the
  same peer (one peer element, so the two are ANDed — two elements would be an OR and allow far more).
  An address outside the model is an ``ipBlock`` of that single address (/32, /128).
* ``allow-<peer>-egress`` for each source that sent flows, the mirror image.
* DNS: a flow to port 53 whose server is not in the model (typically the kube-dns Service address) becomes
  an egress rule to ``k8s-app=kube-dns`` pods in ``kube-system`` on the protocols seen (``--dns-tcp`` adds
  TCP, which resolvers fall back to for large answers, RFC 7766).

Pods are selected by their labels minus those controllers add per revision (``pod-template-hash``,
``controller-revision-hash``, …).  When that selector also picks other peers of the model the policy
cannot be exact; a note says which.  :func:`verify` applies the result to the model and proves that every
observed flow is allowed and nothing else is.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from stockade.netpol.flows import Flow, ResolvedFlow
from stockade.netpol.model import NS_NAME_LABEL, Cluster, ContainerPort, IPAddress, Peer
from stockade.netpol.selectors import parse_selector

VOLATILE_LABELS = frozenset(
    {
        "pod-template-hash",
        "controller-revision-hash",
        "statefulset.kubernetes.io/pod-name",
        "apps.kubernetes.io/pod-index",
        "controller-uid",
        "batch.kubernetes.io/controller-uid",
        "batch.kubernetes.io/job-completion-index",
        "pod-template-generation",
    }
)
DNS_PORT = 53
DNS_SELECTOR = {"k8s-app": "kube-dns"}
DNS_NAMESPACE = "kube-system"


@dataclass(slots=True)
class Generated:
    policies: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def pod_labels(peer: Peer) -> dict[str, str]:
    return {k: v for k, v in sorted(peer.labels.items()) if k not in VOLATILE_LABELS}


def _name(text: str) -> str:
    out = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    return out[:200] or "peer"


def _ip_peer(ip: IPAddress) -> dict[str, Any]:
    return {"ipBlock": {"cidr": str(ipaddress.ip_network(ip))}}


def _pod_peer(peer: Peer, policy_ns: str) -> dict[str, Any]:
    out: dict[str, Any] = {"podSelector": {"matchLabels": pod_labels(peer)}}
    if peer.namespace != policy_ns:
        out = {"namespaceSelector": {"matchLabels": {NS_NAME_LABEL: peer.namespace}}, **out}
    return out


def _ports(ports: Iterable[tuple[int, str]]) -> list[dict[str, Any]]:
    return [
        {"protocol": proto, "port": port} for port, proto in sorted(set(ports), key=lambda x: (x[1], x[0]))
    ]


def _policy(ns: str, name: str, peer: Peer, direction: str, rules: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {
            "name": name,
            "namespace": ns,
            "labels": {"app.kubernetes.io/managed-by": "stockade"},
        },
        "spec": {
            "podSelector": {"matchLabels": pod_labels(peer)},
            "policyTypes": [direction],
            direction.lower(): rules,
        },
    }


def dns_servers(cluster: Cluster) -> list[Peer]:
    """The model's kube-dns pods (``k8s-app=kube-dns`` in kube-system)."""
    return [
        p
        for p in cluster.peers
        if p.namespace == DNS_NAMESPACE and all(p.labels.get(k) == v for k, v in DNS_SELECTOR.items())
    ]


def retarget_dns(cluster: Cluster, flows: list[ResolvedFlow]) -> list[ResolvedFlow]:
    """A flow to port 53 of an address the model does not know goes to the model's kube-dns pods, when it
    has them (the address is then the kube-dns Service the manifests did not include)."""
    servers = dns_servers(cluster)
    if not servers:
        return flows
    out: list[ResolvedFlow] = []
    for rf in flows:
        if not isinstance(rf.dst, Peer) and rf.port == DNS_PORT and isinstance(rf.src, Peer):
            out.extend(ResolvedFlow(rf.flow, rf.src, s, DNS_PORT, rf.via) for s in servers)
        else:
            out.append(rf)
    return out


def _dns_tcp(flows: list[ResolvedFlow]) -> list[ResolvedFlow]:
    """Each DNS-over-UDP flow to a kube-dns pod, plus the same over TCP."""
    out = list(flows)
    for rf in flows:
        dst = rf.dst
        if (
            rf.port == DNS_PORT
            and rf.flow.protocol == "UDP"
            and isinstance(dst, Peer)
            and all(dst.labels.get(k) == v for k, v in DNS_SELECTOR.items())
        ):
            tcp = Flow(rf.flow.src, rf.flow.dst, rf.flow.port, "TCP", rf.flow.count, rf.flow.line)
            out.append(ResolvedFlow(tcp, rf.src, dst, rf.port, rf.via))
    return out


def generate(
    cluster: Cluster, flows: list[ResolvedFlow], *, dns_tcp: bool = False, default_deny: bool = True
) -> Generated:
    out = Generated()
    flows = retarget_dns(cluster, flows)
    if dns_tcp:
        flows = _dns_tcp(flows)
    ingress: dict[str, dict[str, tuple[Any, set[tuple[int, str]]]]] = {}  # dst id → src key → (peer, ports)
    egress: dict[str, dict[str, tuple[Any, set[tuple[int, str]]]]] = {}
    dns: dict[str, set[str]] = {}  # src id → protocols
    peers: dict[str, Peer] = {}
    for rf in flows:
        proto, port = rf.flow.protocol, rf.port
        if isinstance(rf.src, Peer) and rf.src.host_network:
            out.notes.append(f"{rf.src.id} uses the host network: NetworkPolicies do not apply to it")
        if isinstance(rf.dst, Peer):
            peers[rf.dst.id] = rf.dst
            key = rf.src.id if isinstance(rf.src, Peer) else str(rf.src)
            ingress.setdefault(rf.dst.id, {}).setdefault(key, (rf.src, set()))[1].add((port, proto))
        if isinstance(rf.src, Peer):
            peers[rf.src.id] = rf.src
            if not isinstance(rf.dst, Peer) and port == DNS_PORT:
                dns.setdefault(rf.src.id, set()).add(proto)
                continue
            key = rf.dst.id if isinstance(rf.dst, Peer) else str(rf.dst)
            egress.setdefault(rf.src.id, {}).setdefault(key, (rf.dst, set()))[1].add((port, proto))
    namespaces = sorted({p.namespace for p in cluster.peers} | {p.namespace for p in peers.values()})
    if default_deny:
        for ns in namespaces:
            out.policies.append(
                {
                    "apiVersion": "networking.k8s.io/v1",
                    "kind": "NetworkPolicy",
                    "metadata": {
                        "name": "default-deny",
                        "namespace": ns,
                        "labels": {"app.kubernetes.io/managed-by": "stockade"},
                    },
                    "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
                }
            )
    for direction, table in (("Ingress", ingress), ("Egress", egress)):
        word = "from" if direction == "Ingress" else "to"
        for pid in sorted(table):
            peer = peers[pid]
            rules = []
            for _key, (other, ports) in sorted(table[pid].items()):
                who = _pod_peer(other, peer.namespace) if isinstance(other, Peer) else _ip_peer(other)
                rules.append({word: [who], "ports": _ports(ports)})
            if direction == "Egress" and pid in dns:
                rules.append(_dns_rule(dns.pop(pid), dns_tcp))
            out.policies.append(
                _policy(
                    peer.namespace, f"allow-{_name(peer.name)}-{direction.lower()}", peer, direction, rules
                )
            )
    for pid in sorted(dns):  # DNS was the only egress of these peers
        peer = peers[pid]
        out.policies.append(
            _policy(
                peer.namespace,
                f"allow-{_name(peer.name)}-egress",
                peer,
                "Egress",
                [_dns_rule(dns[pid], dns_tcp)],
            )
        )
    for peer in peers.values():
        sel = parse_selector({"matchLabels": pod_labels(peer)})
        if not pod_labels(peer):
            out.notes.append(f"{peer.id} has no labels: its policies select every pod of {peer.namespace}")
            continue
        others = [
            p.id
            for p in cluster.peers
            if p.id != peer.id and p.namespace == peer.namespace and sel.matches(p.labels)
        ]
        if others:
            out.notes.append(
                f"the selector for {peer.id} ({sel.text()}) also selects {', '.join(sorted(others))}"
            )
    out.notes = sorted(set(out.notes))
    return out


def _dns_rule(protocols: set[str], dns_tcp: bool) -> dict[str, Any]:
    protos = set(protocols) | ({"TCP"} if dns_tcp else set())
    return {
        "to": [
            {
                "namespaceSelector": {"matchLabels": {NS_NAME_LABEL: DNS_NAMESPACE}},
                "podSelector": {"matchLabels": dict(DNS_SELECTOR)},
            }
        ],
        "ports": _ports((DNS_PORT, p) for p in protos),
    }


@dataclass(slots=True)
class Verification:
    allowed_flows: int = 0
    blocked_flows: list[str] = field(default_factory=list)  # observed but denied by the generated policies
    extra: list[str] = field(default_factory=list)  # allowed by the generated policies, never observed
    probes: int = 0

    @property
    def exact(self) -> bool:
        return not self.blocked_flows and not self.extra


def apply(cluster: Cluster, generated: Generated, *, replace: bool = True) -> Cluster:
    """The model with the generated policies (instead of its own, with ``replace``)."""
    import yaml

    from stockade.netpol.load import build
    from stockade.netpol.model import Cluster as _Cluster
    from stockade.target.manifests import parse_stream

    text = yaml.safe_dump_all(generated.policies, sort_keys=False)
    loaded = parse_stream(text, "<generated>")
    from stockade.checks.kubernetes.objects import objects_of

    objs = [o for d in loaded.documents for o in objects_of(d)]
    tmp = _Cluster()
    build(objs, tmp)
    return _Cluster(
        namespaces={**tmp.namespaces, **cluster.namespaces},
        peers=list(cluster.peers),
        services=list(cluster.services),
        policies=[*([] if replace else cluster.policies), *tmp.policies],
        errors=list(tmp.errors),
    )


def verify(
    cluster: Cluster, generated: Generated, flows: list[ResolvedFlow], *, dns_tcp: bool = False
) -> Verification:
    """Apply ``generated`` to the model (its own policies removed) and compare with the flows: every flow
    must be allowed; every other (peer, peer, port) — declared container ports and every observed port —
    must be denied."""
    from stockade.netpol.reach import build_matrix
    from stockade.netpol.semantics.evaluate import Evaluator, endpoint_text

    applied = apply(cluster, generated)
    ev = Evaluator(applied)
    flows = retarget_dns(cluster, flows)
    if dns_tcp:
        flows = _dns_tcp(flows)
    out = Verification()
    seen: set[tuple[str, str, int, str]] = set()
    dns_server = Peer(
        "kube-system/kube-dns (assumed)",
        DNS_NAMESPACE,
        "kube-dns",
        "Pod",
        dict(DNS_SELECTOR),
        (ContainerPort(DNS_PORT, "UDP", "dns"), ContainerPort(DNS_PORT, "TCP", "dns-tcp")),
    )
    for rf in flows:
        dst = rf.dst
        if not isinstance(dst, Peer) and rf.port == DNS_PORT and isinstance(rf.src, Peer):
            dst = dns_server  # the generated DNS rule names kube-dns pods, not the address the flow saw
        v = ev.decide(rf.src, dst, rf.port, rf.flow.protocol)
        key = (endpoint_text(rf.src), endpoint_text(rf.dst), rf.port, rf.flow.protocol)
        seen.add(key)
        if v.allowed:
            out.allowed_flows += 1
        else:
            out.blocked_flows.append(f"{key[0]} -> {key[1]} {key[2]}/{key[3]}")
    probe_ports = {(p.port, p.protocol) for peer in cluster.peers for p in peer.ports}
    probe_ports |= {(rf.port, rf.flow.protocol) for rf in flows}
    m = build_matrix(applied, ports=sorted(probe_ports))
    for c in m.connections(with_policies=False):
        out.probes += 1
        assert c.port is not None and c.protocol is not None
        if c.allowed and (c.src.id, c.dst.id, c.port, c.protocol) not in seen:
            out.extra.append(f"{c.src.id} -> {c.dst.id} {c.port}/{c.protocol}")
    return out
