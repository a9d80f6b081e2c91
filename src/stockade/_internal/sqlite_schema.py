"""Versioned SQLite schemas: the header check and the migration runner both stockade databases share
(the inventory store and the advisory database).

``PRAGMA user_version`` is the schema version (0: an empty file; N: migrations 1..N have run) and
``PRAGMA application_id`` marks whose file it is (sqlite.org/pragma.html), so a path pointed at another
program's database is refused instead of having tables added to it, and a database written by a newer
stockade is refused, never downgraded.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from stockade.errors import StoreError


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]
    backfill: Callable[[sqlite3.Connection], None] | None = None


@dataclass(frozen=True, slots=True)
class SchemaKind:
    """Whose database: its ``application_id``, what a user calls it, and the hints for a wrong file."""

    application_id: int
    what: str  # "stockade inventory", "stockade advisory database"
    schema: str  # "inventory", "advisory database": "… schema version N was written by a newer stockade"
    wrong_file_hint: str
    newer_hint: str


# One statement, so one read snapshot: another process may be creating the schema at this moment, and
# separate reads could see its application_id before and its user_version after the commit.
_HEADER = (
    "SELECT (SELECT application_id FROM pragma_application_id), "
    "(SELECT user_version FROM pragma_user_version), "
    "(SELECT group_concat(name, ', ') FROM (SELECT name FROM sqlite_master WHERE type = 'table' "
    "ORDER BY name LIMIT 5))"
)


def header(conn: sqlite3.Connection) -> tuple[int, int]:
    """``(application_id, user_version)``."""
    app, version, _ = conn.execute(_HEADER).fetchone()
    return int(app), int(version)


def check(conn: sqlite3.Connection, path: str, kind: SchemaKind, latest: int) -> int:
    """The schema version of an openable database (0: empty); ``StoreError`` for a foreign one or one
    newer than ``latest``."""
    app, version, tables = conn.execute(_HEADER).fetchone()
    if app not in (0, kind.application_id) or (app == 0 and version > 0):
        raise StoreError(
            f"{path}: a SQLite database of another program (application_id {app:#x}, "
            f"user_version {version}), not a {kind.what}",
            hint=kind.wrong_file_hint,
        )
    if app == 0 and tables:
        raise StoreError(
            f"{path}: a SQLite database with other tables ({tables}), not a {kind.what}",
            hint=kind.wrong_file_hint,
        )
    if version > latest:
        raise StoreError(
            f"{path}: {kind.schema} schema version {version} was written by a newer stockade; this "
            f"version reads schema versions up to {latest}",
            hint=kind.newer_hint,
        )
    return int(version)


def apply(conn: sqlite3.Connection, kind: SchemaKind, steps: tuple[Migration, ...], before: int) -> None:
    """Run the steps after version ``before`` and stamp the header, in the caller's transaction (SQLite
    DDL and both header pragmas are transactional)."""
    for step in steps:
        if step.version <= before:
            continue
        for statement in step.statements:
            conn.execute(statement)
        if step.backfill is not None:
            step.backfill(conn)
    conn.execute(f"PRAGMA application_id = {kind.application_id}")
    conn.execute(f"PRAGMA user_version = {steps[-1].version}")
