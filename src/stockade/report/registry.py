"""Formatters by ``--format`` name."""

from __future__ import annotations

from typing import cast

from stockade.plugin import load_class
from stockade.report.interface import Formatter

FORMATTERS: dict[str, str] = {
    "table": "stockade.report.table:TableFormatter",
    "json": "stockade.report.json:JsonFormatter",
    "sarif": "stockade.report.sarif:SarifFormatter",
    "cyclonedx": "stockade.report.cyclonedx:CycloneDxFormatter",
    "spdx": "stockade.report.spdx:SpdxFormatter",
}


def load(name: str) -> Formatter:
    cls = cast("type[Formatter]", load_class(FORMATTERS[name], Formatter))
    return cls()
