"""Image archives: ``docker save`` (docker-archive) and ``oci-archive`` (a tar of an OCI layout).

docker-archive (github.com/moby/moby ``image/spec/v1.2.md`` and ``image/tarexport``): ``manifest.json``
lists images as ``{"Config": path, "RepoTags": [...], "Layers": [path, ...]}``.  Older Docker writes
``<id>/layer.tar`` (ids are not digests; identical layers may be symbolic links to one another) and
``<config-hex>.json``; Docker 25+ writes an OCI layout inside with ``blobs/sha256/...`` paths.  Layers
are read in place from the archive; their content is checked against the config's ``diff_ids`` after
decompression.  A compressed outer archive (``docker save | gzip``) is first decompressed into the
private scratch directory, because layers must be read out of order.
"""

from __future__ import annotations

import functools
import gzip
import os
import shutil
import tarfile
from typing import Any, BinaryIO

import zstandard

from stockade.errors import InputError
from stockade.target.image import layout as oci
from stockade.target.image import manifest as mf
from stockade.target.image.digest import VerifyingReader, check_digest, compute_digest
from stockade.target.image.model import Blob, ImageSpec, Layer, Platform

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def _norm(name: str) -> str:
    while name.startswith("./"):
        name = name[2:]
    return name.lstrip("/")


class Archive:
    """Random access to the members of an uncompressed tar file."""

    def __init__(self, path: str, scratch: str) -> None:
        self.path = path
        real = self._uncompressed(path, scratch)
        try:
            self.tar = tarfile.open(real, "r:")  # noqa: SIM115 - closed by close()
        except (tarfile.TarError, OSError) as exc:
            raise InputError(f"{path}: not a readable tar archive: {exc}") from None
        self.members = {_norm(m.name): m for m in self.tar.getmembers()}

    @staticmethod
    def _uncompressed(path: str, scratch: str) -> str:
        with open(path, "rb") as fh:
            head = fh.read(4)
        if head.startswith(GZIP_MAGIC):
            opener: Any = gzip.open
        elif head.startswith(ZSTD_MAGIC):
            opener = lambda p, m: zstandard.open(p, m)  # noqa: E731
        else:
            return path
        out = os.path.join(scratch, "archive.tar")
        try:
            with opener(path, "rb") as src, open(out, "wb") as dst:
                shutil.copyfileobj(src, dst, 1024 * 1024)
        except (OSError, EOFError, zstandard.ZstdError) as exc:
            raise InputError(f"{path}: compressed archive could not be read: {exc}") from None
        return out

    def kind(self) -> str | None:
        """``docker-archive``, ``oci-archive`` or None, from the member names."""
        if "manifest.json" in self.members:
            return "docker-archive"
        if "oci-layout" in self.members and "index.json" in self.members:
            return "oci-archive"
        return None

    def read(self, rel: str) -> bytes | None:
        member = self.members.get(rel)
        if member is None:
            return None
        if member.size > oci.MAX_JSON and member.isfile():
            raise InputError(
                f"{self.path}: {rel}: larger than {oci.MAX_JSON // (1024 * 1024)} MB; not a manifest"
            )
        fh = self._extract(rel, member)
        with fh:
            return fh.read(oci.MAX_JSON + 1)

    def _extract(self, rel: str, member: tarfile.TarInfo) -> BinaryIO:
        try:
            fh = self.tar.extractfile(member)
        except (tarfile.TarError, KeyError) as exc:
            raise InputError(f"{self.path}: {rel}: cannot be read from the archive: {exc}") from None
        if fh is None:
            raise InputError(f"{self.path}: {rel}: not a regular file in the archive")
        return fh  # type: ignore[return-value]

    def open(self, rel: str) -> BinaryIO:
        member = self.members.get(rel)
        if member is None:
            raise InputError(f"{self.path}: {rel}: missing from the archive")
        return self._extract(rel, member)

    def close(self) -> None:
        self.tar.close()


