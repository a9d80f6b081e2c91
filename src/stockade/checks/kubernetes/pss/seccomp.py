"""PSS "Seccomp", baseline (upstream ``seccompProfile_baseline``, v1.0+, v1.19+) and restricted
(``seccompProfile_restricted``, v1.19+, v1.25+; overrides the baseline check at the restricted level).

Baseline, v1.0-v1.18: the alpha annotations ``seccomp.security.alpha.kubernetes.io/pod`` and
``container.seccomp.security.alpha.kubernetes.io/<container>`` (for the pod's containers), when present,
must be ``runtime/default``, ``docker/default`` or ``localhost/*``.  Baseline, v1.19+: the field
``securityContext.seccompProfile.type``, when a ``seccompProfile`` is set at pod or container level, must
be ``RuntimeDefault`` or ``Localhost`` (``Unconfined`` is forbidden).  The annotations are not looked at
from v1.19.

Restricted, v1.19+: a set ``seccompProfile`` must have an allowed type wherever it is set, and every
container must be covered: by its own ``seccompProfile`` or by a valid pod-level one (a container's own
setting overrides the pod's).  From v1.25 a pod with ``spec.os.name: windows`` is exempt.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from stockade.checks.interface import Path, Violation
from stockade.checks.kubernetes.pss._base import Pod, PSSCheck, mapping
from stockade.model.severity import Severity

ANNOTATION_POD = "seccomp.security.alpha.kubernetes.io/pod"
ANNOTATION_CONTAINER_PREFIX = "container.seccomp.security.alpha.kubernetes.io/"
ALLOWED_TYPES = ("RuntimeDefault", "Localhost")
_ALLOWED = "allowed: RuntimeDefault or Localhost"


def valid_annotation(value: str) -> bool:
    return value in ("runtime/default", "docker/default") or value.startswith("localhost/")


def _type(profile: dict[str, Any]) -> str:
    value = profile.get("type")
    return value if isinstance(value, str) else ""


def _type_path(base: Path, profile: dict[str, Any]) -> Path:
    return (*base, "type") if "type" in profile else base


class SeccompBaseline(PSSCheck):
    ID = "STK-PSS-0009"
    SEVERITY = Severity.MEDIUM
    TITLE = "Seccomp profile set to Unconfined"
    RATIONALE = (
        "Seccomp filters the system calls a container may make; an Unconfined profile exposes the whole "
        "kernel system call surface to the container."
    )
    REMEDIATION = "Leave seccompProfile unset or set its type to RuntimeDefault or Localhost."
    LEVEL = "baseline"
    CONTROL = "Seccomp"
    UPSTREAM_ID = "seccompProfile_baseline"
    SINCE = (0, 19)

    def check_pod(self, pod: Pod) -> Iterator[Violation]:
        if self.version < 19:
            yield from self._annotations(pod)
            return
        profile = mapping(pod.sc, "seccompProfile")
        if profile is not None and _type(profile) not in ALLOWED_TYPES:
            yield self.violation(
                f'pod sets securityContext.seccompProfile.type="{_type(profile)}"; {_ALLOWED} or unset',
                _type_path(pod.sc_at("seccompProfile"), profile),
                _type(profile),
            )
        for c in pod.containers:
            profile = mapping(c.sc, "seccompProfile")
            if profile is not None and _type(profile) not in ALLOWED_TYPES:
                yield self.violation(
                    f'container "{c.name}" sets securityContext.seccompProfile.type="{_type(profile)}"; '
                    f"{_ALLOWED} or unset",
                    _type_path(c.at("securityContext", "seccompProfile"), profile),
                    _type(profile),
                )

    def _annotations(self, pod: Pod) -> Iterator[Violation]:
        keys = [ANNOTATION_POD, *(ANNOTATION_CONTAINER_PREFIX + c.name for c in pod.containers)]
        for key in dict.fromkeys(keys):
            if key not in pod.annotations:
                continue
            value = pod.annotations[key]
            text = "" if value is None else value
            if isinstance(text, str) and not valid_annotation(text):
                yield self.violation(
                    f'annotation {key}="{text}" is forbidden; allowed: runtime/default, docker/default, '
                    "localhost/*",
                    (*pod.meta_path, "annotations", key),
                    f"{key}: {text}",
                )


class SeccompRestricted(PSSCheck):
    ID = "STK-PSS-0017"
    SEVERITY = Severity.MEDIUM
    TITLE = "Seccomp profile not set to RuntimeDefault or Localhost"
    RATIONALE = (
        "Without a seccomp profile most runtimes run containers Unconfined; the restricted standard "
        "requires every container to run under the runtime's default or a node-local profile."
    )
    REMEDIATION = (
        "Set spec.securityContext.seccompProfile.type: RuntimeDefault (or Localhost), or set it in every "
        "container."
    )
    LEVEL = "restricted"
    CONTROL = "Seccomp"
    UPSTREAM_ID = "seccompProfile_restricted"
    SINCE = (19, 25)
    OVERRIDES = ("seccompProfile_baseline",)

    def check_pod(self, pod: Pod) -> Iterator[Violation]:
        if self.version >= 25 and pod.is_windows:
            return
        pod_set = False
        profile = mapping(pod.sc, "seccompProfile")
        if profile is not None:
            if _type(profile) in ALLOWED_TYPES:
                pod_set = True
            else:
                yield self.violation(
                    f'pod sets securityContext.seccompProfile.type="{_type(profile)}"; {_ALLOWED}',
                    _type_path(pod.sc_at("seccompProfile"), profile),
                    _type(profile),
                )
        for c in pod.containers:
            profile = mapping(c.sc, "seccompProfile")
            if profile is not None:
                if _type(profile) not in ALLOWED_TYPES:
                    yield self.violation(
                        f'container "{c.name}" sets securityContext.seccompProfile.type="{_type(profile)}"; '
                        f"{_ALLOWED}",
                        _type_path(c.at("securityContext", "seccompProfile"), profile),
                        _type(profile),
                    )
            elif not pod_set:
                yield self.violation(
                    f'pod or container "{c.name}" must set securityContext.seccompProfile.type to '
                    '"RuntimeDefault" or "Localhost"',
                    c.sc_path("seccompProfile"),
                )
