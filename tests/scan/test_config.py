"""The configuration pipeline through the CLI: inputs, parse errors with file:line, kinds counted,
exit codes and formats."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

CLI = Callable[..., CompletedProcess[str]]
TESTDATA = Path(__file__).parent / "testdata" / "config"


def run_json(cli: CLI, *args: str, **kw: Any) -> dict[str, Any]:
    proc = cli(*args, "--format", "json", "--quiet", "--no-store", **kw)
    assert proc.returncode == 0, proc.stderr
    doc: dict[str, Any] = json.loads(proc.stdout)
    return doc


def by_id(doc: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for f in doc["findings"]:
        out.setdefault(f["id"], []).append(f)
    return out


def test_multi_document_stream_with_list(cli: CLI) -> None:
    doc = run_json(cli, "k8s", str(TESTDATA / "app.yaml"))
    assert doc["target"]["kind"] == "manifests"
    assert doc["target"]["metadata"]["objects"] == {"ConfigMap": 1, "Deployment": 1, "Namespace": 1, "Pod": 1}
    privileged = [f for f in doc["findings"] if f["metadata"].get("pss_check") == "privileged"]
    assert privileged and privileged[0]["location"] == {"path": str(TESTDATA / "app.yaml"), "line": 25}
    assert privileged[0]["metadata"]["pss_level"] == "baseline"
    assert privileged[0]["target"] == "Deployment shop/web"
    host_pid = [f for f in doc["findings"] if f["metadata"].get("pss_check") == "hostNamespaces"]
    assert host_pid and host_pid[0]["location"]["line"] == 36  # inside the List item
    skipped = [
        s for s in doc["statuses"] if s["status"] == "skipped" and "no checks for these kinds" in s["reason"]
    ]
    assert skipped and "ConfigMap: 1" in skipped[0]["reason"] and "Namespace: 1" in skipped[0]["reason"]


def test_invalid_yaml_names_file_and_line_and_the_rest_is_checked(cli: CLI) -> None:
    doc = run_json(cli, "k8s", str(TESTDATA / "broken.yaml"), str(TESTDATA / "app.yaml"))
    errors = [s for s in doc["statuses"] if s["plugin"] == "parse"]
    assert len(errors) == 1
    assert errors[0]["path"] == str(TESTDATA / "broken.yaml")
    assert "line 13" in errors[0]["reason"] or "line 14" in errors[0]["reason"], errors[0]["reason"]
    targets = {f["target"] for f in doc["findings"]}
    assert "Pod default/before-the-error" in targets or "Pod before-the-error" in targets
    assert "Deployment shop/web" in targets


def test_stdin(cli: CLI) -> None:
    text = (TESTDATA / "app.yaml").read_text()
    doc = run_json(cli, "k8s", "-", input=text)
    assert {f["location"]["path"] for f in doc["findings"]} == {"<stdin>"}


def test_alias_bomb_is_refused(cli: CLI, tmp_path: Path) -> None:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 9):
        prev, cur = chr(96 + i), chr(97 + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 10) + "]")
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(lines) + "\n")
    doc = run_json(cli, "k8s", str(bomb), str(TESTDATA / "app.yaml"), timeout=60)
    (err,) = [s for s in doc["statuses"] if s["plugin"] == "parse"]
    assert "alias bomb" in err["reason"]
    assert doc["findings"]  # the other file was still checked


def test_fail_on_and_exit_codes(cli: CLI, tmp_path: Path) -> None:
    assert cli("k8s", str(TESTDATA / "app.yaml"), "-q", "--no-store", "--fail-on", "high").returncode == 1
    assert cli("k8s", str(tmp_path / "missing.yaml"), "-q").returncode == 2
    assert cli("k8s", str(TESTDATA / "app.yaml"), "--pss-version", "v0.1", "-q").returncode == 2


def test_pss_level_baseline_only(cli: CLI) -> None:
    doc = run_json(cli, "k8s", str(TESTDATA / "app.yaml"), "--pss-level", "baseline")
    levels = {f["metadata"]["pss_level"] for f in doc["findings"] if "pss_level" in f["metadata"]}
    assert levels == {"baseline"}


def test_config_detects_types(cli: CLI, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python:latest\nRUN pip install flask\nCMD python app.py\n")
    (tmp_path / "k8s").mkdir()
    (tmp_path / "k8s" / "app.yaml").write_text((TESTDATA / "app.yaml").read_text())
    doc = run_json(cli, "config", str(tmp_path))
    paths = {f["location"]["path"] for f in doc["findings"]}
    assert str(tmp_path / "Dockerfile") in paths and str(tmp_path / "k8s" / "app.yaml") in paths
    assert any(f["id"].startswith("STK-DF-") for f in doc["findings"])


EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_examples_with_exceptions(cli: CLI) -> None:
    """An annotation and an exceptions file suppress narrowly; an expired exception stops applying and is
    reported; suppressed findings are listed apart, not dropped."""
    doc = run_json(cli, "config", str(EXAMPLES / "k8s"), str(EXAMPLES / "docker"),
                   "--exceptions", str(EXAMPLES / ".stockade" / "exceptions.yaml"))  # fmt: skip
    suppressed = {(f["id"], f["target"], f["metadata"]["suppression"]["source"]) for f in doc["suppressed"]}
    assert suppressed == {
        ("STK-PSS-0013", "DaemonSet shop/log-agent", "annotation"),
        ("STK-K8S-0001", "CronJob shop/nightly-report", "exceptions-file"),
    }
    kept = {(f["id"], f["target"]) for f in doc["findings"]}
    assert ("STK-K8S-0001", "Deployment shop/web") not in kept  # the web Deployment sets requests
    assert ("STK-K8S-0002", "CronJob shop/nightly-report") in kept  # its exception expired
    assert ("STK-K8S-0025", "DaemonSet shop/log-agent") in kept  # the annotation is for PSS-0013 only
    expired = [s for s in doc["statuses"] if "expired on 2025-01-31" in s["reason"]]
    assert len(expired) == 1


def test_sarif_lists_suppressions(cli: CLI) -> None:
    proc = cli("k8s", str(EXAMPLES / "k8s"), "--exceptions", str(EXAMPLES / ".stockade" / "exceptions.yaml"),
               "-f", "sarif", "-q", "--no-store")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout)["runs"][0]["results"]
    with_suppression = [r for r in results if r.get("suppressions")]
    assert {r["suppressions"][0]["kind"] for r in with_suppression} == {"inSource", "external"}
    assert all(r["suppressions"][0]["justification"] for r in with_suppression)


def test_malformed_exceptions_file_is_an_error(cli: CLI, tmp_path: Path) -> None:
    bad = tmp_path / "exceptions.yaml"
    bad.write_text("version: 1\nexceptions:\n  - id: STK-K8S-0001\n    scope: {kind: Pod}\n    reason: x\n")
    proc = cli("k8s", str(TESTDATA / "app.yaml"), "--exceptions", str(bad), "-q", "--no-store")
    assert proc.returncode == 2
    assert str(bad) in proc.stderr and "Traceback" not in proc.stderr


def test_parallel_equals_sequential() -> None:
    """Spread over worker processes, the result (findings, suppressed, statuses) is the same."""
    from stockade.scan.config import ConfigOptions, scan_config

    shared = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "pss"
    inputs = [str(Path(__file__).resolve().parents[1] / "checks"), str(EXAMPLES / "k8s")]
    if shared.is_dir():
        inputs.append(str(shared))
    docs = []
    for jobs in (1, 2, 3):
        exceptions = str(EXAMPLES / ".stockade" / "exceptions.yaml")
        options = ConfigOptions(mode="auto", jobs=jobs, exceptions_file=exceptions, scan_id=lambda: "0" * 32)
        doc = scan_config(inputs, options).to_dict()
        doc.pop("scan")
        docs.append(json.dumps(doc, sort_keys=True))
    assert docs[0] == docs[1] == docs[2]
    assert len(json.loads(docs[0])["findings"]) > 100


SECRET_POD = """apiVersion: v1
kind: Pod
metadata: {name: api, namespace: shop}
spec:
  containers:
    - name: api
      image: registry.example/api@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
      env:
        - name: DB_PASSWORD
          value: "Tr0ub4dor-and-3"
