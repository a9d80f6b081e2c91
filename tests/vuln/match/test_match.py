"""The matcher's rules, each against a database imported (with the real readers) from records written
here in the feeds' own formats: OSV JSON and the Debian security tracker's DSA/DLA list format."""

from __future__ import annotations

from pathlib import Path

import pytest

from stockade.catalog.common import make_package
from stockade.model.inventory import OSInfo
from stockade.model.status import StatusKind
from tests.vuln.match.conftest import build_db, deb, debian, found, match, osv, pypi, write_osv

FIX_15 = (("introduced", "0"), ("fixed", "1.5"))
V31 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"

RECORDS = [
    # one vulnerability in two databases: merged into one finding, CVE id, both listed
    osv("PYSEC-2024-1", "PyPI", "demo", FIX_15, aliases=["CVE-2024-0001", "GHSA-aaaa-bbbb-cccc"]),
    osv(
        "GHSA-aaaa-bbbb-cccc", "PyPI", "Demo", FIX_15, aliases=["CVE-2024-0001"], severity=[("CVSS_V3", V31)]
    ),
    # withdrawn: never applies
    osv("PYSEC-2024-2", "PyPI", "demo", FIX_15, withdrawn="2024-06-01T00:00:00Z"),
    # last_affected and limit
    osv("PYSEC-2024-3", "PyPI", "demo", (("introduced", "1.0"), ("last_affected", "1.3"))),
    osv("PYSEC-2024-4", "PyPI", "demo", (("introduced", "0"), ("limit", "1.2"))),
    # a versions list and no range
    osv("PYSEC-2024-5", "PyPI", "demo", versions=["1.3"]),
    # GIT ranges only: cannot be decided for an installed version
    osv("PYSEC-2024-6", "PyPI", "demo", (("introduced", "0"), ("fixed", "f" * 40)), range_type="GIT"),
    # a bound that does not parse
    osv("PYSEC-2024-7", "PyPI", "demo", (("introduced", "0"), ("fixed", "not a version!"))),
    # no CVE: the database's own id, the GHSA as alias
    osv("PYSEC-2024-8", "PyPI", "other", FIX_15, aliases=["GHSA-dddd-eeee-ffff"]),
    osv("GHSA-dddd-eeee-ffff", "PyPI", "other", FIX_15),
    # Go: SEMVER ranges without "v", installed versions with it
    osv(
        "GO-2024-0001",
        "Go",
        "example.org/mod",
        (("introduced", "0"), ("fixed", "1.4.0")),
        range_type="SEMVER",
    ),
]

DEBIAN_LIST = """\
[06 Feb 2024] DLA-9006-1 curl - security update
\t{CVE-2024-5555}
\t[bullseye] - curl 7.74.0-1.3+deb11u99
[05 Feb 2024] DSA-9005-1 curl - security update
\t{CVE-2024-5555}
\t[bullseye] - curl <not-affected> (Vulnerable code not present)
[04 Feb 2024] DLA-9004-1 zlib - security update
\t{CVE-2024-4444}
\t[bullseye] - zlib <no-dsa> (Minor issue)
[03 Feb 2024] DLA-9003-1 tiff - security update
\t{CVE-2024-3333}
\t[bullseye] - tiff <unfixed>
[02 Feb 2024] DSA-9002-1 xz-utils - security update
\t{CVE-2024-2222 CVE-2024-2223}
\t[bookworm] - xz-utils 5.4.1-0.2+deb12u1
[01 Feb 2024] DSA-9001-1 openssl - security update
\t{CVE-2024-1111}
\t[bookworm] - openssl 3.0.13-1~deb12u1
\t[bullseye] - openssl 1.1.1w-0+deb11u2
"""


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("match")
    write_osv(root / "osv", RECORDS)
    (root / "debian" / "DSA").mkdir(parents=True)
    (root / "debian" / "DSA" / "list").write_text(DEBIAN_LIST, encoding="utf-8")
    return build_db(root / "advisories.db", [root / "osv", root / "debian"])


