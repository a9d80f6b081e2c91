"""Names and addresses → peers of the model: ``ns/name``, ``ns/kind/name``, a replica's pod name
(``web-7d9f8b6c4-x2x9k`` of Deployment ``web``, ``db-0`` of StatefulSet ``db``), a pod IP, or a Service
(by ``ns/name`` or cluster IP; NetworkPolicy applies after the Service's address translation, so traffic
to a Service is traffic to its backend pods on the ``targetPort``)."""

from __future__ import annotations

import ipaddress
import re

from stockade.netpol.model import Cluster, IPAddress, Peer, Service, ServicePort

#: the suffix a controller appends to its pods' names
_REPLICA_SUFFIX = {
    "Deployment": re.compile(r"^-[a-z0-9]{6,10}-[a-z0-9]{5}$"),
    "ReplicaSet": re.compile(r"^-[a-z0-9]{5}$"),
    "StatefulSet": re.compile(r"^-\d+$"),
    "DaemonSet": re.compile(r"^-[a-z0-9]{5}$"),
    "Job": re.compile(r"^-[a-z0-9]{5}$"),
    "ReplicationController": re.compile(r"^-[a-z0-9]{5}$"),
    "CronJob": re.compile(r"^-\d+-[a-z0-9]{5}$"),
}


class Resolver:
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.by_id = {p.id: p for p in cluster.peers}
        self.by_ns_name: dict[tuple[str, str], list[Peer]] = {}
        self.by_ip: dict[IPAddress, Peer] = {}
        for p in cluster.peers:
            self.by_ns_name.setdefault((p.namespace, p.name), []).append(p)
            for ip in p.ips:
                self.by_ip.setdefault(ip, p)
        self.services = {(s.namespace, s.name): s for s in cluster.services}
        self.service_ips = {ip: s for s in cluster.services for ip in s.cluster_ips}

    def peer(self, ref: str) -> Peer | None:
        """A peer by id, ``ns/name``, ``ns/kind/name``, ``name`` (unique), or a replica's pod name."""
        if ref in self.by_id:
            return self.by_id[ref]
        parts = ref.split("/")
        if len(parts) == 3:
            for p in self.by_ns_name.get((parts[0], parts[2]), []):
                if p.kind.lower() == parts[1].lower():
                    return p
            return None
        if len(parts) == 1:
            hits = [p for p in self.cluster.peers if p.name == ref]
            return hits[0] if len(hits) == 1 else None
        if len(parts) != 2:
            return None
        ns, name = parts
        found = self.by_ns_name.get((ns, name))
        if found:
            return found[0]
        best: Peer | None = None
        for p in self.cluster.peers:
            if p.namespace != ns or not name.startswith(p.name + "-"):
                continue
            pattern = _REPLICA_SUFFIX.get(p.kind)
            if (
                pattern is not None
                and pattern.match(name[len(p.name) :])
                and (best is None or len(p.name) > len(best.name))
            ):
                best = p
        return best

    def ip(self, ip: IPAddress) -> Peer | None:
        return self.by_ip.get(ip)

    def service(self, ref: str | IPAddress) -> Service | None:
        if isinstance(ref, str):
            parts = ref.split("/")
            return self.services.get((parts[0], parts[1])) if len(parts) == 2 else None
        return self.service_ips.get(ref)

    def backends(self, svc: Service, port: int, protocol: str) -> list[tuple[Peer, int]]:
        """The pods behind ``svc`` and the target port each receives service port ``port`` on."""
        if not svc.selector:
            return []
        sp: ServicePort | None = next(
            (p for p in svc.ports if p.port == port and p.protocol == protocol), None
        )
        out: list[tuple[Peer, int]] = []
        for peer in self.cluster.peers:
            if peer.namespace != svc.namespace or peer.host_network:
                continue
            if not all(peer.labels.get(k) == v for k, v in svc.selector.items()):
                continue
            if sp is None:
                out.append((peer, port))
            elif isinstance(sp.target, int):
                out.append((peer, sp.target))
            else:
                number = peer.named_port(sp.target, protocol)
                if number is not None:
                    out.append((peer, number))
        return out


def parse_ip(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None
