"""Full connectivity matrix of 2,000 pods and 500 NetworkPolicies (issue 8 target: <= 5 s).

The cluster is generated from a seeded RNG as ``kubectl get pods,netpol -A -o yaml`` would print it:
40 namespaces of 50 pods (10 apps x 5 replicas; labels app, tier, version and a per-replica
pod-template-hash; named container ports; ``status.podIP``), and 500 policies: a default-deny per namespace
plus per-app ingress/egress rules mixing same-namespace pod selectors, namespaceSelector AND podSelector
peers, matchExpressions, ipBlocks with except, named ports and endPort ranges.

Measured, median of --runs (default 5), all in one process and one run:

* load      parsing the YAML into the model (the manifests loader)
* matrix    ``build_matrix``: equivalence classes, per-rule bit sets, every class pair's allowed ports
* expand    the verdict of every one of the 2,000 x 1,999 pod pairs x each destination's declared ports
            (counted per group of identical pods: ``Matrix.counts``; checked against a pair-by-pair visit)
* naive     pair-by-pair ``Evaluator.allowed_ports`` (no classes) on 20,000 random pairs, extrapolated to
            every pair: the peer the equivalence classes are measured against
* floor     a bare Python loop over every pair doing one list lookup: no analysis can visit pairs faster

    .venv/bin/python benchmarks/netpol_matrix.py [--runs 5]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

import yaml

from stockade.netpol.load import load_text
from stockade.netpol.reach import build_matrix
from stockade.netpol.semantics.evaluate import Evaluator

NAMESPACES, APPS, REPLICAS, POLICIES = 40, 10, 5, 500
APP_NAMES = ["web", "api", "auth", "cart", "search", "db", "cache", "queue", "worker", "metrics"]
PORTS = {
    "web": 8080,
    "api": 9000,
    "auth": 9100,
    "cart": 9200,
    "search": 9300,
    "db": 5432,
    "cache": 6379,
    "queue": 5672,
    "worker": 8000,
    "metrics": 9090,
}


def corpus(seed: int = 8) -> str:
    rng = random.Random(seed)
    docs: list[dict[str, Any]] = []
    for n in range(NAMESPACES):
        team = f"team{n % 8}"
        docs.append(
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": f"ns{n}", "labels": {"team": team, "env": rng.choice(["prod", "dev"])}},
            }
        )
        for a, app in enumerate(APP_NAMES):
            tier = "data" if app in ("db", "cache", "queue") else "backend" if a < 8 else "ops"
            for r in range(REPLICAS):
                h = f"{rng.getrandbits(32):08x}"[:9]
                docs.append(
                    {
                        "apiVersion": "v1",
                        "kind": "Pod",
                        "metadata": {
                            "name": f"{app}-{h}-{r:05d}",
                            "namespace": f"ns{n}",
                            "labels": {
                                "app": app,
                                "tier": tier,
                                "version": f"v{rng.randint(1, 3)}",
                                "pod-template-hash": h,
                            },
                        },
                        "spec": {
                            "containers": [
                                {
                                    "name": app,
                                    "image": f"example/{app}:1",
                                    "ports": [
                                        {"name": "http", "containerPort": PORTS[app]},
                                        {"name": "metrics", "containerPort": 9102},
                                    ],
                                }
                            ]
                        },
                        "status": {"podIP": f"10.{n}.{a}.{r + 1}"},
                    }
                )
    count = 0
    for n in range(NAMESPACES):
        docs.append(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": {"name": "default-deny", "namespace": f"ns{n}"},
                "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
            }
        )
        count += 1
    while count < POLICIES:
        n = rng.randrange(NAMESPACES)
        app = rng.choice(APP_NAMES)
        k = rng.randrange(NAMESPACES)
        peers = rng.choice(
            [
                [{"podSelector": {"matchLabels": {"app": rng.choice(APP_NAMES)}}}],
                [
                    {
                        "namespaceSelector": {"matchLabels": {"team": f"team{rng.randrange(8)}"}},
                        "podSelector": {
                            "matchExpressions": [
                                {"key": "tier", "operator": "In", "values": ["backend", "ops"]}
                            ]
                        },
                    }
                ],
                [
                    {
                        "namespaceSelector": {
                            "matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["dev"]}]
                        }
                    }
                ],
                [{"ipBlock": {"cidr": f"10.{k}.0.0/16", "except": [f"10.{k}.0.0/24"]}}],
            ]
        )
        ports = rng.choice(
            [
                [{"port": "http"}],
                [{"port": 9000, "endPort": 9300}],
                [{"port": "metrics"}],
                [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
            ]
        )
        direction = rng.choice(["Ingress", "Egress"])
        rule = {("from" if direction == "Ingress" else "to"): peers, "ports": ports}
        docs.append(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": {"name": f"p{count}", "namespace": f"ns{n}"},
                "spec": {
                    "podSelector": {"matchLabels": {"app": app}},
                    "policyTypes": [direction],
                    direction.lower(): [rule],
                },
            }
        )
        count += 1
    return yaml.dump_all(docs, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    text = corpus()
    times: dict[str, list[float]] = {k: [] for k in ("load", "matrix", "expand", "naive", "floor")}
    facts: dict[str, Any] = {}
    for _ in range(args.runs):
        t, cluster = timed(lambda: load_text(text, "bench.yaml"))
        times["load"].append(t)
        assert not cluster.errors and len(cluster.peers) == 2000 and len(cluster.policies) == POLICIES
        t, m = timed(lambda: build_matrix(cluster))  # noqa: B023
        times["matrix"].append(t)
        n = len(m.peers)

        def expand(m: Any = m) -> int:
            return int(m.counts()["allowed_probes"])

        t, allowed = timed(expand)
        times["expand"].append(t)
        rng = random.Random(1)
        sample = [(rng.randrange(n), rng.randrange(n)) for _ in range(20_000)]
        ev = Evaluator(cluster)
        t, _ = timed(lambda: [ev.allowed_ports(m.peers[i], m.peers[j]) for i, j in sample])  # noqa: B023
        times["naive"].append(t * n * (n - 1) / len(sample))
        flat = list(range(n))

        def floor(n: int = n, flat: list[int] = flat) -> int:
            s = 0
            for _i in range(n):
                for j in range(n):
                    s += flat[j]
            return s

        t, _ = timed(floor)
        times["floor"].append(t)
        facts = {
            "peers": n,
            "classes": m.classes,
            "policies": len(cluster.policies),
            "allowed_probes": allowed,
            "probes": n * (n - 1) * 2,
        }
    med = {k: statistics.median(v) for k, v in times.items()}
    print(
        f"netpol matrix: {facts['peers']} pods, {facts['policies']} policies, {facts['classes']} equivalence "
        f"classes, {facts['allowed_probes']:,}/{facts['probes']:,} probes allowed; median of {args.runs} runs"
    )
    print(f"{'stage':<28} {'seconds':>9}  {'vs floor':>9}")
    rows = [
        ("load (YAML -> model)", med["load"]),
        ("matrix (build_matrix)", med["matrix"]),
        ("expand (all pairs x ports)", med["expand"]),
        ("matrix + expand", med["matrix"] + med["expand"]),
        ("naive pair-by-pair (extrap.)", med["naive"]),
        ("floor (bare pair loop)", med["floor"]),
    ]
    for name, sec in rows:
        print(f"{name:<28} {sec:>9.3f}  {sec / med['floor']:>8.1f}x")
    print(
        f"target: full matrix <= 5 s -> {'met' if med['matrix'] + med['expand'] <= 5 else 'NOT met'}; "
        f"classes vs naive: {med['naive'] / med['matrix']:.0f}x faster"
    )


if __name__ == "__main__":
    main()
