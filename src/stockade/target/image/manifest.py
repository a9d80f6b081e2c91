"""Image indexes, manifests and configs: OCI image-spec v1.1 and Docker image manifest v2 schema 2.

What is read (github.com/opencontainers/image-spec): an *index* (``image-index.md``; Docker's "manifest
list") lists manifests per platform; a *manifest* (``manifest.md``) names one config and the layers,
bottom first; the *config* (``config.md``) holds ``rootfs.diff_ids`` (the digests of the *uncompressed*
layers, same order) and ``history``, where entries with ``empty_layer: true`` produced no layer.
Docker schema 1 manifests (signed, v1Compatibility) are refused: they were retired in 2019.
"""

from __future__ import annotations

import functools
import platform as _platform
from collections.abc import Callable
from typing import Any, BinaryIO

import orjson

from stockade.errors import InputError
from stockade.target.image.model import Blob, ImageSpec, Layer, Platform

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_SCHEMA1 = (
    "application/vnd.docker.distribution.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
)
INDEX_TYPES = (OCI_INDEX, DOCKER_LIST)
MANIFEST_TYPES = (OCI_MANIFEST, DOCKER_MANIFEST)
ACCEPT = (OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST)

#: layer media types this reader understands; compression is also sniffed from the bytes
LAYER_TYPES = {
    "application/vnd.oci.image.layer.v1.tar": "none",
    "application/vnd.oci.image.layer.v1.tar+gzip": "gzip",
    "application/vnd.oci.image.layer.v1.tar+zstd": "zstd",
    "application/vnd.oci.image.layer.nondistributable.v1.tar": "none",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip": "gzip",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd": "zstd",
    "application/vnd.docker.image.rootfs.diff.tar.gzip": "gzip",
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip": "gzip",
    "application/vnd.docker.image.rootfs.diff.tar": "none",
}

_ARCH = {
    "x86_64": "amd64",
    "aarch64": "arm64",
    "armv7l": "arm",
    "i686": "386",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
    "riscv64": "riscv64",
}


def host_platform() -> Platform:
    machine = _platform.machine()
    arch = _ARCH.get(machine, machine)
    return Platform("linux", arch, "v7" if machine == "armv7l" else None)


def parse_platform(text: str) -> Platform:
    parts = text.strip().split("/")
    if len(parts) not in (2, 3) or not all(parts):
        raise InputError(
            f"invalid platform {text!r}: expected os/architecture[/variant]", hint="e.g. linux/arm64/v8"
        )
    return Platform(parts[0], parts[1], parts[2] if len(parts) == 3 else None)


