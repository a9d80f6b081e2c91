"""SemVer 2.0.0 (npm, crates.io, Hex, OSV SEMVER ranges), Go module versions and Pub versions.

Oracles: npm's own node-semver and the golang.org/x/mod/semver source shipped with the Go toolchain.
Pub has no local tool; its vectors come from pub_semver's tests and OSV's pub.py.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from stockade.vuln.versions import VersionError, get_scheme, scheme_for, scheme_for_range
from tests.vuln.versions import oracles
from tests.vuln.versions.helpers import (
    check_against_oracle,
    check_total_order,
    check_vectors,
    generate,
    load_vectors,
    sample_pairs,
)

SEMVER = get_scheme("semver")
GO = get_scheme("go")
PUB = get_scheme("pub")

_IDS = [
    "0",
    "1",
    "2",
    "10",
    "alpha",
    "beta",
    "rc",
    "a",
    "b",
    "A",
    "Z",
    "x-y",
    "-",
    "1a",
    "a1",
    "20191109021931-daa7c04131f5",
]


def _gen(rng: random.Random) -> str:
    v = ".".join(str(rng.choice([0, 1, 2, 10])) for _ in range(3))
    if rng.random() < 0.6:
        v += "-" + ".".join(rng.choice(_IDS) for _ in range(rng.randint(1, 3)))
    if rng.random() < 0.2:
        v += "+" + rng.choice(["build", "1", "incompatible", "sha.5114f85", "001"])
    return v


@pytest.fixture(scope="module")
def generated() -> list[str]:
    return generate(random.Random(43), 1500, _gen)


def test_semver_vectors() -> None:
    vec = load_vectors("semver.txt")
    assert len(vec.pairs) >= 60
    check_vectors(SEMVER, vec)


def test_go_vectors() -> None:
    check_vectors(GO, load_vectors("go.txt"))


def test_pub_vectors() -> None:
    check_vectors(PUB, load_vectors("pub.txt"))


def test_message() -> None:
    with pytest.raises(VersionError, match=r"invalid semver version '1\.2': not MAJOR\.MINOR\.PATCH"):
        SEMVER.key("1.2")
    with pytest.raises(VersionError, match="start with 'v'"):
        GO.key("1.2.3")


def test_registry() -> None:
    assert scheme_for("npm") is SEMVER
    assert scheme_for("crates.io") is SEMVER
    assert scheme_for("Hex") is SEMVER
    assert scheme_for("Go") is GO
    assert scheme_for("Pub") is PUB
    assert scheme_for_range("SEMVER", "Go") is SEMVER
    assert scheme_for_range("SEMVER", "crates.io") is SEMVER
    assert scheme_for_range("ECOSYSTEM", "PyPI") is get_scheme("pep440")
    assert scheme_for_range("GIT", "GIT") is None
    assert scheme_for("GIT") is None
    assert scheme_for("Linux") is None
    assert scheme_for("Nonsense:1") is None


def test_against_node_semver(generated: list[str]) -> None:
    rng = random.Random(47)
    vec = load_vectors("semver.txt")
    versions = sorted(
        set(generated) | set(vec.versions) | set(vec.invalid), key=lambda v: (SEMVER.is_valid(v), v)
    )
    valid = sorted((v for v in versions if SEMVER.is_valid(v)), key=SEMVER.key)
    pairs = sample_pairs(valid, rng, 15000)
    assert check_against_oracle(SEMVER, pairs, oracles.node_semver(pairs), "node-semver") >= 14000
    # validity: node-semver (strict) rejects exactly what we reject, except the "=" prefix we also accept
    # and numbers above 2**53-1, which node-semver refuses and this scheme orders
    probe = [
        (v, v) for v in versions if not v.startswith("=") and not re.search(r"[0-9]{16}", v.split("-")[0])
    ]
    node = oracles.node_semver(probe)
    bad = [v for (v, _), r in zip(probe, node, strict=True) if (r is not None) != SEMVER.is_valid(v)]
    assert not bad, bad


def test_go_against_x_mod_semver(generated: list[str], tmp_path: Path) -> None:
    rng = random.Random(53)
    vec = load_vectors("go.txt")
    gos = ["v" + v for v in generated] + ["v1", "v2", "v1.2", "v1.10", "v0", "v0.0"] + vec.versions
    gos = sorted(set(gos), key=GO.key)
    pairs = sample_pairs(gos, rng, 15000)
    pairs += [(v, v) for v in vec.invalid]  # x/mod must reject what we reject
    expected = oracles.go_semver(pairs, tmp_path)
    for (a, _), want in zip(pairs[-len(vec.invalid) :], expected[-len(vec.invalid) :], strict=True):
        assert want is None, f"x/mod/semver accepts {a!r}"
    assert check_against_oracle(GO, pairs, expected, "x/mod/semver") >= 15000
    # OSV's Go SEMVER ranges carry no "v": the semver scheme orders them the same way
    full = [
        (a, b)
        for a, b in pairs
        if a.count(".") >= 2 and b.count(".") >= 2 and GO.is_valid(a) and GO.is_valid(b)
    ]
    assert all(SEMVER.compare(a[1:], b[1:]) == GO.compare(a, b) for a, b in full)


def test_total_order(generated: list[str]) -> None:
    check_total_order(SEMVER, generated[:500])
    check_total_order(GO, ["v" + v for v in generated[:300]] + ["v1", "v1.2"])
    check_total_order(PUB, generated[:300] + load_vectors("pub.txt").versions)
