"""Sensitive hostPath volumes (STK-K8S-0025, 0026).

A host path is normalised (``//``, ``.``, ``..`` and trailing slashes removed) and compared by path
components.  It is sensitive when it is one of the paths below, lies under one of them, or contains one
of them (mounting ``/var`` exposes ``/var/lib/kubelet``; ``/`` exposes everything).  Container runtime
sockets, and the directories that hold them, have their own check: whoever reaches the socket starts a
privileged container on the node.  Read-only mounts are reported too: a socket is fully usable read-only,
and reading ``/etc`` or kubelet credentials is enough to escalate.  The exception: time-zone data and CA
bundles (``/etc/localtime``, ``/etc/ssl/certs`` ...) mounted read-only by every container that mounts them.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from typing import Any

from stockade.checks.interface import Path, Violation
from stockade.checks.kubernetes.objects import CONTAINER_FIELDS, K8sObject
from stockade.checks.kubernetes.practice._common import (
    K8S,
    PSS_DOC,
    PodSpecCheck,
    cis,
    items,
    nsa,
    quote_names,
    sub,
)
from stockade.model.severity import Severity

#: sockets of container runtimes and the directories holding them (exact paths)
RUNTIME_SOCKETS: frozenset[str] = frozenset(
    {
        "/var/run/docker.sock",
        "/run/docker.sock",
        "/var/run/docker",
        "/run/docker",
        "/var/run/containerd",
        "/run/containerd",
        "/var/run/containerd/containerd.sock",
        "/run/containerd/containerd.sock",
        "/var/run/crio",
        "/run/crio",
        "/var/run/crio/crio.sock",
        "/run/crio/crio.sock",
        "/var/run/cri-dockerd.sock",
        "/run/cri-dockerd.sock",
        "/var/run/dockershim.sock",
        "/run/podman",
        "/run/podman/podman.sock",
        "/var/run/podman/podman.sock",
        "/run/k3s/containerd",
        "/run/k3s/containerd/containerd.sock",
        "/var/snap/microk8s/common/run/containerd.sock",
    }
)
#: socket file names that identify a runtime wherever they live
RUNTIME_SOCKET_NAMES: frozenset[str] = frozenset(
    {"docker.sock", "containerd.sock", "crio.sock", "cri-dockerd.sock", "dockershim.sock", "podman.sock"}
)
#: host paths whose subtree is sensitive (any ancestor of one is sensitive as well), and what they hold
SENSITIVE_PATHS: dict[str, str] = {
    "/bin": "node executables",
    "/boot": "the node's kernel and boot loader",
    "/dev": "the node's devices",
    "/etc": "node configuration and credentials",
    "/home": "users' home directories",
    "/lib": "node libraries and kernel modules",
    "/proc": "host kernel and process interfaces",
    "/root": "root's home directory and credentials",
    "/run": "runtime state and sockets",
    "/sbin": "node executables",
    "/sys": "host kernel interfaces and cgroups",
    "/usr": "node executables and libraries",
    "/var/run": "runtime state and sockets",
    "/var/lib/kubelet": "kubelet credentials and every pod's volumes",
    "/var/lib/docker": "container images, layers and state",
    "/var/lib/containerd": "container images, layers and state",
    "/var/lib/containers": "container images, layers and state",
    "/var/lib/etcd": "the cluster's etcd data",
    "/var/lib/rancher": "k3s / RKE2 state and credentials",
}
#: harmless when every mount of the volume is read-only (time zone data, CA bundles)
READ_ONLY_BENIGN: tuple[str, ...] = (
    "/etc/localtime",
    "/etc/timezone",
    "/usr/share/zoneinfo",
    "/etc/ssl/certs",
    "/etc/pki/tls/certs",
    "/etc/ca-certificates",
)

_DOC = f"{K8S}/concepts/storage/volumes/#hostpath"
_CIS = cis("5.2.12", "Minimize the admission of HostPath volumes")
_NSA = nsa("Kubernetes Pod security: Pod security enforcement")


def normalize(path: str) -> str:
    """``/var/run//docker.sock/`` → ``/var/run/docker.sock``; relative paths are read from ``/``."""
    return posixpath.normpath("/" + path.strip().lstrip("/"))


def is_runtime_socket(path: str) -> bool:
    return path in RUNTIME_SOCKETS or posixpath.basename(path) in RUNTIME_SOCKET_NAMES


def sensitive_reason(path: str) -> str | None:
    """What makes ``path`` (normalised) sensitive, or None."""
    if path == "/":
        return "the node's whole root filesystem"
    for root, what in SENSITIVE_PATHS.items():
        if path == root:
            return what
        if path.startswith(root + "/"):
            return f"under {root}: {what}"
        if root.startswith(path + "/"):
            return f"contains {root}: {what}"
    return None


