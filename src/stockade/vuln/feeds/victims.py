"""victims-cve-db (github.com/victims/victims-cve-db) YAML records::

    cve: 2014-0002
    title: "Apache Camel: Read arbitrary files"
    affected:
      - groupId: "org.apache.camel"
        artifactId: "camel-core"
        version: ["<=2.11.3", "<=2.12.2,2.12"]
        fixedin: [">=2.11.4,2.11", ">=2.12.3,2.12"]

One :class:`Advisory` per file, id ``CVE-<cve>``, source ``victims``; a ``groupId``/``artifactId``
entry is ecosystem ``Maven`` named ``groupId:artifactId``, a ``name`` entry (``database/python``)
``PyPI``.  Each ``version`` item is one ECOSYSTEM range.  The item syntax is ``OP VERSION[,SERIES]``
with OP one of ``<=``, ``>=``, ``==`` (the repository README, "version string common"); the series
bounds the range from the other side, as victimsdb-lib reads it (fabric8-analytics/victimsdb-lib,
``VersionRange``: ``<=X,S`` is ``S <= v <= X``):

- ``<=X`` → introduced ``0``, last_affected X; ``<=X,S`` → introduced S, last_affected X;
- ``>=X`` → introduced X; ``>=X,S`` → introduced X, fixed <S with its last number + 1> (``2.12`` →
  ``2.13``): the end of the series, approximately (a prerelease of the next series such as
  ``2.13-beta`` sorts before ``2.13`` and is counted affected);
- ``==X`` → introduced X, last_affected X;
- ``<X[,S]`` (not in the README, but used once: ``<2.8.11.1,2.8``) → like ``<=`` with fixed X.
- ``<=X,S`` where X is a pre-release of S's first release (``<=1.7b1,1.7``, ``<=3.0.0.Alpha1,3``: 20
  items) means the pre-releases of S up to X.  Taken literally (introduced S, last_affected X with S > X)
  OSV evaluation would affect every version from S on, so the lower bound becomes the lowest version of
  the series in the ecosystem's order: PEP 440 ``S.dev0``, Maven ``S-alpha`` (ComparableVersion ranks
  ``alpha`` lowest of its qualifiers); where that is still above X, only X itself.

An item that does not parse is reported (PARTIAL) and left out.  ``fixedin`` and ``unaffected`` are
kept in ``extra``; ``cvss_v2``/``cvss_v3`` scores (numbers, not vectors) in the advisory's ``extra``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import yaml

from stockade.model.advisory import Advisory, Affected, FeedRecord, Range, RangeType
from stockade.model.status import Status, StatusKind
from stockade.vuln.feeds.common import load_yaml, read_head, str_list, suffix, yaml_error
from stockade.vuln.feeds.interface import FeedReader

NAME = "victims"
SOURCE = "victims"
_ITEM = re.compile(r"^(?P<op><=|>=|==|<)(?P<ver>[^,<>= ][^, ]*)(?:,(?P<series>[^, ]+))?$")
_HEAD = re.compile(rb"(?m)^cve:\s*['\"]?(?:CVE-)?\d{4}-\d+")
_LAST_NUMBER = re.compile(r"^(.*?)(\d+)$")


class VictimsReader(FeedReader):
    NAME = NAME
    DESCRIPTION = "victims-cve-db YAML (Maven and PyPI)"

    @classmethod
    def detect(cls, path: str) -> bool:
        if suffix(path) not in ("yaml", "yml"):
            return False
        return _HEAD.search(read_head(path)) is not None

    def read_file(self, path: str, problems: list[Status]) -> Iterator[FeedRecord]:
        try:
            with open(path, "rb") as fh:
                doc = load_yaml(fh.read())
        except OSError as exc:
            self.problem(problems, path, f"could not be read: {exc.strerror or exc}")
            return
        except yaml.YAMLError as exc:
            self.problem(problems, path, f"failed to parse victims YAML: {yaml_error(exc)}")
            return
        if not isinstance(doc, dict) or not isinstance(doc.get("cve"), str | int) or not doc.get("cve"):
            self.problem(problems, path, "failed to parse victims record: missing 'cve'")
            return
        cve = str(doc["cve"]).strip()
        aid = cve if cve.upper().startswith("CVE-") else f"CVE-{cve}"
        raw = doc.get("affected")
        if not isinstance(raw, list):
            self.problem(problems, path, f"failed to parse victims record {aid}: 'affected' is not a list")
            return
        affected: list[Affected] = []
        for index, entry in enumerate(raw):
            item = self._affected(entry, f"{aid}: affected[{index}]", path, problems)
            if item is not None:
                affected.append(item)
        extra = {k: doc[k] for k in ("cvss_v2", "cvss_v3", "package_urls") if doc.get(k) is not None}
        yield Advisory(
            id=aid,
            source=SOURCE,
            affected=tuple(affected),
            summary=doc["title"] if isinstance(doc.get("title"), str) else "",
            details=doc["description"].strip() if isinstance(doc.get("description"), str) else "",
            references=str_list(doc.get("references")),
            extra=extra,
        )

    def _affected(self, entry: Any, at: str, path: str, problems: list[Status]) -> Affected | None:
        if not isinstance(entry, dict):
            self._bad(problems, path, f"{at}: expected a mapping")
            return None
        group, artifact, name = entry.get("groupId"), entry.get("artifactId"), entry.get("name")
        if isinstance(group, str) and isinstance(artifact, str):
            ecosystem, package = "Maven", f"{group.strip()}:{artifact.strip()}"
        elif isinstance(name, str):
            ecosystem, package = "PyPI", name.strip()
        else:
            self._bad(problems, path, f"{at}: expected groupId and artifactId, or name")
            return None
        ranges: list[Range] = []
        versions = entry.get("version")
        for item in versions if isinstance(versions, list) else []:
            converted = to_range(item, ecosystem)
            if converted is None:
                self._bad(
                    problems, path, f"{at}: version {item!r}: expected '<=X', '<X', '>=X' or '==X' [,SERIES]"
                )
            else:
                ranges.append(converted)
        extra = {k: entry[k] for k in ("fixedin", "unaffected") if entry.get(k) is not None}
        return Affected(ecosystem, package, tuple(ranges), extra=extra)

    def _bad(self, problems: list[Status], path: str, what: str) -> None:
        self.problem(problems, path, f"failed to parse victims record {what}", StatusKind.PARTIAL)


def to_range(item: Any, ecosystem: str | None = None) -> Range | None:
    """One victims version item as an ECOSYSTEM range; None when it is not the victims syntax.
    ``ecosystem`` (``Maven``, ``PyPI``) orders a series against a pre-release bound (module docstring)."""
    if not isinstance(item, str):
        return None
    m = _ITEM.match(item.strip())
    if m is None:
        return None
    op, version, series = m["op"], m["ver"], m["series"]
    if op == "==":
        return Range(RangeType.ECOSYSTEM, (("introduced", version), ("last_affected", version)))
    if op in ("<=", "<"):
        kind = "last_affected" if op == "<=" else "fixed"
        low = _series_floor(series, version, ecosystem) if series else "0"
        return Range(RangeType.ECOSYSTEM, (("introduced", low), (kind, version)))
    events: list[tuple[str, str]] = [("introduced", version)]
    end = _series_end(series) if series else None
    if end is not None:
        events.append(("fixed", end))
    return Range(RangeType.ECOSYSTEM, tuple(events))


def _series_end(series: str) -> str | None:
    """``2.12`` → ``2.13``, ``4`` → ``5``; None when the series does not end in a number."""
    m = _LAST_NUMBER.match(series)
    if m is None:
        return None
    return f"{m[1]}{int(m[2]) + 1}"


_FLOORS = {"PyPI": "{}.dev0", "Maven": "{}-alpha"}


def _series_floor(series: str, bound: str, ecosystem: str | None) -> str:
    """The lower bound of ``<=bound,series``: the series itself, unless the series sorts after the
    bound (a pre-release bound), then the lowest version of the series (or the bound itself)."""
    from stockade.vuln.versions.interface import VersionError
    from stockade.vuln.versions.registry import scheme_for

    scheme = scheme_for(ecosystem) if ecosystem else None
    if scheme is None:
        return series
    try:
        if scheme.key(series) <= scheme.key(bound):
            return series
        floor = _FLOORS.get(ecosystem or "", "{}").format(series)
        return floor if scheme.key(floor) <= scheme.key(bound) else bound
    except VersionError:
        return series
