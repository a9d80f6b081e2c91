"""The proc-connector fallback source: process events from the kernel's netlink process events connector.

Protocol (``include/uapi/linux/connector.h`` and ``include/uapi/linux/cn_proc.h``): a ``NETLINK_CONNECTOR``
(11) datagram socket bound to multicast group ``CN_IDX_PROC`` (1) sends one ``PROC_CN_MCAST_LISTEN`` (1)
request (``nlmsghdr`` + ``cn_msg{id={CN_IDX_PROC, CN_VAL_PROC}, seq, ack, len, flags}`` + ``u32 op``); the
kernel then multicasts one ``struct proc_event`` per event::

    u32 what; u32 cpu; u64 timestamp_ns (ktime_get_ns, CLOCK_MONOTONIC; aligned 8);
    union event_data {
        fork   {pid_t parent_pid, parent_tgid, child_pid, child_tgid}
        exec   {pid_t process_pid, process_tgid}
        id     {pid_t process_pid, process_tgid; u32 ruid|rgid; u32 euid|egid}
        sid    {pid_t process_pid, process_tgid}
        comm   {pid_t process_pid, process_tgid; char comm[16]}
        exit   {pid_t process_pid, process_tgid; u32 exit_code, exit_signal; ...}
    }

The connector carries pids only, so an exec is completed from ``/proc/PID`` (exe, cmdline, cwd, uids and
capabilities from ``status``, ppid and tty from ``stat``, loginuid, cgroup) by a reader thread the moment
the message arrives; a process that exits before that cannot be described and is counted in
:attr:`ProcConnectorSource.unreadable` (one that exited while it was being read keeps its name and is
counted in :attr:`ProcConnectorSource.partial`).  Needs root (``CAP_NET_ADMIN``).  Exec events become
``execve``, new processes ``clone`` and process exits ``procexit``, the same event dicts as the eBPF
source; uid, gid, sid and comm changes keep the source's per-process cache.  Receive-buffer overruns
(``ENOBUFS``) are counted in :attr:`ProcConnectorSource.lost` (one per overrun: the kernel does not say how
many were dropped).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import os
import queue
import socket
import struct
import threading
import time
from collections.abc import Iterator

from stockade.errors import StockadeError
from stockade.model.event import Event
from stockade.runtime import procfs
from stockade.runtime.source import decode
from stockade.runtime.source.records import K_CGROUP_PATH, K_OVERLAY, OVERLAYFS_MAGIC

NAME = "proc"
NETLINK_CONNECTOR = 11
CN_IDX_PROC = 1
CN_VAL_PROC = 1
PROC_CN_MCAST_LISTEN = 1
NLMSG_DONE = 3
NLMSG_ERROR = 2
SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)

EV_FORK, EV_EXEC, EV_UID, EV_GID, EV_SID, EV_COMM, EV_EXIT = 0x1, 0x2, 0x4, 0x40, 0x80, 0x200, 0x80000000
KINDS = {EV_FORK: "fork", EV_EXEC: "exec", EV_UID: "uid", EV_GID: "gid", EV_SID: "sid", EV_COMM: "comm"}
KINDS[EV_EXIT] = "exit"

_NLMSGHDR = struct.Struct("=IHHII")  # len, type, flags, seq, pid
_CN_MSG = struct.Struct("=IIIIHH")  # idx, val, seq, ack, len, flags
_EV_HDR = struct.Struct("=IIQ")  # what, cpu, timestamp_ns
_FOUR = struct.Struct("=iiii")
_EXIT = struct.Struct("=iiII")


class SourceError(StockadeError):
    pass


def listen_request() -> bytes:
    """The ``PROC_CN_MCAST_LISTEN`` request: nlmsghdr + cn_msg + u32 op."""
    op = struct.pack("=I", PROC_CN_MCAST_LISTEN)
    cn = _CN_MSG.pack(CN_IDX_PROC, CN_VAL_PROC, 0, 0, len(op), 0) + op
    return _NLMSGHDR.pack(_NLMSGHDR.size + len(cn), NLMSG_DONE, 0, 0, 0) + cn


def parse(data: bytes) -> Iterator[tuple[int, int, bytes]]:
    """``(what, timestamp_ns, event_data)`` for each proc_event in a netlink datagram."""
    off = 0
    while off + _NLMSGHDR.size <= len(data):
        length, mtype, _flags, _seq, _pid = _NLMSGHDR.unpack_from(data, off)
        if length < _NLMSGHDR.size:
            return
        body = data[off + _NLMSGHDR.size : off + length]
        off += (length + 3) & ~3
        if mtype in (NLMSG_ERROR,) or len(body) < _CN_MSG.size + _EV_HDR.size:
            continue
        idx, val, _s, _a, clen, _f = _CN_MSG.unpack_from(body, 0)
        if (idx, val) != (CN_IDX_PROC, CN_VAL_PROC):
            continue
        ev = body[_CN_MSG.size : _CN_MSG.size + clen]
        if len(ev) < _EV_HDR.size:
            continue
        what, _cpu, ts = _EV_HDR.unpack_from(ev, 0)
        yield what, ts, ev[_EV_HDR.size :]


def unavailable_reason() -> str | None:
    """Why the proc connector cannot be used here, or None."""
    try:
        s = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_CONNECTOR)
    except OSError as exc:
        return f"no netlink connector socket: {exc.strerror}"
    try:
        s.bind((0, CN_IDX_PROC))
    except OSError as exc:
        return f"cannot join the proc connector group: {exc.strerror} (needs root / CAP_NET_ADMIN)"
    finally:
        s.close()
    return None


_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def fs_magic(path: str) -> int | None:
    """``statfs(2)`` ``f_type`` of the file system holding ``path`` (``/proc/PID/exe`` is followed)."""
    buf = ctypes.create_string_buffer(256)
    if _libc.statfs(path.encode(), buf) != 0:
        return None
    return int.from_bytes(buf.raw[: ctypes.sizeof(ctypes.c_long)], "little", signed=False)


def exec_event(pid: int, tid: int, ts: int) -> Event | None:
    """An ``execve`` event for a process that just executed, from ``/proc/PID``; None if it is gone."""
    stat = procfs.read(f"/proc/{pid}/stat")
    status = procfs.read(f"/proc/{pid}/status")
    cmdline = procfs.cmdline(pid)
    if stat is None or status is None or cmdline is None:
        return None
    comm, rest = procfs.stat_fields(stat)
    st = procfs.status(status)
    uids = [int(x) for x in st.get("Uid", "-1").split()]
    gids = [int(x) for x in st.get("Gid", "-1").split()]
    argv = procfs.argv(cmdline)
    exepath = (procfs.link(f"/proc/{pid}/exe") or "").removesuffix(" (deleted)")
    memfd = exepath.startswith("/memfd:")
    if memfd:
        exepath = exepath[1:]
    cwd = procfs.link(f"/proc/{pid}/cwd")
    lu_raw = (procfs.read(f"/proc/{pid}/loginuid") or b"-1").strip()
    loginuid = decode.s32(int(lu_raw)) if lu_raw.lstrip(b"-").isdigit() else -1
    ppid, tty = int(rest[1]), int(rest[4])
    cg = procfs.read(f"/proc/{pid}/cgroup") or b""
    # cgroup v2 line "0::/path" when present, else the first v1 line that names a container
    lines = [ln.split(":", 2)[-1] for ln in cg.decode(errors="replace").splitlines() if ln.count(":") >= 2]
    cgpath = next((ln for ln in lines if "libpod" in ln or "docker" in ln or "kubepods" in ln), "")
    cgpath = cgpath or next((ln for ln in lines), "/")
    exe = argv[0] if argv else (exepath or comm)
    ev: Event = {
        "evt.type": "execve",
        "evt.dir": "<",
        "evt.time": ts,
        "evt.rawres": 0,
        "proc.pid": pid,
        "thread.tid": tid,
        "proc.name": comm,
        "proc.exe": exe,
        "proc.exepath": exepath,
        "proc.args": argv[1:],
        "proc.ppid": ppid,
        "proc.tty": tty,
        "proc.vpid": pid,
        "proc.start_ts": ts,
        "proc.is_exe_from_memfd": memfd,
        "user.uid": uids[0],
        "group.gid": gids[0],
        "user.loginuid": loginuid,
        **decode.status_caps(st),
        K_CGROUP_PATH: cgpath,
        K_OVERLAY: fs_magic(f"/proc/{pid}/exe") == OVERLAYFS_MAGIC,
    }
    if cwd is not None:
        ev["proc.cwd"] = cwd if cwd.endswith("/") else cwd + "/"
    ev["evt.args"] = {
        "res": 0,
        "exe": exe,
        "args": " ".join(argv[1:]),
        "tid": tid,
        "pid": pid,
        "ptid": ppid,
        "cwd": ev.get("proc.cwd", ""),
        "tty": tty,
        "loginuid": loginuid,
        "flags": "EXE_FROM_MEMFD" if memfd else "0",
        "filename": exepath,
    }
    return ev


class ProcConnectorSource:
    NAME: str = NAME
    BLIND_SPOTS: tuple[str, ...] = (
        "no file, network, privilege, module or mount events (process exec/fork/exit only)",
        "short-lived processes may exit before /proc/PID is read (counted as unreadable)",
        "exec arguments, exe and cwd are read from /proc after the exec, not from the syscall",
        "a program that execs another at once (sh -c 'cmd') is seen as the second one (counted overtaken)",
        "failed execs",
    )
    #: the event types this source produces (rules that match only others are reported at start)
    EVENT_TYPES: frozenset[str] = frozenset({"execve", "clone", "procexit"})

    def __init__(self, rcvbuf: int = 8 << 20) -> None:
        self.rcvbuf = rcvbuf
        self.lost = 0
        self.unreadable = 0
        self.partial = 0
        self.overtaken = 0
        self.error: str | None = None
        self.last_exec: dict[int, tuple[str, str, tuple[str, ...]]] = {}
        self.malformed = 0
        self.counts: dict[str, int] = {}
        self.sock: socket.socket | None = None
        self.queue: queue.SimpleQueue[Event] = queue.SimpleQueue()
        self.thread: threading.Thread | None = None
        self.stopping = threading.Event()
        self.me = os.getpid()
        self.offset = time.time_ns() - time.monotonic_ns()
        #: pid → (comm, uid, gid), kept by exec/uid/gid/comm events, for clone and exit events
        self.known: dict[int, tuple[str, int, int]] = {}

    def start(self) -> None:
        try:
            s = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_CONNECTOR)
            try:  # root may exceed net.core.rmem_max
                s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, self.rcvbuf)
            except OSError:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)
            s.bind((0, CN_IDX_PROC))
            s.sendto(listen_request(), (0, 0))
        except OSError as exc:
            raise SourceError(f"proc connector unavailable: {exc.strerror or exc}") from exc
        s.settimeout(0.2)
        self.sock = s
        self.thread = threading.Thread(target=self._reader, name="stockade-proc-connector", daemon=True)
        self.thread.start()

    def _reader(self) -> None:
        sock = self.sock
        assert sock is not None
        while not self.stopping.is_set():
            try:
                data = sock.recv(65536)
            except TimeoutError:
                continue
            except OSError as exc:
                if exc.errno == errno.ENOBUFS:
                    self.lost += 1
                    continue
                if not self.stopping.is_set():
                    self.error = f"proc connector socket failed: {exc.strerror or exc}"
                    self.stopping.set()  # ends events(); the status carries the error
                return
            for what, ts, body in parse(data):
                ev = self._event(what, ts + self.offset, body)
                if ev is not None:
                    self.queue.put(ev)

    def _event(self, what: int, ts: int, body: bytes) -> Event | None:
        kind = KINDS.get(what)
        if kind is None:
            return None
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if len(body) < 8:
            self.malformed += 1
            return None
        if what == EV_EXEC:
            tid, pid = struct.unpack_from("=ii", body)
            if pid == self.me:
                return None
            ev = exec_event(pid, tid, ts)
            if ev is None:
                self.unreadable += 1
                return None
            if ev["proc.ppid"] == self.me:  # the sensor's own helpers (podman inspect/stop)
                return None
            if not ev["proc.args"] and not ev["proc.exepath"]:
                self.partial += 1  # exited while /proc was read: only the name is certain
            sig = (ev["proc.name"], ev["proc.exepath"], tuple(ev["proc.args"]))
            if self.last_exec.get(pid) == sig:
                # the process exec'd again before its first exec was read, so both reads saw the second
                # program: report it once (the first program is lost)
                self.overtaken += 1
                return None
            self.last_exec[pid] = sig
            self.known[pid] = (ev["proc.name"], ev["user.uid"], ev["group.gid"])
            return ev
        if what == EV_FORK and len(body) >= 16:
            ppid, ptgid, cpid, ctgid = _FOUR.unpack_from(body)
            if cpid != ctgid or ptgid == self.me:  # a new thread, or the sensor's own child
                return None
            if ptgid in self.known:
                self.known[ctgid] = self.known[ptgid]
            return self._simple("clone", ptgid, ppid, ts, rawres=ctgid)
        if what == EV_EXIT and len(body) >= 16:
            tid, pid, code, sig = _EXIT.unpack_from(body)
            if tid != pid:
                return None
            ev = self._simple("procexit", pid, tid, ts, rawres=code)
            ev["evt.args"] = {"status": code, "sig": sig}
            self.known.pop(pid, None)
            self.last_exec.pop(pid, None)
            return ev
        if what in (EV_UID, EV_GID) and len(body) >= 16:
            _tid, pid, real, _eff = _FOUR.unpack_from(body)
            name, uid, gid = self.known.get(pid, ("", -1, -1))
            self.known[pid] = (name, real, gid) if what == EV_UID else (name, uid, real)
        elif what == EV_COMM and len(body) >= 24:
            _tid, pid = struct.unpack_from("=ii", body)
            comm = body[8:24].split(b"\0", 1)[0].decode(errors="replace")
            _name, uid, gid = self.known.get(pid, ("", -1, -1))
            self.known[pid] = (comm, uid, gid)
        return None

    def _simple(self, evtype: str, pid: int, tid: int, ts: int, rawres: int) -> Event:
        known = self.known.get(pid)
        if known is None:
            comm = (procfs.read(f"/proc/{pid}/comm") or b"").decode(errors="replace").strip()
            known = (comm, -1, -1)
        ev: Event = {
            "evt.type": evtype,
            "evt.dir": "<",
            "evt.time": ts,
            "evt.rawres": rawres,
            "proc.pid": pid,
            "thread.tid": tid,
            "proc.name": known[0],
        }
        if known[1] >= 0:
            ev["user.uid"] = known[1]
        if known[2] >= 0:
            ev["group.gid"] = known[2]
        return ev

    def events(self, until: float | None = None) -> Iterator[Event]:
        """Events until ``until`` (monotonic seconds) or until stopped."""
        while not self.stopping.is_set():
            timeout = 0.1 if until is None else max(0.0, min(0.1, until - time.monotonic()))
            with contextlib.suppress(queue.Empty):
                yield self.queue.get(timeout=timeout)
            if until is not None and time.monotonic() >= until:
                break
        while True:
            try:
                yield self.queue.get_nowait()
            except queue.Empty:
                return

    def stop(self) -> None:
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout=2)
            self.thread = None
        if self.sock is not None:
            self.sock.close()
            self.sock = None
