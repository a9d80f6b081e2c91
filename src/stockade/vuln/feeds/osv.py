"""OSV records (ossf.github.io/osv-schema, schema 1.x): JSON or YAML files, ``{"vulns": [...]}``
wrappers (osv.dev's batch/test form), JSON arrays, directories, and the per-ecosystem ``all.zip``
exports of osv.dev (a zip of ``<ID>.json`` records, read one member at a time; a member that claims
more than :data:`MAX_MEMBER` bytes is reported, not inflated).

Validation is by hand and cheap: a record must be an object with a non-empty string ``id``, and its
``affected`` a list of objects whose ``ranges`` carry a known ``type`` and ``events`` that are
single-key objects of ``introduced``/``fixed``/``last_affected``/``limit`` with string values.  A record
failing that is reported (ERROR, with the file, the record's position and the JSON path) and skipped;
other fields are taken when they have the right type and ignored otherwise.  Unknown ecosystems are
kept as written (the matcher reports them), and so are GIT ranges (type GIT; their ``repo`` goes to the
affected entry's ``extra["git_repos"]``).

Field mapping: ``database_specific`` → ``Advisory.extra`` (plus ``upstream``, OSV 1.7, under
``"osv:upstream"``); ``affected[].ecosystem_specific`` → ``Affected.extra`` (plus the entry's own
``database_specific`` under ``"database_specific"``); ``database_specific.severity`` (GHSA's word) or a
non-vector ``severity`` entry (Ubuntu's ``{"type": "Ubuntu", "score": "medium"}``) →
``severity_label``.
"""

from __future__ import annotations

import os
import zipfile
import zlib
from collections.abc import Iterator
from typing import Any

import orjson
import yaml

from stockade.model.advisory import Advisory, Affected, FeedRecord, Range, RangeType
from stockade.model.status import Status
from stockade.vuln.feeds.common import (
    iter_files,
    json_error,
    load_yaml,
    opt_str,
    read_head,
    str_list,
    suffix,
    yaml_error,
)
from stockade.vuln.feeds.interface import FeedReader

NAME = "osv"
_EVENTS = frozenset(("introduced", "fixed", "last_affected", "limit"))
_RANGE_TYPES = {t.value: t for t in RangeType}
_VECTOR_TYPES = frozenset(("CVSS_V2", "CVSS_V3", "CVSS_V4"))
_JSON_KEYS = (b'"affected"', b'"modified"', b'"schema_version"', b'"published"', b'"aliases"', b'"details"')
#: the largest zip member read (a single OSV record is kilobytes; this refuses decompression bombs)
MAX_MEMBER = 64 * 1024 * 1024
_YAML_KEYS = (b"\naffected:", b"\nmodified:", b"\nschema_version:", b"\npublished:", b"\naliases:")


class Invalid(ValueError):
    """A record that does not have the OSV shape; the message is the JSON path and what was expected."""


