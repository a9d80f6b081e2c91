"""Pod Security Standards (PSS), baseline and restricted, as the Kubernetes admission plug-in applies them.

The semantics follow k8s.io/pod-security-admission (``policy/check_*.go``) check by check and version by
version: each upstream check is one :class:`PSSCheck` below, with the upstream check id in its
``UPSTREAM_ID`` and in every finding's ``pss_check`` metadata.  Containers, initContainers and
ephemeralContainers are all visited, as upstream's ``visitContainers`` does (native sidecars are ordinary
init containers).  Policy versions resolve as upstream's registry does: ``v1.N`` uses, for each check, the
newest behaviour introduced at or before ``N``; restricted runs every baseline check except those a
restricted check overrides at that version (``OverrideCheckIDs``), then the restricted checks.

Check ids (stable, never reused).  Severity: high for the controls that give direct access to the host
(privileged containers, Windows HostProcess, hostPath volumes, host namespaces); medium for the others.

    id            level       pss_control                    upstream check              versions
    STK-PSS-0001  baseline    Host Namespaces                hostNamespaces              1.0        high
    STK-PSS-0002  baseline    Privileged Containers          privileged                  1.0        high
    STK-PSS-0003  baseline    Capabilities                   capabilities_baseline       1.0
    STK-PSS-0004  baseline    HostPath Volumes               hostPathVolumes             1.0        high
    STK-PSS-0005  baseline    Host Ports                     hostPorts                   1.0
    STK-PSS-0006  baseline    AppArmor                       appArmorProfile             1.0
    STK-PSS-0007  baseline    SELinux                        seLinuxOptions              1.0 1.31
    STK-PSS-0008  baseline    /proc Mount Type               procMount                   1.0 1.35
    STK-PSS-0009  baseline    Seccomp                        seccompProfile_baseline     1.0 1.19
    STK-PSS-0010  baseline    Sysctls                        sysctls                     1.0 .27 .29 .32 .37
    STK-PSS-0011  baseline    HostProcess                    windowsHostProcess          1.0        high
    STK-PSS-0012  baseline    Host Probes / Lifecycle Hooks  hostProbesAndHostLifecycle  1.34
    STK-PSS-0013  restricted  Volume Types                   restrictedVolumes           1.0        (1)
    STK-PSS-0014  restricted  Privilege Escalation           allowPrivilegeEscalation    1.8 1.25
    STK-PSS-0015  restricted  Running as Non-root            runAsNonRoot                1.0 1.35
    STK-PSS-0016  restricted  Running as Non-root user       runAsUser                   1.23 1.35
    STK-PSS-0017  restricted  Seccomp                        seccompProfile_restricted   1.19 1.25  (2)
    STK-PSS-0018  restricted  Capabilities                   capabilities_restricted     1.22 1.25  (3)
    STK-PSS-0019  restricted  /proc Mount Type               procMount_restricted        1.35       (4)

At the restricted level (1) replaces STK-PSS-0004, (2) STK-PSS-0009, (3) STK-PSS-0003 and (4)
STK-PSS-0008, from the version each of them starts to apply (upstream ``OverrideCheckIDs``).

Version boundaries: 1.8 privilege escalation appears; 1.19 seccomp moves from the alpha annotations to
the field, restricted seccomp appears; 1.22 restricted capabilities; 1.23 runAsUser; 1.25 Windows pods
(``spec.os.name: windows``) exempt from privilege escalation, restricted seccomp and restricted
capabilities; 1.27, 1.29, 1.32, 1.37 safe sysctls added; 1.31 SELinux ``container_engine_t``; 1.34
probe/lifecycle hosts forbidden; 1.35 user-namespace pods (``hostUsers: false``) relaxed for baseline
procMount, runAsNonRoot and runAsUser, with restricted procMount staying strict.  Like the current
upstream binary, the AppArmor field check and the ``image`` volume type apply at every version (upstream
added them to their v1.0 check functions rather than as new versions).  Feature gates of older releases
(``UserNamespacesPodSecurityStandards``, alpha) and emulated API server versions are not modelled.
"""

