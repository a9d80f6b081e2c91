"""Build the demo image: examples/app-rootfs as a three-layer OCI image layout (what `docker build`
would make of it), written with the standard library only, so `make demo` needs no container tools.

    layer 1  the Debian base: /etc, /var/lib/dpkg, the Python distributions      (FROM debian + pip)
    layer 2  the applications under /srv and /opt, and a forgotten .env file     (COPY . /)
    layer 3  deletes the .env file again: it stays in layer 2 for anyone who pulls (RUN rm ...)

Usage: python scripts/example_image.py OUT_DIR
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import shutil
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "examples" / "app-rootfs"
LAYERS = [("etc", "var", "usr"), ("srv", "opt"), ()]
ENV_FILE = "srv/web/.env.production"


def layer(parts: tuple[str, ...], index: int) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for part in parts:
            tf.add(ROOT / part, arcname=part, filter=_normalise)
        if index == 1:
            data = b"DATABASE_URL=postgres://app:s3cr3t@db/app\n"
            info = tarfile.TarInfo(ENV_FILE)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        if index == 2:
            tf.addfile(tarfile.TarInfo(str(Path(ENV_FILE).parent / (".wh." + Path(ENV_FILE).name))))
    return buf.getvalue()


def _normalise(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    info.mtime = 0
    return info


def main(out: Path) -> None:
    shutil.rmtree(out, ignore_errors=True)
    blobs = out / "blobs" / "sha256"
    blobs.mkdir(parents=True)

    def put(data: bytes) -> str:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        (blobs / digest[7:]).write_bytes(data)
        return digest

    descs, diff_ids = [], []
    for i, parts in enumerate(LAYERS):
        tar = layer(parts, i)
        diff_ids.append("sha256:" + hashlib.sha256(tar).hexdigest())
        blob = gzip.compress(tar, mtime=0)
        descs.append(
            {
                "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                "digest": put(blob),
                "size": len(blob),
            }
        )
    history = [
        {"created": "2026-11-01T00:00:00Z", "created_by": "/bin/sh -c #(nop) ADD file:3b1c in / "},
        {"created": "2026-11-01T00:00:00Z", "created_by": "COPY . / # buildkit"},
        {"created": "2026-11-01T00:00:00Z", "created_by": f"RUN /bin/sh -c rm {'/' + ENV_FILE} # buildkit"},
    ]
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "created": "2026-11-01T00:00:00Z",
            "config": {
                "Env": ["PATH=/usr/local/bin:/usr/bin:/bin", "APP_ENV=production"],
                "Cmd": ["/srv/api/server"],
                "WorkingDir": "/srv",
                "ExposedPorts": {"8080/tcp": {}},
                "Labels": {"org.opencontainers.image.source": "https://example.com/shop"},
            },
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": history,
        },
        sort_keys=True,
    ).encode()
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": put(config),
                "size": len(config),
            },
            "layers": descs,
        },
        sort_keys=True,
    ).encode()
    index = {
        "schemaVersion": 2,
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": put(manifest),
                "size": len(manifest),
                "annotations": {"org.opencontainers.image.ref.name": "1.0"},
            }
        ],
    }
    (out / "index.json").write_text(json.dumps(index))
    (out / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')


if __name__ == "__main__":
    main(Path(sys.argv[1]))
