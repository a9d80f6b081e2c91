"""The network model: namespaces, peers (pods and workloads), services and compiled NetworkPolicies.

Pure data.  :mod:`stockade.netpol.load` builds it from manifests; :mod:`stockade.netpol.semantics.evaluate`
decides traffic on it.  A *peer* is a pod, or one workload (Deployment, StatefulSet, … with its pod
template's labels and ports; ``replicas`` noted), so a matrix over a Deployment of 30 replicas has one row.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from stockade.model.inventory import Location
from stockade.netpol.selectors import Selector

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
NS_NAME_LABEL = "kubernetes.io/metadata.name"
INGRESS, EGRESS = "Ingress", "Egress"


@dataclass(frozen=True, slots=True)
class Namespace:
    name: str
    labels: dict[str, str]  # includes the immutable kubernetes.io/metadata.name label
    location: Location | None = None  # None: implied by an object in it, not declared


@dataclass(frozen=True, slots=True)
class ContainerPort:
    port: int
    protocol: str = "TCP"
    name: str | None = None

    def text(self) -> str:
        return f"{self.port}/{self.protocol}" + (f" ({self.name})" if self.name else "")


@dataclass(frozen=True, slots=True)
class Peer:
    """A pod or a workload's pods.  ``id`` is ``namespace/name`` (``namespace/kind/name`` when a pod and a
    workload of one namespace share a name)."""

    id: str
    namespace: str
    name: str
    kind: str
    labels: dict[str, str]
    ports: tuple[ContainerPort, ...] = ()
    ips: tuple[IPAddress, ...] = ()
    replicas: int | None = None
    host_network: bool = False
    location: Location | None = None

    def named_port(self, name: str, protocol: str) -> int | None:
        """The number of the container port ``name`` with ``protocol`` (a named port in a policy matches
        the destination pod's container port of that name *and* protocol)."""
        for p in self.ports:
            if p.name == name and p.protocol == protocol:
                return p.port
        return None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "namespace": self.namespace,
            "name": self.name,
            "kind": self.kind,
            "labels": dict(sorted(self.labels.items())),
            "ports": [
                {"port": p.port, "protocol": p.protocol, **({"name": p.name} if p.name else {})}
                for p in self.ports
            ],
        }
        if self.ips:
            out["ips"] = [str(ip) for ip in self.ips]
        if self.replicas is not None:
            out["replicas"] = self.replicas
        if self.host_network:
            out["host_network"] = True
        if self.location:
            out["location"] = self.location.to_dict()
        return out


@dataclass(frozen=True, slots=True)
class ServicePort:
    port: int
    protocol: str
    target: int | str  # targetPort: a number, or a container port name resolved per backend pod
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Service:
    namespace: str
    name: str
    selector: dict[str, str] | None  # None: no selector (endpoints managed elsewhere)
    ports: tuple[ServicePort, ...]
    cluster_ips: tuple[IPAddress, ...] = ()
    type: str = "ClusterIP"
    location: Location | None = None


@dataclass(frozen=True, slots=True)
class IPBlock:
    cidr: IPNetwork
    excepts: tuple[IPNetwork, ...] = ()

    def contains(self, ip: IPAddress) -> bool:
        if ip.version != self.cidr.version or ip not in self.cidr:
            return False
        return not any(ip in e for e in self.excepts)

    def text(self) -> str:
        out = str(self.cidr)
        if self.excepts:
            out += " except " + ", ".join(str(e) for e in self.excepts)
        return out


@dataclass(frozen=True, slots=True)
class PolicyPeer:
    """One element of ``from``/``to``: exactly one of ipBlock, or pod and/or namespace selectors."""

    pod_selector: Selector | None = None
    namespace_selector: Selector | None = None
    ip_block: IPBlock | None = None

    def text(self, policy_ns: str) -> str:
        if self.ip_block is not None:
            return f"ipBlock {self.ip_block.text()}"
        if self.namespace_selector is None:
            assert self.pod_selector is not None
            return f"pods {self.pod_selector.text()} in namespace {policy_ns}"
        ns = (
            "all namespaces"
            if self.namespace_selector.is_empty
            else f"namespaces {self.namespace_selector.text()}"
        )
        if self.pod_selector is None or self.pod_selector.is_empty:
            return f"all pods in {ns}"
        return f"pods {self.pod_selector.text()} in {ns}"


@dataclass(frozen=True, slots=True)
class PolicyPort:
    protocol: str = "TCP"
    port: int | str | None = None  # None: every port of the protocol; str: a named port
    end_port: int | None = None

    def text(self) -> str:
        if self.port is None:
            return f"all/{self.protocol}"
        if self.end_port is not None:
            return f"{self.port}-{self.end_port}/{self.protocol}"
        return f"{self.port}/{self.protocol}"


@dataclass(frozen=True, slots=True)
class Rule:
    """One ingress or egress rule.  ``peers``/``ports`` None: the field is absent or empty, which matches
    everything (the API makes no difference between a missing and an empty list here)."""

    direction: str  # Ingress | Egress
    index: int
    peers: tuple[PolicyPeer, ...] | None
    ports: tuple[PolicyPort, ...] | None
    line: int

    def text(self, policy_ns: str) -> str:
        who = "everyone" if self.peers is None else "; ".join(p.text(policy_ns) for p in self.peers)
        ports = "all ports" if self.ports is None else ", ".join(p.text() for p in self.ports)
        word = "from" if self.direction == INGRESS else "to"
        return f"{word} {who} on {ports}"


@dataclass(frozen=True, slots=True)
class Policy:
    namespace: str
    name: str
    pod_selector: Selector
    policy_types: frozenset[str]
    ingress: tuple[Rule, ...] = ()
    egress: tuple[Rule, ...] = ()
    types_defaulted: bool = False  # policyTypes was absent and got the API server's default
    location: Location | None = None
    raw: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def id(self) -> str:
        return f"{self.namespace}/{self.name}"

    def rules(self, direction: str) -> tuple[Rule, ...]:
        return self.ingress if direction == INGRESS else self.egress

    def line_of(self, rule: Rule) -> int:
        return rule.line


@dataclass(slots=True)
class Cluster:
    """Everything read from the manifests, and what could not be read."""

    namespaces: dict[str, Namespace] = field(default_factory=dict)
    peers: list[Peer] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)
    policies: list[Policy] = field(default_factory=list)
    #: "file:line: message" of every object that could not be used (an invalid policy is left out)
    errors: list[str] = field(default_factory=list)
    #: kinds read, and kinds not used by network analysis (counted, not errors)
    kinds: dict[str, int] = field(default_factory=dict)
    ignored: dict[str, int] = field(default_factory=dict)
    files: int = 0

    def peer(self, peer_id: str) -> Peer | None:
        for p in self.peers:
            if p.id == peer_id:
                return p
        return None

    def namespace_labels(self, name: str) -> dict[str, str]:
        ns = self.namespaces.get(name)
        return ns.labels if ns is not None else {NS_NAME_LABEL: name}
