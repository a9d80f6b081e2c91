"""Realistic Kubernetes workloads for the benchmark corpus (benchmarks/k8s_corpus.py), from a seeded RNG.

The shapes tools print: ``helm template`` output (multi-document, ``# Source:`` comments, Helm labels, hook
Jobs), ``kustomize build`` output (sorted keys, a Namespace first), one object per file as in GitOps
repositories, ``kubectl get -o yaml`` Lists and ``kubectl get -o json`` objects with the server's defaults
and status.  Each release is a chart's worth of objects (ServiceAccount, Secret, ConfigMap, Services, the
workload, Ingress, HPA, PDB, NetworkPolicy, Role/RoleBinding) around one of 28 real images.  What varies:
names, namespaces (or none), image references (pinned tag, ``latest``, none, digest), pod and container
security contexts (restricted, partial, none, root with added capabilities, privileged, node agents with
host namespaces and hostPath mounts), resources, probes, env (literal secrets sometimes), sidecars and init
containers.  Everything random comes from one ``random.Random(seed)`` drawn in a fixed order.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import uuid
from dataclasses import dataclass
from typing import Any

import yaml

HELM_RELEASES = 250
KUSTOMIZE_BUILDS = 40
GITOPS_APPS = 40
KUBECTL_LISTS = 20
KUBECTL_JSON = 30

Obj = dict[str, Any]


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Block style, no anchors (the e2e transcription shares nodes; kubectl never prints aliases)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    """Multi-line strings as block literals, as ``helm template`` and kubectl print them."""
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|" if "\n" in data else None)


_Dumper.add_representer(str, _str)


def dump(obj: Any, sort_keys: bool = False) -> str:
    return yaml.dump(obj, Dumper=_Dumper, sort_keys=sort_keys, default_flow_style=False, width=120)


@dataclass(frozen=True, slots=True)
class App:
    name: str
    image: str  # repository without tag
    tag: str
    port: int  # 0: no port (batch)
    kind: str  # Deployment | StatefulSet | DaemonSet | CronJob
    chart: str


APPS = (
    App("nginx", "docker.io/library/nginx", "1.27.3", 80, "Deployment", "nginx"),
    App("redis", "docker.io/library/redis", "7.4.1", 6379, "StatefulSet", "redis"),
    App("postgres", "docker.io/library/postgres", "16.6", 5432, "StatefulSet", "postgresql"),
    App("mysql", "docker.io/library/mysql", "8.4.3", 3306, "StatefulSet", "mysql"),
    App("mongodb", "docker.io/library/mongo", "7.0.15", 27017, "StatefulSet", "mongodb"),
    App("rabbitmq", "docker.io/library/rabbitmq", "3.13-management", 5672, "StatefulSet", "rabbitmq"),
    App("kafka", "docker.io/bitnami/kafka", "3.9.0", 9092, "StatefulSet", "kafka"),
    App("prometheus", "quay.io/prometheus/prometheus", "v2.55.1", 9090, "Deployment", "prometheus"),
    App("grafana", "docker.io/grafana/grafana", "11.3.1", 3000, "Deployment", "grafana"),
    App("node-exporter", "quay.io/prometheus/node-exporter", "v1.8.2", 9100, "DaemonSet", "node-exporter"),
    App("fluent-bit", "cr.fluentbit.io/fluent/fluent-bit", "3.2.2", 2020, "DaemonSet", "fluent-bit"),
    App("promtail", "docker.io/grafana/promtail", "3.3.0", 3101, "DaemonSet", "promtail"),
    App("loki", "docker.io/grafana/loki", "3.3.0", 3100, "StatefulSet", "loki"),
    App("traefik", "docker.io/library/traefik", "v3.2.1", 8000, "Deployment", "traefik"),
    App("coredns", "registry.k8s.io/coredns/coredns", "v1.11.3", 53, "Deployment", "coredns"),
    App("memcached", "docker.io/library/memcached", "1.6.32", 11211, "Deployment", "memcached"),
    App("minio", "quay.io/minio/minio", "RELEASE.2024-11-07T00-52-20Z", 9000, "StatefulSet", "minio"),
    App("vault", "docker.io/hashicorp/vault", "1.18.2", 8200, "StatefulSet", "vault"),
    App("jaeger", "docker.io/jaegertracing/all-in-one", "1.63.0", 16686, "Deployment", "jaeger"),
    App("keycloak", "quay.io/keycloak/keycloak", "26.0.6", 8080, "Deployment", "keycloak"),
    App("orders-api", "ghcr.io/acme/orders-api", "2.14.0", 8080, "Deployment", "service"),
    App("storefront", "ghcr.io/acme/storefront", "5.2.3", 3000, "Deployment", "service"),
    App("payments-worker", "ghcr.io/acme/payments-worker", "1.9.7", 9000, "Deployment", "service"),
    App("db-backup", "docker.io/bitnami/postgresql", "16.6.0", 0, "CronJob", "backup"),
    App("report-generator", "ghcr.io/acme/report-generator", "0.8.1", 0, "CronJob", "cronjob"),
    App("cleanup", "docker.io/bitnami/kubectl", "1.31.3", 0, "CronJob", "cronjob"),
    App("calico-node", "docker.io/calico/node", "v3.29.1", 9099, "DaemonSet", "calico"),
    App("kube-proxy", "registry.k8s.io/kube-proxy", "v1.31.3", 10249, "DaemonSet", "kube-proxy"),
)
NAMESPACES = ("default", "prod", "staging", "dev", "monitoring", "logging", "data", "payments", "kube-system")
ENVS = ("prod", "staging", "dev", "eu", "us", "blue", "green", "canary")
PROFILES = ("restricted", "partial", "none", "root", "privileged")
PROFILE_WEIGHTS = (35, 25, 25, 10, 5)
NODE_PROFILES = ("node-agent", "privileged", "restricted")
NODE_PROFILE_WEIGHTS = (60, 25, 15)
SIDECARS = (
    ("log-shipper", "cr.fluentbit.io/fluent/fluent-bit:3.2.2"),
    ("metrics-exporter", "quay.io/prometheus/statsd-exporter:v0.28.0"),
    ("oauth2-proxy", "quay.io/oauth2-proxy/oauth2-proxy:v7.7.1"),
)
NODE_HOST_PATHS = (
    ("proc", "/proc"),
    ("sys", "/sys"),
    ("varlog", "/var/log"),
    ("containers", "/var/lib/docker/containers"),
    ("containerd-sock", "/run/containerd/containerd.sock"),
    ("docker-sock", "/var/run/docker.sock"),
    ("rootfs", "/"),
    ("etc", "/etc"),
)


class Gen:
    """Everything random comes from one seeded RNG, in a fixed order."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def image(self, app: App) -> str:
        r = self.rng.random()
        if r < 0.6:
            return f"{app.image}:{app.tag}"
        if r < 0.7:
            return f"{app.image}:latest"
        if r < 0.8:
            return app.image
        digest = hashlib.sha256(f"{app.image}:{app.tag}".encode()).hexdigest()
        return f"{app.image}:{app.tag}@sha256:{digest}"

    def resources(self) -> Obj | None:
        r = self.rng.random()
        cpu = self.rng.choice(("50m", "100m", "250m", "500m", "1"))
        mem = self.rng.choice(("64Mi", "128Mi", "256Mi", "512Mi", "1Gi", "2Gi"))
        if r < 0.55:
            return {"requests": {"cpu": cpu, "memory": mem}, "limits": {"memory": mem}}
        if r < 0.75:
            return {"requests": {"cpu": cpu, "memory": mem}, "limits": {"cpu": cpu, "memory": mem}}
        if r < 0.85:
            return {"requests": {"cpu": cpu}}
        return None

    def probes(self, c: Obj, port: int) -> None:
        if not port or self.rng.random() < 0.3:
            return
        if self.rng.random() < 0.5:
            check: Obj = {
                "httpGet": {"path": self.rng.choice(("/healthz", "/ready", "/-/healthy")), "port": port}
            }
        else:
            check = {"tcpSocket": {"port": port}}
        c["livenessProbe"] = {**check, "initialDelaySeconds": 10, "periodSeconds": 10, "failureThreshold": 3}
        if self.rng.random() < 0.8:
            c["readinessProbe"] = {**check, "periodSeconds": 5}

    def env(self, app: App, release: str) -> list[Obj]:
        env: list[Obj] = [
            {"name": "LOG_LEVEL", "value": self.rng.choice(("info", "debug", "warn"))},
            {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
        ]
        r = self.rng.random()
        if r < 0.2:
            secret = hashlib.sha256(release.encode()).hexdigest()[:16]
            env.append(
                {
                    "name": self.rng.choice(("DB_PASSWORD", "API_TOKEN", "AWS_SECRET_ACCESS_KEY")),
                    "value": secret,
                }
            )
        elif r < 0.7:
            ref = {"secretKeyRef": {"name": f"{release}-credentials", "key": "password"}}
            env.append({"name": "DB_PASSWORD", "valueFrom": ref})
        return env

    def container_security(self, profile: str) -> Obj | None:
        if profile == "restricted":
            return {
                "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": True,
                "runAsNonRoot": True,
                "capabilities": {"drop": ["ALL"]},
            }
        if profile == "partial":
            return {"allowPrivilegeEscalation": False} if self.rng.random() < 0.7 else {"runAsNonRoot": True}
        if profile == "root":
            add = self.rng.sample(("NET_ADMIN", "NET_RAW", "SYS_TIME", "CHOWN", "SYS_ADMIN"), 2)
            return {"runAsUser": 0, "capabilities": {"add": add}}
        if profile == "privileged":
            return {"privileged": True, "allowPrivilegeEscalation": True}
        if profile == "node-agent":
            sc: Obj = {"readOnlyRootFilesystem": True}
            if self.rng.random() < 0.5:
                sc["capabilities"] = {"add": ["SYS_ADMIN"] if self.rng.random() < 0.5 else ["SYS_PTRACE"]}
            return sc
        return None

    def pod_security(self, profile: str) -> Obj | None:
        if profile == "restricted":
            uid = self.rng.choice((1000, 1001, 10001, 65532))
            return {
                "runAsNonRoot": True,
                "runAsUser": uid,
                "runAsGroup": uid,
                "fsGroup": uid,
                "seccompProfile": {"type": "RuntimeDefault"},
            }
        if profile == "partial" and self.rng.random() < 0.5:
            return {"fsGroup": 1001}
        return None

    def pod_spec(self, app: App, release: str, profile: str, batch: bool) -> Obj:
        main: Obj = {"name": app.name, "image": self.image(app)}
        policy = self.rng.choice(("IfNotPresent", "Always", None))
        if policy:
            main["imagePullPolicy"] = policy
        if app.kind == "CronJob":
            main["command"] = ["/bin/sh", "-c", f"/usr/local/bin/{app.name} --once"]
        else:
            main["args"] = [f"--config=/etc/{app.name}/config.yaml"]
        if app.port:
            main["ports"] = [{"name": "http", "containerPort": app.port, "protocol": "TCP"}]
        main["env"] = self.env(app, release)
        res = self.resources()
        if res:
            main["resources"] = res
        if not batch:
            self.probes(main, app.port)
        mounts: list[Obj] = [{"name": "config", "mountPath": f"/etc/{app.name}", "readOnly": True}]
        volumes: list[Obj] = [{"name": "config", "configMap": {"name": f"{release}-config"}}]
        if profile == "restricted":
            mounts.append({"name": "tmp", "mountPath": "/tmp"})
            volumes.append({"name": "tmp", "emptyDir": {}})
        if app.kind == "StatefulSet":
            mounts.append({"name": "data", "mountPath": "/data"})
        spec: Obj = {}
        if profile in ("node-agent", "privileged") and app.kind == "DaemonSet":
            spec["hostNetwork"] = True
            spec["hostPID"] = self.rng.random() < 0.5
            spec["dnsPolicy"] = "ClusterFirstWithHostNet"
            for vname, path in self.rng.sample(NODE_HOST_PATHS, self.rng.randint(1, 3)):
                volumes.append({"name": vname, "hostPath": {"path": path}})
                mounts.append({"name": vname, "mountPath": "/host" + path, "readOnly": vname != "varlog"})
        elif profile == "privileged" and self.rng.random() < 0.5:
            volumes.append(
                {"name": "docker-sock", "hostPath": {"path": "/var/run/docker.sock", "type": "Socket"}}
            )
            mounts.append({"name": "docker-sock", "mountPath": "/var/run/docker.sock"})
        main["volumeMounts"] = mounts
        sc = self.container_security(profile)
        if sc:
            main["securityContext"] = sc
        containers = [main]
        if self.rng.random() < 0.25:
            name, image = self.rng.choice(SIDECARS)
            side: Obj = {
                "name": name,
                "image": image,
                "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}},
            }
            if profile == "restricted":
                side["securityContext"] = self.container_security(profile)
            containers.append(side)
        spec["serviceAccountName"] = release
        if self.rng.random() < 0.4:
            spec["automountServiceAccountToken"] = False
        psc = self.pod_security(profile)
        if psc:
            spec["securityContext"] = psc
        if self.rng.random() < 0.2:
            spec["initContainers"] = [
                {
                    "name": "init-permissions",
                    "image": "docker.io/library/busybox:1.37",
                    "command": ["sh", "-c", "chown -R 1001:1001 /data"],
                    "securityContext": {"runAsUser": 0},
                    "volumeMounts": [{"name": "config", "mountPath": "/data"}],
                }
            ]
        spec["containers"] = containers
        spec["volumes"] = volumes
        if app.kind == "DaemonSet":
            spec["tolerations"] = [{"operator": "Exists"}]
        else:
            spec["nodeSelector"] = {"kubernetes.io/os": "linux"}
        if batch:
            spec["restartPolicy"] = "OnFailure"
        spec["terminationGracePeriodSeconds"] = self.rng.choice((10, 30, 60))
        return spec


def labels(app: App, release: str, helm: bool) -> dict[str, str]:
    out = {"app.kubernetes.io/name": app.name, "app.kubernetes.io/instance": release}
    if helm:
        out["app.kubernetes.io/version"] = app.tag
        out["app.kubernetes.io/managed-by"] = "Helm"
        out["helm.sh/chart"] = f"{app.chart}-1.{len(app.tag)}.0"
    return out


def meta(name: str, ns: str | None, lab: dict[str, str]) -> Obj:
    m: Obj = {"name": name}
    if ns:
        m["namespace"] = ns
    m["labels"] = dict(lab)
    return m


def workload_spec(g: Gen, app: App, release: str, select: dict[str, str], template: Obj) -> Obj:
    rng = g.rng
    if app.kind == "Deployment":
        rolling = {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}}
        return {"replicas": rng.choice((1, 2, 3, 5)), "revisionHistoryLimit": 10,
                "selector": {"matchLabels": select}, "strategy": rolling, "template": template}  # fmt: skip
    if app.kind == "StatefulSet":
        storage = {"requests": {"storage": rng.choice(("1Gi", "8Gi", "50Gi"))}}
        claim = {
            "metadata": {"name": "data"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": storage},
        }
        return {"serviceName": f"{release}-headless", "replicas": rng.choice((1, 3)),
                "podManagementPolicy": "OrderedReady", "selector": {"matchLabels": select},
                "template": template, "volumeClaimTemplates": [claim]}  # fmt: skip
    if app.kind == "DaemonSet":
        rolling = {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}}
        return {"selector": {"matchLabels": select}, "updateStrategy": rolling, "template": template}
    job = {"backoffLimit": 2, "activeDeadlineSeconds": 3600, "template": template}
    schedule = f"{rng.randrange(60)} {rng.randrange(24)} * * *"
    return {"schedule": schedule, "concurrencyPolicy": "Forbid", "successfulJobsHistoryLimit": 3,
            "failedJobsHistoryLimit": 1, "jobTemplate": {"spec": job}}  # fmt: skip


