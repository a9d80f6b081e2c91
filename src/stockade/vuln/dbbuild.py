"""Building the advisory database: every import or update writes a new file and swaps it in.

The live database is never written in place.  A build, holding an exclusive ``flock`` on ``DB.lock``:

1. copies the live file to ``DB.new`` (or starts an empty one), and migrates the copy's schema;
2. on that copy, with ``journal_mode=OFF`` and ``synchronous=OFF`` (it is not live, so a crash only
   loses the copy), reads each source with the feed readers and writes its records with
   ``executemany`` in one transaction, then deletes that source's previous records;
3. marks duplicate advisories (the same feed and id from several sources) ``shadowed`` but the newest;
4. ``fsync``s the file and ``os.replace``s it over the live one, then ``fsync``s the directory.

A crash, a kill or an exception anywhere before step 4 leaves the live database exactly as it was (the
next build deletes the stale ``DB.new``), and readers only ever open a complete file: one that had the
old file open keeps reading the old one.  A second writer waits for the lock up to ``wait`` seconds, then
fails with a message naming the process that holds it.

A source is replaced only by a read that produced records: one that yields nothing, or whose reader
fails, keeps its previous records and reports why, so a broken download or an emptied directory never
wipes what was there.  Within one source the same ``(feed, id)`` is stored once (the newest
``modified``; counted as a duplicate).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime

from stockade.errors import StoreError
from stockade.vuln import dbschema
from stockade.vuln.dbwrite import Reader, SourceReport, SourceSpec, finish, import_source

__all__ = ["Clock", "Reader", "SourceReport", "SourceSpec", "build", "build_locked", "upgrade", "write_lock"]

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def make_dirs(directory: str) -> None:
    """Create every missing directory down to ``directory``, each user-only (0700; ``os.makedirs``
    would give the intermediate ones the default mode)."""
    missing: list[str] = []
    current = os.path.abspath(directory)
    while not os.path.isdir(current):
        missing.append(current)
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    for item in reversed(missing):
        try:
            os.mkdir(item, 0o700)
        except FileExistsError:
            if not os.path.isdir(item):
                raise StoreError(
                    f"{item}: cannot create the advisory database directory: not a directory",
                    hint="give a writable path with --advisory-db or STOCKADE_ADVISORY_DB",
                ) from None
        except OSError as exc:
            raise StoreError(
                f"{item}: cannot create the advisory database directory: {exc.strerror or exc}",
                hint="give a writable path with --advisory-db or STOCKADE_ADVISORY_DB",
            ) from exc


@contextlib.contextmanager
def write_lock(path: str, wait: float = 0.0) -> Iterator[None]:
    """Hold the exclusive writer lock of the database at ``path`` (``flock`` on ``PATH.lock``, released
    by the kernel when the process dies, so it is never stale)."""
    lock_path = path + ".lock"
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise StoreError(f"{lock_path}: cannot create the lock file: {exc.strerror or exc}") from exc
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
                    waited = f" (waited {wait:g} s)" if wait > 0 else ""
                    raise StoreError(
                        f"{path}: another `stockade db import` or `db update` (pid {holder}) is writing "
                        f"the advisory database{waited}",
                        hint="wait for it to finish, or give --wait SECONDS to wait for it",
                    ) from None
                time.sleep(0.05)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)


def path_checksum(path: str) -> str:
    """``sha256:`` of a file's content; of a directory, over every file's relative path and content
    (sorted), so that the same data gives the same checksum wherever it lies."""
    if os.path.isfile(path):
        with open(path, "rb") as fh:
            return "sha256:" + hashlib.file_digest(fh, "sha256").hexdigest()
    total = hashlib.sha256()
    for root, dirs, files in os.walk(path):
        dirs.sort()
        for name in sorted(files):
            full = os.path.join(root, name)
            with contextlib.suppress(OSError), open(full, "rb") as fh:
                digest = hashlib.file_digest(fh, "sha256").digest()
                total.update(os.path.relpath(full, path).encode("utf-8", "surrogateescape") + b"\0" + digest)
    return "sha256:" + total.hexdigest()


def _fsync(path: str, directory: bool = False) -> None:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _start_copy(path: str, new: str, fresh: bool) -> None:
    """``new`` as a copy of the live database (checked to be ours first), or an empty file; 0600."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(new)  # left by a build that crashed
    if not fresh and os.path.exists(path):
        from stockade.vuln.db import open_readonly

        conn = open_readonly(path)  # refuses a foreign, newer or corrupt file before we copy it
        conn.close()
        fd = os.open(new, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        os.close(fd)
        shutil.copyfile(path, new)
    else:
        os.close(os.open(new, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600))


def _build_file(
    new: str,
    specs: Iterable[SourceSpec],
    read: Reader,
    now: str,
    migrations: tuple[dbschema.Migration, ...] | None,
) -> tuple[list[SourceReport], int]:
    """Import into the file ``new``; return the reports and the schema version the file had."""
    conn = sqlite3.connect(new, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA locking_mode = EXCLUSIVE")
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.execute("PRAGMA cache_size = -65536")
        conn.execute("BEGIN")
        before = dbschema.migrate(conn, new, migrations)
        reports = [import_source(conn, spec, read, now) for spec in specs]
        finish(conn, now)
        conn.execute("COMMIT")
        free, pages = (conn.execute(f"PRAGMA {p}").fetchone()[0] for p in ("freelist_count", "page_count"))
        if free * 4 > pages:  # replaced sources left a quarter of the file unused
            conn.execute("VACUUM")
    finally:
        conn.close()
    return reports, before


def build(
    path: str,
    specs: Iterable[SourceSpec],
    *,
    read: Reader | None = None,
    clock: Clock = _utc_now,
    wait: float = 0.0,
    fresh: bool = False,
    migrations: tuple[dbschema.Migration, ...] | None = None,
) -> list[SourceReport]:
    """Import ``specs`` into the database at ``path`` atomically (see the module docstring); with
    ``fresh`` the new database holds only these sources.  ``read`` defaults to the feed readers'
    :func:`stockade.vuln.feeds.detect.read_path`.  Waits up to ``wait`` seconds for another writer."""
    path = os.path.abspath(path)
    make_dirs(os.path.dirname(path))
    with write_lock(path, wait):
        return build_locked(path, specs, read=read, clock=clock, fresh=fresh, migrations=migrations)


def build_locked(
    path: str,
    specs: Iterable[SourceSpec],
    *,
    read: Reader | None = None,
    clock: Clock = _utc_now,
    fresh: bool = False,
    migrations: tuple[dbschema.Migration, ...] | None = None,
) -> list[SourceReport]:
    """:func:`build` for a caller that holds :func:`write_lock` already."""
    if read is None:
        from stockade.vuln.feeds.detect import read_path

        read = read_path
    path = os.path.abspath(path)
    if os.path.isdir(path):
        raise StoreError(f"{path}: is a directory, not an advisory database file")
    new = path + ".new"
    now = clock().astimezone(UTC).isoformat(timespec="seconds")
    try:
        try:
            _start_copy(path, new, fresh)
            with _sqlite_errors(new):
                reports, before = _build_file(new, specs, read, now, migrations)
            latest = (migrations or dbschema.MIGRATIONS)[-1].version
            if not any(r.records for r in reports) and not (0 < before < latest):
                os.unlink(new)  # nothing new (and no upgrade): the live file stays, or is not created
                return reports
            _fsync(new)
            os.replace(new, path)
        except OSError as exc:
            raise StoreError(
                f"{path}: cannot write the advisory database: {exc.strerror or exc}; "
                "the previous one (if any) is unchanged",
                hint="check the free space and the permissions of the directory",
            ) from exc
        with contextlib.suppress(OSError):  # the rename is done; only its durability is at stake
            _fsync(os.path.dirname(path), directory=True)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(new)
        raise
    return reports


def upgrade(path: str, *, wait: float = 30.0) -> None:
    """Rebuild the database at ``path`` with the current schema and nothing new imported."""
    build(path, (), read=lambda _p, _q: iter(()), wait=wait)


@contextlib.contextmanager
def _sqlite_errors(new: str) -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        text = str(exc)
        if "full" in text:
            raise StoreError(f"{new}: the disk is full; the previous advisory database was kept") from exc
        raise StoreError(f"{new}: cannot build the advisory database: {text}") from exc