class OsvReader(FeedReader):
    NAME = NAME
    DESCRIPTION = "OSV records: JSON, YAML, {vulns: [...]} wrappers, directories and all.zip exports"

    @classmethod
    def detect(cls, path: str) -> bool:
        if os.path.isdir(path):
            return any(cls.detect(f) for _, f in zip(range(20), iter_files(path), strict=False))
        ext = suffix(path)
        if ext == "zip":
            return _zip_of_json(path)
        head = read_head(path)
        if ext == "json":
            start = head.lstrip()
            if start.startswith(b"["):
                start = start[1:].lstrip()
            if not start.startswith(b"{"):
                return False
            if b'"vulns"' in head[:200]:
                return True
            return b'"id"' in head and any(k in head for k in _JSON_KEYS)
        if ext in ("yaml", "yml"):
            text = b"\n" + head
            return b"\nid:" in text and any(k in text for k in _YAML_KEYS)
        return False

    def read_file(self, path: str, problems: list[Status]) -> Iterator[FeedRecord]:
        ext = suffix(path)
        if ext == "zip":
            yield from self._read_zip(path, problems)
            return
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            self.problem(problems, path, f"could not be read: {exc.strerror or exc}")
            return
        yield from self.parse(data, path, problems, yaml_format=ext in ("yaml", "yml"))

    def parse(
        self, data: bytes, path: str, problems: list[Status], *, yaml_format: bool
    ) -> Iterator[Advisory]:
        """The advisories in one JSON or YAML document (``path`` names it in problems)."""
        what = "OSV YAML" if yaml_format else "OSV JSON"
        try:
            doc = load_yaml(data) if yaml_format else orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            self.problem(problems, path, f"failed to parse {what}: {json_error(exc)}")
            return
        except yaml.YAMLError as exc:
            self.problem(problems, path, f"failed to parse {what}: {yaml_error(exc)}")
            return
        except UnicodeError as exc:
            self.problem(problems, path, f"failed to parse {what}: not UTF-8 text: {exc}")
            return
        if isinstance(doc, dict) and isinstance(doc.get("vulns"), list) and "id" not in doc:
            records: list[Any] = doc["vulns"]
            where = "vulns[{}]"
        elif isinstance(doc, list):
            records, where = doc, "[{}]"
        else:
            records, where = [doc], ""
        for index, record in enumerate(records):
            try:
                yield convert(record)
            except Invalid as exc:
                at = where.format(index)
                rid = record.get("id") if isinstance(record, dict) else None
                label = f"record {at}" + (f" ({rid})" if isinstance(rid, str) else "") if at else "record"
                self.problem(problems, path, f"failed to parse OSV record: {label}: {exc}")

    def _read_zip(self, path: str, problems: list[Status]) -> Iterator[Advisory]:
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            self.problem(problems, path, f"failed to parse OSV zip: not a readable zip archive: {exc}")
            return
        with archive:
            for info in archive.infolist():
                if info.is_dir():
                    continue
                name = info.filename
                ext = suffix(name)
                if ext not in ("json", "yaml", "yml"):
                    continue
                member = f"{path}!{name}"
                if info.file_size > MAX_MEMBER:
                    reason = (
                        f"failed to parse OSV zip: member {name}: {info.file_size} bytes, over {MAX_MEMBER}"
                    )
                    self.problem(problems, member, reason)
                    continue
                try:
                    with archive.open(info) as fh:
                        data = fh.read()
                except (
                    zipfile.BadZipFile,
                    zlib.error,
                    OSError,
                    EOFError,
                    NotImplementedError,
                    ValueError,
                ) as exc:
                    self.problem(problems, member, f"failed to parse OSV zip: member {name}: {exc}")
                    continue
                yield from self.parse(data, member, problems, yaml_format=ext != "json")


def _zip_of_json(path: str) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist()[:10] if not n.endswith("/")]
    except (zipfile.BadZipFile, OSError, ValueError):
        return read_head(path, 4).startswith(b"PK")  # a damaged zip: let the reader report it
    return bool(names) and all(suffix(n) in ("json", "yaml", "yml") for n in names)


def convert(rec: Any) -> Advisory:
    """One OSV record as an :class:`Advisory`; :class:`Invalid` when it lacks the OSV shape."""
    if not isinstance(rec, dict):
        raise Invalid(f"expected an object, got {type(rec).__name__}")
    rid = rec.get("id")
    if not isinstance(rid, str) or not rid.strip():
        raise Invalid("missing 'id' (a non-empty string)")
    raw_affected = rec.get("affected")
    if raw_affected is None:
        raw_affected = []
    if not isinstance(raw_affected, list):
        raise Invalid(f"'affected': expected a list, got {type(raw_affected).__name__}")
    affected = tuple(_affected(a, i) for i, a in enumerate(raw_affected))
    severity, label = _severity(rec.get("severity"))
    db = rec.get("database_specific")
    extra: dict[str, Any] = dict(db) if isinstance(db, dict) else {}
    if isinstance(extra.get("severity"), str):
        label = extra["severity"]
    upstream = str_list(rec.get("upstream"))
    if upstream:
        extra["osv:upstream"] = list(upstream)
    refs = rec.get("references")
    references = (
        tuple(r["url"] for r in refs if isinstance(r, dict) and isinstance(r.get("url"), str))
        if isinstance(refs, list)
        else ()
    )
    return Advisory(
        id=rid,
        source=NAME,
        affected=affected,
        aliases=str_list(rec.get("aliases")),
        related=str_list(rec.get("related")),
        summary=opt_str(rec.get("summary")) or "",
        details=opt_str(rec.get("details")) or "",
        published=opt_str(rec.get("published")),
        modified=opt_str(rec.get("modified")),
        withdrawn=opt_str(rec.get("withdrawn")),
        severity=severity,
        severity_label=label,
        references=references,
        extra=extra,
    )


