from __future__ import annotations

from pathlib import Path

import pytest

from stockade.runtime.rules.ruleset import Ruleset, load_ruleset

UPSTREAM = Path(__file__).resolve().parents[4] / "shared" / "rules" / "falco"
STABLE = UPSTREAM / "falco_rules.yaml"
ALL_FILES = [STABLE, UPSTREAM / "falco-incubating_rules.yaml", UPSTREAM / "falco-sandbox_rules.yaml"]
TESTDATA = Path(__file__).parent / "testdata"


def need_upstream() -> None:
    if not STABLE.exists():
        pytest.skip(f"upstream Falco rules not found at {UPSTREAM}")


@pytest.fixture(scope="session")
def stable_rules() -> Ruleset:
    need_upstream()
    return load_ruleset([STABLE])


@pytest.fixture(scope="session")
def all_rules() -> Ruleset:
    need_upstream()
    return load_ruleset(ALL_FILES)
