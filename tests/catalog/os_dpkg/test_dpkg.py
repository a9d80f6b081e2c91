"""dpkg cataloger: real paragraphs from a Debian 12 status file, distroless status.d, broken input."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from stockade.catalog.interface import CatalogContext
from stockade.catalog.os.dpkg import DpkgCataloger
from stockade.catalog.osrelease import detect_os
from stockade.model.inventory import Package
from stockade.target.fs import TargetFS

TESTDATA = Path(__file__).parent / "testdata"
DEBIAN12 = (
    'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n'
)


def catalog(root: Path) -> tuple[list[Package], CatalogContext]:
    fs = TargetFS(str(root))
    ctx = CatalogContext(fs=fs, os=detect_os(fs), plugin="catalog/os/dpkg")
    return DpkgCataloger().catalog(ctx, []), ctx


def make_root(tmp_path: Path, status: str | None = None, os_release: str = DEBIAN12) -> Path:
    (tmp_path / "etc").mkdir(parents=True, exist_ok=True)
    (tmp_path / "etc/os-release").write_text(os_release)
    if status is not None:
        (tmp_path / "var/lib/dpkg").mkdir(parents=True, exist_ok=True)
        (tmp_path / "var/lib/dpkg/status").write_text(status)
    return tmp_path


def test_real_status_paragraphs(tmp_path: Path) -> None:
    root = make_root(tmp_path, (TESTDATA / "status").read_text())
    pkgs, ctx = catalog(root)
    assert ctx.problems == []
    got = {p.name: p for p in pkgs}
    assert set(got) == {
        "bash",
        "coreutils",
        "gcc-12-base",
        "libc6",
        "libgcc-s1",
        "libssl3",
        "tzdata",
        "zlib1g",
    }
    # Source with a version differing from the binary's (binNMU): both kept
    assert (got["bash"].version, got["bash"].source_name, got["bash"].source_version) == (
        "5.2.15-2+b8",
        "bash",
        "5.2.15-2",
    )
    # Source without a version: the binary's version is the source version
    assert (got["libc6"].source_name, got["libc6"].source_version) == ("glibc", got["libc6"].version)
    # no Source field: the package is its own source
    assert got["coreutils"].source_name == "coreutils"
    # epochs and tildes are kept verbatim
    assert got["zlib1g"].version == "1:1.2.13.dfsg-1"
    assert got["libssl3"].version == "3.0.19-1~deb12u2"
    assert (
        got["zlib1g"].purl
        == "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12&upstream=zlib"
    )
    assert got["bash"].ecosystem == "Debian"
    assert got["libc6"].locations[0].path == "/var/lib/dpkg/status"
    assert got["libc6"].locations[0].line is not None


def test_against_dpkg_query_on_fixture(tmp_path: Path) -> None:
    """dpkg-query itself, pointed at the fixture database, must list the same packages and versions."""
    if shutil.which("dpkg-query") is None:
        pytest.skip("dpkg-query not installed: cannot compare with dpkg's own reading")
    root = make_root(tmp_path, (TESTDATA / "status").read_text())
    (root / "var/lib/dpkg/info").mkdir()
    (root / "var/lib/dpkg/updates").mkdir()
    out = subprocess.run(
        ["dpkg-query", f"--admindir={root}/var/lib/dpkg", "-W", "-f", "${Package}\t${Version}\n"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    expected = {tuple(line.split("\t")) for line in out.splitlines()}
    pkgs, _ = catalog(root)
    assert {(p.name, p.version) for p in pkgs} == expected


STATES = """Package: kept
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0-1

Package: gone
Status: purge ok not-installed
Architecture: amd64

Package: half
Status: install reinstreq half-installed
Architecture: all
Version: 2.0
"""


def test_package_states_follow_dpkg_query(tmp_path: Path) -> None:
    pkgs, ctx = catalog(make_root(tmp_path, STATES))
    got = {p.name: p for p in pkgs}
    assert set(got) == {"kept", "half"}  # not-installed is what dpkg-query -W leaves out
    assert got["kept"].metadata["dpkg_status"] == "config-files"
    assert ctx.problems == []


def test_distroless_status_d(tmp_path: Path) -> None:
    root = make_root(tmp_path)
    paras = (TESTDATA / "status").read_text().strip().split("\n\n")
    sd = root / "var/lib/dpkg/status.d"
    sd.mkdir(parents=True)
    for para in paras[:3]:
        name = para.split("\n", 1)[0].split(": ", 1)[1]
        (sd / name).write_text(para + "\n")
        (sd / f"{name}.md5sums").write_text("d41d8cd98f00b204e9800998ecf8427e  usr/bin/x\n")
    pkgs, ctx = catalog(root)
    assert ctx.problems == []
    assert sorted(p.name for p in pkgs) == ["bash", "coreutils", "gcc-12-base"]
    assert {p.locations[0].path for p in pkgs} == {
        f"/var/lib/dpkg/status.d/{n}" for n in ("bash", "coreutils", "gcc-12-base")
    }


def test_truncated_status_keeps_what_was_read(tmp_path: Path) -> None:
    text = (TESTDATA / "status").read_text()
    cut = text.index("Package: libssl3")
    truncated = text[: cut + len("Package: libssl3\nStatus: install ok installed\n")]
    pkgs, ctx = catalog(make_root(tmp_path, truncated))
    assert {p.name for p in pkgs} == {"bash", "coreutils", "gcc-12-base", "libc6", "libgcc-s1"}
    assert len(ctx.problems) == 1
    problem = ctx.problems[0]
    assert problem.path == "/var/lib/dpkg/status"
    assert "missing Version" in problem.reason and "line " in problem.reason


def test_garbage_status(tmp_path: Path) -> None:
    pkgs, ctx = catalog(make_root(tmp_path, "Package: ok\nVersion: 1\n\n\x00\x01garbage without colon\n"))
    assert [p.name for p in pkgs] == ["ok"]
    assert ctx.problems and "line 4" in ctx.problems[0].reason


def test_ubuntu_namespace(tmp_path: Path) -> None:
    root = make_root(
        tmp_path,
        (TESTDATA / "status").read_text(),
        os_release='ID=ubuntu\nVERSION_ID="22.04"\nID_LIKE=debian\n',
    )
    pkgs, _ = catalog(root)
    assert all(p.purl.startswith("pkg:deb/ubuntu/") and "distro=ubuntu-22.04" in p.purl for p in pkgs)
    assert {p.ecosystem for p in pkgs} == {"Ubuntu"}


def test_no_database_is_not_an_error(tmp_path: Path) -> None:
    pkgs, ctx = catalog(make_root(tmp_path))
    assert pkgs == [] and ctx.problems == []
