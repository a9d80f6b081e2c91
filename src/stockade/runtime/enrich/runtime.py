"""Container metadata from the container runtime (``podman inspect`` / ``docker inspect``), cached per id.

Falco's container fields: ``container.name``, ``container.image`` (``repo:tag``), ``container.image.digest``,
``container.privileged``, ``container.start_ts``, ``container.mounts``; Kubernetes fields come from the
CRI labels ``io.kubernetes.pod.name``, ``io.kubernetes.pod.namespace``, ``io.kubernetes.pod.uid``.  The
upper (writable) overlay directory gives ``proc.is_exe_upper_layer``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
from typing import Any

Info = dict[str, Any]


def _ts(text: object) -> int | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        base, _, frac = text.partition(".")
        digits = "".join(c for c in frac if c.isdigit())
        stamp = dt.datetime.fromisoformat(base + (text[text.index("+") :] if "+" in text else "+00:00"))
        return int(stamp.timestamp()) * 1_000_000_000 + int((digits + "000000000")[:9])
    except ValueError:
        return None


def parse_inspect(obj: dict[str, Any], runtime: str) -> Info:
    cfg = obj.get("Config") or {}
    host = obj.get("HostConfig") or {}
    image = obj.get("ImageName") or cfg.get("Image") or ""
    labels = cfg.get("Labels") or {}
    digest = obj.get("ImageDigest") or ""
    info: Info = {
        "container.id": str(obj.get("Id", ""))[:12],
        "container.full_id": obj.get("Id", ""),
        "container.name": str(obj.get("Name", "")).lstrip("/"),
        "container.image": image,
        "container.image.id": str(obj.get("Image", "")).removeprefix("sha256:")[:12],
        "container.type": runtime,
        "container.privileged": bool(host.get("Privileged")),
        "container.labels": labels,
        "container.mounts": [
            {
                "source": m.get("Source", ""),
                "dest": m.get("Destination", ""),
                "mode": m.get("Mode", ""),
                "rdwr": bool(m.get("RW", False)),
                "propagation": m.get("Propagation", ""),
            }
            for m in obj.get("Mounts") or []
        ],
    }
    if digest:
        info["container.image.digest"] = digest
    start = _ts((obj.get("State") or {}).get("StartedAt"))
    if start:
        info["container.start_ts"] = start
    upper = ((obj.get("GraphDriver") or {}).get("Data") or {}).get("UpperDir")
    if upper:
        info["_upperdir"] = upper
    if "io.kubernetes.pod.name" in labels:
        info["k8s.pod.name"] = labels["io.kubernetes.pod.name"]
        info["k8s.ns.name"] = labels.get("io.kubernetes.pod.namespace")
        info["k8s.pod.uid"] = labels.get("io.kubernetes.pod.uid")
    return info


class RuntimeInspector:
    """``inspect`` through podman (with ``podman_args``, e.g. a private ``--root``) then docker; cached."""

    def __init__(self, podman_args: tuple[str, ...] = ()) -> None:
        env_args = tuple(os.environ.get("STOCKADE_PODMAN_ARGS", "").split())
        self.podman_args = podman_args or env_args
        self.cache: dict[str, Info] = {}
        self.calls = 0

    def inspect(self, full_id: str, runtime: str) -> Info:
        info = self.cache.get(full_id)
        if info is not None:
            return info
        info = {"container.id": full_id[:12], "container.type": runtime}
        tools = [("podman", ["podman", *self.podman_args]), ("docker", ["docker"])]
        for name, cmd in tools:
            if shutil.which(name) is None:
                continue
            self.calls += 1
            done = subprocess.run(
                [*cmd, "inspect", "--type", "container", full_id], capture_output=True, text=True
            )
            if done.returncode == 0:
                try:
                    data = json.loads(done.stdout)
                except json.JSONDecodeError:
                    continue
                if data:
                    info = parse_inspect(data[0], runtime if runtime != "unknown" else name)
                    break
        self.cache[full_id] = info
        return info
