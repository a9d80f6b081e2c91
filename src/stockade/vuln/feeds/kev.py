"""CISA Known Exploited Vulnerabilities catalog (cisa.gov/known-exploited-vulnerabilities-catalog;
github.com/cisagov/kev-data), as JSON (``known_exploited_vulnerabilities.json``: ``catalogVersion``,
``vulnerabilities[]``) or CSV (the same fields as columns).  Each entry becomes a :class:`KevEntry`;
``ransomware`` is ``knownRansomwareCampaignUse == "Known"`` (the other value is ``Unknown``).  An entry
without a ``cveID`` is reported (with its index, or its CSV line) and skipped.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import orjson

from stockade.model.advisory import FeedRecord, KevEntry
from stockade.model.status import Status, StatusKind
from stockade.vuln.feeds.common import json_error, read_head, suffix
from stockade.vuln.feeds.interface import FeedReader

NAME = "kev"
_CSV_HEADER = b"cveID,vendorProject,product"


class KevReader(FeedReader):
    NAME = NAME
    DESCRIPTION = "CISA Known Exploited Vulnerabilities catalog (JSON or CSV)"

    @classmethod
    def detect(cls, path: str) -> bool:
        ext = suffix(path)
        head = read_head(path, 2048)
        if ext == "json":
            if b'"$schema"' in head or b'"vulnerabilities"' not in head:  # not the catalog's JSON schema
                return False
            return b'"catalogVersion"' in head or b'"cveID"' in head
        if ext == "csv":
            return head.lstrip().startswith(_CSV_HEADER)
        return False

    def read_file(self, path: str, problems: list[Status]) -> Iterator[FeedRecord]:
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            self.problem(problems, path, f"could not be read: {exc.strerror or exc}")
            return
        if suffix(path) == "csv":
            yield from self._csv(data, path, problems)
        else:
            yield from self._json(data, path, problems)

    def _json(self, data: bytes, path: str, problems: list[Status]) -> Iterator[KevEntry]:
        try:
            doc = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            self.problem(problems, path, f"failed to parse KEV JSON: {json_error(exc)}")
            return
        items = doc.get("vulnerabilities") if isinstance(doc, dict) else None
        if not isinstance(items, list):
            self.problem(
                problems, path, "failed to parse KEV JSON: expected an object with a 'vulnerabilities' list"
            )
            return
        for index, item in enumerate(items):
            entry = _entry(item)
            if entry is None:
                reason = f"failed to parse KEV entry: vulnerabilities[{index}]: missing 'cveID'"
                self.problem(problems, path, reason, StatusKind.PARTIAL)
            else:
                yield entry

    def _csv(self, data: bytes, path: str, problems: list[Status]) -> Iterator[KevEntry]:
        text = data.decode("utf-8-sig", errors="replace")
        reader = csv.DictReader(io.StringIO(text, newline=""))
        try:
            for row in reader:
                entry = _entry(row)
                if entry is None:
                    reason = f"failed to parse KEV CSV: line {reader.line_num}: missing cveID"
                    self.problem(problems, path, reason, StatusKind.PARTIAL)
                else:
                    yield entry
        except csv.Error as exc:
            self.problem(
                problems, path, f"failed to parse KEV CSV: line {reader.line_num}: {exc}", StatusKind.PARTIAL
            )


def _entry(item: Any) -> KevEntry | None:
    if not isinstance(item, dict):
        return None
    cve = item.get("cveID")
    if not isinstance(cve, str) or not cve.strip():
        return None

    def text(key: str) -> str:
        value = item.get(key)
        return value.strip() if isinstance(value, str) else ""

    return KevEntry(
        cve=cve.strip(),
        vendor=text("vendorProject"),
        product=text("product"),
        name=text("vulnerabilityName"),
        date_added=text("dateAdded") or None,
        due_date=text("dueDate") or None,
        ransomware=text("knownRansomwareCampaignUse").lower() == "known",
        notes=text("notes"),
    )
