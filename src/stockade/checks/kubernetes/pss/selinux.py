"""PSS baseline "SELinux" (upstream ``seLinuxOptions``, policy v1.0+, v1.31+).

In ``seLinuxOptions`` at pod level and in every container: ``type`` must be unset/empty or one of the
allowed types (``container_t``, ``container_init_t``, ``container_kvm_t``; from v1.31 also
``container_engine_t``); ``user`` and ``role`` must be unset or empty.  ``level`` is not restricted.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from stockade.checks.interface import Path, Violation
from stockade.checks.kubernetes.pss._base import Pod, PSSCheck, mapping
from stockade.model.severity import Severity

TYPES_1_0 = frozenset({"", "container_t", "container_init_t", "container_kvm_t"})
TYPES_1_31 = TYPES_1_0 | {"container_engine_t"}


def _text(opts: dict[str, Any], key: str) -> str:
    value = opts.get(key)
    return value if isinstance(value, str) else ""


class SELinux(PSSCheck):
    ID = "STK-PSS-0007"
    SEVERITY = Severity.MEDIUM
    TITLE = "Custom SELinux type, user or role"
    RATIONALE = (
        "Setting an SELinux type outside the container types, or any SELinux user or role, can run the "
        "container in a less confined (or unconfined) SELinux domain."
    )
    REMEDIATION = (
        "Remove seLinuxOptions.user and seLinuxOptions.role; leave seLinuxOptions.type unset or use "
        "container_t, container_init_t, container_kvm_t or container_engine_t."
    )
    LEVEL = "baseline"
    CONTROL = "SELinux"
    UPSTREAM_ID = "seLinuxOptions"
    SINCE = (0, 31)

    def check_pod(self, pod: Pod) -> Iterator[Violation]:
        yield from self._options("pod", pod.sc_at("seLinuxOptions"), mapping(pod.sc, "seLinuxOptions"))
        for c in pod.containers:
            yield from self._options(
                f'container "{c.name}"',
                c.at("securityContext", "seLinuxOptions"),
                mapping(c.sc, "seLinuxOptions"),
            )

    def _options(self, who: str, base: Path, opts: dict[str, Any] | None) -> Iterator[Violation]:
        if opts is None:
            return
        types = TYPES_1_31 if self.version >= 31 else TYPES_1_0
        se_type = _text(opts, "type")
        if se_type not in types:
            allowed = ", ".join(sorted(t for t in types if t))
            yield self.violation(
                f'{who} sets seLinuxOptions.type="{se_type}"; allowed: {allowed} or unset',
                (*base, "type"),
                se_type,
            )
        for key in ("user", "role"):
            value = _text(opts, key)
            if value:
                yield self.violation(
                    f'{who} sets seLinuxOptions.{key}="{value}"; allowed: unset or empty',
                    (*base, key),
                    value,
                )
