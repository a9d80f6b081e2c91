"""The kernel's open filter against its specification, on real opens: every path a process opens is kept
by the kernel exactly when :func:`expected` says so (relative or unnormalised paths, prefixes, and for
write opens substrings and suffixes), for hundreds of generated paths of every length from 1 to past
``BPFTRACE_STRLEN`` — around the eight-byte words the probes compare, suffixes of one to more than eight
bytes, near misses one character off.  Every path is under a directory that does not exist (or is a
short name at the root that does not exist), so the opens fail with ENOENT and nothing is written."""

from __future__ import annotations

import json
import random
import subprocess
import sys

import pytest

from stockade.runtime.source import bpfprog
from tests.runtime.sensor.conftest import until_marker

PREFIXES = ("/zq", "/nonexist-stk/pre", "/nonexist-stk/a-long-prefix-x/")
SUBSTRINGS = ("/sub-str-",)
SUFFIXES = (
    "/cron", "/syslog", "release_agent", ".lg", "/eightby", "x", "/a-very-long-suffix.txt", "/mysqld.log",
)  # fmt: skip
WRITE = 1  # O_WRONLY
PIECES = (
    "d", "cron", "syslog", "release_agent", "elease_agent", "mysqld.log", "ysqld.log",
    "a-very-long-suffix.txt", "-very-long-suffix.txt", "eightby", "ightby", "lg", "x.lg", "x", "pre",
    "prefix", "sub-str-", "sub-str",
    "zz", "abcdefgh", "abcdefg", "q", "qqqqqqqqqqqqqqq", "a-long-prefix-x", "cro", "n",
)  # fmt: skip


def unnormal(path: str) -> bool:
    """What the first probe's scan keeps for user space to resolve: ``/.``, ``..`` or ``//`` anywhere (a
    ``.`` or ``..`` component, or a repeated slash: and, conservatively, a name starting with a dot)."""
    return "/." in path or ".." in path or "//" in path


def expected(path: str, write: bool) -> bool:
    """The specification of the kernel filter (``bpfprog._open_enter``) given :data:`PREFIXES`,
    :data:`SUBSTRINGS` and :data:`SUFFIXES`: what user space must see."""
    if not path.startswith("/") or unnormal(path) or len(path) >= 200:
        return True
    if path.startswith((*bpfprog.DEFAULT_SENSITIVE, *PREFIXES)):
        return True
    return write and (any(s in path for s in SUBSTRINGS) or path.endswith(SUFFIXES))


def may_keep(path: str) -> bool:
    """Kept or not depending on the memory after the path: it is a prefix's first 8·j bytes exactly, so the
    word after it may read as zero, which the prefix probe keeps for user space (``_prefix_words``)."""
    n = len(path)
    return n % 8 == 0 and any(len(p) > n and p[:n] == path for p in (*bpfprog.DEFAULT_SENSITIVE, *PREFIXES))


def paths() -> list[str]:
    rnd = random.Random(20261206)
    out = [
        "/", "/a", "/x", "/ax", "/cron", "/acron", "/cro", "/zq", "/zqa", "/z", "/a.lg", "/lg", "/eightby",
        "/eightb", "/Xeightby", "/syslog", "/yslog", "/release_agent", "/elease_agent", "/abcdefg",
        "/abcdefgh",
        "/abcdefghx", "/abcdefghi", "/nonexist-stk/pre", "/nonexist-stk/pr", "/nonexist-stk/a-long-prefix-x",
        "/nonexist-stk/a-long-prefix-x/y", "/nonexist-stk/mysqld.log", "/nonexist-stk/ysqld.log",
        "/nonexist-stk/a-very-long-suffix.txt", "/nonexist-stk/-very-long-suffix.txt",
        "/nonexist-stk/.hidden", "/nonexist-stk/a/../b", "/nonexist-stk//b", "rel/cron", "/etc/shadow-nope",
    ]  # fmt: skip
    for _ in range(500):
        parts = [rnd.choice(PIECES) for _ in range(rnd.randint(1, 12))]
        out.append("/nonexist-stk/" + "/".join(parts))
    for target in range(1, 215):  # every length, ending in each kind of suffix or a near miss
        end = rnd.choice(("/cron", "x", ".lg", "/eightby", "/mysqld.log", "y", "/cro", "release_agent", "/d"))
        fill = "/nonexist-stk/" + "abcdefghij" * 25
        path = (fill[: max(0, target - len(end))] + end) if target > len(end) else end[-target:]
        out.append(path if path.startswith("/") or target < 3 else "/" + path[1:])
    return list(dict.fromkeys(p for p in out if p and "\0" not in p))


