"""``stockade sbom scan FILE``, through click (the group is not yet in ``stockade.cli.main``): output
formats, standard input, recording in the inventory, and errors that reach the user as StockadeErrors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from stockade.cli.sbom_cmd import sbom
from stockade.errors import InputError, ParseError
from stockade.store.factory import open_store
from tests.catalog.sbom.conftest import TESTDATA

SPDX3 = TESTDATA / "spdx3-debian.jsonld"


def run(*args: str, input: bytes | None = None) -> Result:
    return CliRunner().invoke(sbom, ["scan", *args], input=input, standalone_mode=False)


def json_result(result: Result) -> dict[str, Any]:
    assert result.exception is None, result.exception
    assert result.return_value == 0
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def test_json_output(tmp_path: Path) -> None:
    doc = json_result(run(str(SPDX3), "--format", "json", "--no-store", "--quiet", "--no-vulns"))
    target = doc["target"]
    assert (target["kind"], target["name"], target["path"]) == ("sbom", str(SPDX3), str(SPDX3))
    assert target["metadata"]["sbom"]["subject"]["name"] == "debian-bookworm-example"
    assert doc["inventory"]["os"]["id"] == "debian"
    libc = next(p for p in doc["inventory"]["packages"] if p["name"] == "libc6")
    assert (libc["source_name"], libc["found_by"], libc["ecosystem"]) == ("glibc", "sbom-spdx", "Debian")
    assert doc["findings"] == []
    assert {s["plugin"] for s in doc["statuses"]} == {"catalog/sbom-spdx", "vuln/db"}  # vulns: skipped


def test_target_kind_is_sbom() -> None:
    doc = json_result(run(str(SPDX3), "--format", "json", "--no-store", "--quiet"))
    assert doc["target"]["kind"] == "sbom"


def test_stdin() -> None:
    data = (TESTDATA / "npm-cyclonedx.json").read_bytes()
    doc = json_result(run("-", "--format", "json", "--no-store", "--quiet", input=data))
    assert doc["target"]["name"] == "<stdin>"
    assert "path" not in doc["target"]
    assert {p["purl"] for p in doc["inventory"]["packages"]} == {
        "pkg:npm/%40sindresorhus/is@4.6.0",
        "pkg:npm/debug@4.3.4",
        "pkg:npm/ms@2.1.2",
        "pkg:npm/ms@2.1.3",
    }


@pytest.mark.parametrize("fmt", ["cyclonedx", "spdx"])
def test_sbom_out_sbom_in(fmt: str, tmp_path: Path) -> None:
    """An SBOM scanned and written again as an SBOM reads back to the same packages."""
    out = tmp_path / f"again.{fmt}.json"
    first = run(str(SPDX3), "--format", fmt, "--output", str(out), "--no-store", "--quiet")
    assert first.exception is None and first.return_value == 0
    again = json_result(run(str(out), "--format", "json", "--no-store", "--quiet"))
    original = json_result(run(str(SPDX3), "--format", "json", "--no-store", "--quiet"))
    fields = ("name", "version", "purl", "source_name", "source_version", "ecosystem")
    assert [{k: p.get(k) for k in fields} for p in again["inventory"]["packages"]] == [
        {k: p.get(k) for k in fields} for p in original["inventory"]["packages"]
    ]
    assert again["inventory"]["os"]["id"] == "debian"


def test_recorded_in_the_inventory(tmp_path: Path) -> None:
    db = str(tmp_path / "inventory.db")
    result = run(str(SPDX3), "--format", "table", "--db", db, "--fail-on", "low")
    assert result.exception is None and result.return_value == 0
    assert "8 packages" in result.stdout
    with open_store(db) as store:
        rows = store.workloads()
    assert [(r.name, r.packages) for r in rows] == [(str(SPDX3), 8)]


def test_errors_reach_the_user(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"bomFormat": "CycloneDX",\n "components": [}\n')
    result = run(str(bad), "--no-store")
    assert isinstance(result.exception, ParseError) and result.exception.exit_code == 2
    assert f"{bad}:2:17" in result.exception.message
    big = tmp_path / "big.json"
    big.write_bytes(b"{}" + b" " * (1024 * 1024 + 1))
    result = run(str(big), "--no-store", "--max-size", "1")
    assert isinstance(result.exception, InputError) and "refused" in result.exception.message
    result = run("-", "--no-store", input=b'{"not": "an sbom"}')
    assert isinstance(result.exception, InputError)
    assert result.exception.message.startswith("<stdin>: not an SBOM")
