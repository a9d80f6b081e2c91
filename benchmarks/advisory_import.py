"""`stockade db import` of all of ../shared/data (~15,700 files, 9 feed formats), and look-ups of 10,000
packages in the resulting database.

Import: the real CLI in a fresh interpreter (start-up, reading and parsing every feed, checksums,
writing, fsync and the atomic swap, the summary table), `--fresh` into a new database each run; median
of N runs, and the peak RSS of those processes (ru_maxrss of the children).  Targets: ≤ 30 s, ≤ 300 MB.

Look-up: 10,000 package names spread over the database's ecosystems, one ``lookup_names`` per
ecosystem on a newly opened ``AdvisoryDB`` (so every advisory hit is decoded, nothing is cached).
Two mixes: ``all-hit`` (every distinct name the database has, topped up with misses: the worst case) and
``10%-hit`` (1,000 vulnerable names, 9,000 clean ones: closer to a real large image).  Version
comparison (the matcher's part) is not included.

    .venv/bin/python benchmarks/advisory_import.py [--runs 3] [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def import_once(data: str, db: str) -> float:
    env = {**os.environ, "STOCKADE_ADVISORY_DB": db}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "stockade.cli.main", "db", "import", "--fresh", data],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"db import failed ({done.returncode}): {done.stderr}")
    return elapsed


def packages(db: str, hit_share: float | None, total: int = 10_000) -> dict[str, list[str]]:
    """``ecosystem_base → names``: vulnerable names from the database plus names no advisory has."""
    conn = sqlite3.connect(db)
    known = conn.execute("SELECT DISTINCT ecosystem_base, name_norm FROM affected ORDER BY 1, 2").fetchall()
    conn.close()
    rng = random.Random(7)
    hits = known if hit_share is None else rng.sample(known, min(len(known), int(total * hit_share)))
    bases = sorted({b for b, _ in known})
    misses = [(bases[i % len(bases)], f"not-vulnerable-{i}") for i in range(max(0, total - len(hits)))]
    out: dict[str, list[str]] = {}
    for base, name in [*hits[:total], *misses]:
        out.setdefault(base, []).append(name)
    return out


def lookup_once(db: str, names: dict[str, list[str]]) -> tuple[float, int]:
    from stockade.vuln.db import AdvisoryDB

    started = time.perf_counter()
    with AdvisoryDB(db) as adb:
        found = {
            a.id for base, group in names.items() for v in adb.lookup_names(base, group).values() for a in v
        }
    return time.perf_counter() - started, len(found)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--data", default=str(DATA))
    args = ap.parse_args()
    files = sum(len(f) for _, _, f in os.walk(args.data))
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "advisories.db")
        times = [import_once(args.data, db) for _ in range(args.runs)]
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        conn = sqlite3.connect(db)
        advisories = conn.execute("SELECT count(*) FROM advisories").fetchone()[0]
        conn.close()
        median = statistics.median(times)
        each = ", ".join(f"{t:.2f}" for t in times)
        print(
            f"db import {args.data} ({files:,} files, {advisories:,} advisories): median {median:.2f} s "
            f"of {args.runs} ({each}), peak RSS {peak:.0f} MB, database {os.path.getsize(db) / 1e6:.1f} MB"
        )
        for label, share in (("all-hit", None), ("10%-hit", 0.1)):
            names = packages(db, share)
            count = sum(len(v) for v in names.values())
            runs = [lookup_once(db, names) for _ in range(args.runs)]
            median = statistics.median(r[0] for r in runs)
            print(f"lookup of {count:,} packages ({label}): median {median:.3f} s, {runs[0][1]:,} advisories")


if __name__ == "__main__":
    main()
