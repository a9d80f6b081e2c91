"""Namespaces shared with the node or between containers (STK-K8S-0019 … 0022).

These are pod-level fields (``spec.hostNetwork`` …); the message names the containers that share them.
Only an explicit ``true`` counts: each defaults to false.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from stockade.checks.interface import Path, Violation
from stockade.checks.kubernetes.objects import K8sObject
from stockade.checks.kubernetes.practice._common import (
    K8S,
    PSS_DOC,
    PodSpecCheck,
    cis,
    container_names,
    nsa,
    quote_names,
)
from stockade.model.severity import Severity

_NSA = nsa("Kubernetes Pod security: Pod security enforcement")


class _PodFlag(PodSpecCheck):
    FIELD: ClassVar[str]
    WHAT: ClassVar[str]

    def check_pod(self, obj: K8sObject, spec_path: Path, spec: dict[str, Any]) -> Iterator[Violation]:
        if spec.get(self.FIELD) is not True:
            return
        names = container_names(spec)
        who = f"containers {quote_names(names)}" if names else "the pod's containers"
        yield Violation(
            f"{self.FIELD}: true {self.WHAT} ({who})",
            path=(*spec_path, self.FIELD),
            evidence=f"{self.FIELD}: true",
        )


class HostNetwork(_PodFlag):
    NAME = "kubernetes/practice/host-network"
    ID = "STK-K8S-0019"
    SEVERITY = Severity.HIGH
    TITLE = "Pod uses the host network"
    FIELD = "hostNetwork"
    WHAT = "puts the pod in the node's network namespace"
    RATIONALE = (
        "A pod on the host network sees every interface of the node, can sniff its traffic, reaches "
        "services bound to the node's loopback (kubelet, container runtime, metadata proxies) and escapes "
        "NetworkPolicies that select pods."
    )
    REMEDIATION = (
        "Remove spec.hostNetwork; expose the workload through a Service (and hostPort only if needed)."
    )
    REFERENCES = (
        PSS_DOC,
        cis("5.2.5", "Minimize the admission of containers wishing to share the host network namespace"),
        _NSA,
    )


class HostPID(_PodFlag):
    NAME = "kubernetes/practice/host-pid"
    ID = "STK-K8S-0020"
    SEVERITY = Severity.HIGH
    TITLE = "Pod shares the host PID namespace"
    FIELD = "hostPID"
    WHAT = "puts the pod in the node's PID namespace"
    RATIONALE = (
        "With the host PID namespace the containers see every process of the node, read their "
        "environment and command lines (secrets), and with enough privilege signal or ptrace them and "
        "enter their namespaces (nsenter -t 1)."
    )
    REMEDIATION = "Remove spec.hostPID."
    REFERENCES = (
        PSS_DOC,
        cis("5.2.3", "Minimize the admission of containers wishing to share the host process ID namespace"),
        _NSA,
    )


class HostIPC(_PodFlag):
    NAME = "kubernetes/practice/host-ipc"
    ID = "STK-K8S-0021"
    SEVERITY = Severity.HIGH
    TITLE = "Pod shares the host IPC namespace"
    FIELD = "hostIPC"
    WHAT = "puts the pod in the node's IPC namespace"
    RATIONALE = (
        "With the host IPC namespace the containers can read and write the shared memory segments, "
        "semaphores and message queues of every process on the node."
    )
    REMEDIATION = "Remove spec.hostIPC."
    REFERENCES = (
        PSS_DOC,
        cis("5.2.4", "Minimize the admission of containers wishing to share the host IPC namespace"),
        _NSA,
    )


class ShareProcessNamespace(_PodFlag):
    NAME = "kubernetes/practice/share-process-namespace"
    ID = "STK-K8S-0022"
    SEVERITY = Severity.LOW
    TITLE = "Pod shares one process namespace between its containers"
    FIELD = "shareProcessNamespace"
    WHAT = "lets the pod's containers see and signal each other's processes"
    RATIONALE = (
        "With a shared process namespace every container sees the processes of the others, their "
        "environment variables, and their filesystems through /proc/<pid>/root: a compromise of one "
        "container (a sidecar, a debug tool) exposes the secrets of all."
    )
    REMEDIATION = (
        "Remove spec.shareProcessNamespace unless a sidecar really needs to signal the main process."
    )
    REFERENCES = (f"{K8S}/tasks/configure-pod-container/share-process-namespace/", _NSA)


CHECKS = (HostNetwork, HostPID, HostIPC, ShareProcessNamespace)
