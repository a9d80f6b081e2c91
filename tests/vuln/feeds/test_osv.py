"""OSV reader on the real snapshots (Go, crates.io, PyPI YAML, GHSA ``{"vulns": [...]}``, Ubuntu OSV), on
an ``all.zip`` built here from the Go records, and on malformed input."""

from __future__ import annotations

import functools
import json
import zipfile
from collections import Counter
from pathlib import Path

import pytest
import yaml

from stockade.model.advisory import Advisory, RangeType
from stockade.model.status import Status, StatusKind
from stockade.vuln.feeds import osv
from stockade.vuln.feeds.osv import OsvReader
from tests.vuln.feeds.conftest import kinds


def read(path: Path | str) -> tuple[list[Advisory], list[Status]]:
    problems: list[Status] = []
    records = [r for r in OsvReader().read(str(path), problems) if isinstance(r, Advisory)]
    return records, problems


@functools.cache
def read_cached(path: Path) -> tuple[list[Advisory], list[Status]]:
    """The snapshot folders are read once per session (they are not modified)."""
    return read(path)


@pytest.mark.parametrize(
    ("folder", "count", "withdrawn", "ecosystem"),
    [
        ("osv-go/osv", 4291, 17, "Go"),
        ("osv-crates/crates", 1206, 13, "crates.io"),
        ("osv-pypi/vulns", 2661, 10, "PyPI"),
    ],
)
def test_counts(data: Path, folder: str, count: int, withdrawn: int, ecosystem: str) -> None:
    records, problems = read_cached(data / folder)
    assert problems == []
    assert len(records) == count
    assert len({r.id for r in records}) == count
    assert sum(1 for r in records if r.withdrawn) == withdrawn
    assert {a.ecosystem for r in records for a in r.affected} == {ecosystem}
    assert all(r.source == "osv" for r in records)


def test_pypi_packages_and_yaml_scalars_stay_text(data: Path) -> None:
    path = data / "osv-pypi" / "vulns" / "apache-skywalking" / "PYSEC-2020-342.yaml"
    (record,), _ = read(path)
    records, _ = read_cached(data / "osv-pypi" / "vulns")
    assert len({a.name for r in records for a in r.affected}) == 664
    # unquoted YAML timestamps stay the RFC 3339 text they were (PyYAML would make datetimes)
    assert all(isinstance(r.modified, str) and r.modified.endswith("Z") for r in records)
    raw = yaml.safe_load(path.read_text())
    assert record.id == raw["id"]
    assert record.modified == raw["modified"].isoformat().replace("+00:00", "Z")
    assert list(record.affected[0].versions) == raw["affected"][0]["versions"]
    assert record.severity == (("CVSS_V3", raw["severity"][0]["score"]),)
    assert list(record.references) == [ref["url"] for ref in raw["references"]]


def test_crates_informational_kinds(data: Path) -> None:
    records, _ = read_cached(data / "osv-crates" / "crates")
    counts = Counter(str(r.affected[0].extra["database_specific"]["informational"]) for r in records)
    assert counts == {"None": 730, "unmaintained": 267, "unsound": 203, "notice": 6}


def test_go_record_matches_raw_json(data: Path) -> None:
    path = data / "osv-go" / "osv" / "GO-2020-0001.json"
    raw = json.loads(path.read_text())
    (record,), problems = read(path)
    assert problems == []
    assert record.id == raw["id"] == "GO-2020-0001"
    assert list(record.aliases) == raw["aliases"]
    assert record.published == raw["published"]
    raw_aff = raw["affected"][0]
    aff = record.affected[0]
    assert (aff.ecosystem, aff.name) == ("Go", raw_aff["package"]["name"])
    assert [r.type.value for r in aff.ranges] == [r["type"] for r in raw_aff["ranges"]]
    assert [list(r.events) for r in aff.ranges] == [
        [next(iter(e.items())) for e in r["events"]] for r in raw_aff["ranges"]
    ]
    assert aff.extra["imports"] == raw_aff["ecosystem_specific"]["imports"]


