"""Manifests → :class:`~stockade.netpol.model.Cluster`.

Files, directories and standard input as ``stockade k8s`` reads them (multi-document YAML, JSON, ``List``
kinds).  What is used: Namespaces (labels, plus the immutable ``kubernetes.io/metadata.name`` label the API
server sets on every namespace, v1.21+), Pods and workload pod templates (labels, container ports, host
network, replicas, ``status.podIP(s)``), Services, and ``networking.k8s.io/v1`` NetworkPolicies.  Objects
without a namespace are in ``--namespace`` (default ``default``).  Pods and ReplicaSets owned by a
workload that is itself in the input are folded into it (their IPs kept), so ``kubectl get all -o yaml``
does not list a Deployment three times.  Other kinds, and NetworkPolicy kinds of other API groups
(Calico ``projectcalico.org``, Cilium), are counted, not errors.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from stockade.checks.kubernetes.objects import POD_SPEC_PATHS, K8sObject, get, objects_of
from stockade.model.inventory import Location
from stockade.netpol.model import (
    NS_NAME_LABEL,
    Cluster,
    ContainerPort,
    IPAddress,
    Namespace,
    Peer,
    Service,
    ServicePort,
)
from stockade.netpol.parse_policy import POLICY_API_VERSIONS, PolicyError, parse_policy
from stockade.netpol.ports import PROTOCOLS
from stockade.target.manifests import LoadResult, load_bytes, load_file

#: replicas when ``spec.replicas`` is absent (API defaults); DaemonSets and Jobs have no fixed count
DEFAULT_REPLICAS = {"Deployment": 1, "StatefulSet": 1, "ReplicaSet": 1, "ReplicationController": 1}


@dataclass(slots=True)
class LoadNotes:
    """Per-policy notes the findings turn into STK-NET findings (host bits in a CIDR, ignored rules)."""

    by_policy: dict[str, list[str]] = field(default_factory=dict)


def load_cluster(
    paths: Sequence[str],
    *,
    namespace: str = "default",
    stdin: Callable[[], bytes] | None = None,
    notes: LoadNotes | None = None,
) -> Cluster:
    """Read every manifest under ``paths`` ("-" is standard input).  Raises TargetNotFoundError for a
    missing path; every other problem is an entry of ``cluster.errors`` ("file:line: what")."""
    from stockade.scan.config import collect

    inputs, statuses = collect(paths, "kubernetes")
    cluster = Cluster()
    for st in statuses:
        cluster.errors.append(f"{st.path}: {st.reason}")
    objects: list[K8sObject] = []
    for path, _kind in inputs:
        if path == "-":
            import sys

            loaded = load_bytes(stdin() if stdin else sys.stdin.buffer.read(), "<stdin>")
        else:
            loaded = load_file(path)
        cluster.files += 1
        _collect(loaded, objects, cluster)
    build(objects, cluster, namespace=namespace, notes=notes)
    return cluster


def load_text(text: str, name: str = "<text>", *, namespace: str = "default") -> Cluster:
    """A cluster from one YAML/JSON stream (tests, the conformance runner)."""
    cluster = Cluster()
    objects: list[K8sObject] = []
    _collect(load_bytes(text.encode(), name), objects, cluster)
    cluster.files = 1
    build(objects, cluster, namespace=namespace)
    return cluster


def _collect(loaded: LoadResult, objects: list[K8sObject], cluster: Cluster) -> None:
    for err in loaded.errors:
        where = err.path + (f":{err.line}" if err.line else "") + (f":{err.column}" if err.column else "")
        cluster.errors.append(f"{where}: invalid YAML: {err.reason}")
    for document in loaded.documents:
        objects.extend(objects_of(document))


def build(
    objects: list[K8sObject], cluster: Cluster, *, namespace: str = "default", notes: LoadNotes | None = None
) -> None:
    kinds: Counter[str] = Counter()
    ignored: Counter[str] = Counter()
    owned: list[K8sObject] = []
    workloads: dict[tuple[str, str, str], int] = {}  # (ns, kind, name) → index in cluster.peers
    aliases: dict[tuple[str, str, str], tuple[str, str, str]] = {}

    def ns_of(o: K8sObject) -> str:
        return o.namespace or namespace

    for obj in objects:
        kinds[obj.kind] += 1
        if obj.kind == "Namespace":
            labels = dict(obj.labels)
            labels[NS_NAME_LABEL] = obj.name  # set by the API server, cannot be changed (v1.21+)
            cluster.namespaces[obj.name] = Namespace(obj.name, labels, Location(obj.path, obj.line))
        elif obj.kind in POD_SPEC_PATHS:
            owner = _controller(obj)
            if owner is not None and (obj.kind == "Pod" or obj.kind == "ReplicaSet" or obj.kind == "Job"):
                owned.append(obj)
                continue
            _add_peer(obj, ns_of(obj), cluster, workloads)
        elif obj.kind == "Service":
            svc = _service(obj, ns_of(obj))
            if svc is not None:
                cluster.services.append(svc)
        elif obj.kind == "NetworkPolicy" and obj.api_version in POLICY_API_VERSIONS:
            try:
                policy, policy_notes = parse_policy(obj, ns_of(obj))
            except PolicyError as exc:
                cluster.errors.append(
                    f"{obj.path}:{obj.line_of(exc.path)}: NetworkPolicy {ns_of(obj)}/{obj.name}: {exc}"
                )
                continue
            cluster.policies.append(policy)
            if notes is not None and policy_notes:
                notes.by_policy[policy.id] = policy_notes
        else:
            ignored[obj.kind if obj.kind != "NetworkPolicy" else f"NetworkPolicy ({obj.api_version})"] += 1
    # owned objects: fold into a workload of the input when the chain of owners reaches one
    pending = owned
    for _ in range(3):  # Pod → ReplicaSet → Deployment; Pod → Job → CronJob
        rest: list[K8sObject] = []
        for obj in pending:
            owner = _controller(obj)
            assert owner is not None
            key = (ns_of(obj), owner[0], owner[1])
            target = aliases.get(key, key)
            if target in workloads:
                aliases[(ns_of(obj), obj.kind, obj.name)] = target
                if obj.kind == "Pod":
                    _fold_pod(obj, cluster, workloads[target])
            else:
                rest.append(obj)
        if len(rest) == len(pending):
            break
        pending = rest
    for obj in pending:  # owners not in the input: the object stands for itself
        _add_peer(obj, ns_of(obj), cluster, workloads)
    for ns in sorted({p.namespace for p in cluster.peers} | {p.namespace for p in cluster.policies}):
        if ns not in cluster.namespaces:
            cluster.namespaces[ns] = Namespace(ns, {NS_NAME_LABEL: ns}, None)
    _disambiguate(cluster)
    cluster.kinds = dict(sorted(kinds.items()))
    cluster.ignored = dict(sorted(ignored.items()))


def _controller(obj: K8sObject) -> tuple[str, str] | None:
    refs = get(obj.data, ("metadata", "ownerReferences"))
    if not isinstance(refs, list):
        return None
    for ref in refs:
        if isinstance(ref, dict) and ref.get("controller") and ref.get("kind") and ref.get("name"):
            return str(ref["kind"]), str(ref["name"])
    return None


def _ips(obj: K8sObject) -> tuple[IPAddress, ...]:
    status = obj.data.get("status")
    if not isinstance(status, dict):
        return ()
    found: list[str] = []
    if isinstance(status.get("podIPs"), list):
        found.extend(str(i.get("ip")) for i in status["podIPs"] if isinstance(i, dict) and i.get("ip"))
    if not found and status.get("podIP"):
        found.append(str(status["podIP"]))
    out: list[IPAddress] = []
    for text in found:
        try:
            out.append(ipaddress.ip_address(text))
        except ValueError:
            continue
    return tuple(out)


def _ports(obj: K8sObject) -> tuple[ContainerPort, ...]:
    out: list[ContainerPort] = []
    for _path, container in obj.containers():
        for p in container.get("ports") or []:
            if not isinstance(p, dict):
                continue
            number = p.get("containerPort")
            if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= 65535:
                continue
            proto = p.get("protocol") or "TCP"
            if proto not in PROTOCOLS:
                continue
            name = p.get("name")
            port = ContainerPort(number, str(proto), str(name) if name else None)
            if port not in out:
                out.append(port)
    return tuple(out)


def _add_peer(obj: K8sObject, ns: str, cluster: Cluster, workloads: dict[tuple[str, str, str], int]) -> None:
    meta = obj.pod_metadata() if obj.kind != "Pod" else obj.data.get("metadata") or {}
    labels = meta.get("labels") if isinstance(meta, dict) else None
    spec = obj.pod_spec() or {}
    replicas: int | None = None
    if obj.kind in DEFAULT_REPLICAS:
        raw = get(obj.data, ("spec", "replicas"))
        replicas = raw if isinstance(raw, int) and not isinstance(raw, bool) else DEFAULT_REPLICAS[obj.kind]
    peer = Peer(
        id=f"{ns}/{obj.name}",
        namespace=ns,
        name=obj.name,
        kind=obj.kind,
        labels={str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {},
        ports=_ports(obj),
        ips=_ips(obj) if obj.kind == "Pod" else (),
        replicas=replicas,
        host_network=spec.get("hostNetwork") is True,
        location=Location(obj.path, obj.line),
    )
    workloads[(ns, obj.kind, obj.name)] = len(cluster.peers)
    cluster.peers.append(peer)


def _fold_pod(obj: K8sObject, cluster: Cluster, index: int) -> None:
    ips = _ips(obj)
    if not ips:
        return
    peer = cluster.peers[index]
    merged = tuple(dict.fromkeys((*peer.ips, *ips)))
    cluster.peers[index] = Peer(
        peer.id,
        peer.namespace,
        peer.name,
        peer.kind,
        peer.labels,
        peer.ports,
        merged,
        peer.replicas,
        peer.host_network,
        peer.location,
    )


def _disambiguate(cluster: Cluster) -> None:
    seen = Counter(p.id for p in cluster.peers)
    for i, p in enumerate(cluster.peers):
        if seen[p.id] > 1:
            cluster.peers[i] = Peer(
                f"{p.namespace}/{p.kind.lower()}/{p.name}",
                p.namespace,
                p.name,
                p.kind,
                p.labels,
                p.ports,
                p.ips,
                p.replicas,
                p.host_network,
                p.location,
            )
    cluster.peers.sort(key=lambda p: p.id)


def _service(obj: K8sObject, ns: str) -> Service | None:
    spec = obj.data.get("spec")
    if not isinstance(spec, dict):
        return None
    selector = spec.get("selector")
    ports: list[ServicePort] = []
    for p in spec.get("ports") or []:
        if not isinstance(p, dict) or not isinstance(p.get("port"), int):
            continue
        target: Any = p.get("targetPort", p["port"])
        if not isinstance(target, (int, str)) or isinstance(target, bool):
            target = p["port"]
        if isinstance(target, str) and target.isdigit():
            target = int(target)
        ports.append(ServicePort(p["port"], str(p.get("protocol") or "TCP"), target, p.get("name")))
    ips: list[IPAddress] = []
    for text in [spec.get("clusterIP"), *(spec.get("clusterIPs") or [])]:
        try:
            ip = ipaddress.ip_address(str(text))
        except ValueError:
            continue
        if ip not in ips:
            ips.append(ip)
    return Service(
        namespace=ns,
        name=obj.name,
        selector={str(k): str(v) for k, v in selector.items()} if isinstance(selector, dict) else None,
        ports=tuple(ports),
        cluster_ips=tuple(ips),
        type=str(spec.get("type") or "ClusterIP"),
        location=Location(obj.path, obj.line),
    )
