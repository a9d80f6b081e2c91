"""What every Pod Security Standards check shares: level, control, upstream id, versions, the pod view.

A check is instantiated for one policy version (the minor of ``v1.N``) and behaves as the upstream
``VersionedCheck`` with the highest ``MinimumVersion`` at or below it (k8s.io/pod-security-admission,
``policy/registry.go``: ``inflateVersions``).  The data is the manifest as written, so the rules the API
server's decoding would apply are applied here: a field of the wrong type is absent, ``null`` is absent.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from stockade.checks.interface import Path, Violation
from stockade.checks.kubernetes.check import K8sCheck
from stockade.checks.kubernetes.objects import K8sObject, get_dict

PSS_URL = "https://kubernetes.io/docs/concepts/security/pod-security-standards/"
UPSTREAM_URL = (
    "https://github.com/kubernetes/kubernetes/tree/master/staging/src/k8s.io/pod-security-admission/policy"
)
#: the newest policy version whose rules are known here (``v1.37``)
LATEST_MINOR = 37


def version_name(minor: int) -> str:
    return f"v1.{minor}"


def quote(items: Iterable[str]) -> str:
    return ", ".join(f'"{i}"' for i in items)


@dataclass(frozen=True, slots=True)
class Container:
    path: Path  # from the object root: ("spec", "containers", 0)
    data: dict[str, Any]
    name: str
    sc: dict[str, Any] | None  # its securityContext, when it is a mapping

    def at(self, *steps: str | int) -> Path:
        return (*self.path, *steps)

    def sc_path(self, *steps: str | int) -> Path:
        """The deepest existing step towards ``securityContext.<steps>`` (for "must set" messages)."""
        if self.sc is None:
            return self.path
        node: Any = self.sc
        out: Path = (*self.path, "securityContext")
        for step in steps:
            if not isinstance(node, dict) or step not in node:
                break
            node = node[step]
            out = (*out, step)
        return out


@dataclass(frozen=True, slots=True)
class Pod:
    """The pod template of a workload object, with the paths of its parts."""

    spec: dict[str, Any]
    spec_path: Path
    meta_path: Path
    annotations: dict[str, Any]
    containers: list[Container] = field(default_factory=list)

    @classmethod
    def of(cls, obj: K8sObject) -> Pod | None:
        """The pod of ``obj``; the last one built is reused, as every check of a level looks at the same
        object in turn."""
        global _LAST
        last = _LAST  # one read: (object, pod) stay paired even with threads
        if last[0] is obj:
            return last[1]
        pod = cls._build(obj)
        _LAST = (obj, pod)
        return pod

    @classmethod
    def _build(cls, obj: K8sObject) -> Pod | None:
        spec_path = obj.pod_spec_path
        spec = obj.pod_spec()
        if spec_path is None or spec is None:
            return None
        annotations = get_dict(obj.pod_metadata(), ("annotations",)) or {}
        containers = []
        for path, data in obj.containers():
            name = data.get("name")
            sc = data.get("securityContext")
            containers.append(
                Container(
                    path, data, name if isinstance(name, str) else "", sc if isinstance(sc, dict) else None
                )
            )
        return cls(spec, spec_path, (*spec_path[:-1], "metadata"), annotations, containers)

    @property
    def sc(self) -> dict[str, Any] | None:
        sc = self.spec.get("securityContext")
        return sc if isinstance(sc, dict) else None

    def at(self, *steps: str | int) -> Path:
        return (*self.spec_path, *steps)

    def sc_at(self, *steps: str | int) -> Path:
        return (*self.spec_path, "securityContext", *steps)

    @property
    def is_windows(self) -> bool:
        """``spec.os.name: windows`` (upstream: ``podSpec.OS.Name == corev1.Windows``)."""
        os_ = self.spec.get("os")
        return isinstance(os_, dict) and os_.get("name") == "windows"

    @property
    def user_namespace(self) -> bool:
        """``spec.hostUsers: false`` (upstream ``relaxPolicyForUserNamespacePod``)."""
        return self.spec.get("hostUsers") is False


_LAST: tuple[object, Pod | None] = (None, None)


def mapping(data: dict[str, Any] | None, key: str) -> dict[str, Any] | None:
    if data is None:
        return None
    value = data.get(key)
    return value if isinstance(value, dict) else None


def strings(data: dict[str, Any] | None, key: str) -> Iterator[tuple[int, str]]:
    """``(index, item)`` for the string items of the list ``data[key]``."""
    items = data.get(key) if data is not None else None
    if isinstance(items, list):
        for i, item in enumerate(items):
            if isinstance(item, str):
                yield i, item


def int_value(data: dict[str, Any] | None, key: str) -> int | None:
    value = data.get(key) if data is not None else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class PSSCheck(K8sCheck):
    """One upstream pod-security-admission check (one PSS control at one level), for the kinds with a pod
    template (``K8sCheck.KINDS``)."""

    LEVEL: ClassVar[str]  # "baseline" | "restricted"
    CONTROL: ClassVar[str]  # the control's name in the Pod Security Standards tables
    UPSTREAM_ID: ClassVar[str]  # the check id in k8s.io/pod-security-admission
    #: minors at which the upstream check has a ``VersionedCheck``; the first is where it starts to apply
    SINCE: ClassVar[tuple[int, ...]] = (0,)
    #: upstream ``OverrideCheckIDs``: baseline checks this restricted check replaces at the restricted level
    OVERRIDES: ClassVar[tuple[str, ...]] = ()
    REFERENCES: ClassVar[tuple[str, ...]] = (PSS_URL, UPSTREAM_URL)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "UPSTREAM_ID" in cls.__dict__:
            cls.NAME = f"kubernetes/pss/{cls.UPSTREAM_ID}"
            # (keys in order: a finding's metadata is written sorted, and made in order it needs no sorting)
            cls.METADATA = {"pss_check": cls.UPSTREAM_ID, "pss_control": cls.CONTROL, "pss_level": cls.LEVEL}

    def __init__(self, version: int = LATEST_MINOR) -> None:
        self.version = version

    @classmethod
    def applies_at(cls, version: int) -> bool:
        return version >= cls.SINCE[0]

    def check(self, obj: K8sObject) -> Iterable[Violation]:
        pod = Pod.of(obj)
        if pod is None:
            return ()
        return list(self.check_pod(pod))

    @abstractmethod
    def check_pod(self, pod: Pod) -> Iterable[Violation]:
        """Violations of this control in ``pod``."""

    def violation(self, message: str, path: Path, evidence: str = "") -> Violation:
        return Violation(
            message, path=path, evidence=evidence, extra={"pss_version": version_name(self.version)}
        )
