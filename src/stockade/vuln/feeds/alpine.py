"""Alpine secdb: ``v3.x/main.yaml`` (the old alpinelinux/alpine-secdb repository) and the JSON of the
same shape that secdb.alpinelinux.org publishes (``v3.x/main.json``)::

    distroversion: v3.11
    reponame: main
    packages:
      - pkg:
          name: ansible
          secfixes:
            2.9.3-r0:
              - CVE-2019-14904
            "0":
              - CVE-2016-0682

Each advisory id becomes one :class:`Advisory` (source ``alpine-secdb``) with, per package and
release, an affected entry in ecosystem ``Alpine:v3.11`` (from ``distroversion``): range ECOSYSTEM
introduced ``0`` fixed <version>.  The files of a directory are read together, so an id that several
releases fixed is one advisory with one entry per release.  When one package and release lists the same
id under several versions (busybox in v3.10 lists CVE-2019-5747 under 1.29.3-r10, the backport, and
again under 1.30.1-r2, the upgrade that also has it), the lowest is the fix: secfixes says from which
version on the package is fixed, and a union of ``[0, v)`` ranges would call the backport affected.

Version ``0`` means the package was never affected: Alpine's convention for "this CVE does not apply"
before the security tracker gained rejections (A. Wilcox/Ariadne Conill, "A slightly-delayed monthly
status update", ariadne.space 2021-06-04: maintainers "reject CVEs ... instead of having to attribute
a security fix to version 0"; v3.8/main.yaml's ``db`` entry comments its ``"0"`` list as a whitelist)
→ NOT_AFFECTED.

An entry line may hold several ids (``CVE-2017-8904 XSA-214``): the first CVE is the id, the rest are
aliases; an entry without a CVE (``XSA-207``) keeps its own id.  ``CVE_2019-2426`` and
``CVE 2018-16859`` are read as ``CVE-2019-2426``/``CVE-2018-16859`` and ``CVE-2017-17434-1`` as
``CVE-2017-17434``; a line with no usable id is reported.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import orjson
import yaml

from stockade.model.advisory import Advisory, Affected, AffectedState, FeedRecord, Range, RangeType
from stockade.model.status import Status, StatusKind
from stockade.vuln.feeds.common import iter_files, json_error, load_yaml, read_head, suffix, yaml_error
from stockade.vuln.feeds.interface import FeedReader

NAME = "alpine"
SOURCE = "alpine-secdb"
_CVE = re.compile(r"^CVE[-_](\d{4})[-_](\d{4,})")
_CVE_SPACE = re.compile(r"\bCVE[\s_]+(\d{4}-)")  # "CVE 2018-16859", "CVE_2019-2426"
_OTHER_ID = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9.]+)+$")
_RELEASE_DIR = re.compile(r"^(v\d+\.\d+|edge)$")

#: (ecosystem, package) → fixed versions in order; "0" = not affected
_Fixes = dict[tuple[str, str], list[str]]


class AlpineReader(FeedReader):
    NAME = NAME
    DESCRIPTION = "Alpine secdb YAML/JSON (distroversion, packages[].pkg.secfixes)"
    CLAIMS_DIRECTORIES = True

    @classmethod
    def detect(cls, path: str) -> bool:
        if os.path.isdir(path):
            return _secdb_dir(path)
        if suffix(path) not in ("yaml", "yml", "json"):
            return False
        head = read_head(path)
        return b"distroversion" in head and b"packages" in head

    def read(self, path: str, problems: list[Status]) -> Iterator[FeedRecord]:
        """A file, or every secdb file under a directory, aggregated by advisory id."""
        by_id: dict[str, _Fixes] = {}
        aliases: dict[str, dict[str, None]] = {}
        if not os.path.exists(path):
            self.problem(problems, path, "no such file or directory")
            return
        files = list(self.files(path)) if os.path.isdir(path) else [path]
        for file in files:
            self._collect(file, problems, by_id, aliases)
        for vid in sorted(by_id):
            affected: list[Affected] = []
            for (ecosystem, package), versions in sorted(by_id[vid].items()):
                if "0" in versions:
                    affected.append(Affected(ecosystem, package, state=AffectedState.NOT_AFFECTED))
                    continue
                fix = _lowest(versions)
                ranges = (Range(RangeType.ECOSYSTEM, (("introduced", "0"), ("fixed", fix))),)
                affected.append(Affected(ecosystem, package, ranges))
            yield Advisory(
                id=vid,
                source=SOURCE,
                affected=tuple(affected),
                aliases=tuple(aliases.get(vid, {})),
                references=(f"https://security.alpinelinux.org/vuln/{vid}",)
                if vid.startswith("CVE-")
                else (),
            )

    def read_file(self, path: str, problems: list[Status]) -> Iterator[FeedRecord]:
        yield from self.read(path, problems)

    def _collect(
        self, path: str, problems: list[Status], by_id: dict[str, _Fixes], aliases: dict[str, dict[str, None]]
    ) -> None:
        doc = self._load(path, problems)
        if doc is None:
            return
        if not isinstance(doc, dict) or not isinstance(doc.get("packages"), list | None):
            self._bad(problems, path, "expected a mapping with 'distroversion' and a 'packages' list")
            return
        release = doc.get("distroversion")
        if not isinstance(release, str) or not release:
            self._bad(problems, path, "missing 'distroversion'")
            return
        ecosystem = f"Alpine:{release if release.startswith('v') or release == 'edge' else 'v' + release}"
        for index, item in enumerate(doc["packages"] or ()):  # an empty repository has "packages:" only
            pkg = item.get("pkg") if isinstance(item, dict) else None
            name = pkg.get("name") if isinstance(pkg, dict) else None
            fixes = pkg.get("secfixes") if isinstance(pkg, dict) else None
            if not isinstance(name, str) or not isinstance(fixes, dict | None):
                self._bad(problems, path, f"packages[{index}]: expected pkg.name and a pkg.secfixes mapping")
                continue
            for version, entries in (fixes or {}).items():
                if entries is None:  # a version key with no ids under it: nothing to record
                    continue
                if not isinstance(entries, list):
                    self._bad(problems, path, f"{name} {version}: expected a list of advisory ids")
                    continue
                for entry in entries:
                    ids = _ids(entry)
                    if not ids:
                        self._bad(problems, path, f"{name} {version}: no advisory id in {entry!r}")
                        continue
                    primary = ids[0]
                    versions = by_id.setdefault(primary, {}).setdefault((ecosystem, name), [])
                    if str(version) not in versions:
                        versions.append(str(version))
                    names = aliases.setdefault(primary, {})
                    for other in ids[1:]:
                        names[other] = None

    def _load(self, path: str, problems: list[Status]) -> Any:
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            self.problem(problems, path, f"could not be read: {exc.strerror or exc}")
            return None
        try:
            return orjson.loads(data) if suffix(path) == "json" else load_yaml(data)
        except orjson.JSONDecodeError as exc:
            self._bad(problems, path, json_error(exc), StatusKind.ERROR)
        except yaml.YAMLError as exc:
            self._bad(problems, path, yaml_error(exc), StatusKind.ERROR)
        except UnicodeError as exc:
            self._bad(problems, path, f"not UTF-8 text: {exc}", StatusKind.ERROR)
        return None

    def _bad(
        self, problems: list[Status], path: str, what: str, kind: StatusKind = StatusKind.PARTIAL
    ) -> None:
        self.problem(problems, path, f"failed to parse Alpine secdb: {what}", kind)


def _ids(entry: Any) -> list[str]:
    """The advisory ids of one secfixes line, the first CVE first."""
    if not isinstance(entry, str):
        return []
    cves: list[str] = []
    others: list[str] = []
    for token in _CVE_SPACE.sub(r"CVE-\1", entry).split():
        cve = _CVE.match(token)
        if cve:
            cves.append(f"CVE-{cve[1]}-{cve[2]}")
        elif _OTHER_ID.match(token) and not token.upper().startswith("CVE"):
            others.append(token)
    return list(dict.fromkeys(cves + others))


def _secdb_dir(path: str) -> bool:
    """A directory of secdb files, or of ``v3.x``/``edge`` directories holding them."""
    try:
        entries = sorted(os.scandir(path), key=lambda e: e.name)
    except OSError:
        return False
    for entry in entries:
        if entry.is_file() and AlpineReader.detect(entry.path):
            return True
    for entry in entries:
        if entry.is_dir() and _RELEASE_DIR.match(entry.name):
            for file in iter_files(entry.path):
                if AlpineReader.detect(file):
                    return True
    return False


def _lowest(versions: list[str]) -> str:
    """The lowest of ``versions`` in apk order; the first when none parses."""
    from stockade.vuln.versions.interface import VersionError
    from stockade.vuln.versions.registry import get_scheme

    apk = get_scheme("apk")
    keyed = []
    for v in versions:
        try:
            keyed.append((apk.key(v), v))
        except VersionError:
            continue
    return min(keyed)[1] if keyed else versions[0]