from __future__ import annotations

import re

from stockade.checks.kubernetes.pss._base import LATEST_MINOR, PSSCheck, version_name
from stockade.checks.kubernetes.pss.apparmor import AppArmor
from stockade.checks.kubernetes.pss.capabilities import CapabilitiesBaseline, CapabilitiesRestricted
from stockade.checks.kubernetes.pss.host_namespaces import HostNamespaces
from stockade.checks.kubernetes.pss.host_ports import HostPorts
from stockade.checks.kubernetes.pss.host_probes import HostProbesAndHostLifecycle
from stockade.checks.kubernetes.pss.privilege_escalation import AllowPrivilegeEscalation
from stockade.checks.kubernetes.pss.privileged import Privileged
from stockade.checks.kubernetes.pss.proc_mount import ProcMountBaseline, ProcMountRestricted
from stockade.checks.kubernetes.pss.run_as import RunAsNonRoot, RunAsUser
from stockade.checks.kubernetes.pss.seccomp import SeccompBaseline, SeccompRestricted
from stockade.checks.kubernetes.pss.selinux import SELinux
from stockade.checks.kubernetes.pss.sysctls import Sysctls
from stockade.checks.kubernetes.pss.volumes import HostPathVolumes, RestrictedVolumes
from stockade.checks.kubernetes.pss.windows_host_process import WindowsHostProcess

__all__ = [
    "BASELINE",
    "CHECKS",
    "LATEST",
    "LEVELS",
    "RESTRICTED",
    "VERSIONS",
    "PSSCheck",
    "checks_for",
    "parse_version",
]

LEVELS = ("baseline", "restricted")
LATEST = version_name(LATEST_MINOR)

#: in id order
BASELINE: tuple[type[PSSCheck], ...] = (
    HostNamespaces,
    Privileged,
    CapabilitiesBaseline,
    HostPathVolumes,
    HostPorts,
    AppArmor,
    SELinux,
    ProcMountBaseline,
    SeccompBaseline,
    Sysctls,
    WindowsHostProcess,
    HostProbesAndHostLifecycle,
)
RESTRICTED: tuple[type[PSSCheck], ...] = (
    RestrictedVolumes,
    AllowPrivilegeEscalation,
    RunAsNonRoot,
    RunAsUser,
    SeccompRestricted,
    CapabilitiesRestricted,
    ProcMountRestricted,
)
CHECKS: tuple[type[PSSCheck], ...] = BASELINE + RESTRICTED

#: every policy version at which some check's behaviour changes, oldest first
VERSIONS: tuple[str, ...] = tuple(version_name(m) for m in sorted({m for c in CHECKS for m in c.SINCE}))

_VERSION_RE = re.compile(r"v1\.(0|[1-9][0-9]*)")


def parse_version(version: str) -> int:
    """The minor of ``v1.N`` (``latest`` is :data:`LATEST`); ValueError for anything else."""
    text = version.strip().lower()
    if text == "latest":
        return LATEST_MINOR
    match = _VERSION_RE.fullmatch(text)
    if match is None or int(match.group(1)) > LATEST_MINOR:
        raise ValueError(
            f"unknown Pod Security Standards version {version!r}: expected 'latest' or v1.0 … {LATEST} "
            f"(rules change at {', '.join(VERSIONS)})"
        )
    return int(match.group(1))


def checks_for(level: str, version: str = LATEST) -> list[PSSCheck]:
    """The checks of ``level`` at policy ``version``, instantiated; restricted includes baseline."""
    name = level.strip().lower()
    if name not in LEVELS:
        raise ValueError(
            f"unknown Pod Security Standards level {level!r}: expected one of {', '.join(LEVELS)}"
        )
    minor = parse_version(version)
    baseline = [c for c in BASELINE if c.applies_at(minor)]
    if name == "baseline":
        return [c(minor) for c in baseline]
    restricted = [c for c in RESTRICTED if c.applies_at(minor)]
    overridden = {o for c in restricted for o in c.OVERRIDES}
    return [c(minor) for c in (*baseline, *restricted) if c.UPSTREAM_ID not in overridden]
