"""rpm's SQLite database, ``rpmdb.sqlite`` (Fedora ≥ 33, RHEL/Rocky/Alma ≥ 9, Amazon Linux 2023).

rpm ``lib/backend/sqlite.c``: table ``Packages(hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT
NULL)``, one header blob (see :mod:`.rpmheader`) per installed package; the other tables are indexes.

The file is opened read-only and ``immutable`` (no locks, no ``-shm`` file written next to it).  An
immutable open ignores the write-ahead log, so when a non-empty ``rpmdb.sqlite-wal`` lies beside the
database (transactions not yet checkpointed into it), both files are copied to a private temporary
directory and the copy is opened normally, so that SQLite replays the log — the target is never written.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import urllib.parse
from collections.abc import Iterator

from stockade.catalog.os.rpmheader import RpmDBError


def _connect_immutable(host_path: str) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{urllib.parse.quote(host_path)}?mode=ro&immutable=1", uri=True)


def _row(hnum: object, blob: object, problems: list[str]) -> tuple[int, bytes] | None:
    if not isinstance(blob, bytes) or not isinstance(hnum, int):
        problems.append(f"record {hnum}: blob is {type(blob).__name__}, expected bytes")
        return None
    return hnum, blob


def _rows(conn: sqlite3.Connection, problems: list[str]) -> Iterator[tuple[int, bytes]]:
    try:
        cursor = conn.execute("SELECT hnum, blob FROM Packages ORDER BY hnum")
    except (sqlite3.Error, UnicodeDecodeError) as exc:
        raise RpmDBError(f"not a readable rpm SQLite database: {exc}") from exc
    last = -1
    try:
        for hnum, blob in cursor:
            row = _row(hnum, blob, problems)
            if row is not None:
                last = row[0]
                yield row
        return
    except (sqlite3.Error, UnicodeDecodeError) as exc:
        broken = exc
    # A damaged page broke the scan: list the remaining row ids (which needs no blob pages) and read
    # the rows one by one, so that one damaged blob costs one package.
    try:
        rest = [h for (h,) in conn.execute("SELECT hnum FROM Packages WHERE hnum > ? ORDER BY hnum", (last,))]
    except (sqlite3.Error, UnicodeDecodeError) as exc:
        raise RpmDBError(f"damaged SQLite database: {broken}") from exc
    for hnum in rest:
        try:
            found = conn.execute("SELECT blob FROM Packages WHERE hnum = ?", (hnum,)).fetchone()
        except (sqlite3.Error, UnicodeDecodeError) as exc:
            problems.append(f"record {hnum}: {exc}")
            continue
        row = _row(hnum, found[0] if found else None, problems)
        if row is not None:
            yield row


def iter_records(host_path: str, wal: str, problems: list[str]) -> Iterator[tuple[int, bytes]]:
    """Yield ``(hnum, header blob)`` for every row of ``Packages`` in the database at ``host_path``;
    ``wal`` is where its ``-wal`` file would be.  Both are paths on this machine, already resolved inside
    the target (a symbolic link must not lead the reader out of it).  Raises :class:`RpmDBError`."""
    try:
        has_wal = os.path.getsize(wal) > 0
    except OSError:
        has_wal = False
    if not has_wal:
        conn = _connect_immutable(host_path)
        try:
            yield from _rows(conn, problems)
        finally:
            conn.close()
        return
    with tempfile.TemporaryDirectory(prefix="stockade-rpmdb-") as tmp:
        copy = os.path.join(tmp, "rpmdb.sqlite")
        try:
            shutil.copyfile(host_path, copy)
            shutil.copyfile(wal, copy + "-wal")
        except OSError as exc:
            raise RpmDBError(f"could not copy the database and its write-ahead log: {exc}") from exc
        conn = sqlite3.connect(copy)
        try:
            yield from _rows(conn, problems)
        finally:
            conn.close()
