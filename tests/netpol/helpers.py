"""Small manifests for table-driven tests: namespaces, pods, policies as YAML text."""

from __future__ import annotations

from typing import Any

import yaml

from stockade.netpol.load import load_text
from stockade.netpol.model import Cluster


def ns(name: str, **labels: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def pod(
    ref: str,
    labels: dict[str, str],
    ports: list[tuple[str | None, int, str]] | None = None,
    ip: str | None = None,
    host_network: bool = False,
) -> dict[str, Any]:
    namespace, name = ref.split("/")
    container: dict[str, Any] = {"name": "c", "image": "busybox:1.36"}
    if ports:
        container["ports"] = [
            {**({"name": n} if n else {}), "containerPort": p, "protocol": proto} for n, p, proto in ports
        ]
    out: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {"containers": [container], **({"hostNetwork": True} if host_network else {})},
    }
    if ip:
        out["status"] = {"podIP": ip}
    return out


def policy(ref: str, spec: dict[str, Any]) -> dict[str, Any]:
    namespace, name = ref.split("/")
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


def cluster(*docs: dict[str, Any]) -> Cluster:
    return load_text(yaml.safe_dump_all(list(docs), sort_keys=False), "test.yaml")
