"""Hand-made OCI layouts with exact tar entries: whiteouts, links, devices — and hostile archives that no
real tool would write (traversal, writes through links, bombs), which is the point of them."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from dataclasses import dataclass
from pathlib import Path

import zstandard


@dataclass(frozen=True)
class E:
    """One tar entry: ``kind`` f (file), d (dir), l (symlink), h (hard link), c (char device), p (FIFO)."""

    name: str
    kind: str = "f"
    data: bytes = b""
    link: str = ""
    mode: int = 0o644


_TYPES = {
    "f": tarfile.REGTYPE,
    "d": tarfile.DIRTYPE,
    "l": tarfile.SYMTYPE,
    "h": tarfile.LNKTYPE,
    "c": tarfile.CHRTYPE,
    "p": tarfile.FIFOTYPE,
}


def tar_of(entries: list[E]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for e in entries:
            info = tarfile.TarInfo(e.name)
            info.type = _TYPES[e.kind]
            info.mode = e.mode if e.kind != "d" else 0o755
            info.linkname = e.link
            if e.kind == "f":
                info.size = len(e.data)
                tf.addfile(info, io.BytesIO(e.data))
            else:
                tf.addfile(info)
    return buf.getvalue()


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def compress(tar: bytes, how: str) -> tuple[bytes, str]:
    base = "application/vnd.oci.image.layer.v1.tar"
    if how == "gzip":
        return gzip.compress(tar, compresslevel=1, mtime=0), base + "+gzip"
    if how == "zstd":
        return zstandard.ZstdCompressor().compress(tar), base + "+zstd"
    return tar, base


def oci_layout(
    directory: Path,
    layers: list[list[E] | bytes],
    *,
    compression: str = "gzip",
    config: dict[str, object] | None = None,
    history: list[dict[str, object]] | None = None,
) -> Path:
    """Write an OCI layout with these layers (entry lists, or raw uncompressed tar bytes)."""
    blobs = directory / "blobs" / "sha256"
    blobs.mkdir(parents=True)

    def put(data: bytes) -> str:
        d = digest(data)
        (blobs / d.split(":")[1]).write_bytes(data)
        return d

    descs, diff_ids = [], []
    for layer in layers:
        tar = layer if isinstance(layer, bytes) else tar_of(layer)
        diff_ids.append(digest(tar))
        blob, media_type = compress(tar, compression)
        descs.append({"mediaType": media_type, "digest": put(blob), "size": len(blob)})
    cfg = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": config or {},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": history or [{"created_by": f"layer {i + 1}"} for i in range(len(layers))],
        }
    ).encode()
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": put(cfg),
                "size": len(cfg),
            },
            "layers": descs,
        }
    ).encode()
    index = {
        "schemaVersion": 2,
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": put(manifest),
                "size": len(manifest),
            }
        ],
    }
    (directory / "index.json").write_text(json.dumps(index))
    (directory / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    return directory
