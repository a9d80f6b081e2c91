"""Rendering raw syscall arguments the way Falco prints them (``evt.arg.*`` values).

Flag names follow Falco's event table (``driver/event_table.c`` / ``ppm_events_public.h``): open flags are
``O_RDONLY|O_CREAT…``, file modes ``S_IRUSR|S_ISUID…``, ptrace requests ``PTRACE_ATTACH``; a failed call's
result is the errno name (``ENOENT``).
"""

from __future__ import annotations

import errno

O_FLAGS = (
    (0o100, "O_CREAT"),
    (0o200, "O_EXCL"),
    (0o400, "O_NOCTTY"),
    (0o1000, "O_TRUNC"),
    (0o2000, "O_APPEND"),
    (0o4000, "O_NONBLOCK"),
    (0o10000, "O_DSYNC"),
    (0o40000, "O_DIRECT"),
    (0o100000, "O_LARGEFILE"),
    (0o200000, "O_DIRECTORY"),
    (0o400000, "O_NOFOLLOW"),
    (0o1000000, "O_NOATIME"),
    (0o2000000, "O_CLOEXEC"),
    (0o10000000, "O_PATH"),
    (0o20000000, "O_TMPFILE"),
)
MODE_BITS = (
    (0o1, "S_IXOTH"),
    (0o2, "S_IWOTH"),
    (0o4, "S_IROTH"),
    (0o10, "S_IXGRP"),
    (0o20, "S_IWGRP"),
    (0o40, "S_IRGRP"),
    (0o100, "S_IXUSR"),
    (0o200, "S_IWUSR"),
    (0o400, "S_IRUSR"),
    (0o1000, "S_ISVTX"),
    (0o2000, "S_ISGID"),
    (0o4000, "S_ISUID"),
)
PTRACE = {
    0: "PTRACE_TRACEME",
    1: "PTRACE_PEEKTEXT",
    2: "PTRACE_PEEKDATA",
    3: "PTRACE_PEEKUSR",
    4: "PTRACE_POKETEXT",
    5: "PTRACE_POKEDATA",
    6: "PTRACE_POKEUSR",
    7: "PTRACE_CONT",
    8: "PTRACE_KILL",
    9: "PTRACE_SINGLESTEP",
    12: "PTRACE_GETREGS",
    13: "PTRACE_SETREGS",
    16: "PTRACE_ATTACH",
    17: "PTRACE_DETACH",
    24: "PTRACE_SYSCALL",
    0x4200: "PTRACE_SETOPTIONS",
    0x4206: "PTRACE_SEIZE",
    0x4207: "PTRACE_INTERRUPT",
}
CAPS = (
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
)
AT_FDCWD = -100


def s32(v: int) -> int:
    """A 32-bit signed value printed as a 64-bit integer (``-100`` arrives as ``4294967196``)."""
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v & 0x80000000 else v


def open_flags(flags: int) -> str:
    acc = flags & 3
    names = ["O_RDONLY" if acc == 0 else "O_WRONLY" if acc == 1 else "O_RDWR"]
    names.extend(n for bit, n in O_FLAGS if flags & bit)
    return "|".join(names)


def mode(m: int) -> str:
    return "|".join(n for bit, n in MODE_BITS if m & bit) or "0"


def caps(v: int) -> str:
    return " ".join(n for i, n in enumerate(CAPS) if v >> i & 1)


def status_caps(status: dict[str, str]) -> dict[str, str]:
    """``thread.cap_effective`` / ``…permitted`` / ``…inheritable`` from ``/proc/PID/status`` fields (its
    ``CapEff``/``CapPrm``/``CapInh`` hex masks; a missing or unreadable one is no capability)."""
    out = {}
    for key, field in (("CapEff", "effective"), ("CapPrm", "permitted"), ("CapInh", "inheritable")):
        try:
            mask = int(status.get(key, "0"), 16)
        except ValueError:
            mask = 0
        out[f"thread.cap_{field}"] = caps(mask)
    return out


def res(ret: int) -> str:
    if ret >= 0:
        return "SUCCESS"
    return errno.errorcode.get(-ret, f"E{-ret}")


def ptrace_request(r: int) -> str:
    return PTRACE.get(r, str(r))


#: socket families by number (``linux/socket.h``), named as Falco renders ``evt.arg.domain`` (the
#: driver's ``socket_families`` flags)
SOCKET_FAMILIES = {
    0: "AF_UNSPEC", 1: "AF_UNIX", 2: "AF_INET", 3: "AF_AX25", 4: "AF_IPX", 5: "AF_APPLETALK",
    6: "AF_NETROM", 7: "AF_BRIDGE", 8: "AF_ATMPVC", 9: "AF_X25", 10: "AF_INET6", 11: "AF_ROSE",
    12: "AF_DECnet", 13: "AF_NETBEUI", 14: "AF_SECURITY", 15: "AF_KEY", 16: "AF_NETLINK", 17: "AF_PACKET",
    18: "AF_ASH", 19: "AF_ECONET", 20: "AF_ATMSVC", 21: "AF_RDS", 22: "AF_SNA", 23: "AF_IRDA",
    24: "AF_PPPOX", 25: "AF_WANPIPE", 26: "AF_LLC", 27: "AF_IB", 28: "AF_MPLS", 29: "AF_CAN",
    30: "AF_TIPC", 31: "AF_BLUETOOTH", 32: "AF_IUCV", 33: "AF_RXRPC", 34: "AF_ISDN", 35: "AF_PHONET",
    36: "AF_IEEE802154", 37: "AF_CAIF", 38: "AF_ALG", 39: "AF_NFC", 40: "AF_VSOCK", 41: "AF_KCM",
    42: "AF_QIPCRTR", 43: "AF_SMC", 44: "AF_XDP",
}  # fmt: skip


def socket_family(n: int) -> str:
    return SOCKET_FAMILIES.get(n, str(n))
