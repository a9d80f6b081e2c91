"""The inventory schema, as an ordered list of migrations, and the format of a stored result.

``PRAGMA user_version`` is the schema version: 0 is an empty file, N means migrations 1..N have run.
``PRAGMA application_id`` marks the file as a stockade inventory, so ``--db`` pointed at some other
program's SQLite database is refused instead of having tables added to it (sqlite.org/pragma.html).

Opening a database runs every missing migration in ONE ``BEGIN IMMEDIATE`` transaction, the version
bump included (SQLite DDL and both header pragmas are transactional), so a failed or interrupted
upgrade leaves the database exactly as it was.  A database written by a newer stockade (a higher
version) is refused, never downgraded.  Migrations are append-only: never edit a shipped one.

The statements are plain SQL a PostgreSQL back end can share (``BLOB`` → ``bytea``, ``INTEGER PRIMARY
KEY`` → identity); a migration may add a Python ``backfill`` that fills new columns from stored data.

Stored results: the JSON document of ``ScanResult.to_dict()``, compact, ASCII (lone surrogates from
undecodable file names survive), zlib-compressed (RFC 1950), in ``scans.result``.
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from typing import Any

from stockade._internal import sqlite_schema
from stockade._internal.sqlite_schema import Migration as Migration  # re-exported

#: "STKD": the value of ``PRAGMA application_id`` in every stockade inventory.
APPLICATION_ID = 0x53544B44
_LEVEL = 1  # zlib: for a real 860-package result 1.3 ms → 41 KB; level 6 takes 6.6 ms for 33 KB


def result_json(doc: dict[str, Any]) -> bytes:
    """Compact ASCII JSON: every non-ASCII character, lone surrogates included, as a ``\\uXXXX`` escape."""
    return json.dumps(doc, separators=(",", ":")).encode("ascii")


def encode_result(doc: dict[str, Any] | bytes) -> bytes:
    """The ``scans.result`` value of a document (or of its :func:`result_json`)."""
    return zlib.compress(doc if isinstance(doc, bytes) else result_json(doc), _LEVEL)


def decode_result(blob: bytes) -> dict[str, Any]:
    """The stored document; ``ValueError`` (``zlib.error`` is not one) when the blob is damaged."""
    try:
        doc = json.loads(zlib.decompress(blob))
    except zlib.error as exc:
        raise ValueError(f"stored result is damaged: {exc}") from exc
    if not isinstance(doc, dict):
        raise ValueError("stored result is not a JSON object")
    return doc


_V1 = (
    """CREATE TABLE workloads (
        target_id  TEXT PRIMARY KEY,
        kind       TEXT NOT NULL,
        name       TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen  TEXT NOT NULL
    )""",
    "CREATE INDEX workloads_name ON workloads (name)",
    """CREATE TABLE scans (
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
    )""",
    "CREATE INDEX scans_target ON scans (target_id, finished)",
    """CREATE TABLE packages (
        scan        INTEGER NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
        purl        TEXT NOT NULL,
        name        TEXT NOT NULL,
        version     TEXT NOT NULL,
        type        TEXT NOT NULL,
        ecosystem   TEXT NOT NULL,
        found_by    TEXT NOT NULL,
        source_name TEXT
    )""",
    "CREATE INDEX packages_scan ON packages (scan)",
    "CREATE INDEX packages_ecosystem_name ON packages (ecosystem, name)",
    "CREATE INDEX packages_purl ON packages (purl)",
    """CREATE TABLE findings (
        scan     INTEGER NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
        id       TEXT NOT NULL,
        kind     TEXT NOT NULL,
        severity TEXT NOT NULL,
        title    TEXT NOT NULL,
        package  TEXT
    )""",
    "CREATE INDEX findings_scan ON findings (scan)",
    "CREATE INDEX findings_package ON findings (package)",
    """CREATE TABLE statuses (
        scan   INTEGER NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
        plugin TEXT NOT NULL,
        status TEXT NOT NULL,
        reason TEXT NOT NULL,
        path   TEXT
    )""",
    "CREATE INDEX statuses_scan ON statuses (scan)",
)

# v2: what re-assessing stored SBOMs needs beyond v1.  Distro advisories are keyed by release
# (OSV "Debian:12") and by source package and version (a binNMU such as bash 5.2.15-2+b8 is built from
# source 5.2.15-2), so the scan's OS and each package's source version become columns.
_V2 = (
    "ALTER TABLE scans ADD COLUMN os_id TEXT",
    "ALTER TABLE scans ADD COLUMN os_version_id TEXT",
    "ALTER TABLE packages ADD COLUMN source_version TEXT",
    "CREATE INDEX packages_ecosystem_source ON packages (ecosystem, source_name)",
)


def _backfill_v2(conn: sqlite3.Connection) -> None:
    """Fill the v2 columns from the stored results.  A damaged result is left with NULLs (it cannot be
    re-assessed, but it must not make the whole database unopenable)."""
    scans = conn.execute("SELECT id, result FROM scans").fetchall()
    for scan, blob in scans:
        try:
            doc = decode_result(blob)
            inventory = doc.get("inventory") or {}
            os_info = inventory.get("os") or {}
            rows = [
                (p["source_version"], scan, p["purl"], p["found_by"])
                for p in inventory.get("packages") or ()
                if p.get("source_version") is not None
            ]
        except (ValueError, TypeError, KeyError, AttributeError):
            continue
        conn.execute(
            "UPDATE scans SET os_id = ?, os_version_id = ? WHERE id = ?",
            (os_info.get("id"), os_info.get("version_id"), scan),
        )
        conn.executemany(
            "UPDATE packages SET source_version = ? WHERE scan = ? AND purl = ? AND found_by = ?", rows
        )


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "workloads, scans, packages, findings, statuses", _V1),
    Migration(2, "scan OS release and package source version, for advisory re-assessment", _V2, _backfill_v2),
)
LATEST = MIGRATIONS[-1].version


_KIND = sqlite_schema.SchemaKind(
    APPLICATION_ID,
    what="stockade inventory",
    schema="inventory",
    wrong_file_hint="give a different --db path or STOCKADE_DB",
    newer_hint="upgrade stockade, or use a different --db path",
)
header = sqlite_schema.header


def check(conn: sqlite3.Connection, path: str, latest: int | None = None) -> int:
    """The schema version of an openable database; ``StoreError`` for a newer or a foreign one."""
    return sqlite_schema.check(conn, path, _KIND, MIGRATIONS[-1].version if latest is None else latest)


def migrate(conn: sqlite3.Connection, path: str, migrations: tuple[Migration, ...] | None = None) -> int:
    """Bring the database to the latest version in one transaction; return the version it had.

    The version is read again after ``BEGIN IMMEDIATE`` takes the write lock, so two processes opening
    a new database at once migrate it once.  ``conn`` must be in autocommit mode
    (``isolation_level=None``).  ``migrations`` defaults to :data:`MIGRATIONS`."""
    steps = MIGRATIONS if migrations is None else migrations
    latest = steps[-1].version
    if check(conn, path, latest) >= latest:
        return latest
    conn.execute("BEGIN IMMEDIATE")
    try:
        before = check(conn, path, latest)
        sqlite_schema.apply(conn, _KIND, steps, before)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:  # some errors (disk full, I/O) have rolled back already
            conn.execute("ROLLBACK")
        raise
    return before