def test_aliases_merge_into_one_finding_with_the_cve_id(db: Path) -> None:
    result = match(db, [pypi("demo", "1.4")])
    m = found(result)[("demo", "CVE-2024-0001")]
    assert m.aliases == ("PYSEC-2024-1", "GHSA-aaaa-bbbb-cccc")
    assert sorted(r.advisory.id for r in m.records) == ["GHSA-aaaa-bbbb-cccc", "PYSEC-2024-1"]
    assert m.fixed_versions == ("1.5",) and m.fix_state == "fixed"
    assert [k for k in found(result) if k[1] == "CVE-2024-0001"] == [("demo", "CVE-2024-0001")]


def test_without_a_cve_the_database_id_wins_over_the_ghsa(db: Path) -> None:
    m = found(match(db, [pypi("Other", "1.0")]))[("Other", "PYSEC-2024-8")]
    assert m.aliases == ("GHSA-dddd-eeee-ffff",)


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("0.9", {"CVE-2024-0001", "PYSEC-2024-4"}),  # limit 1.2: below it
        ("1.0", {"CVE-2024-0001", "PYSEC-2024-3", "PYSEC-2024-4"}),
        ("1.3", {"CVE-2024-0001", "PYSEC-2024-3", "PYSEC-2024-5"}),  # last_affected inclusive; listed
        ("1.4", {"CVE-2024-0001"}),  # above last_affected, at or above the limit, not listed
        ("1.5", set()),
    ],
)
def test_ranges_lists_and_withdrawn(db: Path, version: str, expected: set[str]) -> None:
    result = match(db, [pypi("demo", version)])
    assert {vid for _, vid in found(result)} == expected  # PYSEC-2024-2 (withdrawn) never
    assert result.withdrawn == 1


def test_git_ranges_and_bad_bounds_are_statuses_not_matches(db: Path) -> None:
    result = match(db, [pypi("demo", "1.0")])
    assert "PYSEC-2024-6" not in {vid for _, vid in found(result)}
    text = " | ".join(s.reason for s in result.statuses)
    assert "only GIT (commit) ranges" in text and "PYSEC-2024-6 (demo)" in text
    assert "do not parse" in text and "PYSEC-2024-7" in text
    assert "GIT (commit) ranges not evaluated" in text


def test_go_semver_with_and_without_v(db: Path) -> None:
    mod = make_package(
        name="example.org/mod", version="v1.3.9", type_="golang", found_by="lang/gomod", path="/go.mod"
    )
    fixed = make_package(
        name="example.org/mod", version="v1.4.0", type_="golang", found_by="lang/gomod", path="/go.mod"
    )
    assert found(match(db, [mod]))[("example.org/mod", "GO-2024-0001")].fixed_versions == ("1.4.0",)
    assert found(match(db, [fixed])) == {}


def test_unparseable_installed_version_is_a_status_and_not_checked(db: Path) -> None:
    dev = make_package(
        name="example.org/mod", version="(devel)", type_="golang", found_by="lang/gomod", path="/srv/go.mod"
    )
    result = match(db, [dev, pypi("demo", "1.4")])
    assert result.checked == 1 and result.packages == 2
    [bad] = [s for s in result.statuses if s.path == "/srv/go.mod"]
    assert bad.status is StatusKind.PARTIAL and "example.org/mod (devel)" in bad.reason


def test_os_packages_match_by_source_package_and_release(db: Path) -> None:
    ssl11 = deb("libssl1.1", "1.1.1n-0+deb11u5", source="openssl")
    m = found(match(db, [ssl11], debian("11")))[("libssl1.1", "CVE-2024-1111")]
    assert m.aliases == ("DSA-9001-1",) and m.fixed_versions == ("1.1.1w-0+deb11u2",)  # the bullseye line
    assert (m.ecosystem, m.name, m.version) == ("Debian:11", "openssl", "1.1.1n-0+deb11u5")
    ssl3 = deb("libssl3", "3.0.11-1~deb12u2", source="openssl")
    assert found(match(db, [ssl3], debian("12")))[("libssl3", "CVE-2024-1111")].fixed_versions == (
        "3.0.13-1~deb12u1",
    )
    assert found(match(db, [deb("libssl1.1", "1.1.1w-0+deb11u2", source="openssl")], debian("11"))) == {}


