"""PSS restricted "Privilege Escalation" (upstream ``allowPrivilegeEscalation``, policy v1.8+, v1.25+).

Every container, init container and ephemeral container must set
``securityContext.allowPrivilegeEscalation: false`` explicitly (unset counts as true).  From v1.25 a pod
with ``spec.os.name: windows`` is exempt.
"""

from __future__ import annotations

from collections.abc import Iterator

from stockade.checks.interface import Violation
from stockade.checks.kubernetes.pss._base import Pod, PSSCheck
from stockade.model.severity import Severity


class AllowPrivilegeEscalation(PSSCheck):
    ID = "STK-PSS-0014"
    SEVERITY = Severity.MEDIUM
    TITLE = "Container allows privilege escalation"
    RATIONALE = (
        "Unless allowPrivilegeEscalation is false, a process can gain more privileges than its parent "
        "(set-user-ID binaries, file capabilities); no_new_privs is only set when it is false."
    )
    REMEDIATION = "Set securityContext.allowPrivilegeEscalation: false in every container."
    LEVEL = "restricted"
    CONTROL = "Privilege Escalation"
    UPSTREAM_ID = "allowPrivilegeEscalation"
    SINCE = (8, 25)

    def check_pod(self, pod: Pod) -> Iterator[Violation]:
        if self.version >= 25 and pod.is_windows:
            return
        for c in pod.containers:
            value = c.sc.get("allowPrivilegeEscalation") if c.sc is not None else None
            if value is False:
                continue
            now = "true" if value is True else "unset"
            yield self.violation(
                f'container "{c.name}" must set securityContext.allowPrivilegeEscalation=false (it is {now})',
                c.sc_path("allowPrivilegeEscalation"),
            )
