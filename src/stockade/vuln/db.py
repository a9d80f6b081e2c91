"""The local advisory database, read side: look-ups for the matcher, KEV and EPSS, and its status.

Where it is: ``--advisory-db PATH``, else ``$STOCKADE_ADVISORY_DB``, else
``user_data_dir("stockade")/advisories.db``.  Writing (import, update) is
:mod:`stockade.vuln.dbbuild`: the file is only ever replaced whole, so this side opens it read-only
(``mode=ro``) and a reader sees one complete database for as long as it keeps it open.

The matcher's hot path is :meth:`AdvisoryDB.lookup`: one query per call for any number of names (the
names travel as one JSON array parameter and ``json_each`` feeds them to the ``(ecosystem_base,
name_norm)`` index), and only the advisories that hit are decompressed and decoded, once per
:class:`AdvisoryDB` (they are cached by row id).
"""

from __future__ import annotations

import os
import sqlite3
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import orjson
import platformdirs

from stockade._internal import gcpause
from stockade.errors import InputError, StoreError
from stockade.model.advisory import Advisory, EpssScore, KevEntry
from stockade.vuln import dbschema

ENV = "STOCKADE_ADVISORY_DB"
FILE_NAME = "advisories.db"
CREATE_HINT = (
    "create it with `stockade db update` (downloads OSV, CISA KEV and EPSS) or, offline, "
    "`stockade db import PATH`"
)


def default_path() -> str:
    return os.path.join(platformdirs.user_data_dir("stockade", appauthor=False), FILE_NAME)


def resolve_path(option: str | None = None) -> str:
    """The database path: the option, ``$STOCKADE_ADVISORY_DB``, the default; ``~`` expanded."""
    return os.path.abspath(os.path.expanduser(option or os.environ.get(ENV) or default_path()))


class NoAdvisoryDBError(InputError):
    """There is no advisory database at the path yet."""

    def __init__(self, path: str) -> None:
        super().__init__(f"no advisory database at {path}", hint=CREATE_HINT)
        self.path = path


def _error(path: str, exc: sqlite3.Error) -> StoreError:
    text = str(exc)
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return StoreError(
            f"{path}: not a readable advisory database ({text})",
            hint="move the file away and run `stockade db update` or `stockade db import PATH` again",
        )
    return StoreError(f"{path}: cannot read the advisory database: {text}")


def open_readonly(path: str) -> sqlite3.Connection:
    """A read-only connection to the database at ``path``, its header checked (``StoreError`` for a
    foreign, newer or damaged file; :class:`NoAdvisoryDBError` when there is none)."""
    if not os.path.exists(path):
        raise NoAdvisoryDBError(path)
    if os.path.isdir(path):
        raise StoreError(f"{path}: is a directory, not an advisory database file")
    try:
        conn = sqlite3.connect(f"file:{quote(path)}?mode=ro", uri=True, isolation_level=None)
    except sqlite3.Error as exc:
        raise _error(path, exc) from exc
    try:
        dbschema.check(conn, path)
    except sqlite3.Error as exc:
        conn.close()
        raise _error(path, exc) from exc
    except BaseException:
        conn.close()
        raise
    return conn


@dataclass(frozen=True, slots=True)
class SourceInfo:
    name: str
    location: str
    kind: str
    imported_at: str
    records: int
    advisories: int
    withdrawn: int
    kev: int
    epss: int
    problems: int
    readers: dict[str, int]
    newest_modified: str | None
    checksum: str | None
    version: str | None
    problem_list: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "location": self.location,
            "kind": self.kind,
            "imported_at": self.imported_at,
            "records": self.records,
            "advisories": self.advisories,
            "withdrawn": self.withdrawn,
            "kev": self.kev,
            "epss": self.epss,
            "problems": self.problems,
            "readers": self.readers,
            "newest_modified": self.newest_modified,
            "checksum": self.checksum,
            "version": self.version,
        }


@dataclass(frozen=True, slots=True)
class DBStatus:
    path: str
    size: int
    schema: int
    built_at: str | None
    stockade_version: str | None
    advisories: int  # distinct advisories (duplicates across sources counted once)
    withdrawn: int
    ecosystems: dict[str, int]  # ecosystem_base -> distinct advisories
    kev_count: int
    kev_version: str | None
    kev_newest: str | None  # the newest date_added
    epss_count: int
    epss_date: str | None
    sources: tuple[SourceInfo, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "size": self.size,
            "schema": self.schema,
            "built_at": self.built_at,
            "stockade_version": self.stockade_version,
            "advisories": self.advisories,
            "withdrawn": self.withdrawn,
            "ecosystems": self.ecosystems,
            "kev": {"count": self.kev_count, "catalog_version": self.kev_version, "newest": self.kev_newest},
            "epss": {"count": self.epss_count, "date": self.epss_date},
            "sources": [s.to_dict() for s in self.sources],
        }


