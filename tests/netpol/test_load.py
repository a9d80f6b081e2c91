"""Manifests → model: invalid policies are file:line errors; other kinds are counted; workloads fold pods."""

from __future__ import annotations

from pathlib import Path

import pytest

from stockade.errors import TargetNotFoundError
from stockade.netpol.load import load_cluster, load_text

HEAD = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: a}\nspec:\n"

# (name, spec lines, line the error names, words in the message)
BAD = [
    (
        "bad operator",
        "  podSelector:\n    matchExpressions:\n    - key: app\n      operator: Equals\n      values: [x]\n",
        8,
        "invalid operator 'Equals'",
    ),
    (
        "In without values",
        "  podSelector:\n    matchExpressions:\n    - {key: app, operator: In}\n",
        7,
        "needs at least one value",
    ),
    (
        "Exists with values",
        "  podSelector:\n    matchExpressions:\n    - key: app\n      operator: Exists\n      values: [a]\n",
        9,
        "takes no values",
    ),
    (
        "malformed CIDR",
        "  podSelector: {}\n  egress:\n  - to:\n    - ipBlock: {cidr: 10.0.0.300/8}\n",
        8,
        "not a valid CIDR",
    ),
    (
        "CIDR without prefix",
        "  podSelector: {}\n  egress:\n  - to:\n    - ipBlock:\n        cidr: 10.0.0.1\n",
        9,
        "is not a CIDR",
    ),
    (
        "except outside cidr",
        "  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock:\n        cidr: 10.0.0.0/8\n"
        "        except: [192.168.0.0/16]\n",
        10,
        "strict subset",
    ),
    (
        "ipBlock with selector",
        "  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock: {cidr: 10.0.0.0/8}\n"
        "      podSelector: {}\n",
        8,
        "may not be combined",
    ),
    ("empty peer", "  podSelector: {}\n  ingress:\n  - from:\n    - {}\n", 8, "must specify a peer"),
    (
        "bad protocol",
        "  podSelector: {}\n  ingress:\n  - ports:\n    - {protocol: ICMP, port: 1}\n",
        8,
        "not a protocol",
    ),
    (
        "endPort with named port",
        "  podSelector: {}\n  ingress:\n  - ports:\n    - port: http\n      endPort: 90\n",
        9,
        "endPort needs a numeric port",
    ),
    (
        "endPort below port",
        "  podSelector: {}\n  ingress:\n  - ports:\n    - port: 90\n      endPort: 80\n",
        9,
        "between port",
    ),
    (
        "quoted number port",
        "  podSelector: {}\n  ingress:\n  - ports:\n    - port: '80'\n",
        8,
        "without quotes",
    ),
    ("bad policyType", "  podSelector: {}\n  policyTypes: [Ingres]\n", 6, "not a policy type"),
    (
        "port out of range",
        "  podSelector: {}\n  ingress:\n  - ports:\n    - port: 70000\n",
        8,
        "between 1 and 65535",
    ),
]


@pytest.mark.parametrize("name,spec,line,words", BAD, ids=[b[0] for b in BAD])
def test_invalid_policy_is_a_file_line_error(name: str, spec: str, line: int, words: str) -> None:
    c = load_text(HEAD + spec, "pol.yaml")
    assert c.policies == []
    assert len(c.errors) == 1
    assert c.errors[0].startswith(f"pol.yaml:{line}: NetworkPolicy a/p: "), c.errors
    assert words in c.errors[0]


def test_valid_policy_loads_with_host_bits_note() -> None:
    from stockade.checks.kubernetes.objects import objects_of
    from stockade.netpol.load import LoadNotes, build
    from stockade.netpol.model import Cluster
    from stockade.target.manifests import parse_stream

    text = HEAD + "  podSelector: {}\n  egress:\n  - to:\n    - ipBlock: {cidr: 10.0.1.1/4}\n"
    notes = LoadNotes()
    c = Cluster()
    build([o for d in parse_stream(text, "x.yaml").documents for o in objects_of(d)], c, notes=notes)
    assert not c.errors
    assert str(c.policies[0].egress[0].peers[0].ip_block.cidr) == "0.0.0.0/4"  # type: ignore[index,union-attr]
    assert notes.by_policy["a/p"] == ["host-bits:10.0.1.1/4:0.0.0.0/4"]


def test_kinds_counted_and_foreign_networkpolicies_ignored() -> None:
    text = """
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: c, namespace: a}
spec: {selector: all()}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: x}
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: p, namespace: a, labels: {app: x}}
  spec: {containers: [{name: c, image: x}]}
"""
    c = load_text(text)
    assert not c.errors
    assert c.ignored == {"ConfigMap": 1, "NetworkPolicy (projectcalico.org/v3)": 1}
    assert [p.id for p in c.peers] == ["a/p"]
    assert c.namespaces["a"].labels == {"kubernetes.io/metadata.name": "a"}


def test_owned_pods_fold_into_their_workload() -> None:
    """kubectl get all -o yaml: Deployment, its ReplicaSet and Pods → one peer with the pods' IPs."""
    text = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: a}
spec:
  replicas: 2
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: x, ports: [{containerPort: 80, name: http}]}]}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-7d9f8b6c4
  namespace: a
  ownerReferences: [{kind: Deployment, name: web, controller: true, apiVersion: apps/v1, uid: u}]
spec:
  template:
    metadata: {labels: {app: web, pod-template-hash: 7d9f8b6c4}}
    spec: {containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: web-7d9f8b6c4-x2x9k
  namespace: a
  labels: {app: web}
  ownerReferences: [{kind: ReplicaSet, name: web-7d9f8b6c4, controller: true, apiVersion: apps/v1, uid: u}]
spec: {containers: [{name: c, image: x}]}
status: {podIP: 10.244.0.7}
"""
    c = load_text(text)
    assert [(p.id, p.kind, p.replicas, [str(i) for i in p.ips]) for p in c.peers] == [
        ("a/web", "Deployment", 2, ["10.244.0.7"])
    ]
    assert c.peers[0].named_port("http", "TCP") == 80


def test_yaml_error_names_file_and_line(tmp_path: Path) -> None:
    f = tmp_path / "broken.yaml"
    f.write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\nkind: [\n")
    c = load_cluster([str(f)])
    assert "a" in c.namespaces
    assert len(c.errors) == 1 and c.errors[0].startswith(f"{f}:")


def test_missing_path() -> None:
    with pytest.raises(TargetNotFoundError):
        load_cluster(["/nonexistent/x.yaml"])
