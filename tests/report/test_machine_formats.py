"""What the three machine formats share: registry names, determinism, license checks, speed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from stockade.model.result import ScanResult
from stockade.report import registry
from stockade.report._common import spdx_expression, timestamp
from stockade.report.interface import Formatter
from tests.report.conftest import build_rootfs, scan_rootfs

MACHINE = ("cyclonedx", "spdx", "sarif")


@pytest.mark.parametrize("name", MACHINE)
def test_registry_loads_it(name: str) -> None:
    formatter = registry.load(name)
    assert isinstance(formatter, Formatter)
    assert name == formatter.FORMAT
    assert f"report/{name}" == formatter.NAME
    assert not formatter.HUMAN


@pytest.mark.parametrize("name", MACHINE)
def test_same_result_same_bytes(name: str, scanned: ScanResult, tmp_path: Path) -> None:
    formatter = registry.load(name)
    first = formatter.render(scanned)
    assert first == formatter.render(scanned) == registry.load(name).render(scanned)
    # a second scan of an identical tree elsewhere, with the same clock and scan id, renders identically
    again = scan_rootfs(build_rootfs(tmp_path / "rootfs"))
    assert _without_root(registry.load(name).render(again), again) == _without_root(first, scanned)
    assert first.endswith("}\n")


def _without_root(text: str, result: ScanResult) -> str:
    root = result.target.path
    assert root
    return text.replace(root, "<root>")


@pytest.mark.parametrize("name", MACHINE)
def test_findings_in_any_order_render_the_same(name: str, constructed: ScanResult) -> None:
    shuffled = replace(constructed, findings=tuple(reversed(constructed.findings)))
    assert registry.load(name).render(shuffled) == registry.load(name).render(constructed)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("MIT", "MIT"), ("mit", "MIT"), (" BSD-3-Clause ", "BSD-3-Clause"), ("GPL-2.0+", "GPL-2.0-or-later"),
     ("MIT OR Apache-2.0", "MIT OR Apache-2.0"), ("mit and bsd-3-clause", "MIT AND BSD-3-Clause"),
     ("GPL-2.0-or-later WITH Classpath-exception-2.0", "GPL-2.0-or-later WITH Classpath-exception-2.0"),
     ("Apache 2.0", None), ("BSD", None), ("UNKNOWN", None), ("", None), ("(MIT", None),
     ("LicenseRef-NVIDIA-Proprietary", None), ("GPL-2.0 WITH MIT", None), ("Classpath-exception-2.0", None),
     ("public domain, Python, 2-Clause BSD, GPL 3 (see COPYING.txt)", None), ("MIT" * 400, None)],
)  # fmt: skip
def test_spdx_expression(text: str, expected: str | None) -> None:
    assert spdx_expression(text) == expected


@pytest.mark.parametrize(
    ("when", "expected"),
    [(datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC), "2025-03-01T12:00:00Z"),
     (datetime(2025, 3, 1, 12, 0, 0, 999999, tzinfo=UTC), "2025-03-01T12:00:00Z"),
     (datetime(2025, 3, 1, 14, 0, 0, tzinfo=timezone(timedelta(hours=2))), "2025-03-01T12:00:00Z"),
     (datetime(2025, 3, 1, 12, 0, 0), "2025-03-01T12:00:00Z")],
)  # fmt: skip
def test_timestamp(when: datetime, expected: str) -> None:
    assert timestamp(when) == expected
