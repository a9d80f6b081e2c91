"""Container privileges in ``securityContext`` (STK-K8S-0011 … 0015).

Only explicit values count as compliant: ``allowPrivilegeEscalation`` defaults to true for a process
whose parent may gain privileges, ``readOnlyRootFilesystem`` defaults to false.  ``runAsUser`` is taken
from the container and, where the container does not set it, from the pod's ``securityContext`` (the
container's value wins, Kubernetes API reference "SecurityContext").  Windows pods (``spec.os.name:
windows``) are skipped by the Linux-only checks, as the API forbids those fields for them.
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
    label,
    nsa,
    sub,
)
from stockade.model.severity import Severity

_NSA_POD = nsa("Kubernetes Pod security: Pod security enforcement")
_NSA_ENV = nsa("Kubernetes Pod security: Hardening container environments")


class PrivilegedContainer(ContainerCheck):
    NAME = "kubernetes/practice/privileged"
    ID = "STK-K8S-0011"
    SEVERITY = Severity.CRITICAL
    TITLE = "Container runs privileged"
    RATIONALE = (
        "A privileged container has every capability, sees every host device and is not confined by "
        "seccomp, AppArmor or SELinux: root in it is root on the node, and escaping takes one command."
    )
    REMEDIATION = (
        "Remove securityContext.privileged (or set it to false); grant the one capability or device the "
        "workload needs instead."
    )
    REFERENCES = (
        PSS_DOC,
        SECURITY_CONTEXT_DOC,
        cis("5.2.2", "Minimize the admission of privileged containers"),
        _NSA_POD,
    )

    def check_container(
        self, spec: dict[str, Any], path: Path, container: dict[str, Any]
    ) -> Iterator[Violation]:
        if sub(container, "securityContext").get("privileged") is True:
            yield Violation(
                f"{label(path, container)} runs privileged",
                path=(*path, "securityContext", "privileged"),
                evidence="securityContext.privileged: true",
            )


class PrivilegeEscalation(ContainerCheck):
    NAME = "kubernetes/practice/allow-privilege-escalation"
    ID = "STK-K8S-0012"
    SEVERITY = Severity.MEDIUM
    TITLE = "Container allows privilege escalation"
    LINUX_ONLY = True
    RATIONALE = (
        "Unless allowPrivilegeEscalation is false, the container's processes may gain more privileges than "
        "they started with (setuid binaries, file capabilities): the kernel's no_new_privs flag is not set."
    )
    REMEDIATION = "Set securityContext.allowPrivilegeEscalation: false on every container."
    REFERENCES = (
        PSS_DOC,
        SECURITY_CONTEXT_DOC,
        cis("5.2.6", "Minimize the admission of containers with allowPrivilegeEscalation"),
        _NSA_POD,
    )

    def check_container(
        self, spec: dict[str, Any], path: Path, container: dict[str, Any]
    ) -> Iterator[Violation]:
        value = sub(container, "securityContext").get("allowPrivilegeEscalation")
        if value is False:
            return
        yield Violation(
            f"{label(path, container)} allows privilege escalation",
            path=(*path, "securityContext", "allowPrivilegeEscalation"),
            evidence="allowPrivilegeEscalation: true"
            if value is True
            else "allowPrivilegeEscalation not set",
        )


class WritableRootFilesystem(ContainerCheck):
    NAME = "kubernetes/practice/read-only-root-filesystem"
    ID = "STK-K8S-0013"
    SEVERITY = Severity.LOW
    TITLE = "Container root filesystem is writable"
    LINUX_ONLY = True
    RATIONALE = (
        "A writable root filesystem lets an attacker drop tools, modify binaries or persist in the "
        "container; an immutable one forces writes into declared volumes that can be reviewed."
    )
    REMEDIATION = (
        "Set securityContext.readOnlyRootFilesystem: true and mount an emptyDir where the application "
        "must write (/tmp, caches)."
    )
    REFERENCES = (
        SECURITY_CONTEXT_DOC,
        cis("5.7.3", "Apply SecurityContext to your Pods and Containers"),
        nsa("Kubernetes Pod security: Immutable container file systems"),
    )

    def check_container(
        self, spec: dict[str, Any], path: Path, container: dict[str, Any]
    ) -> Iterator[Violation]:
        value = sub(container, "securityContext").get("readOnlyRootFilesystem")
        if value is True:
            return
        yield Violation(
            f"{label(path, container)} has a writable root filesystem",
            path=(*path, "securityContext", "readOnlyRootFilesystem"),
            evidence="readOnlyRootFilesystem: false" if value is False else "readOnlyRootFilesystem not set",
        )


def _uid(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class RunAsRootUser(ContainerCheck):
    NAME = "kubernetes/practice/run-as-uid-0"
    ID = "STK-K8S-0014"
    SEVERITY = Severity.MEDIUM
    TITLE = "Container runs as UID 0 (root)"
    LINUX_ONLY = True
    RATIONALE = (
        "runAsUser: 0 runs the container's processes as root.  Root in a container owns every file in it "
        "and is one kernel or runtime bug away from root on the node."
    )
    REMEDIATION = (
        "Set runAsUser to a non-zero UID (and runAsNonRoot: true) in the container's or the pod's "
        "securityContext; build the image with a non-root USER."
    )
    REFERENCES = (
        PSS_DOC,
        SECURITY_CONTEXT_DOC,
        cis("5.2.7", "Minimize the admission of root containers"),
        nsa("Kubernetes Pod security: 'Non-root' containers and 'rootless' container engines"),
    )

    def check_container(
        self, spec: dict[str, Any], path: Path, container: dict[str, Any]
    ) -> Iterator[Violation]:
        uid = _uid(sub(container, "securityContext").get("runAsUser"))
        if uid is not None:
            where: Path = (*path, "securityContext", "runAsUser")
            source = "its securityContext"
        else:
            uid = _uid(sub(spec, "securityContext").get("runAsUser"))
            where = (*path[:-2], "securityContext", "runAsUser")
            source = "the pod's securityContext"
        if uid == 0:
            yield Violation(
                f"{label(path, container)} runs as UID 0 (runAsUser set in {source})",
                path=where,
                evidence="runAsUser: 0",
            )


class UnmaskedProcMount(ContainerCheck):
    NAME = "kubernetes/practice/proc-mount-unmasked"
    ID = "STK-K8S-0015"
    SEVERITY = Severity.HIGH
    TITLE = "Container mounts /proc unmasked"
    LINUX_ONLY = True
    RATIONALE = (
        "procMount: Unmasked turns off the masking and read-only paths the runtime applies to /proc "
        "(/proc/kcore, /proc/sys, /proc/sysrq-trigger ...), exposing host kernel interfaces to the container."
    )
    REMEDIATION = "Remove securityContext.procMount or set it to Default."
    REFERENCES = (PSS_DOC, SECURITY_CONTEXT_DOC, _NSA_ENV)

    def check_container(
        self, spec: dict[str, Any], path: Path, container: dict[str, Any]
    ) -> Iterator[Violation]:
        if sub(container, "securityContext").get("procMount") == "Unmasked":
            yield Violation(
                f"{label(path, container)} mounts /proc unmasked",
                path=(*path, "securityContext", "procMount"),
                evidence="procMount: Unmasked",
            )


CHECKS = (PrivilegedContainer, PrivilegeEscalation, WritableRootFilesystem, RunAsRootUser, UnmaskedProcMount)
