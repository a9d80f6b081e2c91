"""The field table: every Falco field stockade evaluates, its type, its argument and how it is extracted.

Names, types and meanings are Falco's (https://falco.org/docs/reference/rules/supported-fields/, the
``syscall`` source: ``evt.* proc.* thread.* user.* group.* fd.* fs.path.* container.* k8s.*``).  Values come
from the normalised event dict (:mod:`stockade.model.event`): most fields are a key of their own; derived
ones (``proc.cmdline``, ``proc.pname``, ``proc.aname[N]``, ``fd.directory``, ``evt.res`` …) are computed
from other keys when the event does not carry them, and then stored in the event so the next rule reads a
plain key.  ``provided_by`` says which events fill a field (``all``: the process/user/container context
every event carries; ``fd``: events on a file descriptor; ``exec``; ``args``: the event's own arguments).

Fields of Falco plug-ins (``ka.*`` k8s audit, ``ct.*`` CloudTrail, ``json.*``, ``k8smeta.*`` …) are *known
but unsupported*: a rule using one is skipped and reported, not an error.  Any other unknown name is an
error, unless the rule has ``skip-if-unknown-filter: true``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from stockade.model.event import Event


class FType(StrEnum):
    STR = "string"
    INT = "int"
    BOOL = "bool"
    IP = "ipaddr"
    NET = "ipnet"  # an address field compared against networks (``fd.net = 10.0.0.0/8``)
    PORT = "port"
    ABSTIME = "abstime"
    RELTIME = "reltime"
    LIST = "list"  # several string values (``fd.types``)


class Arg(StrEnum):
    NONE = "none"
    OPTIONAL = "optional"
    REQUIRED = "required"


Extractor = Callable[[Event], Any]


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    type: FType
    desc: str
    provided_by: str = "all"
    arg: Arg = Arg.NONE
    #: with no argument the field stands for all ancestors, and a check is true if any of them passes
    any_ancestor: bool = False


FIELDS: dict[str, FieldSpec] = {}

#: field-name prefixes of Falco plug-ins stockade does not provide (rule is skipped and reported)
PLUGIN_PREFIXES = {
    "ka.": "k8saudit",
    "ct.": "cloudtrail",
    "json.": "json",
    "jevt.": "json",
    "k8smeta.": "k8smeta",
    "okta.": "okta",
    "github.": "github",
    "gcp.": "gcpaudit",
    "docker.": "docker",
    "kafka.": "kafka",
    "dummy.": "dummy",
}


def _f(name: str, t: FType, desc: str, by: str = "all", arg: Arg = Arg.NONE, anc: bool = False) -> None:
    FIELDS[name] = FieldSpec(name, t, desc, by, arg, anc)


S, N, B = FType.STR, FType.INT, FType.BOOL

# -- evt.* --------------------------------------------------------------------------------------------
_f("evt.type", S, "event type: the syscall name (open, openat, execve, connect …)")
_f("evt.dir", S, "'>' for enter events, '<' for exit events")
_f("evt.num", N, "event sequence number")
_f("evt.time", FType.ABSTIME, "event timestamp, ns since the epoch")
_f("evt.cpu", N, "CPU the event happened on")
_f("evt.hostname", S, "name of the host the event happened on")
_f("evt.rawres", N, "return value as a number", "args")
_f("evt.res", S, "return value as text: SUCCESS, or the errno name of a failure (ENOENT)", "args")
_f("evt.failed", B, "true when the event returned an error", "args")
_f("evt.args", S, "all arguments rendered as 'name=value …'", "args")
_f("evt.arg", S, "one argument by name or index, rendered (evt.arg.flags, evt.arg[0])", "args", Arg.REQUIRED)
_f("evt.rawarg", S, "one argument by name, raw (numbers stay numbers)", "args", Arg.REQUIRED)
_f("evt.buffer", S, "the data buffer of read/write events", "args")
_f("evt.is_open_read", B, "open* event that opened for reading", "fd")
_f("evt.is_open_write", B, "open* event that opened for writing", "fd")
_f("evt.is_open_exec", B, "open* event that created a file with execute permission", "fd")
_f("evt.is_open_create", B, "open* event with O_CREAT", "fd")
_f("evt.category", S, "event category (file, net, process …)")
_f("syscall.type", S, "the syscall name, for syscall events")
# -- proc.* -------------------------------------------------------------------------------------------
_f("proc.pid", N, "process id")
_f("proc.name", S, "process name (comm, at most 15 characters)")
_f("proc.exe", S, "argv[0]")
_f("proc.exepath", S, "full path of the executable")
_f("proc.args", S, "arguments (argv[1:]) joined by spaces")
_f("proc.cmdline", S, "proc.name followed by the arguments")
_f("proc.exeline", S, "proc.exe followed by the arguments")
_f("proc.cwd", S, "current working directory")
_f("proc.tty", N, "controlling terminal, 0 when none")
_f("proc.sid", N, "session id")
_f("proc.sname", S, "name of the session leader")
_f("proc.vpid", N, "pid inside the process's pid namespace")
_f("proc.vpgid", N, "process group id inside the pid namespace")
_f("proc.vpgid.name", S, "name of the process group leader")
_f("proc.vpgid.exe", S, "argv[0] of the process group leader")
_f("proc.vpgid.exepath", S, "executable path of the process group leader")
_f("proc.is_vpgid_leader", B, "the process leads its process group")
_f("proc.is_sid_leader", B, "the process leads its session")
_f("proc.loginshellid", N, "pid of the oldest shell ancestor")
_f("proc.duration", FType.RELTIME, "ns since the process started")
_f("proc.env", S, "environment 'NAME=value …', or one variable with proc.env[NAME]", arg=Arg.OPTIONAL)
_f("proc.is_exe_upper_layer", B, "the executable lives in the container's writable overlay layer", "exec")
_f("proc.is_exe_from_memfd", B, "the executable is a memfd (fileless execution)", "exec")
_f("proc.is_exe_writable", B, "the executable is writable by the process's user", "exec")
_f("proc.exe_ino", N, "inode of the executable", "exec")
_f("proc.exe_ino.ctime", FType.ABSTIME, "ctime of the executable's inode", "exec")
_f("proc.exe_ino.mtime", FType.ABSTIME, "mtime of the executable's inode", "exec")
_f(
    "proc.exe_ino.ctime_duration_proc_start",
    FType.RELTIME,
    "ns between the executable's ctime and start",
    "exec",
)
_f("proc.is_container_healthcheck", B, "the process is a container health check")
_f("proc.is_container_liveness_probe", B, "the process is a Kubernetes liveness probe")
_f("proc.is_container_readiness_probe", B, "the process is a Kubernetes readiness probe")
_f("proc.ppid", N, "parent pid")
_f("proc.pname", S, "parent's name")
_f("proc.pexe", S, "parent's argv[0]")
_f("proc.pexepath", S, "parent's executable path")
_f("proc.pcmdline", S, "parent's command line")
_f("proc.ppid.duration", FType.RELTIME, "ns since the parent started")
_f("proc.aname", S, "ancestor name: proc.aname[N] (1 = parent), or any ancestor", arg=Arg.OPTIONAL, anc=True)
_f("proc.apid", N, "ancestor pid: proc.apid[N], or any ancestor", arg=Arg.OPTIONAL, anc=True)
_f("proc.aexe", S, "ancestor argv[0]: proc.aexe[N], or any ancestor", arg=Arg.OPTIONAL, anc=True)
_f("proc.aexepath", S, "ancestor executable path: proc.aexepath[N], or any", arg=Arg.OPTIONAL, anc=True)
_f("proc.acmdline", S, "ancestor command line: proc.acmdline[N], or any", arg=Arg.OPTIONAL, anc=True)
# -- thread.* -----------------------------------------------------------------------------------------
_f("thread.tid", N, "thread id")
_f("thread.vtid", N, "thread id inside the pid namespace")
_f("thread.ismain", B, "the thread is the process's main thread")
_f("thread.cap_effective", S, "effective capabilities ('CAP_CHOWN CAP_SYS_ADMIN …')")
_f("thread.cap_permitted", S, "permitted capabilities")
_f("thread.cap_inheritable", S, "inheritable capabilities")
# -- user.* group.* -----------------------------------------------------------------------------------
_f("user.uid", N, "effective user id")
_f("user.name", S, "effective user name")
_f("user.loginuid", N, "audit login uid (-1 when unset)")
_f("user.loginname", S, "name of the login user")
_f("user.homedir", S, "home directory of the user")
_f("user.shell", S, "login shell of the user")
_f("group.gid", N, "effective group id")
_f("group.name", S, "effective group name")
# -- fd.* ---------------------------------------------------------------------------------------------
for _n, _t, _d in (
    ("fd.num", N, "file descriptor number (-1 when the call failed)"),
    ("fd.type", S, "file, directory, ipv4, ipv6, unix, pipe, event, signalfd, eventpoll, inotify, …"),
    ("fd.typechar", S, "one-character fd type: f d 4 6 u p e s l i t n b r m"),
    ("fd.name", S, "full name: a path, or 'cip:cport->sip:sport' for sockets"),
    ("fd.nameraw", S, "the path as the process passed it (not normalised)"),
    ("fd.directory", S, "directory of fd.name"),
    ("fd.filename", S, "file name of fd.name without the directory"),
    ("fd.ino", N, "inode number"),
    ("fd.dev", N, "device number"),
    ("fd.l4proto", S, "tcp, udp, icmp or raw"),
    ("fd.sockfamily", S, "ip or unix"),
    ("fd.connected", B, "the socket is connected"),
    ("fd.name_changed", B, "the fd's name changed in this event (sendto on an unconnected socket)"),
    ("fd.is_server", B, "the process is the server side of the connection"),
    ("fd.cip", FType.IP, "client IP"),
    ("fd.sip", FType.IP, "server IP"),
    ("fd.lip", FType.IP, "local IP"),
    ("fd.rip", FType.IP, "remote IP"),
    ("fd.cport", FType.PORT, "client port"),
    ("fd.sport", FType.PORT, "server port"),
    ("fd.lport", FType.PORT, "local port"),
    ("fd.rport", FType.PORT, "remote port"),
    ("fd.cip.name", S, "domain name of the client IP"),
    ("fd.sip.name", S, "domain name of the server IP"),
    ("fd.lip.name", S, "domain name of the local IP"),
    ("fd.rip.name", S, "domain name of the remote IP"),
    ("fd.ip", FType.IP, "client or server IP: matches if either does"),
    ("fd.port", FType.PORT, "client or server port: matches if either does"),
    ("fd.net", FType.NET, "client or server IP, compared against networks"),
    ("fd.cnet", FType.NET, "client IP, compared against networks"),
    ("fd.snet", FType.NET, "server IP, compared against networks"),
    ("fd.lnet", FType.NET, "local IP, compared against networks"),
    ("fd.rnet", FType.NET, "remote IP, compared against networks"),
):
    _f(_n, _t, _d, "fd")
_f("fd.types", FType.LIST, "types of the process's open fds; fd.types[N] for fd N", "fd", Arg.OPTIONAL)
# -- fs.path.* ----------------------------------------------------------------------------------------
for _n in ("name", "nameraw", "source", "sourceraw", "target", "targetraw"):
    _f(
        f"fs.path.{_n}",
        S,
        f"path {_n} of a filesystem syscall (mkdir, unlink, rename, link, symlink …)",
        "args",
    )
# -- container.* --------------------------------------------------------------------------------------
for _n, _t, _d in (
    ("container.id", S, "container id (12 hex digits), 'host' outside containers"),
    ("container.full_id", S, "full container id"),
    ("container.name", S, "container name"),
    ("container.image", S, "image reference as the container was started with"),
    ("container.image.id", S, "image id"),
    ("container.image.repository", S, "image repository (no tag, no digest)"),
    ("container.image.tag", S, "image tag"),
    ("container.image.digest", S, "image digest"),
    ("container.type", S, "runtime: docker, podman, containerd, cri-o …"),
    ("container.privileged", B, "the container runs privileged"),
    ("container.start_ts", FType.ABSTIME, "container start, ns since the epoch"),
    ("container.duration", FType.RELTIME, "ns since the container started"),
    ("container.ip", S, "container IP address"),
    ("container.host_pid", B, "the container shares the host's pid namespace"),
    ("container.host_network", B, "the container shares the host's network namespace"),
    ("container.host_ipc", B, "the container shares the host's IPC namespace"),
    ("container.healthcheck", S, "the container's health check command"),
    ("container.mounts", S, "all mounts 'source:dest:mode:rdwr:propagation,…'"),
):
    _f(_n, _t, _d)
for _n in ("mount", "mount.source", "mount.dest", "mount.mode", "mount.rdwr", "mount.propagation"):
    _f(f"container.{_n}", S, f"{_n} of one mount, by index or by a glob of its destination", arg=Arg.REQUIRED)
# -- k8s.* --------------------------------------------------------------------------------------------
for _n, _d in (
    ("k8s.ns.name", "Kubernetes namespace"),
    ("k8s.pod.name", "pod name"),
    ("k8s.pod.id", "pod uid"),
    ("k8s.pod.uid", "pod uid"),
    ("k8s.pod.sandbox_id", "pod sandbox id (12 digits)"),
    ("k8s.pod.full_sandbox_id", "pod sandbox id"),
    ("k8s.pod.ip", "pod IP"),
    ("k8s.pod.labels", "pod labels 'key:value, …'"),
):
    _f(_n, S, _d)
_f("k8s.pod.label", S, "one pod label: k8s.pod.label[app]", arg=Arg.REQUIRED)


def lookup(name: str) -> FieldSpec | None:
    return FIELDS.get(name)


def plugin_of(name: str) -> str | None:
    for prefix, plugin in PLUGIN_PREFIXES.items():
        if name.startswith(prefix):
            return plugin
    return None


def resolve_name(name: str) -> tuple[str, str | None]:
    """``evt.arg.flags`` is ``evt.arg`` with argument ``flags`` (Falco's dotted-argument form)."""
    for base in ("evt.arg", "evt.rawarg"):
        if name.startswith(base + "."):
            return base, name[len(base) + 1 :]
    return name, None


def parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None
