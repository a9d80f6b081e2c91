"""PSS baseline "Host Ports" (upstream ``hostPorts``, policy v1.0+).

``ports[*].hostPort`` must be unset or ``0`` in every container, init container and ephemeral container.
``0`` means "no host port" to the API (upstream: ``port.HostPort != 0`` is the violation).  The standard's
"known list" of allowed ports is not supported by the built-in admission, nor here.
"""

from __future__ import annotations

from collections.abc import Iterator

from stockade.checks.interface import Violation
from stockade.checks.kubernetes.pss._base import Pod, PSSCheck, int_value
from stockade.model.severity import Severity


class HostPorts(PSSCheck):
    ID = "STK-PSS-0005"
    SEVERITY = Severity.MEDIUM
    TITLE = "Container binds a host port"
    RATIONALE = (
        "A host port binds the container to the node's network interface, bypassing network policies "
        "and exposing the workload on every address of the node."
    )
    REMEDIATION = "Remove ports[].hostPort (or set it to 0) and expose the workload through a Service."
    LEVEL = "baseline"
    CONTROL = "Host Ports"
    UPSTREAM_ID = "hostPorts"

    def check_pod(self, pod: Pod) -> Iterator[Violation]:
        for c in pod.containers:
            ports = c.data.get("ports")
            if not isinstance(ports, list):
                continue
            for j, port in enumerate(ports):
                if not isinstance(port, dict):
                    continue
                host_port = int_value(port, "hostPort")
                if host_port is not None and host_port != 0:
                    yield self.violation(
                        f'container "{c.name}" uses hostPort {host_port}; allowed: 0 or unset',
                        c.at("ports", j, "hostPort"),
                        f"hostPort: {host_port}",
                    )
