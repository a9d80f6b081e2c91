"""Runs the upstream Kubernetes NetworkPolicy e2e cases (../shared/conformance/netpol) through stockade.

Each case becomes real manifests — Namespaces, Pods with ``pod=<name>`` labels, container ports named
``serve-<port>-<proto>`` and ``status.podIP``, and the case's NetworkPolicies — that go through the same
loader as user input; each probe's truth table is then computed by the evaluator.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from stockade.netpol.load import load_text
from stockade.netpol.model import Cluster
from stockade.netpol.reach import build_matrix
from stockade.netpol.semantics.evaluate import Evaluator
from tests.conftest import SHARED

CASES_FILE = SHARED / "conformance" / "netpol" / "e2e-netpol-cases.yaml"


def load_cases(path: Path = CASES_FILE) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        data: dict[str, Any] = yaml.safe_load(fh)
    return data


def _manifests(
    model: dict[str, Any],
    case: dict[str, Any],
    ns_labels: dict[str, dict[str, str]],
    pod_labels: dict[str, dict[str, str]],
    policies: list[dict[str, Any]],
) -> str:
    docs: list[dict[str, Any]] = []
    for ns, labels in ns_labels.items():
        docs.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": labels}})
    ports = [
        {"name": f"serve-{port}-{proto.lower()}", "containerPort": port, "protocol": proto}
        for proto in case["protocols"]
        for port in case["ports"]
    ]
    for key, labels in pod_labels.items():
        ns, name = key.split("/")
        docs.append(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": name, "namespace": ns, "labels": labels},
                "spec": {
                    "containers": [
                        {"name": "c", "image": "registry.k8s.io/e2e-test-images/agnhost:2.53", "ports": ports}
                    ]
                },
                "status": {"podIP": model["pod_ips"][key]},
            }
        )
    docs.extend(policies)
    return yaml.safe_dump_all(docs, sort_keys=False)


def run_case(
    model: dict[str, Any], case: dict[str, Any], *, matrix: bool = False
) -> list[tuple[int, int, list[str], list[str], Cluster]]:
    """``(step, probe, expected_rows, got_rows, cluster)`` for every probe of ``case``; with ``matrix`` the
    rows come from the bulk matrix (equivalence classes) instead of pair-by-pair decisions."""
    ns_labels = {ns: dict(v.get("labels") or {}) for ns, v in model["namespaces"].items()}
    pod_labels = {k: dict(v.get("labels") or {}) for k, v in model["pods"].items()}
    policies: list[dict[str, Any]] = []
    out = []
    for s, step in enumerate(case["steps"]):
        if step.get("delete_all_policies"):
            policies = []
        for p in step.get("create_policies") or []:
            policies.append(copy.deepcopy(p))
        for p in step.get("update_policies") or []:
            key = (p["metadata"]["namespace"], p["metadata"]["name"])
            policies = [q for q in policies if (q["metadata"]["namespace"], q["metadata"]["name"]) != key]
            policies.append(copy.deepcopy(p))
        change = step.get("label_change")
        if change:
            target = ns_labels[change["namespace"]] if "namespace" in change else pod_labels[change["pod"]]
            if "set_labels" in change:
                target.clear()
            target.update(change.get("set_labels") or {})
            target.update(change.get("add_labels") or {})
        text = _manifests(model, case, ns_labels, pod_labels, policies)
        cluster = load_text(text, f"{case['name']}#step{s}")
        ev = Evaluator(cluster)
        order = list(model["pods"])
        m = build_matrix(cluster)
        index = {p.id: n for n, p in enumerate(m.peers)}
        for i, probe in enumerate(step.get("probes") or []):
            expected = [" ".join(row.split()) for row in probe["expected_truth_table"]]
            got = [" ".join(["from\\to", *order])]
            for src in order:
                cells = [src]
                for dst in order:
                    if src == dst:
                        cells.append("-")
                        continue
                    port, proto = int(probe["port"]), str(probe["protocol"])
                    if matrix:
                        ok = m.allowed(index[src], index[dst], port, proto)
                    else:
                        a, b = cluster.peer(src), cluster.peer(dst)
                        assert a is not None and b is not None
                        ok = ev.decide(a, b, port, proto).allowed
                    cells.append("." if ok else "X")
                got.append(" ".join(cells))
            out.append((s, i, expected, got, cluster))
    return out