def test_ghsa_wrapper(data: Path) -> None:
    folder = data / "osv-maven-ghsa-subset"
    zeppelin, problems = read(folder / "zeppelin-server.vulnerabilities.json")
    classifier, problems2 = read(folder / "maven-classifier.vulnerabilities.json")
    assert problems == problems2 == []
    assert (len(zeppelin), len(classifier)) == (356, 8)
    records = zeppelin + classifier
    assert sum(1 for r in records for a in r.affected if a.ecosystem == "Maven") == 893
    # GHSA's severity word is the label; CVSS vectors stay vectors
    labels = Counter(r.severity_label for r in records)
    assert set(labels) <= {"LOW", "MODERATE", "HIGH", "CRITICAL"}
    assert sum(labels.values()) == 364


def test_ubuntu_osv_samples(data: Path) -> None:
    records, problems = read(data / "ubuntu-osv-samples")
    assert problems == []
    assert len(records) == 9
    ecosystems = {a.ecosystem for r in records for a in r.affected}
    assert {"Ubuntu:22.04:LTS", "Ubuntu:Pro:14.04:LTS"} <= ecosystems  # kept as Canonical writes them
    usn = next(r for r in records if r.id == "USN-5614-1")
    assert usn.extra["osv:upstream"] == ["UBUNTU-CVE-2021-3782"]
    cve = next(r for r in records if r.severity and r.severity[0][0] == "Ubuntu")
    assert cve.severity_label == cve.severity[0][1]


def test_all_zip_built_from_go_records(data: Path, tmp_path: Path) -> None:
    files = sorted((data / "osv-go" / "osv").glob("*.json"))
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for f in files:
            zf.write(f, f.name)
    assert OsvReader.detect(str(archive))
    from_zip, problems = read(archive)
    from_dir, _ = read_cached(data / "osv-go" / "osv")
    assert problems == []
    assert [r.id for r in from_zip] == [r.id for r in from_dir]
    assert from_zip == from_dir


def _corrupt_member(archive: Path, name: str) -> None:
    """Flip bytes in the middle of one member's compressed data (its CRC no longer matches)."""
    with zipfile.ZipFile(archive) as zf:
        info = zf.getinfo(name)
    blob = bytearray(archive.read_bytes())
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for i in range(start + 5, start + min(info.compress_size, 40)):
        blob[i] ^= 0xFF
    archive.write_bytes(bytes(blob))


def test_zip_with_a_corrupt_member(data: Path, tmp_path: Path) -> None:
    files = sorted((data / "osv-go" / "osv").glob("*.json"))[:5]
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for f in files:
            zf.write(f, f.name)
    _corrupt_member(archive, files[2].name)
    records, problems = read(archive)
    assert [r.id for r in records] == [f.stem for i, f in enumerate(files) if i != 2]
    assert len(problems) == 1
    assert problems[0].status is StatusKind.ERROR
    assert problems[0].path == f"{archive}!{files[2].name}"
    assert f"member {files[2].name}" in problems[0].reason


def test_not_a_zip(tmp_path: Path) -> None:
    archive = tmp_path / "all.zip"
    archive.write_bytes(b"PK\x03\x04 truncated")
    records, problems = read(archive)
    assert records == []
    assert kinds(problems) == ["error"]
    assert "not a readable zip archive" in problems[0].reason


