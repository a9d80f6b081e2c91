"""Parallel and sequential cataloging give the same inventory and the same coverage statuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stockade.catalog import runner
from stockade.model.result import ScanResult
from stockade.model.target import TargetKind
from stockade.scan.scanner import ScanOptions, scan_filesystem
from stockade.target.rootfs import open_rootfs

TESTS = Path(__file__).resolve().parent


def comparable(result: ScanResult) -> tuple[str, str]:
    doc = result.to_dict()
    return json.dumps(doc["inventory"], sort_keys=True), json.dumps(doc["statuses"], sort_keys=True)


@pytest.mark.parametrize("jobs", [2, 3])
def test_parallel_equals_sequential_on_every_fixture(jobs: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # small batches, so that the tree is spread over many work items and every worker
    monkeypatch.setattr(runner, "BATCH_DIRECTORIES", 3)
    # every cataloger's real fixtures, broken ones included, as one tree
    target, fs = open_rootfs(str(TESTS), TargetKind.DIRECTORY)
    sequential = scan_filesystem(target, fs, ScanOptions(jobs=1))
    parallel = scan_filesystem(target, fs, ScanOptions(jobs=jobs))
    assert len(sequential.inventory.packages) > 50
    assert any(s.is_problem for s in sequential.statuses)  # broken fixtures are there, and reported
    assert comparable(parallel) == comparable(sequential)
    assert parallel.target.metadata["files_walked"] == sequential.target.metadata["files_walked"]
