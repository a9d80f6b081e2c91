"""Choosing a store: ``--db``, then ``STOCKADE_DB``, then the user's data directory."""

from __future__ import annotations

import os

import platformdirs

from stockade.errors import InputError
from stockade.store.interface import Store

ENV = "STOCKADE_DB"
_POSTGRES = ("postgres://", "postgresql://")


def default_db_path() -> str:
    return os.path.join(platformdirs.user_data_dir("stockade", appauthor=False), "stockade.db")


def resolve_db(option: str | None) -> str:
    """The store location; ``~`` is expanded (a value from ``STOCKADE_DB`` has not met a shell)."""
    where = option or os.environ.get(ENV) or default_db_path()
    return where if where.startswith(_POSTGRES) else os.path.expanduser(where)


def store_exists(location: str | None = None) -> bool:
    """Whether a store is already there (a read-only command need not create an empty one)."""
    where = resolve_db(location)
    return where.startswith(_POSTGRES) or where == ":memory:" or os.path.exists(where)


def open_store(location: str | None = None) -> Store:
    """Open (creating and migrating as needed) the store at ``location``: a file path for SQLite.
    ``postgresql://`` URLs are reserved for the fleet back end, which this version does not have."""
    where = resolve_db(location)
    if where.startswith(_POSTGRES):
        raise InputError(
            f"{where.split('@')[-1]}: the PostgreSQL store is not supported in this version",
            hint="use a SQLite file path with --db or STOCKADE_DB",
        )
    from stockade.store.sqlite import SqliteStore

    return SqliteStore(where)