def release_objects(g: Gen, app: App, release: str, ns: str | None, helm: bool) -> list[tuple[str, Obj]]:
    """``(template name, object)`` for one release of ``app``: what a chart renders."""
    rng = g.rng
    lab = labels(app, release, helm)
    select = {"app.kubernetes.io/name": app.name, "app.kubernetes.io/instance": release}
    node = app.kind == "DaemonSet"
    profile = rng.choices(
        NODE_PROFILES if node else PROFILES, NODE_PROFILE_WEIGHTS if node else PROFILE_WEIGHTS
    )[0]
    out: list[tuple[str, Obj]] = []

    def add(template: str, api: str, kind: str, name: str, **fields: Any) -> Obj:
        obj: Obj = {"apiVersion": api, "kind": kind, "metadata": meta(name, ns, lab), **fields}
        out.append((template, obj))
        return obj

    sa = add("serviceaccount", "v1", "ServiceAccount", release)
    if rng.random() < 0.3:
        sa["automountServiceAccountToken"] = False
    if rng.random() < 0.3:
        pw = base64.b64encode(hashlib.sha256(release.encode()).digest()[:12]).decode()
        add("secret", "v1", "Secret", f"{release}-credentials", type="Opaque", data={"password": pw})
    config = {"config.yaml": f"log_level: info\nlisten: 0.0.0.0:{app.port or 8080}\nrelease: {release}\n"}
    add("configmap", "v1", "ConfigMap", f"{release}-config", data=config)
    if app.port:
        svc_type = rng.choices(("ClusterIP", "NodePort", "LoadBalancer"), (75, 10, 15))[0]
        port: Obj = {"name": "http", "port": app.port, "targetPort": "http", "protocol": "TCP"}
        headless = {"clusterIP": "None", "selector": select, "ports": [dict(port)]}
        if svc_type == "NodePort":
            port["nodePort"] = 30000 + rng.randrange(2767)
        add("service", "v1", "Service", release, spec={"type": svc_type, "selector": select, "ports": [port]})
        if app.kind == "StatefulSet":
            add("service-headless", "v1", "Service", f"{release}-headless", spec=headless)
    template: Obj = {
        "metadata": {"labels": dict(lab)},
        "spec": g.pod_spec(app, release, profile, app.kind == "CronJob"),
    }
    if rng.random() < 0.4:
        digest = hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()
        template["metadata"]["annotations"] = {"checksum/config": digest}
    if app.port and rng.random() < 0.5:
        template["metadata"].setdefault("annotations", {})["prometheus.io/scrape"] = "true"
    api = "batch/v1" if app.kind == "CronJob" else "apps/v1"
    add(app.kind.lower(), api, app.kind, release, spec=workload_spec(g, app, release, select, template))
    if helm and app.kind == "Deployment" and app.chart == "service" and rng.random() < 0.5:
        hook_spec = g.pod_spec(app, release, profile, batch=True)
        hook_spec["containers"][0]["args"] = ["migrate", "--to=latest"]
        job_spec = {"backoffLimit": 1, "template": {"metadata": {"labels": dict(lab)}, "spec": hook_spec}}
        job = add("job-migrate", "batch/v1", "Job", f"{release}-migrate", spec=job_spec)
        job["metadata"]["annotations"] = {"helm.sh/hook": "pre-install,pre-upgrade",
                                          "helm.sh/hook-delete-policy": "hook-succeeded"}  # fmt: skip
    if app.port and app.kind == "Deployment" and rng.random() < 0.5:
        host = f"{release}.{rng.choice(ENVS)}.example.com"
        backend = {"service": {"name": release, "port": {"name": "http"}}}
        rule = {"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]}}
        ing: Obj = {"ingressClassName": rng.choice(("nginx", "traefik")), "rules": [rule]}
        if rng.random() < 0.6:
            ing["tls"] = [{"hosts": [host], "secretName": f"{release}-tls"}]
        add("ingress", "networking.k8s.io/v1", "Ingress", release, spec=ing)
    if app.kind == "Deployment" and rng.random() < 0.4:
        target = {"apiVersion": "apps/v1", "kind": "Deployment", "name": release}
        util = {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 75}}
        hpa = {"scaleTargetRef": target, "minReplicas": 2, "maxReplicas": 10,
               "metrics": [{"type": "Resource", "resource": util}]}  # fmt: skip
        add("hpa", "autoscaling/v2", "HorizontalPodAutoscaler", release, spec=hpa)
    if app.kind in ("Deployment", "StatefulSet") and rng.random() < 0.4:
        pdb = {"minAvailable": 1, "selector": {"matchLabels": select}}
        add("pdb", "policy/v1", "PodDisruptionBudget", release, spec=pdb)
    if app.port and rng.random() < 0.3:
        peer = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}
        allow = {"from": [peer, {"podSelector": {}}], "ports": [{"protocol": "TCP", "port": app.port}]}
        np_spec = {"podSelector": {"matchLabels": select}, "policyTypes": ["Ingress"], "ingress": [allow]}
        add("networkpolicy", "networking.k8s.io/v1", "NetworkPolicy", release, spec=np_spec)
    if rng.random() < 0.25:
        rules = [
            {"apiGroups": [""], "resources": ["configmaps", "secrets"], "verbs": ["get", "list", "watch"]}
        ]
        if rng.random() < 0.2:
            rules = [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]
        rbac = "rbac.authorization.k8s.io"
        add("role", f"{rbac}/v1", "Role", release, rules=rules)
        subject = {"kind": "ServiceAccount", "name": release, **({"namespace": ns} if ns else {})}
        ref = {"apiGroup": rbac, "kind": "Role", "name": release}
        add("rolebinding", f"{rbac}/v1", "RoleBinding", release, roleRef=ref, subjects=[subject])
    return out


