"""CISA KEV (JSON and CSV) and EPSS (FIRST daily format, plain and gzip, and KEV_EPSS's CSV)."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

from stockade.model.advisory import EpssScore, KevEntry
from stockade.model.status import Status, StatusKind
from stockade.vuln.feeds.epss import EpssReader
from stockade.vuln.feeds.kev import KevReader


def kev(path: Path) -> tuple[list[KevEntry], list[Status]]:
    problems: list[Status] = []
    return [r for r in KevReader().read(str(path), problems) if isinstance(r, KevEntry)], problems


def epss(path: Path) -> tuple[list[EpssScore], list[Status]]:
    problems: list[Status] = []
    return [r for r in EpssReader().read(str(path), problems) if isinstance(r, EpssScore)], problems


def test_kev_json_and_csv(data: Path) -> None:
    folder = data / "cisa-kev"
    from_json, problems = kev(folder / "known_exploited_vulnerabilities.json")
    from_csv, problems2 = kev(folder / "known_exploited_vulnerabilities.csv")
    assert problems == problems2 == []
    assert len(from_json) == 1404
    assert sum(e.ransomware for e in from_json) == 293
    assert from_csv == from_json  # the same catalog in both forms
    raw = json.loads((folder / "known_exploited_vulnerabilities.json").read_text())["vulnerabilities"][0]
    first = from_json[0]
    assert (first.cve, first.vendor, first.product, first.date_added, first.due_date) == (
        raw["cveID"], raw["vendorProject"], raw["product"], raw["dateAdded"], raw["dueDate"],
    )  # fmt: skip
    assert not KevReader.detect(str(folder / "known_exploited_vulnerabilities_schema.json"))


def test_kev_broken_entries(tmp_path: Path) -> None:
    path = tmp_path / "kev.json"
    path.write_text(
        json.dumps({"catalogVersion": "x", "vulnerabilities": [{"cveID": "CVE-1-1"}, {"product": "p"}, 7]})
    )
    entries, problems = kev(path)
    assert [e.cve for e in entries] == ["CVE-1-1"]
    assert [p.reason for p in problems] == [
        "failed to parse KEV entry: vulnerabilities[1]: missing 'cveID'",
        "failed to parse KEV entry: vulnerabilities[2]: missing 'cveID'",
    ]
    path = tmp_path / "kev.csv"
    path.write_text('cveID,vendorProject,product\nCVE-1-2,v,p\n,v,p\n"CVE-1-3,v,p\n')
    entries, problems = kev(path)
    assert [e.cve for e in entries][:1] == ["CVE-1-2"]
    assert problems[0].reason == "failed to parse KEV CSV: line 3: missing cveID"
    truncated = tmp_path / "t.json"
    truncated.write_text('{"catalogVersion": "1", "vulnerabilities": [')
    assert kev(truncated)[1][0].status is StatusKind.ERROR


def test_epss_kev_nvd(data: Path) -> None:
    path = data / "epss" / "epss_kev_nvd.csv"
    assert EpssReader.detect(str(path))
    scores, problems = epss(path)
    assert problems == []
    assert len(scores) == 1556
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(s.cve, s.score, s.percentile) for s in scores] == [
        (r["CVE"], float(r["EPSS"]), float(r["EPSS Percentile"])) for r in rows
    ]
    assert min(s.score for s in scores) == 0.00253 and max(s.score for s in scores) == 0.99999
    assert {s.date for s in scores} == {None}


FIRST = """#model_version:v2023.03.01,score_date:2023-03-16T00:00:00+0000
cve,epss,percentile
CVE-1999-0001,0.01167,0.83060
CVE-1999-0002,0.04092,0.91432
CVE-1999-0003,abc,0.1
CVE-1999-0004,1.5,0.1
not-a-cve,0.1,0.1
CVE-1999-0005,0.2,
"""


def test_epss_first_daily_format(tmp_path: Path) -> None:
    plain = tmp_path / "epss_scores-2023-03-16.csv"
    plain.write_text(FIRST)
    packed = tmp_path / "epss_scores-2023-03-16.csv.gz"
    packed.write_bytes(gzip.compress(FIRST.encode()))
    for path in (plain, packed):
        assert EpssReader.detect(str(path))
        scores, problems = epss(path)
        assert [(s.cve, s.score, s.percentile, s.date) for s in scores] == [
            ("CVE-1999-0001", 0.01167, 0.8306, "2023-03-16"),
            ("CVE-1999-0002", 0.04092, 0.91432, "2023-03-16"),
            ("CVE-1999-0005", 0.2, None, "2023-03-16"),
        ]
        assert [p.reason for p in problems] == [
            "failed to parse EPSS CSV: line 5: expected a score, got 'abc'",
            "failed to parse EPSS CSV: line 6: score 1.5 outside [0, 1]",
            "failed to parse EPSS CSV: line 7: expected a CVE id, got 'not-a-cve'",
        ]


def test_epss_bad_files(tmp_path: Path) -> None:
    bad_gz = tmp_path / "x.csv.gz"
    bad_gz.write_bytes(gzip.compress(FIRST.encode())[:40])
    scores, problems = epss(bad_gz)
    assert scores == [] and problems[0].status is StatusKind.ERROR
    header = tmp_path / "y.csv"
    header.write_text("a,b,c\n1,2,3\n")
    assert not EpssReader.detect(str(header))
    scores, problems = epss(header)
    assert scores == [] and "line 1: expected 'cve,epss,percentile'" in problems[0].reason