---
apiVersion: v1
kind: Secret
metadata: {name: db, namespace: shop}
data:
  password: VHIwdWI0ZG9yLWFuZC0z
"""


def test_k8s_reports_secrets_once_and_exceptions_name_them(cli: CLI, tmp_path: Path) -> None:
    manifest = tmp_path / "pod.yaml"
    manifest.write_text(SECRET_POD)
    found = by_id(run_json(cli, "k8s", str(manifest)))
    secrets = {i: fs for i, fs in found.items() if i.startswith("STK-SEC-")}
    assert sum(len(fs) for fs in secrets.values()) == 2, found.keys()  # the env value and the Secret
    assert "STK-K8S-0027" not in found  # the name-based check gives way to the secret rule
    assert all("Tr0ub4dor" not in f["evidence"] for fs in secrets.values() for f in fs)
    # without secret scanning the name-based check is what reports the variable
    plain = by_id(run_json(cli, "k8s", str(manifest), "--no-secrets"))
    assert not any(i.startswith("STK-SEC-") for i in plain) and len(plain["STK-K8S-0027"]) == 1
    # an exceptions file may name a secret rule id
    env_rule = next(i for i, fs in secrets.items() if any(f["location"]["line"] == 10 for f in fs))
    exceptions = tmp_path / "exceptions.yaml"
    exceptions.write_text(
        "version: 1\nexceptions:\n"
        f"  - id: {env_rule}\n"
        "    scope: {path: '**/pod.yaml'}\n"
        "    reason: test fixture\n"
        "    owner: platform@example.com\n"
        "    expires: 2999-01-01\n"
    )
    doc = run_json(cli, "k8s", str(manifest), "--exceptions", str(exceptions))
    assert env_rule in {f["id"] for f in doc["suppressed"]}
