"""Every traced system call with a path or name argument, made raw (``syscall(2)``, as musl and static
programs make them, legacy and ``*at`` forms alike), reaches the rules with each string argument under
the name the decoder gives it (``records.ARG_NAMES``) and with the right integer arguments.  The paths
are below a directory that does not exist, so every call fails with ENOENT and nothing changes."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from stockade.runtime.source import bpfprog
from stockade.runtime.source.records import ARG_NAMES
from tests.runtime.sensor.conftest import until_marker

BASE = "/nonexist-stk-args"
AT_FDCWD = -100

#: name → the raw arguments (a str is passed as a C string); what each string argument must decode to is
#: the string itself, under the name ARG_NAMES gives its position
CALLS: dict[str, list[Any]] = {
    "unlink": [f"{BASE}/unlink"],
    "unlinkat": [AT_FDCWD, f"{BASE}/unlinkat", 0],
    "rename": [f"{BASE}/rename-old", f"{BASE}/rename-new"],
    "renameat": [AT_FDCWD, f"{BASE}/renameat-old", AT_FDCWD, f"{BASE}/renameat-new"],
    "renameat2": [AT_FDCWD, f"{BASE}/renameat2-old", AT_FDCWD, f"{BASE}/renameat2-new", 0],
    "chmod": [f"{BASE}/chmod", 0o4755],
    "fchmodat": [AT_FDCWD, f"{BASE}/fchmodat", 0o2755],
    "chown": [f"{BASE}/chown", 0, 0],
    "lchown": [f"{BASE}/lchown", 0, 0],
    "fchownat": [AT_FDCWD, f"{BASE}/fchownat", 0, 0, 0],
    "mkdir": [f"{BASE}/mkdir", 0o755],
    "mkdirat": [AT_FDCWD, f"{BASE}/mkdirat", 0o755],
    "symlink": ["/etc/shadow", f"{BASE}/symlink"],
    "symlinkat": ["/etc/shadow", AT_FDCWD, f"{BASE}/symlinkat"],
    "link": [f"{BASE}/link-old", f"{BASE}/link-new"],
    "linkat": [AT_FDCWD, f"{BASE}/linkat-old", AT_FDCWD, f"{BASE}/linkat-new", 0],
    "chdir": [f"{BASE}/chdir"],
    "mount": ["stk-dev", f"{BASE}/mount", "stk-fs-type", 0],
    "umount2": [f"{BASE}/umount", 0],
    "init_module": [0, 0, "stk-module-args"],  # (no image: EFAULT)
    "finit_module": [-1, "stk-finit-args", 0],  # (no file: EBADF)
    "memfd_create": ["stk-memfd", 0],  # (succeeds: a memory file, gone with the process)
}
#: calls that succeed
SUCCEED = frozenset({"memfd_create", "socket"})
#: integer arguments, and how the rules see them (Falco renders these by name)
RENDERED: dict[str, tuple[list[Any], dict[str, Any]]] = {
    "socket": ([17, 3, 0], {"domain": "AF_PACKET"}),
    "ptrace": ([16, 999999, 0, 0], {"request": "PTRACE_ATTACH", "pid": 999999}),
    "setresuid": ([-1, -1, -1], {"ruid": -1, "euid": -1, "suid": -1}),
}

CHILD = """
import ctypes, json, sys
libc = ctypes.CDLL(None, use_errno=True)
for nr, args in json.load(sys.stdin):
    libc.syscall(nr, *[a.encode() if isinstance(a, str) else ctypes.c_long(a) for a in args])
"""


def test_string_arguments_of_every_path_syscall() -> None:
    from stockade.runtime.source.ebpf import EbpfSource, unavailable_reason

    reason = unavailable_reason()
    if reason:
        pytest.skip(f"eBPF sensor cannot run: {reason}")
    src = EbpfSource(wants=lambda t: t in CALLS or t in RENDERED or t in bpfprog.OPEN)
    src.start()
    try:
        # (init_module/finit_module have no tracepoint on a kernel without module support)
        missing = set(CALLS) - src.attached - src.missing
        assert not missing, f"not attached: {missing}"
        calls = [[bpfprog.SYSCALLS[name][0], args] for name, args in CALLS.items()]
        calls += [[bpfprog.SYSCALLS[name][0], args] for name, (args, _want) in RENDERED.items()]
        marker = [bpfprog.SYSCALLS["openat"][0], [AT_FDCWD, "stk-args-done", 0, 0]]  # relative: kept
        child = subprocess.Popen([sys.executable, "-S", "-c", CHILD], stdin=subprocess.PIPE)
        child.communicate(json.dumps([*calls, marker]).encode())
        seen: dict[str, dict[str, Any]] = {}
        events = until_marker(
            src, lambda e: e.get("evt.type") in bpfprog.OPEN and e.get("fd.nameraw") == "stk-args-done"
        )
        for ev in events:
            if ev.get("proc.pid") != child.pid:
                continue
            if ev.get("evt.type") in CALLS or ev.get("evt.type") in RENDERED:
                seen[str(ev["evt.type"])] = dict(ev.get("evt.args") or {})
    finally:
        src.stop()
    wrong = []
    for name, args in CALLS.items():
        got = seen.get(name)
        if got is None and name in src.missing:
            continue
        if got is None:
            wrong.append(f"{name}: no event")
            continue
        for i, value in enumerate(args):
            arg = ARG_NAMES[name][i] if i < len(ARG_NAMES[name]) else None
            if arg is None or not isinstance(value, str):
                continue
            if got.get(arg) != value:
                wrong.append(f"{name}: {arg}={got.get(arg)!r}, expected {value!r}")
        failed = str(got.get("res")).startswith("-")
        if failed == (name in SUCCEED):
            wrong.append(f"{name}: res={got.get('res')!r}")
    for name, (_args, want) in RENDERED.items():
        got = seen.get(name, {})
        wrong += [f"{name}: {k}={got.get(k)!r}, expected {v!r}" for k, v in want.items() if got.get(k) != v]
    assert not wrong, wrong


NET_CHILD = """
import json, os, socket
out = {}
for fam, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    srv = socket.socket(fam)
    srv.bind((host, 0))
    srv.listen()
    c = socket.socket(fam)
    c.connect((host, srv.getsockname()[1]))
    s, _ = srv.accept()
    out[host + "/tcp"] = [c.getsockname()[1], srv.getsockname()[1]]
    for x in (s, c, srv):
        x.close()
    u = socket.socket(fam, socket.SOCK_DGRAM)
    u.connect((host, 5353))
    out[host + "/udp"] = [u.getsockname()[1], 5353]
    u.close()