def server_side(g: Gen, obj: Obj) -> Obj:
    """What the API server adds before ``kubectl get`` prints an object: uid, timestamps, defaults, status."""
    m = obj["metadata"]
    m.setdefault("namespace", "default")
    m["uid"] = str(uuid.UUID(int=g.rng.getrandbits(128), version=4))
    m["resourceVersion"] = str(g.rng.randrange(10_000, 9_999_999))
    m["creationTimestamp"] = (
        f"2026-{g.rng.randint(1, 11):02d}-{g.rng.randint(1, 28):02d}T{g.rng.randrange(24):02d}:00:00Z"
    )
    kind = obj["kind"]
    if kind in ("Deployment", "StatefulSet", "DaemonSet"):
        m["generation"] = g.rng.randint(1, 9)
        pod = obj["spec"]["template"]["spec"]
        pod.setdefault("dnsPolicy", "ClusterFirst")
        pod.setdefault("restartPolicy", "Always")
        pod.setdefault("schedulerName", "default-scheduler")
        pod.setdefault("securityContext", {})
        for c in pod["containers"]:
            c.setdefault("imagePullPolicy", "IfNotPresent")
            c.setdefault("terminationMessagePath", "/dev/termination-log")
            c.setdefault("terminationMessagePolicy", "File")
        replicas = obj["spec"].get("replicas", 3)
        obj["status"] = {
            "observedGeneration": m["generation"],
            "replicas": replicas,
            "readyReplicas": replicas,
        }
    elif kind == "Service":
        obj["spec"].setdefault("clusterIP", f"10.96.{g.rng.randrange(256)}.{g.rng.randrange(1, 255)}")
        obj["spec"]["sessionAffinity"] = "None"
        obj["status"] = {"loadBalancer": {}}
    return obj