def _under(path: str, roots: tuple[str, ...]) -> bool:
    return any(path == r or path.startswith(r + "/") for r in roots)


class _Mounts:
    """Which containers mount each volume, and whether every mount of it is read-only."""

    __slots__ = ("names", "writable")

    def __init__(self, spec: dict[str, Any]) -> None:
        self.names: dict[str, list[str]] = {}
        self.writable: set[str] = set()
        for list_field in CONTAINER_FIELDS:
            for container in items(spec, list_field):
                if not isinstance(container, dict):
                    continue
                name = container.get("name")
                cname = name if isinstance(name, str) and name else "?"
                for mount in items(container, "volumeMounts"):
                    if not isinstance(mount, dict):
                        continue
                    volume = mount.get("name")
                    if isinstance(volume, str):
                        self.names.setdefault(volume, []).append(cname)
                        if mount.get("readOnly") is not True:
                            self.writable.add(volume)

    def who(self, volume: str) -> str:
        names = self.names.get(volume)
        if not names:
            return "not mounted by any container"
        noun = "container" if len(names) == 1 else "containers"
        return f"mounted by {noun} {quote_names(names)}"


def _host_paths(spec_path: Path, spec: dict[str, Any]) -> Iterator[tuple[Path, str, str, str]]:
    """``(path of hostPath.path, volume name, raw path, normalised path)`` for each hostPath volume."""
    for i, volume in enumerate(items(spec, "volumes")):
        if not isinstance(volume, dict):
            continue
        raw = sub(volume, "hostPath").get("path")
        if not isinstance(raw, str) or not raw.strip():
            continue
        name = volume.get("name")
        vname = name if isinstance(name, str) else f"#{i}"
        yield (*spec_path, "volumes", i, "hostPath", "path"), vname, raw, normalize(raw)


class RuntimeSocketMount(PodSpecCheck):
    NAME = "kubernetes/practice/runtime-socket-mount"
    ID = "STK-K8S-0025"
    SEVERITY = Severity.CRITICAL
    TITLE = "Pod mounts the container runtime socket"
    RATIONALE = (
        "The Docker, containerd or CRI-O socket is the runtime's API with root authority: whoever can "
        "open it starts a privileged container with the host filesystem mounted, i.e. owns the node and "
        "every pod on it.  A read-only mount does not help: connecting to a socket is not a write."
    )
    REMEDIATION = (
        "Remove the hostPath volume.  Build images with a rootless builder (BuildKit rootless, Kaniko, "
        "Buildah) and read container metadata from the Kubernetes API or the kubelet instead."
    )
    REFERENCES = (_DOC, PSS_DOC, _CIS, _NSA)

    def check_pod(self, obj: K8sObject, spec_path: Path, spec: dict[str, Any]) -> Iterator[Violation]:
        mounts: _Mounts | None = None
        for where, volume, raw, path in _host_paths(spec_path, spec):
            if not is_runtime_socket(path):
                continue
            mounts = mounts or _Mounts(spec)
            yield Violation(
                f"volume '{volume}' mounts the container runtime socket {path} from the host, "
                f"{mounts.who(volume)}",
                path=where,
                evidence=f"hostPath.path: {raw}",
            )


class SensitiveHostPath(PodSpecCheck):
    NAME = "kubernetes/practice/sensitive-host-path"
    ID = "STK-K8S-0026"
    SEVERITY = Severity.HIGH
    TITLE = "Pod mounts a sensitive host path"
    RATIONALE = (
        "Host paths such as /, /etc, /var/run, /proc, /sys, /root or /var/lib/kubelet hold node "
        "credentials, runtime sockets and kernel interfaces.  A container that mounts them reads kubelet "
        "and cloud credentials, plants files the node executes, or reaches the runtime: a node compromise."
    )
    REMEDIATION = (
        "Remove the hostPath volume, or narrow it to the one file the workload needs, read-only "
        "(readOnly: true on the volumeMount); use ConfigMaps, Secrets, emptyDir or a CSI driver instead."
    )
    REFERENCES = (_DOC, PSS_DOC, _CIS, _NSA)

    def check_pod(self, obj: K8sObject, spec_path: Path, spec: dict[str, Any]) -> Iterator[Violation]:
        mounts: _Mounts | None = None
        for where, volume, raw, path in _host_paths(spec_path, spec):
            if is_runtime_socket(path):
                continue  # STK-K8S-0025
            reason = sensitive_reason(path)
            if reason is None:
                continue
            mounts = mounts or _Mounts(spec)
            if volume not in mounts.writable and _under(path, READ_ONLY_BENIGN):
                continue
            yield Violation(
                f"volume '{volume}' mounts {path} from the host ({reason}), {mounts.who(volume)}",
                path=where,
                evidence=f"hostPath.path: {raw}",
            )


CHECKS = (RuntimeSocketMount, SensitiveHostPath)
