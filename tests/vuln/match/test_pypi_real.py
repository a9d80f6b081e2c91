"""Must-show: real old Python packages, scanned with `stockade rootfs`, get exactly the PyPA advisories
whose ranges contain their versions.

The packages are real releases installed with pip from PyPI (``pip install --no-deps --only-binary
:all: --target``), so their ``.dist-info`` is exactly what pip writes; they are cached in tests/.cache.
The advisory database is the PyPA advisory-database snapshot in ../shared/data/osv-pypi, imported as
`stockade db import` does.  The expected result is computed here, independently of stockade's reader,
matcher and version scheme: the raw OSV YAML files are read with PyYAML and evaluated with the OSV
schema's pseudocode over ``packaging.version`` (the PEP 440 implementation pip itself uses).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from tests.conftest import CACHE, run_cli
from tests.vuln.match.conftest import DATA, needs_data

pytestmark = [needs_data, pytest.mark.slow]

#: old releases (pure-Python wheels) with advisories in the snapshot, and a few without
OLD = (
    "django==2.2", "requests==2.19.0", "urllib3==1.24.1", "jinja2==2.10", "flask==0.12.2", "werkzeug==0.15.0",
    "pyjwt==1.5.0", "sqlparse==0.4.1", "babel==2.9.0", "bleach==3.1.0", "mistune==0.8", "paramiko==2.4.0",
    "waitress==1.4.0", "certifi==2019.11.28", "pip==19.0", "six==1.16.0", "idna==3.7",
)  # fmt: skip
SITE = "usr/lib/python3/dist-packages"


@pytest.fixture(scope="module")
def old_rootfs() -> Path:
    """A root filesystem whose dist-packages holds the OLD releases, pip-installed once and cached."""
    root = CACHE / "vuln-match-pypi" / "rootfs"
    stamp = root.parent / ("complete-" + hashlib.sha256("\n".join(OLD).encode()).hexdigest()[:12])
    if stamp.exists():
        return root
    root.parent.mkdir(parents=True, exist_ok=True)
    with open(root.parent / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one installer across pytest-xdist workers
        if stamp.exists():
            return root
        work = root.parent / "partial"
        shutil.rmtree(work, ignore_errors=True)
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--no-deps", "--only-binary", ":all:", "--no-compile",
             "--disable-pip-version-check", "--cache-dir", str(root.parent / "pip-cache"),
             "--target", str(work / SITE), *OLD],
            capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        if proc.returncode != 0:
            pytest.skip(f"pip could not install the old releases from PyPI: {proc.stderr.strip()[-300:]}")
        shutil.rmtree(root, ignore_errors=True)
        os.replace(work, root)
        stamp.write_text("\n".join(OLD))
    return root


def installed(root: Path) -> dict[str, str]:
    """Canonical name → version, read from the names of every dist-info directory in the tree (pip's,
    and the one bleach vendors: ``bleach/_vendor/html5lib-1.0.1.dist-info``)."""
    out: dict[str, str] = {}
    for d in root.rglob("*.dist-info"):
        name, _, version = d.name[: -len(".dist-info")].partition("-")
        out[canonicalize_name(name)] = version
    return out


def raw_records() -> Iterator[dict[str, Any]]:
    for path in sorted((DATA / "osv-pypi").rglob("*.yaml")):
        with open(path, encoding="utf-8") as fh:
            yield yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def in_range(v: Version, events: list[dict[str, str]]) -> bool | None:
    """The OSV schema's IncludedInRanges for one ECOSYSTEM range; None when a bound is not PEP 440."""
    try:
        parsed = [
            (k, None if (k == "introduced" and s == "0") or (k == "limit" and "*" in s) else Version(s))
            for e in events
            for k, s in e.items()
        ]
    except InvalidVersion:
        return None
    limits = [p for k, p in parsed if k == "limit"]
    if limits and not any(p is None or v < p for p in limits):
        return False
    ordered = sorted(
        (e for e in parsed if e[0] != "limit"), key=lambda e: (e[1] is not None, e[1] or Version("0"))
    )
    vulnerable = False
    for kind, bound in ordered:
        if kind == "introduced" and (bound is None or v >= bound):
            vulnerable = True
        elif bound is not None and (
            (kind == "fixed" and v >= bound) or (kind == "last_affected" and v > bound)
        ):
            vulnerable = False
    return vulnerable


