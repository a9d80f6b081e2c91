"""What the reader tests share."""

from __future__ import annotations

import pytest

from stockade.target import yamlfast


@pytest.fixture(params=["C", "Python"])
def implementation(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The test with the C module (``_yamlc``) and with the same walks in Python (``yamlfast.NATIVE``)."""
    if request.param == "C" and yamlfast._yamlc is None:
        pytest.skip("the C module stockade.target._yamlc was not built (no C compiler at install time)")
    monkeypatch.setattr(yamlfast, "NATIVE", request.param == "C")
    return str(request.param)
