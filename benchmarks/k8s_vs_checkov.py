"""stockade k8s vs Checkov 3.3 on the same corpus of Kubernetes manifests, side by side in one run.

Target (issue 5): wall time >= 50x faster than Checkov 3.3 on the same corpus of >= 500 manifests.

The corpus (benchmarks/k8s_corpus.py) is regenerated deterministically into benchmarks/corpus/: every Pod
Security Standards conformance fixture, every NetworkPolicy e2e case, and Helm/kustomize/GitOps/kubectl
renderings of realistic workloads; its size and sha256 are printed with the results.  Checkov lives in its
own virtualenv, benchmarks/.venv-checkov (created and installed on first use, then reused), never in the
project's.  Both whole commands run on the whole corpus directory, in fresh processes, alternating, after
one untimed round of each (whose output gives the finding counts); the figure is the median of --runs
timed rounds.  stockade's modules are compiled to bytecode first, as ``pip install`` would have done
(``benchenv.py``).  Checkov runs offline as documented: --skip-download and BC_SKIP_MAPPING=TRUE (no policy
metadata download), CKV_SKIP_PACKAGE_UPDATE_CHECK=TRUE (no PyPI version check at import).  CPU is the
user+system time of each command and every process it waited for (wait4(2)).

    .venv/bin/python benchmarks/k8s_vs_checkov.py [--runs 3] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import benchenv
import k8s_corpus

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "benchmarks" / "corpus"
CHECKOV_VENV = REPO / "benchmarks" / ".venv-checkov"
CHECKOV_REQUIREMENT = "checkov>=3.3,<3.4"
TARGET_RATIO = 50.0
CHECKOV_ENV = {"BC_SKIP_MAPPING": "TRUE", "CKV_SKIP_PACKAGE_UPDATE_CHECK": "TRUE"}


def rel(p: Path) -> str:
    return os.path.relpath(p, REPO)


def stockade_cmd(out: str) -> list[str]:
    exe = rel(REPO / ".venv" / "bin" / "stockade")
    # --no-secrets: Checkov runs only its kubernetes framework here (no secrets), so neither does stockade
    return [exe, "k8s", rel(CORPUS), "--format", "json", "--quiet", "--no-store", "--no-secrets", "-o", out]


def checkov_cmd() -> list[str]:
    exe = rel(CHECKOV_VENV / "bin" / "checkov")
    return [exe, "-d", rel(CORPUS), "--framework", "kubernetes", "--quiet", "--compact", "-o", "json",
            "--skip-download"]  # fmt: skip


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def checkov_version() -> str | None:
    exe = CHECKOV_VENV / "bin" / "checkov"
    if not exe.exists():
        return None
    env = {**os.environ, **CHECKOV_ENV}
    out = subprocess.run([str(exe), "--version"], capture_output=True, text=True, env=env, timeout=300)
    return out.stdout.strip() if out.returncode == 0 else None


def ensure_checkov() -> str:
    """Checkov 3.3.x in benchmarks/.venv-checkov: created once with ``python3 -m venv``, then reused."""
    version = checkov_version()
    if version and version.startswith("3.3."):
        return version
    log(f"installing {CHECKOV_REQUIREMENT} into {rel(CHECKOV_VENV)} (once; takes a few minutes)")
    subprocess.run(["python3", "-m", "venv", str(CHECKOV_VENV)], check=True)
    # keep the virtualenv out of git and out of `ruff check benchmarks`, whatever the top .gitignore says
    (CHECKOV_VENV / ".gitignore").write_text("# created by benchmarks/k8s_vs_checkov.py\n*\n")
    pip = [str(CHECKOV_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, CHECKOV_REQUIREMENT], check=True)
    version = checkov_version()
    if not version:
        raise SystemExit(f"checkov does not run from {rel(CHECKOV_VENV)}")
    return version


@dataclass(frozen=True, slots=True)
class Run:
    wall: float
    cpu: float
    code: int


def run(cmd: list[str], env: dict[str, str], stdout: Path | None, timeout: float) -> Run:
    """One whole command: wall time from fork to exit, CPU of it and every child it waited for."""
    with open(stdout or os.devnull, "wb") as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out, stderr=err, start_new_session=True)
        timer = threading.Timer(timeout, os.killpg, (proc.pid, signal.SIGKILL))
        timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        timer.cancel()
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        if code not in (0, 1):  # both exit 1 for findings (checkov by default; stockade with --fail-on)
            err.seek(0)
            tail = err.read().decode(errors="replace")[-3000:]
            why = f"killed after {timeout:.0f} s" if code == -signal.SIGKILL else f"exit {code}"
            raise SystemExit(f"{' '.join(cmd)}: {why}\n{tail}")
    return Run(wall, usage.ru_utime + usage.ru_stime, code)


def stockade_findings(path: Path) -> dict[str, Any]:
    doc = json.loads(path.read_text())
    return {"findings": len(doc.get("findings", [])), "suppressed": len(doc.get("suppressed", []))}


def checkov_findings(path: Path) -> dict[str, Any]:
    doc = json.loads(path.read_text() or "[]")
    reports = doc if isinstance(doc, list) else [doc]
    keys = ("failed", "passed", "skipped", "parsing_errors", "resource_count")
    return {k: sum(r.get("summary", {}).get(k, 0) for r in reports) for k in keys}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3, help="timed rounds (median); default 3")
    ap.add_argument("--quick", action="store_true", help=f"a {k8s_corpus.QUICK_FILES}-file subset")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds before one command is killed")
    args = ap.parse_args()

    version = ensure_checkov()
    files = k8s_corpus.build(k8s_corpus.conformance_dir())
    if args.quick:
        files = k8s_corpus.quick_subset(files)
    k8s_corpus.write(files, CORPUS)
    corpus = k8s_corpus.stats(files)
    stockade_version = subprocess.run(
        [str(REPO / ".venv" / "bin" / "stockade"), "--version"], capture_output=True, text=True
    ).stdout.strip()

    base_env = benchenv.command_env()  # (stockade as installed: its bytecode compiled, see benchenv)
    ckv_env = {**base_env, **CHECKOV_ENV}
    with tempfile.TemporaryDirectory(prefix="k8s-bench-") as tmp:
        st_out, ckv_out = Path(tmp) / "stockade.json", Path(tmp) / "checkov.json"
        log("untimed round (warms the page cache and bytecode, gives the finding counts)")
        run(stockade_cmd(str(st_out)), base_env, None, args.timeout)
        run(checkov_cmd(), ckv_env, ckv_out, args.timeout)
        st_found, ckv_found = stockade_findings(st_out), checkov_findings(ckv_out)
        st_runs: list[Run] = []
        ckv_runs: list[Run] = []
        for i in range(args.runs):
            st_runs.append(run(stockade_cmd("/dev/null"), base_env, None, args.timeout))
            ckv_runs.append(run(checkov_cmd(), ckv_env, None, args.timeout))
            st, ckv = st_runs[-1].wall, ckv_runs[-1].wall
            log(f"round {i + 1}/{args.runs}: stockade {st:.2f} s, checkov {ckv:.2f} s")

    st_wall = statistics.median(r.wall for r in st_runs)
    ckv_wall = statistics.median(r.wall for r in ckv_runs)
    st_cpu = statistics.median(r.cpu for r in st_runs)
    ckv_cpu = statistics.median(r.cpu for r in ckv_runs)
    ratio = ckv_wall / st_wall
    print(
        f"corpus {rel(CORPUS)}{' (--quick)' if args.quick else ''}: {corpus['files']:,} files, "
        f"{corpus['documents']:,} documents, {corpus['objects']:,} objects, {corpus['bytes'] / 1e6:.1f} MB "
        f"(sha256 {corpus['sha256'][:16]}…)"
    )
    print(f"stockade: {' '.join(stockade_cmd('/dev/null'))}")
    env_words = " ".join(f"{k}={v}" for k, v in CHECKOV_ENV.items())
    print(f"checkov:  {env_words} {' '.join(checkov_cmd())} >/dev/null")
    print()
    print(f"{'command':<22} {'median wall':>12} {'CPU':>9} {'ratio':>8}  findings (informational)")
    print(
        f"{'stockade ' + stockade_version.split()[-1]:<22} {st_wall:>10.2f} s {st_cpu:>7.2f} s {1:>7.1f}×  "
        f"{st_found['findings']:,} findings, {st_found['suppressed']:,} suppressed"
    )
    print(
        f"{'checkov ' + version:<22} {ckv_wall:>10.2f} s {ckv_cpu:>7.2f} s {ratio:>7.1f}×  "
        f"{ckv_found['failed']:,} failed / {ckv_found['passed']:,} passed checks on "
        f"{ckv_found['resource_count']:,} resources, {ckv_found['parsing_errors']} parsing errors"
    )
    verdict = f"{'meets' if ratio >= TARGET_RATIO else 'MISSES'} the ≥ {TARGET_RATIO:.0f}× target"
    print(f"\nstockade {ratio:.1f}× faster (median wall of {args.runs}): {verdict}")
    print(
        json.dumps(
            {
                "benchmark": "k8s_vs_checkov",
                "date": time.strftime("%Y-%m-%d"),
                "quick": args.quick,
                "runs": args.runs,
                "corpus": {k: corpus[k] for k in ("files", "documents", "objects", "bytes", "sha256")},
                "stockade_s": round(st_wall, 3),
                "checkov_s": round(ckv_wall, 3),
                "ratio": round(ratio, 1),
                "stockade_cpu_s": round(st_cpu, 3),
                "checkov_cpu_s": round(ckv_cpu, 3),
                "stockade_walls": [round(r.wall, 3) for r in st_runs],
                "checkov_walls": [round(r.wall, 3) for r in ckv_runs],
                "stockade_findings": st_found,
                "checkov_findings": ckv_found,
                "stockade_version": stockade_version,
                "checkov_version": version,
                "python": sys.version.split()[0],
                "cpus": os.cpu_count(),
            }
        )
    )


if __name__ == "__main__":
    main()