def test_debian_12_advisories_do_not_apply_to_debian_11(db: Path) -> None:
    xz = deb("xz-utils", "5.2.5-2.1~deb11u1")
    assert found(match(db, [xz], debian("11"))) == {}  # DSA-9002-1 names bookworm only
    twelve = found(match(db, [deb("xz-utils", "5.4.1-0.2")], debian("12")))
    assert set(twelve) == {("xz-utils", "CVE-2024-2222"), ("xz-utils", "CVE-2024-2223")}  # one per CVE
    assert all(m.aliases == ("DSA-9002-1",) for m in twelve.values())
    testing = found(match(db, [deb("xz-utils", "5.4.1-0.2")], debian(None, "bookworm")))
    assert set(testing) == set(twelve)  # no VERSION_ID: the code name gives the release


def test_unfixed_wont_fix_and_not_affected_override(db: Path) -> None:
    result = match(
        db,
        [deb("libtiff5", "4.2.0-1", "tiff"), deb("zlib1g", "1:1.2.11", "zlib"), deb("curl", "7.74.0-1.3")],
        debian("11"),
    )
    got = found(result)
    tiff = got[("libtiff5", "CVE-2024-3333")]
    assert (tiff.fix_state, tiff.fixed_versions) == ("unfixed", ())
    zlib = got[("zlib1g", "CVE-2024-4444")]
    assert (zlib.fix_state, zlib.fixed_versions) == ("wont-fix", ())
    assert ("curl", "CVE-2024-5555") not in got  # DSA-9005-1 says not affected: DLA-9006-1 is overridden
    assert result.overridden == 1


def test_not_covered_ecosystems_and_releases_are_said(db: Path) -> None:
    npm = make_package(
        name="left-pad", version="1.0.0", type_="npm", found_by="lang/npm", path="/app/package.json"
    )
    conan = make_package(name="zlib", version="1.2", type_="conan", found_by="lang/x", path="/x")
    result = match(db, [npm, conan, deb("zlib1g", "1:1.2.11", "zlib")], debian("13"))
    reasons = [s.reason for s in result.statuses]
    assert any("no advisories for npm (1 package)" in r for r in reasons)
    assert any(
        "no advisories for Debian:13" in s.reason and "Debian:11, Debian:12" in s.reason
        for s in result.statuses
    )
    assert any(
        s.status is StatusKind.UNSUPPORTED and "conan (1 package)" in s.reason for s in result.statuses
    )
    assert result.checked == 0 and result.matches == ()
    unknown = match(db, [deb("zlib1g", "1:1.2.11", "zlib")], OSInfo(id="debian"))
    assert any("release is unknown" in s.reason for s in unknown.statuses)


def test_release_from_the_purl_when_the_os_is_unknown(db: Path) -> None:
    """An inventory read from an SBOM may name the release only in each purl's distro qualifier."""
    ssl = make_package(
        name="libssl1.1", version="1.1.1n-0+deb11u5", type_="deb", found_by="sbom", path="/sbom.json",
        namespace="debian", ecosystem="Debian", source_name="openssl", qualifiers={"distro": "debian-11"},
    )  # fmt: skip
    assert ("libssl1.1", "CVE-2024-1111") in found(match(db, [ssl], None))


def test_ecosystem_from_the_purl_namespace_when_a_reader_left_the_type(db: Path) -> None:
    ssl = make_package(
        name="libssl1.1", version="1.1.1n-0+deb11u5", type_="deb", found_by="sbom", path="/sbom.json",
        namespace="debian", source_name="openssl", qualifiers={"distro": "debian-11"},
    )  # fmt: skip
    assert ssl.ecosystem == "deb"
    assert ("libssl1.1", "CVE-2024-1111") in found(match(db, [ssl], None))