_LOOKUP = """
SELECT DISTINCT name_norm, advisory FROM affected
WHERE ecosystem_base = ? AND name_norm IN (SELECT value FROM json_each(?)) AND shadowed = 0
  AND (withdrawn = 0 OR ?)
"""


class AdvisoryDB:
    """The advisory database at ``path`` (default: :func:`resolve_path`), opened read-only.

    A database with an older schema is upgraded first (a rebuild under the writer lock, see
    :func:`stockade.vuln.dbbuild.upgrade`)."""

    def __init__(self, path: str | None = None) -> None:
        self.path = resolve_path(path)
        conn = open_readonly(self.path)
        if dbschema.check(conn, self.path) < dbschema.LATEST:
            conn.close()
            from stockade.vuln.dbbuild import upgrade

            upgrade(self.path)
            conn = open_readonly(self.path)
        self._conn: sqlite3.Connection | None = conn
        self._cache: dict[int, Advisory] = {}

    def __enter__(self) -> AdvisoryDB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(f"{self.path}: the advisory database is closed")
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        try:
            return self.conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise _error(self.path, exc) from exc

    def _decode(self, rowids: Iterable[int]) -> dict[int, Advisory]:
        cache = self._cache
        rowids = list(rowids)
        missing = sorted({r for r in rowids if r not in cache})
        if missing:
            rows = self._query(
                "SELECT id, data FROM advisories WHERE id IN (SELECT value FROM json_each(?))",
                (orjson.dumps(missing).decode(),),
            )
            # Thousands of new long-lived objects: without this the cyclic GC runs over and over
            # across all of them (measured: 126 µs per advisory instead of 9).
            with gcpause.paused():
                for rowid, blob in rows:
                    try:
                        cache[rowid] = dbschema.decode_advisory(blob)
                    except ValueError as exc:
                        raise StoreError(
                            f"{self.path}: advisory row {rowid}: {exc}",
                            hint="run `stockade db update` or `stockade db import PATH` to rebuild it",
                        ) from exc
        return {r: cache[r] for r in rowids if r in cache}

    def lookup_names(
        self, ecosystem_base: str, names: Iterable[str], *, include_withdrawn: bool = False
    ) -> dict[str, list[Advisory]]:
        """For each name (as found: it is normalised here), the advisories that name it in an ecosystem
        whose base is ``ecosystem_base`` (``Debian`` covers ``Debian:12``), sorted by id.  Names without
        any are left out.  Withdrawn advisories only with ``include_withdrawn``."""
        from stockade.vuln.feeds.names import normalise

        by_norm: dict[str, list[str]] = {}
        for name in names:
            by_norm.setdefault(normalise(ecosystem_base, name), []).append(name)
        if not by_norm:
            return {}
        rows = self._query(
            _LOOKUP, (ecosystem_base, orjson.dumps(list(by_norm)).decode(), 1 if include_withdrawn else 0)
        )
        hits: dict[str, list[int]] = {}
        for norm, rowid in rows:
            ids = hits.get(norm)
            if ids is None:
                hits[norm] = [rowid]
            else:
                ids.append(rowid)
        decoded = self._decode({r for _, r in rows})
        order = sorted(decoded, key=lambda r: (decoded[r].id, decoded[r].source))
        rank = dict(zip(order, range(len(order)), strict=True))
        out: dict[str, list[Advisory]] = {}
        for norm, ids in hits.items():
            found = [decoded[r] for r in sorted(ids, key=rank.__getitem__)]
            for name in by_norm[norm]:
                out[name] = found
        return out

    def lookup(
        self, ecosystem_base: str, names: Iterable[str], *, include_withdrawn: bool = False
    ) -> list[Advisory]:
        """Every advisory naming any of ``names`` in ``ecosystem_base``, once each, sorted by id."""
        found: dict[tuple[str, str], Advisory] = {}
        for advisories in self.lookup_names(
            ecosystem_base, names, include_withdrawn=include_withdrawn
        ).values():
            for adv in advisories:
                found[(adv.id, adv.source)] = adv
        return [found[k] for k in sorted(found)]

    def get(self, ids: Iterable[str]) -> list[Advisory]:
        """The advisories with these ids (any feed; withdrawn included), sorted by id."""
        rows = self._query(
            "SELECT id FROM advisories "
            "WHERE advisory_id IN (SELECT value FROM json_each(?)) AND shadowed = 0",
            (orjson.dumps(sorted(set(ids))).decode(),),
        )
        decoded = self._decode(r for (r,) in rows)
        return sorted(decoded.values(), key=lambda a: (a.id, a.source))

    def by_alias(self, names: Iterable[str]) -> dict[str, list[str]]:
        """For each name (an advisory id or an alias such as a CVE), the ids of the advisories that are
        it or list it among their aliases — what the matcher needs to merge records of one
        vulnerability.  Names nothing refers to are left out."""
        rows = self._query(
            "SELECT DISTINCT s.alias, v.advisory_id "
            "FROM aliases AS s JOIN advisories AS v ON v.id = s.advisory "
            "WHERE s.alias IN (SELECT value FROM json_each(?)) AND v.shadowed = 0 ORDER BY 1, 2",
            (orjson.dumps(sorted(set(names))).decode(),),
        )
        out: dict[str, list[str]] = {}
        for alias, ident in rows:
            out.setdefault(alias, []).append(ident)
        return out

    def kev(self, cves: Iterable[str]) -> dict[str, KevEntry]:
        """The KEV entries of these CVEs (from the most recently imported source that has each)."""
        rows = self._query(
            "SELECT cve, vendor, product, name, date_added, due_date, ransomware, notes, max(source) "
            "FROM kev WHERE cve IN (SELECT value FROM json_each(?)) GROUP BY cve",
            (orjson.dumps(sorted(set(cves))).decode(),),
        )
        return {r[0]: KevEntry(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]), r[7]) for r in rows}

    def epss(self, cves: Iterable[str]) -> dict[str, EpssScore]:
        """The EPSS scores of these CVEs: the newest model date, then the most recently imported."""
        rows = self._query(
            "SELECT cve, score, percentile, date FROM epss WHERE cve IN (SELECT value FROM json_each(?)) "
            "ORDER BY cve, coalesce(date, '') DESC, source DESC",
            (orjson.dumps(sorted(set(cves))).decode(),),
        )
        out: dict[str, EpssScore] = {}
        for cve, score, percentile, day in rows:
            if cve not in out:
                out[cve] = EpssScore(cve, score, percentile, day)
        return out

    def status(self) -> DBStatus:
        meta = dict(self._query("SELECT key, value FROM meta"))
        sources = tuple(
            SourceInfo(
                name=r[0],
                location=r[1],
                kind=r[2],
                imported_at=r[3],
                records=r[4],
                advisories=r[5],
                withdrawn=r[6],
                kev=r[7],
                epss=r[8],
                problems=r[9],
                readers=orjson.loads(r[10]),
                newest_modified=r[11],
                checksum=r[12],
                version=r[13],
                problem_list=orjson.loads(zlib.decompress(r[14])) if r[14] else [],
            )
            for r in self._query(
                "SELECT name, location, kind, imported_at, records, advisories, withdrawn, kev, epss, "
                "problems, readers, newest_modified, checksum, version, problem_list "
                "FROM sources ORDER BY name"
            )
        )
        (total, withdrawn), *_ = self._query(
            "SELECT count(*), count(withdrawn) FROM advisories WHERE shadowed = 0"
        )
        ecosystems = dict(
            self._query(
                "SELECT ecosystem_base, count(DISTINCT advisory) FROM affected WHERE shadowed = 0 "
                "GROUP BY 1 ORDER BY 1"
            )
        )
        (kev_count, kev_newest), *_ = self._query("SELECT count(DISTINCT cve), max(date_added) FROM kev")
        (epss_count, epss_date), *_ = self._query("SELECT count(DISTINCT cve), max(date) FROM epss")
        kev_versions = [s.version for s in sources if s.kev and s.version]
        return DBStatus(
            path=self.path,
            size=os.path.getsize(self.path),
            schema=int(meta.get("schema", 0)),
            built_at=meta.get("built_at"),
            stockade_version=meta.get("stockade_version"),
            advisories=total,
            withdrawn=withdrawn,
            ecosystems=ecosystems,
            kev_count=kev_count,
            kev_version=max(kev_versions) if kev_versions else None,
            kev_newest=kev_newest,
            epss_count=epss_count,
            epss_date=epss_date,
            sources=sources,
        )
