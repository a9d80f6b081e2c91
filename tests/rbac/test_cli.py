"""``stockade rbac`` through click's CliRunner on the group."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from stockade.cli.rbac_cmds import rbac
from stockade.errors import InputError

DATA = Path(__file__).parent / "testdata"
ATTACK = str(DATA / "attack-paths.yaml")
AUDIT = str(DATA / "audit.jsonl")


def run(*args: str) -> tuple[Any, str, Any]:
    result = CliRunner().invoke(rbac, list(args), standalone_mode=False, catch_exceptions=True)
    return result.return_value, result.stdout, result.exception


def test_who_can_namespaced() -> None:
    code, out, exc = run("who-can", "create", "deploy", ATTACK, "-n", "ci", "-f", "json")
    assert exc is None and code == 0
    doc = json.loads(out)
    assert doc["request"] == '"create" resource "deployments.apps" in namespace "ci"'
    assert {g["subject"] for g in doc["grants"]} == {"sa:ci:deployer", "sa:ci:ops", "group:system:masters"}


def test_who_can_subresource_and_all_namespaces() -> None:
    _, out, _ = run("who-can", "create", "pods", "--subresource", "exec", "-A", ATTACK, "-f", "json")
    subjects = {(g["subject"], g["scope"]) for g in json.loads(out)["grants"]}
    assert ("user:carol@example.com", "shop") in subjects and ("user:bob@example.com", "cluster") in subjects
    _, out, _ = run("who-can", "create", "pods/exec", ATTACK, "-f", "json")
    assert "user:carol@example.com" not in out  # cluster-wide: her RoleBinding does not count


def test_who_can_table_and_nonresource() -> None:
    code, out, _ = run("who-can", "get", "/metrics", ATTACK)
    assert code == 0 and "sa:monitoring:agent" in out and "ClusterRoleBinding metrics-reader" in out


def test_can_exit_codes_and_chain() -> None:
    code, out, _ = run("can", "sa:monitoring:agent", "get", "nodes/proxy", ATTACK)
    assert (
        code == 0
        and out.startswith("yes")
        and "ClusterRole metrics-reader" in out
        and "attack-paths.yaml:" in out
    )
    code, out, _ = run("can", "user:carol@example.com", "create", "pods/exec", "-n", "kube-system", ATTACK)
    assert code == 1 and out.startswith("no")
    code, out, _ = run("can", "user:x", "delete", "nodes", "--group", "system:masters", ATTACK, "-f", "json")
    assert code == 0 and json.loads(out)["reason"].startswith("allowed: member of system:masters")


def test_permissions() -> None:
    _, out, _ = run("permissions", "sa:shop:web", ATTACK, "-f", "json")
    rules = [(g["scope"], g["role"]["name"]) for g in json.loads(out)["grants"]]
    assert ("shop", "secret-reader") in rules and ("cluster", "config-reader") in rules


def test_findings_json_and_fail_on(tmp_path: Path) -> None:
    out_file = tmp_path / "r.json"
    code, _, exc = run(
        "findings", ATTACK, "-f", "json", "-o", str(out_file), "--fail-on", "critical", "--no-store", "-q"
    )
    assert exc is None and code == 1
    doc = json.loads(out_file.read_text())
    ids = {f["id"] for f in doc["findings"]}
    assert {"STK-RBAC-0008", "STK-RBAC-0015"} <= ids
    code, _, _ = run("check", ATTACK, "-f", "sarif", "-o", str(tmp_path / "r.sarif"), "--no-store", "-q")
    assert code == 0 and json.loads((tmp_path / "r.sarif").read_text())["version"] == "2.1.0"


def test_generate_and_diff(tmp_path: Path) -> None:
    out = tmp_path / "rbac.yaml"
    code, _, exc = run("generate", "--audit-log", AUDIT, "--subject", "sa:ci:deployer", "-o", str(out))
    assert exc is None and code == 0
    docs = [d for d in yaml.safe_load_all(out.read_text()) if d]
    assert {d["kind"] for d in docs} == {"Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"}
    code, out_text, _ = run("diff", "--audit-log", AUDIT, ATTACK, "--subject", "sa:ci:deployer", "-f", "json")
    assert code == 0 and json.loads(out_text)["subjects"][0]["subject"] == "sa:ci:deployer"


@pytest.mark.parametrize(
    "args",
    [
        ("can", "alice", "get", "pods", ATTACK),
        ("who-can", "get", "widgets", ATTACK),
        ("generate", "--audit-log", ATTACK),  # manifests are not an audit log
    ],
)
def test_bad_input_is_an_input_error(args: tuple[str, ...]) -> None:
    _, _, exc = run(*args)
    assert isinstance(exc, InputError) and exc.exit_code == 2
