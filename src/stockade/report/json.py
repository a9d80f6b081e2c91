"""The stockade JSON result (documented in docs/json-schema.md).

The document is written in pieces: its head, then the findings a batch at a time, each batch's dicts
made, encoded and let go before the next.  Built whole, the 18,516 findings of the benchmark corpus
took 40 MB of dicts and a 22 MB buffer, and touching that much new memory cost more than encoding it
(BENCHMARKS.md).  The pieces are byte for byte what encoding :meth:`ScanResult.to_dict` at once gives
(``dumps_bytes``: indented by two); a piece orjson refuses (a lone surrogate) falls back to the standard
library for that piece alone.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from stockade.model.finding import Finding
from stockade.model.result import ScanResult
from stockade.model.status import Status
from stockade.report._common import dumps_piece
from stockade.report.interface import Formatter

#: findings encoded together (one orjson call and one buffer each: ~75 KB, which stays in the CPU's cache;
#: 256 a batch took 68 ms over the corpus's findings, 32 to 128 took 58-61)
BATCH = 64
#: around the items of ``{"x": [items]}`` encoded with an indent of two
_HEAD, _TAIL = b'{\n  "x": [\n', b"\n  ]\n}"


def _member(key: str, value: Any, last: bool = False) -> bytes:
    """``  "key": value`` at the document's first level, followed by its comma (unless ``last``)."""
    text = b"  " + dumps_piece(key) + b": " + dumps_piece(value).replace(b"\n", b"\n  ")
    return text + (b"\n" if last else b",\n")


def _array(key: str, items: Sequence[Finding | Status], last: bool) -> Iterator[bytes]:
    """``  "key": [ … ]`` at the first level, its items' dicts made and encoded :data:`BATCH` at a time."""
    if not items:
        yield _member(key, [], last)
        return
    yield b"  " + dumps_piece(key) + b": [\n"
    for start in range(0, len(items), BATCH):
        # encoded as the value of a first-level key, the items are at the document's depth already
        wrapped = dumps_piece({"x": [x.to_dict() for x in items[start : start + BATCH]]})
        yield (b",\n" if start else b"") + wrapped[len(_HEAD) : -len(_TAIL)]
    yield b"\n  ]\n" if last else b"\n  ],\n"


class JsonFormatter(Formatter):
    NAME = "report/json"
    FORMAT = "json"
    DESCRIPTION = "stockade's own JSON result, with a schema_version"

    def render(self, result: ScanResult) -> str:
        return self.render_bytes(result).decode("utf-8")

    def render_bytes(self, result: ScanResult) -> bytes:
        return b"".join(self.pieces(result))

    def pieces(self, result: ScanResult) -> Iterator[bytes]:
        yield b"{\n"
        for key, value in result.head_dict().items():
            yield _member(key, value)
        yield from _array("findings", result.findings, last=False)
        yield from _array("suppressed", result.suppressed, last=False)
        yield from _array("statuses", result.statuses, last=True)
        yield b"}\n"
