"""The command line as a user meets it: exit codes, one-line errors, formats, output files."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

import pytest

from stockade import __version__

CLI = Callable[..., CompletedProcess[str]]
STATUS = "Package: demo\nStatus: install ok installed\nArchitecture: all\nVersion: 1.0-1\n"


@pytest.fixture
def rootfs(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "var/lib/dpkg").mkdir(parents=True)
    (root / "var/lib/dpkg/status").write_text(STATUS)
    (root / "etc").mkdir()
    (root / "etc/os-release").write_text("ID=debian\nVERSION_ID=12\n")
    return root


def test_version(cli: CLI) -> None:
    proc = cli("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"stockade {__version__}"


def test_help_lists_commands(cli: CLI) -> None:
    proc = cli("--help")
    assert proc.returncode == 0
    for command in ("host", "rootfs", "inventory"):
        assert command in proc.stdout


def test_missing_path_exits_2_with_one_line(cli: CLI, tmp_path: Path) -> None:
    proc = cli("rootfs", str(tmp_path / "nope"))
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"stockade: error: {tmp_path / 'nope'}: no such file or directory"
    ]
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_file_instead_of_directory(cli: CLI, tmp_path: Path) -> None:
    f = tmp_path / "file"
    f.write_text("x")
    proc = cli("rootfs", str(f))
    assert proc.returncode == 2 and "not a directory" in proc.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["rootfs"],
        ["rootfs", ".", "--format", "xml"],
        ["nosuchcommand"],
        ["rootfs", ".", "--fail-on", "severe"],
    ],
)
def test_usage_errors_exit_2(cli: CLI, args: list[str]) -> None:
    proc = cli(*args)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr


def test_json_result_shape(cli: CLI, rootfs: Path) -> None:
    proc = cli("rootfs", str(rootfs), "--format", "json", "--quiet")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["schema_version"] == "1.1"
    assert set(doc) == {"schema_version", "scan", "target", "inventory", "findings", "suppressed", "statuses"}
    assert doc["target"]["kind"] == "rootfs"
    assert doc["inventory"]["os"]["id"] == "debian"
    (pkg,) = doc["inventory"]["packages"]
    assert pkg["name"] == "demo" and pkg["version"] == "1.0-1" and pkg["ecosystem"] == "Debian"
    assert pkg["purl"] == "pkg:deb/debian/demo@1.0-1?arch=all&distro=debian-12"
    assert pkg["locations"][0]["path"] == "/var/lib/dpkg/status"
    assert all({"plugin", "status", "reason"} <= set(s) for s in doc["statuses"])
    assert proc.stderr == ""  # --quiet


def test_output_file_and_summary_line(cli: CLI, rootfs: Path, tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    proc = cli("rootfs", str(rootfs), "-f", "json", "-o", str(out))
    assert proc.returncode == 0 and proc.stdout == ""
    assert json.loads(out.read_text())["inventory"]["packages"][0]["name"] == "demo"
    assert "1 packages" in proc.stderr and str(out) in proc.stderr
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".stockade-")]  # no temp file left


def test_unwritable_output_is_a_clear_error(cli: CLI, rootfs: Path, tmp_path: Path) -> None:
    proc = cli("rootfs", str(rootfs), "-f", "json", "-o", str(tmp_path / "no/such/dir/out.json"))
    assert proc.returncode in (2, 3)
    assert "Traceback" not in proc.stderr and "out.json" in proc.stderr


def test_table_output(cli: CLI, rootfs: Path) -> None:
    proc = cli("rootfs", str(rootfs), "--packages")
    assert proc.returncode == 0, proc.stderr
    assert "rootfs:" in proc.stdout and "demo" in proc.stdout and "1.0-1" in proc.stdout
    assert "\x1b[" not in proc.stdout  # no colour codes when not a terminal


def test_fail_on_with_no_findings_exits_0(cli: CLI, rootfs: Path) -> None:
    assert cli("rootfs", str(rootfs), "--fail-on", "low", "-q").returncode == 0


def test_scans_are_recorded(cli: CLI, rootfs: Path) -> None:
    assert cli("rootfs", str(rootfs), "-q").returncode == 0
    proc = cli("inventory", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    (row,) = json.loads(proc.stdout)["workloads"]
    assert row["kind"] == "rootfs" and row["packages"] == 1


def test_no_store(cli: CLI, rootfs: Path) -> None:
    assert cli("rootfs", str(rootfs), "-q", "--no-store").returncode == 0
    assert json.loads(cli("inventory", "-f", "json").stdout)["workloads"] == []


def test_internal_errors_are_one_line_exit_3(cli: CLI, rootfs: Path, tmp_path: Path) -> None:
    # a database path that is a directory cannot be opened: a runtime error, not a traceback
    bad = tmp_path / "dbdir"
    bad.mkdir()
    proc = cli("rootfs", str(rootfs), "-q", "--db", str(bad))
    assert proc.returncode in (2, 3)
    assert "Traceback" not in proc.stderr and proc.stderr.startswith("stockade: error:")


@pytest.mark.parametrize("fmt", ["json", "cyclonedx", "spdx", "sarif"])
def test_file_names_that_are_not_utf8_give_valid_utf8_documents(cli: CLI, tmp_path: Path, fmt: str) -> None:
    """Linux file names are bytes: one that is not UTF-8 must not make the output invalid UTF-8."""
    root = tmp_path / "root"
    site = os.fsencode(root / "usr/lib/python3/dist-packages") + b"/caf\xe9-1.0.dist-info"
    os.makedirs(site)
    with open(site + b"/METADATA", "wb") as fh:
        fh.write(b"Metadata-Version: 2.1\nName: cafe\nVersion: 1.0\n\n")
    proc = subprocess.run([sys.executable, "-m", "stockade.cli.main", "rootfs", str(root), "-f", fmt, "-q",
                           "--no-store"], capture_output=True, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout.decode("utf-8"))  # strict: raises on invalid UTF-8
    if fmt == "json":
        (pkg,) = doc["inventory"]["packages"]
        assert os.fsencode(pkg["locations"][0]["path"]).endswith(b"/caf\xe9-1.0.dist-info/METADATA")


def test_output_into_a_device_writes_into_it(cli: CLI, rootfs: Path, tmp_path: Path) -> None:
    """`-o /dev/null` must write into the device, never rename a file over it (as root that would replace
    /dev/null with a regular file).  Tested through a link to it, so a regression replaces only the link."""
    link = tmp_path / "devnull"
    os.symlink("/dev/null", link)
    proc = cli("rootfs", str(rootfs), "-f", "json", "-q", "--no-store", "-o", str(link))
    assert proc.returncode == 0, proc.stderr
    assert link.is_symlink() and os.readlink(link) == "/dev/null"
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_output_replaces_a_file_keeping_its_mode(cli: CLI, rootfs: Path, tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    out.write_text("old")
    out.chmod(0o640)
    assert cli("rootfs", str(rootfs), "-f", "json", "-q", "--no-store", "-o", str(out)).returncode == 0
    assert json.loads(out.read_text())["schema_version"] == "1.1"
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
