"""stockade secrets vs detect-secrets 1.5 on the same tree, side by side in one run; recall of both on the
labelled corpus (tests/secrets/testdata/corpus).

Target (issue 10): wall time >= 10x faster than detect-secrets 1.5, with recall at least as high.

The tree is this repository's virtualenv site-packages plus its source tree (src/, tests/), copied into
one scratch directory so that both tools see exactly the same files.  detect-secrets lives in its own
virtualenv, benchmarks/.venv-detect-secrets (created and installed on first use, then reused), never in
the project's; it runs as documented for a tree that is not a git checkout: ``detect-secrets -c N scan
--all-files`` with every plugin and filter it enables by default, on as many cores as stockade uses.
stockade runs ``stockade secrets TREE -f json --no-store``.  Each command runs in a fresh process,
alternating, after one untimed round of each (which warms the page cache and gives the counts); the
figure is the median of --runs timed rounds.

Recall on the corpus: a labelled secret counts as found when the tool reports anything on its line
(detect-secrets names no rule we could compare with); stockade's strict figure (the labelled rule fired)
is printed too.

    .venv/bin/python benchmarks/secrets_vs_detect_secrets.py [--runs 3] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.secrets.corpus_eval import CORPUS, score  # noqa: E402

VENV = REPO / "benchmarks" / ".venv-detect-secrets"
REQUIREMENT = "detect-secrets==1.5.*"
TARGET_RATIO = 10.0
SITE = REPO / ".venv" / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"
_STOCKADE = (
    "import sys\n"
    "from stockade.cli.main import cli, main\n"
    "from stockade.cli.secrets_cmd import secrets\n"
    "if 'secrets' not in cli.commands:\n"
    "    cli.add_command(secrets)\n"
    "main(sys.argv[1:])\n"
)


def detect_secrets() -> Path:
    exe = VENV / "bin" / "detect-secrets"
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(VENV / "bin" / "pip"), "install", "-q", REQUIREMENT], check=True)
    return exe


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def run_stockade(tree: Path) -> tuple[float, list[tuple[str, int, str]]]:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _STOCKADE, "secrets", str(tree), "-f", "json", "-q",
                           "--no-store"], capture_output=True, text=True, check=False)  # fmt: skip
    took = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"stockade failed: {proc.stderr}")
    doc = json.loads(proc.stdout)
    found = [(Path(f["location"]["path"]).name, f["location"]["line"], f["metadata"]["rule"])
             for f in doc["findings"] if f["location"]]  # fmt: skip
    return took, found


def run_detect_secrets(exe: Path, tree: Path) -> tuple[float, list[tuple[str, int, str]]]:
    start = time.perf_counter()
    proc = subprocess.run([str(exe), "-c", str(cores()), "scan", "--all-files", "."], cwd=tree,
                          capture_output=True, text=True, check=False)  # fmt: skip
    took = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"detect-secrets failed: {proc.stderr[-2000:]}")
    doc = json.loads(proc.stdout)
    found = [(Path(name).name, item["line_number"], item["type"])
             for name, items in doc["results"].items() for item in items]  # fmt: skip
    return took, found


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def build_tree(scratch: Path, quick: bool, limit_mb: int | None) -> tuple[Path, int, int]:
    tree = scratch / "tree"
    tree.mkdir()
    sources = [(SITE, "site-packages"), (REPO / "src", "src"), (REPO / "tests", "tests")]
    if quick:
        sources = [(SITE / "rich", "rich"), (REPO / "src", "src")]
    elif limit_mb is not None:  # the first site-packages entries (sorted) up to the limit, and src
        sources, total = [(REPO / "src", "src")], 0
        for entry in sorted(SITE.iterdir()):
            if total >= limit_mb * 1e6:
                break
            total += _size(entry)
            sources.append((entry, f"site-packages/{entry.name}"))
    for src, name in sources:
        if src.is_file():
            (tree / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, tree / name)
            continue
        shutil.copytree(
            src, tree / name, symlinks=True, ignore=shutil.ignore_patterns(".cache", "__pycache__")
        )
    files = size = 0
    for top, _, names in os.walk(tree):
        for n in names:
            p = os.path.join(top, n)
            if os.path.isfile(p) and not os.path.islink(p):
                files += 1
                size += os.path.getsize(p)
    return tree, files, size


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="a small tree (rich + src), one run")
    parser.add_argument(
        "--limit-mb",
        type=int,
        default=None,
        help="only the first site-packages entries up to this many MB (detect-secrets needs "
        "about an hour for the whole tree)",
    )
    args = parser.parse_args()
    runs = 1 if args.quick else args.runs
    exe = detect_secrets()
    version = subprocess.run(
        [str(exe), "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="stockade-secrets-bench-") as tmp:
        tree, files, size = build_tree(Path(tmp), args.quick, args.limit_mb)
        _, st_found = run_stockade(tree)
        _, ds_found = run_detect_secrets(exe, tree)
        st_times, ds_times = [], []
        for _ in range(runs):
            st_times.append(run_stockade(tree)[0])
            ds_times.append(run_detect_secrets(exe, tree)[0])
    st_corpus = run_stockade(CORPUS)[1]
    ds_corpus = run_detect_secrets(exe, CORPUS)[1]
    st_loose, st_strict, ds_loose = (
        score(st_corpus, strict=False),
        score(st_corpus, strict=True),
        score(ds_corpus, strict=False),
    )
    st, ds = statistics.median(st_times), statistics.median(ds_times)
    what = "rich + src" if args.quick else f"{SITE.name} of .venv + src + tests"
    if args.limit_mb is not None and not args.quick:
        what = f"first {args.limit_mb} MB of {SITE.name} of .venv + src"
    print(f"tree: {files} files, {size / 1e6:.0f} MB ({what})")
    print(f"cores: {cores()} (both tools); runs: {runs} (median); detect-secrets {version}")
    print()
    print(f"{'':34}{'stockade secrets':>18}{'detect-secrets':>18}")
    print(f"{'wall time, median (s)':34}{st:>18.2f}{ds:>18.2f}")
    print(f"{'wall times (s)':34}{' '.join(f'{t:.2f}' for t in st_times):>18}"
          f"{' '.join(f'{t:.1f}' for t in ds_times):>18}")  # fmt: skip
    print(f"{'findings on the tree':34}{len(st_found):>18}{len(ds_found):>18}")
    print(f"{'corpus recall (any finding on line)':34}{st_loose.recall:>18.3f}{ds_loose.recall:>18.3f}")
    print(f"{'corpus precision (line level)':34}{st_loose.precision:>18.3f}{ds_loose.precision:>18.3f}")
    print(f"{'corpus recall, strict (right rule)':34}{st_strict.recall:>18.3f}{'-':>18}")
    print(f"{'corpus TP / FP / FN':34}{f'{st_loose.tp}/{st_loose.fp}/{st_loose.fn}':>18}"
          f"{f'{ds_loose.tp}/{ds_loose.fp}/{ds_loose.fn}':>18}")  # fmt: skip
    ratio = ds / st if st else float("inf")
    ok = ratio >= TARGET_RATIO and st_loose.recall >= ds_loose.recall
    print()
    cmp = ">=" if st_loose.recall >= ds_loose.recall else "<"
    verdict = "MET" if ok else "NOT MET"
    print(
        f"speed-up: {ratio:.1f}x (target >= {TARGET_RATIO:.0f}x); recall {cmp} detect-secrets'  ->  {verdict}"
    )


if __name__ == "__main__":
    main()
