"""The registry's ecosystem table (the speed of keying versions is measured by benchmarks/vuln_match.py)."""

from __future__ import annotations

import pytest

from stockade.vuln.versions import VersionScheme, get_scheme, scheme_for
from stockade.vuln.versions.registry import ECOSYSTEM_SCHEMES, SCHEMES


@pytest.mark.parametrize(
    ("ecosystem", "scheme"),
    [
        ("Debian:12", "dpkg"),
        ("Ubuntu:22.04:LTS", "dpkg"),
        ("Ubuntu:Pro:18.04:LTS", "dpkg"),
        ("Alpine:v3.19", "apk"),
        ("Wolfi", "apk"),
        ("Chainguard", "apk"),
        ("Red Hat:enterprise_linux:9::baseos", "rpm"),
        ("AlmaLinux:8", "rpm"),
        ("Rocky Linux:9", "rpm"),
        ("openSUSE:Leap 15.5", "rpm"),
        ("SUSE:Linux Enterprise Server 15 SP5", "rpm"),
        ("Mageia:9", "rpm"),
        ("openEuler:24.03-LTS", "rpm"),
        ("Photon OS:5.0", "rpm"),
        ("Amazon Linux", "rpm"),
        ("PyPI", "pep440"),
        ("npm", "semver"),
        ("crates.io", "semver"),
        ("Hex", "semver"),
        ("Pub", "pub"),
        ("Go", "go"),
        ("Maven", "maven"),
        ("RubyGems", "rubygems"),
        ("NuGet", "nuget"),
        ("Packagist", "packagist"),
    ],
)
def test_scheme_for(ecosystem: str, scheme: str) -> None:
    found = scheme_for(ecosystem)
    assert found is not None and scheme == found.NAME
    assert found is get_scheme(scheme)  # one shared instance


def test_table_is_consistent() -> None:
    assert set(ECOSYSTEM_SCHEMES.values()) <= set(SCHEMES)
    for name, cls in SCHEMES.items():
        assert name == cls.NAME and cls.REFERENCE
        assert isinstance(get_scheme(name), VersionScheme)
    for unknown in ("GIT", "Linux", "Android", "OSS-Fuzz", "debian", ""):
        assert scheme_for(unknown) is None
