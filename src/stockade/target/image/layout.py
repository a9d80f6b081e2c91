"""OCI image layout directories (image-spec ``image-layout.md``), and the resolution shared with the
archives and podman: ``oci-layout`` + ``index.json`` + ``blobs/<alg>/<encoded>``.

Which image: ``PATH`` when the index holds one image (or one per platform); ``PATH:REF`` picks the
descriptor whose ``org.opencontainers.image.ref.name`` annotation is ``REF`` (what ``skopeo copy
oci:PATH:REF`` writes).  A descriptor that is itself an index (a multi-platform image) is resolved with
``--platform``.  Every blob read is checked against its digest; blob paths are built from validated
digests only, so a hostile ``index.json`` cannot name a file outside ``blobs/``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, BinaryIO

from stockade.errors import InputError
from stockade.target.image import manifest as mf
from stockade.target.image.digest import VerifyingReader, check_digest, split_digest
from stockade.target.image.model import ImageSpec, Platform

REF_NAME = "org.opencontainers.image.ref.name"
#: manifests and configs are small; a larger one is hostile or broken
MAX_JSON = 8 * 1024 * 1024

#: open a blob by digest: (digest, expected size) → a verifying stream
Opener = Callable[[str, int | None], BinaryIO]
#: read a small file of the layout by its relative path (``index.json``) → bytes, or None if absent
Reader = Callable[[str], bytes | None]


def blob_path(digest: str) -> str:
    algorithm, encoded = split_digest(digest)
    return f"blobs/{algorithm}/{encoded}"


def read_blob(read: Reader, digest: str, what: str) -> bytes:
    data = read(blob_path(digest))
    if data is None:
        raise InputError(f"{what}: blob {digest} is missing from the image")
    check_digest(data, digest, what=what)
    return data


def resolve(
    *,
    read: Reader,
    open_blob: Opener,
    reference: str,
    source: str,
    ref_name: str | None,
    platform: Platform | None,
    what: str,
) -> ImageSpec:
    """Resolve the image of a layout reached through ``read``/``open_blob`` (a directory, or a tar)."""
    marker = read("oci-layout")
    if marker is None:
        raise InputError(f"{what}: not an OCI image layout (no oci-layout file)")
    layout = mf.load_json(marker, f"{what}: oci-layout")
    if not isinstance(layout.get("imageLayoutVersion"), str):
        raise InputError(f"{what}: oci-layout has no imageLayoutVersion")
    index_bytes = read("index.json")
    if index_bytes is None:
        raise InputError(f"{what}: OCI image layout without index.json")
    index = mf.load_json(index_bytes, f"{what}: index.json")
    desc = _pick(index, ref_name, platform, what)
    digest, _, media_type = mf.descriptor(desc, f"{what}: index.json")

    def fetch(blob: str) -> tuple[bytes, str, str]:
        return read_blob(read, blob, f"{what}: manifest {blob}"), "", blob

    chosen = mf.config_platform(desc["platform"]) if isinstance(desc.get("platform"), dict) else None
    doc, media_type, digest, from_index = mf.resolve_manifest(
        fetch, fetch(digest)[0], media_type, digest, platform, what
    )
    chosen = from_index or chosen
    config_digest, _, _ = mf.descriptor(doc.get("config"), f"{what}: manifest config")
    config = read_blob(read, config_digest, f"{what}: image config {config_digest}")
    return mf.build_spec(
        reference=reference,
        source=source,
        manifest=doc,
        manifest_digest=digest,
        media_type=media_type,
        config_bytes=config,
        platform=chosen,
        open_blob=open_blob,
        what=what,
    )


def _pick(
    index: dict[str, Any], ref_name: str | None, platform: Platform | None, what: str
) -> dict[str, Any]:
    manifests = index.get("manifests")
    if not isinstance(manifests, list) or not manifests:
        raise InputError(f"{what}: index.json lists no images")
    descs = [m for m in manifests if isinstance(m, dict)]
    names = sorted({str(d.get("annotations", {}).get(REF_NAME)) for d in descs if _ref(d)})
    if ref_name is not None:
        hits = [d for d in descs if _ref(d) == ref_name]
        if not hits:
            raise InputError(
                f"{what}: no image named {ref_name!r} in index.json (names: {', '.join(names) or 'none'})"
            )
        descs = hits
    if len(descs) == 1:
        return descs[0]
    if any(isinstance(d.get("platform"), dict) for d in descs):
        desc, _ = mf.select_manifest({"manifests": descs}, platform, f"{what}: index.json")
        return desc
    raise InputError(
        f"{what}: index.json holds {len(descs)} images; name one as PATH:NAME",
        hint=f"names: {', '.join(names)}" if names else "the images carry no ref.name annotation",
    )


def _ref(desc: dict[str, Any]) -> str | None:
    ann = desc.get("annotations")
    name = ann.get(REF_NAME) if isinstance(ann, dict) else None
    return name if isinstance(name, str) else None


def open_layout(path: str, ref_name: str | None, platform: Platform | None, reference: str) -> ImageSpec:
    root = os.path.abspath(path)

    def read(rel: str) -> bytes | None:
        full = os.path.join(root, rel)
        try:
            with open(full, "rb") as fh:
                data = fh.read(MAX_JSON + 1)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise InputError(f"{path}: {rel}: {exc.strerror or exc}") from None
        if len(data) > MAX_JSON:
            raise InputError(f"{path}: {rel}: larger than {MAX_JSON // (1024 * 1024)} MB; not a manifest")
        return data

    def open_blob(digest: str, size: int | None) -> BinaryIO:
        full = os.path.join(root, blob_path(digest))
        try:
            raw = open(full, "rb")  # noqa: SIM115 - closed by the caller through the reader
        except OSError as exc:
            raise InputError(f"{path}: blob {digest}: {exc.strerror or exc}") from None
        return VerifyingReader(raw, digest, size, what=f"{path}: blob {digest}")  # type: ignore[return-value]

    return resolve(
        read=read,
        open_blob=open_blob,
        reference=reference,
        source="oci-layout",
        ref_name=ref_name,
        platform=platform,
        what=path,
    )
