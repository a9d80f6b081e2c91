"""PSS baseline "Sysctls" (upstream ``sysctls``, policy v1.0+, v1.27+, v1.29+, v1.32+, v1.37+).

Every ``spec.securityContext.sysctls[*].name`` must be in the safe set of the policy version (the API
allows sysctls only at pod level).  The safe set grows by version (check_sysctls.go):

    v1.0   kernel.shm_rmid_forced, net.ipv4.ip_local_port_range, net.ipv4.tcp_syncookies,
           net.ipv4.ping_group_range, net.ipv4.ip_unprivileged_port_start
    v1.27  + net.ipv4.ip_local_reserved_ports
    v1.29  + net.ipv4.tcp_keepalive_time, net.ipv4.tcp_fin_timeout, net.ipv4.tcp_keepalive_intvl,
             net.ipv4.tcp_keepalive_probes
    v1.32  + net.ipv4.tcp_rmem, net.ipv4.tcp_wmem
    v1.37  + net.ipv4.tcp_slow_start_after_idle, net.ipv4.tcp_notsent_lowat
"""

from __future__ import annotations

from collections.abc import Iterator

from stockade.checks.interface import Violation
from stockade.checks.kubernetes.pss._base import LATEST_MINOR, Pod, PSSCheck
from stockade.model.severity import Severity

_ADDED: dict[int, tuple[str, ...]] = {
    0: (
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_unprivileged_port_start",
    ),
    27: ("net.ipv4.ip_local_reserved_ports",),
    29: (
        "net.ipv4.tcp_keepalive_time",
        "net.ipv4.tcp_fin_timeout",
        "net.ipv4.tcp_keepalive_intvl",
        "net.ipv4.tcp_keepalive_probes",
    ),
    32: ("net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"),
    37: ("net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat"),
}


def safe_sysctls(version: int) -> frozenset[str]:
    return frozenset(name for since, names in _ADDED.items() if since <= version for name in names)


class Sysctls(PSSCheck):
    ID = "STK-PSS-0010"
    SEVERITY = Severity.MEDIUM
    TITLE = "Pod sets an unsafe sysctl"
    RATIONALE = (
        "Sysctls outside the safe, namespaced set can disable security mechanisms or affect every "
        "container on the node."
    )
    REMEDIATION = "Only set sysctls from the Pod Security Standards safe set."
    LEVEL = "baseline"
    CONTROL = "Sysctls"
    UPSTREAM_ID = "sysctls"
    SINCE = tuple(sorted(_ADDED))

    def __init__(self, version: int = LATEST_MINOR) -> None:
        super().__init__(version)
        self.allowed = safe_sysctls(version)

    def check_pod(self, pod: Pod) -> Iterator[Violation]:
        items = pod.sc.get("sysctls") if pod.sc is not None else None
        if not isinstance(items, list):
            return
        allowed = ", ".join(sorted(self.allowed))
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            name = item.get("name")
            name = name if isinstance(name, str) else ""
            if name not in self.allowed:
                yield self.violation(
                    f'sysctl "{name}" is not in the safe set; allowed: {allowed}',
                    pod.sc_at("sysctls", i, "name") if "name" in item else pod.sc_at("sysctls", i),
                    name,
                )
