"""Node.js security WG npm entries and victims-cve-db records, on the real snapshots and broken input."""

from __future__ import annotations

import json
from pathlib import Path

from stockade.model.advisory import Advisory, RangeType
from stockade.model.status import Status, StatusKind
from stockade.vuln.feeds.nswg import NswgReader
from stockade.vuln.feeds.victims import VictimsReader, to_range


def read(reader: NswgReader | VictimsReader, path: Path) -> tuple[list[Advisory], list[Status]]:
    problems: list[Status] = []
    return [r for r in reader.read(str(path), problems) if isinstance(r, Advisory)], problems


def assert_problems(problems: list[Status], expected: list[tuple[StatusKind, str, str]]) -> None:
    """``problems``, sorted, have these kinds, file names and reason prefixes."""
    got = sorted((p.status, Path(p.path or "").name, p.reason) for p in problems)
    assert len(got) == len(expected), got
    for (kind, name, reason), (want_kind, want_name, prefix) in zip(got, sorted(expected), strict=True):
        assert (kind, name) == (want_kind, want_name)
        assert reason.startswith(prefix), (reason, prefix)


def test_nswg_tree(data: Path) -> None:
    root = data / "npm-nodejs-security-wg"
    assert NswgReader.detect(str(root))
    records, problems = read(NswgReader(), root)
    npm = root / "vuln" / "npm"
    raw = {int(p.stem): json.loads(p.read_text()) for p in npm.glob("[0-9]*.json")}
    assert len(records) == len(raw) == 467  # 468 files with index.json
    assert [(p.status, p.reason) for p in problems] == [
        (
            StatusKind.SKIPPED,
            "skipped 171 Node.js core and 6 dependency entries (no ecosystem names the runtime)",
        )
    ]
    for record in records:
        entry = raw[int(record.id.removeprefix("NSWG-ECO-"))]
        (affected,) = record.affected
        assert (affected.ecosystem, affected.name) == ("npm", entry["module_name"])
        assert list(record.aliases) == entry["cves"]
        assert record.extra["vulnerable_versions"] == entry["vulnerable_versions"]
        assert affected.ranges, record.id  # every real range converts
        assert all(r.type is RangeType.SEMVER for r in affected.ranges)
    first = next(r for r in records if r.id == "NSWG-ECO-1")
    assert first.affected[0].ranges[0].events == (("introduced", "0"), ("last_affected", "1.5.1"))  # <=1.5.1
    assert first.severity == (("CVSS_V3", raw[1]["cvss_vector"]),)


def test_nswg_index_alone_reads_the_same_entries(data: Path) -> None:
    npm = data / "npm-nodejs-security-wg" / "vuln" / "npm"
    from_index, problems = read(NswgReader(), npm / "index.json")
    from_files, _ = read(NswgReader(), npm)
    assert problems == []
    assert sorted(r.id for r in from_index) == sorted(r.id for r in from_files)


def test_nswg_unconvertible_range_keeps_the_record(tmp_path: Path) -> None:
    entry = {"id": 9001, "module_name": "left-pad", "vulnerable_versions": "<=1.2.3.4.5",
             "patched_versions": ">=2", "cves": ["CVE-2099-1"]}  # fmt: skip
    (tmp_path / "9001.json").write_text(json.dumps(entry))
    (tmp_path / "9002.json").write_text('{"id": 9002, "module_name": "x", "vulnerable_versions": "<1"')
    (tmp_path / "9003.json").write_text(
        json.dumps({"id": 9003, "module_name": "", "vulnerable_versions": "<1"})
    )
    records, problems = read(NswgReader(), tmp_path)
    (record,) = records
    assert record.id == "NSWG-ECO-9001"
    assert record.affected[0].ranges == ()
    assert record.extra["unconverted"] is True
    assert_problems(problems, [
        (StatusKind.ERROR, "9002.json", "failed to parse NSWG JSON: line 1, column 61: unexpected end "),
        (StatusKind.ERROR, "9003.json", "failed to parse NSWG entry: missing 'id' or 'module_name'"),
        (StatusKind.PARTIAL, "9001.json", "failed to parse NSWG advisory NSWG-ECO-9001: vulnerable_versio"),
    ])  # fmt: skip


