"""PEP 440 (packaging's order is the oracle) and NuGet (NuGet.Versioning's own test vectors)."""

from __future__ import annotations

import random

import pytest
from packaging.version import Version

from stockade.vuln.versions import VersionError, get_scheme, scheme_for
from tests.vuln.versions.helpers import check_total_order, check_vectors, generate, load_vectors, sample_pairs

PEP440 = get_scheme("pep440")
NUGET = get_scheme("nuget")


def test_pep440_vectors() -> None:
    vec = load_vectors("pep440.txt")
    assert len(vec.pairs) > 1400
    check_vectors(PEP440, vec)
    assert scheme_for("PyPI") is PEP440


def test_pep440_message() -> None:
    with pytest.raises(VersionError, match="invalid pep440 version '2004d': not a PEP 440 version"):
        PEP440.key("2004d")


_SEGMENTS = [
    "",
    "a1",
    "a2",
    "b1",
    "rc1",
    "c2",
    ".post1",
    ".post2",
    "-1",
    ".dev0",
    ".dev1",
    "a1.dev1",
    "rc1.post1.dev2",
    "+local",
    "+local.1",
    "+1",
    "+1.a",
    "+a.1",
    "+2",
]


def _gen(rng: random.Random) -> str:
    v = rng.choice(["", "", "", "1!"]) + ".".join(
        str(rng.choice([0, 1, 2, 10])) for _ in range(rng.randint(1, 4))
    )
    for _ in range(rng.randint(0, 2)):
        v += rng.choice(_SEGMENTS)
    return v


def test_pep440_against_packaging() -> None:
    """The plain-tuple key orders exactly like packaging.version.Version's rich comparison."""
    rng = random.Random(59)
    versions = [v for v in generate(rng, 2000, _gen) if PEP440.is_valid(v)]
    assert len(versions) > 1000
    versions.sort(key=PEP440.key)
    pairs = sample_pairs(versions, rng, 20000)
    bad = []
    for a, b in pairs:
        va, vb = Version(a), Version(b)
        want = (va > vb) - (va < vb)
        if PEP440.compare(a, b) != want:
            bad.append(f"{a} vs {b}: packaging {want}")
    assert not bad, bad[:20]
    check_total_order(PEP440, versions[:500])


def test_nuget_vectors() -> None:
    vec = load_vectors("nuget.txt")
    check_vectors(NUGET, vec)
    assert scheme_for("NuGet") is NUGET


def test_nuget_message() -> None:
    with pytest.raises(VersionError, match="leading zero"):
        NUGET.key("1.0.0-01")


def _nuget(rng: random.Random) -> str:
    v = ".".join(str(rng.choice([0, 1, 2, 10])) for _ in range(rng.randint(1, 4)))
    if rng.random() < 0.5:
        v += "-" + ".".join(
            rng.choice(["1", "2", "10", "a", "A", "beta", "Beta", "rc", "-", "a-1"]) for _ in range(2)
        )
    return v + rng.choice(["", "", "+meta"])


def test_nuget_total_order() -> None:
    check_total_order(NUGET, generate(random.Random(61), 500, _nuget) + load_vectors("nuget.txt").versions)
