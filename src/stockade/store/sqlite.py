"""The SQLite inventory store: one file, created user-only, WAL-journaled, migrated on open.

Why the standard library's ``sqlite3`` and not SQLAlchemy Core: every CLI invocation that records a scan
opens the store, and ``python -X importtime`` here shows ``import sqlite3`` at ~6 ms against 210–290 ms
for ``import sqlalchemy`` (2.1) — more than the whole CLI's own start-up (~150 ms).  What a PostgreSQL
back end would share is the schema, and that is plain SQL in :mod:`stockade.store.migrations`.

Connection settings (sqlite.org/pragma.html, sqlite.org/wal.html): ``journal_mode=WAL`` (readers never
block the writer), ``synchronous=NORMAL`` (in WAL mode a process crash loses nothing committed; a power
loss may lose the last commits but never corrupts), ``foreign_keys=ON`` (child rows go with their scan),
``busy_timeout`` so that two scans recording at once wait for each other instead of failing,
``temp_store=MEMORY`` so that nothing is written outside the database's own files.  Every write
transaction is ``BEGIN IMMEDIATE``: it takes the write lock up front, where the busy timeout applies (a
deferred transaction that upgrades to a writer fails at once with SQLITE_BUSY in WAL mode).

``record`` writes a whole scan — workload, scan row with the compressed JSON result, packages,
findings, statuses — in one transaction with ``executemany``; a crash mid-write leaves the database as
it was.  Recording a scan id that is already stored replaces it (recording is idempotent).  Measured
on a loaded 2-CPU machine: a real 860-package scan records in ~30 ms (median), of which JSON encoding
is ~8 and the four package indexes ~8; an occasional WAL checkpoint adds ~40 ms.

``find`` resolves, in order: an exact target id; an exact name (when several workloads share the name,
``InputError`` lists their target ids — choosing one silently could show the wrong workload); a scan
id, or a prefix of one of at least 6 characters (``InputError`` listing the matches when ambiguous).
``result`` accepts the same scan-id prefixes.

Times are stored as ISO 8601 in UTC (``...+00:00``), so that text order is time order.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from stockade.errors import InputError, StoreError
from stockade.model.result import ScanResult
from stockade.store.interface import Store, WorkloadSummary
from stockade.store.migrations import check, decode_result, encode_result, migrate, result_json

BUSY_TIMEOUT = 15.0  # seconds a writer waits for another one
MIN_PREFIX = 6  # shortest scan-id prefix that find() and result() accept
_PATH_HINT = "give a writable file path with --db or STOCKADE_DB"

_WORKLOAD_UPSERT = """
INSERT INTO workloads (target_id, kind, name, first_seen, last_seen) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (target_id) DO UPDATE SET
    kind = CASE WHEN excluded.last_seen >= workloads.last_seen THEN excluded.kind ELSE workloads.kind END,
    name = CASE WHEN excluded.last_seen >= workloads.last_seen THEN excluded.name ELSE workloads.name END,
    first_seen = min(workloads.first_seen, excluded.first_seen),
    last_seen = max(workloads.last_seen, excluded.last_seen)
"""
_SCAN_INSERT = """
INSERT INTO scans (scan_id, target_id, started, finished, tool_version, packages, findings, problems, result,
                   os_id, os_version_id)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
_PACKAGE_INSERT = """
INSERT INTO packages (scan, purl, name, version, type, ecosystem, found_by, source_name, source_version)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
_FINDING_INSERT = "INSERT INTO findings (scan, id, kind, severity, title, package) VALUES (?, ?, ?, ?, ?, ?)"
_STATUS_INSERT = "INSERT INTO statuses (scan, plugin, status, reason, path) VALUES (?, ?, ?, ?, ?)"
_SUMMARIES = """
SELECT w.target_id, w.kind, w.name,
       (SELECT count(*) FROM scans AS c WHERE c.target_id = w.target_id),
       s.scan_id, s.finished, s.packages, s.findings, s.problems
FROM workloads AS w
JOIN scans AS s ON s.id = (SELECT l.id FROM scans AS l WHERE l.target_id = w.target_id
                           ORDER BY l.finished DESC, l.id DESC LIMIT 1)
