"""Crash safety and concurrency, with real processes (tests/store/recorder.py)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from stockade.store.migrations import LATEST, decode_result
from stockade.store.sqlite import SqliteStore

RECORDER = str(Path(__file__).with_name("recorder.py"))
CRASH_EXIT = 17


def run(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, RECORDER, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def check_consistent(db: Path) -> list[str]:
    """Integrity, foreign keys, and every scan complete: its child rows match its counts and its result.
    Returns the recorded scan ids."""
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        scans = conn.execute("SELECT id, scan_id, packages, result FROM scans ORDER BY scan_id").fetchall()
        for rowid, scan_id, packages, blob in scans:
            stored = conn.execute("SELECT count(*) FROM packages WHERE scan = ?", (rowid,)).fetchone()[0]
            statuses = conn.execute("SELECT count(*) FROM statuses WHERE scan = ?", (rowid,)).fetchone()[0]
            doc = decode_result(blob)
            assert stored == packages == len(doc["inventory"]["packages"]), scan_id
            assert statuses == len(doc["statuses"]) > 0, scan_id
        orphans = conn.execute("SELECT count(*) FROM packages WHERE scan NOT IN (SELECT id FROM scans)")
        assert orphans.fetchone()[0] == 0
        return [s[1] for s in scans]
    finally:
        conn.close()


def test_exit_inside_record_keeps_earlier_scans(rootfs: Path, db: Path) -> None:
    proc = run("crash", str(db), str(rootfs))
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == CRASH_EXIT, err
    assert check_consistent(db) == ["11111111aaaa"]
    with SqliteStore(str(db)) as store:
        [workload] = store.workloads()
        assert (workload.scans, workload.last_scan_id, workload.packages) == (1, "11111111aaaa", 8)
        assert store.find("22222222bbbb") is None
        doc = store.result("11111111aaaa")
        assert doc is not None and len(doc["inventory"]["packages"]) == 8


def test_sigkill_while_recording(rootfs: Path, db: Path) -> None:
    proc = run("loop", str(db), str(rootfs), "k")
    assert proc.stdout is not None
    printed = [proc.stdout.readline().strip() for _ in range(5)]
    assert all(printed), proc.stderr.read() if proc.stderr else ""
    time.sleep(0.013)  # land somewhere inside a later record() (each takes ~10-30 ms)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    recorded = check_consistent(db)
    assert recorded[: len(printed)] == printed  # every committed scan survived
    with SqliteStore(str(db)) as store:  # and the store opens and records after the crash
        assert store.workloads()[0].scans == len(recorded)


def test_concurrent_recording(rootfs: Path, db: Path, tmp_path: Path, scan: Any) -> None:
    import shutil

    other = tmp_path / "other"
    shutil.copytree(rootfs, other)
    start = str(time.time() + 1.0)  # both begin together, on a database neither has created yet
    procs = [
        run("many", str(db), str(root), prefix, "15", start) for root, prefix in ((rootfs, "a"), (other, "b"))
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    recorded = check_consistent(db)
    assert recorded == [f"a{n:04d}" for n in range(15)] + [f"b{n:04d}" for n in range(15)]
    with SqliteStore(str(db)) as store:
        assert sorted(w.scans for w in store.workloads()) == [15, 15]
    assert os.stat(db).st_mode & 0o777 == 0o600


def test_racing_to_create_a_database(tmp_path: Path) -> None:
    """Four processes open each of 80 new databases at the same moment.  Two bugs this caught: the
    switch to WAL failing at once with "database is locked" (SQLite refuses to wait when both hold a
    shared lock), and a half-read header making a database being created look foreign."""
    start = str(time.time() + 0.5)
    procs = [run("open", str(tmp_path), "80", start) for _ in range(4)]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    for n in range(80):
        conn = sqlite3.connect(tmp_path / f"{n}.db")
        assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST
        conn.close()
