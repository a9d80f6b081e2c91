"""The stockade JSON result (documented in docs/json-schema.md)."""

from __future__ import annotations

from stockade.model.result import ScanResult
from stockade.report._common import dumps
from stockade.report.interface import Formatter


class JsonFormatter(Formatter):
    NAME = "report/json"
    FORMAT = "json"
    DESCRIPTION = "stockade's own JSON result, with a schema_version"

    def render(self, result: ScanResult) -> str:
        return dumps(result.to_dict())
