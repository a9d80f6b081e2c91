"""Workloads in the ``default`` namespace (STK-K8S-0028, 0029).

An explicit ``metadata.namespace: default`` is a finding; a workload without a namespace is reported at
info level only, because it lands in whatever namespace it is applied to (``kubectl -n``, Helm
``--namespace``, kustomize) — often, but not necessarily, ``default``.
"""

from __future__ import annotations

from collections.abc import Iterator

from stockade.checks.interface import Violation
from stockade.checks.kubernetes.objects import K8sObject
from stockade.checks.kubernetes.practice._common import K8S, PracticeCheck, cis, nsa
from stockade.model.severity import Severity

_DOC = f"{K8S}/concepts/overview/working-with-objects/namespaces/"
_REFERENCES = (
    _DOC,
    cis("5.7.1", "Create administrative boundaries between resources using namespaces"),
    cis("5.7.4", "The default namespace should not be used"),
    nsa("Network separation and hardening: Namespaces"),
)


class DefaultNamespace(PracticeCheck):
    NAME = "kubernetes/practice/default-namespace"
    ID = "STK-K8S-0028"
    SEVERITY = Severity.LOW
    TITLE = "Workload runs in the default namespace"
    RATIONALE = (
        "The default namespace is where everything lands that nobody placed: RBAC grants, quotas, "
        "NetworkPolicies and Pod Security admission levels set for it apply to unrelated workloads, and "
        "a workload there shares its boundary with all of them."
    )
    REMEDIATION = "Create a namespace per application or team and set metadata.namespace to it."
    REFERENCES = _REFERENCES

    def evaluate(self, obj: K8sObject) -> Iterator[Violation]:
        if obj.namespace == "default":
            yield Violation(
                f"{obj.kind} '{obj.name}' is placed in the default namespace",
                path=("metadata", "namespace"),
                evidence="metadata.namespace: default",
            )


class NoNamespace(PracticeCheck):
    NAME = "kubernetes/practice/no-namespace"
    ID = "STK-K8S-0029"
    SEVERITY = Severity.INFO
    TITLE = "Workload does not name its namespace"
    RATIONALE = (
        "Without metadata.namespace the workload goes wherever it is applied; applied without -n or a "
        "context namespace, that is the default namespace."
    )
    REMEDIATION = (
        "Set metadata.namespace, or make sure the deployment tool always applies the manifest to a "
        "dedicated namespace (Helm --namespace, kustomize namespace:)."
    )
    REFERENCES = _REFERENCES

    def evaluate(self, obj: K8sObject) -> Iterator[Violation]:
        if obj.namespace is None:
            yield Violation(
                f"{obj.kind} '{obj.name}' does not set metadata.namespace",
                path=("metadata", "namespace"),
                evidence="metadata.namespace not set",
            )


CHECKS = (DefaultNamespace, NoNamespace)
