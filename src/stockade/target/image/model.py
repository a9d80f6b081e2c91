"""A resolved container image: which manifest, which config, which layers, and how to read each blob.

Every source (OCI layout, docker-archive, oci-archive, registry, podman storage) resolves to an
:class:`ImageSpec`; everything after that (layer streaming, squashing, cataloging) is the same for all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO


@dataclass(frozen=True, slots=True)
class Platform:
    """OCI image-index platform: ``os/architecture[/variant]`` (image-index.md, "platform")."""

    os: str
    architecture: str
    variant: str | None = None

    def __str__(self) -> str:
        base = f"{self.os}/{self.architecture}"
        return f"{base}/{self.variant}" if self.variant else base


@dataclass(frozen=True, slots=True)
class Blob:
    """A content-addressed blob and how to open it.  ``digest`` is what the blob must hash to (verified
    while it is read); ``None`` where the source gives none (old docker-archive layers, whose digest
    is the uncompressed ``diff_id`` checked after decompression)."""

    digest: str | None
    size: int | None
    media_type: str
    opener: Callable[[], BinaryIO] = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Layer:
    """One filesystem layer, bottom first.  ``created_by`` comes from the config's history."""

    index: int
    blob: Blob
    diff_id: str | None
    created_by: str = ""
    created: str | None = None

    @property
    def id(self) -> str:
        """What findings and packages name the layer by: the blob digest, else the diff_id."""
        return self.blob.digest or self.diff_id or f"layer-{self.index}"


@dataclass(frozen=True, slots=True)
class ImageSpec:
    """What a source resolved: enough to scan the image without asking the source anything else."""

    reference: str  # what the user asked for, normalised
    source: str  # oci-layout | docker-archive | oci-archive | registry | podman
    manifest_digest: str | None
    config_digest: str | None
    config: dict[str, Any]
    platform: Platform | None
    layers: tuple[Layer, ...]
    media_type: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "source": self.source,
            "manifest_digest": self.manifest_digest,
            "config_digest": self.config_digest,
            "media_type": self.media_type,
            "platform": str(self.platform) if self.platform else None,
            "layers": [
                {
                    "index": layer.index,
                    "digest": layer.blob.digest,
                    "diff_id": layer.diff_id,
                    "media_type": layer.blob.media_type,
                    "size": layer.blob.size,
                    "created_by": layer.created_by,
                }
                for layer in self.layers
            ],
        }
