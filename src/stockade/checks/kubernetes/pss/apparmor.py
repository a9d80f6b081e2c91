"""PSS baseline "AppArmor" (upstream ``appArmorProfile``, policy v1.0+).

Two channels, both checked at every policy version (upstream has one ``VersionedCheck`` at v1.0; the
field check was added to it in Kubernetes 1.30):

* the field ``securityContext.appArmorProfile.type`` at pod level and in every container: when the
  ``appArmorProfile`` is set its type must be ``RuntimeDefault`` or ``Localhost`` (``Unconfined`` and
  anything else are forbidden);
* the deprecated annotations ``container.apparmor.security.beta.kubernetes.io/<container>`` on the pod
  (the template's metadata for controllers): the value must be empty, ``runtime/default`` or start with
  ``localhost/``.  Every annotation with the prefix is checked, whether or not the container exists.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from stockade.checks.interface import Path, Violation
from stockade.checks.kubernetes.pss._base import Pod, PSSCheck, mapping
from stockade.model.severity import Severity

ANNOTATION_PREFIX = "container.apparmor.security.beta.kubernetes.io/"
ALLOWED_TYPES = ("RuntimeDefault", "Localhost")


def allowed_annotation(value: str) -> bool:
    return value == "" or value == "runtime/default" or value.startswith("localhost/")


class AppArmor(PSSCheck):
    ID = "STK-PSS-0006"
    SEVERITY = Severity.MEDIUM
    TITLE = "AppArmor profile disabled or overridden"
    RATIONALE = (
        "On hosts that support it the runtime's default AppArmor profile confines the container; "
        "running Unconfined removes that mandatory access control layer."
    )
    REMEDIATION = (
        "Leave appArmorProfile unset, or set its type to RuntimeDefault or Localhost; remove "
        "'unconfined' container.apparmor.security.beta.kubernetes.io annotations."
    )
    LEVEL = "baseline"
    CONTROL = "AppArmor"
    UPSTREAM_ID = "appArmorProfile"

    def check_pod(self, pod: Pod) -> Iterator[Violation]:
        allowed = "allowed: RuntimeDefault, Localhost or unset"
        profile = mapping(pod.sc, "appArmorProfile")
        if profile is not None and profile.get("type") not in ALLOWED_TYPES:
            yield self.violation(
                f"pod sets securityContext.appArmorProfile.type={_show(profile)}; {allowed}",
                _type_path(pod.sc_at("appArmorProfile"), profile),
            )
        for c in pod.containers:
            profile = mapping(c.sc, "appArmorProfile")
            if profile is not None and profile.get("type") not in ALLOWED_TYPES:
                yield self.violation(
                    f'container "{c.name}" sets securityContext.appArmorProfile.type={_show(profile)}; '
                    f"{allowed}",
                    _type_path(c.at("securityContext", "appArmorProfile"), profile),
                )
        for key, value in pod.annotations.items():
            if not isinstance(key, str) or not key.startswith(ANNOTATION_PREFIX):
                continue
            text = "" if value is None else value
            if isinstance(text, str) and not allowed_annotation(text):
                yield self.violation(
                    f'annotation {key}="{text}" is forbidden; allowed: runtime/default, localhost/* or empty',
                    (*pod.meta_path, "annotations", key),
                    f"{key}: {text}",
                )


def _show(profile: dict[str, Any]) -> str:
    value = profile.get("type")
    return f'"{value}"' if isinstance(value, str) else "(unset)"


def _type_path(base: Path, profile: dict[str, Any]) -> Path:
    return (*base, "type") if "type" in profile else base
