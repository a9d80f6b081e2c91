"""The advisory database with records built in the tests: look-ups, replacement, merging, KEV, EPSS."""

from __future__ import annotations

import os
import sqlite3
import stat
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from stockade.errors import StoreError
from stockade.model.advisory import Advisory, Affected, AffectedState, EpssScore, KevEntry, Range, RangeType
from stockade.vuln import dbschema
from stockade.vuln.db import AdvisoryDB, NoAdvisoryDBError, resolve_path
from stockade.vuln.dbbuild import SourceSpec, build
from tests.vuln.db.helpers import FakeReader, adv

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def spec(name: str) -> SourceSpec:
    return SourceSpec(name, name, name)


def ids(advisories: list[Advisory]) -> list[str]:
    return [a.id for a in advisories]


def test_lookup_by_normalised_name_and_ecosystem_base(db_path: Path) -> None:
    read = FakeReader(
        {
            "a": [
                ("osv", adv("PYSEC-1", ("PyPI", "Foo_Bar"))),
                ("osv", adv("PYSEC-2", ("PyPI", "foo-bar"), ("PyPI", "other"))),
                ("osv", adv("GO-1", ("Go", "github.com/x/y"))),
                ("osv", adv("DEBIAN-1", ("Debian:12", "openssl"), ("Debian:11", "openssl"))),
                ("osv", adv("DEBIAN-2", ("Debian:11", "openssl"))),
            ]
        }
    )
    [report] = build(str(db_path), [spec("a")], read=read)
    assert (report.advisories, report.records, report.readers) == (5, 5, {"osv": 5})
    with AdvisoryDB(str(db_path)) as db:
        assert ids(db.lookup("PyPI", ["foo.bar"])) == ["PYSEC-1", "PYSEC-2"]
        by_name = db.lookup_names("PyPI", ["FOO_BAR", "other", "missing"])
        assert {k: ids(v) for k, v in by_name.items()} == {
            "FOO_BAR": ["PYSEC-1", "PYSEC-2"],
            "other": ["PYSEC-2"],
        }
        assert ids(db.lookup("Debian", ["openssl"])) == ["DEBIAN-1", "DEBIAN-2"]
        assert ids(db.lookup("Go", ["github.com/x/y", "github.com/x/z"])) == ["GO-1"]
        assert db.lookup("Go", ["foo-bar"]) == [] and db.lookup("npm", []) == []
        [full] = db.get(["PYSEC-2"])
        assert full == read.data["a"][1][1]  # type: ignore[index]


