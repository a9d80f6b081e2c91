"""``read_path`` over all of shared/data (counts per reader, problems, time), single files, mixed and
broken trees."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections import Counter
from pathlib import Path

import pytest

from stockade.model.advisory import Advisory, EpssScore, KevEntry
from stockade.model.status import Status, StatusKind
from stockade.vuln.feeds.detect import READERS, detect_file, read_path

EXPECTED = {  # shared/data/README.md
    "osv": 4291 + 1206 + 2661 + 364 + 9,  # Go, crates.io, PyPI, GHSA subset, Ubuntu OSV samples
    "debian": 5406 + 3534,
    "ubuntu": 6509,
    "alpine": 2474,  # distinct advisory ids over the 18 secdb files
    "nswg": 467,
    "victims": 177 + 41,
    "kev": 1404,
    "epss": 1556,
}


@pytest.mark.slow
def test_all_of_shared_data(data: Path) -> None:
    problems: list[Status] = []
    started, cpu = time.perf_counter(), time.process_time()
    counts: Counter[str] = Counter()
    sources: Counter[str] = Counter()
    for name, record in read_path(str(data), problems):
        counts[name] += 1
        if isinstance(record, Advisory):
            sources[record.source] += 1
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"\nread all of {data}: {sum(counts.values())} records in {wall:.1f} s ({cpu:.1f} s CPU)")
    assert dict(counts) == EXPECTED
    assert sources["debian-dsa"] == 5406 and sources["debian-dla"] == 3534
    got = sorted((p.status, Path(p.path or "").name) for p in problems)
    assert got == [
        (StatusKind.SKIPPED, "known_exploited_vulnerabilities.csv"),  # the JSON is read
        (StatusKind.SKIPPED, "npm-nodejs-security-wg"),  # Node.js core and deps entries
        (StatusKind.SKIPPED, "ubuntu-cve-tracker"),  # product, vivid/ubuntu-core ... status lines
        (StatusKind.UNSUPPORTED, "cc-by-sa-4.0.txt"),
        (StatusKind.UNSUPPORTED, "known_exploited_vulnerabilities_schema.json"),
    ]
    # the budget: a 30 s import including the store's write; reading must stay well under 20 s
    assert cpu < 20


def test_single_files_pick_their_reader(data: Path) -> None:
    cases = {
        "osv-go/osv/GO-2020-0001.json": "osv",
        "osv-pypi/vulns/apache-skywalking/PYSEC-2020-342.yaml": "osv",
        "osv-maven-ghsa-subset/zeppelin-server.vulnerabilities.json": "osv",
        "debian-security-tracker/DSA/list": "debian",
        "alpine-secdb/v3.11/main.yaml": "alpine",
        "ubuntu-cve-tracker/active/CVE-2019-1010204": "ubuntu",
        "npm-nodejs-security-wg/vuln/npm/1.json": "nswg",
        "npm-nodejs-security-wg/vuln/core/1.json": "nswg",
        "maven-victims-cve-db/database/java/2014/0002.yaml": "victims",
        "cisa-kev/known_exploited_vulnerabilities.json": "kev",
        "cisa-kev/known_exploited_vulnerabilities.csv": "kev",
        "epss/epss_kev_nvd.csv": "epss",
        "cisa-kev/known_exploited_vulnerabilities_schema.json": None,
        "README.md": None,
        "ubuntu-cve-tracker/active/00boilerplate": None,
    }
    assert {k: detect_file(str(data / k)) for k in cases} == cases
    problems: list[Status] = []
    ((name, record),) = list(read_path(str(data / "osv-go/osv/GO-2020-0001.json"), problems))
    assert (name, problems) == ("osv", [])
    assert isinstance(record, Advisory) and record.id == "GO-2020-0001"


def test_mixed_tree(data: Path, tmp_path: Path) -> None:
    shutil.copy(data / "osv-go/osv/GO-2020-0001.json", tmp_path / "GO-2020-0001.json")
    (tmp_path / "kev").mkdir()
    shutil.copy(data / "cisa-kev/known_exploited_vulnerabilities.csv", tmp_path / "kev" / "kev.csv")
    (tmp_path / "scores.csv").write_text("cve,epss,percentile\nCVE-2020-0001,0.5,0.9\n")
    (tmp_path / "notes.txt").write_text("hello\n")
    (tmp_path / "LICENSE").write_text("licence text\n")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (tmp_path / "broken.json").write_text('{"id": "OSV-1", "modified": "x", "affected": [')
    problems: list[Status] = []
    records = list(read_path(str(tmp_path), problems))
    counts = Counter(name for name, _ in records)
    assert counts == {"osv": 1, "kev": 1404, "epss": 1}  # a KEV CSV alone is read
    assert all(isinstance(r, KevEntry) for n, r in records if n == "kev")
    assert all(isinstance(r, EpssScore) for n, r in records if n == "epss")
    assert sorted((p.plugin, p.status, Path(p.path or "").name) for p in problems) == [
        ("feed/detect", StatusKind.UNSUPPORTED, "notes.txt"),
        ("feed/osv", StatusKind.ERROR, "broken.json"),
    ]


def test_missing_and_unknown(tmp_path: Path) -> None:
    problems: list[Status] = []
    assert list(read_path(str(tmp_path / "nope"), problems)) == []
    assert [(p.status, p.reason) for p in problems] == [(StatusKind.ERROR, "no such file or directory")]
    other = tmp_path / "x.json"
    other.write_text(json.dumps({"hello": "world"}))
    problems = []
    assert list(read_path(str(other), problems)) == []
    assert [(p.plugin, p.status) for p in problems] == [("feed/detect", StatusKind.UNSUPPORTED)]


def test_reader_table() -> None:
    assert list(READERS) == ["kev", "epss", "nswg", "victims", "alpine", "debian", "ubuntu", "osv"]
    assert all(name == cls.NAME for name, cls in READERS.items())


def test_links_and_fifos(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "s.csv").write_text("cve,epss,percentile\nCVE-2020-0001,0.5,0.9\n")
    (tmp_path / "link").symlink_to(tmp_path / "real", target_is_directory=True)
    (tmp_path / "s2.csv").symlink_to(tmp_path / "real" / "s.csv")  # a link to a file is read
    os.mkfifo(tmp_path / "pipe")
    problems: list[Status] = []
    records = list(read_path(str(tmp_path), problems))
    assert [n for n, _ in records] == ["epss", "epss"]
    assert sorted((p.status, Path(p.path or "").name) for p in problems) == [
        (StatusKind.SKIPPED, "link"),
        (StatusKind.UNSUPPORTED, "pipe"),
    ]


def test_unreadable_file(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads files whatever their mode: the unreadable-file case needs another user")
    locked = tmp_path / "locked.bin"
    locked.write_bytes(b"x")
    locked.chmod(0)
    problems: list[Status] = []
    list(read_path(str(locked), problems))
    assert [(p.status, p.reason[:18]) for p in problems] == [(StatusKind.ERROR, "could not be read:")]
