"""Decoding the eBPF program's text records into Falco-shaped event dicts.

The record layout is documented in :mod:`stockade.runtime.source.bpfprog`.  String arguments arrive as
``P`` parts keyed by ``(tid, timestamp)`` before the record that completes them (printed by the same probe
invocation, so on the same CPU and in order); an exec's argv is read from the new image and arrives
hex-encoded, in the E record and, past :data:`~stockade.runtime.source.bpfprog.ARGV_CHUNK` bytes, in parts
before it.  Field names and argument names are
Falco's (https://falco.org/docs/reference/rules/supported-fields/, the driver's event table).
"""

from __future__ import annotations

import os
import time
from typing import Any

from stockade.model.event import Event
from stockade.runtime import procfs
from stockade.runtime.source import decode
from stockade.runtime.source.bpfprog import ARGV_CHUNK, ARGV_PART, BY_NR, OPEN
from stockade.runtime.source.names import NameCache

OVERLAYFS_MAGIC = 0x794C7630
PART_TTL_NS = 10_000_000_000
#: internal keys the enrichers read and remove
K_CGROUP, K_OVERLAY = "_cgroup_id", "_exe_overlay"
#: the cgroup path read from ``/proc/PID/cgroup`` when the event happened (sources without a cgroup id)
K_CGROUP_PATH = "_cgroup_path"

#: S-record argument names per syscall, in the order of the syscall's arguments (None: not shown)
ARG_NAMES: dict[str, tuple[str | None, ...]] = {
    "unlink": ("path",),
    "unlinkat": ("dirfd", "name", "flags"),
    "rename": ("oldpath", "newpath"),
    "renameat": ("olddirfd", "oldpath", "newdirfd", "newpath"),
    "renameat2": ("olddirfd", "oldpath", "newdirfd", "newpath"),
    "chmod": ("filename", "mode"),
    "fchmod": ("fd", "mode"),
    "fchmodat": ("dirfd", "filename", "mode"),
    "fchmodat2": ("dirfd", "filename", "mode"),
    "chown": ("path", "uid", "gid"),
    "lchown": ("path", "uid", "gid"),
    "fchown": ("fd", "uid", "gid"),
    "fchownat": ("dirfd", "pathname", "uid", "gid"),
    "mkdir": ("path", "mode"),
    "mkdirat": ("dirfd", "path", "mode"),
    "symlink": ("target", "linkpath"),
    "symlinkat": ("target", "linkdirfd", "linkpath"),
    "link": ("oldpath", "newpath"),
    "linkat": ("olddir", "oldpath", "newdir", "newpath"),
    "setuid": ("uid",),
    "setgid": ("gid",),
    "setreuid": ("ruid", "euid"),
    "setregid": ("rgid", "egid"),
    "setresuid": ("ruid", "euid", "suid"),
    "setresgid": ("rgid", "egid", "sgid"),
    "capset": (),
    "ptrace": ("request", "pid"),
    "init_module": (None, None, "uargs"),
    "finit_module": ("fd", "uargs", "flags"),
    "mount": ("dev", "dir", "type", "flags"),
    "umount2": ("name", "flags"),
    "memfd_create": ("name", "flags"),
    "dup2": ("oldfd", "newfd"),
    "dup3": ("oldfd", "newfd", "flags"),
    "socket": ("domain", "type", "proto"),
    "listen": ("fd", "backlog"),
    "unshare": ("flags",),
    "setns": ("fd", "nstype"),
    "bpf": ("cmd",),
    "chdir": ("path",),
    "fchdir": ("fd",),
}
FD32 = {"dirfd", "olddirfd", "newdirfd", "linkdirfd", "olddir", "newdir", "fd", "oldfd", "newfd"}
MODE_ARGS = {"mode"}
FAMILIES = {2: "ipv4", 10: "ipv6"}
#: ``sk_protocol`` → Falco's ``fd.l4proto`` (tcp, udp, icmp or raw)
L4PROTO = {6: "tcp", 17: "udp", 1: "icmp", 58: "icmp", 255: "raw"}
#: the address fields that get a ``.name`` when one of the rules' domain names resolves to the address
ADDRESS_FIELDS = ("fd.sip", "fd.cip", "fd.rip", "fd.lip")
#: what a socket's event says of it (``_net``; the ``.name`` fields from ``_name``), kept for a later dup or
#: listen of the same descriptor
SOCKET_FIELDS = (
    "fd.type", "fd.sockfamily", "fd.l4proto", "fd.name", "fd.sport", "fd.cport", "fd.rport", "fd.lport",
    *ADDRESS_FIELDS, *(f"{k}.name" for k in ADDRESS_FIELDS),
)  # fmt: skip
#: the part of a dup's record that carries the socket it copies (read in the kernel at the dup)
DUP_SOCKET = -5


