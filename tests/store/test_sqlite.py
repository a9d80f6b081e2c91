from __future__ import annotations

import os
import shutil
import sqlite3
import stat
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from stockade.errors import InputError, StoreError
from stockade.model.status import Status, StatusKind
from stockade.store.migrations import APPLICATION_ID, LATEST
from stockade.store.sqlite import SqliteStore


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def query(db: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def copy_rootfs(src: str | None, dest: Path) -> Path:
    assert src is not None
    shutil.copytree(src, dest)
    return dest


@pytest.fixture
def recorded(scan: Any, db: Path, tmp_path: Path) -> dict[str, Any]:
    """Three real scans of two workloads, recorded out of time order."""
    first, second = scan("c0ffee01aaaa", 0), scan("c0ffee02bbbb", 10)
    other = scan("d00d0001cccc", 5, root=copy_rootfs(first.target.path, tmp_path / "other"))
    with SqliteStore(str(db)) as store:
        for result in (second, other, first):
            store.record(result)
    return {"first": first, "second": second, "other": other}


def test_workloads_lists_latest_scan_of_each(recorded: dict[str, Any], db: Path) -> None:
    first, second, other = recorded["first"], recorded["second"], recorded["other"]
    with SqliteStore(str(db)) as store:
        listed = store.workloads()
    assert [w.target_id for w in listed] == [
        t.id for t in sorted((first.target, other.target), key=lambda t: (t.name, t.id))
    ]
    mine = next(w for w in listed if w.target_id == first.target.id)
    assert (mine.kind, mine.name, mine.scans, mine.last_scan_id) == (
        "rootfs",
        first.target.name,
        2,
        "c0ffee02bbbb",
    )
    assert mine.last_scanned == second.finished
    assert mine.packages == len(second.inventory.packages) == 8
    assert mine.findings == 0
    assert mine.problems == sum(1 for s in second.statuses if s.is_problem) > 0
    assert mine.to_dict()["last_scanned"] == "2025-03-01T12:10:00+00:00"
    theirs = next(w for w in listed if w.target_id == other.target.id)
    assert (theirs.scans, theirs.last_scan_id) == (1, "d00d0001cccc")


FIND = [
    ("target id", lambda r: r["first"].target.id, "first"),
    ("name", lambda r: r["first"].target.name, "first"),
    ("older scan id", lambda r: "c0ffee01aaaa", "first"),
    ("latest scan id", lambda r: "c0ffee02bbbb", "first"),
    ("6-char prefix", lambda r: "d00d00", "other"),
    ("8-char prefix", lambda r: "c0ffee01", "first"),
    ("5-char prefix is no scan id", lambda r: "d00d0", None),
    ("unknown", lambda r: "no-such-thing", None),
    ("case matters", lambda r: "D00D0001CCCC", None),
]


@pytest.mark.parametrize(("case", "ident", "expected"), FIND, ids=[c[0] for c in FIND])
def test_find(recorded: dict[str, Any], db: Path, case: str, ident: Any, expected: str | None) -> None:
    with SqliteStore(str(db)) as store:
        found = store.find(ident(recorded))
    if expected is None:
        assert found is None
    else:
        assert found is not None
        assert found.target_id == recorded[expected].target.id
        assert found.last_scan_id == ("c0ffee02bbbb" if expected == "first" else "d00d0001cccc")


def test_find_ambiguous_prefix_lists_candidates(recorded: dict[str, Any], db: Path) -> None:
    with SqliteStore(str(db)) as store, pytest.raises(InputError) as info:
        store.find("c0ffee0")
    assert "c0ffee01aaaa" in info.value.message and "c0ffee02bbbb" in info.value.message
    assert info.value.exit_code == 2


def test_find_ambiguous_name_lists_target_ids(scan: Any, db: Path, tmp_path: Path) -> None:
    a = scan("e0000001aaaa")
    b = scan("e0000002bbbb", root=copy_rootfs(a.target.path, tmp_path / "b"))
    b = replace(b, target=replace(b.target, name=a.target.name))  # same name, different workload
    with SqliteStore(str(db)) as store:
        store.record(a)
        store.record(b)
        with pytest.raises(InputError) as info:
            store.find(a.target.name)
        assert a.target.id in info.value.message and b.target.id in info.value.message
        assert store.find(b.target.id) is not None  # the target id still resolves


def test_result_by_id_and_prefix(recorded: dict[str, Any], db: Path) -> None:
    with SqliteStore(str(db)) as store:
        assert store.result("c0ffee01aaaa") == recorded["first"].to_dict()
        assert store.result("c0ffee01") == recorded["first"].to_dict()
        assert store.result("c0ffee0") is None  # ambiguous
        assert store.result("nope") is None


def test_rerecording_a_scan_replaces_it(recorded: dict[str, Any], db: Path) -> None:
    before = query(db, "SELECT count(*) FROM packages")[0][0]
    with SqliteStore(str(db)) as store:
        store.record(recorded["first"])
        assert store.find("c0ffee01aaaa").scans == 2  # type: ignore[union-attr]
    assert query(db, "SELECT count(*) FROM packages")[0][0] == before == 24
    assert query(db, "SELECT count(*) FROM statuses")[0][0] == 3 * len(recorded["first"].statuses)


def test_packages_are_queryable_without_json(recorded: dict[str, Any], db: Path) -> None:
    got = query(
        db,
        "SELECT s.scan_id, p.version, p.source_name, p.source_version, s.os_id, s.os_version_id "
        "FROM packages p JOIN scans s ON s.id = p.scan WHERE p.ecosystem = ? AND p.name = ? "
        "ORDER BY s.scan_id",
        ("Debian", "bash"),
    )
    assert got == [
        (sid, "5.2.15-2+b8", "bash", "5.2.15-2", "debian", "12")
        for sid in sorted(("c0ffee01aaaa", "c0ffee02bbbb", "d00d0001cccc"))
    ]
    purl = next(p.purl for p in recorded["first"].inventory.packages if p.name == "click")
    assert query(
        db, "SELECT name, version, type, found_by FROM packages WHERE purl = ? LIMIT 1", (purl,)
    ) == [("click", "8.5.1", "pypi", "lang/python")]
    for sql in (
        "SELECT * FROM packages WHERE ecosystem = 'Debian' AND name = 'bash'",
        "SELECT * FROM packages WHERE purl = 'x'",
        "SELECT * FROM packages WHERE ecosystem = 'Debian' AND source_name = 'openssl'",
    ):
        plan = " ".join(str(r[-1]) for r in query(db, "EXPLAIN QUERY PLAN " + sql))
        assert "USING INDEX" in plan, plan


def test_file_settings_and_permissions(scan: Any, db: Path) -> None:
    assert not db.parent.parent.exists()
    with SqliteStore(str(db)) as store:
        store.record(scan("f00000000001"))
        assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert store.conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        assert store.conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
        for extra in ("-wal", "-shm"):  # SQLite gives them the database file's mode
            side = Path(str(db) + extra)
            assert side.exists() and mode(side) == 0o600, extra
    assert mode(db) == 0o600
    assert mode(db.parent) == 0o700 and mode(db.parent.parent) == 0o700
    assert sorted(p.name for p in db.parent.iterdir()) == ["inventory.db"]  # the WAL is gone after close
    assert query(db, "PRAGMA journal_mode") == [("wal",)]
    assert query(db, "PRAGMA user_version") == [(LATEST,)]
    assert query(db, "PRAGMA application_id") == [(APPLICATION_ID,)]


def test_existing_permissions_are_left_alone(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    SqliteStore(str(tmp_path / "x.db")).close()
    assert mode(tmp_path) == 0o755 and mode(tmp_path / "x.db") == 0o600


def test_undecodable_file_names_are_stored(scan: Any, db: Path) -> None:
    result = scan("f00000000002")
    bad = Status("walk", StatusKind.SKIPPED, "unreadable: /srv/caf\udce9", path="/srv/caf\udce9")
    result = replace(result, statuses=(*result.statuses, bad))
    with SqliteStore(str(db)) as store:
        store.record(result)
        doc = store.result(result.scan_id)
    assert doc is not None and doc["statuses"][-1]["path"] == "/srv/caf\udce9"
    assert query(db, "SELECT path FROM statuses WHERE plugin = 'walk'") == [("/srv/caf\\udce9",)]


def test_record_1000_packages_five_times(scan: Any, db: Path) -> None:
    """Five 1,000-package scans, every row kept (timings: benchmarks/store_record.py)."""
    result = scan("f00000000003")
    real = result.inventory.packages
    packages = tuple(
        replace(p, name=f"{p.name}-{i}", purl=p.purl.replace(p.name, f"{p.name}-{i}", 1))
        for i, p in ((i, real[i % len(real)]) for i in range(1000))
    )
    big = replace(result, inventory=replace(result.inventory, packages=packages))
    with SqliteStore(str(db)) as store:
        for n in range(5):
            store.record(replace(big, scan_id=f"f0000000100{n}"))
    assert query(db, "SELECT count(*) FROM packages")[0][0] == 5000
    assert query(db, "SELECT count(DISTINCT purl) FROM packages")[0][0] == 1000


def test_close_twice_and_use_after_close(db: Path) -> None:
    store = SqliteStore(str(db))
    store.close()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.workloads()


def test_memory_store(scan: Any) -> None:
    with SqliteStore(":memory:") as store:
        store.record(scan("f00000000004"))
        assert [w.scans for w in store.workloads()] == [1]


# ---- files that are not (usable) inventories: a clear StoreError, and the file is left as it was ----


def test_not_a_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are my notes, not a database\n" * 200)
    before = path.read_bytes()
    with pytest.raises(StoreError) as info:
        SqliteStore(str(path))
    assert info.value.message == f"{path}: not a SQLite database"
    assert info.value.diagnostics()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.db"]


def test_corrupt_database(recorded: dict[str, Any], db: Path) -> None:
    data = bytearray(db.read_bytes())
    page = query(db, "PRAGMA page_size")[0][0]
    assert len(data) > 4 * page
    for offset in range(page, len(data), page):  # every page but the header page
        data[offset : offset + 64] = b"\xa5" * 64
    db.write_bytes(bytes(data))
    with pytest.raises(StoreError) as info, SqliteStore(str(db)) as store:
        store.workloads()
    assert info.value.message.startswith(f"{db}: the inventory database is corrupt (")
    assert "\n" not in info.value.message


def test_truncated_database(recorded: dict[str, Any], db: Path) -> None:
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 3])
    with pytest.raises(StoreError, match="corrupt"), SqliteStore(str(db)) as store:
        store.workloads()
        store.result("c0ffee01aaaa")


