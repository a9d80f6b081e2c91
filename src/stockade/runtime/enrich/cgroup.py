"""Container id from a cgroup path, for the runtimes' naming schemes.

podman/libpod: ``…/libpod-<64 hex>`` (``.scope`` under systemd) or ``/libpod_parent/libpod-<id>``; docker:
``/docker/<id>`` or ``docker-<id>.scope``; containerd (cri): ``cri-containerd-<id>.scope``; CRI-O:
``crio-<id>.scope``; Kubernetes pods: ``/kubepods/…/pod<uid>/<id>`` or ``kubepods-…-pod<uid>.slice/<rt>-<id>
.scope``.  The short id Falco shows is the first 12 hex digits.  Cgroup v2 ids (``bpf_get_current_cgroup_id``)
are the inode numbers of the cgroup directories, resolved here by a cached walk of the unified hierarchy.
"""

from __future__ import annotations

import os
import re
import time

_ID = re.compile(r"(?:libpod-|docker-|cri-containerd-|crio-|containerd-)?(?P<id>[0-9a-f]{64})(?:\.scope)?$")
_RUNTIME = (("libpod", "podman"), ("docker", "docker"), ("cri-containerd", "containerd"), ("crio", "cri-o"))
_POD = re.compile(r"pod(?P<uid>[0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})")
UNIFIED = ("/sys/fs/cgroup/unified", "/sys/fs/cgroup")


def container_from_path(path: str) -> tuple[str, str, str | None] | None:
    """``(full id, runtime, pod uid)`` for a container's cgroup path, None on the host."""
    for part in reversed(path.rstrip("/").split("/")):
        if part.endswith(".mount"):
            continue
        m = _ID.search(part)
        if m:
            runtime = next((rt for prefix, rt in _RUNTIME if part.startswith(prefix)), "")
            if not runtime:
                runtime = "docker" if "/docker" in path else "kubernetes" if "kubepods" in path else "unknown"
            pod = _POD.search(path)
            return m.group("id"), runtime, pod.group("uid").replace("_", "-") if pod else None
    return None


def container_of_pid(pid: int) -> tuple[str, str, str | None] | None:
    try:
        with open(f"/proc/{pid}/cgroup", encoding="utf-8") as fh:
            for line in fh:
                found = container_from_path(line.rstrip("\n").split(":", 2)[-1])
                if found:
                    return found
    except OSError:
        pass
    return None


class CgroupIds:
    """Cgroup v2 id → path, from a walk of the unified hierarchy redone (at most every 0.5 s) on a miss."""

    def __init__(self) -> None:
        self.root = next((r for r in UNIFIED if os.path.exists(os.path.join(r, "cgroup.procs"))), None)
        self.paths: dict[int, str] = {}
        self.last_walk = 0.0

    def path(self, cgid: int) -> str | None:
        p = self.paths.get(cgid)
        if p is None and self.root and time.monotonic() - self.last_walk > 0.5:
            self._walk()
            p = self.paths.get(cgid)
        return p

    def _walk(self) -> None:
        self.last_walk = time.monotonic()
        assert self.root is not None
        for dirpath, _dirs, _files in os.walk(self.root):
            try:
                self.paths[os.stat(dirpath).st_ino] = dirpath[len(self.root) :] or "/"
            except OSError:
                continue