def normal(path: str) -> str:
    """``path`` with ``.``/``..`` components and repeated slashes resolved lexically, as libsinsp's
    ``fd.name`` is (``fd.nameraw`` keeps the path as passed); ``os.path.normpath`` alone keeps a leading
    ``//`` (POSIX leaves its meaning to the system; Linux treats it as ``/``)."""
    out = os.path.normpath(path)
    return "/" + out.lstrip("/") if out.startswith("//") else out


class Decoder:
    """Turns records into events; ``lost`` counts events the kernel dropped or that could not be decoded."""

    def __init__(self) -> None:
        self.parts: dict[tuple[int, int], dict[int, str]] = {}
        #: (pid, fd) → the fd.* fields of an inet socket the decoder saw connected, accepted or bound, and
        #: whether its own end is the client (a connect), the server (an accept) or not known (a bind)
        self.sockets: dict[tuple[int, int], tuple[Event, bool | None]] = {}
        self.seq = 0
        #: pid → working directory, followed through fork (inherited), chdir (joined lexically, as libsinsp
        #: does) and fchdir (read from /proc); a process not seen before is read from /proc/PID/cwd once
        self.cwds: dict[int, str] = {}
        self.malformed = 0
        self.last_malformed = ""
        self.ephemeral = _ephemeral_ports()
        #: the rules' domain names by address (``fd.*.name``), when the sensor resolves some
        self.names: NameCache | None = None
        self.offset = time.time_ns() - time.monotonic_ns()

    # -- records -------------------------------------------------------------------------------------------
    def feed(self, line: str) -> list[Event]:
        f = line.rstrip("\n").split("\x1f")
        tag = f[0]
        try:
            if tag == "P":
                key = (int(f[1]), int(f[2]))
                self.parts.setdefault(key, {})[int(f[3])] = "\x1f".join(f[4:])
                return []
            if tag == "S":
                return self._syscall(f)
            if tag == "N":
                return self._net(f)
            if tag == "E":
                return self._exec(f)
            if tag == "K":
                ev = self._base("clone", f[1:9])
                child = int(f[9])
                cwd = self.cwd(ev["proc.pid"])
                if cwd is not None:
                    self._remember(child, cwd)
                ev["evt.rawres"] = child
                ev["evt.args"] = {"res": child}
                return [ev]
            if tag == "X":
                ev = self._base("procexit", f[1:9])
                self.cwds.pop(ev["thread.tid"], None)  # (a thread's entry, or the process's with its leader)
                ev["evt.args"] = {"status": int(f[9])}
                return [ev]
        except (IndexError, ValueError):
            self.malformed += 1
            self.last_malformed = line
            return []
        if tag != "READY":
            self.malformed += 1
            self.last_malformed = line
        return []

    def flush(self, now_mono: int | None = None) -> None:
        """Drop parts whose record never came (it was lost)."""
        now = time.monotonic_ns() if now_mono is None else now_mono
        if len(self.parts) > 4096:
            self.parts = {k: v for k, v in self.parts.items() if now - k[1] < PART_TTL_NS}

    # -- paths ---------------------------------------------------------------------------------------------
    def absolute(self, path: str, pid: int, dirfd: int = decode.AT_FDCWD) -> str:
        """``path`` made absolute against the process's cwd (or ``dirfd``) and normalised, as Falco's
        fd.name is; a relative path whose base is unknown stays as it is."""
        if not path:
            return path
        if path.startswith("/"):
            return normal(path)
        base = self.cwd(pid) if dirfd == decode.AT_FDCWD else procfs.link(f"/proc/{pid}/fd/{dirfd}")
        return normal(os.path.join(base, path)) if base else path

    def cwd(self, pid: int) -> str | None:
        """The working directory of ``pid`` when its latest event happened, as far as it is known."""
        cwd = self.cwds.get(pid)
        if cwd is None:
            cwd = procfs.link(f"/proc/{pid}/cwd")
            if cwd is not None:
                self._remember(pid, cwd)
        return cwd

    def _chdir(self, pid: int, path: object) -> None:
        old = self.cwds.get(pid)  # (not /proc: read now, it would already be the new directory)
        if isinstance(path, str) and path.startswith("/"):
            new: str | None = normal(path)
        elif isinstance(path, str) and path and old is not None:
            new = normal(os.path.join(old, path))
        else:  # fchdir, or a relative chdir from an unknown directory: where the kernel says it is now
            new = procfs.link(f"/proc/{pid}/cwd")
        if new is None:
            self.cwds.pop(pid, None)
        else:
            self._remember(pid, new)

    def _name(self, ev: Event) -> None:
        """``fd.sip.name`` … for the addresses one of the rules' domain names resolved to."""
        if self.names is None:
            return
        for key in ADDRESS_FIELDS:
            addr = ev.get(key)
            if addr is not None:
                found = self.names.lookup(addr)
                if found is not None:
                    ev[key + ".name"] = found

    def _remember(self, pid: int, cwd: str) -> None:
        if len(self.cwds) >= 65536:  # (processes whose exit was lost)
            self.cwds.clear()
        self.cwds[pid] = cwd

    # -- helpers -------------------------------------------------------------------------------------------
    def _base(self, evtype: str, h: list[str]) -> Event:
        ts, pid, tid, uid, gid, cg, comm, loginuid = h[:8]
        self.seq += 1
        return {
            "evt.type": evtype,
            "evt.dir": "<",
            "evt.time": int(ts) + self.offset,
            "evt.num": self.seq,
            "proc.pid": int(pid),
            "thread.tid": int(tid),
            "proc.name": comm,
            "user.uid": int(uid),
            "group.gid": int(gid),
            "user.loginuid": decode.s32(int(loginuid)),
            K_CGROUP: int(cg),
        }

    def _take(self, tid: int, ts: int) -> dict[int, str]:
        return self.parts.pop((tid, ts), {})

    def _syscall(self, f: list[str]) -> list[Event]:
        name = BY_NR.get(int(f[1]))
        if name is None:
            self.malformed += 1
            return []
        h = f[2:10]
        ev = self._base(name, h)
        ret, raw = int(f[10]), [int(x) for x in f[11:15]]
        parts = self._take(int(h[2]), int(h[0]))
        pid = ev["proc.pid"]
        if name in OPEN:
            return [self._open(ev, ret, raw, parts.get(1, ""))]
        args: dict[str, Any] = {"res": ret}
        for i, arg in enumerate(ARG_NAMES.get(name, ())):
            if arg is None:
                continue
            if i in parts:
                args[arg] = parts[i]
            elif arg in FD32:
                args[arg] = decode.s32(raw[i])
            elif arg in MODE_ARGS:
                args[arg] = decode.mode(raw[i])
            elif arg == "request":
                args[arg] = decode.ptrace_request(raw[i])
            elif arg == "domain":  # socket(2): Falco renders the family by name ("AF_PACKET")
                args[arg] = decode.socket_family(raw[i])
            else:
                args[arg] = raw[i]
        ev["evt.rawres"] = ret
        ev["evt.args"] = args
        if name in ("chmod", "fchmodat", "fchmodat2", "mkdir", "mkdirat", "unlinkat", "unlink"):
            path = args.get("filename") or args.get("path") or args.get("name")
            if isinstance(path, str):
                ev["fs.path.name"] = self.absolute(path, pid, args.get("dirfd", decode.AT_FDCWD))
        if name in ("chdir", "fchdir") and ret == 0:
            self._chdir(pid, args.get("path"))
        if name == "memfd_create" and ret >= 0:
            ev["fd.num"], ev["fd.type"], ev["fd.name"] = ret, "memfd", f"memfd:{args.get('name', '')}"
        if name in ("dup2", "dup3"):
            known, client = self.sockets.get((pid, int(args.get("oldfd", -1))), (None, None))
            sock = _dup_socket(parts.get(DUP_SOCKET), client, self.ephemeral) or known
            if sock:
                ev.update(sock)
                self._name(ev)
            ev["fd.num"] = ret
        if name == "listen":
            sock, _client = self.sockets.get((pid, int(args["fd"])), (None, None))
            if sock:
                ev.update(sock)
        return [ev]

    def _open(self, ev: Event, ret: int, raw: list[int], path: str) -> Event:
        dirfd, flags, mode = decode.s32(raw[0]), raw[2], raw[3]
        name = self.absolute(path, ev["proc.pid"], dirfd)
        ev["evt.rawres"] = ret
        args: dict[str, Any] = {
            "fd": ret,
            "name": name,
            "flags": decode.open_flags(flags),
            "mode": decode.mode(mode),
        }
        if ev["evt.type"] == "creat":  # (Falco's creat event: fd, name, mode — its flags are implied)
            del args["flags"]
        elif ev["evt.type"] != "open":
            args["dirfd"] = dirfd
        ev["evt.args"] = args
        ev["fd.num"] = ret if ret >= 0 else -1
        ev["fd.name"] = name
        ev["fd.nameraw"] = path
        ev["fd.type"] = "directory" if flags & 0o200000 else "file"
        return ev

    def _net(self, f: list[str]) -> list[Event]:
        name = BY_NR.get(int(f[1]), "connect")
        h = f[2:10]
        ev = self._base(name, h)
        ret, fd, fam, port, addr = int(f[10]), decode.s32(int(f[11])), int(f[12]), int(f[13]), f[14]
        ftype = FAMILIES.get(fam, "ipv4")
        ev["evt.rawres"] = ret
        ev["fd.type"] = ftype
        ev["fd.sockfamily"] = "ip"
        l4 = L4PROTO.get(int(f[15])) if len(f) > 15 else None
        if l4 is not None:
            ev["fd.l4proto"] = l4
        # the socket's own end, read from it at the exit (the client's for a connect, the server's for an
        # accept); port 0: no socket, or not bound yet
        laddr, lport = (f[16], int(f[17])) if len(f) > 17 else ("", 0)
        local = f"{laddr}:{lport}" if lport else ""
        if name == "connect":
            ev["fd.num"] = fd
            ev.update({"fd.sip": addr, "fd.sport": port, "fd.rip": addr, "fd.rport": port})
            if local:
                ev.update({"fd.cip": laddr, "fd.cport": lport, "fd.lip": laddr, "fd.lport": lport})
            ev["fd.name"] = f"{local}->{addr}:{port}"
            ev["evt.args"] = {"res": ret, "tuple": ev["fd.name"], "fd": fd}
        elif name == "bind":
            ev["fd.num"] = fd
            ev.update({"fd.sip": addr, "fd.sport": port, "fd.lip": addr, "fd.lport": port})
            ev["fd.name"] = f"{addr}:{port}"
            ev["evt.args"] = {"res": ret, "addr": f"{addr}:{port}"}
        else:  # accept: the peer is the client
            ev["fd.num"] = ret
            ev.update({"fd.cip": addr, "fd.cport": port, "fd.rip": addr, "fd.rport": port})
            if local:
                ev.update({"fd.sip": laddr, "fd.sport": lport, "fd.lip": laddr, "fd.lport": lport})
            ev["fd.name"] = f"{addr}:{port}->{local}"
            ev["evt.args"] = {"fd": ret, "tuple": ev["fd.name"]}
        self._name(ev)
        if ret >= 0 or ret == -115:  # EINPROGRESS
            key_fd = ret if name.startswith("accept") else fd
            sock = {k: ev[k] for k in SOCKET_FIELDS if k in ev}
            if len(self.sockets) > 65536:
                self.sockets.clear()
            client = True if name == "connect" else False if name.startswith("accept") else None
            self.sockets[(ev["proc.pid"], key_fd)] = (sock, client)
        return [ev]

    def _exec(self, f: list[str]) -> list[Event]:
        h = f[1:9]
        own = self._take(int(h[2]), int(h[0]))
        argv = _argv(int(f[17]), f[18], own)
        ev = self._base("execve", h)
        pid = ev["proc.pid"]
        filename = own.get(-3, "")
        dentry = own.get(-2, "")
        memfd = dentry.startswith("memfd:")
        if filename.startswith("/dev/fd/"):  # execveat(2) of a descriptor (bprm->filename, fs/exec.c)
            ev["evt.type"] = "execveat"
        cwd = self.cwd(pid)
        exepath = (
            dentry if memfd else (os.path.normpath(os.path.join(cwd or "/", filename)) if filename else "")
        )
        ppid, tty, magic = int(f[10]), int(f[11]), int(f[12])
        ev.update(
            {
                "evt.rawres": 0,
                "proc.exe": argv[0] if argv else filename,
                "proc.exepath": exepath,
                "proc.args": argv[1:],
                "proc.ppid": ppid,
                "proc.tty": tty,
                "proc.vpid": pid,
                "proc.start_ts": ev["evt.time"],
                "proc.is_exe_from_memfd": memfd,
                "proc.exe_ino": int(f[13]),
                "thread.cap_effective": decode.caps(int(f[14])),
                "thread.cap_permitted": decode.caps(int(f[15])),
                "thread.cap_inheritable": decode.caps(int(f[16])),
                K_OVERLAY: magic == OVERLAYFS_MAGIC,
            }
        )
        if cwd is not None:
            ev["proc.cwd"] = cwd if cwd.endswith("/") else cwd + "/"
        flags = ["EXE_FROM_MEMFD"] if memfd else []
        ev["evt.args"] = {
            "res": 0,
            "exe": ev["proc.exe"],
            "args": " ".join(argv[1:]),
            "tid": ev["thread.tid"],
            "pid": pid,
            "ptid": ppid,
            "cwd": ev.get("proc.cwd", ""),
            "tty": tty,
            "loginuid": ev["user.loginuid"],
            "flags": "|".join(flags) or "0",
            "filename": filename,
        }
        return [ev]


