"""PSS "/proc Mount Type", baseline (upstream ``procMount``, v1.0+, v1.35+) and restricted
(``procMount_restricted``, v1.35+, overrides ``procMount`` at the restricted level).

``securityContext.procMount`` must be unset or ``Default`` in every container.  From policy v1.35 the
baseline check allows any value for a pod in a user namespace (``spec.hostUsers: false``; KEP-127); the
restricted level keeps the strict rule for every pod.  Before v1.35 upstream relaxed the rule only behind
the alpha ``UserNamespacesPodSecurityStandards`` feature gate (off by default, removed in 1.35); that gate
is not modelled: those versions are strict, as on a default cluster.
"""

from __future__ import annotations

from collections.abc import Iterator

from stockade.checks.interface import Violation
from stockade.checks.kubernetes.pss._base import Pod, PSSCheck
from stockade.model.severity import Severity

_RATIONALE = (
    "The default /proc mask hides kernel and host information (and writable kernel knobs) from the "
    "container; an Unmasked /proc exposes them."
)
_REMEDIATION = "Remove securityContext.procMount, or set it to Default."


def _unmasked(check: PSSCheck, pod: Pod) -> Iterator[Violation]:
    for c in pod.containers:
        value = c.sc.get("procMount") if c.sc is not None else None
        if isinstance(value, str) and value != "Default":
            yield check.violation(
                f'container "{c.name}" sets securityContext.procMount="{value}"; allowed: Default or unset',
                c.at("securityContext", "procMount"),
                value,
            )


class ProcMountBaseline(PSSCheck):
    ID = "STK-PSS-0008"
    SEVERITY = Severity.MEDIUM
    TITLE = "Container unmasks /proc"
    RATIONALE = _RATIONALE
    REMEDIATION = _REMEDIATION + " (From PSS v1.35, baseline allows it for pods with hostUsers: false.)"
    LEVEL = "baseline"
    CONTROL = "/proc Mount Type"
    UPSTREAM_ID = "procMount"
    SINCE = (0, 35)

    def check_pod(self, pod: Pod) -> Iterator[Violation]:
        if self.version >= 35 and pod.user_namespace:
            return
        yield from _unmasked(self, pod)


class ProcMountRestricted(PSSCheck):
    ID = "STK-PSS-0019"
    SEVERITY = Severity.MEDIUM
    TITLE = "Container unmasks /proc (restricted, user namespaces included)"
    RATIONALE = _RATIONALE
    REMEDIATION = _REMEDIATION
    LEVEL = "restricted"
    CONTROL = "/proc Mount Type"
    UPSTREAM_ID = "procMount_restricted"
    SINCE = (35,)
    OVERRIDES = ("procMount",)

    def check_pod(self, pod: Pod) -> Iterator[Violation]:
        yield from _unmasked(self, pod)
