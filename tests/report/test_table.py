"""The table: a readable summary, with long coverage lists cut and said to be cut."""

from __future__ import annotations

from dataclasses import replace

from stockade.model.status import Status, StatusKind
from stockade.report.table import TableFormatter
from tests.report.conftest import constructed_result


def test_long_coverage_lists_are_cut_and_say_so() -> None:
    base = constructed_result()
    many = tuple(Status("catalog/lang/x", StatusKind.ERROR, f"broken {i}", f"/f{i:02d}") for i in range(20))
    overall = Status("catalog/lang/x", StatusKind.PARTIAL, "3 packages, 20 problems")
    result = replace(base, statuses=(overall, *many))
    text = TableFormatter(width=200).render(result)
    assert "3 packages, 20 problems" in text  # the plug-in's own line is always there
    assert "/f14" in text and "/f15" not in text
    assert "and 5 more files" in text
    everything = TableFormatter(width=200, packages=True).render(result)
    assert "/f19" in everything and "more files" not in everything
