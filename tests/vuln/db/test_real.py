"""Importing the real snapshots in ../shared/data with the real feed readers.

Expected counts come from shared/data/README.md (which counted the files independently): Go 4,291
records, 17 withdrawn; crates.io 1,206, 13 withdrawn; PyPI 2,661, 10 withdrawn; KEV catalogVersion
2025.08.25 with 1,404 entries; the EPSS snapshot 1,556 rows.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from stockade.vuln.db import AdvisoryDB
from stockade.vuln.dbbuild import SourceSpec, build, path_checksum
from tests.conftest import SHARED
from tests.vuln.db.conftest import needs_readers

DATA = SHARED / "data"
pytestmark = [needs_readers, pytest.mark.skipif(not DATA.is_dir(), reason=f"{DATA} is missing")]


def spec(path: Path) -> SourceSpec:
    return SourceSpec(str(path), str(path), str(path), checksum=path_checksum(str(path)))


@pytest.mark.slow
def test_osv_feeds_counts_lookups_and_reimport(db_path: Path) -> None:
    paths = [DATA / "osv-go", DATA / "osv-crates", DATA / "osv-pypi"]
    reports = build(str(db_path), [spec(p) for p in paths])
    assert [(r.advisories, r.withdrawn, r.duplicates, r.replaced) for r in reports] == [
        (4291, 17, 0, False),
        (1206, 13, 0, False),
        (2661, 10, 0, False),
    ]
    assert all(r.readers == {"osv": r.advisories} for r in reports)
    with AdvisoryDB(str(db_path)) as db:
        gin = db.lookup("Go", ["github.com/gin-gonic/gin"])
        assert "GO-2020-0001" in [a.id for a in gin]
        [go1] = [a for a in gin if a.id == "GO-2020-0001"]
        assert go1.aliases == ("CVE-2020-36567", "GHSA-6vm3-jj99-7229")
        assert db.by_alias(["CVE-2020-36567"]) == {"CVE-2020-36567": ["GO-2020-0001"]}
        django = db.lookup_names("PyPI", ["Django", "DJANGO", "not-a-package"])
        assert set(django) == {"Django", "DJANGO"} and django["Django"] == django["DJANGO"]
        assert len(django["Django"]) > 50
        assert all(a.id.startswith("PYSEC-") for a in django["Django"])
        assert db.lookup("crates.io", ["openssl"])
        status = db.status()
        assert status.advisories == 4291 + 1206 + 2661
        assert status.withdrawn == 17 + 13 + 10
    first = db_path.stat().st_size
    again = build(str(db_path), [spec(DATA / "osv-go")])
    assert again[0].replaced and again[0].advisories == 4291
    with AdvisoryDB(str(db_path)) as db:
        assert db.status().advisories == 4291 + 1206 + 2661  # replaced, not added
    assert abs(db_path.stat().st_size - first) < first // 10


@pytest.mark.slow
def test_all_of_shared_data(db_path: Path) -> None:
    [report] = build(str(db_path), [spec(DATA)])  # its time: benchmarks/advisory_import.py
    assert set(report.readers) == {"alpine", "debian", "epss", "kev", "nswg", "osv", "ubuntu", "victims"}
    assert (report.kev, report.epss, report.version) == (1404, 1556, "2025.08.25")
    assert report.advisories > 25_000
    with AdvisoryDB(str(db_path)) as db:
        status = db.status()
        assert (status.kev_count, status.kev_version, status.epss_count) == (1404, "2025.08.25", 1556)
        for base in ("Alpine", "Debian", "Go", "Maven", "PyPI", "Ubuntu", "crates.io", "npm"):
            assert status.ecosystems.get(base, 0) > 100 or base == "Maven", base
        assert db.kev(["CVE-2021-44228"])["CVE-2021-44228"].vendor == "Apache"
        assert db.epss(["CVE-2021-44228"])["CVE-2021-44228"].score > 0.9
        assert db.lookup("Debian", ["openssl"]) and db.lookup("Alpine", ["openssl"])
        assert db.lookup("Maven", ["com.fasterxml.jackson.core:jackson-databind"])
        # the matcher's hot path: 10,000 packages, 500 of them with advisories, one query per ecosystem
        known = db.conn.execute(
            "SELECT DISTINCT ecosystem_base, name_norm FROM affected WHERE withdrawn = 0 "
            "ORDER BY name_norm LIMIT 500"
        ).fetchall()
        names: dict[str, list[str]] = {}
        for base, name in known:
            names.setdefault(base, []).append(name)
        for i in range(10_000 - len(known)):
            names.setdefault(("PyPI", "npm", "Debian", "Go")[i % 4], []).append(f"clean-package-{i}")
        started = time.perf_counter()
        hits = sum(len(db.lookup_names(base, group)) for base, group in names.items())
        elapsed = time.perf_counter() - started
    assert hits == len(known)
    assert elapsed < 2, f"looking up 10,000 packages took {elapsed:.2f} s (target 1 s on an idle machine)"
