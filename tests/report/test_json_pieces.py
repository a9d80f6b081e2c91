"""The JSON result is written in pieces (report/json.py): byte for byte the whole document's encoding,
at every batch boundary, with suppressed findings, odd text; and a writing that fails leaves the output
file as it was."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from stockade._internal import atomicfile
from stockade.model.finding import Finding
from stockade.model.inventory import Location
from stockade.model.result import ScanResult
from stockade.model.severity import Severity
from stockade.report._common import dumps_bytes
from stockade.report.json import BATCH, JsonFormatter


def _findings(n: int, text: str = "x") -> tuple[Finding, ...]:
    evidence = f"evidence {text}\nsecond line"
    meta = {"z": 1, "a": [text, {"k": None}]}
    where = [Location("a.yaml", i + 1) for i in range(n)]
    return tuple(
        Finding(
            f"STK-T-{i:05d}",
            Severity.HIGH,
            f"title {text}",
            "Pod default/p",
            "check",
            where[i],
            evidence,
            "fix",
            ("https://r",),
            metadata=meta,
        )
        for i in range(n)
    )


@pytest.mark.parametrize("n", [0, 1, BATCH - 1, BATCH, BATCH + 1, 3 * BATCH + 7])
def test_pieces_are_the_whole_documents_bytes(constructed: ScanResult, n: int) -> None:
    result = replace(constructed, findings=_findings(n, 'ü " \\ \t'), suppressed=_findings(n % 3, "s"))
    assert b"".join(JsonFormatter().pieces(result)) == dumps_bytes(result.to_dict())
    assert JsonFormatter().render(result) == dumps_bytes(result.to_dict()).decode("utf-8")


def test_the_constructed_result_renders_as_before(constructed: ScanResult) -> None:
    assert JsonFormatter().render_bytes(constructed) == dumps_bytes(constructed.to_dict())


def test_a_lone_surrogate_is_escaped_in_its_piece_only(constructed: ScanResult) -> None:
    """A file name that was not UTF-8 (kept by Python as ``\\udcff``): orjson refuses the piece, the
    standard library escapes it; the document is still valid UTF-8 and means the same."""
    odd = _findings(1, "bad\udcffname")
    result = replace(constructed, findings=_findings(BATCH) + odd)
    data = JsonFormatter().render_bytes(result)
    data.decode("utf-8")
    assert json.loads(data) == json.loads(json.dumps(result.to_dict()))
    assert "\\udcff" in data.decode() and "ü" in data.decode()  # escaped there, and only there


def test_a_failing_piece_leaves_the_output_file_as_it_was(tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    out.write_text("before\n")

    def pieces():  # type: ignore[no-untyped-def]
        yield b"{\n"
        raise RuntimeError("rendering failed")

    with pytest.raises(RuntimeError):
        atomicfile.write(str(out), pieces())
    assert out.read_text() == "before\n"
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]  # no temporary file left
    atomicfile.write(str(out), iter([b"{", b"}\n"]))
    assert out.read_text() == "{}\n"


def test_findings_order_as_the_tuple_of_their_parts() -> None:
    """``Finding.sort_key`` is one string; it must order findings exactly as (most severe first, id,
    location text, package) would — ids that are prefixes of others, lines 9 and 10, no line, no
    package, odd characters included."""
    import random

    rng = random.Random(7)
    ids = ["STK-K8S-0001", "STK-K8S-0001X", "STK-K8S-0010", "CVE-2024-1", "GHSA-x", "a", "ü"]
    paths = ["a.yaml", "a.yaml.bak", "b/c.yaml", "a", "é/x", " "]
    found = [
        Finding(
            rng.choice(ids),
            rng.choice(list(Severity)),
            "t",
            "x",
            "check",
            rng.choice([None, Location(rng.choice(paths), rng.choice([None, 1, 9, 10, 100]))]),
            package=rng.choice([None, "pkg:deb/debian/a@1", "pkg:deb/debian/a@1.0", ""]),
        )
        for _ in range(3000)
    ]

    def parts(f: Finding) -> tuple[int, str, str, str]:
        return (-f.severity.rank, f.id, str(f.location or ""), f.package or "")

    assert [parts(f) for f in sorted(found, key=Finding.sort_key)] == sorted(parts(f) for f in found)
