"""Reading Kubernetes YAML with the line of every key: PyYAML, the pure-Python fast reader, and its C build.

What is compared: the three ways ``stockade.target.manifests`` can read a file into data plus a position
index, each over every file of the k8s benchmark corpus (``benchmarks/k8s_corpus.py``, the one
``k8s_vs_checkov.py`` uses, built in memory) that the fast reader takes, in one process, alternating,
with the garbage collector off as the CLI runs a scan:

- PyYAML: its C parser and composer (``CSafeLoader``), then stockade's pass that builds the data and the
  positions (``manifests._parse_with_pyyaml``) — the reference the other two must equal;
- the fast reader in Python (``yamlfast`` with ``NATIVE = False``);
- the fast reader with its line splitting and block walk in C (``_yamlc.c``; ``NATIVE = True``).

The figure is the median of --runs rounds, after one untimed round (memoised scalar values warm).

    .venv/bin/python benchmarks/yaml_read.py [--runs 7]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable

import k8s_corpus

from stockade.target import manifests, yamlfast


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    if yamlfast._yamlc is None:
        print("the C module was not built (no compiler at install time): nothing to compare", file=sys.stderr)
        return 2
    files = k8s_corpus.build(k8s_corpus.conformance_dir())
    texts = []
    for _name, data in sorted(files.items()):
        text = data.decode("utf-8-sig")
        try:
            yamlfast.parse(text)
        except yamlfast.Unsupported:
            continue
        texts.append(text)
    size = sum(len(t) for t in texts)

    def fast(native: bool) -> Callable[[], None]:
        def run() -> None:
            yamlfast.NATIVE = native
            for t in texts:
                yamlfast.parse(t)

        return run

    def pyyaml() -> None:
        for t in texts:
            manifests._parse_with_pyyaml(t, "f.yaml")

    ways = {
        "PyYAML (C parser) + positions": pyyaml,
        "fast reader, Python": fast(False),
        "fast reader, C": fast(True),
    }
    times: dict[str, list[float]] = {name: [] for name in ways}
    gc.disable()
    for round_ in range(args.runs + 1):
        for name, run in ways.items():
            t0 = time.perf_counter()
            run()
            elapsed = time.perf_counter() - t0
            if round_:
                times[name].append(elapsed)
        gc.collect()
    print(f"{len(texts)} files, {size / 1e6:.2f} M characters; median of {args.runs} rounds")
    base = statistics.median(times["PyYAML (C parser) + positions"])
    for name, ts in times.items():
        med = statistics.median(ts)
        print(
            f"  {name:32s} {med * 1000:7.1f} ms  {size / med / 1e6:6.2f} M chars/s  {base / med:5.2f}× PyYAML"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
