"""Shared test helpers: run the real CLI, build small target trees, reach ../shared."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
CACHE = REPO / "tests" / ".cache"


def run_cli(
    *args: str, env: Mapping[str, str] | None = None, input: str | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run ``stockade ARGS`` in a fresh interpreter, exactly as a user would."""
    full_env = dict(os.environ)
    full_env.pop("STOCKADE_DEBUG", None)
    if env:
        full_env.update(env)
    return subprocess.run(
        [sys.executable, "-m", "stockade.cli.main", *args],
        capture_output=True,
        text=True,
        env=full_env,
        input=input,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def cli(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """``cli(*args)``: the CLI with a private inventory database."""
    db = str(tmp_path / "inventory.db")

    def _run(*args: str, **kw: Any) -> subprocess.CompletedProcess[str]:
        env = {"STOCKADE_DB": db, **kw.pop("env", {})}
        return run_cli(*args, env=env, **kw)

    return _run


def write_tree(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """Create ``files`` (target path → content) under ``root``."""
    for rel, content in files.items():
        path = root / rel.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def scan_json(cli: Callable[..., subprocess.CompletedProcess[str]], *args: str) -> dict[str, Any]:
    proc = cli(*args, "--format", "json", "--quiet")
    assert proc.returncode == 0, proc.stderr
    doc: dict[str, Any] = json.loads(proc.stdout)
    return doc


def is_root() -> bool:
    return os.geteuid() == 0


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden", action="store_true", help="rewrite golden files from the current output"
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))
