"""Writing one source's records into a database being built (see :mod:`stockade.vuln.dbbuild`).

Records are written in batches with ``executemany``; each advisory gets its row id here, so that its
``affected`` (one row per distinct ``(ecosystem_base, ecosystem, normalised name)``) and ``aliases``
rows go in the same batch.  The new records are written under a pending source row first; only when
the read produced records are the source's previous records deleted and the row renamed, so that a
source that yields nothing, or whose reader fails, keeps what it had.
"""

from __future__ import annotations

import os
import sqlite3
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from stockade import __version__
from stockade.model.advisory import Advisory, EpssScore, FeedRecord, KevEntry
from stockade.model.status import Status, StatusKind
from stockade.vuln.dbschema import encode_advisory, timestamp_text

Reader = Callable[[str, list[Status]], Iterator[tuple[str, FeedRecord]]]

PLUGIN = "db/import"
BATCH = 4000  # advisories per executemany flush
MAX_STORED_PROBLEMS = 1000  # per source, in sources.problem_list (the count is always exact)
_PENDING = "\x00pending"
#: golang/vulndb's repository holds ``modified: 0001-01-01T00:00:00Z`` (set for real on publication):
#: such a placeholder never counts as a source's newest ``modified``
PLACEHOLDER = "0001-12-31"


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """One source to import.  ``name`` is its identity (a re-import of the same name replaces it):
    the real path for ``db import``, ``osv:<Ecosystem>``, ``cisa-kev`` or ``epss`` for ``db update``."""

    name: str
    location: str  # what to show: the path or the URL
    path: str  # the local file or directory the readers read
    kind: str = "import"  # "import" or "update"
    checksum: str | None = None
    version: str | None = None  # a version the caller knows (the KEV catalogVersion)


@dataclass(slots=True)
class SourceReport:
    """What importing one source did."""

    name: str
    location: str
    kind: str
    readers: dict[str, int] = field(default_factory=dict)
    advisories: int = 0
    withdrawn: int = 0
    kev: int = 0
    epss: int = 0
    duplicates: int = 0
    problems: list[Status] = field(default_factory=list)
    newest_modified: str | None = None
    checksum: str | None = None
    version: str | None = None
    replaced: bool = False  # a previous import of this source was replaced
    kept_previous: bool = False  # nothing usable was read: the previous records (if any) were kept

    @property
    def records(self) -> int:
        return self.advisories + self.kev + self.epss

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "location": self.location,
            "kind": self.kind,
            "records": self.records,
            "advisories": self.advisories,
            "withdrawn": self.withdrawn,
            "kev": self.kev,
            "epss": self.epss,
            "duplicates": self.duplicates,
            "readers": dict(sorted(self.readers.items())),
            "newest_modified": self.newest_modified,
            "checksum": self.checksum,
            "version": self.version,
            "replaced": self.replaced,
            "kept_previous": self.kept_previous,
            "problems": [p.to_dict() for p in self.problems],
        }


def kev_catalog_version(path: str) -> str | None:
    """The ``catalogVersion`` of the CISA KEV JSON at ``path`` (or, in a directory, of the newest
    ``known_exploited_vulnerabilities*.json`` below it), read from the file's first KiB."""
    candidates = [path] if os.path.isfile(path) else []
    if not candidates:
        for root, _, files in os.walk(path):
            candidates += [
                os.path.join(root, f)
                for f in files
                if f.startswith("known_exploited_vulnerabilities") and f.endswith(".json")
            ]
    versions: list[str] = []
    for candidate in candidates:
        try:
            with open(candidate, "rb") as fh:
                head = fh.read(1024)
        except OSError:
            continue
        marker = head.find(b'"catalogVersion"')
        if marker < 0:
            continue
        rest = head[marker + 16 :].lstrip(b" \t\r\n:").split(b'"')
        if len(rest) >= 2 and rest[0] == b"":
            versions.append(rest[1].decode("ascii", "replace"))
    return max(versions) if versions else None


