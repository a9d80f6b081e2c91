"""Helpers for the matching tests: advisory databases built with the real importer (``stockade db
import``'s :func:`~stockade.vuln.dbbuild.build` and the real feed readers), from

- records written by a test in the feeds' own formats (OSV JSON, the Debian tracker's list format), to
  pin down one rule at a time, and
- the real snapshots in ../shared/data (osv-pypi, the Debian DSA/DLA lists, the GHSA Maven subset, CISA
  KEV, EPSS), for the must-show tests.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from stockade.catalog.common import make_package
from stockade.model.inventory import Inventory, OSInfo, Package
from stockade.vuln.db import AdvisoryDB
from stockade.vuln.dbbuild import SourceSpec, build
from stockade.vuln.match import MatchResult, match_inventory
from tests.conftest import SHARED

DATA = SHARED / "data"
needs_data = pytest.mark.skipif(
    not DATA.is_dir(), reason=f"{DATA} (the shared advisory snapshots) is missing"
)


def build_db(path: Path, sources: Iterable[Path]) -> Path:
    """A fresh advisory database at ``path`` holding ``sources``, imported as `stockade db import` does."""
    specs = [SourceSpec(str(p), str(p), str(p)) for p in sources]
    build(str(path), specs, fresh=True)
    return path


def osv(
    ident: str,
    ecosystem: str,
    name: str,
    *ranges: Sequence[tuple[str, str]],
    range_type: str = "ECOSYSTEM",
    versions: Sequence[str] = (),
    aliases: Sequence[str] = (),
    withdrawn: str | None = None,
    severity: Sequence[tuple[str, str]] = (),
    summary: str = "",
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """One OSV record (schema 1.6) affecting one package."""
    affected: dict[str, Any] = {
        "package": {"ecosystem": ecosystem, "name": name},
        "ranges": [{"type": range_type, "events": [{k: v} for k, v in events]} for events in ranges],
    }
    if range_type == "GIT":
        for r in affected["ranges"]:
            r["repo"] = "https://example.org/repo.git"
    if versions:
        affected["versions"] = list(versions)
    rec: dict[str, Any] = {
        "schema_version": "1.6.0",
        "id": ident,
        "modified": "2024-05-01T00:00:00Z",
        "published": "2024-04-01T00:00:00Z",
        "aliases": list(aliases),
        "summary": summary or f"summary of {ident}",
        "details": f"details of {ident}",
        "affected": [affected],
        "references": [{"type": "ADVISORY", "url": f"https://example.org/advisories/{ident}"}],
    }
    if withdrawn:
        rec["withdrawn"] = withdrawn
    if severity:
        rec["severity"] = [{"type": t, "score": s} for t, s in severity]
    if extra:
        rec.update(extra)
    return rec


def write_osv(directory: Path, records: Iterable[dict[str, Any]]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for rec in records:
        (directory / f"{rec['id']}.json").write_text(json.dumps(rec), encoding="utf-8")
    return directory


def pypi(name: str, version: str) -> Package:
    where = f"/usr/lib/python3/dist-packages/{name}-{version}.dist-info/METADATA"
    return make_package(name=name, version=version, type_="pypi", found_by="lang/python", path=where)


def deb(name: str, version: str, source: str | None = None, source_version: str | None = None) -> Package:
    return make_package(
        name=name, version=version, type_="deb", found_by="os/dpkg", path="/var/lib/dpkg/status", line=1,
        namespace="debian", ecosystem="Debian", source_name=source or name,
        source_version=source_version or version, qualifiers={"arch": "amd64"},
    )  # fmt: skip


def debian(version_id: str | None, codename: str | None = None) -> OSInfo:
    return OSInfo(id="debian", version_id=version_id, version_codename=codename)


def match(db_path: Path, packages: Sequence[Package], os: OSInfo | None = None) -> MatchResult:
    with AdvisoryDB(str(db_path)) as db:
        return match_inventory(Inventory(os, tuple(packages)), db)


def found(result: MatchResult) -> dict[tuple[str, str], Any]:
    """``(package name, finding id) → VulnMatch``."""
    return {(m.package.name, m.id): m for m in result.matches}


@pytest.fixture(scope="session")
def real_pypi_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The PyPA advisory database snapshot (osv-pypi), imported."""
    if not DATA.is_dir():
        pytest.skip(f"{DATA} is missing")
    return build_db(tmp_path_factory.mktemp("pypi-db") / "advisories.db", [DATA / "osv-pypi"])


@pytest.fixture(scope="session")
def real_debian_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Debian security tracker DSA/DLA lists, imported."""
    if not DATA.is_dir():
        pytest.skip(f"{DATA} is missing")
    return build_db(
        tmp_path_factory.mktemp("debian-db") / "advisories.db", [DATA / "debian-security-tracker"]
    )
