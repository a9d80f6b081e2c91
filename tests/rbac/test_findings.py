"""Risky grants and escalation paths on fixtures modelled on public attack-path write-ups."""

from __future__ import annotations

from pathlib import Path

import pytest

from stockade.rbac.loader import load
from stockade.rbac.scan import scan_rbac

DATA = Path(__file__).parent / "testdata"
ATTACK = str(DATA / "attack-paths.yaml")


@pytest.fixture(scope="module")
def found() -> dict[tuple[str, str, str], object]:
    result = scan_rbac([ATTACK])
    return {(f.id, str(f.metadata["subject"]), str(f.metadata["scope"])): f for f in result.findings}


EXPECTED = [
    ("STK-RBAC-0012", "sa:ci:ops", "cluster", "critical"),  # cluster-admin bound to a service account
    ("STK-RBAC-0001", "sa:ci:ops", "cluster", "high"),
    ("STK-RBAC-0004", "sa:ci:deployer", "ci", "high"),  # create deployments
    ("STK-RBAC-0015", "sa:ci:deployer", "ci", "critical"),  # → run a pod as ci/ops → cluster-admin
    ("STK-RBAC-0008", "sa:monitoring:agent", "cluster", "critical"),  # nodes/proxy
    ("STK-RBAC-0005", "user:alice@example.com", "cluster", "critical"),  # escalate
    ("STK-RBAC-0006", "user:alice@example.com", "cluster", "critical"),  # bind
    ("STK-RBAC-0007", "group:platform-team", "cluster", "critical"),  # impersonate
    ("STK-RBAC-0009", "group:platform-team", "cluster", "critical"),  # serviceaccounts/token
    ("STK-RBAC-0010", "group:platform-team", "cluster", "critical"),  # CSR approval
    ("STK-RBAC-0011", "group:platform-team", "cluster", "high"),  # webhooks
    ("STK-RBAC-0002", "user:bob@example.com", "cluster", "critical"),  # secrets cluster-wide
    ("STK-RBAC-0003", "user:bob@example.com", "cluster", "critical"),  # exec cluster-wide
    ("STK-RBAC-0002", "user:carol@example.com", "shop", "medium"),  # same ClusterRole via RoleBinding
    ("STK-RBAC-0003", "user:carol@example.com", "shop", "high"),
    ("STK-RBAC-0013", "group:system:authenticated", "cluster", "high"),
    ("STK-RBAC-0014", "user:system:anonymous", "cluster", "high"),
    ("STK-RBAC-0015", "sa:shop:web", "shop", "critical"),  # reads the token Secret of shop-admin
]


@pytest.mark.parametrize(("check", "subject", "scope", "severity"), EXPECTED)
def test_expected_findings(
    found: dict[tuple[str, str, str], object], check: str, subject: str, scope: str, severity: str
) -> None:
    f = found.get((check, subject, scope))
    assert f is not None, sorted(found)
    assert f.severity.value == severity  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("check", "subject", "scope"),
    [
        ("STK-RBAC-0008", "user:carol@example.com", "shop"),  # no nodes/proxy for carol
        ("STK-RBAC-0003", "user:carol@example.com", "cluster"),  # her grant is namespaced
        ("STK-RBAC-0013", "group:system:masters", "cluster"),  # built-in, not a broad group
        ("STK-RBAC-0014", "group:system:unauthenticated", "cluster"),  # default public-info-viewer
        ("STK-RBAC-0015", "sa:ci:ops", "cluster"),  # already admin: no path finding
        ("STK-RBAC-0004", "sa:ci:ops", "cluster"),  # one admin finding, not ten
    ],
)
def test_no_false_positives(
    found: dict[tuple[str, str, str], object], check: str, subject: str, scope: str
) -> None:
    assert (check, subject, scope) not in found


def test_blast_radius_and_token(found: dict[tuple[str, str, str], object]) -> None:
    ops = found[("STK-RBAC-0012", "sa:ci:ops", "cluster")]
    workloads = ops.metadata["workloads"]  # type: ignore[attr-defined]
    assert [w["workload"] for w in workloads] == ["Deployment ci/ops-console"]
    assert workloads[0]["token_mounted"] is False  # the ServiceAccount opts out
    assert ops.metadata["token_mounted"] is False  # type: ignore[attr-defined]
    agent = found[("STK-RBAC-0008", "sa:monitoring:agent", "cluster")]
    assert agent.metadata["token_mounted"] is True  # type: ignore[attr-defined]
    assert "DaemonSet monitoring/agent (token mounted)" in agent.evidence  # type: ignore[attr-defined]


def test_finding_names_chain_and_lines(found: dict[tuple[str, str, str], object]) -> None:
    f = found[("STK-RBAC-0008", "sa:monitoring:agent", "cluster")]
    text = Path(ATTACK).read_text().splitlines()
    # the location is the subject's line in the binding
    assert text[f.location.line - 1].strip() == "- kind: ServiceAccount"  # type: ignore[attr-defined]
    assert text[f.location.line].strip() == "name: agent"  # type: ignore[attr-defined]
    grant = f.metadata["grants"][0]  # type: ignore[attr-defined]
    assert grant["binding"]["name"] == "metrics-reader" and grant["role"]["name"] == "metrics-reader"
    line = int(grant["rule_location"].rsplit(":", 1)[1])
    assert text[line - 1].strip().startswith("- apiGroups")
    assert "nodes/proxy" in text[line]


def test_escalation_path_steps(found: dict[tuple[str, str, str], object]) -> None:
    path = found[("STK-RBAC-0015", "sa:ci:deployer", "ci")].metadata["path"]  # type: ignore[attr-defined]
    assert [step["to"] for step in path] == ["sa:ci:ops"]
    assert found[("STK-RBAC-0015", "sa:ci:deployer", "ci")].metadata["takeover"]["subject"] == "sa:ci:ops"  # type: ignore[attr-defined]


def test_rolebinding_cannot_grant_cluster_scoped_powers(tmp_path: Path) -> None:
    p = tmp_path / "rb.yaml"
    p.write_text(
        """apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: node-proxy}
rules:
- {apiGroups: [""], resources: ["nodes/proxy"], verbs: ["get"]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: np, namespace: team}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: node-proxy}
subjects: [{kind: User, name: dave}]
"""
    )
    assert [f.id for f in scan_rbac([str(p)]).findings] == []


def test_safe_manifests_have_no_findings(tmp_path: Path) -> None:
    p = tmp_path / "safe.yaml"
    p.write_text(
        """apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reader, namespace: app}
rules:
- {apiGroups: [""], resources: ["configmaps", "pods"], verbs: ["get", "list", "watch"]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: reader, namespace: app}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}
subjects: [{kind: ServiceAccount, name: app, namespace: app}]
"""
    )
    result = scan_rbac([str(p)])
    assert result.findings == ()
    assert any("bindings" in s.reason for s in result.statuses)


def test_defaults_are_skipped_unless_asked() -> None:
    cluster = load([ATTACK])
    assert ("ClusterRole", "", "cluster-admin") in cluster.roles
    from stockade.rbac import findings

    with_defaults = {f.metadata["subject"] for f in findings.evaluate(cluster, include_defaults=True)}
    assert "group:system:masters" in with_defaults
    assert "group:system:masters" not in {f.metadata["subject"] for f in findings.evaluate(cluster)}
