"""What any syscall tracepoint costs the syscalls nobody traces.

Attaching a BPF program to one ``syscalls:sys_enter_X`` tracepoint makes the kernel route *every* system
call of *every* task through its tracing slow path (``SYSCALL_WORK_SYSCALL_TRACEPOINT`` is set on all tasks
while any syscall tracepoint is in use; ``perf_syscall_enter``/``exit`` then look up whether that call is
traced).  This runs a loop of ``getppid(2)`` — which the sensor never traces — alone and while bpftrace
holds a probe on ``sys_enter_acct`` (a call nothing makes here) plus its exit, alternating, and reports
the median cost per call of each.  It is the floor under the eBPF sensor's overhead for as long as it
hooks per-syscall tracepoints (Falco's drivers hook ``raw_syscalls``, with the same effect).
Needs root and bpftrace.  Usage: ``python benchmarks/syscall_tracepoint_tax.py [--rounds 5]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import time

PROGRAM = (
    'BEGIN { printf("READY\\n"); }\n'
    "tracepoint:syscalls:sys_enter_acct { @n = count(); }\n"
    "tracepoint:syscalls:sys_exit_acct { @m = count(); }\n"
)


def per_call(n: int = 300_000) -> float:
    getppid = os.getppid
    t = time.perf_counter_ns()
    for _ in range(n):
        getppid()
    return (time.perf_counter_ns() - t) / n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    os.sched_setaffinity(0, {max(os.sched_getaffinity(0))})
    alone: list[float] = []
    traced: list[float] = []
    for i in range(args.rounds):
        for with_tp in (False, True) if i % 2 == 0 else (True, False):
            if not with_tp:
                alone.append(per_call())
                continue
            proc = subprocess.Popen(
                ["bpftrace", "-e", PROGRAM], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
            )
            try:
                assert proc.stdout is not None
                while b"READY" not in proc.stdout.readline():
                    if proc.poll() is not None:
                        raise SystemExit("bpftrace failed to start")
                traced.append(per_call())
            finally:
                proc.terminate()
                proc.wait()
    a, t = statistics.median(alone), statistics.median(traced)
    print(f"{'getppid, no syscall tracepoint (ns/call)':<56}{a:>10.0f}")
    print(f"{'getppid, one unrelated syscall tracepoint (ns/call)':<56}{t:>10.0f}")
    print(f"{'tax per untraced system call (ns)':<56}{t - a:>10.0f}")
    print(f"{'rounds':<56}{args.rounds:>10}")


if __name__ == "__main__":
    main()
