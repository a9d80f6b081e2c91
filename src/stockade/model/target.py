"""What a scan looked at."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class TargetKind(StrEnum):
    HOST = "host"
    ROOTFS = "rootfs"
    IMAGE = "image"
    DIRECTORY = "directory"
    MANIFESTS = "manifests"
    SBOM = "sbom"  # an SBOM document read as the inventory of what it describes


@dataclass(frozen=True, slots=True)
class Target:
    """A scanned workload.  ``name`` is what a user recognises (host name, path, image reference);
    ``id`` is stable across scans of the same workload and keys it in the inventory store."""

    kind: TargetKind
    name: str
    id: str
    path: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    #: for images: source, reference, digests, platform, layers, configuration (docs/json-schema.md)
    image: dict[str, Any] | None = field(default=None, hash=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind.value, "name": self.name, "id": self.id}
        if self.path is not None:
            out["path"] = self.path
        if self.image is not None:
            out["image"] = self.image
        if self.metadata:
            out["metadata"] = dict(sorted(self.metadata.items()))
        return out
