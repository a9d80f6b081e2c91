"""The stockade JSON result (documented in docs/json-schema.md)."""

from __future__ import annotations

from stockade.model.result import ScanResult
from stockade.report._common import dumps, dumps_bytes
from stockade.report.interface import Formatter


class JsonFormatter(Formatter):
    NAME = "report/json"
    FORMAT = "json"
    DESCRIPTION = "stockade's own JSON result, with a schema_version"

    def render(self, result: ScanResult) -> str:
        return dumps(result.to_dict())

    def render_bytes(self, result: ScanResult) -> bytes:
        return dumps_bytes(result.to_dict())  # (no decoding and encoding again of a large document)
