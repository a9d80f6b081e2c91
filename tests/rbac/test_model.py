"""Loader (API validation, file:line problems, namespaces, automount) and ClusterRole aggregation."""

from __future__ import annotations

from pathlib import Path

import pytest

from stockade.rbac.aggregation import selector_matches
from stockade.rbac.authorizer import Authorizer, Request, parse_subject
from stockade.rbac.loader import LoadOptions, load
from stockade.rbac.model import Requirement, Selector


def write(tmp_path: Path, text: str) -> str:
    p = tmp_path / "m.yaml"
    p.write_text(text)
    return str(p)


SEL = [
    (Selector((("a", "1"),)), {"a": "1"}, True),
    (Selector((("a", "1"),)), {"a": "2"}, False),
    (Selector((("a", "1"), ("b", "2"))), {"a": "1"}, False),
    (Selector(), {}, True),  # {} selects everything
    (Selector(match_expressions=(Requirement("a", "In", ("1", "2")),)), {"a": "2"}, True),
    (Selector(match_expressions=(Requirement("a", "In", ("1",)),)), {}, False),
    (Selector(match_expressions=(Requirement("a", "NotIn", ("1",)),)), {}, True),
    (Selector(match_expressions=(Requirement("a", "NotIn", ("1",)),)), {"a": "1"}, False),
    (Selector(match_expressions=(Requirement("a", "Exists"),)), {"a": ""}, True),
    (Selector(match_expressions=(Requirement("a", "DoesNotExist"),)), {"a": ""}, False),
    (Selector((("x", "y"),), (Requirement("a", "Exists"),)), {"a": "1"}, False),  # ANDed
]


@pytest.mark.parametrize(("selector", "labels", "want"), SEL)
def test_selector(selector: Selector, labels: dict[str, str], want: bool) -> None:
    assert selector_matches(selector, labels) is want


AGG = """apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: monitoring}
aggregationRule:
  clusterRoleSelectors:
  - matchLabels: {rbac.example.com/aggregate-to-monitoring: "true"}
rules:
- {apiGroups: [""], resources: ["secrets"], verbs: ["get"]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: b-metrics, labels: {rbac.example.com/aggregate-to-monitoring: "true"}}
rules:
- {apiGroups: [""], resources: ["pods"], verbs: ["get"]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: a-endpoints, labels: {rbac.example.com/aggregate-to-monitoring: "true"}}
rules:
- {apiGroups: [""], resources: ["endpoints"], verbs: ["list"]}
- {apiGroups: [""], resources: ["pods"], verbs: ["get"]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: top}
aggregationRule:
  clusterRoleSelectors:
  - matchExpressions: [{key: tier, operator: In, values: [top]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: nested, labels: {tier: top}}
aggregationRule:
  clusterRoleSelectors:
  - matchLabels: {rbac.example.com/aggregate-to-monitoring: "true"}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: mon, namespace: obs}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: top}
subjects: [{kind: ServiceAccount, name: prom}]
"""


def test_aggregation_replaces_sorts_dedups_and_nests(tmp_path: Path) -> None:
    cluster = load([write(tmp_path, AGG)])
    mon = cluster.roles[("ClusterRole", "", "monitoring")]
    # a-endpoints first (by name), its duplicate pods rule once, the listed secrets rule replaced
    assert [(r.resources, r.verbs) for r in mon.rules] == [(("endpoints",), ("list",)), (("pods",), ("get",))]
    top = cluster.roles[("ClusterRole", "", "top")]
    assert [r.resources for r in top.rules] == [("endpoints",), ("pods",)]
    assert any("aggregationRule" in s.reason and "monitoring" in s.reason for s in cluster.statuses)
    az = Authorizer(cluster)
    prom = parse_subject("sa:obs:prom")[1]
    assert az.authorize(prom, Request("list", "endpoints", namespace="obs")).allowed
    assert not az.authorize(prom, Request("get", "secrets", namespace="obs")).allowed
    assert not az.authorize(prom, Request("list", "endpoints", namespace="other")).allowed


BAD = """apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: r, namespace: a}
rules:
- {apiGroups: [""], resources: ["pods"]}
- nonResourceURLs: ["/metrics"]
  verbs: ["get"]
- {apiGroups: [""], resources: ["pods"], verbs: ["get"]}
- {apiGroups: [""], resources: ["pods"], nonResourceURLs: ["/x"], verbs: ["get"]}
- {resources: ["pods"], verbs: ["get"]}
- {apiGroups: [""], resources: "pods", verbs: ["get"]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: crb}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}
subjects: [{kind: User, name: u}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: rb}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: missing}
subjects: [{kind: Robot, name: r2}, {kind: User, name: u}]
---
key: [unclosed
"""


