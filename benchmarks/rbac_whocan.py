"""RBAC load and who-can at scale: 10,000 bindings over 2,000 roles (issue 9 targets: load ≤ 2 s,
who-can ≤ 100 ms after load).

The corpus is generated from a seeded RNG in the shape ``kubectl get ... -A -o yaml`` prints: 1,500 Roles
in 50 namespaces and 500 ClusterRoles (4 rules each, a tenth with wildcards or subresources), 8,000
RoleBindings (a quarter referencing ClusterRoles) and 2,000 ClusterRoleBindings, 1–3 subjects each, plus
2,000 ServiceAccounts and 1,000 Deployments.  Figures are medians of several runs; the floors in the same
run are PyYAML's C loader parsing the same file (no positions, no model) and one pass over the bindings
doing a dict lookup each (the least any who-can must do).

    .venv/bin/python benchmarks/rbac_whocan.py [--runs N]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from stockade.rbac.authorizer import Authorizer, Request
from stockade.rbac.loader import load

NAMESPACES = [f"team-{i:02d}" for i in range(50)]
VERBS = ["get", "list", "watch", "create", "update", "patch", "delete"]
RESOURCES = [
    ("", "pods"),
    ("", "configmaps"),
    ("", "secrets"),
    ("", "services"),
    ("apps", "deployments"),
    ("apps", "statefulsets"),
    ("batch", "jobs"),
    ("networking.k8s.io", "ingresses"),
    ("", "pods/log"),
    ("", "pods/exec"),
    ("apps", "deployments/scale"),
    ("example.com", "widgets"),
]
RBAC = "rbac.authorization.k8s.io/v1"


def _rule(rng: random.Random) -> dict[str, Any]:
    if rng.random() < 0.05:
        return {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}
    group, res = rng.choice(RESOURCES)
    rule: dict[str, Any] = {
        "apiGroups": [group],
        "resources": [res],
        "verbs": rng.sample(VERBS, rng.randint(1, 4)),
    }
    if rng.random() < 0.1:
        rule["resourceNames"] = [f"obj-{rng.randint(0, 99)}"]
    return rule


def corpus(seed: int = 9) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    docs: list[dict[str, Any]] = []
    roles: list[tuple[str, str]] = []  # (namespace or "", name)
    for i in range(1500):
        ns = rng.choice(NAMESPACES)
        docs.append(
            {
                "apiVersion": RBAC,
                "kind": "Role",
                "metadata": {"name": f"role-{i}", "namespace": ns},
                "rules": [_rule(rng) for _ in range(4)],
            }
        )
        roles.append((ns, f"role-{i}"))
    cluster_roles = []
    for i in range(500):
        docs.append(
            {
                "apiVersion": RBAC,
                "kind": "ClusterRole",
                "metadata": {"name": f"cr-{i}"},
                "rules": [_rule(rng) for _ in range(4)],
            }
        )
        cluster_roles.append(f"cr-{i}")
    for i in range(2000):
        ns = rng.choice(NAMESPACES)
        docs.append(
            {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": f"sa-{i}", "namespace": ns}}
        )

    def subjects(ns: str) -> list[dict[str, str]]:
        out = []
        for _ in range(rng.randint(1, 3)):
            kind = rng.choice(["ServiceAccount", "User", "Group"])
            if kind == "ServiceAccount":
                out.append(
                    {
                        "kind": kind,
                        "name": f"sa-{rng.randint(0, 1999)}",
                        "namespace": ns or rng.choice(NAMESPACES),
                    }
                )
            else:
                out.append(
                    {
                        "kind": kind,
                        "apiGroup": "rbac.authorization.k8s.io",
                        "name": f"{kind.lower()}-{rng.randint(0, 499)}",
                    }
                )
        return out

    for i in range(8000):
        if rng.random() < 0.25:
            ns, kind, name = rng.choice(NAMESPACES), "ClusterRole", rng.choice(cluster_roles)
        else:
            (ns, name), kind = rng.choice(roles), "Role"
        docs.append(
            {
                "apiVersion": RBAC,
                "kind": "RoleBinding",
                "metadata": {"name": f"rb-{i}", "namespace": ns},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": name},
                "subjects": subjects(ns),
            }
        )
    for i in range(2000):
        docs.append(
            {
                "apiVersion": RBAC,
                "kind": "ClusterRoleBinding",
                "metadata": {"name": f"crb-{i}"},
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "ClusterRole",
                    "name": rng.choice(cluster_roles),
                },
                "subjects": subjects(""),
            }
        )
    for i in range(1000):
        ns = rng.choice(NAMESPACES)
        docs.append(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": f"app-{i}", "namespace": ns},
                "spec": {
                    "template": {
                        "spec": {
                            "serviceAccountName": f"sa-{rng.randint(0, 1999)}",
                            "containers": [{"name": "c", "image": "nginx:1.27"}],
                        }
                    }
                },
            }
        )
    return docs


def median_time(fn: Any, runs: int) -> tuple[float, Any]:
    times, value = [], None
    for _ in range(runs):
        t = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), value


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    docs = corpus()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rbac.yaml"
        path.write_text(
            yaml.dump_all(docs, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False)
        )
        size = path.stat().st_size
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        floor_load, _ = median_time(lambda: list(yaml.load_all(path.read_text(), Loader=loader)), args.runs)
        t_load, cluster = median_time(lambda: load([str(path)]), args.runs)
    az = Authorizer(cluster)
    queries = [
        ("who-can get secrets -n team-07", Request("get", "secrets", namespace="team-07"), False),
        ("who-can create pods/exec -A", Request("create", "pods", "exec"), True),
        ("who-can update deployments.apps/scale", Request("update", "deployments", "scale", "apps"), False),
        ("who-can list widgets.example.com -A", Request("list", "widgets", api_group="example.com"), True),
    ]
    bindings = cluster.bindings

    def floor_scan() -> int:
        roles = cluster.roles
        return sum(1 for b in bindings if b.role_key in roles)

    floor_q, _ = median_time(floor_scan, args.runs * 4)
    n_bind = sum(1 for b in bindings if not b.builtin)
    n_roles = sum(1 for r in cluster.roles.values() if not r.builtin)
    print(
        f"corpus: {n_bind:,} bindings over {n_roles:,} roles, {len(cluster.service_accounts):,} service "
        "accounts, "
        f"{len(cluster.workloads):,} workloads, {size / 2**20:.1f} MiB YAML; median of {args.runs} runs"
    )
    print(f"{'measure':44} {'median':>10} {'floor':>10} {'ratio':>7}  target")
    print(
        f"{'load (parse + model + aggregation + index)':44} {t_load * 1000:>8.0f}ms "
        f"{floor_load * 1000:>8.0f}ms "
        f"{t_load / floor_load:>6.2f}x  ≤ 2000 ms"
    )
    for label, req, all_ns in queries:
        t, grants = median_time(
            lambda req=req, all_ns=all_ns: az.who_can(req, all_namespaces=all_ns), args.runs * 4
        )
        print(
            f"{label:44} {t * 1000:>8.1f}ms {floor_q * 1000:>8.1f}ms {t / floor_q:>6.2f}x  ≤ 100 ms "
            f"({len(grants):,} grants)"
        )


if __name__ == "__main__":
    main()
