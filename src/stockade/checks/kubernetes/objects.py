"""Kubernetes objects read from manifests, and the pod template inside each workload kind.

An object keeps its document's position index, so a check can point at the exact line of the field it
objects to.  ``List`` (and ``*List``) objects are expanded into their items.  The pod spec of each kind
that carries one (Kubernetes API reference, apps/v1, batch/v1):

    Pod                                            spec
    Deployment, StatefulSet, DaemonSet, ReplicaSet,
    ReplicationController, Job                     spec.template.spec      (metadata: spec.template.metadata)
    CronJob                                        spec.jobTemplate.spec.template.spec
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from stockade.model.fastinit import faster_init
from stockade.target.manifests import Document, Path

POD_SPEC_PATHS: dict[str, Path] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
CONTAINER_FIELDS = ("initContainers", "containers", "ephemeralContainers")
ORIGIN_ANNOTATION = "config.kubernetes.io/origin"


@faster_init
@dataclass(frozen=True, slots=True)
class K8sObject:
    kind: str
    api_version: str
    name: str
    namespace: str | None
    data: dict[str, Any]
    document: Document
    prefix: Path = ()  # where the object sits in its document (``("items", 3)`` inside a List)
    labels: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    annotations: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    #: the pod spec and containers, found once for the fifty-odd checks that ask (the data is not changed)
    _memo: dict[str, Any] = field(default_factory=dict, hash=False, compare=False, repr=False)

    @property
    def path(self) -> str:
        return self.document.path

    @property
    def line(self) -> int:
        return self.document.line_of(self.prefix) if self.prefix else self.document.line

    def line_of(self, path: Path) -> int:
        return self.document.line_of((*self.prefix, *path))

    @property
    def rendered_from(self) -> str | None:
        """The template or source file a renderer says the object came from: helm's ``# Source:``
        comment, or kustomize's ``config.kubernetes.io/origin`` annotation (written by ``kustomize
        build`` when the kustomization sets ``buildMetadata: [originAnnotations]``)."""
        origin = self.annotations.get(ORIGIN_ANNOTATION)
        if origin:
            pairs = (line.partition(":") for line in origin.splitlines())
            fields = {k.strip(): v.strip() for k, sep, v in pairs if sep}
            where = fields.get("path") or fields.get("configuredIn")
            if where:
                repo = fields.get("repo")
                return f"{repo}//{where}" if repo else where
        return self.document.source if not self.prefix else None

    def display(self) -> str:
        ns = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {ns}{self.name}"

    # -- the pod template ------------------------------------------------------------------------------
    @property
    def pod_spec_path(self) -> Path | None:
        return POD_SPEC_PATHS.get(self.kind)

    def pod_spec(self) -> dict[str, Any] | None:
        try:
            spec: dict[str, Any] | None = self._memo["spec"]
        except KeyError:
            path = self.pod_spec_path
            spec = self._memo["spec"] = get_dict(self.data, path) if path is not None else None
        return spec

    def pod_metadata(self) -> dict[str, Any]:
        """The pod's own metadata (the template's, for controllers)."""
        path = self.pod_spec_path
        if path is None:
            return {}
        return get_dict(self.data, (*path[:-1], "metadata")) or {}

    def containers(self) -> Iterator[tuple[Path, dict[str, Any]]]:
        """``(path, container)`` for initContainers, containers and ephemeralContainers, in that order."""
        try:
            found: list[tuple[Path, dict[str, Any]]] = self._memo["containers"]
        except KeyError:
            found = self._memo["containers"] = list(self._containers())
        return iter(found)

    def _containers(self) -> Iterator[tuple[Path, dict[str, Any]]]:
        spec_path = self.pod_spec_path
        spec = self.pod_spec()
        if spec_path is None or spec is None:
            return
        for list_field in CONTAINER_FIELDS:
            items = spec.get(list_field)
            if not isinstance(items, list):
                continue
            for i, container in enumerate(items):
                if isinstance(container, dict):
                    yield (*spec_path, list_field, i), container


def get(data: Any, path: Path) -> Any:
    """``data[path[0]][path[1]]…``, or None where a step is missing or of the wrong type."""
    for step in path:
        if isinstance(step, int):
            if not isinstance(data, list) or step >= len(data):
                return None
        elif not isinstance(data, dict):
            return None
        data = data[step] if isinstance(step, int) else data.get(step)
    return data


def get_dict(data: Any, path: Path) -> dict[str, Any] | None:
    value = get(data, path)
    return value if isinstance(value, dict) else None


def _str_map(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items()}


def objects_of(document: Document) -> Iterator[K8sObject]:
    """The Kubernetes objects in a document: the document itself, or the items of a List."""
    yield from _objects(document, document.data, ())


def _objects(document: Document, data: Any, prefix: Path) -> Iterator[K8sObject]:
    if not isinstance(data, dict):
        return
    kind = data.get("kind")
    if not isinstance(kind, str) or not kind:
        return
    if kind == "List" or (kind.endswith("List") and isinstance(data.get("items"), list)):
        for i, item in enumerate(data.get("items") or []):
            yield from _objects(document, item, (*prefix, "items", i))
        return
    meta: dict[str, Any] = get_dict(data, ("metadata",)) or {}
    namespace = meta.get("namespace")
    yield K8sObject(
        kind=kind,
        api_version=str(data.get("apiVersion", "")),
        name=str(meta.get("name") or meta.get("generateName") or "<unnamed>"),
        namespace=str(namespace) if namespace else None,
        data=data,
        document=document,
        prefix=prefix,
        labels=_str_map(meta.get("labels")),
        annotations=_str_map(meta.get("annotations")),
    )
