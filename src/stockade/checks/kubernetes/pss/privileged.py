"""PSS baseline "Privileged Containers" (upstream ``privileged``, policy v1.0+).

``securityContext.privileged`` must be unset or ``false`` in every container, init container and
ephemeral container.
"""

from __future__ import annotations

from collections.abc import Iterator

from stockade.checks.interface import Violation
from stockade.checks.kubernetes.pss._base import Pod, PSSCheck
from stockade.model.severity import Severity


class Privileged(PSSCheck):
    ID = "STK-PSS-0002"
    SEVERITY = Severity.HIGH
    TITLE = "Privileged container"
    RATIONALE = (
        "A privileged container has every capability and access to all host devices; it can take over "
        "the node."
    )
    REMEDIATION = "Remove securityContext.privileged, or set it to false."
    LEVEL = "baseline"
    CONTROL = "Privileged Containers"
    UPSTREAM_ID = "privileged"

    def check_pod(self, pod: Pod) -> Iterator[Violation]:
        for c in pod.containers:
            if c.sc is not None and c.sc.get("privileged") is True:
                yield self.violation(
                    f'container "{c.name}" sets securityContext.privileged=true; allowed: false or unset',
                    c.at("securityContext", "privileged"),
                    "privileged: true",
                )