WHERE {where}
ORDER BY w.name, w.target_id
"""

Rows = list[tuple[Any, ...]]


def _text(value: str | None) -> str | None:
    """A string SQLite can store as UTF-8: lone surrogates (undecodable file names) become escapes."""
    if value is None or value.isascii():
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value


def _utc(moment: datetime) -> str:
    """ISO 8601 in UTC; a naive time is taken to be UTC already."""
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.isoformat()


def _error(path: str, action: str, exc: sqlite3.Error) -> StoreError:
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc)
    if name.startswith("SQLITE_NOTADB") or "not a database" in text:
        return StoreError(
            f"{path}: not a SQLite database",
            hint="--db (or STOCKADE_DB) must name a stockade inventory; move the file away or "
            "choose another path",
        )
    if name.startswith("SQLITE_CORRUPT") or "malformed" in text:
        return StoreError(
            f"{path}: the inventory database is corrupt ({text})",
            hint="move the file away to start a new inventory; `sqlite3 FILE .recover` may save "
            "what it holds",
        )
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in text:
        return StoreError(
            f"{path}: {action}: the database stayed locked by another process for {BUSY_TIMEOUT:g} s",
            hint="try again when the other stockade has finished",
        )
    if name.startswith("SQLITE_READONLY") or "readonly" in text:
        return StoreError(
            f"{path}: {action}: the database is read-only",
            hint="check the permissions of the file and its directory",
        )
    if name.startswith("SQLITE_CANTOPEN"):
        return StoreError(f"{path}: {action}: cannot open the database file", hint=_PATH_HINT)
    if name.startswith("SQLITE_FULL"):
        return StoreError(f"{path}: {action}: the disk is full")
    return StoreError(f"{path}: {action}: {text}")


@contextlib.contextmanager
def _errors(path: str, action: str) -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        raise _error(path, action, exc) from exc


def _make_dirs(directory: str, path: str) -> None:
    """Create every missing directory down to ``directory``, each user-only (0700)."""
    missing: list[str] = []
    while not os.path.exists(directory):
        missing.append(directory)
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    for item in reversed(missing):
        try:
            os.mkdir(item, 0o700)
        except FileExistsError:
            continue
        except OSError as exc:
            raise StoreError(
                f"{path}: cannot create directory {item}: {exc.strerror or exc}", hint=_PATH_HINT
            ) from exc


def _prepare(path: str, create: bool) -> str:
    """Check or create the database file (0600, directories 0700); return the URI to open it with."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise StoreError(
            f"{path}: cannot use the inventory database: {exc.strerror or exc}", hint=_PATH_HINT
        ) from exc
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise StoreError(f"{path}: is a directory, not a database file", hint=_PATH_HINT)
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise StoreError(f"{path}: not a regular file", hint=_PATH_HINT)
    if info is None:
        if not create:
            raise StoreError(f"{path}: no inventory database here yet", hint="scans record into it when run")
        _make_dirs(os.path.dirname(os.path.abspath(path)), path)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)
        try:
            os.close(os.open(path, flags, 0o600))
        except FileExistsError:
            pass  # created by a concurrent stockade a moment ago
        except OSError as exc:
            raise StoreError(
                f"{path}: cannot create the inventory database: {exc.strerror or exc}", hint=_PATH_HINT
            ) from exc
    # mode=rw: SQLite itself never creates the file (it exists now, with our permissions)
    return f"file:{quote(os.path.abspath(path))}?mode=rw"


def _busy(exc: sqlite3.Error) -> bool:
    return (getattr(exc, "sqlite_errorname", "") or "").startswith("SQLITE_BUSY") or "locked" in str(exc)


