"""What exceptions and annotations match a finding on: facts of the Kubernetes object it is about.

A scan takes these facts from every object it checks, so this module is light: the exceptions file's
reader and the matching (:mod:`.apply`) are imported only when there is something to match.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from stockade.checks.kubernetes.objects import K8sObject
from stockade.model.fastinit import faster_init

#: the annotation that suppresses findings on an object (docs/exceptions.md, :mod:`.annotations`)
IGNORE = "stockade.io/ignore"


@faster_init
@dataclass(frozen=True, slots=True)
class ObjectFacts:
    """What exceptions match on: the Kubernetes object a finding is about."""

    kind: str
    name: str
    namespace: str | None
    path: str
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    #: the pod template's annotations, for kinds that have one (empty for a Pod)
    template_annotations: Mapping[str, str] = field(default_factory=dict)
    annotations_line: int | None = None  # line of ``stockade.io/ignore`` (or of the annotations)
    template_annotations_line: int | None = None

    def where(self, line: int | None) -> str:
        return f"{self.path}:{line}" if line is not None else self.path

    def display(self) -> str:
        ns = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {ns}{self.name}"


def facts_of(obj: K8sObject) -> ObjectFacts:
    """The facts of a parsed object: its own metadata and, for controllers, its pod template's."""
    template: Mapping[str, str] = {}
    template_line: int | None = None
    spec_path = obj.pod_spec_path
    if spec_path is not None and len(spec_path) > 1:  # a Pod's "template" is its own metadata
        raw = obj.pod_metadata().get("annotations")
        if isinstance(raw, dict) and raw:
            template = {str(k): str(v) for k, v in raw.items()}
            template_line = obj.line_of((*spec_path[:-1], "metadata", "annotations", IGNORE))
    own_line = obj.line_of(("metadata", "annotations", IGNORE)) if obj.annotations else None
    return ObjectFacts(
        kind=obj.kind,
        name=obj.name,
        namespace=obj.namespace,
        path=obj.path,
        labels=obj.labels,
        annotations=obj.annotations,
        template_annotations=template,
        annotations_line=own_line,
        template_annotations_line=template_line,
    )


def mention_exceptions(objects: Iterable[ObjectFacts]) -> bool:
    """Whether any of ``objects`` has an annotation whose key starts with ``stockade.io/ignore`` (on the
    object or its pod template): without one, and without an exceptions file, a scan has nothing to
    suppress and no annotation to report, and does not import the matching (:mod:`.apply`)."""
    return any(
        key.startswith(IGNORE)
        for o in objects
        for block in (o.annotations, o.template_annotations)
        for key in block
    )
