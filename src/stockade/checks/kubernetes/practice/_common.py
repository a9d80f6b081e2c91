"""What the best-practice checks share: base classes that walk pod specs and containers, small accessors
that treat a field of the wrong type as absent, and the reference texts.

A check never raises on odd input.  The accessors here return an empty mapping / list / ``None`` where a
manifest has a scalar in place of a mapping (``securityContext: null``, ``env: {}``, ``containers: "x"``),
and every membership test is guarded by an ``isinstance(…, str)`` (a list used as a set key would raise).
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable, Iterator
from typing import Any, ClassVar

from stockade.checks.interface import Path, Violation
from stockade.checks.kubernetes.check import K8sCheck
from stockade.checks.kubernetes.objects import CONTAINER_FIELDS, K8sObject

#: kinds whose pods run to completion: probes and restarts are not about them
BATCH_KINDS: frozenset[str] = frozenset({"Job", "CronJob"})

_EMPTY: dict[str, Any] = {}  # returned for absent mappings; never mutated
_ROLE = {
    "initContainers": "init container",
    "containers": "container",
    "ephemeralContainers": "ephemeral container",
}

K8S = "https://kubernetes.io/docs"
PSS_DOC = f"{K8S}/concepts/security/pod-security-standards/"
SECURITY_CONTEXT_DOC = f"{K8S}/tasks/configure-pod-container/security-context/"
NSA_URL = "https://media.defense.gov/2022/Aug/29/2003066362/-1/-1/0/CTR_KUBERNETES_HARDENING_GUIDANCE_1.2_20220829.PDF"


def cis(section: str, title: str) -> str:
    """A CIS Kubernetes Benchmark (v1.9.0, section 5 "Policies") reference."""
    return f"CIS Kubernetes Benchmark v1.9.0, {section} {title}"


def nsa(section: str) -> str:
    """A reference to a section of the NSA/CISA Kubernetes Hardening Guidance, version 1.2 (August 2022)."""
    return f"NSA/CISA Kubernetes Hardening Guidance v1.2, {section} ({NSA_URL})"


# -- accessors ---------------------------------------------------------------------------------------------
def sub(data: dict[str, Any], key: str) -> dict[str, Any]:
    """``data[key]`` when it is a mapping, else an empty one."""
    value = data.get(key)
    return value if isinstance(value, dict) else _EMPTY


def items(data: dict[str, Any], key: str) -> list[Any]:
    """``data[key]`` when it is a list, else an empty one."""
    value = data.get(key)
    return value if isinstance(value, list) else []


def is_set(value: Any) -> bool:
    """A quantity or string that is present: not None, not an empty string, not a mapping or list."""
    if value is None or isinstance(value, (dict, list)):
        return False
    return not (isinstance(value, str) and not value.strip())


def is_windows(spec: dict[str, Any]) -> bool:
    """``spec.os.name: windows``: Linux-only fields (capabilities, procMount ...) do not apply."""
    return sub(spec, "os").get("name") == "windows"


def label(path: Path, container: dict[str, Any]) -> str:
    """``container 'web'``, ``init container 'migrate'``; the list index when the name is missing."""
    role = _ROLE.get(str(path[-2]), "container") if len(path) >= 2 else "container"
    name = container.get("name")
    if not isinstance(name, str) or not name:
        name = f"#{path[-1]}"
    return f"{role} '{name}'"


def container_names(spec: dict[str, Any]) -> list[str]:
    names = []
    for list_field in CONTAINER_FIELDS:
        for container in items(spec, list_field):
            if isinstance(container, dict):
                name = container.get("name")
                if isinstance(name, str) and name:
                    names.append(name)
    return names


def quote_names(names: Iterable[str]) -> str:
    return ", ".join(f"'{n}'" for n in names)


# -- base classes ------------------------------------------------------------------------------------------
class PracticeCheck(K8sCheck):
    """A best-practice check.  ``KINDS`` names the kinds it is about; it never fires on others."""

    def check(self, obj: K8sObject) -> Iterable[Violation]:
        if obj.kind not in self.KINDS:
            return ()
        return self.evaluate(obj)

    @abstractmethod
    def evaluate(self, obj: K8sObject) -> Iterable[Violation]:
        """Violations in an object of one of ``KINDS``."""


class PodSpecCheck(PracticeCheck):
    """A check of the pod spec of a workload (Pod, Deployment, ..., CronJob)."""

    def evaluate(self, obj: K8sObject) -> Iterable[Violation]:
        spec_path = obj.pod_spec_path
        spec = obj.pod_spec()
        if spec_path is None or spec is None:
            return ()
        return self.check_pod(obj, spec_path, spec)

    @abstractmethod
    def check_pod(self, obj: K8sObject, spec_path: Path, spec: dict[str, Any]) -> Iterable[Violation]:
        """Violations in the pod spec at ``spec_path``."""


class ContainerCheck(PracticeCheck):
    """A check of each container of a workload.  ``FIELDS`` limits it to some of initContainers,
    containers and ephemeralContainers; ``LINUX_ONLY`` skips pods with ``spec.os.name: windows``."""

    FIELDS: ClassVar[frozenset[str]] = frozenset(CONTAINER_FIELDS)
    LINUX_ONLY: ClassVar[bool] = False

    def evaluate(self, obj: K8sObject) -> Iterator[Violation]:
        spec = obj.pod_spec()
        if spec is None or (self.LINUX_ONLY and is_windows(spec)):
            return
        fields = self.FIELDS
        for path, container in obj.containers():
            if path[-2] in fields:
                yield from self.check_container(spec, path, container)

    @abstractmethod
    def check_container(
        self, spec: dict[str, Any], path: Path, container: dict[str, Any]
    ) -> Iterable[Violation]:
        """Violations in one container (``path`` points at it)."""
