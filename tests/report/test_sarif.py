"""SARIF 2.1.0: validated against the OASIS schema (rtm.5, from the npm package @microsoft/jest-sarif)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import jsonschema
import pytest

from stockade.model.finding import Finding
from stockade.model.inventory import Location
from stockade.model.result import ScanResult
from stockade.model.severity import Severity
from stockade.model.status import Status, StatusKind
from stockade.report.sarif import SarifFormatter, fingerprint, relative_uri
from tests.report.conftest import constructed_result


@pytest.fixture
def check(sarif_schema: dict[str, Any]) -> Any:
    cls = jsonschema.validators.validator_for(sarif_schema)
    validator = cls(sarif_schema, format_checker=cls.FORMAT_CHECKER)

    def render(result: ScanResult) -> dict[str, Any]:
        doc: dict[str, Any] = json.loads(SarifFormatter().render(result))
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)]
        assert errors == [], errors[:10]
        return doc

    return render


def test_schema_rejects_a_broken_log(sarif_schema: dict[str, Any]) -> None:
    """The schema fixture really is the SARIF schema: a wrong level does not pass."""
    doc = SarifFormatter().to_dict(constructed_result())
    doc["runs"][0]["results"][0]["level"] = "critical"
    cls = jsonschema.validators.validator_for(sarif_schema)
    assert not cls(sarif_schema).is_valid(doc)


def test_constructed(check: Any, constructed: ScanResult) -> None:
    doc = check(constructed)
    assert doc["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json" and doc["version"] == "2.1.0"
    [run] = doc["runs"]
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("stockade", "0.1.0") and driver["informationUri"]
    assert len(run["results"]) == len(constructed.findings)
    rule_ids = [r["id"] for r in driver["rules"]]
    assert rule_ids == sorted({f.id for f in constructed.findings})
    for res in run["results"]:
        assert driver["rules"][res["ruleIndex"]]["id"] == res["ruleId"]


def test_rules(check: Any, constructed: ScanResult) -> None:
    rules = {r["id"]: r for r in check(constructed)["runs"][0]["tool"]["driver"]["rules"]}
    ssh = rules["STK-HOST-0001"]
    assert ssh["shortDescription"] == {"text": "SSH permits root login"}
    assert ssh["help"]["text"] == "Set PermitRootLogin no."
    assert ssh["helpUri"] == "https://man.openbsd.org/sshd_config"
    assert ssh["defaultConfiguration"] == {"level": "error"}
    assert ssh["properties"]["tags"] == ["security", "check"]
    assert ssh["properties"]["security-severity"] == "9.5"
    cve = rules["CVE-2023-5678"]
    assert cve["properties"]["tags"] == ["security", "vulnerability"]
    assert cve["help"]["text"] == "Upgrade libssl3 to 3.0.13-1~deb12u1."
    assert rules["STK-IMG-0009"]["defaultConfiguration"] == {"level": "note"}
    assert "security-severity" not in rules["STK-IMG-0009"]["properties"]  # info: no score
    assert rules["STK-IMG-0007"]["help"]["text"] == "world-writable file"  # no remediation: the title


@pytest.mark.parametrize(
    ("severity", "level", "score"),
    [(Severity.CRITICAL, "error", "9.5"), (Severity.HIGH, "error", "8.0"),
     (Severity.MEDIUM, "warning", "5.5"), (Severity.LOW, "note", "3.0"),
     (Severity.INFO, "note", None), (Severity.UNKNOWN, "note", None)],
)  # fmt: skip
def test_levels(check: Any, severity: Severity, level: str, score: str | None) -> None:
    finding = Finding("STK-X-0001", severity, "t", "img", location=Location("/etc/x", 3))
    result = replace(constructed_result(), findings=(finding,))
    [res] = check(result)["runs"][0]["results"]
    assert res["level"] == level
    assert res["properties"].get("security-severity") == score
    assert res["properties"]["severity"] == severity.value


def test_locations(check: Any, constructed: ScanResult) -> None:
    results = check(constructed)["runs"][0]["results"]
    where = {(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]): r
             for r in results if "physicalLocation" in r["locations"][0]}  # fmt: skip
    ssh = where[("STK-HOST-0001", "etc/ssh/sshd_config")]
    loc = ssh["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uriBaseId"] == "ROOTPATH"
    assert loc["region"] == {"startLine": 32}
    odd = where[("STK-IMG-0007", "tmp/a%20b/file%251")]
    assert "region" not in odd["locations"][0]["physicalLocation"]
    layer = where[("STK-IMG-0009", "var/cache/apt/pkgcache.bin")]
    assert layer["locations"][0]["properties"] == {"layer": "sha256:" + "ab" * 32}
    # a vulnerability without a location points at where its package was found
    cve = where[("CVE-2023-5678", "var/lib/dpkg/status")]
    assert cve["locations"][0]["physicalLocation"]["region"] == {"startLine": 812}
    assert cve["properties"]["package"].startswith("pkg:deb/debian/libssl3@")
    assert cve["message"]["text"] == f"openssl: DH check slowness ({cve['properties']['package']})"
    assert ssh["message"]["text"] == "SSH permits root login: PermitRootLogin yes"
    # no location at all: a logical location naming the target
    [root] = [r for r in results if r["ruleId"] == "STK-IMG-0003"]
    assert root["locations"] == [{"logicalLocations": [{"fullyQualifiedName": "img", "kind": "module"}]}]


@pytest.mark.parametrize(
    ("path", "uri"),
    [("/etc/passwd", "etc/passwd"), ("/", "."), ("/a b/c#d?e", "a%20b/c%23d%3Fe"), ("/x/ü", "x/%C3%BC")],
)
def test_relative_uri(path: str, uri: str) -> None:
    assert relative_uri(path) == uri


def test_fingerprints_are_stable(constructed: ScanResult) -> None:
    a = SarifFormatter().to_dict(constructed)["runs"][0]["results"]
    other = replace(constructed_result(scan_id="another"), started=constructed.finished)
    b = SarifFormatter().to_dict(other)["runs"][0]["results"]
    assert [r["partialFingerprints"] for r in a] == [r["partialFingerprints"] for r in b]
    prints = [r["partialFingerprints"]["stockade/v1"] for r in a]
    assert len(prints) == len(set(prints))  # the same rule at two places differs
    f = constructed.findings[0]
    assert fingerprint(f) != fingerprint(replace(f, location=Location("/etc/ssh/sshd_config", 33)))


def test_coverage_gaps_are_notifications(check: Any, constructed: ScanResult) -> None:
    [inv] = check(constructed)["runs"][0]["invocations"]
    notes = inv["toolExecutionNotifications"]
    problems = [s for s in constructed.statuses if s.is_problem]
    assert len(notes) == len(problems) == 4
    levels = {n["properties"]["plugin"] + ":" + n["properties"]["status"]: n["level"] for n in notes}
    assert levels == {"catalog/lang/python:partial": "warning", "catalog/os/rpm:error": "error",
                      "walk:skipped": "warning", "walk:unsupported": "warning"}  # fmt: skip
    assert inv["executionSuccessful"] is False
    assert (inv["startTimeUtc"], inv["endTimeUtc"]) == ("2025-03-01T12:00:00Z", "2025-03-01T12:00:07Z")
    big = next(n for n in notes if n["properties"]["status"] == "skipped")
    assert big["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "var/lib/big.img"
    assert "file larger than the limit" in big["message"]["text"]


def test_successful_when_nothing_failed(check: Any, constructed: ScanResult) -> None:
    result = replace(constructed, statuses=(Status("walk", StatusKind.PARTIAL, "unreadable", "/root"),))
    [inv] = check(result)["runs"][0]["invocations"]
    assert inv["executionSuccessful"] is True and len(inv["toolExecutionNotifications"]) == 1


def test_real_scan(check: Any, scanned: ScanResult) -> None:
    """No findings yet, but the broken METADATA in the rootfs is a coverage gap consumers must see."""
    run = check(scanned)["runs"][0]
    assert run["results"] == [] and run["tool"]["driver"]["rules"] == []
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert [n["properties"]["plugin"] for n in notes] == ["catalog/lang/python"] * 2  # the file, the summary
    located = [n for n in notes if "locations" in n]
    assert located[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "usr/lib/python3/dist-packages/half_installed-1.0.dist-info/METADATA")  # fmt: skip
    assert run["originalUriBaseIds"]["ROOTPATH"]["uri"].startswith("file:///")
    assert run["originalUriBaseIds"]["ROOTPATH"]["uri"].endswith("/rootfs/")


def test_suppressed_findings_carry_sarif_suppressions(check: Any) -> None:
    """Real suppressions from the examples (an annotation and an exceptions file) validate against the
    OASIS schema."""
    from pathlib import Path

    from stockade.scan.config import ConfigOptions, scan_config

    examples = Path(__file__).resolve().parents[2] / "examples"
    result = scan_config(
        [str(examples / "k8s")],
        ConfigOptions(mode="kubernetes", exceptions_file=str(examples / ".stockade" / "exceptions.yaml")),
    )
    assert result.suppressed
    doc = check(result)
    results = doc["runs"][0]["results"]
    assert len(results) == len(result.findings) + len(result.suppressed)
    kinds = {r["suppressions"][0]["kind"] for r in results if "suppressions" in r}
    assert kinds == {"inSource", "external"}
