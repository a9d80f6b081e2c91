"""rpm versions: rpm's own rpmvercmp.at vectors, EVR vectors, and python3-rpm's labelCompare."""

from __future__ import annotations

import random

import pytest

from stockade.vuln.versions import get_scheme, scheme_for
from stockade.vuln.versions.rpm import rpmvercmp, split_evr
from tests.vuln.versions import oracles
from tests.vuln.versions.helpers import (
    check_against_oracle,
    check_total_order,
    check_vectors,
    generate,
    load_vectors,
    sample_pairs,
)

RPM = get_scheme("rpm")


def test_rpmvercmp_vectors() -> None:
    """The bare-string vectors also hold as whole versions (none has '-' or ':')."""
    vec = load_vectors("rpmvercmp.txt")
    assert len(vec.pairs) >= 100
    bad = [f"line {no}: {a} vs {b}" for a, want, b, no in vec.pairs if rpmvercmp(a, b) != want]
    assert not bad, bad
    check_vectors(RPM, vec)


def test_evr_vectors() -> None:
    check_vectors(RPM, load_vectors("rpm.txt"))


@pytest.mark.parametrize(
    ("evr", "split"),
    [
        ("1.0", (0, "1.0", "")),
        ("1:1.0-2", (1, "1.0", "2")),
        (":1.0-2", (0, "1.0", "2")),
        ("1.0-2-3", (0, "1.0-2", "3")),
        ("a:1.0-2", (0, "a:1.0", "2")),
        ("007:1-1", (7, "1", "1")),
    ],
)
def test_split(evr: str, split: tuple[int, str, str]) -> None:
    assert split_evr(evr) == split


def test_ecosystems() -> None:
    for eco in (
        "Red Hat:enterprise_linux:9::appstream",
        "AlmaLinux:9",
        "Rocky Linux:9",
        "SUSE:Linux Enterprise",
    ):
        assert scheme_for(eco) is RPM
    assert scheme_for("openSUSE:Leap 15.5") is RPM
    assert scheme_for("Mageia:9") is RPM
    assert scheme_for("openEuler:22.03-LTS") is RPM
    assert scheme_for("Photon OS:5.0") is RPM


_SEG = ["0", "1", "2", "10", "01", "a", "b", "rc", "git", "el9", "fc38", "~", "^", ".", ".", "_", "+"]


def _ver(rng: random.Random) -> str:
    v = rng.choice(["0", "1", "2", "10", "1.0", "2.34", "a"])
    for _ in range(rng.randint(0, 4)):
        v += rng.choice(_SEG)
    return v


def _gen(rng: random.Random) -> str:
    epoch = rng.choice(["", "", "", "0:", "1:", "2:", ":"])
    release = "" if rng.random() < 0.2 else "-" + _ver(rng)
    return epoch + _ver(rng) + release


@pytest.fixture(scope="module")
def generated() -> list[str]:
    return generate(random.Random(13), 800, _gen)


def test_against_labelcompare(generated: list[str]) -> None:
    rng = random.Random(17)
    vec = load_vectors("rpm.txt")
    versions = sorted(set(generated) | set(vec.versions), key=RPM.key)
    pairs = sample_pairs(versions, rng, 20000)
    results, splits = oracles.rpm(pairs)
    assert check_against_oracle(RPM, pairs, results, "rpm.labelCompare") >= 20000
    for (a, _), (e, v, r) in zip(pairs, splits, strict=True):
        assert split_evr(a) == (int(e or 0), v, r or ""), a


def test_rpmvercmp_against_rpm() -> None:
    """Bare strings with every separator and token kind rpm knows, against rpm's own rpmvercmp."""
    rng = random.Random(19)
    alphabet = ["0", "1", "9", "00", "10", "a", "z", "A", "Z", "~", "^", ".", "-", "_", "+", "é", "", "ab"]
    strings = generate(rng, 600, lambda r: "".join(r.choice(alphabet) for _ in range(r.randint(1, 6))))
    strings = [s for s in strings if s]  # labelCompare refuses an empty version
    pairs = sample_pairs(sorted(strings), rng, 10000)
    expected = oracles.rpmvercmp(pairs)
    bad = [
        f"{a!r} vs {b!r}: rpm {want}, us {rpmvercmp(a, b)}"
        for (a, b), want in zip(pairs, expected, strict=True)
        if rpmvercmp(a, b) != want
    ]
    assert not bad, "\n".join(bad[:30])


def test_total_order(generated: list[str]) -> None:
    check_total_order(RPM, generated[:400] + load_vectors("rpm.txt").versions)