def rendered(g: Gen, i: int, helm: bool) -> tuple[App, str, str | None, list[tuple[str, Obj]]]:
    app = APPS[g.rng.randrange(len(APPS))]
    release = f"{g.rng.choice(ENVS)}-{app.name}" if g.rng.random() < 0.6 else f"{app.name}-{i}"
    ns = g.rng.choice((*NAMESPACES, None))
    return app, release, ns, release_objects(g, app, release, ns, helm)


def workload_files(g: Gen) -> dict[str, str]:
    files: dict[str, str] = {}
    for i in range(HELM_RELEASES):
        app, release, _ns, objs = rendered(g, i, helm=True)
        text = "".join(f"---\n# Source: {app.chart}/templates/{t}.yaml\n{dump(o)}" for t, o in objs)
        files[f"helm/{i:03d}-{release}.yaml"] = text
    for i in range(KUSTOMIZE_BUILDS):
        app, release, ns, objs = rendered(g, i, helm=False)
        docs = [o for _, o in objs]
        if ns and ns != "default":
            docs.insert(0, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        files[f"kustomize/{i:03d}-{release}.yaml"] = "---\n".join(dump(o, sort_keys=True) for o in docs)
    for i in range(GITOPS_APPS):
        app, release, _ns, objs = rendered(g, i, helm=False)
        for t, o in objs:
            files[f"apps/{i:03d}-{release}/{t}.yaml"] = dump(o)
    for i in range(KUBECTL_LISTS):
        items = []
        for j in range(3):
            _app, _release, _ns, objs = rendered(g, i * 10 + j, helm=False)
            items += [
                server_side(g, o)
                for _, o in objs
                if o["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Service")
            ]
        doc = {"apiVersion": "v1", "kind": "List", "items": items, "metadata": {"resourceVersion": ""}}
        files[f"kubectl/list-{i:03d}.yaml"] = dump(doc, sort_keys=True)
    for i in range(KUBECTL_JSON):
        _app, release, _ns, objs = rendered(g, i, helm=False)
        workload = next(
            o for t, o in objs if o["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "CronJob")
        )
        obj = server_side(g, workload) if workload["kind"] != "CronJob" else workload
        files[f"kubectl/{i:03d}-{release}.json"] = json.dumps(obj, indent=4, sort_keys=True) + "\n"
    return files
