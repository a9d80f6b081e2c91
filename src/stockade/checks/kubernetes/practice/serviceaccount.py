"""Service account token automounting (STK-K8S-0023, 0024).

A pod gets its service account's token mounted unless ``automountServiceAccountToken: false`` is set on
the pod spec or on the ServiceAccount; the pod's setting wins (Kubernetes docs, "Configure Service
Accounts for Pods").  Each object is checked on its own: a pod is reported unless its spec opts out, a
ServiceAccount unless it opts out for the pods that use it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from stockade.checks.interface import Path, Violation
from stockade.checks.kubernetes.objects import K8sObject
from stockade.checks.kubernetes.practice._common import (
    K8S,
    PodSpecCheck,
    PracticeCheck,
    cis,
    container_names,
    nsa,
    quote_names,
)
from stockade.model.severity import Severity

_DOC = (
    f"{K8S}/tasks/configure-pod-container/configure-service-account/#opt-out-of-api-credential-automounting"
)
_CIS_MOUNT = cis("5.1.6", "Ensure that Service Account Tokens are only mounted where necessary")
_NSA = nsa("Kubernetes Pod security: Protecting Pod service account tokens")


class PodAutomountsToken(PodSpecCheck):
    NAME = "kubernetes/practice/pod-automount-token"
    ID = "STK-K8S-0023"
    SEVERITY = Severity.LOW
    TITLE = "Pod mounts a service account token"
    RATIONALE = (
        "Most workloads never call the Kubernetes API, yet every container gets a token for it by default. "
        "An attacker in the container uses it to query the API server and, with any RBAC granted to the "
        "account, to move through the cluster."
    )
    REMEDIATION = (
        "Set spec.automountServiceAccountToken: false in the pod template; for workloads that need the API, "
        "use a dedicated ServiceAccount with minimal RBAC and record an exception."
    )
    REFERENCES = (_DOC, _CIS_MOUNT, _NSA)

    def check_pod(self, obj: K8sObject, spec_path: Path, spec: dict[str, Any]) -> Iterator[Violation]:
        value = spec.get("automountServiceAccountToken")
        if value is False:
            return
        account = spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
        names = container_names(spec)
        who = f"containers {quote_names(names)}" if names else "the pod's containers"
        how = "is set to true" if value is True else "is not set to false"
        yield Violation(
            f"automountServiceAccountToken {how}: {who} get a token of service account '{account}'",
            path=(*spec_path, "automountServiceAccountToken"),
            evidence="automountServiceAccountToken: true"
            if value is True
            else "automountServiceAccountToken not set",
        )


class ServiceAccountAutomountsToken(PracticeCheck):
    NAME = "kubernetes/practice/serviceaccount-automount-token"
    ID = "STK-K8S-0024"
    SEVERITY = Severity.LOW
    TITLE = "ServiceAccount lets pods mount its token automatically"
    KINDS = frozenset({"ServiceAccount"})
    RATIONALE = (
        "Every pod running as this service account gets its API token mounted unless the pod opts out; "
        "opting out on the ServiceAccount protects all of them, including pods written later."
    )
    REMEDIATION = (
        "Set automountServiceAccountToken: false on the ServiceAccount, and true only on the pods that "
        "call the API."
    )
    REFERENCES = (
        _DOC,
        cis("5.1.5", "Ensure that default service accounts are not actively used"),
        _CIS_MOUNT,
        _NSA,
    )

    def evaluate(self, obj: K8sObject) -> Iterator[Violation]:
        value = obj.data.get("automountServiceAccountToken")
        if value is False:
            return
        yield Violation(
            f"ServiceAccount '{obj.name}' does not set automountServiceAccountToken: false",
            path=("automountServiceAccountToken",),
            evidence="automountServiceAccountToken: true"
            if value is True
            else "automountServiceAccountToken not set",
        )


CHECKS = (PodAutomountsToken, ServiceAccountAutomountsToken)