class _Writer:
    """Writes the records of one source into the (not yet live) new database."""

    def __init__(self, conn: sqlite3.Connection, source: int, report: SourceReport) -> None:
        from stockade.vuln.feeds.names import ecosystem_base, normalise

        self.conn = conn
        self.source = source
        self.report = report
        self.next_id = int(conn.execute("SELECT coalesce(max(id), 0) + 1 FROM advisories").fetchone()[0])
        self.seen: dict[tuple[str, str], tuple[int, str, bool]] = {}
        self.names: dict[tuple[str, str], tuple[str, str, str]] = {}
        self.base = ecosystem_base
        self.normalise = normalise
        self.advisories: list[tuple[Any, ...]] = []
        self.affected: list[tuple[str, str, int, str, int]] = []
        self.aliases: list[tuple[str, int]] = []
        self.kev: list[tuple[Any, ...]] = []
        self.epss: list[tuple[Any, ...]] = []

    def _key(self, ecosystem: str, name: str) -> tuple[str, str, str]:
        key = (ecosystem, name)
        found = self.names.get(key)
        if found is None:
            found = self.names[key] = (self.base(ecosystem), ecosystem, self.normalise(ecosystem, name))
        return found

    def advisory(self, rec: Advisory) -> None:
        report = self.report
        modified = timestamp_text(rec.modified)
        key = (rec.source, rec.id)
        previous = self.seen.get(key)
        if previous is not None:
            report.duplicates += 1
            if (modified or "") <= previous[1]:
                return
            self.flush()
            for table, column in (("advisories", "id"), ("affected", "advisory"), ("aliases", "advisory")):
                self.conn.execute(f"DELETE FROM {table} WHERE {column} = ?", (previous[0],))
            report.advisories -= 1
            report.withdrawn -= previous[2]
        withdrawn = timestamp_text(rec.withdrawn)
        rowid = self.next_id
        self.next_id += 1
        self.seen[key] = (rowid, modified or "", bool(withdrawn))
        self.advisories.append(
            (
                rowid,
                self.source,
                rec.source,
                rec.id,
                modified,
                withdrawn,
                rec.summary or "",
                encode_advisory(rec),
            )
        )
        keys = {self._key(a.ecosystem, a.name) for a in rec.affected}
        flag = 1 if withdrawn else 0
        self.affected.extend((b, n, rowid, e, flag) for b, e, n in keys)
        self.aliases.extend((alias, rowid) for alias in {rec.id, *rec.aliases})
        report.advisories += 1
        if withdrawn:
            report.withdrawn += 1
        if modified and modified > (report.newest_modified or PLACEHOLDER):
            report.newest_modified = modified
        if len(self.advisories) >= BATCH:
            self.flush()

    def kev_entry(self, rec: KevEntry) -> None:
        self.kev.append(
            (
                self.source,
                rec.cve,
                rec.vendor,
                rec.product,
                rec.name,
                timestamp_text(rec.date_added),
                timestamp_text(rec.due_date),
                int(rec.ransomware),
                rec.notes,
            )
        )
        self.report.kev += 1

    def epss_score(self, rec: EpssScore) -> None:
        self.epss.append((self.source, rec.cve, rec.score, rec.percentile, timestamp_text(rec.date)))
        self.report.epss += 1
        if len(self.epss) >= 50 * BATCH:
            self.flush()

    def flush(self) -> None:
        conn = self.conn
        if self.advisories:
            conn.executemany(
                "INSERT INTO advisories (id, source, feed, advisory_id, modified, withdrawn, summary, data) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                self.advisories,
            )
            conn.executemany(
                "INSERT INTO affected (ecosystem_base, name_norm, advisory, ecosystem, withdrawn) "
                "VALUES (?, ?, ?, ?, ?)",
                self.affected,
            )
            conn.executemany("INSERT INTO aliases (alias, advisory) VALUES (?, ?)", self.aliases)
        if self.kev:
            conn.executemany(
                "INSERT INTO kev (source, cve, vendor, product, name, date_added, due_date, ransomware, "
                "notes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                self.kev,
            )
        if self.epss:
            conn.executemany(
                "INSERT INTO epss (source, cve, score, percentile, date) VALUES (?, ?, ?, ?, ?)", self.epss
            )
        self.advisories, self.affected, self.aliases, self.kev, self.epss = [], [], [], [], []


def _delete_source(conn: sqlite3.Connection, source: int) -> None:
    conn.execute(
        "DELETE FROM affected WHERE advisory IN (SELECT id FROM advisories WHERE source = ?)", (source,)
    )
    conn.execute(
        "DELETE FROM aliases WHERE advisory IN (SELECT id FROM advisories WHERE source = ?)", (source,)
    )
    for table in ("advisories", "kev", "epss", "sources"):
        column = "id" if table == "sources" else "source"
        conn.execute(f"DELETE FROM {table} WHERE {column} = ?", (source,))


