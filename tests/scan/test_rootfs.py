"""Must show: `stockade rootfs DIR` on a real Debian rootfs (debootstrap) lists exactly its dpkg packages;
malformed inputs give status entries with clear reasons, never a traceback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

import pytest

from tests.rootfs_fixtures import debian_rootfs

CLI = Callable[..., CompletedProcess[str]]


@pytest.fixture(scope="session")
def debian() -> Path:
    try:
        return debian_rootfs()
    except RuntimeError as exc:
        pytest.skip(f"no Debian rootfs: {exc}")


def scan(cli: CLI, path: Path) -> dict[str, Any]:
    proc = cli("rootfs", str(path), "--format", "json", "--quiet", "--no-store")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    doc: dict[str, Any] = json.loads(proc.stdout)
    return doc


@pytest.mark.slow
def test_debootstrap_rootfs_lists_exactly_its_packages(cli: CLI, debian: Path) -> None:
    out = subprocess.run(
        [
            "dpkg-query",
            f"--admindir={debian}/var/lib/dpkg",
            "-W",
            "-f",
            "${Package}\t${Architecture}\t${Version}\n",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    expected = {tuple(line.split("\t")) for line in out.splitlines() if line}
    doc = scan(cli, debian)
    got = {
        (p["name"], p.get("arch", ""), p["version"])
        for p in doc["inventory"]["packages"]
        if p["found_by"] == "os/dpkg"
    }
    assert got == expected
    assert len(expected) > 50
    assert doc["inventory"]["os"]["id"] == "debian" and doc["inventory"]["os"]["version_id"].startswith("12")
    # the scanning host's own packages must not leak in (absolute symlinks resolve inside the rootfs)
    assert not [p for p in doc["inventory"]["packages"] if p["found_by"] == "lang/python"]


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    root = tmp_path / "broken"
    (root / "etc").mkdir(parents=True)
    (root / "etc/os-release").write_text("ID=debian\nVERSION_ID=12\n")
    status = (
        "Package: a\nStatus: install ok installed\nVersion: 1\n\nPackage: b\nStatus: install ok installed\n"
    )
    (root / "var/lib/dpkg").mkdir(parents=True)
    (root / "var/lib/dpkg/status").write_text(status)  # truncated in the middle of b's paragraph
    site = root / "usr/lib/python3/dist-packages"
    (site / "garbage-1.0.dist-info").mkdir(parents=True)
    (site / "garbage-1.0.dist-info/METADATA").write_bytes(os.urandom(4096).replace(b"\n", b"\0") + b"\0")
    (site / "loop-1.0.dist-info").mkdir()
    os.symlink("METADATA", site / "loop-1.0.dist-info/METADATA")  # points at itself
    (site / "huge-1.0.dist-info").mkdir()
    with open(site / "huge-1.0.dist-info/METADATA", "wb") as fh:
        fh.truncate(2 * 1024**3)  # 2 GB sparse file
    (site / "good-2.0.dist-info").mkdir()
    (site / "good-2.0.dist-info/METADATA").write_text("Metadata-Version: 2.1\nName: good\nVersion: 2.0\n")
    os.symlink("..", root / "usr/lib/up")  # a directory loop the walker must not follow
    return root


def test_malformed_inputs_are_statuses(cli: CLI, broken: Path) -> None:
    doc = scan(cli, broken)
    names = {(p["name"], p["version"]) for p in doc["inventory"]["packages"]}
    assert names == {("a", "1"), ("good", "2.0")}
    by_path = {s["path"]: s for s in doc["statuses"] if "path" in s}
    site = "/usr/lib/python3/dist-packages"
    assert "missing Version" in by_path["/var/lib/dpkg/status"]["reason"]
    assert by_path[f"{site}/garbage-1.0.dist-info/METADATA"]["reason"].startswith("failed to parse")
    assert by_path[f"{site}/loop-1.0.dist-info/METADATA"]["reason"] == "symlink loop"
    huge = by_path[f"{site}/huge-1.0.dist-info/METADATA"]
    assert huge["status"] == "skipped" and "2.0 GB" in huge["reason"]


def test_table_shows_what_was_not_covered(cli: CLI, broken: Path) -> None:
    proc = cli("rootfs", str(broken), "--no-store")
    assert proc.returncode == 0, proc.stderr
    assert "not covered or partly covered" in proc.stdout
    assert "symlink loop" in proc.stdout


def test_copy_of_host_python_is_found_in_rootfs(cli: CLI, tmp_path: Path) -> None:
    """A rootfs made of a real site-packages tree: the same distributions, at rootfs paths."""
    import sysconfig

    src = Path(sysconfig.get_paths()["purelib"])
    dst = tmp_path / "r/usr/lib/python3/dist-packages"
    shutil.copytree(
        src, dst, ignore=shutil.ignore_patterns("*.py", "*.pyc", "*.so", "__pycache__"), symlinks=True
    )
    doc = scan(cli, tmp_path / "r")
    found = {p["name"].lower() for p in doc["inventory"]["packages"] if p["found_by"] == "lang/python"}
    import importlib.metadata

    expected = {d.metadata["Name"].lower() for d in importlib.metadata.distributions(path=[str(src)])}
    assert found == expected
