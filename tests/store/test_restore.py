from __future__ import annotations

import copy
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from stockade.errors import ParseError
from stockade.model.finding import Finding
from stockade.model.inventory import Inventory, Location, OSInfo
from stockade.model.result import ScanResult
from stockade.model.severity import Severity
from stockade.model.target import TargetKind
from stockade.store.restore import result_from_dict
from stockade.store.sqlite import SqliteStore


def with_findings(result: ScanResult) -> ScanResult:
    """The real scan plus findings of both shapes (the scanners that make findings are not written yet)."""
    ssl = next(p for p in result.inventory.packages if p.name == "libssl3")
    findings = (
        Finding(
            id="CVE-2024-0727",
            severity=Severity.MEDIUM,
            title="PKCS12 NULL dereference",
            target=result.target.id,
            kind="vulnerability",
            location=ssl.locations[0],
            evidence=f"{ssl.name} {ssl.version}",
            remediation="upgrade openssl",
            references=("https://osv.dev/vulnerability/CVE-2024-0727",),
            package=ssl.purl,
            metadata={"fixed": "3.0.13-1~deb12u1", "epss": 0.0012, "aliases": ["DSA-5621-1"]},
        ),
        Finding(
            id="STK-HOST-0001",
            severity=Severity.HIGH,
            title="world-writable file",
            target=result.target.id,
            location=Location("/etc/x", 3, "sha256:" + "ab" * 32),
        ),
        Finding(id="STK-HOST-0002", severity=Severity.INFO, title="no location", target=result.target.id),
    )
    return replace(result, findings=findings)


def variants(result: ScanResult) -> list[ScanResult]:
    os_info = result.inventory.os
    assert os_info is not None
    return [
        result,
        with_findings(result),
        replace(result, inventory=Inventory(os=None, packages=())),
        replace(
            result, inventory=replace(result.inventory, os=replace(os_info, id_like=("debian", "ubuntu")))
        ),
        replace(result, inventory=replace(result.inventory, os=OSInfo(id="alpine"))),
        replace(result, target=replace(result.target, kind=TargetKind.HOST, path=None, metadata={})),
    ]


def test_round_trip_real_scans(scan: Any) -> None:
    result = scan("a1b2c3d4e5f6")
    assert len(result.inventory.packages) == 8 and any(s.is_problem for s in result.statuses)
    for variant in variants(result):
        doc = variant.to_dict()
        restored = result_from_dict(copy.deepcopy(doc))
        assert restored.to_dict() == doc
        assert restored == variant
        # the stored form is JSON: lists instead of tuples, and the same document back
        from_json = json.loads(json.dumps(doc))
        assert result_from_dict(from_json).to_dict() == from_json


def test_round_trip_through_the_store(scan: Any, db: Path) -> None:
    result = with_findings(scan("0123456789ab"))
    with SqliteStore(str(db)) as store:
        store.record(result)
        doc = store.result(result.scan_id)
    assert doc is not None
    assert doc == json.loads(json.dumps(result.to_dict()))
    assert result_from_dict(doc).to_dict() == doc
    assert result_from_dict(doc) == result


def _bad(path: tuple[Any, ...], value: Any) -> Any:
    def mutate(doc: dict[str, Any]) -> None:
        target: Any = doc
        for key in path[:-1]:
            target = target[key]
        if value is KeyError:
            del target[path[-1]]
        else:
            target[path[-1]] = value

    return mutate


BAD = [
    (_bad(("schema_version",), "2.0"), "schema_version: 2.0 is not readable"),
    (_bad(("scan",), KeyError), "scan: missing"),
    (_bad(("scan", "tool", "name"), "syft"), "scan.tool.name: expected 'stockade'"),
    (_bad(("scan", "started"), "yesterday"), "scan.started: not an ISO 8601"),
    (_bad(("target", "kind"), "lambda"), "target.kind: unknown value 'lambda'"),
    (_bad(("inventory", "packages", 1, "purl"), KeyError), "inventory.packages[1].purl: missing"),
    (
        _bad(("inventory", "packages", 0, "locations", 0, "line"), "1"),
        "inventory.packages[0].locations[0].line: expected an integer, got str",
    ),
    (_bad(("inventory", "packages", 2), "bash"), "inventory.packages[2]: expected an object"),
    (_bad(("inventory", "packages", 0, "licenses"), ["MIT", 3]), "inventory.packages[0].licenses[1]"),
    (_bad(("findings", 0, "severity"), "urgent"), "findings[0].severity: unknown value 'urgent'"),
    (_bad(("statuses", 0, "status"), None), "statuses[0].status: missing"),
    (_bad(("inventory", "os"), "debian"), "inventory.os: expected an object, got str"),
]


@pytest.mark.parametrize(("mutate", "message"), BAD)
def test_malformed_documents_name_the_field(scan: Any, mutate: Any, message: str) -> None:
    doc = with_findings(scan("feedface0001")).to_dict()
    mutate(doc)
    with pytest.raises(ParseError) as info:
        result_from_dict(doc, source="x.json")
    assert message in info.value.message
    assert info.value.message.startswith("failed to parse stockade JSON result: x.json: ")


def test_not_an_object() -> None:
    with pytest.raises(ParseError, match="expected an object, got list"):
        result_from_dict([])


def test_optional_keys_may_be_null(scan: Any) -> None:
    doc = scan("feedface0002").to_dict()
    doc["target"]["metadata"] = None
    doc["inventory"]["packages"][0]["namespace"] = None
    restored = result_from_dict(doc)
    assert restored.target.metadata == {}
    assert restored.inventory.packages[0].namespace is None


def test_newer_minor_schema_is_read(scan: Any) -> None:
    doc = scan("feedface0003").to_dict()
    doc["schema_version"] = "1.7"
    assert result_from_dict(doc).scan_id == "feedface0003"
