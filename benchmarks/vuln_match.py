"""Matching an inventory of 10,000 packages against an advisory database of all of ../shared/data.

Database: `stockade db import` of ../shared/data, built once and cached in benchmarks/.cache/ (rebuilt
when the data's checksum changes).

Inventory: 10,000 packages on a Debian 11 system, across the ecosystems the data has (Debian source
packages from the DSA/DLA lists; PyPI, npm, Go, crates.io, Maven, RubyGems, NuGet, Packagist).  A
third carry real names from the advisory data, with versions taken from those advisories' own events
and version lists (so some are affected and some just fixed); the rest are names no advisory has, with
versions of the ecosystem's form.  Deterministic (seeded).

Measured, each in a fresh process (``--child``), median of N runs, each on a newly opened database
(nothing cached):

- ``match``: :func:`stockade.vuln.match.match_inventory` — look-ups, decoding, range evaluation, alias
  grouping, statuses (target ≤ 1 s);
- ``findings``: match plus :func:`stockade.scan.vulns.build_findings` — CVSS, KEV, EPSS, priority and
  the finding objects, i.e. what `stockade rootfs` adds to a scan;
- ``floor``: the raw look-up alone (:meth:`AdvisoryDB.lookup_names` per ecosystem, which also decodes
  the advisories that hit), the part no matcher can avoid;

and the peak RSS of the child process (target ≤ 300 MB).

    .venv/bin/python benchmarks/vuln_match.py [--runs 5] [--data ../shared/data] [--profile]

``--profile`` runs pyinstrument over one ``findings`` run and prints the report.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
DATA = ROOT.parents[1] / "shared" / "data"
CACHE = ROOT / ".cache" / "vuln_match"
TOTAL = 10_000
LANGUAGES = ("PyPI", "npm", "Go", "crates.io", "Maven", "RubyGems", "NuGet", "Packagist")
PURL_TYPES = {"PyPI": "pypi", "npm": "npm", "Go": "golang", "crates.io": "cargo", "Maven": "maven",
              "RubyGems": "gem", "NuGet": "nuget", "Packagist": "composer", "Debian": "deb"}  # fmt: skip


def database(data: Path) -> Path:
    """The cached database of all of ``data``, (re)built when the data changed."""
    from stockade.vuln.dbbuild import SourceSpec, build, path_checksum

    CACHE.mkdir(parents=True, exist_ok=True)
    db = CACHE / "advisories.db"
    stamp = CACHE / "checksum"
    checksum = path_checksum(str(data))
    if db.exists() and stamp.exists() and stamp.read_text() == checksum:
        return db
    started = time.perf_counter()
    build(str(db), [SourceSpec(str(data), str(data), str(data), checksum=checksum)], fresh=True)
    stamp.write_text(checksum)
    print(f"built {db} from {data} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return db


def _versions_of(blob: bytes) -> list[str]:
    from stockade.vuln.dbschema import decode_advisory

    adv = decode_advisory(blob)
    out: list[str] = []
    for aff in adv.affected:
        out.extend(aff.versions[:5])
        for rng in aff.ranges:
            out.extend(v for k, v in rng.events if v != "0" and k != "limit" and len(v) < 40)
    return out


def inventory_spec(db: Path, seed: int = 7) -> list[dict[str, str]]:
    """The 10,000 packages as plain dicts (name, version, ecosystem, type, source)."""
    rng = random.Random(seed)
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    marks = ",".join("?" * len(LANGUAGES))
    rows = conn.execute(
        "SELECT ecosystem_base, name_norm, min(advisory) FROM affected WHERE withdrawn = 0 AND shadowed = 0 "
        f"AND (ecosystem_base IN ({marks}) OR ecosystem = 'Debian:11') GROUP BY 1, 2",
        LANGUAGES,
    ).fetchall()
    rng.shuffle(rows)
    hits = rows[: TOTAL // 3]
    packages: list[dict[str, str]] = []
    for base, name, advisory in hits:
        (blob,) = conn.execute("SELECT data FROM advisories WHERE id = ?", (advisory,)).fetchone()
        candidates = _versions_of(blob) or ["1.0.0"]
        version = rng.choice(candidates)
        if base == "Go" and not version.startswith("v"):
            version = "v" + version
        packages.append({"ecosystem": base, "name": name, "version": version})
    conn.close()
    forms = {base: "{a}.{b}.{c}" for base in LANGUAGES}
    forms.update({"Go": "v{a}.{b}.{c}", "Debian": "{a}.{b}.{c}-{d}+deb11u1"})
    bases = [*LANGUAGES, "Debian", "Debian"]
    i = 0
    while len(packages) < TOTAL:
        base = bases[i % len(bases)]
        name = f"clean-{base.lower().replace('.', '-')}-{i}" if base != "Maven" else f"org.example:clean-{i}"
        if base == "Go":
            name = f"example.org/clean/m{i}"
        version = forms[base].format(
            a=rng.randint(0, 9), b=rng.randint(0, 30), c=rng.randint(0, 40), d=rng.randint(1, 5)
        )
        packages.append({"ecosystem": base, "name": name, "version": version})
        i += 1
    return packages


def build_inventory(spec: list[dict[str, str]]) -> Any:
    from stockade.catalog.common import make_package
    from stockade.model.inventory import Inventory, OSInfo

    pkgs = []
    for p in spec:
        is_deb = p["ecosystem"] == "Debian"
        pkgs.append(
            make_package(
                name=p["name"], version=p["version"], type_=PURL_TYPES[p["ecosystem"]], found_by="bench",
                path="/bench", ecosystem=p["ecosystem"], source_name=p["name"] if is_deb else None,
                source_version=p["version"] if is_deb else None,
                qualifiers={"distro": "debian-11"} if is_deb else None,
            )
        )  # fmt: skip
    return Inventory(OSInfo(id="debian", version_id="11", version_codename="bullseye"), tuple(pkgs))


def child(db: str, spec_path: str, mode: str, runs: int) -> None:
    """Run one measurement ``runs`` times in this process; print JSON."""
    from stockade.scan.vulns import build_findings, database_facts
    from stockade.vuln.db import AdvisoryDB
    from stockade.vuln.match import match_inventory

    inventory = build_inventory(json.loads(Path(spec_path).read_text()))
    times: list[float] = []
    extra: dict[str, Any] = {}
    for _ in range(runs):
        started = time.perf_counter()
        with AdvisoryDB(db) as adb:
            if mode == "floor":
                by_base: dict[str, set[str]] = {}
                for p in inventory.packages:
                    by_base.setdefault(p.ecosystem, set()).add(p.source_name or p.name)
                hits = sum(len(adb.lookup_names(base, sorted(names))) for base, names in by_base.items())
                extra = {"names_with_advisories": hits}
            else:
                result = match_inventory(inventory, adb)
                extra = {"matches": len(result.matches), "checked": result.checked}
                if mode == "findings":
                    findings = build_findings(adb, result.matches, database_facts(adb), "bench", {})
                    extra["findings"] = len(findings)
        times.append(time.perf_counter() - started)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"times": times, "peak_mb": peak, **extra}))


def measure(db: Path, spec_path: Path, mode: str, runs: int) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--db", str(db), "--spec", str(spec_path),
         "--runs", str(runs)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        sys.exit(f"{mode} failed: {proc.stderr}")
    out: dict[str, Any] = json.loads(proc.stdout)
    return out


def profile(db: Path, spec_path: Path) -> None:
    from pyinstrument import Profiler

    from stockade.scan.vulns import build_findings, database_facts
    from stockade.vuln.db import AdvisoryDB
    from stockade.vuln.match import match_inventory

    inventory = build_inventory(json.loads(spec_path.read_text()))
    profiler = Profiler(interval=0.0005)
    profiler.start()
    with AdvisoryDB(str(db)) as adb:
        result = match_inventory(inventory, adb)
        build_findings(adb, result.matches, database_facts(adb), "bench", {})
    profiler.stop()
    print(profiler.output_text(unicode=True, color=False, show_all=False))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--data", default=str(DATA))
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--child", choices=("match", "findings", "floor"), help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    ap.add_argument("--spec", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.db, args.spec, args.child, args.runs)
        return
    db = database(Path(args.data))
    spec = inventory_spec(db)
    spec_path = CACHE / "inventory.json"
    spec_path.write_text(json.dumps(spec))
    if args.profile:
        profile(db, spec_path)
        return
    by_eco: dict[str, int] = {}
    for p in spec:
        by_eco[p["ecosystem"]] = by_eco.get(p["ecosystem"], 0) + 1
    counts = ", ".join(f"{k} {v:,}" for k, v in sorted(by_eco.items()))
    print(f"inventory: {len(spec):,} packages ({counts}); database {db} ({os.path.getsize(db) / 1e6:.1f} MB)")
    rows = []
    for mode in ("floor", "match", "findings"):
        r = measure(db, spec_path, mode, args.runs)
        rows.append((mode, statistics.median(r["times"]), min(r["times"]), max(r["times"]), r["peak_mb"], r))
    print(f"{'measure':<10} {'median s':>9} {'min s':>7} {'max s':>7} {'peak RSS MB':>12}  result")
    for mode, med, lo, hi, peak, r in rows:
        detail = ", ".join(f"{k} {v:,}" for k, v in r.items() if k not in ("times", "peak_mb"))
        print(f"{mode:<10} {med:>9.3f} {lo:>7.3f} {hi:>7.3f} {peak:>12.0f}  {detail}")
    floor = rows[0][1]
    print(f"match / floor: {rows[1][1] / floor:.2f}x; findings / floor: {rows[2][1] / floor:.2f}x "
          f"(median of {args.runs} runs each, a fresh process and database handle per measure)")  # fmt: skip


if __name__ == "__main__":
    main()