def _severity(value: Any) -> tuple[tuple[tuple[str, str], ...], str | None]:
    if not isinstance(value, list):
        return (), None
    pairs = tuple(
        (s["type"], s["score"])
        for s in value
        if isinstance(s, dict) and isinstance(s.get("type"), str) and isinstance(s.get("score"), str)
    )
    label = next((score for kind, score in pairs if kind not in _VECTOR_TYPES), None)
    return pairs, label


def _affected(entry: Any, index: int) -> Affected:
    at = f"affected[{index}]"
    if not isinstance(entry, dict):
        raise Invalid(f"{at}: expected an object, got {type(entry).__name__}")
    package = entry.get("package")
    if package is None:
        package = {}
    if not isinstance(package, dict):
        raise Invalid(f"{at}.package: expected an object")
    ecosystem = package.get("ecosystem", "")
    name = package.get("name", "")
    if not isinstance(ecosystem, str) or not isinstance(name, str):
        raise Invalid(f"{at}.package: 'ecosystem' and 'name' must be strings")
    raw_ranges = entry.get("ranges")
    if raw_ranges is None:
        raw_ranges = []
    if not isinstance(raw_ranges, list):
        raise Invalid(f"{at}.ranges: expected a list")
    ranges: list[Range] = []
    repos: list[str] = []
    for j, raw in enumerate(raw_ranges):
        ranges.append(_range(raw, f"{at}.ranges[{j}]", repos))
    versions = entry.get("versions")
    if versions is not None and not (
        isinstance(versions, list) and all(isinstance(v, str) for v in versions)
    ):
        raise Invalid(f"{at}.versions: expected a list of strings")
    eco_specific = entry.get("ecosystem_specific")
    extra: dict[str, Any] = dict(eco_specific) if isinstance(eco_specific, dict) else {}
    if isinstance(entry.get("database_specific"), dict):
        extra["database_specific"] = entry["database_specific"]
    if repos:
        extra["git_repos"] = repos
    severity, _ = _severity(entry.get("severity"))
    return Affected(
        ecosystem=ecosystem,
        name=name,
        ranges=tuple(ranges),
        versions=tuple(versions or ()),
        severity=severity[0][1] if severity else None,
        purl=opt_str(package.get("purl")),
        extra=extra,
    )


def _range(raw: Any, at: str, repos: list[str]) -> Range:
    if not isinstance(raw, dict):
        raise Invalid(f"{at}: expected an object")
    kind = _RANGE_TYPES.get(raw.get("type"))  # type: ignore[arg-type]
    if kind is None:
        raise Invalid(f"{at}.type: expected one of ECOSYSTEM, SEMVER, GIT, got {raw.get('type')!r}")
    events = raw.get("events")
    if not isinstance(events, list) or not events:
        raise Invalid(f"{at}.events: expected a non-empty list")
    out: list[tuple[str, str]] = []
    for k, event in enumerate(events):
        if not isinstance(event, dict) or len(event) != 1:
            raise Invalid(f"{at}.events[{k}]: expected an object with one key")
        ((key, value),) = event.items()
        if key not in _EVENTS or not isinstance(value, str):
            raise Invalid(f"{at}.events[{k}]: expected introduced/fixed/last_affected/limit with a string")
        out.append((key, value))
    repo = raw.get("repo")
    if kind is RangeType.GIT and isinstance(repo, str) and repo not in repos:
        repos.append(repo)
    return Range(kind, tuple(out))
