"""Choosing a store: ``--db``, then ``STOCKADE_DB``, then the user's data directory."""

from __future__ import annotations

import os

import platformdirs

from stockade.errors import InputError
from stockade.store.interface import Store

ENV = "STOCKADE_DB"


def default_db_path() -> str:
    return os.path.join(platformdirs.user_data_dir("stockade", appauthor=False), "stockade.db")


def resolve_db(option: str | None) -> str:
    return option or os.environ.get(ENV) or default_db_path()


def open_store(location: str | None = None) -> Store:
    """Open (creating and migrating as needed) the store at ``location``: a file path for SQLite.
    ``postgresql://`` URLs are reserved for the fleet back end, which this version does not have."""
    where = resolve_db(location)
    if where.startswith(("postgres://", "postgresql://")):
        raise InputError(f"{where.split('@')[-1]}: the PostgreSQL store is not supported in this version",
                         hint="use a SQLite file path with --db or STOCKADE_DB")  # fmt: skip
    from stockade.store.sqlite import SqliteStore

    return SqliteStore(where)
