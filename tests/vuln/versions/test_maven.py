"""Maven versions: ComparableVersionTest vectors and the installed maven-artifact jar as the oracle."""

from __future__ import annotations

import random

import pytest

from stockade.vuln.versions import VersionError, get_scheme, scheme_for
from stockade.vuln.versions.maven import canonical, maven_compare
from tests.vuln.versions import oracles
from tests.vuln.versions.helpers import (
    check_against_oracle,
    check_total_order,
    check_vectors,
    generate,
    load_vectors,
    sample_pairs,
)

MAVEN = get_scheme("maven")

_QUALIFIERS = [
    "",
    "",
    "",
    "-SNAPSHOT",
    "-alpha-1",
    "-alpha1",
    "-beta-2",
    "-M1",
    "-m2",
    "-RC1",
    "-rc-2",
    "-cr1",
    ".RELEASE",
    ".Final",
    ".GA",
    "-sp1",
    "-1",
    "-2",
    "-jre",
    "-android",
    ".v20210101",
    "-20210101.123456-1",
    ".RC2",
    ".M3",
    ".CR1",
    "-b1",
    "-a2",
    "-incubating",
    "-redhat-00001",
    ".Final-redhat-1",
    "-beta-2-SNAPSHOT",
    "-ga",
    "-final",
]
_WILD = [
    "0",
    "1",
    "2",
    "9",
    "10",
    "01",
    ".",
    "-",
    "-",
    "a",
    "b",
    "m",
    "x",
    "sp",
    "rc",
    "cr",
    "ga",
    "final",
    "release",
    "alpha",
    "beta",
    "snapshot",
    "SNAPSHOT",
    "RC",
    "Final",
    "_",
    "milestone",
]


def _realistic(rng: random.Random) -> str:
    return ".".join(str(rng.choice([0, 1, 2, 3, 10, 12])) for _ in range(rng.randint(1, 4))) + rng.choice(
        _QUALIFIERS
    )


def _wild(rng: random.Random) -> str:
    return rng.choice(["1", "2", "0", ""]) + "".join(rng.choice(_WILD) for _ in range(rng.randint(0, 6)))


def test_upstream_vectors() -> None:
    vec = load_vectors("maven.txt")
    assert len(vec.pairs) > 600
    check_vectors(MAVEN, vec)


def test_vectors_against_jar() -> None:
    vec = load_vectors("maven.txt")
    pairs = [(a, b) for a, _, b, _ in vec.pairs]
    assert oracles.maven(pairs) == [want for _, want, _, _ in vec.pairs]


@pytest.mark.parametrize(
    ("version", "canon"),
    [
        ("1.0-alpha1", "1-alpha-1"),
        ("1.0.0.RC1", "1-rc-1"),
        ("1.0-SNAPSHOT", "1-snapshot"),
        ("1.ga.1", "1..1"),
        ("2.0.M1", "2-milestone-1"),
        ("1-0.alpha", "1-alpha"),
        ("1.2.RELEASE", "1.2"),
    ],
)
def test_canonical(version: str, canon: str) -> None:
    assert canonical(version) == canon


def test_not_a_total_order() -> None:
    """Maven itself is cyclic here; compare reproduces it, key picks one consistent order."""
    assert maven_compare("1", "1.sp.1") == -1
    assert maven_compare("1.sp.1", "1-alpha") == -1
    assert maven_compare("1-alpha", "1") == -1
    ks = sorted(["1", "1.sp.1", "1-alpha"], key=MAVEN.key)
    assert ks == ["1-alpha", "1", "1.sp.1"]


def test_invalid() -> None:
    with pytest.raises(VersionError, match="invalid maven version ''"):
        MAVEN.key("")
    assert scheme_for("Maven") is MAVEN


def test_against_jar_realistic() -> None:
    """Typical Maven versions: compare equals the jar and the key order agrees with both."""
    rng = random.Random(1)
    versions = sorted(generate(rng, 1500, _realistic), key=MAVEN.key)
    pairs = sample_pairs(versions, rng, 15000)
    expected = oracles.maven(pairs)
    assert check_against_oracle(MAVEN, pairs, expected, "ComparableVersion") == len(pairs)
    bad = [
        (a, b)
        for (a, b), want in zip(pairs, expected, strict=True)
        if MAVEN.key(a) != MAVEN.key(b) and (MAVEN.key(a) < MAVEN.key(b)) != (want < 0)
    ]
    assert not bad, bad[:20]
    check_total_order(MAVEN, versions[:500])


def test_against_jar_wild() -> None:
    """Arbitrary mixes of separators and qualifiers: compare still equals the jar; where the key order
    disagrees, Maven is intransitive there (some c has a <= c <= b although a > b)."""
    rng = random.Random(2)
    versions = sorted((v for v in generate(rng, 1500, _wild) if v), key=MAVEN.key)
    pairs = sample_pairs(versions, rng, 15000)
    expected = oracles.maven(pairs)
    assert check_against_oracle(MAVEN, pairs, expected, "ComparableVersion") == len(pairs)
    witnesses = [*versions, "0", "1", "1-alpha", "1-sp", "1.sp.1"]
    disagreements = 0
    for a, b in pairs:
        r = maven_compare(a, b)
        ka, kb = MAVEN.key(a), MAVEN.key(b)
        if r == (ka > kb) - (ka < kb):
            continue
        disagreements += 1
        hi, lo = (a, b) if r > 0 else (b, a)
        assert any(maven_compare(hi, c) <= 0 <= maven_compare(lo, c) for c in witnesses), (a, b)
    assert disagreements < len(pairs) * 0.05
