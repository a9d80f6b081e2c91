"""Container metadata from the container runtime (``podman inspect`` / ``docker inspect``), cached per id.

Falco's container fields: ``container.name``, ``container.image`` (``repo:tag``), ``container.image.digest``,
``container.privileged``, ``container.start_ts``, ``container.mounts``; Kubernetes fields come from the
CRI labels ``io.kubernetes.pod.name``, ``io.kubernetes.pod.namespace``, ``io.kubernetes.pod.uid``.  The
upper (writable) overlay directory gives ``proc.is_exe_upper_layer``.

The sensor waits for an inspect (a container's first events need its metadata), so one is given
:data:`INSPECT_TIMEOUT` seconds: a runtime stuck on its lock (a long ``podman build`` holds it) must not
stall detection.  After a timeout the container's events carry only its id and runtime, it is inspected
again :data:`RETRY_AFTER` seconds later, and :attr:`RuntimeInspector.timeouts` counts it (the sensor's
status and metrics show it).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import time
from typing import Any

Info = dict[str, Any]

INSPECT_TIMEOUT = 5.0
RETRY_AFTER = 30.0


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
        #: inspects that took longer than INSPECT_TIMEOUT and were given up
        self.timeouts = 0
        #: containers whose inspect timed out: (the id-only info, monotonic time of the next try)
        self._retry: dict[str, tuple[Info, float]] = {}

    def inspect(self, full_id: str, runtime: str) -> Info:
        info = self.cache.get(full_id)
        if info is not None:
            return info
        waiting = self._retry.get(full_id)
        if waiting is not None and time.monotonic() < waiting[1]:
            return waiting[0]
        info = {"container.id": full_id[:12], "container.type": runtime}
        timed_out = False
        tools = [("podman", ["podman", *self.podman_args]), ("docker", ["docker"])]
        for name, cmd in tools:
            if shutil.which(name) is None:
                continue
            self.calls += 1
            try:
                done = subprocess.run(
                    [*cmd, "inspect", "--type", "container", full_id],
                    capture_output=True,
                    text=True,
                    timeout=INSPECT_TIMEOUT,
                )
            except subprocess.TimeoutExpired:
                self.timeouts += 1
                timed_out = True
                continue
            if done.returncode == 0:
                try:
                    data = json.loads(done.stdout)
                except json.JSONDecodeError:
                    continue
                if data:
                    info = parse_inspect(data[0], runtime if runtime != "unknown" else name)
                    timed_out = False
                    break
        if timed_out:  # not an answer: ask again later
            self._retry[full_id] = (info, time.monotonic() + RETRY_AFTER)
            return info
        self._retry.pop(full_id, None)
        self.cache[full_id] = info
        return info
