"""Atomic replacement: errors, SIGKILL mid-import, readers during a swap, the writer lock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from stockade.errors import StoreError
from stockade.vuln import dbbuild
from stockade.vuln.db import AdvisoryDB
from stockade.vuln.dbbuild import SourceSpec, build, write_lock
from tests.vuln.db.helpers import FakeReader, adv

IMPORTER = str(Path(__file__).with_name("importer.py"))
OLD = [("osv", adv(f"OLD-{i}", ("PyPI", "pkg1"))) for i in range(3)]


def old_db(path: Path) -> bytes:
    build(str(path), [SourceSpec("old", "old", "old")], read=FakeReader({"old": OLD}))
    return path.read_bytes()


def assert_old(path: Path, content: bytes) -> None:
    assert path.read_bytes() == content
    with AdvisoryDB(str(path)) as db:
        assert [a.id for a in db.lookup("PyPI", ["pkg1"])] == ["OLD-0", "OLD-1", "OLD-2"]
        assert [s.name for s in db.status().sources] == ["old"]
    assert not Path(str(path) + ".new").exists()


@pytest.mark.parametrize("error", [KeyboardInterrupt(), SystemExit(3)])
def test_interrupt_inside_a_reader_keeps_the_old_database(db_path: Path, error: BaseException) -> None:
    content = old_db(db_path)
    records = [("osv", adv(f"NEW-{i}", ("PyPI", "pkg1"))) for i in range(5000)]
    read = FakeReader({"new": [*records, error]})
    with pytest.raises(type(error)):
        build(str(db_path), [SourceSpec("new", "new", "new")], read=read)
    assert_old(db_path, content)


def test_error_after_the_import_keeps_the_old_database(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = old_db(db_path)

    def broken(*args: object) -> None:
        raise RuntimeError("boom in finish")

    monkeypatch.setattr(dbbuild, "finish", broken)
    with pytest.raises(RuntimeError, match="boom"):
        build(str(db_path), [SourceSpec("new", "new", "new")], read=FakeReader({"new": OLD}))
    assert_old(db_path, content)


def test_failed_rename_keeps_the_old_database(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    content = old_db(db_path)

    def no_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(dbbuild.os, "replace", no_replace)
    with pytest.raises(StoreError, match="cannot write the advisory database: No space left on device"):
        build(str(db_path), [SourceSpec("new", "new", "new")], read=FakeReader({"new": OLD}))
    monkeypatch.undo()
    assert_old(db_path, content)


def test_sigkill_mid_import_keeps_the_old_database(db_path: Path) -> None:
    content = old_db(db_path)
    proc = subprocess.Popen(
        [sys.executable, IMPORTER, "slow", str(db_path), "100000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    assert line == "started", proc.stderr.read() if proc.stderr else ""
    time.sleep(0.2)
    assert Path(str(db_path) + ".new").exists()  # it was building the new file ...
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert db_path.read_bytes() == content  # ... and the live file is untouched
    with AdvisoryDB(str(db_path)) as db:
        assert [a.id for a in db.lookup("PyPI", ["pkg1"])] == ["OLD-0", "OLD-1", "OLD-2"]
    # the lock died with the process; the next import removes the stale copy and succeeds
    done = subprocess.run(
        [sys.executable, IMPORTER, "quick", str(db_path), "200"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert not Path(str(db_path) + ".new").exists()
    with AdvisoryDB(str(db_path)) as db:
        assert len(db.lookup("PyPI", ["pkg1"])) == 3 + 4  # OLD-0..2 and NEW-1, 51, 101, 151


def test_an_open_reader_keeps_its_database_across_a_swap(db_path: Path) -> None:
    old_db(db_path)
    with AdvisoryDB(str(db_path)) as before:
        build(
            str(db_path),
            [SourceSpec("old", "old", "old")],
            read=FakeReader({"old": [("osv", adv("NEW-1", ("PyPI", "pkg1")))]}),
        )
        assert [a.id for a in before.lookup("PyPI", ["pkg1"])] == ["OLD-0", "OLD-1", "OLD-2"]
        with AdvisoryDB(str(db_path)) as after:
            assert [a.id for a in after.lookup("PyPI", ["pkg1"])] == ["NEW-1"]


def test_a_second_writer_fails_with_a_clear_message_or_waits(db_path: Path) -> None:
    old_db(db_path)
    read = FakeReader({"new": [("osv", adv("NEW-1", ("PyPI", "pkg1")))]})
    with write_lock(str(db_path)):
        with pytest.raises(
            StoreError, match=rf"another `stockade db import` or `db update` \(pid {os.getpid()}\)"
        ):
            build(str(db_path), [SourceSpec("new", "new", "new")], read=read)
        other = subprocess.run(
            [sys.executable, IMPORTER, "quick", str(db_path), "10"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert other.returncode == 75
        assert f"(pid {os.getpid()}) is writing the advisory database" in other.stdout
    lock = write_lock(str(db_path))
    lock.__enter__()
    timer = threading.Timer(0.3, lock.__exit__, (None, None, None))
    timer.start()
    started = time.monotonic()
    build(str(db_path), [SourceSpec("new", "new", "new")], read=read, wait=10)
    assert time.monotonic() - started >= 0.25
    timer.join()
    with AdvisoryDB(str(db_path)) as db:
        assert [a.id for a in db.lookup("PyPI", ["pkg1"])] == ["NEW-1", "OLD-0", "OLD-1", "OLD-2"]


@pytest.mark.root
def test_a_full_disk_keeps_the_old_database(tmp_path: Path) -> None:
    """A real full file system: a 1 MiB tmpfs (needs root to mount)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    mnt = tmp_path / "small"
    mnt.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        db_path = mnt / "advisories.db"
        content = old_db(db_path)
        big = [
            ("osv", adv(f"NEW-{i}", ("PyPI", f"p{i}"), summary=os.urandom(200).hex())) for i in range(3000)
        ]
        with pytest.raises(StoreError, match="the disk is full; the previous advisory database was kept"):
            build(str(db_path), [SourceSpec("new", "new", "new")], read=FakeReader({"new": big}))
        assert_old(db_path, content)
    finally:
        subprocess.run(["umount", str(mnt)], check=False)
