"""Scanning a large multi-layer image vs decompressing and reading every layer once, in the same run.

Target (issue "Container images"): a full ``stockade image`` scan of a >= 500 MB multi-layer image takes
<= 1.5x the time to decompress and read every layer once (``gzip -dc`` / ``zstd -dc`` of each layer blob
into /dev/null: the C decompressors, the floor any scanner has to pay), and peak RSS stays <= 300 MB
whatever the image size (``--big`` adds a ~2 GB image).

The images are built once from this machine's own files (``tar`` of real directories: /usr/bin, the
project's virtual environment, Python's standard library, /usr/share ...) into OCI layouts under
``benchmarks/.cache/`` with gzip layers and one zstd layer, and reused.  Both sides run in fresh child
processes, alternate, start warm (one untimed round), and the medians are reported.

    .venv/bin/python benchmarks/image_scan.py [--runs 5] [--big]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import benchenv

CACHE = Path(__file__).resolve().parent / ".cache"
VENV = Path(sys.prefix)
STDLIB = Path(os.__file__).parent
ENV = benchenv.command_env()  # stockade as installed: its bytecode compiled (benchenv.py)

#: (name, layers: [(directories, compression)])
IMAGES = {
    "image-500mb": [
        (["/etc/os-release", "/var/lib/dpkg", "/usr/lib/os-release"], "gzip"),
        (["/usr/bin"], "gzip"),
        ([str(STDLIB)], "zstd"),
        ([str(VENV)], "gzip"),
        (["/usr/lib/x86_64-linux-gnu/perl", "/usr/share/perl", "/usr/lib/git-core"], "gzip"),
    ],
    "image-2gb": [
        (["/etc/os-release", "/var/lib/dpkg", "/usr/lib/os-release"], "gzip"),
        (["/usr/bin", "/usr/sbin"], "gzip"),
        (["/usr/share"], "gzip"),
        ([str(STDLIB), str(VENV)], "zstd"),
        (["/usr/lib/jvm", "/usr/lib/x86_64-linux-gnu"], "gzip"),
    ],
}


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


def build(name: str) -> Path:
    layout = CACHE / name
    if (layout / "index.json").exists():
        return layout
    shutil.rmtree(layout, ignore_errors=True)
    blobs = layout / "blobs" / "sha256"
    blobs.mkdir(parents=True)
    descs, diff_ids = [], []
    for paths, compression in IMAGES[name]:
        tar = layout / "layer.tar"
        existing = [p.lstrip("/") for p in paths if os.path.exists(p)]
        subprocess.run(
            ["tar", "-C", "/", "-cf", str(tar), "--ignore-failed-read", *existing],
            check=False,
            stderr=subprocess.DEVNULL,
        )
        diff_ids.append(sha256_file(tar))
        tool = ["gzip", "-1", "-c"] if compression == "gzip" else ["zstd", "-3", "-q", "-c"]
        packed = layout / "layer.packed"
        with open(packed, "wb") as out:
            subprocess.run([*tool, str(tar)], stdout=out, check=True)
        tar.unlink()
        digest = sha256_file(packed)
        size = packed.stat().st_size
        packed.rename(blobs / digest.split(":")[1])
        media = "application/vnd.oci.image.layer.v1.tar+" + compression
        descs.append({"mediaType": media, "digest": digest, "size": size})
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {"User": "1000"},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": [{"created_by": f"layer {i + 1}"} for i in range(len(descs))],
        }
    ).encode()
    cfg = "sha256:" + hashlib.sha256(config).hexdigest()
    (blobs / cfg.split(":")[1]).write_bytes(config)
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": cfg,
                "size": len(config),
            },
            "layers": descs,
        }
    ).encode()
    man = "sha256:" + hashlib.sha256(manifest).hexdigest()
    (blobs / man.split(":")[1]).write_bytes(manifest)
    index = {
        "schemaVersion": 2,
        "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": man, "size": len(manifest)}
        ],
    }
    (layout / "index.json").write_text(json.dumps(index))
    (layout / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    return layout


def layers_of(layout: Path) -> list[tuple[Path, str]]:
    index = json.loads((layout / "index.json").read_text())
    man = json.loads((layout / "blobs/sha256" / index["manifests"][0]["digest"].split(":")[1]).read_text())
    return [
        (layout / "blobs/sha256" / d["digest"].split(":")[1], d["mediaType"].rsplit("+", 1)[1])
        for d in man["layers"]
    ]


def decompress_once(layout: Path) -> float:
    """The floor: each layer decompressed by the C tool and read once (into /dev/null)."""
    t0 = time.perf_counter()
    for blob, compression in layers_of(layout):
        tool = ["gzip", "-dc"] if compression == "gzip" else ["zstd", "-dcq"]
        with open(os.devnull, "wb") as sink:
            subprocess.run([*tool, str(blob)], stdout=sink, check=True)
    return time.perf_counter() - t0


def scan(layout: Path) -> tuple[float, int, dict[str, object]]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "stockade.cli.main", "image", str(layout), "--no-store", "-q", "-f", "json"],
        capture_output=True,
        text=True,
        check=False,
        env=ENV,
    )
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"scan failed: {proc.stderr}")
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    doc = json.loads(proc.stdout)
    facts = {"packages": len(doc["inventory"]["packages"]), "files": doc["target"]["image"]["files"]}
    return elapsed, max(rss, before), facts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--big", action="store_true", help="also the ~2 GB image (RSS bound)")
    args = ap.parse_args()
    names = ["image-500mb"] + (["image-2gb"] if args.big else [])
    for name in names:
        layout = build(name)
        size = sum(blob.stat().st_size for blob, _ in layers_of(layout))
        print(f"# {name}: {len(layers_of(layout))} layers, {size / 2**20:.0f} MiB compressed")
        decompress_once(layout)
        scan(layout)  # warm
        floors, scans = [], []
        rss = 0
        facts: dict[str, object] = {}
        for _ in range(args.runs):
            floors.append(decompress_once(layout))
            t, peak, facts = scan(layout)
            scans.append(t)
            rss = max(rss, peak)
        floor, took = statistics.median(floors), statistics.median(scans)
        print(f"decompress+read once (gzip -dc / zstd -dc): median {floor:.2f} s")
        print(f"stockade image scan:                        median {took:.2f} s  ratio {took / floor:.2f}x")
        print(f"peak RSS of the scan (max over runs): {rss / 1024:.0f} MB; {facts}")
        print(
            json.dumps(
                {
                    "image": name,
                    "compressed_mib": round(size / 2**20),
                    "floor_s": round(floor, 3),
                    "scan_s": round(took, 3),
                    "ratio": round(took / floor, 3),
                    "peak_rss_mb": round(rss / 1024),
                    "runs": args.runs,
                }
            )
        )


if __name__ == "__main__":
    main()
