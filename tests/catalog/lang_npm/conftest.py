"""The catalog context every npm test reads its testdata through."""

from __future__ import annotations

from pathlib import Path

import pytest

from stockade.catalog.interface import CatalogContext
from stockade.target.fs import TargetFS

TESTDATA = Path(__file__).parent / "testdata"


@pytest.fixture
def ctx() -> CatalogContext:
    return CatalogContext(fs=TargetFS(str(TESTDATA)), os=None, plugin="catalog/lang/npm")
