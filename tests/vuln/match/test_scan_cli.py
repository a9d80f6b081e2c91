"""`stockade rootfs` and `stockade image` with vulnerability matching, end to end through the real CLI:
the finding's JSON fields, every output format, ``--fail-on`` with a priority, and the statuses when
there is no database or ``--no-vulns``.

The database holds real data: the GHSA records of ../shared/data/osv-maven-ghsa-subset (real osv.dev
records: tomcat's and golang.org/x/net's among them), the CISA KEV catalog and the EPSS snapshot.  The
scanned tree declares real releases: a ``go.mod`` requiring golang.org/x/net v0.7.0 (plus modules
replaced by local directories, whose version is ``(devel)``), and Maven jars of tomcat-embed-core 8.5.19
and 7.0.70 (their ``pom.properties`` as Maven writes it).  The expected KEV, EPSS and CVSS values are
read here from the source files, not from stockade.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

import jsonschema
import pytest
from cvss import CVSS3, CVSS4  # type: ignore[import-untyped]
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from spdx_tools.spdx.parser.jsonlikedict.json_like_dict_parser import JsonLikeDictParser
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from tests.report.conftest import SCHEMAS, sarif_schema  # noqa: F401  (the fixture)
from tests.target.image.handmade import E, oci_layout
from tests.vuln.match.conftest import DATA, build_db, needs_data

pytestmark = needs_data
Cli = Callable[..., CompletedProcess[str]]
GO_MOD = """module example.org/app

go 1.20

require (
\tgolang.org/x/net v0.7.0
\tgoogle.golang.org/grpc v1.56.2
\texample.org/local v1.0.0
)

replace google.golang.org/grpc => ../grpc-fork