@pytest.mark.parametrize(
    ("line", "text"),
    [
        (5, "rules[0].verbs: required"),
        (6, "rules[1].nonResourceURLs: not allowed in a Role"),
        (9, "rules[3].nonResourceURLs: not allowed in a Role"),
        (10, "rules[4].apiGroups: required"),
        (11, "rules[5].resources: expected a list of strings"),
        (16, "roleRef.kind: a ClusterRoleBinding can only reference a ClusterRole"),
        (23, "subjects[0].kind: expected User, Group or ServiceAccount, found 'Robot'"),
    ],
)
def test_invalid_objects_name_file_line_and_expectation(tmp_path: Path, line: int, text: str) -> None:
    path = write(tmp_path, BAD)
    cluster = load([path])
    reasons = [s.reason for s in cluster.statuses if s.path == path]
    assert any(r.startswith(f"line {line}:") and text in r for r in reasons), reasons


def test_cluster_role_rule_cannot_mix_resources_and_urls(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: c}\nrules:\n"
        '- {apiGroups: [""], resources: ["pods"], nonResourceURLs: ["/x"], verbs: ["get"]}\n',
    )
    cluster = load([path])
    assert cluster.roles[("ClusterRole", "", "c")].rules == ()
    assert any(
        s.reason.startswith("line 5: ClusterRole c: rules[0]: a rule cannot apply to both")
        for s in cluster.statuses
    )


def test_invalid_input_keeps_the_rest(tmp_path: Path) -> None:
    path = write(tmp_path, BAD)
    cluster = load([path])
    role = cluster.roles[("Role", "a", "r")]
    assert len(role.rules) == 1  # only the valid rule
    assert [b.name for b in cluster.bindings if not b.builtin] == [
        "rb"
    ]  # crb rejected, rb kept in default ns
    assert cluster.bindings[0].namespace == "default" or any(
        b.namespace == "default" for b in cluster.bindings
    )
    assert any("not in the input" in s.reason and "missing" in s.reason for s in cluster.statuses)
    assert any(s.plugin == "parse" and "line" in s.reason for s in cluster.statuses)


def test_default_namespace_and_automount(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """apiVersion: v1
kind: ServiceAccount
metadata: {name: quiet}
automountServiceAccountToken: false
---
apiVersion: v1
kind: Pod
metadata: {name: p1}
spec: {serviceAccountName: quiet, containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: p2}
spec: {serviceAccountName: quiet, automountServiceAccountToken: true, containers: [{name: c, image: x}]}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: cj, namespace: jobs}
spec: {schedule: "* * * * *", jobTemplate: {spec: {template: {spec: {containers: [{name: c, image: x}]}}}}}
""",
    )
    cluster = load([path], LoadOptions(default_namespace="team"))
    by_name = {w.name: w for w in cluster.workloads}
    assert by_name["p1"].namespace == "team" and not cluster.token_mounted(by_name["p1"])
    assert cluster.token_mounted(by_name["p2"])  # the pod's setting wins
    assert by_name["cj"].service_account == "default" and cluster.token_mounted(by_name["cj"])
    assert by_name["p1"].location is not None and by_name["p1"].location.line == 9


def test_no_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    assert ("ClusterRole", "", "cluster-admin") in load([path]).roles
    assert ("ClusterRole", "", "cluster-admin") not in load([path], LoadOptions(defaults=False)).roles


def test_list_kind_and_json(tmp_path: Path) -> None:
    p = tmp_path / "list.json"
    p.write_text(
        '{"apiVersion": "v1", "kind": "List", "items": [\n'
        '  {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "r"},\n'
        '   "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]},\n'
        '  {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",\n'
        '   "metadata": {"name": "b"},\n'
        '   "roleRef": {"kind": "ClusterRole", "name": "r"}, "subjects": [{"kind": "Group", "name": "g"}]}\n'
        "]}\n"
    )
    cluster = load([str(p)])
    assert Authorizer(cluster).authorize(parse_subject("group:g")[1], Request("get", "pods")).allowed
    assert cluster.roles[("ClusterRole", "", "r")].rules[0].location.line == 3  # type: ignore[union-attr]
