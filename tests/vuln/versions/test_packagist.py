"""Packagist versions: Composer's normaliser and comparator (composer/semver), and PHP's version_compare."""

from __future__ import annotations

import random

import pytest

from stockade.vuln.versions import VersionError, get_scheme, scheme_for
from stockade.vuln.versions.packagist import compare_key, normalize
from tests.vuln.versions import oracles
from tests.vuln.versions.helpers import (
    check_against_oracle,
    check_total_order,
    check_vectors,
    generate,
    load_vectors,
    sample_pairs,
    sign,
)

PACKAGIST = get_scheme("packagist")

# composer/semver tests/VersionParserTest.php successfulNormalizedVersions (the non-branch ones)
NORMALIZED = [
    ("1.0.0", "1.0.0.0"),
    ("1.2.3.4", "1.2.3.4"),
    ("1.0.0RC1dev", "1.0.0.0-RC1-dev"),
    ("1.0.0-rC15-dev", "1.0.0.0-RC15-dev"),
    ("1.0.0.RC.15-dev", "1.0.0.0-RC15-dev"),
    ("1.0.0-rc1", "1.0.0.0-RC1"),
    ("1.0.0.pl3-dev", "1.0.0.0-patch3-dev"),
    ("1.0-dev", "1.0.0.0-dev"),
    ("0", "0.0.0.0"),
    ("10.4.13-beta", "10.4.13.0-beta"),
    ("10.4.13beta2", "10.4.13.0-beta2"),
    ("10.4.13beta.2", "10.4.13.0-beta2"),
    ("v1.13.11-beta.0", "1.13.11.0-beta0"),
    ("1.13.11.0-beta0", "1.13.11.0-beta0"),
    ("10.4.13-b", "10.4.13.0-beta"),
    ("10.4.13-b5", "10.4.13.0-beta5"),
    ("v1.0.0", "1.0.0.0"),
    ("2010.01", "2010.01.0.0"),
    ("2010.01.02", "2010.01.02.0"),
    ("2010.1.555", "2010.1.555.0"),
    ("2010.10.200", "2010.10.200.0"),
    ("v20100102", "20100102"),
    ("2010-01-02", "2010.01.02"),
    ("2010-01-02.5", "2010.01.02.5"),
    ("20100102-203040", "20100102.203040"),
    ("20100102203040-10", "20100102203040.10"),
    ("20100102-203040-p1", "20100102.203040-patch1"),
    ("201903.0", "201903.0"),
    ("201903.0-p2", "201903.0-patch2"),
    ("1.x-dev", "1.9999999.9999999.9999999-dev"),
    ("1.0.0+foo@dev", "1.0.0.0"),
    ("1.0.0-beta.5+foo", "1.0.0.0-beta5"),
    ("1.0.0+foo", "1.0.0.0"),
    ("1.0.0-alpha.3.1+foo", "1.0.0.0-alpha3.1"),
    ("1.0.0-alpha2.1+foo", "1.0.0.0-alpha2.1"),
    ("1.0.0-alpha-2.1-3+foo", "1.0.0.0-alpha2.1-3"),
    ("1.0.0+foo as 2.0", "1.0.0.0"),
    ("00.01.03.04", "00.01.03.04"),
    ("000.001.003.004", "000.001.003.004"),
    ("0.000.103.204", "0.000.103.204"),
    ("0700", "0700.0.0.0"),
    ("041.x-dev", "041.9999999.9999999.9999999-dev"),
    (" 1.0.0", "1.0.0.0"),
    ("1.0.0 ", "1.0.0.0"),
]


@pytest.mark.parametrize(("raw", "normal"), NORMALIZED)
def test_normalize(raw: str, normal: str) -> None:
    assert normalize(raw) == normal


@pytest.mark.parametrize(
    "branch", ["dev-master", "master", "dev-feature/foo", "DEV-FOOBAR", "dev-master as 1.0.0"]
)
def test_branches_have_no_order(branch: str) -> None:
    with pytest.raises(VersionError, match="branch"):
        PACKAGIST.key(branch)


