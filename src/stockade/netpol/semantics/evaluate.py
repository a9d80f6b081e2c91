"""Is a connection allowed?  The NetworkPolicy decision procedure, exactly as the API defines it.

networking.k8s.io/v1 NetworkPolicySpec, and the upstream e2e suite (test/e2e/network/netpol) that pins the
behaviour down:

1. Ingress and egress are decided separately; a connection from S to D needs egress allowed at S *and*
   ingress allowed at D.  A side that is not a pod (an IP outside the model) does not restrict.
2. A pod is *isolated* for a direction when at least one policy of its namespace selects it
   (``spec.podSelector``) and lists that direction in ``policyTypes`` (after defaulting, see
   :mod:`stockade.netpol.parse_policy`).  A pod no policy isolates is open in that direction.
3. An isolated pod accepts exactly the union of the rules of every policy that isolates it: policies are
   additive, never subtractive, and order does not matter.  Isolated with no rules: closed.
4. A rule matches when one of its peers matches *and* one of its ports matches.  ``from``/``to`` absent or
   empty: every peer (pods and IPs); ``ports`` absent or empty: every port and protocol.
5. Peers: ``podSelector`` alone selects pods of the *policy's* namespace; ``namespaceSelector`` alone every
   pod of the selected namespaces; both in one peer: pods matching the pod selector *in* namespaces matching
   the namespace selector (AND) — unlike two separate peers (OR).  An empty selector selects everything.
   ``ipBlock`` matches by IP address: addresses in ``cidr`` and in none of ``except``; the e2e suite applies
   it to pod IPs too, so a pod whose IP is known (``status.podIP``) matches by address.  A pod whose IP is
   not in the manifests matches a block that contains the whole pod network (``--pod-cidr``; without it,
   only ``0.0.0.0/0`` with no ``except``), and no other — the block might or might not hold its address.
6. Ports: ``protocol`` (default TCP) must match; a numeric ``port`` with ``endPort`` is an inclusive range;
   a *named* port is resolved against the destination pod's container ports (name and protocol), in
   ingress and egress rules alike, so it matches nothing towards an IP.
7. Pods with ``hostNetwork: true`` are not selected by NetworkPolicies (behaviour is left to the
   implementation); stockade treats them as never isolated and never matched by pod selectors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from stockade.netpol.model import (
    EGRESS,
    INGRESS,
    NS_NAME_LABEL,
    Cluster,
    IPAddress,
    IPBlock,
    IPNetwork,
    Peer,
    Policy,
    PolicyPeer,
    PolicyPort,
    Rule,
)
from stockade.netpol.ports import ALL, FULL, NONE, PortSet

Endpoint = Peer | IPAddress


def endpoint_text(e: Endpoint) -> str:
    return e.id if isinstance(e, Peer) else str(e)


@dataclass(frozen=True, slots=True)
class Match:
    """A rule that allows (part of) the traffic: which policy, which rule, the ports it gives."""

    policy: Policy
    rule: Rule
    ports: PortSet

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy.id,
            "direction": self.rule.direction.lower(),
            "rule": self.rule.index,
            "location": f"{self.policy.location.path}:{self.rule.line}" if self.policy.location else None,
            "rule_text": self.rule.text(self.policy.namespace),
            "ports": self.ports.text(),
        }


@dataclass(frozen=True, slots=True)
class Side:
    """One direction of a decision."""

    direction: str
    applies: bool  # False: the subject is not a pod of the model, or uses the host network
    policies: tuple[Policy, ...]  # the policies isolating the subject in this direction
    matches: tuple[Match, ...]  # rules whose peer matched, with the ports each allows
    ports: PortSet  # what this side allows towards/from the other endpoint

    @property
    def isolated(self) -> bool:
        return bool(self.policies)


@dataclass(frozen=True, slots=True)
class Verdict:
    src: Endpoint
    dst: Endpoint
    port: int | None
    protocol: str | None
    egress: Side
    ingress: Side
    allowed: bool
    reasons: tuple[str, ...] = field(default=())

    def allowing_policies(self) -> list[str]:
        out: list[str] = []
        for side in (self.egress, self.ingress):
            for m in side.matches:
                if self.port is None or self.protocol is None or m.ports.contains(self.protocol, self.port):
                    tag = f"{m.policy.id} ({side.direction.lower()} rule {m.rule.index})"
                    if tag not in out:
                        out.append(tag)
        return out

    def to_dict(self) -> dict[str, Any]:
        def side(s: Side) -> dict[str, Any]:
            relevant = [
                m
                for m in s.matches
                if self.port is None or self.protocol is None or m.ports.contains(self.protocol, self.port)
            ]
            return {
                "applies": s.applies,
                "isolated": s.isolated,
                "policies": [p.id for p in s.policies],
                "allowed_ports": s.ports.text(),
                "allowed_by": [m.to_dict() for m in relevant],
            }

        return {
            "src": endpoint_text(self.src),
            "dst": endpoint_text(self.dst),
            "port": self.port,
            "protocol": self.protocol,
            "allowed": self.allowed,
            "egress": side(self.egress),
            "ingress": side(self.ingress),
            "reasons": list(self.reasons),
        }


class Evaluator:
    """Decisions over one cluster.  Selections are cached per peer; build a new one after changing it."""

    def __init__(self, cluster: Cluster, pod_cidrs: tuple[IPNetwork, ...] = ()) -> None:
        self.cluster = cluster
        self.pod_cidrs = pod_cidrs
        self.ns_labels = {name: ns.labels for name, ns in cluster.namespaces.items()}
        self.by_ns: dict[str, list[Policy]] = {}
        for p in cluster.policies:
            self.by_ns.setdefault(p.namespace, []).append(p)
        self._selecting: dict[tuple[str, str], tuple[Policy, ...]] = {}

    # -- selection --------------------------------------------------------------------------------------
    def selecting(self, peer: Peer, direction: str) -> tuple[Policy, ...]:
        """Policies that isolate ``peer`` in ``direction`` (rule 2)."""
        key = (peer.id, direction)
        got = self._selecting.get(key)
        if got is None:
            if peer.host_network:
                got = ()
            else:
                got = tuple(
                    p
                    for p in self.by_ns.get(peer.namespace, ())
                    if direction in p.policy_types and p.pod_selector.matches(peer.labels)
                )
            self._selecting[key] = got
        return got

    def peer_matches(self, pp: PolicyPeer, policy_ns: str, e: Endpoint) -> bool:
        """Rule 5."""
        if pp.ip_block is not None:
            if isinstance(e, Peer):
                return block_matches_peer(pp.ip_block, e, self.pod_cidrs)
            return pp.ip_block.contains(e)
        if not isinstance(e, Peer) or e.host_network:
            return False
        if pp.namespace_selector is None:
            if e.namespace != policy_ns:
                return False
        elif not pp.namespace_selector.matches(
            self.ns_labels.get(e.namespace) or {NS_NAME_LABEL: e.namespace}
        ):
            return False
        return pp.pod_selector is None or pp.pod_selector.matches(e.labels)

    def rule_peer_matches(self, rule: Rule, policy_ns: str, e: Endpoint) -> bool:
        return rule.peers is None or any(self.peer_matches(pp, policy_ns, e) for pp in rule.peers)

    @staticmethod
    def port_set(port: PolicyPort, dst: Endpoint) -> PortSet:
        """Rule 6: what one NetworkPolicyPort allows towards ``dst``."""
        if port.port is None:
            return PortSet.of({port.protocol: FULL})
        if isinstance(port.port, str):
            number = dst.named_port(port.port, port.protocol) if isinstance(dst, Peer) else None
            return NONE if number is None else PortSet.single(port.protocol, number)
        return PortSet.single(port.protocol, port.port, port.end_port)

    def rule_ports(self, rule: Rule, dst: Endpoint) -> PortSet:
        if rule.ports is None:
            return ALL
        out = NONE
        for p in rule.ports:
            out = out.union(self.port_set(p, dst))
        return out

    # -- decisions --------------------------------------------------------------------------------------
    def side(self, direction: str, subject: Endpoint, other: Endpoint, dst: Endpoint) -> Side:
        """What ``direction`` allows at ``subject`` (the destination for ingress, the source for egress)
        towards/from ``other``; named ports resolve against ``dst``."""
        if not isinstance(subject, Peer) or subject.host_network:
            return Side(direction, False, (), (), ALL)
        policies = self.selecting(subject, direction)
        if not policies:
            return Side(direction, True, (), (), ALL)
        matches: list[Match] = []
        allowed = NONE
        for policy in policies:
            for rule in policy.rules(direction):
                if self.rule_peer_matches(rule, policy.namespace, other):
                    ports = self.rule_ports(rule, dst)
                    matches.append(Match(policy, rule, ports))
                    allowed = allowed.union(ports)
        return Side(direction, True, policies, tuple(matches), allowed)

    def allowed_ports(self, src: Endpoint, dst: Endpoint) -> PortSet:
        return self.side(EGRESS, src, dst, dst).ports.intersect(self.side(INGRESS, dst, src, dst).ports)

    def decide(
        self, src: Endpoint, dst: Endpoint, port: int | None = None, protocol: str | None = "TCP"
    ) -> Verdict:
        """The verdict for one connection; ``port`` None asks whether *any* port is allowed."""
        egress = self.side(EGRESS, src, dst, dst)
        ingress = self.side(INGRESS, dst, src, dst)
        reasons: list[str] = []
        ok = True
        for s, subject, other in ((egress, src, dst), (ingress, dst, src)):
            if port is not None and protocol is not None:
                side_ok = s.ports.contains(protocol, port)
            else:
                side_ok = bool(s.ports)
            ok = ok and side_ok
            reasons.append(_reason(s, subject, other, side_ok, port, protocol))
        if port is None and ok:
            ok = bool(egress.ports.intersect(ingress.ports))
            if not ok:
                reasons.append("the ports egress allows and the ports ingress allows do not overlap")
        return Verdict(src, dst, port, protocol, egress, ingress, ok, tuple(reasons))


def block_matches_peer(block: IPBlock, peer: Peer, pod_cidrs: tuple[IPNetwork, ...] = ()) -> bool:
    """Rule 5 for a pod: by its addresses (all of them, for replicas), else by the pod network."""
    if peer.ips:
        return all(block.contains(ip) for ip in peer.ips)
    if not pod_cidrs:
        return block.cidr.prefixlen == 0 and block.cidr.version == 4 and not block.excepts
    return all(
        net.version == block.cidr.version
        and net.subnet_of(block.cidr)  # type: ignore[arg-type]
        and not any(e.overlaps(net) for e in block.excepts)
        for net in pod_cidrs
    )


def _reason(
    s: Side, subject: Endpoint, other: Endpoint, ok: bool, port: int | None, protocol: str | None
) -> str:
    word = s.direction.lower()
    who = endpoint_text(subject)
    what = f"{port}/{protocol}" if port is not None else "any port"
    if not s.applies:
        if isinstance(subject, Peer):
            return f"{word}: {who} uses the host network; NetworkPolicies do not apply to it"
        return f"{word}: {who} is not a pod of the model; not restricted here"
    if not s.isolated:
        return f"{word}: allowed — no NetworkPolicy selects {who} for {s.direction}"
    names = ", ".join(p.id for p in s.policies)
    if ok:
        rules = ", ".join(
            f"{m.policy.id} rule {m.rule.index}"
            for m in s.matches
            if port is None or protocol is None or m.ports.contains(protocol, port)
        )
        return f"{word}: allowed by {rules}"
    if not any(p.rules(s.direction) for p in s.policies):
        return f"{word}: denied — {who} is isolated by {names}, which allow no {word} at all"
    if not s.matches:
        return (
            f"{word}: denied — {who} is isolated by {names} and no rule there matches {endpoint_text(other)}"
        )
    got = s.ports.text()
    return f"{word}: denied — rules matching {endpoint_text(other)} allow only {got}, not {what}"