replace example.org/local => ../local
"""
NET = ("golang.org/x/net@v0.7.0", "CVE-2023-44487")  # HTTP/2 rapid reset: KEV, CVSS v3.1 and v4.0 vectors
TOMCAT = "org.apache.tomcat.embed:tomcat-embed-core"
GHOST = (f"{TOMCAT}@7.0.70", "CVE-2017-12615")  # KEV, used by ransomware


def jar(version: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("META-INF/MANIFEST.MF", f"Manifest-Version: 1.0\nImplementation-Version: {version}\n\n")
        z.writestr(
            "META-INF/maven/org.apache.tomcat.embed/tomcat-embed-core/pom.properties",
            f"groupId=org.apache.tomcat.embed\nartifactId=tomcat-embed-core\nversion={version}\n",
        )
    return buf.getvalue()


FILES = {
    "srv/app/go.mod": GO_MOD.encode(),
    "opt/tomcat8/lib/tomcat-embed-core-8.5.19.jar": jar("8.5.19"),
    "opt/tomcat7/lib/tomcat-embed-core-7.0.70.jar": jar("7.0.70"),
}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sources = [
        DATA / "osv-maven-ghsa-subset",
        DATA / "cisa-kev" / "known_exploited_vulnerabilities.json",
        DATA / "epss" / "epss_kev_nvd.csv",
    ]
    return build_db(tmp_path_factory.mktemp("cli-db") / "advisories.db", sources)


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tree")
    for rel, data in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


def scan(cli: Cli, target: Path, db: Path, *args: str, command: str = "rootfs") -> CompletedProcess[str]:
    return cli(command, str(target), "--advisory-db", str(db), "-q", *args)


def findings(doc: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """``("name@version", id) → finding``."""
    vulns = [f for f in doc["findings"] if f["kind"] == "vulnerability"]
    out = {(f"{f['package']['name']}@{f['package']['version']}", f["id"]): f for f in vulns}
    assert len(out) == len(vulns)  # one finding per vulnerability per package
    return out


def kev_entry(cve: str) -> dict[str, Any]:
    catalog = json.loads((DATA / "cisa-kev" / "known_exploited_vulnerabilities.json").read_text())
    [entry] = [v for v in catalog["vulnerabilities"] if v["cveID"] == cve]
    return dict(entry)


def epss_score(cve: str) -> float:
    with open(DATA / "epss" / "epss_kev_nvd.csv", encoding="utf-8") as fh:
        [row] = [r for r in csv.DictReader(fh) if r["CVE"] == cve]
    return float(row["EPSS"])


def test_json_finding_has_the_documented_fields(cli: Cli, tree: Path, db: Path) -> None:
    proc = scan(cli, tree, db, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    got = findings(doc)
    net = got[NET]
    assert {"kind", "id", "aliases", "severity", "cvss", "epss", "kev", "priority", "why", "package",
            "fixed_versions", "fix_state", "references", "signals"} <= set(net)  # fmt: skip
    assert "GHSA-qppj-fm5r-hxr3" in net["aliases"] and net["advisories"][0]["id"] == "GHSA-qppj-fm5r-hxr3"
    assert net["package"] == {
        "name": "golang.org/x/net", "version": "v0.7.0", "type": "golang", "ecosystem": "Go",
        "purl": "pkg:golang/golang.org/x/net@v0.7.0", "found_by": "lang/go-mod",
    }  # fmt: skip
    assert net["fixed_versions"] == ["0.17.0"] and net["fix_state"] == "fixed"
    # the newest CVSS version rates it: the record's v4.0 vector, scored by the cvss library
    v4 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:L/SC:N/SI:N/SA:N"
    score = float(CVSS4(v4).base_score)
    assert net["cvss"] == {"version": "4.0", "vector": v4, "score": score, "severity": net["severity"],
                           "source": "GHSA-qppj-fm5r-hxr3"}  # fmt: skip
    kev = kev_entry("CVE-2023-44487")
    assert net["kev"]["listed"] is True and net["kev"]["due_date"] == kev["dueDate"]
    assert net["epss"]["score"] == epss_score("CVE-2023-44487") >= 0.5
    assert net["priority"] == min(100, int(5 * score + 30 + 25 + 5 + 0.5))
    assert net["why"] == ["kev", "epss>=0.5", f"cvss:{score:.1f}", "fix-available"]
    assert net["signals"] == {"in_use": None, "exposed": None}  # unknown, not "no"
    ghost = got[GHOST]
    assert (
        ghost["package"]["version"] == "7.0.70"
        and kev_entry("CVE-2017-12615")["knownRansomwareCampaignUse"] == "Known"
    )
    assert ghost["why"][:2] == ["kev", "kev-ransomware"]
    assert ghost["cvss"]["score"] == float(CVSS3("CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H").base_score)
    assert (f"{TOMCAT}@8.5.19", "CVE-2023-44487") in got and (f"{TOMCAT}@8.5.19", GHOST[1]) not in got
    devel = [s for s in doc["statuses"] if s.get("path") == "/srv/app/go.mod" and s["plugin"] == "vuln/match"]
    # grpc, replaced by a local directory, has version (devel): advisories name it, so that is said; no
    # advisory names example.org/local, so its version does not matter
    assert [s["reason"] for s in devel] == [
        "vulnerabilities not checked for google.golang.org/grpc (devel): invalid go version '(devel)': "
        "Go module versions start with 'v'"
    ]
    db_status = [s for s in doc["statuses"] if s["plugin"] == "vuln/db" and s["status"] == "ok"]
    assert "CISA KEV catalog 2025.08.25 (1404 CVEs)" in db_status[0]["reason"]


def test_table(cli: Cli, tree: Path, db: Path) -> None:
    proc = scan(cli, tree, db)
    assert proc.returncode == 0, proc.stderr
    got = findings(json.loads(scan(cli, tree, db, "--format", "json").stdout))
    lines = proc.stdout.splitlines()
    assert f"{len(got)} vulnerabilities in 3 packages (" in proc.stdout
    header = next(line for line in lines if line.strip().startswith("id "))
    assert [c.strip() for c in header.split("┃")] == [
        "id",
        "severity",
        "priority",
        "package",
        "installed",
        "fixed",
    ]
    [row] = [line for line in lines if "CVE-2023-44487" in line and "golang.org/x/net" in line]
    net = got[NET]
    cells = [c.strip() for c in row.split("│")]
    assert cells == [
        "CVE-2023-44487",
        net["severity"],
        str(net["priority"]),
        "golang.org/x/net",
        "v0.7.0",
        "0.17.0",
    ]
    priorities = [int(line.split("│")[2]) for line in lines if line.strip().startswith("CVE-")]
    assert priorities == sorted(priorities, reverse=True)  # the highest priority first


def test_sarif(cli: Cli, tree: Path, db: Path, sarif_schema: dict[str, Any]) -> None:  # noqa: F811
    doc = json.loads(scan(cli, tree, db, "--format", "sarif").stdout)
    cls = jsonschema.validators.validator_for(sarif_schema)
    assert [e.message for e in cls(sarif_schema).iter_errors(doc)] == []
    run = doc["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert rules["CVE-2017-12615"]["properties"]["security-severity"] == "8.1"
    [res] = [
        r for r in run["results"] if r["ruleId"] == "CVE-2023-44487" and "x/net" in r["properties"]["package"]
    ]
    assert res["rank"] == float(res["properties"]["priority"]) and res["properties"]["why"][0] == "kev"
    assert res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "srv/app/go.mod"


def test_cyclonedx(cli: Cli, tree: Path, db: Path) -> None:
    doc = json.loads(scan(cli, tree, db, "--format", "cyclonedx").stdout)
    # the validator's URL format check takes ~0.1 s a URL, and the GHSA records carry ~60 references
    # each: validate with the first advisory URL of each vulnerability (the rest are the same shape)
    trimmed = {
        **doc,
        "vulnerabilities": [{**v, "advisories": v["advisories"][:1]} for v in doc["vulnerabilities"]],
    }
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(trimmed)) is None
    refs = {c["purl"]: c["bom-ref"] for c in doc["components"] if "purl" in c}
    vulns = {v["id"]: v for v in doc["vulnerabilities"]}
    rapid = vulns["CVE-2023-44487"]
    affected = {a["ref"] for a in rapid["affects"]}
    assert refs["pkg:golang/golang.org/x/net@v0.7.0"] in affected and len(affected) == 2
    assert {"method": "CVSSv4"}.items() <= rapid["ratings"][0].items()
    assert {
        "id": "GHSA-qppj-fm5r-hxr3",
        "source": {"name": "OSV", "url": "https://osv.dev/vulnerability/GHSA-qppj-fm5r-hxr3"},
    } in rapid["references"]
    props = {p["name"]: p["value"] for p in rapid["properties"]}
    assert props["stockade:kev"] == "true" and int(props["stockade:priority"]) >= 90


def test_spdx(cli: Cli, tree: Path, db: Path) -> None:
    doc = json.loads(scan(cli, tree, db, "--format", "spdx").stdout)
    schema = json.loads((SCHEMAS / "spdx-2.3.schema.json").read_text(encoding="utf-8"))
    assert [e.message for e in jsonschema.Draft7Validator(schema).iter_errors(doc)] == []
    assert [m.validation_message for m in validate_full_spdx_document(JsonLikeDictParser().parse(doc))] == []
    [net] = [p for p in doc["packages"] if p["name"] == "golang.org/x/net"]
    advisories = [r for r in net["externalRefs"] if r["referenceCategory"] == "SECURITY"]
    assert {
        "referenceType": "advisory",
        "referenceLocator": "https://osv.dev/vulnerability/CVE-2023-44487",
    }.items() <= advisories[0].items()
    assert "priority" in advisories[0]["comment"] and "fixed in 0.17.0" in advisories[0]["comment"]


@pytest.mark.slow
def test_fail_on_priority_and_severity(cli: Cli, tmp_path: Path, db: Path) -> None:
    (tmp_path / "go.mod").write_text(GO_MOD)  # golang.org/x/net only: one medium finding
    doc = json.loads(scan(cli, tmp_path, db, "--format", "json").stdout)
    [only] = findings(doc).values()
    p = only["priority"]
    assert p < 100
    runs = {
        f"priority>={p}": 1, f"priority:{p}": 1, f"priority>={p + 1}": 0, "medium": 1, "high": 0,
    }  # fmt: skip
    for threshold, code in runs.items():
        proc = scan(cli, tmp_path, db, "--fail-on", threshold, "-o", str(tmp_path / "out.txt"))
        assert proc.returncode == code, (threshold, proc.stderr)
    bad = scan(cli, tmp_path, db, "--fail-on", "priority>=101")
    assert bad.returncode == 2 and "priority>=N" in bad.stderr


def test_no_database_is_said_never_silent(cli: Cli, tree: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "advisories.db"
    proc = cli("rootfs", str(tree), "--advisory-db", str(missing), "--format", "json")
    assert proc.returncode == 0
    assert f"stockade: warning: vulnerabilities not checked: no advisory database at {missing}" in proc.stderr
    doc = json.loads(proc.stdout)
    assert findings(doc) == {}
    [status] = [s for s in doc["statuses"] if s["plugin"] == "vuln/db"]
    assert status["status"] == "error" and "stockade db import PATH" in status["reason"]
    off = json.loads(cli("rootfs", str(tree), "--no-vulns", "--format", "json", "-q").stdout)
    assert [(s["status"], s["reason"]) for s in off["statuses"] if s["plugin"].startswith("vuln/")] == [
        ("skipped", "vulnerabilities not checked: --no-vulns")]  # fmt: skip


def test_image_command_matches_too(cli: Cli, tmp_path: Path, db: Path) -> None:
    layout = oci_layout(tmp_path / "layout", [[E(rel, data=data) for rel, data in FILES.items()]])
    proc = scan(cli, layout, db, "--format", "json", command="image")
    assert proc.returncode == 0, proc.stderr
    got = findings(json.loads(proc.stdout))
    assert NET in got and GHOST in got
    assert got[NET]["package"]["version"] == "v0.7.0"
