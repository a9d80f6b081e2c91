"""Findings from the image configuration and files: root user, secrets in Env, ADD of remote URLs in the
history, no healthcheck (Docker format), set-uid files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import run_cli
from tests.target.image import builders as b
from tests.target.image.handmade import E, oci_layout

CONFIG = {"Env": ["PATH=/usr/bin", "DB_PASSWORD=hunter2", "TOKEN_FILE=/run/secrets/t", "API_KEY=$API_KEY"]}
HISTORY = [
    {"created_by": "/bin/sh -c #(nop) ADD file:0a1b in / "},
    {"created_by": "ADD https://example.com/tool.tgz /opt/ # buildkit", "comment": "buildkit.dockerfile.v0"},
    {"created_by": "ADD --checksum=sha256:ab12 https://example.com/pinned.tgz /opt/ # buildkit"},
    {"created_by": "ENV DB_PASSWORD=hunter2", "empty_layer": True},
]
FILES = [
    E("etc/os-release", data=b"ID=debian\nVERSION_ID=12\n"),
    E("usr/bin/passwd", data=b"x" * 10, mode=0o4755),
]


def scan(arg: str, *more: str) -> dict[str, Any]:
    proc = run_cli("image", arg, "--format", "json", "--quiet", "--no-store", *more)
    assert proc.returncode == 0, proc.stderr
    assert "hunter2" not in proc.stdout, "a secret value leaked into the output"
    doc: dict[str, Any] = json.loads(proc.stdout)
    return doc


def ids(doc: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for f in doc["findings"]:
        out.setdefault(f["id"], []).append(f)
    return out


def test_config_findings(tmp_path: Path) -> None:
    layout = oci_layout(tmp_path / "img", [FILES, [], []], config=CONFIG, history=HISTORY)
    doc = scan(str(layout))
    found = ids(doc)
    assert [f["metadata"]["field"] for f in found["STK-IMG-0001"]] == ["User"]
    assert [f["metadata"]["variable"] for f in found["STK-IMG-0002"]] == ["DB_PASSWORD"]
    # with the secret rules on they report it, once, where it is: the Env and the ENV step
    with_secrets = ids(scan(str(layout), "--secrets"))
    assert "STK-IMG-0002" not in with_secrets
    env_secrets = [f for fs in with_secrets.values() for f in fs if f["kind"] == "secret"]
    assert sorted(f["metadata"]["field"] for f in env_secrets) == ["config.Env[1]", "history[3].created_by"]
    assert [f["metadata"]["url"] for f in found["STK-IMG-0003"]] == ["https://example.com/tool.tgz"]
    assert [f["location"]["path"] for f in found["STK-IMG-0005"]] == ["/usr/bin/passwd"]
    assert found["STK-IMG-0005"][0]["location"]["layer"] == doc["target"]["image"]["layers"][0]["digest"]
    # OCI configs cannot carry a healthcheck: not judged, and the result says so
    assert "STK-IMG-0004" not in found
    statuses = {s["plugin"]: s for s in doc["statuses"]}
    assert statuses["check/image/healthcheck-missing"]["status"] == "skipped"
    env = doc["target"]["image"]["config"]["env"]
    assert "DB_PASSWORD=<redacted>" in env and "PATH=/usr/bin" in env


def test_non_root_user_is_clean(tmp_path: Path) -> None:
    layout = oci_layout(tmp_path / "img", [FILES[:1]], config={"User": "10001:10001"})
    assert "STK-IMG-0001" not in ids(scan(str(layout)))


def test_docker_format_healthcheck(tmp_path: Path) -> None:
    b.need("skopeo")
    layout = oci_layout(tmp_path / "img", [FILES[:1]], config={"User": "app"})
    archive = tmp_path / "docker.tar"
    b.skopeo(f"oci:{layout}", f"docker-archive:{archive}:example/app:1")
    found = ids(scan(str(archive)))
    assert [f["id"] for f in found["STK-IMG-0004"]] == ["STK-IMG-0004"]