def test_round_trip_of_a_whole_record(db_path: Path) -> None:
    record = Advisory(
        id="GHSA-xxxx",
        source="osv",
        affected=(
            Affected(
                "Maven",
                "org.x:y",
                ranges=(
                    Range(RangeType.ECOSYSTEM, (("introduced", "1.0"), ("last_affected", "1.2"))),
                    Range(RangeType.GIT, (("introduced", "abc"), ("fixed", "def"))),
                ),
                versions=("1.0", "1.1"),
                state=AffectedState.UNFIXED,
                severity="high",
                purl="pkg:maven/org.x/y",
                extra={"imports": [{"path": "p", "symbols": ["S"]}], 7: date(2024, 1, 2)},
            ),
        ),
        aliases=("CVE-2024-1",),
        related=("CVE-2024-2",),
        summary="s",
        details="d\u00e9tails",
        published="2024-01-01T00:00:00Z",
        modified="2024-02-01T00:00:00Z",
        severity=(("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),),
        severity_label="HIGH",
        references=("https://example.org/a",),
        extra={"github_reviewed": True, "when": datetime(2024, 1, 1, tzinfo=UTC)},
    )
    build(str(db_path), [spec("a")], read=FakeReader({"a": [("osv", record)]}))
    with AdvisoryDB(str(db_path)) as db:
        [back] = db.lookup("Maven", ["org.x:y"])
    assert back == record  # extra is not compared by ==: check it separately
    assert back.affected[0].extra == {"imports": [{"path": "p", "symbols": ["S"]}], "7": "2024-01-02"}
    assert back.extra == {"github_reviewed": True, "when": "2024-01-01T00:00:00+00:00"}


def test_withdrawn_are_stored_but_not_returned_by_default(db_path: Path) -> None:
    read = FakeReader(
        {
            "a": [
                ("osv", adv("PYSEC-1", ("PyPI", "x"))),
                ("osv", adv("PYSEC-2", ("PyPI", "x"), withdrawn="2024-05-01")),
            ]
        }
    )
    [report] = build(str(db_path), [spec("a")], read=read)
    assert (report.advisories, report.withdrawn) == (2, 1)
    with AdvisoryDB(str(db_path)) as db:
        assert ids(db.lookup("PyPI", ["x"])) == ["PYSEC-1"]
        assert ids(db.lookup("PyPI", ["x"], include_withdrawn=True)) == ["PYSEC-1", "PYSEC-2"]
        status = db.status()
        assert (status.advisories, status.withdrawn) == (2, 1)
        assert db.get(["PYSEC-2"])[0].withdrawn == "2024-05-01"


def test_reimport_replaces_the_source_and_sources_merge(db_path: Path) -> None:
    path = str(db_path)
    first = FakeReader(
        {
            "a": [("osv", adv(f"A-{i}", ("PyPI", "x"))) for i in range(3)],
            "b": [("osv", adv("B-1", ("PyPI", "x")))],
        }
    )
    build(path, [spec("a"), spec("b")], read=first)
    second = FakeReader({"a": [("osv", adv("A-0", ("PyPI", "x"))), ("osv", adv("A-9", ("PyPI", "y")))]})
    [report] = build(path, [spec("a")], read=second)
    assert report.replaced and not report.kept_previous
    with AdvisoryDB(path) as db:
        assert ids(db.lookup("PyPI", ["x"])) == ["A-0", "B-1"]  # gone; B untouched; no duplicates
        assert ids(db.lookup("PyPI", ["y"])) == ["A-9"]
        status = db.status()
        assert [(s.name, s.advisories) for s in status.sources] == [("a", 2), ("b", 1)]
        assert status.advisories == 3
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*) FROM affected").fetchone()[0] == 3
    assert (
        conn.execute(
            "SELECT count(*) FROM aliases WHERE advisory NOT IN (SELECT id FROM advisories)"
        ).fetchone()[0]
        == 0
    )
    conn.close()


def test_same_advisory_in_two_sources_is_returned_once_newest_wins(db_path: Path) -> None:
    path = str(db_path)
    old = adv("GHSA-1", ("PyPI", "x"), modified="2024-01-01T00:00:00Z", summary="old")
    new = adv("GHSA-1", ("PyPI", "x"), ("PyPI", "z"), modified="2024-06-01T00:00:00Z", summary="new")
    build(path, [spec("b"), spec("a")], read=FakeReader({"a": [("osv", old)], "b": [("osv", new)]}))
    with AdvisoryDB(path) as db:
        assert [a.summary for a in db.lookup("PyPI", ["x", "z"])] == ["new"]
        assert [a.summary for a in db.lookup("PyPI", ["z"])] == ["new"]
        assert db.status().advisories == 1
    # the same modified time: the later import wins
    same = adv("GHSA-1", ("PyPI", "x"), modified="2024-06-01T00:00:00Z", summary="later")
    build(path, [spec("c")], read=FakeReader({"c": [("osv", same)]}))
    with AdvisoryDB(path) as db:
        assert [a.summary for a in db.lookup("PyPI", ["x"])] == ["later"]
        assert db.lookup("PyPI", ["z"]) == []  # the winner does not name z
    # the same id from another feed is another advisory
    other = adv("GHSA-1", ("PyPI", "x"), source="nswg", summary="nswg")
    build(path, [spec("d")], read=FakeReader({"d": [("nswg", other)]}))
    with AdvisoryDB(path) as db:
        assert sorted(a.summary for a in db.lookup("PyPI", ["x"])) == ["later", "nswg"]


def test_duplicates_inside_one_source_keep_the_newest(db_path: Path) -> None:
    records = [
        ("osv", adv("X-1", ("PyPI", "a"), modified="2024-01-01T00:00:00Z", withdrawn="2024-01-01")),
        ("osv", adv("X-1", ("PyPI", "b"), modified="2024-03-01T00:00:00Z")),
        ("osv", adv("X-1", ("PyPI", "c"), modified="2024-02-01T00:00:00Z")),
    ]
    [report] = build(str(db_path), [spec("a")], read=FakeReader({"a": records}))
    assert (report.advisories, report.duplicates, report.withdrawn) == (1, 2, 0)
    assert report.newest_modified == "2024-03-01T00:00:00Z"
    with AdvisoryDB(str(db_path)) as db:
        assert [ids(db.lookup("PyPI", [n])) for n in "abc"] == [[], ["X-1"], []]


def test_empty_or_failing_source_keeps_previous_records(db_path: Path) -> None:
    path = str(db_path)
    build(
        path,
        [spec("a"), spec("b")],
        read=FakeReader(
            {"a": [("osv", adv("A-1", ("PyPI", "x")))], "b": [("osv", adv("B-1", ("PyPI", "x")))]}
        ),
    )
    read = FakeReader({"a": [], "b": [("osv", adv("B-2", ("PyPI", "x"))), RuntimeError("reader bug")]})
    reports = build(path, [spec("a"), spec("b")], read=read)
    assert [(r.records, r.kept_previous) for r in reports] == [(0, True), (0, True)]
    assert "no advisory, KEV or EPSS records found" in reports[0].problems[0].reason
    assert "reading failed: RuntimeError: reader bug" in reports[1].problems[0].reason
    with AdvisoryDB(path) as db:
        assert ids(db.lookup("PyPI", ["x"])) == ["A-1", "B-1"]


def test_nothing_imported_creates_no_database(db_path: Path) -> None:
    [report] = build(str(db_path), [spec("a")], read=FakeReader({}))
    assert report.records == 0 and not report.kept_previous
    assert not db_path.exists() and not Path(str(db_path) + ".new").exists()
    with pytest.raises(NoAdvisoryDBError, match="no advisory database at"):
        AdvisoryDB(str(db_path))


def test_aliases_kev_and_epss(db_path: Path, tmp_path: Path) -> None:
    path = str(db_path)
    kev_file = tmp_path / "known_exploited_vulnerabilities.json"
    kev_file.write_text('{\n  "title": "CISA",\n  "catalogVersion": "2025.08.25",\n  "vulnerabilities": []}')
    read = FakeReader(
        {
            "osv": [
                ("osv", adv("PYSEC-1", ("PyPI", "x"), aliases=["CVE-2024-1", "GHSA-1"])),
                ("osv", adv("GHSA-1", ("PyPI", "x"), aliases=["CVE-2024-1"])),
            ],
            str(kev_file): [
                ("kev", KevEntry("CVE-2024-1", "V", "P", "n", "2024-02-01", "2024-03-01", True, "")),
                ("kev", KevEntry("CVE-2024-2", "V", "Q", date_added="2024-05-01")),
            ],
            "epss-old": [("epss", EpssScore("CVE-2024-1", 0.5, 0.9, "2024-01-01"))],
            "epss-new": [
                ("epss", EpssScore("CVE-2024-1", 0.7, 0.95, "2024-02-01")),
                ("epss", EpssScore("CVE-2024-3", 0.1, None, "2024-02-01")),
            ],
        }
    )
    reports = build(path, [spec("osv"), spec(str(kev_file)), spec("epss-new"), spec("epss-old")], read=read)
    assert [r.version for r in reports] == [None, "2025.08.25", "2024-02-01", "2024-01-01"]
    with AdvisoryDB(path) as db:
        assert db.by_alias(["CVE-2024-1", "GHSA-1", "CVE-9"]) == {
            "CVE-2024-1": ["GHSA-1", "PYSEC-1"],
            "GHSA-1": ["GHSA-1", "PYSEC-1"],
        }
        kev = db.kev(["CVE-2024-1", "CVE-2024-2", "CVE-2024-9"])
        assert kev["CVE-2024-1"] == KevEntry(
            "CVE-2024-1", "V", "P", "n", "2024-02-01", "2024-03-01", True, ""
        )
        assert set(kev) == {"CVE-2024-1", "CVE-2024-2"}
        epss = db.epss(["CVE-2024-1", "CVE-2024-3"])
        assert epss == {
            "CVE-2024-1": EpssScore("CVE-2024-1", 0.7, 0.95, "2024-02-01"),
            "CVE-2024-3": EpssScore("CVE-2024-3", 0.1, None, "2024-02-01"),
        }
        status = db.status()
        assert (status.kev_count, status.kev_version, status.kev_newest) == (2, "2025.08.25", "2024-05-01")
        assert (status.epss_count, status.epss_date) == (2, "2024-02-01")
        assert status.ecosystems == {"PyPI": 2}


def test_status_reports_sources_problems_and_times(db_path: Path) -> None:
    from stockade.model.status import Status, StatusKind

    class Reader(FakeReader):
        def __call__(self, path: str, problems: list[Status]):  # type: ignore[no-untyped-def]
            problems.append(
                Status("feed/osv", StatusKind.ERROR, "failed to parse OSV record: line 3", "f.json")
            )
            yield from super().__call__(path, problems)

    records = [("osv", adv("A-1", ("PyPI", "x"), modified="2024-04-01T00:00:00Z"))]
    build(
        str(db_path),
        [SourceSpec("a", "/data/a", "a", checksum="sha256:00")],
        read=Reader({"a": records}),
        clock=lambda: T0,
    )
    with AdvisoryDB(str(db_path)) as db:
        status = db.status()
    [source] = status.sources
    assert (source.location, source.imported_at, source.problems, source.checksum) == (
        "/data/a",
        "2025-03-01T12:00:00+00:00",
        1,
        "sha256:00",
    )
    assert source.problem_list == [
        {
            "plugin": "feed/osv",
            "status": "error",
            "reason": "failed to parse OSV record: line 3",
            "path": "f.json",
        }
    ]
    assert (status.built_at, status.schema, source.newest_modified) == (
        T0.isoformat(),
        1,
        "2024-04-01T00:00:00Z",
    )
    assert status.size == os.path.getsize(db_path) > 0


def test_file_modes_and_paths(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    db_path = tmp_path / "deep" / "er" / "advisories.db"
    for name in "ab":
        build(str(db_path), [spec(name)], read=FakeReader({name: [("osv", adv("A-1", ("PyPI", "x")))]}))
        assert stat.S_IMODE(os.stat(db_path).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(str(db_path) + ".lock").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(db_path.parent).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(db_path.parent.parent).st_mode) == 0o700
    monkeypatch.setenv("STOCKADE_ADVISORY_DB", str(tmp_path / "env.db"))
    assert resolve_path(None) == str(tmp_path / "env.db")
    assert resolve_path("~/x.db") == os.path.expanduser("~/x.db")
    monkeypatch.delenv("STOCKADE_ADVISORY_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert resolve_path(None) == str(tmp_path / "xdg" / "stockade" / "advisories.db")


def test_foreign_and_newer_databases_are_refused_untouched(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign.db"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    before = foreign.read_bytes()
    read = FakeReader({"a": [("osv", adv("A-1", ("PyPI", "x")))]})
    with pytest.raises(StoreError, match="other tables"):
        build(str(foreign), [spec("a")], read=read)
    with pytest.raises(StoreError, match="not a stockade advisory database"):
        AdvisoryDB(str(foreign))
    assert foreign.read_bytes() == before
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreError, match="not a readable advisory database"):
        build(str(junk), [spec("a")], read=read)
    newer = tmp_path / "newer.db"
    build(str(newer), [spec("a")], read=read)
    conn = sqlite3.connect(newer)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(StoreError, match="schema version 99 was written by a newer stockade"):
        AdvisoryDB(str(newer))


def test_a_schema_upgrade_is_part_of_a_build(db_path: Path) -> None:
    path = str(db_path)
    build(path, [spec("a")], read=FakeReader({"a": [("osv", adv("A-1", ("PyPI", "x")))]}))
    v2 = (
        *dbschema.MIGRATIONS,
        dbschema.Migration(2, "test", ("ALTER TABLE advisories ADD COLUMN extra TEXT",)),
    )
    build(path, [spec("b")], read=FakeReader({"b": [("osv", adv("B-1", ("PyPI", "x")))]}), migrations=v2)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
    assert conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()[0] == "2"
    assert [r[0] for r in conn.execute("SELECT advisory_id FROM advisories ORDER BY 1")] == ["A-1", "B-1"]
    conn.close()


def test_an_older_schema_is_upgraded_when_opened(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = str(db_path)
    build(path, [spec("a")], read=FakeReader({"a": [("osv", adv("A-1", ("PyPI", "x")))]}))
    v2 = (
        *dbschema.MIGRATIONS,
        dbschema.Migration(2, "test", ("ALTER TABLE advisories ADD COLUMN extra TEXT",)),
    )
    monkeypatch.setattr(dbschema, "MIGRATIONS", v2)
    monkeypatch.setattr(dbschema, "LATEST", 2)
    with AdvisoryDB(path) as db:
        assert ids(db.lookup("PyPI", ["x"])) == ["A-1"]
        assert db.status().schema == 2
