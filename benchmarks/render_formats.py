"""Rendering speed of every output format, on a real scan and on a synthetic 1,000-package result.

Target: each format renders 1,000 packages well under a second (a CI gate writes an SBOM per image).
The real input is this host's own scan; the synthetic one is half dpkg, half PyPI packages with
awkward licence strings, as in tests/report.  Median of N renders after one warm-up render.

    .venv/bin/python benchmarks/render_formats.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace

from stockade.catalog.common import make_package
from stockade.model.inventory import Inventory, Package
from stockade.model.result import ScanResult
from stockade.report import registry
from stockade.scan.scanner import scan_filesystem
from stockade.target.host import open_host

LICENSES = ("MIT", "Apache 2.0", "GPL-2.0+", "", "MIT OR Apache-2.0")


def synthetic(base: ScanResult, n: int = 1000) -> ScanResult:
    packages: list[Package] = []
    for i in range(n):
        if i % 2:
            packages.append(
                make_package(
                    name=f"lib{i}", version=f"1.{i}-1", type_="deb", found_by="os/dpkg",
                    path="/var/lib/dpkg/status", line=i * 20 + 1, namespace="debian",
                    qualifiers={"arch": "amd64", "distro": "debian-12"}, source_name=f"src{i}", arch="amd64",
                )
            )  # fmt: skip
        else:
            lic = LICENSES[i % len(LICENSES)]
            packages.append(
                make_package(
                    name=f"py-pkg{i}", version=f"{i}.0", type_="pypi", found_by="lang/python",
                    path=f"/usr/lib/python3/dist-packages/py_pkg{i}-{i}.0.dist-info/METADATA",
                    licenses=(lic,) if lic else (),
                )
            )  # fmt: skip
    return replace(base, inventory=Inventory(base.inventory.os, tuple(packages)))


def median_render(name: str, result: ScanResult, runs: int) -> float:
    formatter = registry.load(name)
    formatter.render(result)  # imports, licence tables
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        formatter.render(result)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    host = scan_filesystem(*open_host())
    inputs = {"synthetic 1,000": synthetic(host), f"this host ({len(host.inventory.packages):,})": host}
    print(f"{'format':<10} " + " ".join(f"{k:>22}" for k in inputs))
    for name in registry.FORMATTERS:
        cells = [f"{median_render(name, r, args.runs) * 1000:>19.0f} ms" for r in inputs.values()]
        print(f"{name:<10} " + " ".join(cells))


if __name__ == "__main__":
    main()