print(json.dumps(out), flush=True)
try:
    os.open("stk-net-done", os.O_RDONLY)  # (fails: the marker only has to be seen)
except OSError:
    pass
"""


def test_both_ends_of_connects_and_accepts() -> None:
    """A connect and an accept carry both ends, read from the socket at the exit, as Falco's do
    (``fd.name`` ``cip:cport->sip:sport``; ``fd.lip``/``fd.lport`` the process's own end), for TCP and UDP
    over IPv4 and IPv6."""
    from stockade.runtime.source.ebpf import EbpfSource, unavailable_reason

    reason = unavailable_reason()
    if reason:
        pytest.skip(f"eBPF sensor cannot run: {reason}")
    src = EbpfSource(wants=lambda t: t in ("connect", "accept", "accept4", "openat"))
    src.start()
    try:
        child = subprocess.Popen(
            [sys.executable, "-S", "-c", NET_CHILD], stdout=subprocess.PIPE, text=True, cwd="/"
        )
        ports = json.loads(child.communicate()[0])
        got = [
            ev
            for ev in until_marker(src, lambda e: e.get("fd.nameraw") == "stk-net-done")
            if ev.get("evt.type") in ("connect", "accept", "accept4") and ev.get("proc.pid") == child.pid
        ]
    finally:
        src.stop()

    def find(kind: str, name: str) -> dict[str, Any] | None:
        return next((e for e in got if str(e["evt.type"]).startswith(kind) and e["fd.name"] == name), None)

    for key, (cport, sport) in ports.items():
        host, proto = key.split("/")
        name = f"{host}:{cport}->{host}:{sport}"
        conn = find("connect", name)
        assert conn is not None, (key, [e.get("fd.name") for e in got])
        assert conn["fd.l4proto"] == proto and conn["fd.type"] == ("ipv6" if ":" in host else "ipv4")
        assert (conn["fd.lport"], conn["fd.cport"], conn["fd.sport"]) == (cport, cport, sport)
        if proto == "tcp":
            acc = find("accept", name)
            assert acc is not None, (key, [e.get("fd.name") for e in got])
            assert (acc["fd.lport"], acc["fd.sport"], acc["fd.cport"]) == (sport, sport, cport)


EXEC_CHILD = """
import os, sys, json
for argv in json.loads(sys.stdin.read()):
    pid = os.fork()
    if pid == 0:
        os.execv("/bin/true", argv)
    os.waitpid(pid, 0)
try:
    os.open("stk-exec-done", os.O_RDONLY)
except OSError:
    pass
"""


def test_exec_arguments_of_every_length() -> None:
    """argv is read from the new image in ARGV_CHUNK-byte chunks: command lines around the chunk size, an
    empty argument, backslashes, newlines, the record separator and UTF-8 come back exactly; one past
    the limit is cut at ARGV_CHUNK * ARGV_CHUNKS bytes."""
    from stockade.runtime.source.ebpf import EbpfSource, unavailable_reason

    reason = unavailable_reason()
    if reason:
        pytest.skip(f"eBPF sensor cannot run: {reason}")
    c, most = bpfprog.ARGV_CHUNK, bpfprog.ARGV_CHUNK * bpfprog.ARGV_CHUNKS
    odd = ["a\\x41b", "two words", "line\nbreak", "sep\x1fhere", "é", ""]
    cases = [["/bin/true"], ["stk-true", *odd]]
    for size in (c - 11, c - 10, c - 9, 2 * c - 10, 2 * c - 9, 5 * c + 3):
        cases.append(["stk-true", "x" * (size - len("stk-true") - 2)])  # size bytes, NULs included
    cases.append(["stk-true", "w" * (most + 100)])
    src = EbpfSource(wants=lambda t: t == "openat")
    src.start()
    try:
        child = subprocess.Popen([sys.executable, "-S", "-c", EXEC_CHILD], stdin=subprocess.PIPE, cwd="/")
        child.communicate(json.dumps(cases).encode())
        execs = [
            ev
            for ev in until_marker(src, lambda e: e.get("fd.nameraw") == "stk-exec-done")
            if ev.get("evt.type") == "execve" and ev.get("proc.ppid") == child.pid
        ]
        # (in the order they ran: one decoded late comes after the others)
        execs.sort(key=lambda e: e["evt.time"])
        got = [[str(ev["proc.exe"]), *ev["proc.args"]] for ev in execs]
    finally:
        src.stop()
    want = [*cases[:-1], ["stk-true", "w" * (most - len("stk-true") - 1)]]
    assert len(got) == len(want), [g[:2] for g in got]
    for g, w in zip(got, want, strict=True):
        assert g == w, (len("\0".join(g)), len("\0".join(w)))
