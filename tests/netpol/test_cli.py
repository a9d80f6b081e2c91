"""``stockade netpol …`` through click's CliRunner: outputs, exit codes, errors naming file:line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from stockade.cli.netpol_cmds import netpol

DATA = Path(__file__).parent / "testdata"
SHOP = str(DATA / "shop.yaml")
FLOWS = str(DATA / "flows.jsonl")


def run(*args: str) -> tuple[Any, Result]:
    r = CliRunner().invoke(netpol, list(args), standalone_mode=False, catch_exceptions=False)
    return r.return_value, r


def test_matrix_json_schema() -> None:
    code, r = run("matrix", SHOP, "--ports", "5432/TCP,53/UDP", "-f", "json")
    assert code == 0
    doc = json.loads(r.stdout)
    assert doc["ports"] == ["5432/TCP", "53/UDP"]
    ids = [p["id"] for p in doc["peers"]]
    assert ids == ["data/db", "kube-system/coredns", "shop/api", "shop/frontend", "shop/report"]
    assert set(doc["connections"][0]) == {"src", "dst", "port", "protocol", "allowed", "policies"}
    by = {(c["src"], c["dst"], c["port"], c["protocol"]): c for c in doc["connections"]}
    assert by[("shop/api", "data/db", 5432, "TCP")]["allowed"] is True
    assert by[("shop/api", "data/db", 5432, "TCP")]["policies"] == [
        "shop/api (egress rule 0)",
        "data/db-from-api (ingress rule 0)",
    ]
    assert by[("shop/frontend", "data/db", 5432, "TCP")]["allowed"] is False
    assert len(doc["connections"]) == 5 * 4 * 2
    assert doc["summary"]["peers"] == 5


@pytest.mark.parametrize(
    "fmt,marker",
    [
        ("dot", "digraph netpol"),
        ("mermaid", "flowchart LR"),
        ("html", "<table>"),
        ("table", "allowed connections"),
    ],
)
def test_matrix_formats(fmt: str, marker: str) -> None:
    code, r = run("matrix", SHOP, "-f", fmt)
    assert code == 0 and marker in r.stdout
    if fmt in ("dot", "mermaid"):
        assert "shop_api" in r.stdout and "data_db" in r.stdout


@pytest.mark.parametrize(
    "src,dst,port,expect,code,verdict",
    [
        ("shop/api", "data/db", "5432", "allow", 0, "ALLOWED"),
        ("shop/frontend", "data/db", "5432/TCP", "allow", 1, "DENIED"),
        ("shop/frontend", "data/db", "5432/TCP", "deny", 0, "DENIED"),
        ("shop/api-5c6d7e8f9-abcde", "data/db", "5432", None, 0, "ALLOWED"),  # a replica's pod name
        ("shop/frontend", "data/db", "5432", None, 0, "DENIED"),  # no --expect: 0
        ("shop/api", "93.184.215.14", "443", None, 0, "DENIED"),
        ("shop/api", "10.96.20.5", "5432", "allow", 0, "via Service data/db"),  # Service cluster IP
    ],
)
def test_check(src: str, dst: str, port: str, expect: str | None, code: int, verdict: str) -> None:
    args = ["check", SHOP, "--from", src, "--to", dst, "--port", port]
    if expect:
        args += ["--expect", expect]
    got, r = run(*args)
    assert got == code
    assert verdict in r.stdout


def test_check_explains_denial_json() -> None:
    _, r = run("check", SHOP, "--from", "shop/report", "--to", "data/db", "--port", "5432", "-f", "json")
    doc = json.loads(r.stdout)
    assert doc["allowed"] is False
    assert doc["ingress"]["policies"] == ["data/db-from-api"]
    assert any("no rule there matches shop/report" in reason for reason in doc["reasons"])


def test_check_unknown_peer_is_a_usage_error() -> None:
    r = CliRunner().invoke(netpol, ["check", SHOP, "--from", "shop/nope", "--to", "data/db", "--port", "1"])
    assert r.exit_code == 2 and "not a pod or workload" in r.output


def test_invalid_policy_exit_2_with_file_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: shop}\nspec:\n"
        "  podSelector:\n    matchExpressions:\n    - {key: app, operator: Equals, values: [x]}\n"
    )
    code, r = run("matrix", SHOP, str(bad))
    assert code == 2
    assert f"{bad}:7: NetworkPolicy shop/p: spec.podSelector: invalid operator 'Equals'" in r.stderr
    assert "Traceback" not in r.output


def test_findings_json_and_fail_on() -> None:
    code, r = run("findings", SHOP, "-f", "json", "--no-store", "-q", "--fail-on", "medium")
    doc = json.loads(r.stdout)
    ids = {(f["id"], f["target"]) for f in doc["findings"]}
    assert ("STK-NET-0001", "Deployment shop/frontend") in ids  # nothing isolates frontend's ingress
    assert ("STK-NET-0011", "Deployment shop/api") not in ids  # api's egress allows DNS
    assert code == 1


def test_flows_fail_on_blocked() -> None:
    code, r = run("flows", SHOP, "--flows", FLOWS, "-f", "json", "--fail-on-blocked")
    doc = json.loads(r.stdout)
    assert doc["summary"]["blocked"] == 2 and doc["summary"]["allowed"] == 3
    assert code == 1


def test_generate_writes_valid_policies(tmp_path: Path) -> None:
    out = tmp_path / "np.yaml"
    code, r = run("generate", SHOP, "--flows", FLOWS, "-o", str(out))
    assert code == 0
    docs = list(yaml.safe_load_all(out.read_text()))
    assert all(d["kind"] == "NetworkPolicy" for d in docs)
    assert "0 blocked, 0 unobserved connections allowed" in r.stderr
    # the workloads without their own policies, plus the generated ones: every flow allowed, nothing else
    model = [d for d in yaml.safe_load_all((DATA / "shop.yaml").read_text()) if d["kind"] != "NetworkPolicy"]
    (tmp_path / "model.yaml").write_text(yaml.safe_dump_all(model))
    code, r = run("flows", str(tmp_path / "model.yaml"), str(out), "--flows", FLOWS, "-f", "json")
    doc = json.loads(r.stdout)
    assert code == 0
    assert doc["summary"]["blocked"] == 0 and doc["summary"]["allowed"] == 5
    assert doc["allowed_never_seen"] == []


def test_diff_reports_breakage(tmp_path: Path) -> None:
    after = tmp_path / "after.yaml"
    text = (
        (DATA / "shop.yaml")
        .read_text()
        .replace(
            "podSelector: {matchLabels: {app: api}}\n      ports:\n        - port: pg",
            "podSelector: {matchLabels: {app: nobody}}\n      ports:\n        - port: pg",
        )
    )
    assert text != (DATA / "shop.yaml").read_text()
    after.write_text(text)
    code, r = run("diff", SHOP, str(after), "-f", "json")
    doc = json.loads(r.stdout)
    assert [(c["src"], c["dst"], c["port"]) for c in doc["broken"]] == [("shop/api", "data/db", 5432)]
    assert code == 1
    code, _ = run("diff", SHOP, SHOP)
    assert code == 0
    code, r = run("diff", SHOP, str(after), "--flows", FLOWS, "-f", "json")
    assert [(c["src"], c["dst"]) for c in json.loads(r.stdout)["broken"]] == [("shop/api", "data/db")]
