"""The Java cataloger on every Java archive under a few roots of this host.

Finds the files the walker would give ``lang/java`` (same extension rule, symbolic links to directories
not followed) under each root, then times ``JavaCataloger().catalog`` on all of them, in this process,
after one untimed warm-up round (so the page cache favours no run).  Prints the median of ``--runs``
timed runs, the number of archives, packages and status entries, and a SHA-256 of the full results
(every package's name, version, purl, location and metadata; every status), so that two versions of the
cataloger can be compared: identical results give the identical checksum.  ``--dump FILE`` writes those
results as JSON lines for a diff.

    .venv/bin/python benchmarks/catalog_java.py [--runs 3] [--dump out.jsonl] [ROOT ...]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import time

from stockade.catalog.interface import CatalogContext
from stockade.catalog.lang.java import JavaCataloger
from stockade.model.inventory import Package
from stockade.model.status import Status
from stockade.target.fs import TargetFS

DEFAULT_ROOTS = ["/root/.m2", "/usr/share/java", "/usr/share/maven-repo", "/usr/lib"]


def find_archives(roots: list[str]) -> list[str]:
    exts = JavaCataloger.EXTENSIONS
    found: set[str] = set()
    stack = [os.path.abspath(r) for r in roots if os.path.isdir(r)]
    while stack:
        top = stack.pop()
        try:
            it = os.scandir(top)
        except OSError:
            continue
        with it:
            for entry in it:
                try:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
                        continue
                except OSError:
                    continue
                dot = entry.name.rfind(".")
                if dot > 0 and entry.name[dot + 1 :].lower() in exts:
                    found.add(entry.path)
    return sorted(found)


def catalog(paths: list[str]) -> tuple[float, list[Package], list[Status]]:
    ctx = CatalogContext(fs=TargetFS("/"), os=None, plugin="catalog/lang/java")
    t0 = time.perf_counter()
    pkgs = JavaCataloger().catalog(ctx, paths)
    return time.perf_counter() - t0, pkgs, ctx.problems


def result_lines(pkgs: list[Package], problems: list[Status]) -> list[str]:
    lines = [
        json.dumps(
            ["package", p.name, p.version, p.purl, [loc.path for loc in p.locations], p.metadata],
            sort_keys=True,
        )
        for p in pkgs
    ]
    lines += [json.dumps(["status", s.path, str(s.status), s.reason]) for s in problems]
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("roots", nargs="*", default=DEFAULT_ROOTS)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--dump", help="write the results (JSON lines) to this file")
    args = ap.parse_args()
    paths = find_archives(args.roots)
    size = sum(os.path.getsize(p) for p in paths if os.path.isfile(p))
    catalog(paths)  # warm-up: page cache, imports
    times: list[float] = []
    lines: list[str] = []
    for _ in range(args.runs):
        seconds, pkgs, problems = catalog(paths)
        times.append(seconds)
        run_lines = result_lines(pkgs, problems)
        assert not lines or run_lines == lines, "results differ between runs"
        lines = run_lines
    digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()
    if args.dump:
        with open(args.dump, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
    npkgs = sum(1 for line in lines if line.startswith('["package"'))
    print(f"archives: {len(paths)} ({size / 1e6:.0f} MB) under {' '.join(args.roots)}")
    print(f"runs: {', '.join(f'{t:.3f}' for t in times)} s; median {statistics.median(times):.3f} s")
    print(f"packages: {npkgs}; status entries: {len(lines) - npkgs}; results sha256: {digest}")


if __name__ == "__main__":
    main()
