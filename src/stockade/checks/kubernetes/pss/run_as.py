"""PSS restricted "Running as Non-root" (upstream ``runAsNonRoot``, v1.0+, v1.35+) and "Running as
Non-root user" (``runAsUser``, v1.23+, v1.35+).

runAsNonRoot: no pod- or container-level ``runAsNonRoot: false``, and every container must be covered by
its own ``runAsNonRoot: true`` or by the pod's.  runAsUser: ``runAsUser: 0`` is forbidden at pod and
container level (unset is allowed).  From policy v1.35 both checks skip pods in a user namespace
(``spec.hostUsers: false``, KEP-127), where UID 0 in the container is not root on the host.  Before v1.35
upstream relaxed them only behind the alpha ``UserNamespacesPodSecurityStandards`` feature gate (off by
default, removed in 1.35); that gate is not modelled.
"""

from __future__ import annotations

from collections.abc import Iterator

from stockade.checks.interface import Violation
from stockade.checks.kubernetes.pss._base import Pod, PSSCheck, int_value
from stockade.model.severity import Severity


class RunAsNonRoot(PSSCheck):
    ID = "STK-PSS-0015"
    SEVERITY = Severity.MEDIUM
    TITLE = "Containers are not required to run as non-root"
    RATIONALE = (
        "A container process running as root (UID 0) is much closer to root on the node when a kernel or "
        "runtime flaw is exploited; runAsNonRoot makes the kubelet refuse to start it as root."
    )
    REMEDIATION = (
        "Set spec.securityContext.runAsNonRoot: true (and never runAsNonRoot: false in a container)."
    )
    LEVEL = "restricted"
    CONTROL = "Running as Non-root"
    UPSTREAM_ID = "runAsNonRoot"
    SINCE = (0, 35)

    def check_pod(self, pod: Pod) -> Iterator[Violation]:
        if self.version >= 35 and pod.user_namespace:
            return
        pod_value = pod.sc.get("runAsNonRoot") if pod.sc is not None else None
        if pod_value is False:
            yield self.violation(
                "pod sets securityContext.runAsNonRoot=false; allowed: true",
                pod.sc_at("runAsNonRoot"),
            )
        for c in pod.containers:
            value = c.sc.get("runAsNonRoot") if c.sc is not None else None
            if value is False:
                yield self.violation(
                    f'container "{c.name}" sets securityContext.runAsNonRoot=false; allowed: true, or unset '
                    "when the pod sets true",
                    c.at("securityContext", "runAsNonRoot"),
                )
            elif value is not True and pod_value is not True:
                yield self.violation(
                    f'pod or container "{c.name}" must set securityContext.runAsNonRoot=true',
                    c.sc_path("runAsNonRoot"),
                )


class RunAsUser(PSSCheck):
    ID = "STK-PSS-0016"
    SEVERITY = Severity.MEDIUM
    TITLE = "Pod or container runs as UID 0"
    RATIONALE = "runAsUser: 0 runs the container process as root."
    REMEDIATION = "Remove runAsUser: 0; set a non-zero runAsUser (or none) at pod and container level."
    LEVEL = "restricted"
    CONTROL = "Running as Non-root user"
    UPSTREAM_ID = "runAsUser"
    SINCE = (23, 35)

    def check_pod(self, pod: Pod) -> Iterator[Violation]:
        if self.version >= 35 and pod.user_namespace:
            return
        if int_value(pod.sc, "runAsUser") == 0:
            yield self.violation(
                "pod sets securityContext.runAsUser=0; allowed: a non-zero UID or unset",
                pod.sc_at("runAsUser"),
            )
        for c in pod.containers:
            if int_value(c.sc, "runAsUser") == 0:
                yield self.violation(
                    f'container "{c.name}" sets securityContext.runAsUser=0; '
                    "allowed: a non-zero UID or unset",
                    c.at("securityContext", "runAsUser"),
                )
