"""Berkeley DB ``Packages`` files of real CentOS 5–8 installations, compared with rpm's own reader.

The databases come with Debian's ``golang-github-knqyf263-go-rpmdb-dev`` package (the test data of the
go-rpmdb library, taken from CentOS container images); ``rpm -qa`` with Debian's rpm (``bdb_ro``
backend) is the expected output.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from stockade.catalog.interface import CatalogContext
from stockade.catalog.os.rpm import RpmCataloger
from stockade.model.inventory import OSInfo
from stockade.target.fs import TargetFS
from tests.catalog.os_rpm.conftest import EXTRA_FORMAT, QUERY_FORMAT, require, rpm_query
from tests.catalog.os_rpm.test_rpm_cataloger import as_extra_line, as_rpm_line

GO_RPMDB = Path("/usr/share/gocode/src/github.com/knqyf263/go-rpmdb/pkg/testdata")
DISTRO_DBS = sorted(p.name for p in GO_RPMDB.iterdir()) if GO_RPMDB.is_dir() else ["(none)"]


@pytest.mark.parametrize("name", DISTRO_DBS)
def test_centos_database(tmp_path: Path, name: str) -> None:
    if not (GO_RPMDB / name / "Packages").is_file():
        pytest.skip(
            "real CentOS databases not installed (Debian package golang-github-knqyf263-go-rpmdb-dev)"
        )
    require("rpm")
    db_dir = tmp_path / "var/lib/rpm"
    db_dir.mkdir(parents=True)
    try:
        os.link(GO_RPMDB / name / "Packages", db_dir / "Packages")
    except OSError:
        shutil.copyfile(GO_RPMDB / name / "Packages", db_dir / "Packages")
    rpm = ["rpm", "--define", "_db_backend bdb_ro"]
    expected = [line for line in rpm_query(rpm, tmp_path, QUERY_FORMAT) if not line.startswith("gpg-pubkey ")]
    extra = [line for line in rpm_query(rpm, tmp_path, EXTRA_FORMAT) if not line.startswith("gpg-pubkey|")]
    assert len(expected) > 100

    version = name.removeprefix("centos")[0]
    ctx = CatalogContext(fs=TargetFS(str(tmp_path)), os=OSInfo(id="centos", version_id=version), plugin="x")
    packages = RpmCataloger().catalog(ctx, [])
    assert ctx.problems == []
    assert sorted(as_rpm_line(p) for p in packages) == expected
    assert sorted(as_extra_line(p) for p in packages) == extra
    assert all(
        p.purl.startswith("pkg:rpm/centos/") and f"distro=centos-{version}" in p.purl for p in packages
    )
    if name == "centos8-modularitylabel":
        assert any(p.metadata.get("modularitylabel", "").startswith("nodejs:") for p in packages)