def open_oci_archive(
    archive: Archive, ref_name: str | None, platform: Platform | None, reference: str
) -> ImageSpec:
    def open_blob(digest: str, size: int | None) -> BinaryIO:
        raw = archive.open(oci.blob_path(digest))
        return VerifyingReader(raw, digest, size, what=f"{archive.path}: blob {digest}")  # type: ignore[return-value]

    return oci.resolve(
        read=archive.read,
        open_blob=open_blob,
        reference=reference,
        source="oci-archive",
        ref_name=ref_name,
        platform=platform,
        what=archive.path,
    )


def open_docker_archive(archive: Archive, tag: str | None, reference: str) -> ImageSpec:
    what = archive.path
    data = archive.read("manifest.json")
    if data is None:
        raise InputError(f"{what}: not a docker-archive (no manifest.json)")
    try:
        import orjson

        entries = orjson.loads(data)
    except ValueError as exc:
        raise InputError(f"{what}: manifest.json: not valid JSON: {exc}") from None
    if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) for e in entries):
        raise InputError(f"{what}: manifest.json: expected a non-empty list of images")
    entry = _pick_entry(entries, tag, what)
    config_path = entry.get("Config")
    layer_paths = entry.get("Layers")
    if not isinstance(config_path, str) or not isinstance(layer_paths, list):
        raise InputError(f"{what}: manifest.json: an image without Config or Layers")
    config_bytes = archive.read(_norm(config_path))
    if config_bytes is None:
        raise InputError(f"{what}: config {config_path} is missing from the archive")
    config_digest = _digest_from_name(config_path)
    if config_digest:
        check_digest(config_bytes, config_digest, what=f"{what}: image config {config_path}")
    else:
        config_digest = compute_digest(config_bytes)
    config = mf.load_json(config_bytes, f"{what}: image config")
    diff_ids = config.get("rootfs", {}).get("diff_ids") if isinstance(config.get("rootfs"), dict) else None
    if not isinstance(diff_ids, list) or len(diff_ids) != len(layer_paths):
        raise InputError(f"{what}: image config rootfs.diff_ids does not match the {len(layer_paths)} layers")
    history = mf.layer_history(config)
    layers = []
    for i, rel in enumerate(layer_paths):
        if not isinstance(rel, str) or _norm(rel) not in archive.members:
            raise InputError(f"{what}: layer {rel!r} is missing from the archive")
        name = _norm(rel)
        member = archive.members[name]
        created_by, created = history[i] if i < len(history) else ("", None)
        blob = Blob(None, member.size, "", functools.partial(archive.open, name))
        layers.append(Layer(i, blob, str(diff_ids[i]), created_by, created))
    tags = entry.get("RepoTags")
    name = tag or (tags[0] if isinstance(tags, list) and tags and isinstance(tags[0], str) else reference)
    return ImageSpec(
        reference=name,
        source="docker-archive",
        manifest_digest=None,
        config_digest=config_digest,
        config=config,
        platform=mf.config_platform(config),
        layers=tuple(layers),
        media_type="docker-archive",
    )


def _pick_entry(entries: list[dict[str, Any]], tag: str | None, what: str) -> dict[str, Any]:
    if tag is None:
        if len(entries) == 1:
            return entries[0]
        tags = sorted(t for e in entries for t in (e.get("RepoTags") or []) if isinstance(t, str))
        raise InputError(
            f"{what}: the archive holds {len(entries)} images; name one as PATH:TAG",
            hint=f"tags: {', '.join(tags) or 'none'}",
        )
    for entry in entries:
        tags = entry.get("RepoTags") or []
        if isinstance(tags, list) and (
            tag in tags or any(t.endswith("/" + tag) for t in tags if isinstance(t, str))
        ):
            return entry
    raise InputError(f"{what}: no image tagged {tag!r} in the archive")


def _digest_from_name(path: str) -> str | None:
    """``blobs/sha256/<hex>`` or ``<hex>.json`` → ``sha256:<hex>``."""
    base = os.path.basename(path)
    hexpart = base[:-5] if base.endswith(".json") else base
    if len(hexpart) == 64 and all(c in "0123456789abcdef" for c in hexpart):
        return f"sha256:{hexpart}"
    return None