def expected(packages: dict[str, str]) -> tuple[set[tuple[str, str]], dict[str, dict[str, Any]]]:
    """``(package, record id)`` for every live record affecting an installed version."""
    out: set[tuple[str, str]] = set()
    records: dict[str, dict[str, Any]] = {}
    for rec in raw_records():
        if rec.get("withdrawn"):
            continue
        for aff in rec.get("affected") or ():
            pkg = aff.get("package") or {}
            name = canonicalize_name(pkg.get("name", ""))
            if pkg.get("ecosystem") != "PyPI" or name not in packages:
                continue
            version = packages[name]
            hit = version in (aff.get("versions") or ())
            for rng in aff.get("ranges") or ():
                if rng["type"] == "ECOSYSTEM" and in_range(Version(version), rng["events"]):
                    hit = True
            if hit:
                out.add((name, rec["id"]))
                records[rec["id"]] = rec
    return out, records


def test_old_python_packages_get_exactly_the_advisories_of_their_versions(
    old_rootfs: Path, real_pypi_db: Path, tmp_path: Path
) -> None:
    proc = run_cli("rootfs", str(old_rootfs), "--advisory-db", str(real_pypi_db), "--format", "json", "-q",
                   env={"STOCKADE_DB": str(tmp_path / "inv.db")})  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    packages = installed(old_rootfs)
    assert len(packages) == len(OLD) + 1  # and the html5lib that bleach vendors
    assert {canonicalize_name(p["name"]): p["version"] for p in doc["inventory"]["packages"]} == packages

    want, records = expected(packages)
    vulns = [f for f in doc["findings"] if f["kind"] == "vulnerability"]
    got = {(canonicalize_name(f["package"]["name"]), a["id"]) for f in vulns for a in f["advisories"]}
    assert got == want
    assert len(want) >= 60 and len({n for n, _ in want}) >= 12  # real content: most packages are affected

    # one finding per vulnerability per package: the CVE when the record names one, else its own id
    ids = {(canonicalize_name(f["package"]["name"]), f["id"]) for f in vulns}
    assert len(ids) == len(vulns)
    keys: set[tuple[str, str]] = set()
    for name, rid in want:
        cves = sorted({a for a in [rid, *records[rid].get("aliases", [])] if a.startswith("CVE-")})
        keys.update((name, k) for k in (cves or [rid]))
    assert ids == keys

    for f in vulns:  # the fields issue 4 names, and fixed versions that are fixes above the installed one
        assert {"id", "aliases", "severity", "cvss", "epss", "kev", "priority", "why", "package",
                "fixed_versions", "references"} <= set(f)  # fmt: skip
        version = Version(f["package"]["version"])
        ranges = [
            r for a in f["advisories"] for aff in records[a["id"]]["affected"] for r in aff.get("ranges", ())
        ]
        bounds = {e["fixed"] for r in ranges if r["type"] == "ECOSYSTEM" for e in r["events"] if "fixed" in e}
        assert all(Version(v) > version and v in bounds for v in f["fixed_versions"])
        assert f["fix_state"] == ("fixed" if f["fixed_versions"] else "unfixed")

    # the status says what was checked, and that GIT ranges were not guessed at
    [ok] = [s for s in doc["statuses"] if s["plugin"] == "vuln/match" and s["status"] == "ok"]
    n = len(packages)
    assert ok["reason"].startswith(f"{n} of {n} packages checked: {len(vulns)} vulnerabilities")
