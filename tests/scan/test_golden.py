"""Golden results: the JSON, CycloneDX and SPDX documents for examples/ are stable, byte for byte, once the
scan id, clock and checkout location are fixed.  `pytest --update-golden` rewrites them after an
intended change; the diff is then reviewed like code."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from stockade.model.result import ScanResult
from stockade.model.target import TargetKind
from stockade.report import registry
from stockade.scan.scanner import ScanOptions, scan_filesystem
from stockade.target.rootfs import open_rootfs

REPO = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden"
WHEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def scan_example(name: str) -> ScanResult:
    target, fs = open_rootfs(str(REPO / "examples" / name), TargetKind.ROOTFS)
    options = ScanOptions(clock=lambda: WHEN, scan_id=lambda: "0" * 32, jobs=1)
    return scan_filesystem(target, fs, options)


def normalise(text: str) -> str:
    """The checkout's location and the measured duration are the only things allowed to differ."""
    text = text.replace(str(REPO), "/REPO")
    doc = json.loads(text)
    if "target" in doc and "metadata" in doc["target"]:
        doc["target"]["metadata"].pop("catalog_seconds", None)
    return json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


@pytest.mark.parametrize("example", ["app-rootfs", "alpine-rootfs"])
@pytest.mark.parametrize("fmt", ["json", "cyclonedx", "spdx"])
def test_golden(example: str, fmt: str, update_golden: bool) -> None:
    text = normalise(registry.load(fmt).render(scan_example(example)))
    path = GOLDEN / f"{example}-{fmt}.json"
    if update_golden or not path.exists():
        if not update_golden:
            pytest.fail(f"{path.name} is missing: run pytest --update-golden and review it")
        path.write_text(text)
    assert text == path.read_text(), f"{path.name} changed: review, then pytest --update-golden"
