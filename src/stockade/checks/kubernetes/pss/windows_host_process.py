"""PSS baseline "HostProcess" (upstream ``windowsHostProcess``, policy v1.0+).

``windowsOptions.hostProcess`` must be unset or ``false`` at pod level and in every container
(containers, initContainers, ephemeralContainers).  A Windows HostProcess container runs directly on the
host with the privileges of a host process, the Windows counterpart of a privileged container, so this
check is rated high like "Privileged Containers".
"""

from __future__ import annotations

from collections.abc import Iterator

from stockade.checks.interface import Violation
from stockade.checks.kubernetes.pss._base import Pod, PSSCheck, mapping
from stockade.model.severity import Severity


class WindowsHostProcess(PSSCheck):
    ID = "STK-PSS-0011"
    SEVERITY = Severity.HIGH
    TITLE = "Windows HostProcess container"
    RATIONALE = (
        "A Windows HostProcess container runs as a process on the host, with access to the host's "
        "network, file system and devices: it is privileged access to the Windows node."
    )
    REMEDIATION = "Remove securityContext.windowsOptions.hostProcess, or set it to false."
    LEVEL = "baseline"
    CONTROL = "HostProcess"
    UPSTREAM_ID = "windowsHostProcess"

    def check_pod(self, pod: Pod) -> Iterator[Violation]:
        allowed = "allowed: false or unset"
        if (mapping(pod.sc, "windowsOptions") or {}).get("hostProcess") is True:
            yield self.violation(
                f"pod sets securityContext.windowsOptions.hostProcess=true; {allowed}",
                pod.sc_at("windowsOptions", "hostProcess"),
            )
        for c in pod.containers:
            if (mapping(c.sc, "windowsOptions") or {}).get("hostProcess") is True:
                yield self.violation(
                    f'container "{c.name}" sets securityContext.windowsOptions.hostProcess=true; {allowed}',
                    c.at("securityContext", "windowsOptions", "hostProcess"),
                )
