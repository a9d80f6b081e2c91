"""Schema versions: a v1 database (made here by hand, as stockade with schema 1 wrote it) is upgraded in
one transaction; a newer one is refused untouched."""

from __future__ import annotations

import json
import sqlite3
import zlib
from pathlib import Path
from typing import Any

import pytest

from stockade.errors import StoreError
from stockade.model.result import ScanResult
from stockade.store import migrations
from stockade.store.migrations import LATEST, MIGRATIONS, Migration
from stockade.store.restore import result_from_dict
from stockade.store.sqlite import SqliteStore

# The v1 schema exactly as shipped; never change this copy (it is what old databases contain).
V1_DDL = """
CREATE TABLE workloads (
    target_id  TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    name       TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen  TEXT NOT NULL
);
CREATE INDEX workloads_name ON workloads (name);
CREATE TABLE scans (
    id           INTEGER PRIMARY KEY,
    scan_id      TEXT NOT NULL UNIQUE,
    target_id    TEXT NOT NULL REFERENCES workloads (target_id) ON DELETE CASCADE,
    started      TEXT NOT NULL,
    finished     TEXT NOT NULL,
    tool_version TEXT NOT NULL,
    packages     INTEGER NOT NULL,
    findings     INTEGER NOT NULL,
    problems     INTEGER NOT NULL,
    result       BLOB NOT NULL
);
CREATE INDEX scans_target ON scans (target_id, finished);
CREATE TABLE packages (
    scan        INTEGER NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
    purl        TEXT NOT NULL,
    name        TEXT NOT NULL,
    version     TEXT NOT NULL,
    type        TEXT NOT NULL,
    ecosystem   TEXT NOT NULL,
    found_by    TEXT NOT NULL,
    source_name TEXT
);
CREATE INDEX packages_scan ON packages (scan);
CREATE INDEX packages_ecosystem_name ON packages (ecosystem, name);
CREATE INDEX packages_purl ON packages (purl);
CREATE TABLE findings (
    scan     INTEGER NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
    id       TEXT NOT NULL,
    kind     TEXT NOT NULL,
    severity TEXT NOT NULL,
    title    TEXT NOT NULL,
    package  TEXT
);
CREATE INDEX findings_scan ON findings (scan);
CREATE INDEX findings_package ON findings (package);
CREATE TABLE statuses (
    scan   INTEGER NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
    plugin TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL,
    path   TEXT
);
CREATE INDEX statuses_scan ON statuses (scan);
PRAGMA application_id = 1398033220;
PRAGMA user_version = 1;
"""


