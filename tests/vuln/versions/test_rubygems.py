"""RubyGems versions: rubygems' own test vectors and Ruby's Gem::Version itself."""

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

GEM = get_scheme("rubygems")


def test_vectors() -> None:
    vec = load_vectors("rubygems.txt")
    assert len(vec.pairs) >= 50
    check_vectors(GEM, vec)


def test_whitespace_and_empty() -> None:
    assert GEM.compare(" 1.0 ", "1.0") == 0
    with pytest.raises(VersionError, match="empty"):
        GEM.key("  ")
    assert scheme_for("RubyGems") is GEM


_PARTS = ["0", "1", "2", "10", "01", "a", "b", "pre", "rc", "alpha", "beta", "A", "x", "z"]


def _gen(rng: random.Random) -> str:
    v = str(rng.choice([0, 1, 2, 10]))
    for _ in range(rng.randint(0, 5)):
        v += "." + rng.choice(_PARTS) + rng.choice(["", "", rng.choice(_PARTS)])
    if rng.random() < 0.15:
        v += "-" + rng.choice(_PARTS) + rng.choice(["", ".1", ".a", "-1"])
    return v


@pytest.fixture(scope="module")
def generated() -> list[str]:
    return [v for v in generate(random.Random(23), 1500, _gen) if GEM.is_valid(v)]


def test_against_ruby(generated: list[str]) -> None:
    rng = random.Random(29)
    versions = sorted(set(generated) | set(load_vectors("rubygems.txt").versions), key=GEM.key)
    pairs = sample_pairs(versions, rng, 20000)
    assert check_against_oracle(GEM, pairs, oracles.ruby(pairs), "Gem::Version#<=>") >= 20000


def test_validity_against_ruby() -> None:
    rng = random.Random(31)
    alphabet = ["0", "1", "9", ".", ".", "-", "a", "Z", "_", "+", " ", "..", "-.", "é", "\n"]
    strings = generate(rng, 800, lambda r: "".join(r.choice(alphabet) for _ in range(r.randint(1, 6))))
    strings = [s for s in strings if s.strip()]  # Ruby reads blank as "0"; this scheme rejects it
    ruby = oracles.ruby_valid(strings)
    bad = [s for s, ok in zip(strings, ruby, strict=True) if GEM.is_valid(s) != ok]
    assert not bad, bad[:20]


def test_total_order(generated: list[str]) -> None:
    check_total_order(GEM, generated[:500])