def test_victims_tree(data: Path) -> None:
    root = data / "maven-victims-cve-db"
    records, problems = read(VictimsReader(), root)
    assert problems == []
    java = list((root / "database" / "java").rglob("*.yaml"))
    python = list((root / "database" / "python").rglob("*.yaml"))
    assert (len(java), len(python)) == (177, 41)
    assert len(records) == 218
    ecosystems = {(a.ecosystem) for r in records for a in r.affected}
    assert ecosystems == {"Maven", "PyPI"}
    camel = next(r for r in records if r.id == "CVE-2014-0002")
    (affected,) = camel.affected
    assert affected.name == "org.apache.camel:camel-core"
    assert [r.events for r in affected.ranges] == [
        (("introduced", "0"), ("last_affected", "2.11.3")),
        (("introduced", "2.12"), ("last_affected", "2.12.2")),
    ]
    assert affected.extra["fixedin"] == [">=2.11.4,2.11", ">=2.12.3,2.12"]


def test_victims_items() -> None:
    assert to_range(">=3.0.0,3.0") is not None
    assert to_range(">=3.0.0,3.0").events == (("introduced", "3.0.0"), ("fixed", "3.1"))  # type: ignore[union-attr]
    assert to_range("==1.2.3.GA").events == (("introduced", "1.2.3.GA"), ("last_affected", "1.2.3.GA"))  # type: ignore[union-attr]
    assert to_range("<2.8.11.1,2.8").events == (("introduced", "2.8"), ("fixed", "2.8.11.1"))  # type: ignore[union-attr]
    assert to_range(">=2.0,beta").events == (("introduced", "2.0"),)  # type: ignore[union-attr]
    for bad in ("~1.0", "<=", "1.0", "<=1, 2", 5):
        assert to_range(bad) is None


def test_victims_prerelease_bound_of_a_series() -> None:
    """``<=X,S`` with X a pre-release of S: the pre-releases of S up to X, not everything from S on."""
    assert to_range("<=1.7b1,1.7", "PyPI").events == (("introduced", "1.7.dev0"), ("last_affected", "1.7b1"))  # type: ignore[union-attr]
    assert to_range("<=3.0.0.Alpha1,3", "Maven").events == (  # type: ignore[union-attr]
        ("introduced", "3-alpha"),
        ("last_affected", "3.0.0.Alpha1"),
    )
    # an ordinary series bound is kept as it is
    assert to_range("<=2.12.2,2.12", "Maven").events == (("introduced", "2.12"), ("last_affected", "2.12.2"))  # type: ignore[union-attr]


def test_victims_broken(tmp_path: Path) -> None:
    (tmp_path / "1.yaml").write_text("cve: 2099-0001\naffected:\n  - groupId: g\n    artifactId: a\n"
                                     "    version: ['<=1.0', '~2']\n  - version: ['<=1']\n")  # fmt: skip
    (tmp_path / "2.yaml").write_text("cve: 2099-0002\naffected: [\n")
    (tmp_path / "3.yaml").write_text("cve: 2099-0003\ntitle: no affected list\n")
    records, problems = read(VictimsReader(), tmp_path)
    (record,) = records
    assert record.id == "CVE-2099-0001"
    assert [(a.name, [r.events for r in a.ranges]) for a in record.affected] == [
        ("g:a", [(("introduced", "0"), ("last_affected", "1.0"))])
    ]
    assert_problems(problems, [
        (StatusKind.ERROR, "2.yaml", "failed to parse victims YAML: line 3, column 1: while pa"),
        (StatusKind.ERROR, "3.yaml", "failed to parse victims record CVE-2099-0003: 'affected'"),
        (StatusKind.PARTIAL, "1.yaml", "failed to parse victims record CVE-2099-0001: affected[0"),
        (StatusKind.PARTIAL, "1.yaml", "failed to parse victims record CVE-2099-0001: affected[1"),
    ])  # fmt: skip
