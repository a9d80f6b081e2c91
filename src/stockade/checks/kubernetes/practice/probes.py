"""Liveness and readiness probes (STK-K8S-0005, 0006).

Only long-running containers are checked: regular containers, and init containers declared as sidecars
(``restartPolicy: Always``, Kubernetes 1.28+; the only init containers the API lets carry probes).  Pods
that run to completion are skipped: Jobs, CronJobs, and any pod with ``restartPolicy`` Never or
OnFailure.  Ephemeral containers may not have probes.  A startup probe does not replace either: it only
delays them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from stockade.checks.interface import Violation
from stockade.checks.kubernetes.check import WORKLOAD_KINDS
from stockade.checks.kubernetes.objects import K8sObject
from stockade.checks.kubernetes.practice._common import BATCH_KINDS, K8S, PracticeCheck, label
from stockade.model.severity import Severity

_DOC = f"{K8S}/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/"
_LIFECYCLE_DOC = f"{K8S}/concepts/workloads/pods/pod-lifecycle/#container-probes"
_SIDECAR_DOC = f"{K8S}/concepts/workloads/pods/sidecar-containers/"


class _ProbeCheck(PracticeCheck):
    KINDS = WORKLOAD_KINDS - BATCH_KINDS
    PROBE: ClassVar[str]

    def evaluate(self, obj: K8sObject) -> Iterator[Violation]:
        spec = obj.pod_spec()
        if spec is None or spec.get("restartPolicy") in ("Never", "OnFailure"):
            return
        probe = self.PROBE
        for path, container in obj.containers():
            where = path[-2]
            if where == "ephemeralContainers":
                continue
            if where == "initContainers" and container.get("restartPolicy") != "Always":
                continue
            if isinstance(container.get(probe), dict):
                continue
            yield Violation(
                f"{label(path, container)} has no {probe}",
                path=(*path, probe),
                evidence=f"{probe} not set",
            )


class LivenessProbe(_ProbeCheck):
    NAME = "kubernetes/practice/liveness-probe"
    ID = "STK-K8S-0005"
    SEVERITY = Severity.LOW
    TITLE = "Container has no liveness probe"
    PROBE = "livenessProbe"
    RATIONALE = (
        "Without a liveness probe the kubelet restarts a container only when its process exits; a "
        "deadlocked or wedged process keeps running and keeps failing requests."
    )
    REMEDIATION = (
        "Add a livenessProbe (httpGet, tcpSocket, grpc or exec) that fails only when a restart would help; "
        "add a startupProbe for slow starters rather than a long initialDelaySeconds."
    )
    REFERENCES = (_DOC, _LIFECYCLE_DOC, _SIDECAR_DOC)


class ReadinessProbe(_ProbeCheck):
    NAME = "kubernetes/practice/readiness-probe"
    ID = "STK-K8S-0006"
    SEVERITY = Severity.LOW
    TITLE = "Container has no readiness probe"
    PROBE = "readinessProbe"
    RATIONALE = (
        "Without a readiness probe a pod receives Service traffic as soon as its containers start, before "
        "the application can answer, and keeps receiving it while the application is overloaded; rolling "
        "updates cannot tell a broken new version from a working one."
    )
    REMEDIATION = "Add a readinessProbe that succeeds only when the container can serve requests."
    REFERENCES = (_DOC, _LIFECYCLE_DOC, _SIDECAR_DOC)


CHECKS = (LivenessProbe, ReadinessProbe)
