"""Cataloging this host vs a bare directory walk of the same tree, in the same run.

Target (issue "Foundation"): catalog wall time <= 1.5x a bare ``os.scandir`` walk of the same tree, peak
RSS <= 200 MB.  Both sides walk the same root with the same exclusions (pseudo filesystems, container
storage), run in fresh child processes, alternate, and start warm (one untimed round first), so the
page cache favours neither.  Prints a table and a JSON line; BENCHMARKS.md records the medians.

    .venv/bin/python benchmarks/catalog_host.py [--runs 5] [--root /]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time


def bare_walk(root: str, excluded: set[str]) -> int:
    """The physical floor: list every directory once, recurse into sub-directories, nothing else."""
    count = 0
    stack = [root]
    while stack:
        top = stack.pop()
        try:
            it = os.scandir(top)
        except OSError:
            continue
        with it:
            for entry in it:
                count += 1
                try:
                    if entry.is_dir(follow_symlinks=False) and entry.path not in excluded:
                        stack.append(entry.path)
                except OSError:
                    pass
    return count


def child(mode: str, root: str, jobs: int | None) -> None:
    from stockade.catalog.walker import ENGINE_STORAGE, excluded_mounts
    from stockade.model.target import TargetKind
    from stockade.scan.scanner import ScanOptions, scan_filesystem
    from stockade.target.host import open_host
    from stockade.target.rootfs import open_rootfs

    t0 = time.perf_counter()
    if mode == "walk":
        excluded = set(excluded_mounts(root)) | {root.rstrip("/") + p for p in ENGINE_STORAGE}
        n = bare_walk(root, excluded)
        out = {"entries": n}
    else:
        target, fs = open_host() if root == "/" else open_rootfs(root, TargetKind.ROOTFS)
        options = ScanOptions() if jobs is None else ScanOptions(jobs=jobs)
        result = scan_filesystem(target, fs, options)
        out = {"packages": len(result.inventory.packages), "files": result.target.metadata["files_walked"]}
    out["seconds"] = time.perf_counter() - t0
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    out["cpu_seconds"] = sum(u.ru_utime + u.ru_stime for u in usage)
    if mode == "catalog":
        # the scan forks worker processes: count the main process and, for every worker, the largest
        # one (getrusage(2): RUSAGE_CHILDREN reports the largest child) — an upper bound of the peak
        from stockade.catalog.runner import default_jobs

        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        child_max = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        out["rss_bound_mb"] = (own + (jobs or default_jobs()) * child_max) / 1024
    print(json.dumps(out))


def run_child(mode: str, root: str, jobs: int | None = None) -> dict[str, float]:
    extra = [] if jobs is None else ["--jobs", str(jobs)]
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", mode, "--root", root, *extra], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    data = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"{mode} child failed with status {status}")
    out: dict[str, float] = json.loads(data)
    out["max_rss_mb"] = usage.ru_maxrss / 1024  # kilobytes on Linux
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--root", default="/")
    ap.add_argument("--child", choices=["walk", "catalog"])
    ap.add_argument("--jobs", type=int, default=None, help="stockade's --jobs (default: its own default)")
    args = ap.parse_args()
    if args.child:
        child(args.child, args.root, args.jobs)
        return
    run_child("walk", args.root)
    run_child("catalog", args.root, args.jobs)  # warm the page cache for both
    walks, cats = [], []
    for _ in range(args.runs):
        walks.append(run_child("walk", args.root))
        cats.append(run_child("catalog", args.root, args.jobs))
    walk_s = statistics.median(w["seconds"] for w in walks)
    walk_cpu = statistics.median(w["cpu_seconds"] for w in walks)
    cat_cpu = statistics.median(c["cpu_seconds"] for c in cats)
    cat_s = statistics.median(c["seconds"] for c in cats)
    rss = max(c["rss_bound_mb"] for c in cats)
    ratio = cat_s / walk_s
    print(
        f"root {args.root}: {int(walks[0]['entries']):,} entries walked, "
        f"{int(cats[0]['packages']):,} packages"
    )
    print(f"bare os.scandir walk   median {walk_s:6.2f} s  ({args.runs} runs), CPU {walk_cpu:.2f} s")
    print(
        f"stockade catalog       median {cat_s:6.2f} s  ratio {ratio:.2f}x (target <= 1.5x), "
        f"CPU {cat_cpu:.2f} s"
    )
    print(f"stockade peak RSS      {rss:6.1f} MB, main + workers (target <= 200 MB)")
    print(
        json.dumps(
            {
                "walk_s": round(walk_s, 3),
                "catalog_s": round(cat_s, 3),
                "ratio": round(ratio, 3),
                "peak_rss_mb": round(rss, 1),
                "runs": args.runs,
                "date": time.strftime("%Y-%m-%d"),
            }
        )
    )


if __name__ == "__main__":
    main()
