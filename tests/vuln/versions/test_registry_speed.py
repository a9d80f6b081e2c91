"""The registry's ecosystem table, and the hot-path budget: keying many versions stays cheap."""

from __future__ import annotations

import time

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


def test_hot_path_budget() -> None:
    """10,000 installed versions and 30,000 advisory bounds, all new strings, keyed and compared."""
    dpkg = get_scheme("dpkg")
    installed = [f"{i % 3}:{i % 97}.{i % 13}.{i}+dfsg-{i % 7}+deb12u{i % 5}" for i in range(10_000)]
    bounds = [f"{i % 3}:{i % 97}.{i % 13}.{i + d}-{d}" for i in range(10_000) for d in (1, 2, 3)]
    start = time.perf_counter()
    keys = [dpkg.key(v) for v in installed]
    hits = 0
    for i, k in enumerate(keys):
        lo, hi = dpkg.key(bounds[3 * i]), dpkg.key(bounds[3 * i + 2])
        hits += lo <= k < hi
        hits += dpkg.key(bounds[3 * i + 1]) <= k
    elapsed = time.perf_counter() - start
    assert hits >= 0
    assert elapsed < 2.0, (
        f"keying 40,000 dpkg versions took {elapsed:.2f} s (budget: well under 1 s unloaded)"
    )