CHILD = """
import ctypes, json, os, sys
libc = ctypes.CDLL(None, use_errno=True)
class How(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_uint64), ("mode", ctypes.c_uint64), ("resolve", ctypes.c_uint64)]
for path, flags, call in json.load(sys.stdin):
    raw = path.encode()
    if call == "openat":
        try:
            os.close(os.open(path, flags))
        except OSError:
            pass
        continue
    if call == "open":  # x86_64 open(2): 2
        fd = libc.syscall(2, raw, flags, 0)
    elif call == "creat":  # creat(2): 85, open(2) with O_CREAT|O_WRONLY|O_TRUNC
        fd = libc.syscall(85, raw, 0o600)
    else:  # openat2(2): 437, with struct open_how
        how = How(flags, 0, 0)
        fd = libc.syscall(437, -100, raw, ctypes.byref(how), ctypes.sizeof(how))
    if fd >= 0:
        os.close(fd)
"""


def test_kernel_open_filter_matches_its_specification() -> None:
    """Every path through openat(2) read and write; every third also through open(2) and openat2(2),
    whose probes read the flags from elsewhere (``open_how`` for openat2), and creat(2) (a write)."""
    from stockade.runtime.source.ebpf import EbpfSource, unavailable_reason

    reason = unavailable_reason()
    if reason:
        pytest.skip(f"eBPF sensor cannot run: {reason}")
    every = paths()
    cases = [(p, f, "openat") for p in every for f in (0, WRITE)]
    cases += [(p, f, call) for p in every[::3] for f in (0, WRITE) for call in ("open", "openat2")]
    cases += [(p, WRITE, "creat") for p in every[::3]]
    marker = "stk-open-filter-done"  # relative: always kept
    src = EbpfSource(wants=lambda t: t in bpfprog.OPEN, paths=(PREFIXES, SUBSTRINGS, SUFFIXES))
    src.start()
    try:
        child = subprocess.Popen([sys.executable, "-S", "-c", CHILD], stdin=subprocess.PIPE)
        child.communicate(json.dumps([*cases, [marker, 0, "openat"]]).encode())
        seen: set[tuple[str, bool, str]] = set()
        for ev in until_marker(
            src, lambda e: e.get("fd.nameraw") == marker and e.get("proc.pid") == child.pid
        ):
            if ev.get("proc.pid") != child.pid or ev.get("evt.type") not in bpfprog.OPEN:
                continue
            args = ev.get("evt.args") or {}
            name = ev.get("fd.nameraw")  # the path as the process gave it
            write = ev["evt.type"] == "creat" or "O_WRONLY" in str(args.get("flags"))
            seen.add((name, write, str(ev["evt.type"])))
    finally:
        src.stop()
    # (the sensor reads a path as far as BPFTRACE_STRLEN: 199 bytes and the NUL)
    want = {(p[:199], bool(f), call) for p, f, call in cases if expected(p, bool(f))}
    missed = sorted(want - seen)
    mine = {(p[:199], bool(f), call) for p, f, call in cases if not may_keep(p)}
    extra = sorted((seen & mine) - want)  # (not the interpreter's own opens)
    assert not missed, f"{len(missed)} opens the rules need were dropped in the kernel: {missed[:10]}"
    assert not extra, f"{len(extra)} opens kept that the filter should drop: {extra[:10]}"
    for call in bpfprog.OPEN:  # each system call exercised on both sides
        kept = [c for c in want if c[2] == call]
        assert len(kept) > 30 and len([c for c in cases if c[2] == call]) - len(kept) > 30, call
