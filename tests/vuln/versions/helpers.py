"""Vector files, random versions and the checks every scheme's tests share."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from stockade.vuln.versions import VersionError, VersionScheme

TESTDATA = Path(__file__).parent / "testdata"
_OPS = {"<": -1, "=": 0, "==": 0, ">": 1}


@dataclass
class Vectors:
    """A vector file: ``a OP b`` lines (OP ``<``, ``=``, ``>``), ``v`` (valid), ``!v`` (invalid), ``#``."""

    pairs: list[tuple[str, int, str, int]] = field(default_factory=list)  # a, expected, b, line number
    valid: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)

    @property
    def versions(self) -> list[str]:
        return sorted({v for a, _, b, _ in self.pairs for v in (a, b)} | set(self.valid))


def load_vectors(name: str) -> Vectors:
    vec = Vectors()
    for no, raw in enumerate((TESTDATA / name).read_text().splitlines(), 1):
        line = raw.split(" #", 1)[0].split("\t#", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("!"):
            vec.invalid.append(line[1:])
            continue
        parts = line.split()
        if len(parts) == 1:
            vec.valid.append(parts[0])
        elif len(parts) == 3 and parts[1] in _OPS:
            vec.pairs.append((parts[0], _OPS[parts[1]], parts[2], no))
        else:
            raise AssertionError(f"{name}:{no}: cannot read {raw!r}")
    return vec


def sign(x: int) -> int:
    return (x > 0) - (x < 0)


def check_vectors(scheme: VersionScheme, vec: Vectors, *, key_exact: bool = True) -> None:
    """Every pair compares as expected both ways (and by key); valid ones parse; invalid ones raise."""
    bad: list[str] = []
    for a, want, b, no in vec.pairs:
        got = scheme.compare(a, b)
        back = scheme.compare(b, a)
        if got != want or back != -want:
            bad.append(f"line {no}: {a} vs {b}: want {want}, got {got} (reverse {back})")
        if key_exact:
            ka, kb = scheme.key(a), scheme.key(b)
            if sign((ka > kb) - (ka < kb)) != want:
                bad.append(f"line {no}: key order of {a} vs {b} is not {want}")
    for v in vec.valid:
        if not scheme.is_valid(v):
            bad.append(f"{v!r} should be valid")
    for v in vec.invalid:
        try:
            scheme.key(v)
        except VersionError as exc:
            if repr(v) not in str(exc) or scheme.NAME not in str(exc):
                bad.append(f"{v!r}: message does not name the version and scheme: {exc}")
        else:
            bad.append(f"{v!r} should be invalid")
    assert not bad, "\n".join(bad)
    assert len(vec.pairs) + len(vec.valid) + len(vec.invalid) > 0


def check_total_order(scheme: VersionScheme, versions: Iterable[str]) -> None:
    """``compare`` is antisymmetric, agrees with ``key`` on every pair, and sorting by key leaves no
    pair out of order (so it is transitive on this sample)."""
    ordered = sorted(set(versions), key=scheme.key)
    bad: list[str] = []
    for a, b in itertools.combinations(ordered, 2):
        ab, ba = scheme.compare(a, b), scheme.compare(b, a)
        if ab != -ba:
            bad.append(f"not antisymmetric: {a} vs {b}: {ab}, {ba}")
        if ab > 0:
            bad.append(f"sorted by key, yet {a} > {b}")
        if (ab == 0) != (scheme.key(a) == scheme.key(b)):
            bad.append(f"equality of {a} and {b}: compare {ab}, keys differ or not")
    assert not bad, "\n".join(bad[:50])


def check_against_oracle(
    scheme: VersionScheme, pairs: Sequence[tuple[str, str]], expected: Sequence[int | None], tool: str
) -> int:
    """Our compare equals the tool's on every pair the tool could compare; returns how many."""
    assert len(pairs) == len(expected)
    bad = []
    n = 0
    for (a, b), want in zip(pairs, expected, strict=True):
        if want is None:
            continue
        n += 1
        got = scheme.compare(a, b)
        if got != sign(want):
            bad.append(f"{a} vs {b}: {tool} says {sign(want)}, we say {got}")
    assert not bad, f"{len(bad)} of {n} differ from {tool}:\n" + "\n".join(bad[:40])
    return n


def sample_pairs(versions: Sequence[str], rng: random.Random, n: int) -> list[tuple[str, str]]:
    """Neighbours after sorting (the close calls) plus random pairs."""
    vs = list(versions)
    pairs = [(vs[i], vs[i + 1]) for i in range(len(vs) - 1)]
    pairs += [(rng.choice(vs), rng.choice(vs)) for _ in range(max(0, n - len(pairs)))]
    return pairs


def generate(rng: random.Random, n: int, make: Callable[[random.Random], str]) -> list[str]:
    seen: dict[str, None] = {}
    tries = 0
    while len(seen) < n and tries < n * 20:
        seen[make(rng)] = None
        tries += 1
    return list(seen)


def skip_unless(cond: object, reason: str) -> None:
    if not cond:
        pytest.skip(reason)
