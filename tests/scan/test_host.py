"""Must show: `stockade host --format json` on this machine lists every package `dpkg-query -W` lists, with
identical versions, and every Python distribution of the running interpreter's site-packages."""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_cli


@pytest.fixture(scope="module")
def host_result(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    db = tmp_path_factory.mktemp("db") / "inv.db"
    proc = run_cli(
        "host", "--format", "json", "--quiet", "--no-store", env={"STOCKADE_DB": str(db)}, timeout=600
    )
    assert proc.returncode == 0, proc.stderr
    doc: dict[str, Any] = json.loads(proc.stdout)
    return doc


@pytest.mark.slow
def test_every_dpkg_package_with_identical_version(host_result: dict[str, Any]) -> None:
    if shutil.which("dpkg-query") is None:
        pytest.skip("not a dpkg-based machine: dpkg-query is missing")
    out = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Package}\t${Architecture}\t${Version}\n"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    expected = {tuple(line.split("\t")) for line in out.splitlines() if line}
    got = {
        (p["name"], p.get("arch", ""), p["version"])
        for p in host_result["inventory"]["packages"]
        if p["found_by"] == "os/dpkg"
    }
    assert got == expected
    assert len(got) > 50


@pytest.mark.slow
def test_every_python_distribution_of_the_running_interpreter(host_result: dict[str, Any]) -> None:
    purelib = os.path.realpath(sysconfig.get_paths()["purelib"])
    expected = set()
    for dist in importlib.metadata.distributions(path=[purelib]):
        expected.add((dist.metadata["Name"], dist.version))
    assert expected, "the interpreter running the tests has no distributions?"
    found = {
        (p["name"], p["version"])
        for p in host_result["inventory"]["packages"]
        if p["found_by"] == "lang/python"
        and any(
            os.path.realpath(os.path.dirname(os.path.dirname(loc["path"]))) == purelib
            or os.path.dirname(os.path.dirname(loc["path"])) == purelib
            for loc in p["locations"]
        )
    }
    assert found == expected
    assert ("stockade", importlib.metadata.version("stockade")) in found or sys.prefix == sys.base_prefix


@pytest.mark.slow
def test_host_result_states_its_coverage(host_result: dict[str, Any]) -> None:
    target = host_result["target"]
    assert target["kind"] == "host" and target["path"] == "/"
    assert target["metadata"]["files_walked"] > 1000
    skipped = {
        s["path"] for s in host_result["statuses"] if s["plugin"] == "walk" and s["status"] == "skipped"
    }
    if Path("/proc/self").exists():
        assert "/proc" in skipped  # the kernel's views are not software, and the result says so
    plugins = {
        s["plugin"]: s["status"]
        for s in host_result["statuses"]
        if s["plugin"].startswith("catalog/") and "path" not in s  # the plug-in's own line, not a file's
    }
    assert plugins["catalog/os/dpkg"] in ("ok", "partial")
    assert plugins["catalog/lang/python"] in ("ok", "partial")