GOOD = {"id": "OSV-1", "affected": [{"package": {"ecosystem": "PyPI", "name": "x"},
        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1"}]}]}]}  # fmt: skip


def _one_range(kind: str, events: list[dict[str, str]]) -> dict[str, object]:
    return {"id": "OSV-3", "affected": [{"ranges": [{"type": kind, "events": events}]}]}


MALFORMED: list[tuple[str, str, str]] = [
    # (file name, content, expected words in the one problem)
    ("truncated.json", json.dumps(GOOD)[:-7], "failed to parse OSV JSON: line 1, column"),
    ("no-id.json", json.dumps({"affected": []}), "missing 'id'"),
    ("empty-id.json", json.dumps({"id": "", "affected": []}), "missing 'id'"),
    ("affected-object.json", json.dumps({"id": "OSV-2", "affected": {"package": {}}}),
     "'affected': expected a list"),
    ("bad-event.json", json.dumps(_one_range("SEMVER", [{"broken": "1"}])),
     "affected[0].ranges[0].events[0]"),
    ("bad-range-type.json", json.dumps(_one_range("NPM", [{"introduced": "0"}])),
     "expected one of ECOSYSTEM, SEMVER, GIT"),
    ("versions-not-strings.json", json.dumps({"id": "OSV-5", "affected": [{"versions": [1, 2]}]}),
     "versions"),
    ("syntax.yaml", "id: OSV-6\naffected:\n  - package: {name: x\n    ecosystem: PyPI\nmodified: x\n",
     "failed to parse OSV YAML: line"),
    ("list.json", json.dumps([1]), "expected an object, got int"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "content", "expected"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_record_is_one_problem(tmp_path: Path, name: str, content: str, expected: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    records, problems = read(path)
    assert records == []
    assert len(problems) == 1, problems
    assert problems[0].status is StatusKind.ERROR
    assert problems[0].path == str(path)
    assert problems[0].plugin == "feed/osv"
    assert expected in problems[0].reason


def test_yaml_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("id: OSV-1\nmodified: 2024-01-01T00:00:00Z\naffected:\n  - package: [\n")
    _, problems = read(path)
    assert "line 5" in problems[0].reason


def test_wrapper_keeps_good_records_and_names_the_bad_one(tmp_path: Path) -> None:
    path = tmp_path / "batch.json"
    path.write_text(json.dumps({"vulns": [GOOD, {"id": "OSV-9", "affected": "x"}, {**GOOD, "id": "OSV-10"}]}))
    records, problems = read(path)
    assert [r.id for r in records] == ["OSV-1", "OSV-10"]
    assert len(problems) == 1
    assert "record vulns[1] (OSV-9)" in problems[0].reason


def test_unknown_ecosystem_and_git_ranges_are_kept(tmp_path: Path) -> None:
    record = {
        "id": "OSV-11",
        "affected": [
            {"package": {"ecosystem": "Nonesuch:7", "name": "thing"},
             "ranges": [{"type": "GIT", "repo": "https://example.org/r.git",
                         "events": [{"introduced": "0"}, {"limit": "abc123"}]}]},
        ],
    }  # fmt: skip
    path = tmp_path / "r.json"
    path.write_text(json.dumps(record))
    (advisory,), problems = read(path)
    assert problems == []
    aff = advisory.affected[0]
    assert (aff.ecosystem, aff.name) == ("Nonesuch:7", "thing")
    assert aff.ranges[0].type is RangeType.GIT
    assert aff.ranges[0].events == (("introduced", "0"), ("limit", "abc123"))
    assert aff.extra["git_repos"] == ["https://example.org/r.git"]


def test_directory_reading_goes_on_after_bad_files(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(json.dumps(GOOD))
    (tmp_path / "b.json").write_text('{"id": "OSV-X", "affected": [')
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.yaml").write_text("id: OSV-12\nmodified: '2024-01-01T00:00:00Z'\naffected: []\n")
    records, problems = read(tmp_path)
    assert sorted(r.id for r in records) == ["OSV-1", "OSV-12"]
    assert kinds(problems) == ["error"]
    assert problems[0].path == str(tmp_path / "b.json")


def test_zip_member_over_the_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("OSV-1.json", json.dumps(GOOD))
        zf.writestr("OSV-2.json", json.dumps({**GOOD, "id": "OSV-2", "details": "x" * 5000}))
    monkeypatch.setattr(osv, "MAX_MEMBER", 4096)
    records, problems = read(archive)
    assert [r.id for r in records] == ["OSV-1"]
    assert problems[0].path == f"{archive}!OSV-2.json"
    assert "over 4096" in problems[0].reason
