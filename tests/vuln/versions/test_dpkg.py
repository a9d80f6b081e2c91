"""dpkg versions: dpkg's own test vectors, Policy examples, and dpkg --compare-versions itself."""

from __future__ import annotations

import random

import pytest

from stockade.vuln.versions import VersionError, get_scheme, scheme_for
from tests.vuln.versions import oracles
from tests.vuln.versions.helpers import (
    check_against_oracle,
    check_total_order,
    check_vectors,
    generate,
    load_vectors,
    sample_pairs,
)

DPKG = get_scheme("dpkg")


def test_vectors() -> None:
    vec = load_vectors("dpkg.txt")
    assert len(vec.pairs) >= 90
    check_vectors(DPKG, vec)


def test_messages() -> None:
    with pytest.raises(VersionError, match=r"invalid dpkg version '1\.0-': revision number is empty"):
        DPKG.key("1.0-")
    with pytest.raises(VersionError, match="does not start with digit"):
        DPKG.key("foo")
    with pytest.raises(VersionError, match="epoch in version is not a number"):
        DPKG.key("a:1")


def test_ecosystems() -> None:
    assert scheme_for("Debian:12") is DPKG
    assert scheme_for("Ubuntu:22.04:LTS") is DPKG


_PIECES = ["0", "1", "2", "9", "10", "01", "00", "a", "b", "z", "A", "Z", "~", "~~", "+", ".", "-", ":"]


def _gen(rng: random.Random) -> str:
    upstream = rng.choice(["0", "1", "2", "10", "1.0", "2.30"])
    for _ in range(rng.randint(0, 4)):
        upstream += rng.choice(_PIECES)
    epoch = rng.choice(["", "", "", "0:", "1:", "2:"])
    if ":" in upstream and not epoch:
        epoch = "0:"
    revision = ""
    if rng.random() < 0.6:
        revision = "-" + rng.choice(["0", "1", "2", "1.1", "1ubuntu1", "1+deb12u1", "1~bpo1", "a", "~"])
        revision += "".join(rng.choice(["", "", "1", "~", "+b1", ".2", "a"]) for _ in range(2))
    elif "-" in upstream:
        revision = "-1"
    v = epoch + upstream + revision
    if v.endswith("-"):
        v += "1"
    return v


@pytest.fixture(scope="module")
def generated() -> list[str]:
    versions = generate(random.Random(11), 700, _gen)
    valid = [v for v in versions if DPKG.is_valid(v)]
    assert len(valid) > 600
    return valid


def test_against_dpkg(generated: list[str]) -> None:
    rng = random.Random(3)
    vec = load_vectors("dpkg.txt")
    versions = sorted(set(generated[:300]) | set(vec.versions), key=DPKG.key)
    pairs = sample_pairs(versions, rng, 500)
    assert check_against_oracle(DPKG, pairs, oracles.dpkg(pairs), "dpkg --compare-versions") >= 500


def test_against_apt_pkg(generated: list[str]) -> None:
    """libapt's implementation of the same algorithm, for many more pairs than dpkg can run quickly."""
    rng = random.Random(5)
    versions = sorted(generated, key=DPKG.key)
    pairs = sample_pairs(versions, rng, 20000)
    assert check_against_oracle(DPKG, pairs, oracles.apt_pkg(pairs), "apt_pkg.version_compare") >= 20000


def test_total_order(generated: list[str]) -> None:
    check_total_order(DPKG, generated[:350] + load_vectors("dpkg.txt").versions)
