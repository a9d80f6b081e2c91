"""The eBPF records decoder follows each process's working directory, so a relative path is resolved as it
was when the process opened it — also after the process has exited (``cd /etc; cat shadow``), when
/proc/PID/cwd is gone.  Records are written as the bpftrace program prints them (bpfprog.py); the pids
are above the kernel's pid_max, so no /proc entry can stand in for the decoder's own state."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from stockade.runtime.source.bpfprog import SYSCALLS
from stockade.runtime.source.records import Decoder

SEP = "\x1f"
AT_FDCWD = 2**32 - 100  # as the probe prints the 32-bit dirfd
PID_MAX = int(Path("/proc/sys/kernel/pid_max").read_text())
A, B = PID_MAX + 10, PID_MAX + 11


class Feed:
    def __init__(self) -> None:
        self.dec = Decoder()
        self.ts = 1000

    def header(self, pid: int, comm: str = "sh") -> list[str]:
        self.ts += 1
        return [str(self.ts), str(pid), str(pid), "0", "0", "1", comm, "-1"]

    def syscall(self, name: str, pid: int, ret: int, strings: dict[int, str], raw: list[int]) -> list[dict]:
        h = self.header(pid)
        out = []
        for idx, text in strings.items():
            out += self.dec.feed(SEP.join(["P", str(pid), h[0], str(idx), text]))
        nr = SYSCALLS[name][0]
        return out + self.dec.feed(SEP.join(["S", str(nr), *h, str(ret), *map(str, raw)]))

    def chdir(self, pid: int, path: str, ret: int = 0) -> None:
        self.syscall("chdir", pid, ret, {0: path}, [0, 0, 0, 0])

    def fchdir(self, pid: int, fd: int) -> None:
        self.syscall("fchdir", pid, 0, {}, [fd, 0, 0, 0])

    def open(self, pid: int, path: str) -> dict:
        (ev,) = self.syscall("openat", pid, 3, {1: path}, [AT_FDCWD, 0, 0, 0])
        return ev

    def fork(self, parent: int, child: int) -> None:
        self.dec.feed(SEP.join(["K", *self.header(parent), str(child)]))

    def exit(self, pid: int) -> None:
        self.dec.feed(SEP.join(["X", *self.header(pid), "0"]))


def test_relative_paths_follow_chdir_and_fork_after_the_process_is_gone() -> None:
    f = Feed()
    f.chdir(A, "/etc")  # the shell's `cd /etc`
    f.fork(A, B)  # `cat` inherits it
    ev = f.open(B, "shadow")
    assert (ev["fd.name"], ev["fd.nameraw"]) == ("/etc/shadow", "shadow")
    f.chdir(B, "../var/./log")  # joined lexically, as libsinsp does
    assert f.open(B, "app.log")["fd.name"] == "/var/log/app.log"
    f.chdir(B, "/nonexistent", ret=-2)  # a failed chdir changes nothing
    assert f.open(B, "app.log")["fd.name"] == "/var/log/app.log"
    assert f.open(A, "passwd")["fd.name"] == "/etc/passwd"  # the parent kept its own
    f.exit(B)
    assert f.open(B, "shadow")["fd.name"] == "shadow"  # a new process with that pid: unknown, left relative


def test_unknown_directories_stay_unknown() -> None:
    f = Feed()
    f.chdir(A, "sub")  # relative, from a directory never seen (and no /proc entry): unknown
    assert f.open(A, "x")["fd.name"] == "x"
    f.chdir(A, "/srv")
    f.fchdir(A, 3)  # fchdir is read from /proc, which this pid has not: unknown again
    assert f.open(A, "x")["fd.name"] == "x"


def test_a_live_process_is_read_from_proc_once() -> None:
    f = Feed()
    me = os.getpid()
    assert f.open(me, "some-file")["fd.name"] == os.path.join(os.getcwd(), "some-file")
    assert f.dec.cwds[me] == os.getcwd()
    f.fork(me, A)  # its children inherit what was read
    assert f.open(A, "../x")["fd.name"] == os.path.normpath(os.path.join(os.getcwd(), "../x"))


def test_connect_carries_the_socket_protocol() -> None:
    f = Feed()
    h = f.header(A, "curl")
    nr = SYSCALLS["connect"][0]
    (ev,) = f.dec.feed(SEP.join(["N", str(nr), *h, "0", "3", "2", "443", "93.184.216.34", "6"]))
    assert (ev["fd.l4proto"], ev["fd.sip"], ev["fd.sport"]) == ("tcp", "93.184.216.34", 443)
    h = f.header(A, "dig")
    (ev,) = f.dec.feed(SEP.join(["N", str(nr), *h, "0", "4", "2", "53", "10.0.0.2", "17"]))
    assert ev["fd.l4proto"] == "udp"
    h = f.header(A, "old")  # a record without the protocol (or 0: not a socket the kernel could read)
    (ev,) = f.dec.feed(SEP.join(["N", str(nr), *h, "0", "5", "2", "80", "10.0.0.3"]))
    assert "fd.l4proto" not in ev


def _dup(f: Feed, pid: int, oldfd: int, sock: str | None) -> dict:
    return f.syscall("dup2", pid, 1, {} if sock is None else {-5: sock}, [oldfd, 1, 0, 0])[0]


def test_a_dup_carries_the_socket_the_kernel_read() -> None:
    f = Feed()
    low, high = f.dec.ephemeral
    # a socket the decoder never saw: its local port is ephemeral, so this end connected
    ev = _dup(f, A, 3, SEP.join(["2", "6", "10.0.0.5", str(low + 1), "10.0.0.9", "4444"]))
    assert ev["fd.type"] == "ipv4" and ev["fd.l4proto"] == "tcp" and ev["fd.num"] == 1
    assert ev["fd.name"] == f"10.0.0.5:{low + 1}->10.0.0.9:4444"
    assert (ev["fd.sip"], ev["fd.sport"], ev["fd.lport"], ev["fd.rport"]) == ("10.0.0.9", 4444, low + 1, 4444)
    # a server port: this end accepted
    ev = _dup(f, A, 4, SEP.join(["10", "6", "::1", "8080", "::1", str(high)]))
    assert ev["fd.type"] == "ipv6" and ev["fd.name"] == f"::1:{high}->::1:8080"
    # an accept the decoder saw says so, whatever the ports
    nr = SYSCALLS["accept4"][0]
    f.dec.feed(SEP.join(["N", str(nr), *f.header(B), "5", "3", "2", str(low + 2), "127.0.0.1", "6"]))
    ev = _dup(f, B, 5, SEP.join(["2", "6", "127.0.0.1", str(low + 3), "127.0.0.1", str(low + 2)]))
    assert ev["fd.sip"] == "127.0.0.1" and ev["fd.sport"] == low + 3  # the local end is the server
    # a descriptor that is no inet socket: no part, no socket fields
    ev = _dup(f, A, 7, None)
    assert "fd.type" not in ev


def test_connect_and_accept_carry_their_own_end() -> None:
    f = Feed()
    low, _high = f.dec.ephemeral
    nr = SYSCALLS["connect"][0]
    # N ... fd family port addr proto laddr lport: the local end read from the socket at the exit
    rec = ["N", str(nr), *f.header(A), "0", "3", "2", "443", "93.184.216.34", "6", "10.0.0.5", "40001"]
    (ev,) = f.dec.feed(SEP.join(rec))
    assert ev["fd.name"] == "10.0.0.5:40001->93.184.216.34:443"
    assert (ev["fd.cip"], ev["fd.cport"]) == ("10.0.0.5", 40001) == (ev["fd.lip"], ev["fd.lport"])
    # a dup of that socket: the decoder knows this end is the client, even on a port outside the range
    ev = _dup(f, A, 3, SEP.join(["2", "6", "10.0.0.5", str(low - 1), "93.184.216.34", "443"]))
    assert (ev["fd.cport"], ev["fd.sport"]) == (low - 1, 443)
    nr = SYSCALLS["accept4"][0]
    rec = ["N", str(nr), *f.header(B), "7", "3", "2", "40002", "10.0.0.6", "6", "10.0.0.5", "8080"]
    (ev,) = f.dec.feed(SEP.join(rec))
    assert ev["fd.name"] == "10.0.0.6:40002->10.0.0.5:8080"
    assert (ev["fd.sip"], ev["fd.sport"], ev["fd.lport"], ev["fd.num"]) == ("10.0.0.5", 8080, 8080, 7)
    # no socket (port 0): the local end stays unknown
    nr = SYSCALLS["connect"][0]
    rec = ["N", str(nr), *f.header(A), "-1", "4", "2", "80", "10.0.0.3", "0", "0.0.0.0", "0"]
    (ev,) = f.dec.feed(SEP.join(rec))
    assert ev["fd.name"] == "->10.0.0.3:80" and "fd.cport" not in ev


def _exec(f: Feed, pid: int, argv: bytes, filename: str, *, exe_name: str | None = None) -> dict:
    """An exec as the three sched_process_exec probes print it: the name parts, the argv chunks before the
    last (hex, ARGV_CHUNK bytes each), then the E record with the ARGV_CHUNK bytes that end at arg_end (the
    bytes below arg_start are the stack's auxv: arbitrary)."""
    from stockade.runtime.source.bpfprog import ARGV_CHUNK, ARGV_PART

    h = f.header(pid, "x")
    out = []
    key = [str(pid), h[0]]
    if exe_name is not None:
        out += f.dec.feed(SEP.join(["P", *key, "-2", exe_name]))
    out += f.dec.feed(SEP.join(["P", *key, "-3", filename]))
    memory = bytes(range(7, 7 + ARGV_CHUNK)) + argv  # what lies below arg_start, then the arguments
    start = ARGV_CHUNK
    n = len(argv)
    k = 0
    while (k + 1) * ARGV_CHUNK < n:
        chunk = memory[start + k * ARGV_CHUNK : start + (k + 1) * ARGV_CHUNK]
        out += f.dec.feed(SEP.join(["P", *key, str(ARGV_PART + k), "".join(f"\\x{b:02x}" for b in chunk)]))
        k += 1
    last = memory[start + n - ARGV_CHUNK : start + n]
    rx = "".join(f"\\x{b:02x}" for b in last)
    caps = ["0", "0", "0"]
    out += f.dec.feed(SEP.join(["E", *h, str(pid), "1", "0", "0", "42", *caps, str(n), rx]))
    (ev,) = out
    return ev


@pytest.mark.parametrize("size", [0, 1, 5, 127, 128, 129, 255, 256, 257, 1000])
def test_exec_argv_from_chunks(size: int) -> None:
    """Command lines of every length around the chunk size come back whole, with backslashes, newlines
    and the record separator inside arguments kept as they are."""
    f = Feed()
    args = ["/usr/bin/prog", "a\\x41b", "two words", "line\nbreak", "sep\x1fhere", "é", ""]
    if size:
        args.append("y" * size)
    raw = b"".join(a.encode() + b"\0" for a in args)
    ev = _exec(f, A, raw, "/usr/bin/prog")
    assert ev["proc.exe"] == "/usr/bin/prog"
    assert ev["proc.args"] == args[1:]
    assert ev["evt.type"] == "execve" and ev["proc.exepath"] == "/usr/bin/prog"
    assert ev["evt.args"]["args"] == " ".join(args[1:])


def test_exec_argv_cut_at_the_limit_keeps_what_was_read() -> None:
    from stockade.runtime.source.bpfprog import ARGV_CHUNK, ARGV_CHUNKS

    f = Feed()
    most = ARGV_CHUNK * ARGV_CHUNKS
    raw = b"/bin/echo\0" + b"z" * (most + 500) + b"\0"
    ev = _exec(f, A, raw[:most], "/bin/echo")  # the kernel side stops at `most` bytes
    assert ev["proc.args"] == ["z" * (most - len(b"/bin/echo\0"))]


def test_exec_of_a_descriptor_and_of_a_memfd() -> None:
    f = Feed()
    ev = _exec(f, A, b"prog\0", "/dev/fd/3", exe_name="memfd:payload")
    assert ev["evt.type"] == "execveat"
    assert ev["proc.is_exe_from_memfd"] is True and ev["proc.exepath"] == "memfd:payload"
    ev = _exec(f, B, b"sh\0-c\0id\0", "/bin/sh")
    assert ev["evt.type"] == "execve" and ev["proc.is_exe_from_memfd"] is False
    assert ev["proc.args"] == ["-c", "id"] and not f.dec.parts


def test_the_socket_table_keeps_every_socket_field_of_connect_accept_and_bind() -> None:
    """What a later dup or listen of the descriptor gets: every ``fd.*`` field the socket's own event has
    (its domain names included), and nothing else."""
    from stockade.runtime.source.names import NameCache

    f = Feed()
    names = NameCache(["example.test"], resolver=lambda _n: ["93.184.216.34"])
    names.refresh()
    f.dec.names = names
    for name, ret, fd, port, addr in (
        ("connect", 0, 3, 443, "93.184.216.34"),
        ("accept4", 9, 4, 40002, "10.0.0.6"),
        ("bind", 0, 5, 8080, "0.0.0.0"),
    ):
        nr = SYSCALLS[name][0]
        rec = ["N", str(nr), *f.header(A), str(ret), str(fd), "2", str(port), addr, "6", "10.0.0.5", "40001"]
        (ev,) = f.dec.feed(SEP.join(rec))
        key = (A, ret if name.startswith("accept") else fd)
        want = {k: v for k, v in ev.items() if k.startswith("fd.") and k != "fd.num"}
        assert f.dec.sockets[key][0] == want, name
    assert f.dec.sockets[(A, 3)][0]["fd.sip.name"] == "example.test"


def test_a_long_command_line_read_from_proc_is_cut_as_the_kernel_side_cuts_it() -> None:
    """An ancestor's or a connector exec's arguments come from ``/proc/PID/cmdline``: a 60 KB command line
    (a CI job's shell had 54 KB, and every event of its descendants carried it) is cut at the same
    ``ARGV_MAX`` bytes as an exec the eBPF source reads, its last argument kept, cut."""
    import subprocess
    import sys
    import time

    from stockade.runtime import procfs
    from stockade.runtime.enrich.proctable import from_proc
    from stockade.runtime.source.bpfprog import ARGV_CHUNK, ARGV_CHUNKS
    from stockade.runtime.source.proc_connector import exec_event

    assert procfs.ARGV_MAX == ARGV_CHUNK * ARGV_CHUNKS
    script = "import time; time.sleep(30)"
    child = subprocess.Popen([sys.executable, "-c", script, "x" * 60_000])
    try:
        # Popen returns once the exec passed its point of no return, which is before the kernel has set
        # up the new command line: /proc/PID/cmdline can still read empty for a moment
        deadline = time.monotonic() + 10
        while not procfs.cmdline(child.pid) and time.monotonic() < deadline:
            time.sleep(0.01)
        entry = from_proc(child.pid)
        ev = exec_event(child.pid, child.pid, 1)
    finally:
        child.kill()
        child.wait()
    assert entry is not None and ev is not None
    whole = b"\0".join(a.encode() for a in [entry["exe"], *entry["args"]])
    assert len(whole) == procfs.ARGV_MAX
    assert entry["args"][:2] == ["-c", script] and set(entry["args"][2]) == {"x"}
    assert ev["proc.args"] == entry["args"]
