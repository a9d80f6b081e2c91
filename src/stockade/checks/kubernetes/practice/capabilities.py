"""Linux capabilities (STK-K8S-0016 … 0018).

Names are compared as container runtimes read them: case-insensitive, with or without the ``CAP_``
prefix (containerd and CRI-O prefix and upper-case them).  ``drop: [ALL]`` drops NET_RAW; a capability
in ``add`` is granted even when ``drop`` names it or ALL (runtimes drop first, then add).  The dangerous
set follows capabilities(7) and the container-escape literature: each of these lets root in a container
reach the kernel, other processes or host files.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from stockade.checks.interface import Path, Violation
from stockade.checks.kubernetes.practice._common import (
    PSS_DOC,
    SECURITY_CONTEXT_DOC,
    ContainerCheck,
    cis,
    items,
    label,
    nsa,
    sub,
)
from stockade.model.severity import Severity

_MAN = "https://man7.org/linux/man-pages/man7/capabilities.7.html"
_NSA = nsa("Kubernetes Pod security: Hardening container environments")
_CIS_ADDED = cis("5.2.9", "Minimize the admission of containers with added capabilities")

#: added capabilities that amount to a path out of the container (SYS_ADMIN has its own check)
DANGEROUS: dict[str, str] = {
    "ALL": "every capability, SYS_ADMIN included",
    "BPF": "loads eBPF programs into the host kernel",
    "DAC_READ_SEARCH": "reads any host file through open_by_handle_at (the 'shocker' escape)",
    "MAC_ADMIN": "reconfigures AppArmor / SELinux",
    "MAC_OVERRIDE": "bypasses mandatory access control",
    "NET_ADMIN": "reconfigures interfaces, routes and firewall rules of the pod network",
    "PERFMON": "reads kernel memory through perf and BPF tracing",
    "SYS_BOOT": "reboots the node",
    "SYS_MODULE": "loads kernel modules",
    "SYS_PTRACE": "traces and injects code into other processes",
    "SYS_RAWIO": "reads and writes raw I/O ports and /dev/mem",
    "SYS_TIME": "sets the node's clock (not namespaced)",
    "SYSLOG": "reads kernel addresses from the kernel log",
}


def cap_name(value: Any) -> str | None:
    """``"cap_sys_admin"`` → ``"SYS_ADMIN"``; None for a non-string."""
    if not isinstance(value, str):
        return None
    name = value.strip().upper()
    return name[4:] if name.startswith("CAP_") else name


def _added(path: Path, container: dict[str, Any]) -> Iterator[tuple[Path, str]]:
    add = items(sub(sub(container, "securityContext"), "capabilities"), "add")
    for i, value in enumerate(add):
        name = cap_name(value)
        if name:
            yield (*path, "securityContext", "capabilities", "add", i), name


class NetRawNotDropped(ContainerCheck):
    NAME = "kubernetes/practice/net-raw"
    ID = "STK-K8S-0016"
    SEVERITY = Severity.MEDIUM
    TITLE = "Container does not drop NET_RAW"
    LINUX_ONLY = True
    RATIONALE = (
        "Most runtimes grant NET_RAW by default.  It lets a process craft raw packets: ARP and DNS "
        "spoofing of other pods on the node, and a route to kernel network-stack bugs."
    )
    REMEDIATION = (
        "Add securityContext.capabilities.drop: [ALL] (or at least NET_RAW) and add back only what the "
        "workload needs."
    )
    REFERENCES = (
        SECURITY_CONTEXT_DOC,
        cis("5.2.8", "Minimize the admission of containers with the NET_RAW capability"),
        _NSA,
        _MAN,
    )

    def check_container(
        self, spec: dict[str, Any], path: Path, container: dict[str, Any]
    ) -> Iterator[Violation]:
        for where, name in _added(path, container):
            if name == "NET_RAW":
                yield Violation(
                    f"{label(path, container)} adds NET_RAW",
                    path=where,
                    evidence="capabilities.add: NET_RAW",
                )
                return
        drop = items(sub(sub(container, "securityContext"), "capabilities"), "drop")
        for value in drop:
            if cap_name(value) in ("ALL", "NET_RAW"):
                return
        yield Violation(
            f"{label(path, container)} does not drop NET_RAW",
            path=(*path, "securityContext", "capabilities", "drop"),
            evidence="capabilities.drop has neither ALL nor NET_RAW",
        )


class SysAdminAdded(ContainerCheck):
    NAME = "kubernetes/practice/sys-admin"
    ID = "STK-K8S-0017"
    SEVERITY = Severity.HIGH
    TITLE = "Container adds SYS_ADMIN"
    LINUX_ONLY = True
    RATIONALE = (
        "CAP_SYS_ADMIN is 'the new root': mount, namespace and cgroup administration, with well-known "
        "escapes to the node (cgroup release_agent, mounting host devices)."
    )
    REMEDIATION = (
        "Remove SYS_ADMIN from securityContext.capabilities.add; use a dedicated device plug-in or a "
        "narrower capability."
    )
    REFERENCES = (PSS_DOC, SECURITY_CONTEXT_DOC, _CIS_ADDED, _NSA, _MAN)

    def check_container(
        self, spec: dict[str, Any], path: Path, container: dict[str, Any]
    ) -> Iterator[Violation]:
        for where, name in _added(path, container):
            if name == "SYS_ADMIN":
                yield Violation(
                    f"{label(path, container)} adds SYS_ADMIN",
                    path=where,
                    evidence="capabilities.add: SYS_ADMIN",
                )


class DangerousCapabilityAdded(ContainerCheck):
    NAME = "kubernetes/practice/dangerous-capability"
    ID = "STK-K8S-0018"
    SEVERITY = Severity.HIGH
    TITLE = "Container adds a dangerous capability"
    LINUX_ONLY = True
    RATIONALE = (
        "Capabilities such as SYS_MODULE, SYS_PTRACE, DAC_READ_SEARCH, NET_ADMIN, BPF or ALL give root in "
        "the container direct routes to the host kernel, to other processes or to host files."
    )
    REMEDIATION = (
        "Remove the capability from securityContext.capabilities.add; if the workload really needs it, "
        "isolate it on dedicated nodes and record an exception."
    )
    REFERENCES = (
        PSS_DOC,
        _CIS_ADDED,
        cis("5.2.10", "Minimize the admission of containers with capabilities assigned"),
        _NSA,
        _MAN,
    )

    def check_container(
        self, spec: dict[str, Any], path: Path, container: dict[str, Any]
    ) -> Iterator[Violation]:
        for where, name in _added(path, container):
            what = DANGEROUS.get(name)
            if what is not None:
                yield Violation(
                    f"{label(path, container)} adds {name}: {what}",
                    path=where,
                    evidence=f"capabilities.add: {name}",
                )


CHECKS = (NetRawNotDropped, SysAdminAdded, DangerousCapabilityAdded)