def test_foreign_sqlite_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "places.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="not a stockade inventory"):
        SqliteStore(str(path))
    assert path.read_bytes() == before


def test_foreign_application_id_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA application_id = 1234")
    conn.close()
    with pytest.raises(StoreError, match=r"application_id 0x4d2"):
        SqliteStore(str(path))


BAD_PATHS = [
    ("a directory", lambda t: str(t), "is a directory"),
    ("below a file", lambda t: str(_file(t) / "x.db"), "Not a directory"),
    ("below a file, deeper", lambda t: str(_file(t) / "d" / "x.db"), "Not a directory"),
    ("in /proc", lambda t: "/proc/no-such-pid/x.db", "cannot create directory /proc/no-such-pid"),
    ("a device", lambda t: "/dev/null", "not a regular file"),
]


def _file(tmp_path: Path) -> Path:
    path = tmp_path / "plain"
    path.write_text("x")
    return path


@pytest.mark.parametrize(("case", "make", "message"), BAD_PATHS, ids=[c[0] for c in BAD_PATHS])
def test_unusable_paths(tmp_path: Path, case: str, make: Any, message: str) -> None:
    with pytest.raises(StoreError, match=message) as info:
        SqliteStore(make(tmp_path))
    assert info.value.diagnostics()


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_unwritable_directory(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    with pytest.raises(StoreError, match="cannot create the inventory database: Permission denied"):
        SqliteStore(str(locked / "x.db"))


def test_missing_file_without_create(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no inventory database here yet"):
        SqliteStore(str(tmp_path / "x.db"), create=False)
    assert list(tmp_path.iterdir()) == []


def test_undecodable_target_path(scan: Any, db: Path, tmp_path: Path) -> None:
    root = os.fsdecode(str(tmp_path).encode() + b"/caf\xe9")  # a directory name that is not UTF-8
    result = scan("f00000000005", root=copy_rootfs(str(scan("x").target.path), Path(root)))
    assert "\udce9" in result.target.id
    with SqliteStore(str(db)) as store:
        store.record(result)
        found = store.find(result.target.id)
        assert found is not None and found.scans == 1 and found.packages == 8
        assert store.find(result.target.name) == found
        assert store.result("f00000000005") == result.to_dict()