def _problem_blob(problems: list[Status]) -> bytes:
    return zlib.compress(orjson.dumps([p.to_dict() for p in problems[:MAX_STORED_PROBLEMS]]), 6)


def import_source(conn: sqlite3.Connection, spec: SourceSpec, read: Reader, now: str) -> SourceReport:
    report = SourceReport(spec.name, spec.location, spec.kind, checksum=spec.checksum, version=spec.version)
    old = conn.execute("SELECT id FROM sources WHERE name = ?", (spec.name,)).fetchone()
    cur = conn.execute(
        "INSERT INTO sources (name, location, kind, imported_at, records, advisories, withdrawn, kev, epss, "
        "problems, problem_list, readers) VALUES (?, ?, ?, ?, 0, 0, 0, 0, 0, 0, x'', '{}')",
        (spec.name + _PENDING, spec.location, spec.kind, now),
    )
    source = int(cur.lastrowid or 0)
    writer = _Writer(conn, source, report)
    readers = report.readers
    failed = False
    try:
        for reader, rec in read(spec.path, report.problems):
            readers[reader] = readers.get(reader, 0) + 1
            kind = type(rec)
            if kind is Advisory:
                writer.advisory(rec)  # type: ignore[arg-type]
            elif kind is KevEntry:
                writer.kev_entry(rec)  # type: ignore[arg-type]
            elif kind is EpssScore:
                writer.epss_score(rec)  # type: ignore[arg-type]
            else:
                report.problems.append(
                    Status(PLUGIN, StatusKind.ERROR, f"reader {reader} yielded a {kind.__name__}", spec.path)
                )
        writer.flush()
    except sqlite3.Error:
        raise  # the database being built failed (a full disk): the whole build fails
    except Exception as exc:  # a reader bug must not half-replace the source: keep the previous records
        failed = True
        report.problems.append(
            Status(PLUGIN, StatusKind.ERROR, f"reading failed: {type(exc).__name__}: {exc}", spec.path)
        )
    if failed or report.records == 0:
        if not failed:
            report.problems.append(
                Status(PLUGIN, StatusKind.ERROR, "no advisory, KEV or EPSS records found", spec.path)
            )
        _delete_source(conn, source)
        report.kept_previous = old is not None
        report.advisories = report.withdrawn = report.kev = report.epss = report.duplicates = 0
        return report
    if old is not None:
        _delete_source(conn, int(old[0]))
        report.replaced = True
    if report.kev and report.version is None:
        report.version = kev_catalog_version(spec.path)
    if report.epss and report.version is None:
        dates = conn.execute("SELECT max(date) FROM epss WHERE source = ?", (source,)).fetchone()
        report.version = dates[0]
    conn.execute(
        "UPDATE sources SET name = ?, records = ?, advisories = ?, withdrawn = ?, kev = ?, epss = ?, "
        "problems = ?, problem_list = ?, readers = ?, newest_modified = ?, checksum = ?, version = ? "
        "WHERE id = ?",
        (
            spec.name,
            report.records,
            report.advisories,
            report.withdrawn,
            report.kev,
            report.epss,
            len(report.problems),
            _problem_blob(report.problems),
            orjson.dumps(dict(sorted(readers.items()))).decode(),
            report.newest_modified,
            report.checksum,
            report.version,
            source,
        ),
    )
    return report


_SHADOW = """
UPDATE advisories SET shadowed = 1 WHERE EXISTS (
    SELECT 1 FROM advisories AS b
    WHERE b.advisory_id = advisories.advisory_id AND b.feed = advisories.feed AND b.id != advisories.id
      AND (coalesce(b.modified, '') > coalesce(advisories.modified, '')
           OR (coalesce(b.modified, '') = coalesce(advisories.modified, '') AND b.id > advisories.id)))
"""


def finish(conn: sqlite3.Connection, now: str) -> None:
    conn.execute("UPDATE advisories SET shadowed = 0 WHERE shadowed != 0")
    conn.execute(_SHADOW)
    conn.execute("UPDATE affected SET shadowed = 0 WHERE shadowed != 0")
    conn.execute(
        "UPDATE affected SET shadowed = 1 WHERE advisory IN (SELECT id FROM advisories WHERE shadowed = 1)"
    )
    conn.executemany(
        "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
        [("built_at", now), ("stockade_version", __version__)],
    )