def _set_wal(conn: sqlite3.Connection) -> None:
    """Switch to WAL (persistent; a no-op once done).  On a new database two processes may both hold a
    shared lock and want the exclusive one; SQLite then fails one of them at once with SQLITE_BUSY, busy
    timeout or not (waiting would deadlock), so that one retries until the timeout."""
    deadline = time.monotonic() + BUSY_TIMEOUT
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if not _busy(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _connect(path: str, create: bool) -> sqlite3.Connection:
    uri = ":memory:" if path == ":memory:" else _prepare(path, create)
    with _errors(path, "cannot open the inventory"):
        conn = sqlite3.connect(uri, uri=uri != ":memory:", timeout=BUSY_TIMEOUT, isolation_level=None)
    try:
        with _errors(path, "cannot open the inventory"):
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA temp_store = MEMORY")
            check(conn, path)  # before anything is written: refuse a newer or foreign database untouched
            _set_wal(conn)
        with _errors(path, "cannot upgrade the inventory schema"):
            migrate(conn, path)
    except BaseException:
        conn.close()
        raise
    return conn


def _insert_scan(conn: sqlite3.Connection, result: ScanResult, blob: bytes) -> int:
    """The workload and scan rows; returns the scan's row id."""
    target = result.target
    started, finished = _utc(result.started), _utc(result.finished)
    scan_id, target_id = _text(result.scan_id), _text(target.id)
    conn.execute("DELETE FROM scans WHERE scan_id = ?", (scan_id,))
    conn.execute(_WORKLOAD_UPSERT, (target_id, target.kind.value, _text(target.name), started, finished))
    os_info = result.inventory.os
    cur = conn.execute(
        _SCAN_INSERT,
        (
            scan_id,
            target_id,
            started,
            finished,
            _text(result.tool_version),
            len(result.inventory.packages),
            len(result.findings),
            sum(1 for s in result.statuses if s.is_problem),
            blob,
            _text(os_info.id) if os_info else None,
            _text(os_info.version_id) if os_info else None,
        ),
    )
    if cur.lastrowid is None:  # pragma: no cover - an INSERT always sets it
        raise StoreError(f"cannot record scan {result.scan_id}: no row id")
    return cur.lastrowid


def _insert_children(
    conn: sqlite3.Connection, scan: int, packages: Rows, findings: Rows, statuses: Rows
) -> None:
    conn.executemany(_PACKAGE_INSERT, [(scan, *row) for row in packages])
    conn.executemany(_FINDING_INSERT, [(scan, *row) for row in findings])
    conn.executemany(_STATUS_INSERT, [(scan, *row) for row in statuses])


class SqliteStore(Store):
    """The inventory in one SQLite file at ``path`` (``":memory:"`` for a throw-away store).

    With ``create=False`` a missing file is a ``StoreError`` instead of a new, empty inventory."""

    def __init__(self, path: str, *, create: bool = True) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = _connect(path, create)

    def __enter__(self) -> SqliteStore:
        return self

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(f"{self.path}: the inventory is closed")
        return self._conn

    def record(self, result: ScanResult) -> None:
        try:
            raw = result_json(result.to_dict())
        except (TypeError, ValueError) as exc:
            raise StoreError(
                f"cannot record scan {result.scan_id}: the result is not JSON data: {exc}"
            ) from exc
        blob = encode_result(raw)
        packages: Rows = [
            (p.purl, p.name, p.version, p.type, p.ecosystem, p.found_by, p.source_name, p.source_version)
            for p in result.inventory.packages
        ]
        findings: Rows = [(f.id, f.kind, f.severity.value, f.title, f.package) for f in result.findings]
        statuses: Rows = [(s.plugin, s.status.value, s.reason, s.path) for s in result.statuses]
        if b"\\ud" in raw:  # a surrogate somewhere in the result (every column value is in it too)
            packages, findings, statuses = (
                [tuple(map(_text, r)) for r in rows] for rows in (packages, findings, statuses)
            )
        conn = self.conn
        with _errors(self.path, f"cannot record scan {result.scan_id}"):
            conn.execute("BEGIN IMMEDIATE")
            try:
                scan = _insert_scan(conn, result, blob)
                _insert_children(conn, scan, packages, findings, statuses)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                raise

    def _summaries(self, where: str, params: Sequence[str]) -> list[WorkloadSummary]:
        rows = self.conn.execute(_SUMMARIES.format(where=where), params).fetchall()
        return [
            WorkloadSummary(
                target_id=r[0],
                kind=r[1],
                name=r[2],
                scans=r[3],
                last_scan_id=r[4],
                last_scanned=datetime.fromisoformat(r[5]),
                packages=r[6],
                findings=r[7],
                problems=r[8],
            )
            for r in rows
        ]

    def workloads(self) -> list[WorkloadSummary]:
        with _errors(self.path, "cannot read the inventory"):
            return self._summaries("1", ())

    def _scans(self, ident: str) -> list[tuple[str, str]]:
        """``(scan_id, target_id)`` of the scan ``ident`` names exactly, else of every scan it prefixes
        (at most 11, enough to say it is ambiguous)."""
        rows = self.conn.execute(
            "SELECT scan_id, target_id FROM scans WHERE scan_id = ?", (ident,)
        ).fetchall()
        if rows or len(ident) < MIN_PREFIX:
            return rows
        # a range over the unique index: every string that starts with ident sorts inside it
        return self.conn.execute(
            "SELECT scan_id, target_id FROM scans WHERE scan_id >= ? AND scan_id < ? "
            "ORDER BY scan_id LIMIT 11",
            (ident, ident + "\U0010ffff"),
        ).fetchall()

    def find(self, ident: str) -> WorkloadSummary | None:
        ident = _text(ident) or ""  # stored ids and names went through _text too
        with _errors(self.path, "cannot read the inventory"):
            found = self._summaries("w.target_id = ?", (ident,))
            if found:
                return found[0]
            found = self._summaries("w.name = ?", (ident,))
            if len(found) > 1:
                ids = ", ".join(w.target_id for w in found)
                raise InputError(
                    f"{ident!r} names {len(found)} workloads: {ids}",
                    hint="give the target id (or a scan id) of the one you mean",
                )
            if found:
                return found[0]
            scans = self._scans(ident)
            if len(scans) > 1:
                listed = ", ".join(f"{s} ({t})" for s, t in scans[:10]) + (", ..." if len(scans) > 10 else "")
                raise InputError(
                    f"scan id prefix {ident!r} is ambiguous: {listed}",
                    hint="give more characters of the scan id",
                )
            if not scans:
                return None
            found = self._summaries("w.target_id = ?", (scans[0][1],))
            return found[0] if found else None

    def result(self, scan_id: str) -> dict[str, Any] | None:
        with _errors(self.path, f"cannot read scan {scan_id}"):
            scans = self._scans(_text(scan_id) or "")
            if len(scans) != 1:
                return None
            row = self.conn.execute("SELECT result FROM scans WHERE scan_id = ?", (scans[0][0],)).fetchone()
        if row is None:
            return None
        try:
            return decode_result(row[0])
        except ValueError as exc:
            raise StoreError(
                f"{self.path}: scan {scans[0][0]}: {exc}",
                hint="the rest of the inventory is readable; record a new scan",
            ) from exc

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
