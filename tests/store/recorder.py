"""A child process for the crash and concurrency tests: records real scans into a store.

recorder.py crash DB ROOTFS       record one scan, then die (os._exit) inside the next record()'s
                                  transaction, after every row is written and before COMMIT
recorder.py loop DB ROOTFS PREFIX record scans of 1000 packages until killed; print each id once
                                  committed
recorder.py many DB ROOTFS PREFIX N START
                                  at time START, record N scans, opening the store afresh for
                                  each (as the CLI does)
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from stockade.model.result import ScanResult
from stockade.scan.scanner import ScanOptions, scan_filesystem
from stockade.store import sqlite
from stockade.store.sqlite import SqliteStore
from stockade.target.rootfs import open_rootfs

T0 = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
CRASH_EXIT = 17


def scan(root: str, scan_id: str, minutes: int) -> ScanResult:
    target, fs = open_rootfs(root)
    when = T0 + timedelta(minutes=minutes)
    return scan_filesystem(
        target,
        fs,
        ScanOptions(catalogers=("os/dpkg", "lang/python"), clock=lambda: when, scan_id=lambda: scan_id),
    )


def widen(result: ScanResult, n: int) -> ScanResult:
    real = result.inventory.packages
    packages = tuple(
        replace(
            real[i % len(real)],
            name=f"{real[i % len(real)].name}-{i}",
            purl=f"{real[i % len(real)].purl}-{i}",
        )
        for i in range(n)
    )
    return replace(result, inventory=replace(result.inventory, packages=packages))


def crash(db: str, root: str) -> None:
    store = SqliteStore(db)
    store.record(scan(root, "11111111aaaa", 0))
    insert = sqlite._insert_children

    def die_before_commit(*args: object) -> None:
        insert(*args)  # type: ignore[arg-type]
        os._exit(CRASH_EXIT)

    setattr(sqlite, "_insert_children", die_before_commit)  # noqa: B010 - a patch, not an attribute write
    store.record(widen(scan(root, "22222222bbbb", 10), 1000))
    sys.exit(0)  # not reached


def loop(db: str, root: str, prefix: str) -> None:
    base = widen(scan(root, "x", 0), 1000)
    store = SqliteStore(db)
    for n in range(1_000_000):
        scan_id = f"{prefix}{n:08d}"
        store.record(replace(base, scan_id=scan_id, finished=T0 + timedelta(seconds=n)))
        print(scan_id, flush=True)


def many(db: str, root: str, prefix: str, count: int, start: float) -> None:
    base = scan(root, "x", 0)
    time.sleep(max(0.0, start - time.time()))
    for n in range(count):
        with SqliteStore(db) as store:
            store.record(replace(base, scan_id=f"{prefix}{n:04d}", finished=T0 + timedelta(seconds=n)))


def open_new(directory: str, count: int, start: float) -> None:
    for n in range(count):
        time.sleep(max(0.0, start + n * 0.025 - time.time()))
        SqliteStore(os.path.join(directory, f"{n}.db")).close()


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "crash":
        crash(*args)
    elif mode == "loop":
        loop(*args)
    elif mode == "open":
        open_new(args[0], int(args[1]), float(args[2]))
    else:
        many(args[0], args[1], args[2], int(args[3]), float(args[4]))
