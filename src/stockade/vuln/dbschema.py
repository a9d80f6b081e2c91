"""The advisory database's schema (ordered migrations) and the stored form of an advisory.

The database is one SQLite file that is never modified in place: every import or update builds a new
file and renames it over the old one (see :mod:`stockade.vuln.dbbuild`).  So readers need no WAL and no
write locks, and a schema upgrade is just one more step of a build.

``PRAGMA application_id`` marks the file as a stockade advisory database ("STKA"; the inventory is
"STKD"), ``PRAGMA user_version`` is the schema version, and the ``meta`` table repeats it with the
build's time and the stockade version that wrote it (sqlite.org/pragma.html).  Migrations are
append-only, as in :mod:`stockade.store.migrations`: never edit a shipped one.

Tables:

- ``sources``: one row per imported source.  Its ``name`` is the identity that a re-import replaces:
  the real path of ``db import PATH``, or ``osv:<Ecosystem>``, ``cisa-kev``, ``epss`` for ``db update``.
- ``advisories``: one row per record, the whole :class:`~stockade.model.advisory.Advisory` as
  zlib-compressed (RFC 1950) JSON (orjson) in ``data``, with ``feed`` (``Advisory.source``), id,
  modified, withdrawn and summary as columns.  Several sources may hold the same ``(feed, id)``; the
  build marks all but the newest (by ``modified``, then the latest imported) ``shadowed``, so a look-up
  returns each advisory once.
- ``affected``: the look-up index, one row per distinct ``(ecosystem_base, ecosystem, name_norm)`` of
  an advisory; ``name_norm`` is :func:`stockade.vuln.feeds.names.normalise` of the name.  A
  ``WITHOUT ROWID`` table clustered on ``(ecosystem_base, name_norm, advisory)``, with copies of the
  advisory's withdrawn and shadowed flags: a look-up of any number of names reads only this B-tree,
  each name's rows side by side (sqlite.org/withoutrowid.html).
- ``aliases``: ``alias → advisory``, including each advisory's own id, so that every record naming one
  vulnerability is found from any of its names.
- ``kev``, ``epss``: the CISA KEV catalog and FIRST EPSS scores, per source.
"""

from __future__ import annotations

import sqlite3
import zlib
from datetime import date, datetime
from typing import Any

import orjson

from stockade._internal import sqlite_schema
from stockade._internal.sqlite_schema import Migration as Migration  # re-exported
from stockade.model.advisory import Advisory, Affected, AffectedState, Range, RangeType

#: "STKA": the value of ``PRAGMA application_id`` in every stockade advisory database.
APPLICATION_ID = 0x53544B41
_LEVEL = 1  # zlib level: level 6 takes ~3x as long for ~10% less
_OPTIONS = orjson.OPT_NON_STR_KEYS  # YAML feeds may carry integer keys in database_specific


