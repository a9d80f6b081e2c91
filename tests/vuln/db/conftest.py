"""Fixtures for the advisory database tests.

The store tests use records built in the tests (tests/vuln/db/helpers.py) and the real name
normalisation (:mod:`stockade.vuln.feeds.names`).  Tests that need the real feed readers
(:mod:`stockade.vuln.feeds.detect`, written in parallel) skip with that reason while it cannot be
imported.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

try:
    importlib.import_module("stockade.vuln.feeds.detect")
    HAVE_READERS = True
except ImportError:
    HAVE_READERS = False

needs_readers = pytest.mark.skipif(
    not HAVE_READERS, reason="stockade.vuln.feeds.detect (the feed readers) cannot be imported"
)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "advisories.db"
