"""PSS "Capabilities", baseline (upstream ``capabilities_baseline``, v1.0+) and restricted
(``capabilities_restricted``, v1.22+, Windows pods exempt from v1.25).

Baseline: every ``securityContext.capabilities.add`` entry must be in the allowlist below (exact,
case-sensitive: ``chown`` and ``CAP_CHOWN`` are not ``CHOWN``).  Restricted: every container must list
``ALL`` in ``capabilities.drop`` and may add only ``NET_BIND_SERVICE``; it replaces the baseline check at
the restricted level (upstream ``OverrideCheckIDs``).  From v1.25 a pod with ``spec.os.name: windows`` is
exempt from the restricted check (and, since that check overrides the baseline one, from both).
"""

from __future__ import annotations

from collections.abc import Iterator

from stockade.checks.interface import Violation
from stockade.checks.kubernetes.pss._base import Pod, PSSCheck, mapping, strings
from stockade.model.severity import Severity

#: check_capabilities_baseline.go, capabilities_allowed_1_0 (unchanged through v1.37)
BASELINE_ALLOWED = frozenset(
    {
        "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE",
        "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
    }
)  # fmt: skip
_BASELINE_LIST = ", ".join(sorted(BASELINE_ALLOWED))


class CapabilitiesBaseline(PSSCheck):
    ID = "STK-PSS-0003"
    SEVERITY = Severity.MEDIUM
    TITLE = "Container adds a capability outside the baseline set"
    RATIONALE = (
        "Capabilities beyond the container runtime's default set (such as NET_RAW, SYS_ADMIN, SYS_PTRACE) "
        "give a container kernel privileges that help an attacker escape or attack the node and its "
        "neighbours."
    )
    REMEDIATION = f"Only add capabilities from the baseline set: {_BASELINE_LIST}."
    LEVEL = "baseline"
    CONTROL = "Capabilities"
    UPSTREAM_ID = "capabilities_baseline"

    def check_pod(self, pod: Pod) -> Iterator[Violation]:
        for c in pod.containers:
            for i, cap in strings(mapping(c.sc, "capabilities"), "add"):
                if cap not in BASELINE_ALLOWED:
                    yield self.violation(
                        f'container "{c.name}" adds capability "{cap}"; allowed: {_BASELINE_LIST}',
                        c.at("securityContext", "capabilities", "add", i),
                        cap,
                    )


class CapabilitiesRestricted(PSSCheck):
    ID = "STK-PSS-0018"
    SEVERITY = Severity.MEDIUM
    TITLE = "Container does not drop ALL capabilities or adds one other than NET_BIND_SERVICE"
    RATIONALE = (
        "Running with no capabilities beyond NET_BIND_SERVICE limits what a compromised process can do "
        "with the kernel."
    )
    REMEDIATION = (
        'Set securityContext.capabilities.drop: ["ALL"] in every container and add back at most '
        "NET_BIND_SERVICE."
    )
    LEVEL = "restricted"
    CONTROL = "Capabilities"
    UPSTREAM_ID = "capabilities_restricted"
    SINCE = (22, 25)
    OVERRIDES = ("capabilities_baseline",)

    def check_pod(self, pod: Pod) -> Iterator[Violation]:
        if self.version >= 25 and pod.is_windows:
            return
        for c in pod.containers:
            caps = mapping(c.sc, "capabilities")
            if not any(cap == "ALL" for _, cap in strings(caps, "drop")):
                yield self.violation(
                    f'container "{c.name}" must set securityContext.capabilities.drop=["ALL"]',
                    c.sc_path("capabilities", "drop"),
                )
            for i, cap in strings(caps, "add"):
                if cap != "NET_BIND_SERVICE":
                    yield self.violation(
                        f'container "{c.name}" adds capability "{cap}"; allowed: only NET_BIND_SERVICE',
                        c.at("securityContext", "capabilities", "add", i),
                        cap,
                    )
