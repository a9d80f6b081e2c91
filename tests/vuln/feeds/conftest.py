"""The real advisory snapshots in ``shared/data`` (see its README for sources and counts)."""

from __future__ import annotations

from pathlib import Path

import pytest

from stockade.model.status import Status
from tests.conftest import SHARED

DATA = SHARED / "data"


@pytest.fixture(scope="session")
def data() -> Path:
    """``shared/data``; the test is skipped when the snapshots are not beside the repository."""
    if not (DATA / "README.md").is_file():
        pytest.skip(f"advisory snapshots not found at {DATA}")
    return DATA


def kinds(problems: list[Status]) -> list[str]:
    """The status kinds of ``problems``, for compact assertions."""
    return [p.status.value for p in problems]
