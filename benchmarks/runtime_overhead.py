"""Overhead of `stockade runtime watch` on a syscall-heavy workload, and the event rate it sustains.

The workload (open/write/close loops, process spawns, TCP connects on loopback) runs alternately without
and with the sensor (upstream stable rules) in the same run; the table shows the median of each.  Then
the workload runs flat out under the sensor and the sensor's own status reports events/s and lost events.
Needs root, bpftrace and BTF.  Usage: ``python benchmarks/runtime_overhead.py [--rounds N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RULES = str(Path(__file__).resolve().parents[1].parent / "shared" / "rules" / "falco" / "falco_rules.yaml")


def workload(n_files: int = 3000, n_spawns: int = 60, n_connects: int = 600) -> float:
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as d:
        for i in range(n_files):
            with open(os.path.join(d, f"f{i % 50}"), "w") as fh:
                fh.write("x")
        for _ in range(n_spawns):
            subprocess.run(["/bin/true"], check=True)
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1024)
    port = srv.getsockname()[1]
    for _ in range(n_connects):
        c = socket.create_connection(("127.0.0.1", port))
        s, _ = srv.accept()
        s.close()
        c.close()
    srv.close()
    return time.perf_counter() - t0


def start_watch(tmp: Path) -> tuple[subprocess.Popen[bytes], Path]:
    status = tmp / "status.json"
    status.unlink(missing_ok=True)
    cmd = [
        sys.executable, "-c", "from stockade.cli.runtime_cmds import main; main()", "watch", "--rules", RULES,
        "--output", f"jsonl:{tmp / 'alerts.jsonl'}", "--status-file", str(status),
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not status.exists():
        if proc.poll() is not None:
            raise SystemExit("runtime watch failed to start")
        time.sleep(0.2)
    return proc, status


def stop_watch(proc: subprocess.Popen[bytes], status: Path) -> dict[str, int]:
    time.sleep(1.0)  # let the sensor drain what is queued
    proc.send_signal(2)
    proc.wait(timeout=60)
    data = json.loads(status.read_text())
    return {k: int(v) for k, v in data.items() if isinstance(v, int | float)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    workload()  # warm caches
    base: list[float] = []
    watched: list[float] = []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        proc, status = start_watch(tmp)
        try:
            for _ in range(args.rounds):
                watched.append(workload())
        finally:
            during = stop_watch(proc, status)
        for _ in range(args.rounds):
            base.append(workload())
        # a second with/without pair, so drift of the machine over the run shows in both medians
        proc, status = start_watch(tmp)
        try:
            for _ in range(args.rounds):
                watched.append(workload())
        finally:
            during2 = stop_watch(proc, status)
        for _ in range(args.rounds):
            base.append(workload())
        # throughput: the workload flat out, several copies at once
        proc, status = start_watch(tmp)
        t0 = time.perf_counter()
        try:
            for _ in range(3):
                workload(n_files=20000, n_spawns=100, n_connects=2000)
        finally:
            burst = stop_watch(proc, status)
        burst_secs = time.perf_counter() - t0
    mb, mw = statistics.median(base), statistics.median(watched)
    print(f"{'measure':<44}{'value':>16}")
    print(f"{'workload median without sensor (s)':<44}{mb:>16.3f}")
    print(f"{'workload median with runtime watch (s)':<44}{mw:>16.3f}")
    print(f"{'slowdown (%)':<44}{(mw / mb - 1) * 100:>16.1f}")
    print(f"{'events (overhead rounds)':<44}{int(during['events']) + int(during2['events']):>16}")
    print(
        f"{'lost events (overhead rounds)':<44}{int(during['lost_events']) + int(during2['lost_events']):>16}"
    )
    print(f"{'burst: events':<44}{burst['events']!s:>16}")
    print(f"{'burst: events/s sustained':<44}{int(burst['events']) / burst_secs:>16.0f}")
    print(f"{'burst: lost events':<44}{burst['lost_events']!s:>16}")


if __name__ == "__main__":
    main()