def test_vectors() -> None:
    check_vectors(PACKAGIST, load_vectors("packagist.txt"))
    assert scheme_for("Packagist") is PACKAGIST


def test_composer_differs_from_raw_version_compare() -> None:
    """version_compare("1.0", "1.0.0") is -1 in PHP; Composer normalises both to 1.0.0.0."""
    assert oracles.php_version_compare([("1.0", "1.0.0")]) == [-1]
    assert PACKAGIST.compare("1.0", "1.0.0") == 0


_MODS = [
    "",
    "",
    "",
    "-dev",
    "-alpha",
    "-alpha1",
    "alpha2",
    "-a3",
    "-beta",
    "-b1",
    "beta.2",
    "-RC1",
    "RC2",
    "-rc.3",
    "-p1",
    "-pl2",
    "-patch1",
    ".patch3",
    "-stable",
    "-beta1-dev",
    "-RC1-dev",
    ".pl3-dev",
    "-STABLE",
    "-foo",
    "+build.1",
    "@dev",
    "-Beta1",
]


def _gen(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.08:
        return (
            rng.choice(["2010", "2023", "20100102"])
            + rng.choice(["", "-01", ".01.02", "-01-02", "-203040"])
            + (rng.choice(_MODS))
        )
    if r < 0.13:
        return rng.choice(["1", "v1", "2.1", "1.2.3", "041"]) + rng.choice([".x", ".*", ".X", ""]) + "-dev"
    v = rng.choice(["", "", "v"]) + ".".join(
        str(rng.choice([0, 1, 2, 9, 10, 99])) for _ in range(rng.randint(1, 5))
    )
    return v + rng.choice(_MODS)


def test_against_composer() -> None:
    rng = random.Random(37)
    raw = generate(rng, 1200, _gen) + [r for r, _ in NORMALIZED] + load_vectors("packagist.txt").versions
    raw = sorted(set(raw))
    pairs = sample_pairs(raw, rng, 15000)
    expected, norms = oracles.composer(pairs)
    # the normaliser: same normal form, or both reject (we also reject branch names, Composer keeps them)
    bad = []
    for v in raw:
        ours: str | None
        try:
            ours = normalize(v)
        except VersionError:
            ours = None
        theirs = norms.get(v)
        if theirs is not None and theirs.startswith("dev-"):
            theirs = None
        if ours != theirs:
            bad.append(f"{v!r}: composer {theirs!r}, we {ours!r}")
    assert not bad, "\n".join(bad[:30])
    comparable = [(a, b) for a, b in pairs if PACKAGIST.is_valid(a) and PACKAGIST.is_valid(b)]
    want = [
        e
        for (a, b), e in zip(pairs, expected, strict=True)
        if PACKAGIST.is_valid(a) and PACKAGIST.is_valid(b)
    ]
    assert check_against_oracle(PACKAGIST, comparable, want, "composer Comparator") > 8000
    check_total_order(PACKAGIST, [v for v in raw if PACKAGIST.is_valid(v)][:500])


def test_compare_key_is_php_version_compare() -> None:
    """On strings already in normal form, the key order is PHP's version_compare exactly."""
    rng = random.Random(41)
    words = ["dev", "alpha", "a", "beta", "b", "RC", "rc", "pl", "p", "patch", "stable", "foo"]
    normal = generate(
        rng,
        800,
        lambda r: (
            ".".join(str(r.choice([0, 1, 2, 10])) for _ in range(r.randint(1, 4)))
            + "".join(
                r.choice(["", "-", "."]) + r.choice(words) + r.choice(["", "1", "2", ".3"])
                for _ in range(r.randint(0, 2))
            )
        ),
    )
    pairs = sample_pairs(sorted(normal), rng, 10000)
    expected = oracles.php_version_compare(pairs)
    bad = []
    for (a, b), want in zip(pairs, expected, strict=True):
        ka, kb = compare_key(a), compare_key(b)
        if sign((ka > kb) - (ka < kb)) != want:
            bad.append(f"{a} vs {b}: php {want}")
    assert not bad, "\n".join(bad[:30])
