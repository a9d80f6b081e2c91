"""EPSS scores (first.org/epss) as CSV, plain or gzip-compressed, in two layouts:

- FIRST's daily file (``epss_scores-YYYY-MM-DD.csv.gz``, first.org/epss/data_stats)::

      #model_version:v2023.03.01,score_date:2023-03-16T00:00:00+0000
      cve,epss,percentile
      CVE-1999-0001,0.01167,0.83060

  ``date`` is the ``score_date``'s day;
- jgamblin/KEV_EPSS's ``epss_kev_nvd.csv``: ``CVE,CVSS3,EPSS,EPSS Percentile,Description,Vendor,Product``
  (no model date: ``date`` is None).

A row whose CVE is missing or whose score is not a number in [0, 1] is reported with its line and
skipped; an empty percentile is kept as None.
"""

from __future__ import annotations

import csv
import gzip
import io
import zlib
from collections.abc import Iterator

from stockade.model.advisory import EpssScore, FeedRecord
from stockade.model.status import Status, StatusKind
from stockade.vuln.feeds.common import read_head, suffix
from stockade.vuln.feeds.interface import FeedReader

NAME = "epss"
#: lower-case header → (cve column, score column, percentile column)
_LAYOUTS: dict[str, tuple[str, str, str]] = {
    "cve": ("cve", "epss", "percentile"),
    "CVE": ("CVE", "EPSS", "EPSS Percentile"),
}


class EpssReader(FeedReader):
    NAME = NAME
    DESCRIPTION = "FIRST EPSS scores (daily CSV, .csv.gz) and the KEV_EPSS epss_kev_nvd.csv"

    @classmethod
    def detect(cls, path: str) -> bool:
        name = path.lower()
        if name.endswith(".csv.gz"):
            try:
                with gzip.open(path, "rb") as fh:
                    head = fh.read(512)
            except (OSError, EOFError, zlib.error):
                return False
        elif suffix(path) == "csv":
            head = read_head(path, 512)
        else:
            return False
        first = head.lstrip().split(b"\n", 1)[0].strip().lower()
        return first.startswith(
            (b"#model_version", b"cve,epss,percentile", b"cve,cvss3,epss,epss percentile")
        )

    def read_file(self, path: str, problems: list[Status]) -> Iterator[FeedRecord]:
        try:
            if path.lower().endswith(".gz"):
                with gzip.open(path, "rb") as fh:
                    data = fh.read()
            else:
                with open(path, "rb") as fh:
                    data = fh.read()
        except (OSError, EOFError, zlib.error) as exc:
            self.problem(problems, path, f"could not be read: {exc}")
            return
        text = data.decode("utf-8-sig", errors="replace")
        date: str | None = None
        offset = 0
        if text.startswith("#"):
            first, _, text = text.partition("\n")
            offset = 1
            for part in first.lstrip("#").split(","):
                key, _, value = part.partition(":")
                if key.strip() == "score_date":
                    date = value.strip()[:10] or None
        reader = csv.reader(io.StringIO(text, newline=""))
        header = next(reader, None)
        layout = _LAYOUTS.get(header[0].strip()) if header else None
        if header is None or layout is None or not all(c in header for c in layout):
            self.problem(
                problems, path, f"failed to parse EPSS CSV: line {offset + 1}: expected 'cve,epss,percentile'"
            )
            return
        cve_at, score_at, pct_at = (header.index(c) for c in layout)
        try:
            for row in reader:
                if not row:
                    continue
                line = reader.line_num + offset
                score = _row(row, cve_at, score_at, pct_at, date)
                if isinstance(score, str):
                    self.problem(
                        problems, path, f"failed to parse EPSS CSV: line {line}: {score}", StatusKind.PARTIAL
                    )
                else:
                    yield score
        except csv.Error as exc:
            line = reader.line_num + offset
            self.problem(problems, path, f"failed to parse EPSS CSV: line {line}: {exc}", StatusKind.PARTIAL)


def _row(row: list[str], cve_at: int, score_at: int, pct_at: int, date: str | None) -> EpssScore | str:
    if len(row) <= max(cve_at, score_at):
        return f"expected at least {max(cve_at, score_at) + 1} columns, got {len(row)}"
    cve = row[cve_at].strip()
    if not cve.upper().startswith("CVE-"):
        return f"expected a CVE id, got {cve!r}"
    try:
        score = float(row[score_at])
    except ValueError:
        return f"expected a score, got {row[score_at]!r}"
    if not 0.0 <= score <= 1.0:
        return f"score {score} outside [0, 1]"
    percentile: float | None = None
    raw = row[pct_at].strip() if len(row) > pct_at else ""
    if raw:
        try:
            percentile = float(raw)
        except ValueError:
            return f"expected a percentile, got {raw!r}"
    return EpssScore(cve=cve, score=score, percentile=percentile, date=date)
