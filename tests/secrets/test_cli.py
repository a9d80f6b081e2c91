"""``stockade secrets`` end to end: directories, excludes, the exceptions file, Kubernetes Secrets,
.env files, exit codes, masked output."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from tests.secrets.helpers import run_secrets

TOKEN = "glpat-" + "Kq3vN8sLm2Xp7Rt5Yw1H"
PASSWORD = "Vx7-kq2.Lm9*Rt"


def tree(root: Path) -> Path:
    (root / "app").mkdir(parents=True)
    (root / "app/.env").write_text(f"GITLAB_TOKEN={TOKEN}\nDB_PASSWORD={PASSWORD}\nDEBUG=1\n")
    (root / "vendor").mkdir()
    (root / "vendor/lib.py").write_text(f'token = "{TOKEN}"\n')
    (root / ".git").mkdir()
    (root / ".git/config").write_text(f"url = https://oauth2:{TOKEN}@gitlab.com/x.git\n")
    encoded = base64.b64encode(PASSWORD.encode()).decode()
    (root / "deploy.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: Opaque\ndata:\n"
        f"  db-password: {encoded}\n  username: {base64.b64encode(b'app').decode()}\n"
        "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n"
        "      containers:\n      - name: web\n        env:\n        - name: API_TOKEN\n"
        "          value: f8Ks92LmQp3xZ7vNc1\n"
    )
    return root


def findings(proc_stdout: str) -> list[tuple[str, int, str]]:
    doc = json.loads(proc_stdout)
    return sorted(
        (Path(f["location"]["path"]).name, f["location"]["line"], f["metadata"]["rule"])
        for f in doc["findings"]
    )


def test_directory_scan(tmp_path: Path) -> None:
    root = tree(tmp_path / "repo")
    proc = run_secrets(str(root), "-f", "json", "-q", "--no-store")
    assert proc.returncode == 0, proc.stderr
    assert findings(proc.stdout) == [
        (".env", 1, "gitlab-pat"),
        (".env", 2, "secret-env-assignment"),
        ("deploy.yaml", 7, "secret-env-assignment"),  # the decoded value, named by its key
        ("deploy.yaml", 21, "secret-env-assignment"),
        ("lib.py", 1, "gitlab-pat"),
    ]
    assert TOKEN[6:] not in proc.stdout and PASSWORD[2:] not in proc.stdout


def test_excludes_and_fail_on(tmp_path: Path) -> None:
    root = tree(tmp_path / "repo")
    proc = run_secrets(
        str(root),
        "--exclude",
        "vendor/",
        "--exclude",
        "*.yaml",
        "-f",
        "json",
        "-q",
        "--no-store",
        "--fail-on",
        "critical",
    )
    assert proc.returncode == 1, proc.stderr
    assert [f[0] for f in findings(proc.stdout)] == [".env", ".env"]


def test_exceptions_file(tmp_path: Path) -> None:
    root = tree(tmp_path / "repo")
    (root / ".stockade").mkdir()
    (root / ".stockade/exceptions.yaml").write_text(
        "version: 1\nexceptions:\n  - id: STK-SEC-0057\n    scope: {path: vendor/**}\n"
        "    reason: vendored test fixture, token revoked\n    owner: sec@example.com\n"
        "    expires: 2099-12-31\n"
        "  - id: STK-SEC-0999\n    scope: {path: app/.env}\n    reason: typo\n    owner: a@example.com\n"
        "    expires: 2099-12-31\n"
    )
    proc = run_secrets(".", "-f", "json", "-q", "--no-store", cwd=str(root))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert [(f["location"]["path"], f["metadata"]["suppression"]["reason"]) for f in doc["suppressed"]] == [
        ("vendor/lib.py", "vendored test fixture, token revoked")
    ]
    assert any("no secret rule has the id STK-SEC-0999" in s["reason"] for s in doc["statuses"])


def test_usage_errors(tmp_path: Path) -> None:
    assert run_secrets().returncode == 2
    assert run_secrets(str(tmp_path), "--image", "x").returncode == 2
    assert run_secrets(str(tmp_path / "missing")).returncode == 2
    bad = tmp_path / "rules.yaml"
    bad.write_text("version: 1\nrules:\n  - id: nope\n")
    proc = run_secrets(str(tmp_path), "--rules", str(bad))
    assert proc.returncode == 2 and f"{bad}:3" in proc.stderr


def test_table_output(tmp_path: Path) -> None:
    root = tree(tmp_path / "repo")
    proc = run_secrets(str(root), "--no-store")
    assert proc.returncode == 0, proc.stderr
    assert "STK-SEC-0057" in proc.stdout and TOKEN[6:] not in proc.stdout


def test_opaque_secret_data_without_a_recognisable_name(tmp_path: Path) -> None:
    value = base64.b64encode(b"q8ZvN3kLm2Xp7Rt5").decode()
    (tmp_path / "s.yaml").write_text(
        f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  blob: {value}\n  ca.crt: {value}\n"
    )
    proc = run_secrets(str(tmp_path), "-f", "json", "-q", "--no-store")
    assert findings(proc.stdout) == [("s.yaml", 6, "kubernetes-secret-data")]
