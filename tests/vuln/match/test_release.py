"""The release rule: which distribution release a system is, and Alpine secdb data matched by origin."""

from __future__ import annotations

from pathlib import Path

import pytest

from stockade.catalog.common import make_package
from stockade.model.inventory import OSInfo, Package
from stockade.vuln.match_release import applies, distro_of_purl, release_ecosystem
from tests.vuln.match.conftest import DATA, build_db, found, match, needs_data


@pytest.mark.parametrize(
    ("base", "os", "expected"),
    [
        ("Debian", OSInfo("debian", version_id="12"), "Debian:12"),
        ("Debian", OSInfo("debian", version_id="11.9"), "Debian:11"),
        ("Debian", OSInfo("debian", version_codename="trixie"), "Debian:13"),  # testing: no VERSION_ID
        ("Debian", OSInfo("debian"), None),
        ("Ubuntu", OSInfo("ubuntu", version_id="22.04"), "Ubuntu:22.04"),
        ("Alpine", OSInfo("alpine", version_id="3.18.4"), "Alpine:v3.18"),
        ("Alpine", OSInfo("alpine", version_id="3.19_alpha20230901"), "Alpine:edge"),
        ("Rocky Linux", OSInfo("rocky", version_id="9.3"), "Rocky Linux:9"),
        ("AlmaLinux", OSInfo("almalinux", version_id="8.9"), "AlmaLinux:8"),
        ("openSUSE", OSInfo("opensuse-leap", version_id="15.5", pretty_name="openSUSE Leap 15.5"),
         "openSUSE:openSUSE Leap 15.5"),
        ("Photon OS", OSInfo("photon", version_id="3.0"), "Photon OS:3.0"),
        ("Debian", None, None),
    ],
)  # fmt: skip
def test_release_of_the_system(base: str, os: OSInfo | None, expected: str | None) -> None:
    assert release_ecosystem(base, os) == expected


@pytest.mark.parametrize(
    ("ecosystem", "base", "release", "expected"),
    [
        ("Debian", "Debian", "Debian:11", True),  # no release: every release
        ("Debian:11", "Debian", "Debian:11", True),
        ("Debian:12", "Debian", "Debian:11", False),
        ("Debian:12", "Debian", None, False),
        ("Ubuntu:22.04:LTS", "Ubuntu", "Ubuntu:22.04", True),
        ("Ubuntu:Pro:22.04:LTS", "Ubuntu", "Ubuntu:22.04", False),  # Ubuntu Pro: not applied
        ("Alpine:v3.11", "Alpine", "Alpine:v3.11", True),
        ("Alpine:v3.11", "Alpine", "Alpine:v3.12", False),
        ("Maven:https://maven.google.com", "Maven", None, True),  # a repository suffix, not a release
    ],
)
def test_which_entries_apply(ecosystem: str, base: str, release: str | None, expected: bool) -> None:
    assert applies(ecosystem, base, release) is expected


def test_distro_qualifier() -> None:
    assert distro_of_purl("pkg:deb/debian/curl@7.88?arch=amd64&distro=debian-12") == OSInfo("debian", "12")
    assert distro_of_purl("pkg:apk/alpine/musl@1.2?distro=alpine-3.18.4") == OSInfo("alpine", "3.18.4")
    assert distro_of_purl("pkg:deb/debian/x@1?distro=debian-bookworm") == OSInfo(
        "debian", version_codename="bookworm"
    )
    assert distro_of_purl("pkg:pypi/x@1") is None


@pytest.fixture(scope="module")
def alpine_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not DATA.is_dir():
        pytest.skip(f"{DATA} is missing")
    return build_db(tmp_path_factory.mktemp("alpine") / "advisories.db", [DATA / "alpine-secdb"])


def apk(name: str, version: str, origin: str) -> Package:
    return make_package(
        name=name, version=version, type_="apk", found_by="os/apk", path="/lib/apk/db/installed",
        namespace="alpine", ecosystem="Alpine", source_name=origin, source_version=version,
    )  # fmt: skip


@needs_data
def test_alpine_secdb_by_origin_and_release(alpine_db: Path) -> None:
    """v3.11/main.yaml lists openssl fixes 1.1.1a-r0, 1.1.1b-r1, 1.1.1d-r1 and 1.1.1d-r3 (CVE-2019-1551),
    and musl 1.1.23-r2: libssl1.1 (origin openssl) at 1.1.1d-r1, a version Alpine shipped, lacks only
    the last; musl at 1.1.23-r2 has every fix."""
    packages = [apk("libssl1.1", "1.1.1d-r1", "openssl"), apk("musl", "1.1.23-r2", "musl")]
    got = found(match(alpine_db, packages, OSInfo("alpine", version_id="3.11.6")))
    assert set(got) == {("libssl1.1", "CVE-2019-1551")}
    assert got[("libssl1.1", "CVE-2019-1551")].fixed_versions == ("1.1.1d-r3",)
    newer = match(alpine_db, packages, OSInfo("alpine", version_id="3.12.0"))
    assert newer.matches == () and any("no advisories for Alpine:v3.12" in s.reason for s in newer.statuses)
