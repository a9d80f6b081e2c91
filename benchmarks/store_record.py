"""Recording scans in the inventory store: this host's scan, and the same scan grown to 1,000 packages.

Compared with the physical floor of the same write: the zlib-compressed JSON document written to a
file and fsync'ed (what any store must at least do).  Median of N records into a fresh database.

    .venv/bin/python benchmarks/store_record.py [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
import zlib
from dataclasses import replace

from stockade.scan.scanner import scan_filesystem
from stockade.store.sqlite import SqliteStore
from stockade.target.host import open_host


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    result = scan_filesystem(*open_host())
    with tempfile.TemporaryDirectory() as tmp:
        records, floors = [], []
        with SqliteStore(os.path.join(tmp, "bench.db")) as store:
            for n in range(args.runs):
                one = replace(result, scan_id=f"bench{n:08d}")
                t0 = time.perf_counter()
                store.record(one)
                records.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                data = zlib.compress(json.dumps(one.to_dict()).encode(), 1)
                with open(os.path.join(tmp, f"floor{n}"), "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                floors.append(time.perf_counter() - t0)
    rec, floor = statistics.median(records), statistics.median(floors)
    print(f"{len(result.inventory.packages):,} packages: record median {rec * 1000:.1f} ms, "
          f"compressed JSON + fsync {floor * 1000:.1f} ms, ratio {rec / floor:.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
