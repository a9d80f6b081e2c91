"""PSS baseline "Host Namespaces" (upstream ``hostNamespaces``, policy v1.0+).

``spec.hostNetwork``, ``spec.hostPID`` and ``spec.hostIPC`` must be unset or ``false``.
"""

from __future__ import annotations

from collections.abc import Iterator

from stockade.checks.interface import Violation
from stockade.checks.kubernetes.pss._base import Pod, PSSCheck
from stockade.model.severity import Severity

_NAMESPACES = (("hostNetwork", "network"), ("hostPID", "process (PID)"), ("hostIPC", "IPC"))


class HostNamespaces(PSSCheck):
    ID = "STK-PSS-0001"
    SEVERITY = Severity.HIGH
    TITLE = "Pod shares a host namespace"
    RATIONALE = (
        "Sharing the host's network, PID or IPC namespace lets the pod see and reach the node's processes, "
        "network interfaces and shared memory, which removes a main layer of container isolation."
    )
    REMEDIATION = "Remove spec.hostNetwork, spec.hostPID and spec.hostIPC, or set them to false."
    LEVEL = "baseline"
    CONTROL = "Host Namespaces"
    UPSTREAM_ID = "hostNamespaces"

    def check_pod(self, pod: Pod) -> Iterator[Violation]:
        for key, what in _NAMESPACES:
            if pod.spec.get(key) is True:
                yield self.violation(
                    f"{key}=true shares the host's {what} namespace; allowed: false or unset",
                    pod.at(key),
                    f"{key}: true",
                )