def _hex(text: str) -> bytes:
    """A buffer bpftrace printed with ``%rx`` (``\\xNN`` per byte)."""
    return bytes.fromhex(text.replace("\\x", ""))


def _argv(n: int, last: str, parts: dict[int, str]) -> list[str]:
    """The exec's arguments from the ``n`` bytes of ``mm->arg_start..arg_end`` (NUL-terminated strings): the
    whole chunks as parts, then the last chunk, which *ends* at ``arg_end`` (bpfprog._sched)."""
    whole = (n - 1) // ARGV_CHUNK if n > 0 else 0
    tail = n - whole * ARGV_CHUNK
    raw = b"".join(_hex(parts.get(ARGV_PART + k, "")) for k in range(whole))
    if tail:
        raw += _hex(last)[-tail:]
    return procfs.argv(raw)


def _ephemeral_ports() -> tuple[int, int]:
    """The kernel's range of local ports for outgoing connections (``ip_local_port_range``)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range", encoding="ascii") as fh:
            low, high = (int(x) for x in fh.read().split())
        return low, high
    except (OSError, ValueError):
        return 32768, 60999  # the kernel's default


def _dup_socket(part: str | None, client: bool | None, ephemeral: tuple[int, int]) -> Event | None:
    """The ``fd.*`` fields of the inet socket a dup copied, as the kernel had it at the dup
    (``family proto laddr lport raddr rport``).  Which end is the client comes from the connect or accept
    the decoder saw for it (``client``); for a socket it did not see (created before the sensor started,
    or by a call not traced) or only saw bound, this end is the client when its port is in the ephemeral
    range."""
    if not part:
        return None
    try:
        fam, proto, laddr, lport_s, raddr, rport_s = part.split("\x1f")
        lport, rport = int(lport_s), int(rport_s)
        ftype = FAMILIES[int(fam)]
        l4 = L4PROTO.get(int(proto))
    except (ValueError, KeyError):
        return None
    if client is None:
        client = ephemeral[0] <= lport <= ephemeral[1]
    cip, cport, sip, sport = (laddr, lport, raddr, rport) if client else (raddr, rport, laddr, lport)
    out: Event = {
        "fd.type": ftype,
        "fd.sockfamily": "ip",
        "fd.cip": cip,
        "fd.cport": cport,
        "fd.sip": sip,
        "fd.sport": sport,
        "fd.lip": laddr,
        "fd.lport": lport,
        "fd.rip": raddr,
        "fd.rport": rport,
        "fd.name": f"{cip}:{cport}->{sip}:{sport}",
    }
    if l4 is not None:
        out["fd.l4proto"] = l4
    return out
