"""Kubernetes best-practice checks (``STK-K8S-…``), beyond the Pod Security Standards.

Ids are stable and never reused: a retired check keeps its number, marked retired here.

    id            severity  module          what
    STK-K8S-0001  low       resources       container without a CPU request
    STK-K8S-0002  low       resources       container without a CPU limit
    STK-K8S-0003  low       resources       container without a memory request
    STK-K8S-0004  medium    resources       container without a memory limit
    STK-K8S-0005  low       probes          container without a liveness probe
    STK-K8S-0006  low       probes          container without a readiness probe
    STK-K8S-0007  medium    images          image without a tag (pulls latest)
    STK-K8S-0008  medium    images          image with the 'latest' tag
    STK-K8S-0009  low       images          image not pinned by digest
    STK-K8S-0010  low       images          imagePullPolicy not Always for an image without a digest
    STK-K8S-0011  critical  privileges      privileged container
    STK-K8S-0012  medium    privileges      allowPrivilegeEscalation not false
    STK-K8S-0013  low       privileges      readOnlyRootFilesystem not true
    STK-K8S-0014  medium    privileges      runAsUser: 0 (container, or pod default)
    STK-K8S-0015  high      privileges      procMount: Unmasked
    STK-K8S-0016  medium    capabilities    NET_RAW not dropped (or added)
    STK-K8S-0017  high      capabilities    SYS_ADMIN added
    STK-K8S-0018  high      capabilities    other dangerous capability added (ALL, SYS_MODULE, SYS_PTRACE ...)
    STK-K8S-0019  high      host            hostNetwork: true
    STK-K8S-0020  high      host            hostPID: true
    STK-K8S-0021  high      host            hostIPC: true
    STK-K8S-0022  low       host            shareProcessNamespace: true
    STK-K8S-0023  low       serviceaccount  pod spec does not set automountServiceAccountToken: false
    STK-K8S-0024  low       serviceaccount  ServiceAccount does not set automountServiceAccountToken: false
    STK-K8S-0025  critical  hostpath        hostPath mount of a container runtime socket
    STK-K8S-0026  high      hostpath        sensitive hostPath mount (/, /etc, /var/run, /proc …)
    STK-K8S-0027  high      env             secret-looking env variable with a literal value
    STK-K8S-0028  low       namespace       workload in the default namespace
    STK-K8S-0029  info      namespace       workload without a namespace (lands wherever applied)
    STK-K8S-0030  low       network         Service of type NodePort
    STK-K8S-0031  medium    network         Service of type LoadBalancer open to any source
    STK-K8S-0032  medium    network         Ingress without TLS (or a rule host no TLS entry covers)

Workload checks apply to every kind that carries a pod template (``objects.POD_SPEC_PATHS``); the others
to Service, Ingress or ServiceAccount.  A check's ``KINDS`` names what it is about, and it returns nothing
for any other kind.  Each violation's ``path`` points at the offending field (or, for a missing field, at
where it belongs; the line is then that of the nearest enclosing field that exists).
"""

from __future__ import annotations

from stockade.checks.kubernetes.check import K8sCheck
from stockade.checks.kubernetes.practice import (
    capabilities,
    env,
    host,
    hostpath,
    images,
    namespace,
    network,
    privileges,
    probes,
    resources,
    serviceaccount,
)

CHECKS: tuple[type[K8sCheck], ...] = (
    *resources.CHECKS,
    *probes.CHECKS,
    *images.CHECKS,
    *privileges.CHECKS,
    *capabilities.CHECKS,
    *host.CHECKS,
    *serviceaccount.CHECKS,
    *hostpath.CHECKS,
    *env.CHECKS,
    *namespace.CHECKS,
    *network.CHECKS,
)

__all__ = ["CHECKS"]