_V1 = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE sources (
        id              INTEGER PRIMARY KEY,
        name            TEXT NOT NULL UNIQUE,
        location        TEXT NOT NULL,
        kind            TEXT NOT NULL,
        imported_at     TEXT NOT NULL,
        records         INTEGER NOT NULL,
        advisories      INTEGER NOT NULL,
        withdrawn       INTEGER NOT NULL,
        kev             INTEGER NOT NULL,
        epss            INTEGER NOT NULL,
        problems        INTEGER NOT NULL,
        problem_list    BLOB NOT NULL,
        readers         TEXT NOT NULL,
        newest_modified TEXT,
        checksum        TEXT,
        version         TEXT
    )""",
    """CREATE TABLE advisories (
        id          INTEGER PRIMARY KEY,
        source      INTEGER NOT NULL,
        feed        TEXT NOT NULL,
        advisory_id TEXT NOT NULL,
        modified    TEXT,
        withdrawn   TEXT,
        summary     TEXT NOT NULL,
        shadowed    INTEGER NOT NULL DEFAULT 0,
        data        BLOB NOT NULL
    )""",
    "CREATE INDEX advisories_source ON advisories (source)",
    "CREATE INDEX advisories_id ON advisories (advisory_id, feed)",
    """CREATE TABLE affected (
        ecosystem_base TEXT NOT NULL,
        name_norm      TEXT NOT NULL,
        advisory       INTEGER NOT NULL,
        ecosystem      TEXT NOT NULL,
        withdrawn      INTEGER NOT NULL,
        shadowed       INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (ecosystem_base, name_norm, advisory, ecosystem)
    ) WITHOUT ROWID""",
    "CREATE INDEX affected_advisory ON affected (advisory)",
    "CREATE TABLE aliases (alias TEXT NOT NULL, advisory INTEGER NOT NULL)",
    "CREATE INDEX aliases_alias ON aliases (alias)",
    "CREATE INDEX aliases_advisory ON aliases (advisory)",
    """CREATE TABLE kev (
        source     INTEGER NOT NULL,
        cve        TEXT NOT NULL,
        vendor     TEXT NOT NULL,
        product    TEXT NOT NULL,
        name       TEXT NOT NULL,
        date_added TEXT,
        due_date   TEXT,
        ransomware INTEGER NOT NULL,
        notes      TEXT NOT NULL
    )""",
    "CREATE INDEX kev_cve ON kev (cve)",
    "CREATE INDEX kev_source ON kev (source)",
    """CREATE TABLE epss (
        source     INTEGER NOT NULL,
        cve        TEXT NOT NULL,
        score      REAL NOT NULL,
        percentile REAL,
        date       TEXT
    )""",
    "CREATE INDEX epss_cve ON epss (cve)",
    "CREATE INDEX epss_source ON epss (source)",
)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "sources, advisories, affected index, aliases, KEV, EPSS", _V1),
)
LATEST = MIGRATIONS[-1].version

_KIND = sqlite_schema.SchemaKind(
    APPLICATION_ID,
    what="stockade advisory database",
    schema="advisory database",
    wrong_file_hint="give another path with --advisory-db or STOCKADE_ADVISORY_DB",
    newer_hint="upgrade stockade, or use another --advisory-db path",
)


def check(conn: sqlite3.Connection, path: str, latest: int | None = None) -> int:
    """The schema version of a readable database (0: empty); ``StoreError`` for a foreign or newer one
    (newer than ``latest``, default :data:`LATEST`)."""
    return sqlite_schema.check(conn, path, _KIND, LATEST if latest is None else latest)


def migrate(conn: sqlite3.Connection, path: str, migrations: tuple[Migration, ...] | None = None) -> int:
    """Run the missing migrations inside the caller's transaction; return the version it had.

    Only ever called on a new file that is not live yet (a build), so no lock dance is needed."""
    migrations = MIGRATIONS if migrations is None else migrations
    before = check(conn, path, migrations[-1].version)
    sqlite_schema.apply(conn, _KIND, migrations, before)
    conn.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', ?)", (str(migrations[-1].version),)
    )
    return before


# --- the stored form of an advisory ------------------------------------------------------------------


def _default(value: Any) -> Any:
    """What orjson cannot serialise itself (it does dataclasses, enums, datetime and date)."""
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    if isinstance(value, bytes):
        return value.decode("utf-8", "backslashreplace")
    return str(value)


def advisory_json(advisory: Advisory) -> bytes:
    """The advisory as JSON: its dataclass fields, tuples as arrays, enums as their values."""
    return orjson.dumps(advisory, default=_default, option=_OPTIONS)


def encode_advisory(advisory: Advisory) -> bytes:
    """The ``advisories.data`` value: zlib (RFC 1950) data that ``zlib.decompress`` reads.

    A record is ~1-3 KB, so an 8 KB window (``wbits=13``) and ``memLevel=6`` compress it exactly as
    well as the defaults, while the deflate state they need is allocated and cleared ~4x faster: 18 µs
    per record instead of 79 (measured on 10,000 records of shared/data)."""
    deflate = zlib.compressobj(_LEVEL, zlib.DEFLATED, 13, 6)
    return deflate.compress(advisory_json(advisory)) + deflate.flush()


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


_RANGE_TYPES = {t.value: t for t in RangeType}  # a dict look-up is ~10x faster than RangeType(value)
_STATES = {s.value: s for s in AffectedState}


def _affected(doc: dict[str, Any]) -> Affected:
    return Affected(
        doc["ecosystem"],
        doc["name"],
        tuple([Range(_RANGE_TYPES[r["type"]], tuple(map(tuple, r["events"]))) for r in doc["ranges"]]),
        tuple(doc["versions"]),
        _STATES[doc["state"]],
        doc["severity"],
        doc["purl"],
        doc["extra"],
    )


def decode_advisory(blob: bytes) -> Advisory:
    """The stored advisory; ``ValueError`` when the blob is damaged.  (Positional arguments and list
    comprehensions: this runs once per advisory a look-up hits, ~40 µs of which is object creation.)"""
    try:
        doc = orjson.loads(zlib.decompress(blob))
        return Advisory(
            doc["id"],
            doc["source"],
            tuple([_affected(a) for a in doc["affected"]]),
            tuple(doc["aliases"]),
            tuple(doc["related"]),
            doc["summary"],
            doc["details"],
            doc["published"],
            doc["modified"],
            doc["withdrawn"],
            tuple(map(tuple, doc["severity"])),
            doc["severity_label"],
            tuple(doc["references"]),
            doc["extra"],
        )
    except (zlib.error, orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"stored advisory is damaged: {type(exc).__name__}: {exc}") from exc


def timestamp_text(value: Any) -> str | None:
    """A feed's ``modified``/``withdrawn``/date value as text (YAML feeds may give datetime objects)."""
    return _text(value)
