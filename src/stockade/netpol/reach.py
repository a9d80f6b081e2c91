"""The connectivity matrix: every peer to every peer, exact, fast through equivalence classes.

Two peers behave identically under every policy when they agree on everything a policy can observe: the
namespace, the values of the label keys some pod selector mentions, the numbers behind the named ports
some rule mentions, which ipBlocks contain their addresses, and host networking.  Peers are grouped by
that signature; each rule's peers become a bit set over the classes; a class pair's allowed ports are the
union of the matching rules' ports, egress side intersected with ingress side
(:mod:`stockade.netpol.semantics.evaluate` states the rules; this module only computes them in bulk and
is checked against it pair by pair in the tests).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from stockade.netpol.model import EGRESS, INGRESS, Cluster, IPBlock, IPNetwork, Peer, Policy, Rule
from stockade.netpol.ports import ALL, NONE, PortSet
from stockade.netpol.selectors import Selector
from stockade.netpol.semantics.evaluate import Evaluator, block_matches_peer


@dataclass(frozen=True, slots=True)
class Connection:
    src: Peer
    dst: Peer
    port: int | None  # None: the pair as a whole (``ports`` says what is allowed)
    protocol: str | None
    allowed: bool
    ports: PortSet
    policies: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "src": self.src.id,
            "dst": self.dst.id,
            "port": self.port,
            "protocol": self.protocol,
            "allowed": self.allowed,
            "policies": list(self.policies),
        }
        if self.port is None:
            out["allowed_ports"] = self.ports.text()
        return out


@dataclass(slots=True)
class Matrix:
    cluster: Cluster
    peers: list[Peer]
    class_of: list[int]  # peer index → class
    reps: list[Peer]  # class → representative peer
    pair_ports: list[list[PortSet]]  # [src class][dst class] → allowed ports
    evaluator: Evaluator
    probe_ports: tuple[tuple[int, str], ...] | None = None  # None: each destination's declared ports
    _policies: dict[tuple[int, int, int, str], tuple[str, ...]] = field(default_factory=dict)

    def ports_between(self, i: int, j: int) -> PortSet:
        return self.pair_ports[self.class_of[i]][self.class_of[j]]

    def allowed(self, i: int, j: int, port: int, protocol: str) -> bool:
        return self.ports_between(i, j).contains(protocol, port)

    def policies(self, i: int, j: int, port: int | None, protocol: str | None) -> tuple[str, ...]:
        """The policies (and rules) that allow peer i → peer j on the port, from its class pair."""
        a, b = self.class_of[i], self.class_of[j]
        key = (a, b, port or 0, protocol or "")
        got = self._policies.get(key)
        if got is None:
            v = self.evaluator.decide(self.reps[a], self.reps[b], port, protocol)
            got = tuple(v.allowing_policies()) if v.allowed else ()
            self._policies[key] = got
        return got

    def probes(self, j: int) -> tuple[tuple[int, str], ...]:
        if self.probe_ports is not None:
            return self.probe_ports
        return tuple((p.port, p.protocol) for p in self.peers[j].ports)

    def connections(self, *, with_policies: bool = True, include_self: bool = False) -> Iterator[Connection]:
        """Every (src, dst, port) probe; a destination without declared ports (and no ``--ports``) gives
        one entry for the pair with ``port`` None and the allowed port set."""
        n = len(self.peers)
        for i in range(n):
            for j in range(n):
                if i == j and not include_self:
                    continue
                ports = self.ports_between(i, j)
                probes = self.probes(j)
                if not probes:
                    ok = bool(ports)
                    pol = self.policies(i, j, None, None) if with_policies and ok else ()
                    yield Connection(self.peers[i], self.peers[j], None, None, ok, ports, pol)
                    continue
                for port, proto in probes:
                    ok = ports.contains(proto, port)
                    pol = self.policies(i, j, port, proto) if with_policies and ok else ()
                    yield Connection(self.peers[i], self.peers[j], port, proto, ok, ports, pol)

    def groups(self) -> list[tuple[int, tuple[tuple[int, str], ...], list[int]]]:
        """Peers that share a class and the probed ports: ``(class, probes, peer indices)``."""
        by: dict[tuple[int, tuple[tuple[int, str], ...]], list[int]] = {}
        for i in range(len(self.peers)):
            by.setdefault((self.class_of[i], self.probes(i)), []).append(i)
        return [(c, probes, members) for (c, probes), members in by.items()]

    def counts(self) -> dict[str, int]:
        """Pairs and probes, allowed and in all, over every ordered pair of distinct peers — computed per
        group pair, exactly what visiting every pair would count.  A destination without probes counts
        as one probe (any port)."""
        pairs = allowed_pairs = probes = allowed_probes = 0
        groups = self.groups()
        for a, _pa, src in groups:
            for b, pb, dst in groups:
                n = len(src) * len(dst) - (len(src) if src is dst else 0)
                if not n:
                    continue
                ports = self.pair_ports[a][b]
                ok = sum(ports.contains(proto, port) for port, proto in pb) if pb else int(bool(ports))
                pairs += n
                probes += n * (len(pb) or 1)
                allowed_probes += n * ok
                allowed_pairs += n if ok else 0
        return {
            "pairs": pairs,
            "allowed_pairs": allowed_pairs,
            "probes": probes,
            "allowed_probes": allowed_probes,
        }

    @property
    def classes(self) -> int:
        return len(self.reps)


def _selectors(policies: Sequence[Policy]) -> Iterator[Selector]:
    for p in policies:
        yield p.pod_selector
        for rule in (*p.ingress, *p.egress):
            for pp in rule.peers or ():
                if pp.pod_selector is not None:
                    yield pp.pod_selector


def build_matrix(
    cluster: Cluster,
    *,
    peers: Sequence[Peer] | None = None,
    ports: Sequence[tuple[int, str]] | None = None,
    pod_cidrs: tuple[IPNetwork, ...] = (),
) -> Matrix:
    ev = Evaluator(cluster, pod_cidrs)
    peer_list = list(cluster.peers if peers is None else peers)
    policies = cluster.policies
    keys = sorted({k for sel in _selectors(policies) for k in sel.keys})
    named = sorted(
        {
            (pp.port, pp.protocol)
            for p in policies
            for r in (*p.ingress, *p.egress)
            for pp in r.ports or ()
            if isinstance(pp.port, str)
        },
        key=str,
    )
    blocks: list[IPBlock] = list(
        dict.fromkeys(
            pp.ip_block
            for p in policies
            for r in (*p.ingress, *p.egress)
            for pp in r.peers or ()
            if pp.ip_block
        )
    )
    sig_index: dict[tuple[Any, ...], int] = {}
    class_of: list[int] = []
    reps: list[Peer] = []
    for peer in peer_list:
        sig = (
            peer.namespace,
            peer.host_network,
            tuple(peer.labels.get(k) for k in keys),
            tuple(peer.named_port(str(name), proto) for name, proto in named),
            tuple(block_matches_peer(b, peer, pod_cidrs) for b in blocks),
        )
        c = sig_index.get(sig)
        if c is None:
            c = sig_index[sig] = len(reps)
            reps.append(peer)
        class_of.append(c)
    k = len(reps)
    full = (1 << k) - 1
    by_ns: dict[str, int] = {}
    for c, rep in enumerate(reps):
        if not rep.host_network:
            by_ns[rep.namespace] = by_ns.get(rep.namespace, 0) | (1 << c)
    sel_cache: dict[tuple[Selector, int], bool] = {}

    def pods_matching(sel: Selector | None, candidates: int) -> int:
        if sel is None or sel.is_empty:
            return candidates
        out = 0
        c = 0
        bits = candidates
        while bits:
            if bits & 1:
                hit = sel_cache.get((sel, c))
                if hit is None:
                    hit = sel_cache[(sel, c)] = sel.matches(reps[c].labels)
                if hit:
                    out |= 1 << c
            bits >>= 1
            c += 1
        return out

    ns_cache: dict[Selector, int] = {}
    rule_bits: dict[int, int] = {}
    for policy in policies:
        for rule in (*policy.ingress, *policy.egress):
            if rule.peers is None:
                rule_bits[id(rule)] = full
                continue
            bits = 0
            for pp in rule.peers:
                if pp.ip_block is not None:
                    for c, rep in enumerate(reps):
                        if ev.peer_matches(pp, policy.namespace, rep):
                            bits |= 1 << c
                    continue
                if pp.namespace_selector is None:
                    cand = by_ns.get(policy.namespace, 0)
                else:
                    cand = ns_cache.get(pp.namespace_selector, -1)
                    if cand < 0:
                        cand = 0
                        for name, nbits in by_ns.items():
                            if pp.namespace_selector.matches(cluster.namespace_labels(name)):
                                cand |= nbits
                        ns_cache[pp.namespace_selector] = cand
                bits |= pods_matching(pp.pod_selector, cand)
            rule_bits[id(rule)] = bits
    port_cache: dict[tuple[int, int], PortSet] = {}

    def rule_ports(rule: Rule, dst_class: int) -> PortSet:
        key = (id(rule), dst_class)
        got = port_cache.get(key)
        if got is None:
            got = port_cache[key] = ev.rule_ports(rule, reps[dst_class])
        return got

    def side_table(direction: str) -> list[list[PortSet]]:
        """[subject class][other class] → ports this direction allows (dst = other for egress)."""
        table: list[list[PortSet]] = []
        for a in range(k):
            rules = [r for p in ev.selecting(reps[a], direction) for r in p.rules(direction)]
            if not ev.selecting(reps[a], direction):
                table.append([ALL] * k)
                continue
            row: list[PortSet] = []
            memo: dict[tuple[int, ...], PortSet] = {}
            hits: list[list[int]] = [[] for _ in range(k)]
            for i, r in enumerate(rules):  # visit only the classes each rule matches
                bits = rule_bits[id(r)]
                while bits:
                    low = bits & -bits
                    hits[low.bit_length() - 1].append(i)
                    bits ^= low
            for b in range(k):
                hit = tuple(hits[b])
                dst = b if direction == EGRESS else a
                mkey = (*hit, -1 - dst) if named else hit
                got = memo.get(mkey)
                if got is None:
                    got = NONE
                    for i in hit:
                        got = got.union(rule_ports(rules[i], dst))
                    memo[mkey] = got
                row.append(got)
            table.append(row)
        return table

    egress = side_table(EGRESS)
    ingress = side_table(INGRESS)
    pair: list[list[PortSet]] = []
    meet: dict[tuple[PortSet, PortSet], PortSet] = {}
    for a in range(k):
        e_row = egress[a]
        row = []
        for b in range(k):
            e, i = e_row[b], ingress[b][a]
            if i is ALL or not e:
                row.append(e)
                continue
            got = meet.get((e, i))
            if got is None:
                got = meet[(e, i)] = e.intersect(i)
            row.append(got)
        pair.append(row)
    return Matrix(cluster, peer_list, class_of, reps, pair, ev, tuple(ports) if ports is not None else None)
