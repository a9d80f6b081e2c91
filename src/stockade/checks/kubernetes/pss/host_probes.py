"""PSS baseline "Host Probes / Lifecycle Hooks" (upstream ``hostProbesAndHostLifecycle``, policy v1.34+).

The ``host`` of ``httpGet`` and ``tcpSocket`` handlers must be unset or ``""`` in ``livenessProbe``,
``readinessProbe``, ``startupProbe`` and ``lifecycle.postStart`` / ``lifecycle.preStop``, in every
container (upstream visits init and ephemeral containers as well).  Any other value is forbidden,
including ``127.0.0.1`` and ``::1``: a probe with a host makes the kubelet connect to an arbitrary
address from the node's network (server-side request forgery).
"""

from __future__ import annotations

from collections.abc import Iterator

from stockade.checks.interface import Violation
from stockade.checks.kubernetes.pss._base import Container, Pod, PSSCheck, mapping
from stockade.model.severity import Severity

PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
HOOKS = ("postStart", "preStop")
HANDLERS = ("httpGet", "tcpSocket")


class HostProbesAndHostLifecycle(PSSCheck):
    ID = "STK-PSS-0012"
    SEVERITY = Severity.MEDIUM
    TITLE = "Probe or lifecycle hook targets a host"
    RATIONALE = (
        "The kubelet runs probes and lifecycle hooks from the node; a handler with a host lets the pod "
        "make the node connect to any address it can reach (server-side request forgery)."
    )
    REMEDIATION = "Remove the host field from httpGet/tcpSocket probes and lifecycle handlers."
    LEVEL = "baseline"
    CONTROL = "Host Probes / Lifecycle Hooks"
    UPSTREAM_ID = "hostProbesAndHostLifecycle"
    SINCE = (34,)

    def check_pod(self, pod: Pod) -> Iterator[Violation]:
        for c in pod.containers:
            for probe in PROBES:
                yield from self._handler(c, (probe,), mapping(c.data, probe))
            lifecycle = mapping(c.data, "lifecycle")
            for hook in HOOKS:
                yield from self._handler(c, ("lifecycle", hook), mapping(lifecycle, hook))

    def _handler(
        self, c: Container, where: tuple[str, ...], handler: dict[str, object] | None
    ) -> Iterator[Violation]:
        for kind in HANDLERS:
            host = (mapping(handler, kind) or {}).get("host")
            if isinstance(host, str) and host:
                field = ".".join((*where, kind, "host"))
                yield self.violation(
                    f'container "{c.name}" sets {field}="{host}"; allowed: "" or unset',
                    c.at(*where, kind, "host"),
                    host,
                )
