"""Node.js Security WG vulnerability database (github.com/nodejs/security-wg, ``vuln/``)::

    vuln/npm/1.json   {"id": 1, "module_name": "bassmaster", "vulnerable_versions": "<=1.5.1",
                       "patched_versions": ">=1.5.2", "cves": ["CVE-2014-7205"], "cvss_vector": ...}
    vuln/npm/index.json  every npm entry again, keyed by id
    vuln/core/*.json, vuln/deps/*.json  Node.js itself, and assessments of its bundled dependencies

Each npm entry becomes an :class:`Advisory` ``NSWG-ECO-<id>`` (the WG's own naming, used as an alias
by GitHub advisories), source ``nswg``, aliases = ``cves``, ecosystem ``npm``.  The affected versions
are ``vulnerable_versions`` minus ``patched_versions`` (both node-semver ranges, converted by
:mod:`.semver_ranges`): several entries list overlapping unions such as ``<2.0.18 || <3.0.16`` whose
intent only the patched side states (``^2.0.18 || ^3.0.16``).  A range that cannot be converted is
reported (PARTIAL) and the advisory is kept with an affected entry without ranges and the raw strings
in ``extra`` (``vulnerable_versions``/``patched_versions`` are always kept there).

``index.json`` is skipped when the numbered files sit beside it (it repeats them).  ``core`` (the
Node.js runtime, which no package ecosystem names) and ``deps`` (not-affected assessments of bundled
libraries) are skipped and counted in one SKIPPED status per read.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import orjson

from stockade.model.advisory import Advisory, Affected, FeedRecord, Range
from stockade.model.status import Status, StatusKind
from stockade.vuln.feeds import semver_ranges
from stockade.vuln.feeds.common import iter_files, json_error, opt_str, read_head, suffix
from stockade.vuln.feeds.interface import FeedReader

NAME = "nswg"
SOURCE = "nswg"


class NswgReader(FeedReader):
    NAME = NAME
    DESCRIPTION = "Node.js security WG vulnerability JSON (vuln/npm, vuln/core)"
    CLAIMS_DIRECTORIES = True

    def __init__(self) -> None:
        self._skipped = {"core": 0, "deps": 0}

    @classmethod
    def detect(cls, path: str) -> bool:
        if os.path.isdir(path):
            for sub in ("vuln/npm", "npm", "."):
                if os.path.isfile(os.path.join(path, sub, "index.json")) and _looks_npm(
                    os.path.join(path, sub)
                ):
                    return True
            return False
        if suffix(path) != "json":
            return False
        head = read_head(path)
        if b'"module_name"' in head and b'"vulnerable_versions"' in head:
            return True
        return _kind(head) in ("core", "deps")

    def read(self, path: str, problems: list[Status]) -> Iterator[FeedRecord]:
        self._skipped = {"core": 0, "deps": 0}
        yield from super().read(path, problems)
        if any(self._skipped.values()):
            core, deps = self._skipped["core"], self._skipped["deps"]
            reason = (
                f"skipped {core} Node.js core and {deps} dependency entries (no ecosystem names the runtime)"
            )
            self.problem(problems, path, reason, StatusKind.SKIPPED)

    def files(self, root: str) -> Iterator[str]:
        for file in iter_files(root):
            if os.path.basename(file) == "index.json" and _has_numbered(os.path.dirname(file)):
                continue
            if self.detect(file) or os.path.basename(file) == "index.json":
                yield file

    def read_file(self, path: str, problems: list[Status]) -> Iterator[FeedRecord]:
        try:
            with open(path, "rb") as fh:
                doc = orjson.loads(fh.read())
        except OSError as exc:
            self.problem(problems, path, f"could not be read: {exc.strerror or exc}")
            return
        except orjson.JSONDecodeError as exc:
            self.problem(problems, path, f"failed to parse NSWG JSON: {json_error(exc)}")
            return
        entries = (
            list(doc.values())
            if isinstance(doc, dict) and "module_name" not in doc and "cve" not in doc
            else [doc]
        )
        for entry in entries:
            if not isinstance(entry, dict):
                self.problem(problems, path, "failed to parse NSWG entry: expected an object")
                continue
            if "module_name" not in entry:
                kind = "deps" if "reason" in entry else "core"
                if "cve" in entry or "vulnerable" in entry:
                    self._skipped[kind] += 1
                else:
                    self.problem(problems, path, "failed to parse NSWG entry: missing 'module_name'")
                continue
            advisory = self.convert(entry, path, problems)
            if advisory is not None:
                yield advisory

    def convert(self, entry: dict[str, Any], path: str, problems: list[Status]) -> Advisory | None:
        number, module = entry.get("id"), entry.get("module_name")
        if (
            not isinstance(number, int | str)
            or isinstance(number, bool)
            or not isinstance(module, str)
            or not module
        ):
            self.problem(problems, path, "failed to parse NSWG entry: missing 'id' or 'module_name'")
            return None
        aid = f"NSWG-ECO-{number}"
        vulnerable, patched = entry.get("vulnerable_versions"), entry.get("patched_versions")
        extra: dict[str, Any] = {"vulnerable_versions": vulnerable, "patched_versions": patched}
        ranges: tuple[Range, ...] = ()
        try:
            if not isinstance(vulnerable, str):
                raise semver_ranges.RangeSyntaxError("missing 'vulnerable_versions'")
            ranges = semver_ranges.convert(vulnerable, patched if isinstance(patched, str) else None)
        except semver_ranges.RangeSyntaxError as exc:
            reason = f"failed to parse NSWG advisory {aid}: vulnerable_versions {vulnerable!r}: {exc}"
            self.problem(problems, path, reason, StatusKind.PARTIAL)
            extra["unconverted"] = True
        severity: tuple[tuple[str, str], ...] = ()
        vector = entry.get("cvss_vector")
        if isinstance(vector, str) and vector.startswith("CVSS:3."):
            severity = (("CVSS_V3", vector),)
        elif isinstance(vector, str) and vector.startswith("CVSS:4."):
            severity = (("CVSS_V4", vector),)
        for key in ("cvss_score", "recommendation", "coordinating_vendor", "created_at"):
            if entry.get(key) is not None:
                extra[key] = entry[key]
        cves = entry.get("cves")
        refs = entry.get("references")
        return Advisory(
            id=aid,
            source=SOURCE,
            affected=(Affected("npm", module, ranges, extra={}),),
            aliases=tuple(c for c in cves if isinstance(c, str)) if isinstance(cves, list) else (),
            summary=opt_str(entry.get("title")) or "",
            details=opt_str(entry.get("overview")) or "",
            published=_date(entry.get("publish_date")),
            modified=_date(entry.get("updated_at")),
            severity=severity,
            references=tuple(r for r in refs if isinstance(r, str)) if isinstance(refs, list) else (),
            extra=extra,
        )


def _date(value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    return f"{value}T00:00:00Z" if len(value) == 10 else value


def _kind(head: bytes) -> str | None:
    """``core`` (``vulnerable``/``patched`` of Node.js) or ``deps`` (``reason``) for a WG entry."""
    if b'"cve"' not in head:
        return None
    if b'"vulnerable"' in head:
        return "core"
    if b'"reason"' in head:
        return "deps"
    return None


def _has_numbered(directory: str) -> bool:
    try:
        return any(n.endswith(".json") and n[:-5].isdigit() for n in os.listdir(directory))
    except OSError:
        return False


def _looks_npm(directory: str) -> bool:
    try:
        names = sorted(n for n in os.listdir(directory) if n.endswith(".json") and n[:-5].isdigit())
    except OSError:
        return False
    return bool(names) and NswgReader.detect(os.path.join(directory, names[0]))
