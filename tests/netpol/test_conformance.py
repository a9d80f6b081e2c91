"""100 % agreement with the upstream Kubernetes NetworkPolicy e2e truth tables (48 cases, 65 tables)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.netpol.conformance import CASES_FILE, load_cases, run_case

if not CASES_FILE.exists():  # pragma: no cover - the fixtures live beside the repository
    pytest.skip(f"conformance fixtures not found at {CASES_FILE}", allow_module_level=True)

DATA = load_cases()
CASES: list[dict[str, Any]] = DATA["cases"]


def test_fixture_counts() -> None:
    """The fixture is the one the issue names: 48 cases, 65 truth tables."""
    assert len(CASES) == 48
    assert sum(len(step.get("probes") or []) for c in CASES for step in c["steps"]) == 65


@pytest.mark.parametrize("case", CASES, ids=[f"{i:02d}-{c['name'][:60]}" for i, c in enumerate(CASES)])
@pytest.mark.parametrize("bulk", [False, True], ids=["decide", "matrix"])
def test_e2e_case(case: dict[str, Any], bulk: bool) -> None:
    """Pair-by-pair decisions and the bulk matrix (equivalence classes) both reproduce every table."""
    results = run_case(DATA["model"], case, matrix=bulk)
    assert results, "a case without probes"
    for step, probe, expected, got, cluster in results:
        assert not cluster.errors, cluster.errors
        assert got == expected, (
            f"step {step} probe {probe}:\nexpected\n" + "\n".join(expected) + "\ngot\n" + "\n".join(got)
        )
