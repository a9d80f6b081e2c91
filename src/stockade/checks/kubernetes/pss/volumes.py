"""PSS volume controls: baseline "HostPath Volumes" (upstream ``hostPathVolumes``, v1.0+) and restricted
"Volume Types" (``restrictedVolumes``, v1.0+, which overrides ``hostPathVolumes`` at the restricted level).

Restricted allows only the volume sources in :data:`RESTRICTED_ALLOWED`.  ``image`` joined that list in
Kubernetes 1.33 (PR #130394) inside the single v1.0 ``VersionedCheck``, so upstream allows it at every
policy version; so do we.  A volume that names no known source is what the API server defaults to
``emptyDir`` (``SetDefaults_Volume``), so it is allowed, as upstream sees it after defaulting.  As in
upstream's ``switch``, a volume that sets an allowed source passes even if it also sets another (the API
server rejects such a volume anyway).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from stockade.checks.interface import Violation
from stockade.checks.kubernetes.pss._base import Pod, PSSCheck
from stockade.model.severity import Severity

#: every source field of core/v1 VolumeSource
VOLUME_SOURCES = (
    "hostPath", "emptyDir", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "secret", "nfs", "iscsi",
    "glusterfs", "persistentVolumeClaim", "rbd", "flexVolume", "cinder", "cephfs", "flocker", "downwardAPI",
    "fc", "azureFile", "configMap", "vsphereVolume", "quobyte", "azureDisk", "photonPersistentDisk",
    "projected", "portworxVolume", "scaleIO", "storageos", "csi", "ephemeral", "image",
)  # fmt: skip
#: check_restrictedVolumes.go
RESTRICTED_ALLOWED = frozenset(
    {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image", "persistentVolumeClaim",
     "projected", "secret"}
)  # fmt: skip
_RESTRICTED_LIST = ", ".join(sorted(RESTRICTED_ALLOWED))


def volumes(pod: Pod) -> Iterator[tuple[int, str, dict[str, Any]]]:
    items = pod.spec.get("volumes")
    if isinstance(items, list):
        for i, vol in enumerate(items):
            if isinstance(vol, dict):
                name = vol.get("name")
                yield i, name if isinstance(name, str) else "", vol


class HostPathVolumes(PSSCheck):
    ID = "STK-PSS-0004"
    SEVERITY = Severity.HIGH
    TITLE = "Pod mounts a hostPath volume"
    RATIONALE = (
        "A hostPath volume exposes the node's file system to the pod; writable mounts of sensitive paths "
        "(container runtime sockets, /etc, /var/lib/kubelet) lead to node takeover."
    )
    REMEDIATION = (
        "Replace hostPath volumes with emptyDir, configMap, secret, a persistent volume claim or CSI."
    )
    LEVEL = "baseline"
    CONTROL = "HostPath Volumes"
    UPSTREAM_ID = "hostPathVolumes"

    def check_pod(self, pod: Pod) -> Iterator[Violation]:
        for i, name, vol in volumes(pod):
            host_path = vol.get("hostPath")
            if isinstance(host_path, dict):
                where = host_path.get("path")
                yield self.violation(
                    f'volume "{name}" is a hostPath volume; allowed: no hostPath volumes',
                    pod.at("volumes", i, "hostPath"),
                    f"hostPath.path: {where}" if isinstance(where, str) else "",
                )


class RestrictedVolumes(PSSCheck):
    ID = "STK-PSS-0013"
    SEVERITY = Severity.MEDIUM
    TITLE = "Pod uses a volume type outside the restricted set"
    RATIONALE = (
        "Only ephemeral, projected and claim-based volume types are isolated from the node and from "
        "storage the cluster does not control; other in-line volume types (hostPath, nfs, iscsi, rbd, "
        "gitRepo ...) reach the host or external storage directly."
    )
    REMEDIATION = f"Use only these volume types: {_RESTRICTED_LIST}."
    LEVEL = "restricted"
    CONTROL = "Volume Types"
    UPSTREAM_ID = "restrictedVolumes"
    OVERRIDES = ("hostPathVolumes",)

    def check_pod(self, pod: Pod) -> Iterator[Violation]:
        for i, name, vol in volumes(pod):
            sources = [s for s in VOLUME_SOURCES if isinstance(vol.get(s), dict)]
            if not sources or any(s in RESTRICTED_ALLOWED for s in sources):
                continue
            yield self.violation(
                f'volume "{name}" uses volume type "{sources[0]}"; allowed: {_RESTRICTED_LIST}',
                pod.at("volumes", i, sources[0]),
                sources[0],
            )
