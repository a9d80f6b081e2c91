"""Replay throughput of the Falco-compatible rule engine with all three upstream rules files loaded.

A realistic syscall mix (opens of libraries, configs, /proc, a few writes below /etc and sensitive reads;
process spawns of shells and tools on the host and in containers; connects; unlink/rename/mkdir/chmod/
symlink/setuid/ptrace/dup/socket/memfd; and events no rule names) is written as JSON lines, then read
back five ways in the same run: a bare decode loop (the floor: ``orjson.loads`` of every line), decode +
``Engine.match``, the same with the engine's value index turned off (what it gains), decode + match +
alert formatting, and the replay the command runs (``replay_write``: blocks read through the C memo of
:mod:`stockade.runtime.rules.screen`, alerts written as JSON lines to nowhere, a fresh engine and memo each
run).  Each is timed
several times; the median is reported, with the ratio to the floor.  Last, the command users run,
``stockade runtime replay FILE --rules … -q`` with its JSON alerts to /dev/null, is timed as a whole
process on the same file, and once on a one-event file: the difference is its replay time without the
start-up (imports, loading and compiling the rules), from which its steady rate.

    .venv/bin/python benchmarks/rules_replay.py [--events 1000000] [--runs 5] [--rule-matching first|all]
        [--command-only]   (only the alternating rounds: a decode-loop process, then the command)
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import benchenv
import orjson

from stockade.runtime.rules.engine import Engine
from stockade.runtime.rules.replay import ReplayStats, replay_write
from stockade.runtime.rules.ruleset import load_ruleset

RULES = Path(__file__).resolve().parents[2] / "shared" / "rules" / "falco"
FILES = ["falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"]


def _proc(rng: random.Random, container: bool) -> dict[str, object]:
    name, exe, args = rng.choice(
        [
            ("bash", "/usr/bin/bash", ["-c", "make all"]),
            ("python3", "/usr/bin/python3", ["app.py"]),
            ("nginx", "/usr/sbin/nginx", ["-g", "daemon off;"]),
            ("java", "/usr/bin/java", ["-jar", "/srv/app.jar"]),
            ("node", "/usr/local/bin/node", ["server.js"]),
            ("sshd", "/usr/sbin/sshd", ["-D"]),
            ("cron", "/usr/sbin/cron", ["-f"]),
            ("postgres", "/usr/lib/postgresql/15/bin/postgres", ["-D", "/var/lib/postgresql"]),
        ]
    )
    ev: dict[str, object] = {
        "proc.pid": rng.randint(100, 60000),
        "proc.name": name,
        "proc.exe": exe,
        "proc.exepath": exe,
        "proc.args": args,
        "proc.cwd": "/srv/",
        "proc.tty": 0,
        "proc.ancestors": [
            {
                "pid": 90,
                "name": rng.choice(["bash", "systemd", "containerd-shim", "sshd"]),
                "exe": "/bin/bash",
            },
            {"pid": 1, "name": "systemd", "exe": "/lib/systemd/systemd"},
        ],
        "user.uid": rng.choice([0, 1000, 33]),
        "user.name": rng.choice(["root", "app", "www-data"]),
        "user.loginuid": rng.choice([-1, 1000]),
        "group.gid": 0,
        "group.name": "root",
        "thread.cap_effective": "",
        "container.id": rng.choice(["3ad7b26ded6d", "8f2e01c9a4b1"]) if container else "host",
        "evt.hostname": "node-1",
    }
    if container:
        ev["container.image.repository"] = rng.choice(["docker.io/library/nginx", "quay.io/app/api"])
        ev["container.name"] = "web"
    return ev


def make_event(rng: random.Random, n: int) -> dict[str, object]:
    container = rng.random() < 0.4
    ev = _proc(rng, container)
    ev["evt.num"] = n
    ev["evt.time"] = 1_700_000_000_000_000_000 + n * 1000
    ev["proc.start_ts"] = 1_699_999_000_000_000_000
    r = rng.random()
    if r < 0.50:
        path = rng.choice(
            ["/usr/lib/x86_64-linux-gnu/libc.so.6", "/etc/ld.so.cache", "/proc/self/status",
             "/srv/app/index.html", "/etc/hosts", "/etc/resolv.conf", "/var/log/app.log", "/tmp/x.tmp",
             "/etc/shadow", "/etc/passwd", "/root/.ssh/id_rsa", "/etc/nginx/nginx.conf"]
        )  # fmt: skip
        write = rng.random() < 0.2
        ev.update(
            {
                "evt.type": rng.choice(["openat", "openat", "open", "openat2"]),
                "evt.rawres": 3,
                "fd.num": 3,
                "fd.type": "file",
                "fd.name": path,
                "evt.args": {
                    "flags": "O_WRONLY|O_CREAT|O_TRUNC" if write else "O_RDONLY|O_CLOEXEC",
                    "mode": "0644",
                },
            }
        )
    elif r < 0.65:
        name = rng.choice(["sh", "bash", "ls", "cat", "grep", "curl", "python3", "nc", "find", "id"])
        ev.update(
            {
                "evt.type": "execve",
                "evt.rawres": 0,
                "proc.name": name,
                "proc.exe": f"/usr/bin/{name}",
                "proc.exepath": f"/usr/bin/{name}",
                "proc.args": rng.choice([["-c", "id"], ["-la"], ["/etc/hosts"], ["-r", "password", "/srv"]]),
                "proc.tty": rng.choice([0, 0, 34816]),
                "proc.is_exe_upper_layer": rng.random() < 0.05,
                "proc.is_exe_from_memfd": False,
                "evt.args": {"flags": "0"},
            }
        )
    elif r < 0.75:
        ev.update(
            {
                "evt.type": "connect",
                "evt.rawres": 0,
                "fd.num": 4,
                "fd.type": "ipv4",
                "fd.l4proto": "tcp",
                "fd.cip": "10.0.0.5",
                "fd.cport": rng.randint(30000, 60000),
                "fd.sip": rng.choice(["10.0.0.10", "93.184.216.34", "127.0.0.1"]),
                "fd.sport": rng.choice([80, 443, 5432, 22]),
                "fd.connected": True,
            }
        )
    elif r < 0.80:
        t = rng.choice(["unlinkat", "renameat2", "mkdirat", "fchmodat", "symlinkat", "setuid", "ptrace",
                        "dup2", "socket", "memfd_create", "linkat", "chmod"])  # fmt: skip
        args = {"path": "/tmp/x", "name": "/tmp/x", "mode": "S_IXUSR", "target": "/etc/hosts",
                "linkpath": "/tmp/l", "request": "PTRACE_PEEKDATA", "domain": "AF_INET", "uid": "1000",
                "oldpath": "/tmp/a", "newpath": "/tmp/b"}  # fmt: skip
        ev.update({"evt.type": t, "evt.rawres": 0, "evt.args": args})
    else:
        ev.update(
            {
                "evt.type": rng.choice(["close", "read", "write", "mmap", "futex"]),
                "evt.rawres": 0,
                "fd.num": 3,
            }
        )
    return ev


def _discard(line: bytes | bytearray) -> None:
    """Where the in-process memo replay writes its alerts (the command's go to /dev/null)."""


def timed(fn) -> float:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


FLOOR = (
    "import orjson, sys\n"
    "with open(sys.argv[1], 'rb') as fh:\n"
    "    for line in fh:\n"
    "        orjson.loads(line)\n"
)


def command_times(path: str, runs: int, rule_matching: str) -> tuple[list[float], list[float], list[float]]:
    """Wall times, in alternating rounds, of a bare decode loop over ``path`` as a process of its own (the
    floor, read from the file as the command reads it) and of ``stockade runtime replay`` as a whole
    process, on ``path`` and on a one-event file.  Alternating rounds, so that each command run has a
    floor run of the same minute beside it (this VM's speed drifts by ±30 % within minutes)."""
    exe = str(Path(sys.executable).with_name("stockade"))
    rules = [x for f in FILES for x in ("--rules", str(RULES / f))]
    with open(path, "rb") as fh, tempfile.NamedTemporaryFile("wb", suffix=".jsonl", delete=False) as one:
        one.write(fh.readline())
    floor: list[float] = []
    whole: list[float] = []
    startup: list[float] = []
    env = benchenv.command_env()  # (its bytecode compiled, as installed)
    try:
        for _ in range(runs):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-c", FLOOR, path], check=True, env=env)
            floor.append(time.perf_counter() - t0)
            for events, times in ((path, whole), (one.name, startup)):
                cmd = [exe, "runtime", "replay", events, *rules, "--rule-matching", rule_matching, "-q"]
                t0 = time.perf_counter()
                subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True, env=env)
                times.append(time.perf_counter() - t0)
    finally:
        os.unlink(one.name)
    return floor, whole, startup


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--rule-matching", default="first", choices=["first", "all"])
    ap.add_argument("--command-only", action="store_true", help="only the alternating command rounds")
    a = ap.parse_args()
    t0 = time.perf_counter()
    rs = load_ruleset([RULES / f for f in FILES])
    load_s = time.perf_counter() - t0
    if rs.errors:
        print("\n".join(map(str, rs.errors)), file=sys.stderr)
        return 2
    engine = Engine(rs, rule_matching=a.rule_matching, hostname="bench")
    plain = Engine(rs, rule_matching=a.rule_matching, hostname="bench", index=False)
    rng = random.Random(7)
    with tempfile.NamedTemporaryFile("wb", suffix=".jsonl", delete=False) as fh:
        for i in range(a.events):
            fh.write(orjson.dumps(make_event(rng, i)) + b"\n")
        path = fh.name
    try:
        data = Path(path).read_bytes().splitlines()
        loads, match = orjson.loads, engine.match
        hits = [0]

        def floor() -> None:
            for line in data:
                loads(line)

        def replay_match() -> None:
            n = 0
            for line in data:
                if match(loads(line)):
                    n += 1
            hits[0] = n

        def replay_plain() -> None:  # the same engine without the value index (engine's per-type dispatch)
            for line in data:
                plain.match(loads(line))

        def replay_alerts() -> None:
            for line in data:
                engine.alerts(loads(line))

        def replay_memo() -> None:  # what the command runs: the file read by blocks, through the memo
            fresh = Engine(rs, rule_matching=a.rule_matching, hostname="bench")
            with open(path, "rb") as fh:
                replay_write(fresh, fh, ReplayStats(), _discard)

        rows = []
        for label, fn in (("decode only (floor)", floor), ("decode + match", replay_match),
                          ("decode + match, no index", replay_plain),
                          ("decode + match + format", replay_alerts),
                          ("memo replay + format", replay_memo)):  # fmt: skip
            if a.command_only:
                break
            times = [timed(fn) for _ in range(a.runs)]
            rows.append((label, statistics.median(times), times))
        floors, whole, startup = command_times(path, a.runs, a.rule_matching)
        base = rows[0][1] if rows else statistics.median(floors)
        size_mb = os.path.getsize(path) / 1e6
        print(f"rules: {rs.counts['enabled']} enabled of {rs.counts['rules']} (3 upstream files), "
              f"loaded+compiled in {load_s:.2f} s; {len(data):,} events ({size_mb:.0f} MB JSONL); "
              f"rule_matching={a.rule_matching}; {hits[0]:,} events matched a rule (0: not run); median of "
              f"{a.runs} runs; "
              "one core")  # fmt: skip
        print(f"{'measure':<26} {'median s':>9} {'events/s':>12} {'x floor':>8}   runs (s)")
        for label, med, times in rows:
            runs = " ".join(f"{t:.2f}" for t in times)
            print(f"{label:<26} {med:>9.2f} {len(data) / med:>12,.0f} {med / base:>8.2f}   {runs}")
        med_whole, med_start = statistics.median(whole), statistics.median(startup)
        runs = " ".join(f"{t:.2f}" for t in whole)
        label = "the command, whole"
        rate = len(data) / med_whole
        print(f"{label:<26} {med_whole:>9.2f} {rate:>12,.0f} {med_whole / base:>8.2f}   {runs}")
        steady = med_whole - med_start
        label = "  less its start-up"
        print(f"{label:<26} {steady:>9.2f} {len(data) / steady:>12,.0f} {steady / base:>8.2f}   "
              f"(start-up, a one-event file: {med_start:.2f} s)")  # fmt: skip
        # the command beside a decode-loop process run just before it, round by round
        ratios = [w / f for f, w in zip(floors, whole, strict=True)]
        med_floor, med_ratio = statistics.median(floors), statistics.median(ratios)
        label = "decode loop, a process"
        runs = " ".join(f"{t:.2f}" for t in floors)
        print(f"{label:<26} {med_floor:>9.2f} {len(data) / med_floor:>12,.0f} {'':>8}   {runs}")
        print(f"the command / the decode-loop process of its round: median {med_ratio:.2f} "
              f"({' '.join(f'{r:.2f}' for r in ratios)}); at the median floor, "
              f"{len(data) / (med_floor * med_ratio):,.0f} events/s")  # fmt: skip
    finally:
        os.unlink(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