def load_json(data: bytes, what: str) -> dict[str, Any]:
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise InputError(f"{what}: not valid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise InputError(f"{what}: expected a JSON object, got {type(doc).__name__}")
    return doc


def media_type_of(doc: dict[str, Any], given: str | None = None) -> str:
    """A manifest's media type: the field, else what the source said, else inferred (image-spec allows
    ``mediaType`` to be absent in old OCI manifests: an index has ``manifests``, a manifest ``layers``)."""
    mt = doc.get("mediaType") or given or ""
    if not isinstance(mt, str):
        mt = ""
    if not mt:
        if isinstance(doc.get("manifests"), list):
            return OCI_INDEX
        if isinstance(doc.get("layers"), list):
            return OCI_MANIFEST
        if doc.get("schemaVersion") == 1:
            return DOCKER_SCHEMA1[0]
    return mt


def _platform_of(desc: dict[str, Any]) -> Platform | None:
    p = desc.get("platform")
    if not isinstance(p, dict):
        return None
    os_, arch = p.get("os"), p.get("architecture")
    if not isinstance(os_, str) or not isinstance(arch, str):
        return None
    variant = p.get("variant")
    return Platform(os_, arch, variant if isinstance(variant, str) and variant else None)


def _is_attestation(desc: dict[str, Any]) -> bool:
    ann = desc.get("annotations")
    return isinstance(ann, dict) and ann.get("vnd.docker.reference.type") == "attestation-manifest"


def select_manifest(
    index: dict[str, Any], wanted: Platform | None, what: str
) -> tuple[dict[str, Any], Platform | None]:
    """The descriptor in an index for ``wanted`` (default: this machine's platform).  A variant given by
    the user must match; one not given matches any (``linux/arm64`` picks ``linux/arm64/v8``)."""
    manifests = index.get("manifests")
    if not isinstance(manifests, list) or not manifests:
        raise InputError(f"{what}: image index lists no manifests")
    candidates = [m for m in manifests if isinstance(m, dict) and not _is_attestation(m)]
    with_platform = [(m, _platform_of(m)) for m in candidates]
    if wanted is None and len(candidates) == 1:
        return candidates[0], with_platform[0][1]
    target = wanted or host_platform()
    for desc, plat in with_platform:
        if plat is None or plat.os != target.os or plat.architecture != target.architecture:
            continue
        if target.variant and plat.variant and plat.variant != target.variant:
            continue
        return desc, plat
    available = ", ".join(sorted({str(p) for _, p in with_platform if p})) or "none stated"
    raise InputError(
        f"{what}: no manifest for platform {target} (available: {available})",
        hint="choose one with --platform os/arch[/variant]",
    )


def descriptor(desc: Any, what: str) -> tuple[str, int | None, str]:
    """``(digest, size, mediaType)`` of an OCI descriptor (descriptor.md), checked for shape."""
    if not isinstance(desc, dict):
        raise InputError(f"{what}: descriptor is not an object")
    digest, size, mt = desc.get("digest"), desc.get("size"), desc.get("mediaType", "")
    if not isinstance(digest, str) or ":" not in digest:
        raise InputError(f"{what}: descriptor has no valid digest")
    if size is not None and (not isinstance(size, int) or size < 0):
        raise InputError(f"{what}: descriptor size {size!r} is not a non-negative integer")
    return digest, size, mt if isinstance(mt, str) else ""


#: fetch a manifest by digest: → (body, media type the source gave, digest), the body digest-checked
FetchManifest = Callable[[str], tuple[bytes, str, str]]


def resolve_manifest(
    fetch: FetchManifest, body: bytes, media_type: str, digest: str, platform: Platform | None, what: str
) -> tuple[dict[str, Any], str, str, Platform | None]:
    """From a first manifest or index to the image manifest for ``platform``: ``(manifest, media type,
    digest, the platform the index named)``.  An index is resolved one level (image-index.md: an index
    of indexes is allowed but not produced by any builder we know; it is refused clearly)."""
    doc = load_json(body, f"{what}: manifest {digest}")
    media_type = media_type_of(doc, media_type)
    chosen: Platform | None = None
    if media_type in INDEX_TYPES:
        desc, chosen = select_manifest(doc, platform, f"{what}: index {digest}")
        child, _, given = descriptor(desc, f"{what}: index {digest}")
        body, media_type, digest = fetch(child)
        doc = load_json(body, f"{what}: manifest {digest}")
        media_type = media_type_of(doc, media_type or given)
    check_manifest_type(media_type, f"{what}: manifest {digest}")
    return doc, media_type, digest, chosen


def check_manifest_type(mt: str, what: str) -> None:
    if mt in DOCKER_SCHEMA1:
        raise InputError(
            f"{what}: Docker schema 1 manifests are not supported (retired by Docker in 2019)",
            hint="re-push the image with a current client (skopeo copy converts it)",
        )
    if mt not in MANIFEST_TYPES:
        raise InputError(f"{what}: unsupported manifest media type {mt!r}")


def build_spec(
    *,
    reference: str,
    source: str,
    manifest: dict[str, Any],
    manifest_digest: str | None,
    media_type: str,
    config_bytes: bytes,
    platform: Platform | None,
    open_blob: Callable[[str, int | None], BinaryIO],
    what: str,
) -> ImageSpec:
    """Join a manifest, its config and the history into an :class:`ImageSpec`.  ``config_bytes`` must
    already be digest-checked by the caller (sources read it in different ways)."""
    config = load_json(config_bytes, f"{what}: image config")
    layers_raw = manifest.get("layers")
    if not isinstance(layers_raw, list):
        raise InputError(f"{what}: manifest has no layers list")
    config_digest, _, _ = descriptor(manifest.get("config"), f"{what}: config")
    diff_ids = _diff_ids(config, what)
    if len(diff_ids) != len(layers_raw):
        raise InputError(
            f"{what}: manifest lists {len(layers_raw)} layers "
            f"but the config's rootfs.diff_ids has {len(diff_ids)}"
        )
    history = layer_history(config)
    layers: list[Layer] = []
    for i, raw in enumerate(layers_raw):
        digest, size, mt = descriptor(raw, f"{what}: layer {i + 1}")
        if mt and mt not in LAYER_TYPES:
            raise InputError(f"{what}: layer {i + 1}: unsupported layer media type {mt!r}")
        created_by, created = history[i] if i < len(history) else ("", None)
        blob = Blob(digest, size, mt, functools.partial(open_blob, digest, size))
        layers.append(Layer(i, blob, diff_ids[i], created_by, created))
    return ImageSpec(
        reference=reference,
        source=source,
        manifest_digest=manifest_digest,
        config_digest=config_digest,
        config=config,
        platform=platform or config_platform(config),
        layers=tuple(layers),
        media_type=media_type,
    )


def _diff_ids(config: dict[str, Any], what: str) -> list[str]:
    rootfs = config.get("rootfs")
    ids = rootfs.get("diff_ids") if isinstance(rootfs, dict) else None
    if not isinstance(ids, list) or not all(isinstance(d, str) for d in ids):
        raise InputError(f"{what}: image config has no rootfs.diff_ids list")
    return ids


def layer_history(config: dict[str, Any]) -> list[tuple[str, str | None]]:
    """``(created_by, created)`` for each non-empty layer, in order (config.md "history")."""
    out: list[tuple[str, str | None]] = []
    history = config.get("history")
    if not isinstance(history, list):
        return out
    for entry in history:
        if not isinstance(entry, dict) or entry.get("empty_layer") is True:
            continue
        created_by = entry.get("created_by")
        created = entry.get("created")
        out.append(
            (created_by if isinstance(created_by, str) else "", created if isinstance(created, str) else None)
        )
    return out


def config_platform(config: dict[str, Any]) -> Platform | None:
    os_, arch = config.get("os"), config.get("architecture")
    if isinstance(os_, str) and isinstance(arch, str) and os_ and arch:
        variant = config.get("variant")
        return Platform(os_, arch, variant if isinstance(variant, str) and variant else None)
    return None
