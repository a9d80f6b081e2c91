"""Findings about segmentation, with stable ids (never reused).

=============  ========  =====================================================================
id             severity  what
=============  ========  =====================================================================
STK-NET-0001   medium    workload not isolated for ingress (no policy selects it for Ingress)
STK-NET-0002   low       workload not isolated for egress
STK-NET-0003   medium    ingress rule allows every source (no ``from``, or every namespace)
STK-NET-0004   medium    egress rule allows every destination (no ``to``)
STK-NET-0005   high      egress to the whole internet (ipBlock 0.0.0.0/0 or ::/0)
STK-NET-0006   low       policy selects no pod of the model
STK-NET-0007   low       rule is redundant: other rules already allow all it allows
STK-NET-0008   medium    rules ignored: the direction is not in ``policyTypes``
STK-NET-0009   low       ipBlock CIDR with host bits set (masked)
STK-NET-0010   medium    named port that no destination defines: the rule allows nothing there
STK-NET-0011   medium    egress isolated with no DNS allowed (53/UDP): name resolution fails
STK-NET-0012   low       rule peer matches no pod of the model
STK-NET-0013   high      ingress from the whole internet (ipBlock 0.0.0.0/0 or ::/0)
=============  ========  =====================================================================

Findings about "the model" (0001, 0002, 0006, 0010, 0012) are only as complete as the manifests given.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from stockade.model.finding import Finding
from stockade.model.inventory import Location
from stockade.model.severity import Severity
from stockade.netpol.load import LoadNotes
from stockade.netpol.model import EGRESS, INGRESS, Cluster, ContainerPort, IPBlock, Peer, Policy, Rule
from stockade.netpol.ports import NONE, PortSet
from stockade.netpol.reach import Matrix, build_matrix

DOCS = "https://kubernetes.io/docs/concepts/services-networking/network-policies/"


@dataclass(frozen=True, slots=True)
class Check:
    id: str
    severity: Severity
    title: str
    remediation: str


CHECKS = {
    c.id: c
    for c in (
        Check(
            "STK-NET-0001",
            Severity.MEDIUM,
            "Workload is not isolated for ingress",
            "Add a NetworkPolicy selecting it with policyTypes [Ingress] "
            "(start from a namespace default-deny).",
        ),
        Check(
            "STK-NET-0002",
            Severity.LOW,
            "Workload is not isolated for egress",
            "Add a NetworkPolicy selecting it with policyTypes [Egress] and rules for what it must reach.",
        ),
        Check(
            "STK-NET-0003",
            Severity.MEDIUM,
            "Ingress rule allows every source",
            "List the sources (podSelector / namespaceSelector / ipBlock) instead of allowing all.",
        ),
        Check(
            "STK-NET-0004",
            Severity.MEDIUM,
            "Egress rule allows every destination",
            "List the destinations the workload must reach.",
        ),
        Check(
            "STK-NET-0005",
            Severity.HIGH,
            "Egress to the whole internet",
            "Narrow the ipBlock to the addresses needed, or egress through a proxy.",
        ),
        Check(
            "STK-NET-0006",
            Severity.LOW,
            "NetworkPolicy selects no pod",
            "Fix the podSelector (labels, namespace) or delete the policy.",
        ),
        Check(
            "STK-NET-0007",
            Severity.LOW,
            "Rule is redundant",
            "Remove the rule; other rules already allow everything it allows.",
        ),
        Check(
            "STK-NET-0008",
            Severity.MEDIUM,
            "Rules ignored: direction not in policyTypes",
            "Add the direction to policyTypes, or remove the rules.",
        ),
        Check(
            "STK-NET-0009",
            Severity.LOW,
            "ipBlock CIDR has host bits set",
            "Write the network address (the CIDR as masked) so the intent is unambiguous.",
        ),
        Check(
            "STK-NET-0010",
            Severity.MEDIUM,
            "Named port defined by no destination",
            "Name the container port in the pod template, or use the number.",
        ),
        Check(
            "STK-NET-0011",
            Severity.MEDIUM,
            "Egress isolated without DNS",
            "Allow egress to kube-dns (k8s-app=kube-dns in kube-system) on 53/UDP and 53/TCP.",
        ),
        Check(
            "STK-NET-0012",
            Severity.LOW,
            "Rule peer matches no pod",
            "Fix the selector (labels, namespace labels); today it allows no pod.",
        ),
        Check(
            "STK-NET-0013",
            Severity.HIGH,
            "Ingress from the whole internet",
            "Narrow the ipBlock to the clients that need access.",
        ),
    )
}


def _f(cid: str, target: str, loc: Location | None, evidence: str, **meta: object) -> Finding:
    c = CHECKS[cid]
    return Finding(
        id=c.id,
        severity=c.severity,
        title=c.title,
        target=target,
        kind="check",
        location=loc,
        evidence=evidence,
        remediation=c.remediation,
        references=(DOCS,),
        metadata={k: v for k, v in meta.items()},
    )


def _rule_loc(p: Policy, r: Rule) -> Location | None:
    return Location(p.location.path, r.line) if p.location else None


def _world(b: IPBlock) -> bool:
    return b.cidr.prefixlen == 0


def findings(cluster: Cluster, notes: LoadNotes | None = None, matrix: Matrix | None = None) -> list[Finding]:
    m = matrix or build_matrix(cluster)
    ev = m.evaluator
    out: list[Finding] = []
    for peer in cluster.peers:
        if peer.host_network:
            continue
        for direction, cid in ((INGRESS, "STK-NET-0001"), (EGRESS, "STK-NET-0002")):
            if not ev.selecting(peer, direction):
                out.append(
                    _f(
                        cid,
                        f"{peer.kind} {peer.id}",
                        peer.location,
                        f"no NetworkPolicy in namespace {peer.namespace} selects {peer.id} for {direction}; "
                        f"{direction.lower()} is open",
                        peer=peer.id,
                        direction=direction.lower(),
                    )
                )
        if ev.selecting(peer, EGRESS) and not _dns_allowed(m, peer):
            out.append(
                _f(
                    "STK-NET-0011",
                    f"{peer.kind} {peer.id}",
                    peer.location,
                    f"{peer.id} is isolated for egress by "
                    f"{', '.join(p.id for p in ev.selecting(peer, EGRESS))} and no rule allows 53/UDP",
                    peer=peer.id,
                )
            )
    for policy in cluster.policies:
        out.extend(_policy_findings(cluster, m, policy))
        for note in notes.by_policy.get(policy.id, []) if notes else []:
            out.extend(_note(policy, note))
    return sorted(out, key=Finding.sort_key)


def _dns_allowed(m: Matrix, peer: Peer) -> bool:
    """Does egress allow 53/UDP to a DNS server: the model's kube-dns pods, or (none in the model) a pod
    labelled k8s-app=kube-dns in kube-system, as every kubeadm/managed cluster runs it."""
    from stockade.netpol.generate import DNS_NAMESPACE, DNS_SELECTOR, dns_servers

    servers = dns_servers(m.cluster) or [
        Peer(
            "kube-system/kube-dns",
            DNS_NAMESPACE,
            "kube-dns",
            "Pod",
            dict(DNS_SELECTOR),
            (ContainerPort(53, "UDP", "dns"), ContainerPort(53, "TCP", "dns-tcp")),
        )
    ]
    return any(m.evaluator.side(EGRESS, peer, s, s).ports.contains("UDP", 53) for s in servers)


def _note(policy: Policy, note: str) -> Iterator[Finding]:
    kind, _, rest = note.partition(":")
    target = f"NetworkPolicy {policy.id}"
    if kind == "ignored-rules":
        yield _f(
            "STK-NET-0008",
            target,
            policy.location,
            f"{policy.id} has {rest.lower()} rules but policyTypes is {sorted(policy.policy_types)}: "
            "the cluster ignores them",
            policy=policy.id,
            direction=rest.lower(),
        )
    elif kind == "host-bits":
        given, _, masked = rest.rpartition(":")
        yield _f(
            "STK-NET-0009", target, policy.location, f"cidr {given} is read as {masked}", policy=policy.id
        )


def _policy_findings(cluster: Cluster, m: Matrix, policy: Policy) -> Iterator[Finding]:
    ev = m.evaluator
    target = f"NetworkPolicy {policy.id}"
    selected = [
        p
        for p in m.reps
        if p.namespace == policy.namespace and not p.host_network and policy.pod_selector.matches(p.labels)
    ]
    if not selected:
        yield _f(
            "STK-NET-0006",
            target,
            policy.location,
            f"podSelector {policy.pod_selector.text()} matches no pod of namespace {policy.namespace} in the "
            f"manifests",
            policy=policy.id,
        )
    for direction in (INGRESS, EGRESS):
        for rule in policy.rules(direction):
            loc = _rule_loc(policy, rule)
            word = "from" if direction == INGRESS else "to"
            if rule.peers is None:
                cid = "STK-NET-0003" if direction == INGRESS else "STK-NET-0004"
                yield _f(
                    cid,
                    target,
                    loc,
                    f"{direction.lower()} rule {rule.index} has no '{word}': {rule.text(policy.namespace)}",
                    policy=policy.id,
                    rule=rule.index,
                )
            else:
                for pp in rule.peers:
                    if pp.ip_block is not None and _world(pp.ip_block):
                        cid = "STK-NET-0013" if direction == INGRESS else "STK-NET-0005"
                        yield _f(
                            cid,
                            target,
                            loc,
                            f"{direction.lower()} rule {rule.index}: ipBlock {pp.ip_block.text()}",
                            policy=policy.id,
                            rule=rule.index,
                        )
                    elif (
                        direction == INGRESS
                        and pp.ip_block is None
                        and pp.namespace_selector is not None
                        and pp.namespace_selector.is_empty
                        and (pp.pod_selector is None or pp.pod_selector.is_empty)
                    ):
                        yield _f(
                            "STK-NET-0003",
                            target,
                            loc,
                            f"ingress rule {rule.index}: every pod of every namespace",
                            policy=policy.id,
                            rule=rule.index,
                        )
                    elif pp.ip_block is None and not any(
                        ev.peer_matches(pp, policy.namespace, r) for r in m.reps
                    ):
                        yield _f(
                            "STK-NET-0012",
                            target,
                            loc,
                            f"{direction.lower()} rule {rule.index}: "
                            f"{pp.text(policy.namespace)} matches no pod of the manifests",
                            policy=policy.id,
                            rule=rule.index,
                        )
            for port in rule.ports or ():
                if not isinstance(port.port, str):
                    continue
                dsts = (
                    selected
                    if direction == INGRESS
                    else [r for r in m.reps if ev.rule_peer_matches(rule, policy.namespace, r)]
                )
                if dsts and all(d.named_port(port.port, port.protocol) is None for d in dsts):
                    yield _f(
                        "STK-NET-0010",
                        target,
                        loc,
                        f"{direction.lower()} rule {rule.index}: no "
                        f"{'selected' if direction == INGRESS else 'destination'} pod has a {port.protocol} "
                        f"port named {port.port!r}",
                        policy=policy.id,
                        rule=rule.index,
                    )
            if selected and _redundant(m, policy, rule, selected):
                yield _f(
                    "STK-NET-0007",
                    target,
                    loc,
                    f"{direction.lower()} rule {rule.index} "
                    f"({rule.text(policy.namespace)}) allows nothing other rules do not already allow "
                    "for the pods it applies to",
                    policy=policy.id,
                    rule=rule.index,
                )


def _covers(a: IPBlock, b: IPBlock) -> bool:
    """Every address ``b`` matches, ``a`` matches too.  CIDRs are nested or disjoint, so an except of
    ``a`` that overlaps ``b.cidr`` either lies inside it (then ``b`` must except it as well) or contains it
    (then ``a`` matches none of ``b``)."""
    if a.cidr.version != b.cidr.version or not b.cidr.subnet_of(a.cidr):  # type: ignore[arg-type]
        return False
    for e in a.excepts:
        if not e.overlaps(b.cidr):
            continue
        if b.cidr.subnet_of(e):  # type: ignore[arg-type]
            return False
        if not any(e.subnet_of(x) for x in b.excepts):  # type: ignore[arg-type]
            return False
    return True


def _redundant(m: Matrix, policy: Policy, rule: Rule, selected: list[Peer]) -> bool:
    """True when, for every pod the policy selects, the other rules isolating that pod in this direction
    allow at least what ``rule`` allows, towards every pod of the model and every address."""
    ev = m.evaluator
    direction = rule.direction
    for subject in selected:
        others = [
            (p, r) for p in ev.selecting(subject, direction) for r in p.rules(direction) if r is not rule
        ]
        if not others:
            return False
        # addresses outside the model
        blocks: list[IPBlock | None] = (
            [None] if rule.peers is None else [pp.ip_block for pp in rule.peers if pp.ip_block is not None]
        )
        for block in blocks:
            ok = False
            for _p, r in others:
                covered = r.peers is None or (
                    block is not None
                    and any(q.ip_block is not None and _covers(q.ip_block, block) for q in r.peers)
                )
                if covered and (r.ports is None or (rule.ports is not None and _ports_cover(r, rule))):
                    ok = True
                    break
            if not ok:
                return False
        for other in m.reps:
            if not ev.rule_peer_matches(rule, policy.namespace, other):
                continue
            dst = other if direction == EGRESS else subject
            mine = ev.rule_ports(rule, dst)
            if not mine:
                continue
            theirs: PortSet = NONE
            for p, r in others:
                if ev.rule_peer_matches(r, p.namespace, other):
                    theirs = theirs.union(ev.rule_ports(r, dst))
            if not mine.subset_of(theirs):
                return False
    return True


def _ports_cover(r: Rule, rule: Rule) -> bool:
    """Numeric ports of ``rule`` all inside ``r``'s (named ports: only the same name counts)."""
    for p in rule.ports or ():
        if isinstance(p.port, str):
            if not any(q.port == p.port and q.protocol == p.protocol for q in r.ports or ()):
                return False
            continue
        lo = 1 if p.port is None else p.port
        hi = 65535 if p.port is None else (p.end_port or p.port)
        if not any(
            q.protocol == p.protocol
            and not isinstance(q.port, str)
            and (1 if q.port is None else q.port) <= lo
            and hi <= (65535 if q.port is None else (q.end_port or q.port))
            for q in r.ports or ()
        ):
            return False
    return True
