"""Resource requests and limits (STK-K8S-0001 … 0004).

Defaulting as the API server does it (Kubernetes docs, "Resource Management for Pods and Containers"):
a container that sets a limit but no request gets the limit as its request, so a missing request is only
reported when the limit is missing too.  Pod-level ``spec.resources`` (the PodLevelResources feature)
bounds every container, so a value set there satisfies the check for all containers.  Ephemeral containers
may not set resources and are not checked; init containers are (their requests count towards the pod's).
LimitRange defaults live in the cluster, not in the manifest, and are not seen here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from stockade.checks.interface import Path, Violation
from stockade.checks.kubernetes.practice._common import K8S, ContainerCheck, is_set, label, nsa, sub
from stockade.model.severity import Severity

_DOC = f"{K8S}/concepts/configuration/manage-resources-containers/"
_QUOTA_DOC = f"{K8S}/concepts/policy/resource-quotas/"
_NSA = nsa("Network separation and hardening: Resource policies")


class _ResourceCheck(ContainerCheck):
    FIELDS = frozenset({"initContainers", "containers"})
    KIND: ClassVar[str]  # "requests" | "limits"
    RESOURCE: ClassVar[str]  # "cpu" | "memory"
    WORD: ClassVar[str]  # "CPU request" ...

    def check_container(
        self, spec: dict[str, Any], path: Path, container: dict[str, Any]
    ) -> Iterator[Violation]:
        resources = sub(container, "resources")
        resource = self.RESOURCE
        if is_set(sub(resources, self.KIND).get(resource)):
            return
        if self.KIND == "requests" and is_set(sub(resources, "limits").get(resource)):
            return  # the API server defaults the request to the limit
        pod_resources = sub(spec, "resources")
        if is_set(sub(pod_resources, self.KIND).get(resource)):
            return
        yield Violation(
            f"{label(path, container)} has no {self.WORD}",
            path=(*path, "resources", self.KIND, resource),
            evidence=f"resources.{self.KIND}.{resource} not set",
        )


class CpuRequest(_ResourceCheck):
    NAME = "kubernetes/practice/cpu-request"
    ID = "STK-K8S-0001"
    SEVERITY = Severity.LOW
    TITLE = "Container has no CPU request"
    KIND = "requests"
    RESOURCE = "cpu"
    WORD = "CPU request"
    RATIONALE = (
        "Without a CPU request the scheduler places the pod as if it needed no CPU, so nodes get "
        "overcommitted and the container gets only a minimal share of CPU time under contention."
    )
    REMEDIATION = "Set resources.requests.cpu on every container to what it needs under normal load."
    REFERENCES = (_DOC, _QUOTA_DOC, _NSA)


class CpuLimit(_ResourceCheck):
    NAME = "kubernetes/practice/cpu-limit"
    ID = "STK-K8S-0002"
    SEVERITY = Severity.LOW
    TITLE = "Container has no CPU limit"
    KIND = "limits"
    RESOURCE = "cpu"
    WORD = "CPU limit"
    RATIONALE = (
        "A container without a CPU limit can use every idle CPU of its node; a runaway or compromised "
        "process then starves its neighbours (denial of service).  Some teams leave CPU limits off on "
        "purpose to avoid throttling: record that as an exception for this id."
    )
    REMEDIATION = "Set resources.limits.cpu, or enforce a default with a LimitRange in the namespace."
    REFERENCES = (_DOC, f"{K8S}/concepts/policy/limit-range/", _NSA)


class MemoryRequest(_ResourceCheck):
    NAME = "kubernetes/practice/memory-request"
    ID = "STK-K8S-0003"
    SEVERITY = Severity.LOW
    TITLE = "Container has no memory request"
    KIND = "requests"
    RESOURCE = "memory"
    WORD = "memory request"
    RATIONALE = (
        "Without a memory request the scheduler cannot reserve memory for the container; the pod lands "
        "on nodes without room for it and is among the first to be evicted under memory pressure."
    )
    REMEDIATION = "Set resources.requests.memory on every container to its normal working set."
    REFERENCES = (_DOC, _QUOTA_DOC, _NSA)


class MemoryLimit(_ResourceCheck):
    NAME = "kubernetes/practice/memory-limit"
    ID = "STK-K8S-0004"
    SEVERITY = Severity.MEDIUM
    TITLE = "Container has no memory limit"
    KIND = "limits"
    RESOURCE = "memory"
    WORD = "memory limit"
    RATIONALE = (
        "A container without a memory limit can take all the memory of its node; the kernel's OOM killer "
        "then kills other workloads, or the kubelet evicts them.  A leak or an attack becomes a "
        "node-wide denial of service."
    )
    REMEDIATION = (
        "Set resources.limits.memory on every container (usually equal to the request), or enforce a "
        "default with a LimitRange in the namespace."
    )
    REFERENCES = (_DOC, f"{K8S}/concepts/policy/limit-range/", _NSA)


CHECKS = (CpuRequest, CpuLimit, MemoryRequest, MemoryLimit)