def write_v1(path: Path, results: list[ScanResult], damaged: bool = False) -> None:
    """A v1 database holding ``results``, written the way schema-1 stockade wrote them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.executescript(V1_DDL)
    for result in results:
        t = result.target
        started, finished = result.started.isoformat(), result.finished.isoformat()
        conn.execute(
            "INSERT INTO workloads VALUES (?, ?, ?, ?, ?) ON CONFLICT (target_id) DO UPDATE SET "
            "last_seen = excluded.last_seen",
            (t.id, t.kind.value, t.name, started, finished),
        )
        blob = zlib.compress(json.dumps(result.to_dict()).encode())
        if damaged:
            blob = blob[:20]
        cur = conn.execute(
            "INSERT INTO scans (scan_id, target_id, started, finished, tool_version, packages, findings, "
            "problems, result) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                result.scan_id,
                t.id,
                started,
                finished,
                result.tool_version,
                len(result.inventory.packages),
                len(result.findings),
                sum(1 for s in result.statuses if s.is_problem),
                blob,
            ),
        )
        conn.executemany(
            "INSERT INTO packages VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (cur.lastrowid, p.purl, p.name, p.version, p.type, p.ecosystem, p.found_by, p.source_name)
                for p in result.inventory.packages
            ],
        )
        conn.executemany(
            "INSERT INTO statuses VALUES (?, ?, ?, ?, ?)",
            [(cur.lastrowid, s.plugin, s.status.value, s.reason, s.path) for s in result.statuses],
        )
    conn.commit()
    conn.close()


def schema(path: Path) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
    finally:
        conn.close()


def header(path: Path) -> tuple[int, int]:
    conn = sqlite3.connect(path)
    try:
        return migrations.header(conn)
    finally:
        conn.close()


def test_migrations_are_numbered_in_order() -> None:
    assert [m.version for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))
    assert LATEST == len(MIGRATIONS) >= 2


def test_v1_database_is_upgraded(scan: Any, db: Path) -> None:
    old, older = scan("a1a1a1a1a1a1", 10), scan("b2b2b2b2b2b2", 0)
    write_v1(db, [old, older])
    assert header(db) == (migrations.APPLICATION_ID, 1)

    with SqliteStore(str(db)) as store:
        assert header(db)[1] == LATEST
        [workload] = store.workloads()
        assert (workload.scans, workload.last_scan_id, workload.packages) == (2, "a1a1a1a1a1a1", 8)
        doc = store.result("a1a1a1a1a1a1")
        assert doc is not None and result_from_dict(doc).to_dict() == old.to_dict()
        # the v2 columns are filled from the stored results
        got = store.conn.execute(
            "SELECT s.scan_id, s.os_id, s.os_version_id, p.source_version FROM packages p "
            "JOIN scans s ON s.id = p.scan WHERE p.name = 'bash' ORDER BY s.scan_id"
        ).fetchall()
        assert got == [
            ("a1a1a1a1a1a1", "debian", "12", "5.2.15-2"),
            ("b2b2b2b2b2b2", "debian", "12", "5.2.15-2"),
        ]
        pypi = store.conn.execute(
            "SELECT count(*) FROM packages WHERE type = 'pypi' AND source_version IS NULL"
        )
        assert pypi.fetchone()[0] == 4  # click and platformdirs have no source package, in both scans
        # and the upgraded database records like a new one
        store.record(scan("c3c3c3c3c3c3", 20))
        assert store.workloads()[0].scans == 3
    assert {r[1] for r in schema(db)} >= {"packages_ecosystem_source", "packages_purl", "scans_target"}
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.close()


def test_damaged_result_does_not_block_the_upgrade(scan: Any, db: Path) -> None:
    write_v1(db, [scan("d4d4d4d4d4d4")], damaged=True)
    with SqliteStore(str(db)) as store:
        assert store.workloads()[0].last_scan_id == "d4d4d4d4d4d4"
        assert store.conn.execute("SELECT os_id FROM scans").fetchall() == [(None,)]
        with pytest.raises(StoreError, match="scan d4d4d4d4d4d4: stored result is damaged"):
            store.result("d4d4d4d4d4d4")
    assert header(db)[1] == LATEST


def test_failed_upgrade_changes_nothing(scan: Any, db: Path) -> None:
    write_v1(db, [scan("e5e5e5e5e5e5")])
    before = schema(db)
    broken = (*MIGRATIONS, Migration(LATEST + 1, "broken", ("CREATE TABLE later (x TEXT)", "SELEC nonsense")))
    conn = sqlite3.connect(db, isolation_level=None)
    with pytest.raises(sqlite3.OperationalError):
        migrations.migrate(conn, str(db), broken)
    assert not conn.in_transaction
    conn.close()
    assert schema(db) == before  # not even migration 2 (which succeeded) is kept
    assert header(db) == (migrations.APPLICATION_ID, 1)


def test_failed_upgrade_through_the_store(scan: Any, db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_v1(db, [scan("f6f6f6f6f6f6")])
    before = schema(db)

    def fail(conn: sqlite3.Connection) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(
        migrations, "MIGRATIONS", (MIGRATIONS[0], Migration(2, "x", MIGRATIONS[1].statements, fail))
    )
    with pytest.raises(StoreError, match="cannot upgrade the inventory schema: disk I/O error"):
        SqliteStore(str(db))
    assert schema(db) == before and header(db)[1] == 1


def test_newer_database_is_refused_untouched(scan: Any, db: Path) -> None:
    with SqliteStore(str(db)) as store:
        store.record(scan("a7a7a7a7a7a7"))
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {LATEST + 3}")
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    before = db.read_bytes()
    with pytest.raises(StoreError) as info:
        SqliteStore(str(db))
    message = info.value.message
    assert f"schema version {LATEST + 3}" in message and f"up to {LATEST}" in message
    assert "newer stockade" in message and "upgrade stockade" in info.value.diagnostics()
    assert db.read_bytes() == before  # not even switched to WAL
    assert sorted(p.name for p in db.parent.iterdir()) == [db.name]


def test_empty_file_is_initialised(db: Path) -> None:
    db.parent.mkdir(parents=True)
    db.touch(mode=0o600)
    SqliteStore(str(db)).close()
    assert header(db) == (migrations.APPLICATION_ID, LATEST)
