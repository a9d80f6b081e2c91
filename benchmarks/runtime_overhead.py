"""Overhead of `stockade runtime watch` on a syscall-heavy workload, and the event rate it sustains.

The workload (open/write/close loops, process spawns, TCP connects on loopback) runs in with/without pairs
in the same run: each pair runs it once without and once under a freshly started ``runtime watch --source
ebpf`` (upstream stable rules), the order alternating from pair to pair so a drift of the machine favours
neither side.  The table shows the median of each side, the median of the per-pair ratios and their
quartiles (the spread says how much of the figure is noise).  The workload process is pinned to one CPU
(``--pin``; the sensor may use all of them) to cut scheduler noise.  Then the workload runs flat out under
the sensor and the sensor's status reports events/s and lost events.  Needs root, bpftrace and BTF.
Last, one more sensor run with ``kernel.bpf_stats_enabled`` reports how long the BPF programs themselves
ran per operation of each part of the workload (exact, unlike the wall clock of this noisy VM; it leaves
out the tracepoint dispatch and the wake-up of bpftrace after each record it prints).
Usage: ``python benchmarks/runtime_overhead.py [--rounds N] [--scale X] [--pin CPU|none] [--no-burst]``.
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


#: tmpfs, so the file loop measures system calls, not ext4's flush-on-truncate writeback (~2 ms a file here)
SCRATCH = "/dev/shm" if os.path.isdir("/dev/shm") else None


def file_loop(n: int, scratch: str | None = SCRATCH) -> None:
    with tempfile.TemporaryDirectory(dir=scratch) as d:
        for i in range(n):
            with open(os.path.join(d, f"f{i % 50}"), "w") as fh:
                fh.write("x")


def spawns(n: int) -> None:
    for _ in range(n):
        subprocess.run(["/bin/true"], check=True)


def connects(n: int) -> None:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1024)
    port = srv.getsockname()[1]
    for _ in range(n):
        c = socket.create_connection(("127.0.0.1", port))
        s, _ = srv.accept()
        s.close()
        c.close()
    srv.close()


def workload(
    n_files: int = 20000, n_spawns: int = 100, n_connects: int = 1500, scratch: str | None = SCRATCH
) -> float:
    t0 = time.perf_counter()
    file_loop(n_files, scratch)
    spawns(n_spawns)
    connects(n_connects)
    return time.perf_counter() - t0


BPF_STATS = Path("/proc/sys/kernel/bpf_stats_enabled")


def bpf_run_time(pid: int) -> tuple[int, int]:
    """Nanoseconds the BPF programs of process ``pid`` ran, and how many runs (the kernel counts both
    while ``kernel.bpf_stats_enabled`` is 1; ``/proc/PID/fdinfo`` shows them per program)."""
    total = runs = 0
    for info in Path(f"/proc/{pid}/fdinfo").iterdir():
        try:
            text = info.read_text()
        except OSError:
            continue
        if "prog_type" not in text:
            continue
        fields = dict(line.split(":\t", 1) for line in text.splitlines() if ":\t" in line)
        total += int(fields.get("run_time_ns", 0))
        runs += int(fields.get("run_cnt", 0))
    return total, runs


def kernel_cost(
    tmp: Path, rules: str, size: dict[str, int], scratch: str | None
) -> dict[str, tuple[float, float]]:
    """The time the sensor's BPF programs ran on the workload's CPU, per part of the workload: (ns per
    operation, % of the part's wall time).  Exact where the wall-clock figure is noisy, but only part of
    the cost: not the tracepoint dispatch, nor the wake-ups of the reader after each record."""
    before = BPF_STATS.read_text().strip()
    BPF_STATS.write_text("1")
    proc, status = start_watch(tmp, None, rules)
    out: dict[str, tuple[float, float]] = {}
    try:
        kids = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        bpftrace = int(kids[0])
        time.sleep(1.0)
        parts = [
            ("write opens", size["n_files"], lambda: file_loop(size["n_files"], scratch)),
            ("process spawns", size["n_spawns"], lambda: spawns(size["n_spawns"])),
            ("TCP connects", size["n_connects"], lambda: connects(size["n_connects"])),
        ]
        for name, n, run in parts:
            if not n:
                continue
            a = bpf_run_time(bpftrace)
            t0 = time.perf_counter()
            run()
            wall = time.perf_counter() - t0
            b = bpf_run_time(bpftrace)
            out[name] = ((b[0] - a[0]) / n, (b[0] - a[0]) / 1e9 / wall * 100)
    finally:
        stop_watch(proc, status)
        BPF_STATS.write_text(before)
    return out


#: for the throughput run: a rule an open of any path can meet, so the kernel reports every write open
#: (the rules' path tests would otherwise keep the file loop's opens from the sensor)
EVERY_WRITE = """- rule: Any write open
  desc: every write open reaches the sensor (throughput measurement)
  condition: evt.type in (open, openat, openat2) and evt.is_open_write = true and proc.name = stk-never
  output: never %fd.name
  priority: DEBUG
"""


def start_watch(
    tmp: Path, cpus: set[int] | None = None, rules: str = RULES, extra: list[str] | None = None
) -> tuple[subprocess.Popen[bytes], Path]:
    status = tmp / "status.json"
    status.unlink(missing_ok=True)
    cmd = [
        sys.executable, "-c", "from stockade.cli.runtime_cmds import main; main()", "watch",
        "--source", "ebpf", "--rules", rules, *(extra or []), "--output", f"jsonl:{tmp / 'alerts.jsonl'}",
        "--status-file", str(status),
    ]  # fmt: skip
    # the sensor may use every CPU even when the workload is pinned
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=lambda: os.sched_setaffinity(0, cpus or ALL),
    )
    while not status.exists():
        if proc.poll() is not None:
            raise SystemExit("runtime watch failed to start")
        time.sleep(0.2)
    return proc, status


def stop_watch(proc: subprocess.Popen[bytes], status: Path) -> dict[str, int]:
    time.sleep(1.0)  # let the sensor drain what is queued
    proc.send_signal(15)  # SIGTERM: a run started with SIGINT ignored could not stop it
    proc.wait(timeout=60)
    data = json.loads(status.read_text())
    return {k: int(v) for k, v in data.items() if isinstance(v, int | float)}


ALL = set(range(os.cpu_count() or 1))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--rounds", type=int, default=10, help="with/without pairs (the sensor restarts each pair)"
    )
    ap.add_argument("--scale", type=float, default=2.0, help="workload size multiplier")
    ap.add_argument("--pin", default="last", help="CPU for the workload ('last', a number, or 'none')")
    ap.add_argument(
        "--sensor-pin", default="", help="CPUs for the sensor and bpftrace, e.g. '0' (default: all)"
    )
    ap.add_argument("--no-burst", action="store_true", help="skip the throughput run")
    ap.add_argument("--rules", default=RULES, help="rules file for the sensor (default: upstream stable)")
    ap.add_argument("--no-files", action="store_true", help="only process spawns and TCP connects")
    ap.add_argument(
        "--no-kernel-cost", action="store_true", help="skip the run measuring the BPF programs' own time"
    )
    ap.add_argument(
        "--scratch", default=SCRATCH, help="directory of the file loop (default: /dev/shm, tmpfs)"
    )
    args = ap.parse_args()
    if args.pin != "none":
        cpu = max(ALL) if args.pin == "last" else int(args.pin)
        os.sched_setaffinity(0, {cpu})
    size = {"n_files": 0 if args.no_files else int(20000 * args.scale), "n_spawns": int(100 * args.scale)}
    size["n_connects"] = int(1500 * args.scale)
    scratch = args.scratch
    sensor_cpus = {int(c) for c in args.sensor_pin.split(",")} if args.sensor_pin else None
    workload(**size, scratch=scratch)  # warm caches
    base: list[float] = []
    watched: list[float] = []
    ratios: list[float] = []
    events = lost = 0
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for i in range(args.rounds):
            # alternate the order inside each pair so drift of the machine does not favour one side
            got: dict[bool, float] = {}
            for with_sensor in (False, True) if i % 2 == 0 else (True, False):
                if with_sensor:
                    proc, status = start_watch(tmp, sensor_cpus, args.rules)
                    try:
                        got[True] = workload(**size, scratch=scratch)
                    finally:
                        during = stop_watch(proc, status)
                    events += int(during["events"])
                    lost += int(during["lost_events"])
                else:
                    got[False] = workload(**size, scratch=scratch)
            base.append(got[False])
            watched.append(got[True])
            ratios.append(got[True] / got[False])
        burst: dict[str, int] = {}
        burst_secs = 0.0
        if not args.no_burst:
            # throughput: the workload flat out, larger, every write open reported
            every = tmp / "every-write.yaml"
            every.write_text(EVERY_WRITE, encoding="utf-8")
            proc, status = start_watch(tmp, sensor_cpus, args.rules, ["--rules", str(every)])
            t0 = time.perf_counter()
            try:
                for _ in range(3):
                    workload(n_files=100000, n_spawns=300, n_connects=5000, scratch=scratch)
            finally:
                burst_secs = time.perf_counter() - t0
                burst = stop_watch(proc, status)
        cost = {} if args.no_kernel_cost else kernel_cost(tmp, args.rules, size, scratch)
    mb, mw = statistics.median(base), statistics.median(watched)
    q = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else [ratios[0]] * 3
    print(f"{'measure':<48}{'value':>16}")
    print(f"{'pairs (with/without, alternating order)':<48}{args.rounds:>16}")
    print(f"{'workload pinned to CPU':<48}{args.pin:>16}")
    print(f"{'sensor CPUs':<48}{args.sensor_pin or 'all':>16}")
    print(f"{'workload per run':<48}{' '.join(f'{k[2:]}={v}' for k, v in size.items()):>16}")
    print(f"{'workload median without sensor (s)':<48}{mb:>16.3f}")
    print(f"{'workload median with runtime watch (s)':<48}{mw:>16.3f}")
    print(f"{'slowdown, ratio of medians (%)':<48}{(mw / mb - 1) * 100:>16.1f}")
    print(f"{'slowdown, median of paired ratios (%)':<48}{(statistics.median(ratios) - 1) * 100:>16.1f}")
    print(f"{'paired ratios, quartiles 1..3 (%)':<48}{' / '.join(f'{(r - 1) * 100:.1f}' for r in q):>16}")
    print(f"{'events seen (overhead rounds)':<48}{events:>16}")
    print(f"{'lost events (overhead rounds)':<48}{lost:>16}")
    for name, (ns, pct) in cost.items():
        label = f"BPF run time per {name.rstrip('s')} (ns, % of its time)"
        print(f"{label:<48}{f'{ns:.0f} ({pct:.1f} %)':>16}")
    if burst:
        print(f"{'burst: events':<48}{burst['events']!s:>16}")
        print(f"{'burst: events/s sustained':<48}{int(burst['events']) / burst_secs:>16.0f}")
        print(f"{'burst: lost events':<48}{burst['lost_events']!s:>16}")


if __name__ == "__main__":
    main()
