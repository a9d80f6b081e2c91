"""apk versions: apk-tools' own vector file, token rules, and total order on generated versions.

No apk-tools binary exists for Debian, so the oracle is apk-tools' ``test/unit/version.data``.
"""

from __future__ import annotations

import random

import pytest

from stockade.vuln.versions import VersionError, get_scheme
from tests.vuln.versions.helpers import check_total_order, check_vectors, generate, load_vectors

APK = get_scheme("apk")


def test_upstream_vectors() -> None:
    vec = load_vectors("apk.txt")
    assert len(vec.pairs) > 600
    check_vectors(APK, vec)


@pytest.mark.parametrize(
    ("older", "newer"),
    [
        ("1.0_alpha", "1.0_beta"),
        ("1.0_beta", "1.0_pre"),
        ("1.0_pre", "1.0_rc"),
        ("1.0_rc", "1.0"),
        ("1.0", "1.0_cvs"),
        ("1.0_cvs", "1.0_svn"),
        ("1.0_svn", "1.0_git"),
        ("1.0_git", "1.0_hg"),
        ("1.0_hg", "1.0_p"),
        ("1.0_p", "1.0_p1"),
        ("1.0_rc9", "1.0"),
        ("1.0", "1.0-r1"),
        ("1.0-r1", "1.0a"),
        ("1.0a", "1.0b"),
        ("1.0z", "1.0.1"),
        ("1.0-r9", "1.0-r10"),
        ("1.0", "1.0~abc"),
        ("1.0~abc", "1.0~abc-r1"),
        ("1.0-r5", "1.0~abc"),  # the later token kind is older: -r < ~hash
        ("1.0~abc", "1.0~abd"),
        ("1.01", "1.1"),  # leading zero: string comparison
        ("1.001", "1.01"),
        ("1.0", "1.00"),
        ("1.9", "1.10"),
        ("9", "10"),
        ("09", "10"),  # the first number is always numeric
        ("1.2_alpha_pre2", "1.2_alpha"),
        ("1.2_alpha", "1.2_alpha_p1"),
        ("1.2_pre1", "1.2_pre1-r1"),
        ("1_alpha", "1"),
        ("0.1.0_alpha_pre2", "0.1.0_alpha"),
        ("1.0_p1", "1.0_p1-r1"),
        ("1.0_p1-r1", "1.0_p2"),
        ("20230101", "20230101.1"),
    ],
)
def test_order(older: str, newer: str) -> None:
    assert APK.compare(older, newer) == -1
    assert APK.compare(newer, older) == 1
    assert APK.key(older) < APK.key(newer)


@pytest.mark.parametrize(
    "version",
    ["", "1.0-R1", "1.0A", "1.0-1", "v1.0", "1.0 ", " 1.0", "1.0_RC1", "1.0~ABC", "1.0.", "1..0", "1.0-r1a"],
)
def test_invalid(version: str) -> None:
    with pytest.raises(VersionError, match="invalid apk version"):
        APK.key(version)
    assert not APK.is_valid(version)


def test_equal_spellings() -> None:
    assert APK.compare("1.0-r0", "1.0-r00") == 0
    assert APK.compare("007", "7") == 0
    assert APK.compare("1.0_p", "1.0_p0") != 0  # a missing suffix number is not 0: end < number
    assert APK.compare("1.0_p", "1.0_p0") == -1


def test_uint64_wraps_like_apk() -> None:
    # apk_blob_pull_uint accumulates in a uint64_t
    assert APK.compare(str(2**64 + 5), "5") == 0


def _gen(rng: random.Random) -> str:
    v = str(rng.choice([0, 1, 1, 2, 10, 2023]))
    for _ in range(rng.randint(0, 3)):
        v += "." + rng.choice(["0", "1", "2", "9", "10", "01", "00", "001"])
    if rng.random() < 0.2:
        v += rng.choice("abz")
    for _ in range(rng.choice([0, 0, 1, 2])):
        v += "_" + rng.choice(["alpha", "beta", "pre", "rc", "cvs", "svn", "git", "hg", "p"])
        if rng.random() < 0.5:
            v += str(rng.choice([0, 1, 2, 10, 20240101]))
    if rng.random() < 0.1:
        v += "~" + rng.choice(["abc", "0f", "1234", "ffff"])
    if rng.random() < 0.6:
        v += f"-r{rng.choice([0, 1, 2, 10])}"
    return v


def test_total_order_generated() -> None:
    versions = generate(random.Random(7), 400, _gen)
    assert all(APK.is_valid(v) for v in versions)
    check_total_order(APK, versions + load_vectors("apk.txt").versions)
