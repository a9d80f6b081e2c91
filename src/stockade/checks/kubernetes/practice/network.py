"""Exposure through Services and Ingresses (STK-K8S-0030 … 0032).

A LoadBalancer Service is reported unless its source is restricted (``spec.loadBalancerSourceRanges``
or the legacy ``service.beta.kubernetes.io/load-balancer-source-ranges`` annotation, neither of them
containing ``0.0.0.0/0`` or ``::/0``) or it asks its cloud for an internal load balancer (the
provider annotations below).  An Ingress is reported when it has no ``spec.tls``, and, when it has one,
for each rule host that no TLS entry covers (an entry without hosts covers all; ``*.example.com`` covers
one label, as in the Ingress specification).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from stockade.checks.interface import Path, Violation
from stockade.checks.kubernetes.objects import K8sObject
from stockade.checks.kubernetes.practice._common import K8S, PracticeCheck, items, nsa, sub
from stockade.model.severity import Severity

_SERVICE_DOC = f"{K8S}/concepts/services-networking/service/#publishing-services-service-types"
_FIREWALL_DOC = f"{K8S}/tasks/access-application-cluster/configure-cloud-provider-firewall/"
_NSA = nsa("Network separation and hardening: Network policies")

#: annotation → values that make a cloud load balancer internal (values compared case-insensitively)
INTERNAL_LB_ANNOTATIONS: dict[str, frozenset[str]] = {
    "service.beta.kubernetes.io/aws-load-balancer-internal": frozenset({"true", "0.0.0.0/0"}),
    "service.beta.kubernetes.io/aws-load-balancer-scheme": frozenset({"internal"}),
    "networking.gke.io/load-balancer-type": frozenset({"internal"}),
    "cloud.google.com/load-balancer-type": frozenset({"internal"}),
    "service.beta.kubernetes.io/azure-load-balancer-internal": frozenset({"true"}),
    "service.beta.kubernetes.io/oci-load-balancer-internal": frozenset({"true"}),
    "service.beta.kubernetes.io/openstack-internal-load-balancer": frozenset({"true"}),
    "service.kubernetes.io/ibm-load-balancer-cloud-provider-ip-type": frozenset({"private"}),
    "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type": frozenset({"intranet"}),
}
_SOURCE_RANGES_ANNOTATION = "service.beta.kubernetes.io/load-balancer-source-ranges"
_OPEN = frozenset({"0.0.0.0/0", "::/0"})


def _ranges(spec: dict[str, Any], annotations: dict[str, str]) -> list[tuple[Path, str]]:
    """The source ranges of a LoadBalancer Service, each with where it is set; empty when unrestricted."""
    field = items(spec, "loadBalancerSourceRanges")
    ranges: list[tuple[Path, str]] = [
        (("spec", "loadBalancerSourceRanges", i), r.strip())
        for i, r in enumerate(field)
        if isinstance(r, str) and r.strip()
    ]
    if ranges:
        return ranges
    where: Path = ("metadata", "annotations", _SOURCE_RANGES_ANNOTATION)
    text = annotations.get(_SOURCE_RANGES_ANNOTATION, "")
    return [(where, r.strip()) for r in text.split(",") if r.strip()]


class NodePortService(PracticeCheck):
    NAME = "kubernetes/practice/nodeport-service"
    ID = "STK-K8S-0030"
    SEVERITY = Severity.LOW
    TITLE = "Service of type NodePort"
    KINDS = frozenset({"Service"})
    RATIONALE = (
        "A NodePort Service opens its port on every node of the cluster, on all of the node's addresses; "
        "it bypasses the ingress layer (TLS, authentication, logging) and depends on node firewalls that "
        "are easy to get wrong."
    )
    REMEDIATION = (
        "Use a ClusterIP Service behind an Ingress or Gateway, or a LoadBalancer restricted with "
        "loadBalancerSourceRanges; if a NodePort is required, restrict it with node firewalls and record "
        "an exception."
    )
    REFERENCES = (_SERVICE_DOC, _NSA)

    def evaluate(self, obj: K8sObject) -> Iterator[Violation]:
        if sub(obj.data, "spec").get("type") == "NodePort":
            yield Violation(
                f"Service '{obj.name}' is of type NodePort: its ports are open on every node",
                path=("spec", "type"),
                evidence="type: NodePort",
            )


class PublicLoadBalancer(PracticeCheck):
    NAME = "kubernetes/practice/public-load-balancer"
    ID = "STK-K8S-0031"
    SEVERITY = Severity.MEDIUM
    TITLE = "Service of type LoadBalancer open to any source"
    KINDS = frozenset({"Service"})
    RATIONALE = (
        "A LoadBalancer Service asks the cloud for an external address; without source ranges or an "
        "internal load balancer it is reachable from the whole internet, and it also opens a NodePort on "
        "every node."
    )
    REMEDIATION = (
        "Set spec.loadBalancerSourceRanges to the networks that need access, or request an internal load "
        "balancer with the provider's annotation; expose HTTP through an Ingress with TLS instead."
    )
    REFERENCES = (_SERVICE_DOC, _FIREWALL_DOC, _NSA)

    def evaluate(self, obj: K8sObject) -> Iterator[Violation]:
        spec = sub(obj.data, "spec")
        if spec.get("type") != "LoadBalancer":
            return
        annotations = obj.annotations
        for key, values in INTERNAL_LB_ANNOTATIONS.items():
            value = annotations.get(key)
            if value is not None and value.strip().lower() in values:
                return
        ranges = _ranges(spec, annotations)
        if not ranges:
            yield Violation(
                f"Service '{obj.name}' is a LoadBalancer open to any source (no source ranges)",
                path=("spec", "type"),
                evidence="type: LoadBalancer",
            )
            return
        for where, source in ranges:
            if source in _OPEN:
                yield Violation(
                    f"Service '{obj.name}' is a LoadBalancer open to any source (source range {source})",
                    path=where,
                    evidence=f"loadBalancerSourceRanges: {source}",
                )
                return


def _covers(pattern: str, host: str) -> bool:
    if pattern == host:
        return True
    if pattern.startswith("*."):
        head, dot, rest = host.partition(".")
        return bool(head) and dot == "." and rest == pattern[2:]
    return False


class IngressWithoutTLS(PracticeCheck):
    NAME = "kubernetes/practice/ingress-without-tls"
    ID = "STK-K8S-0032"
    SEVERITY = Severity.MEDIUM
    TITLE = "Ingress serves traffic without TLS"
    KINDS = frozenset({"Ingress"})
    RATIONALE = (
        "Without TLS, requests and responses — session cookies, credentials, personal data — cross the "
        "network in clear text and can be read or altered in transit."
    )
    REMEDIATION = (
        "Add spec.tls with a certificate Secret covering every host of the rules (cert-manager can issue "
        "them), and redirect HTTP to HTTPS in the ingress controller."
    )
    REFERENCES = (
        f"{K8S}/concepts/services-networking/ingress/#tls",
        nsa("Network separation and hardening: Encryption"),
    )

    def evaluate(self, obj: K8sObject) -> Iterator[Violation]:
        spec = sub(obj.data, "spec")
        tls = [entry for entry in items(spec, "tls") if isinstance(entry, dict)]
        hosts = [
            (i, rule["host"])
            for i, rule in enumerate(items(spec, "rules"))
            if isinstance(rule, dict) and isinstance(rule.get("host"), str) and rule["host"]
        ]
        if not tls:
            served = ", ".join(h for _, h in hosts) if hosts else "every host"
            yield Violation(
                f"Ingress '{obj.name}' serves {served} over plain HTTP: it has no spec.tls",
                path=("spec", "tls"),
                evidence="spec.tls not set",
            )
            return
        patterns: list[str] = []
        for entry in tls:
            entry_hosts = [h for h in items(entry, "hosts") if isinstance(h, str)]
            if not entry_hosts:
                return  # an entry without hosts covers every host
            patterns.extend(entry_hosts)
        for i, host in hosts:
            if not any(_covers(p, host) for p in patterns):
                yield Violation(
                    f"Ingress '{obj.name}' serves host {host} over plain HTTP: no spec.tls entry covers it",
                    path=("spec", "rules", i, "host"),
                    evidence=f"host: {host}",
                )


CHECKS = (NodePortService, PublicLoadBalancer, IngressWithoutTLS)
