"""The bpftrace program of the eBPF source, generated from a table of syscalls.

Each traced syscall gets its own pair of ``syscalls:sys_enter_X``/``sys_exit_X`` tracepoints, so only the
~50 syscalls of interest run BPF code; every other syscall (read, write, mmap, futex …) costs nothing.  The
enter probe keeps the arguments in a per-thread map (one tuple ``(ts, nr, a0, a1, a2, a3)``), the exit probe
prints one record with the result.  ``sched:sched_process_exec``/``fork``/``exit`` give process lifecycle with
the new executable, parent, terminal, capabilities and the overlayfs magic of the executable's file system.
Exec is read there only, argv from the new image's memory (no probe on execve/execveat themselves: a
failed exec is not reported).
A syscall whose tracepoint the kernel lacks (``init_module``/``finit_module`` without module support) is
left out (:func:`attachable`), and :func:`needed` leaves out syscalls no loaded rule can match.

bpftrace keeps strings on the 512-byte BPF stack, so a record carries at most one string: a syscall with
string arguments prints one ``P`` (part) record per string, then its final record; all carry the same
timestamp so the reader pairs them even when records of one thread arrive out of order across CPUs.

Filtering in the kernel: an open is printed when its path is relative or not normal (``.``/``..``,
``//``: user space resolves those) or starts with a configured sensitive prefix; then, given the rules'
path tests (``rules/paths.py``), when it passes them, else when it has a write/create/truncate flag.
``connect``/``accept``/``bind`` only for IPv4/IPv6 addresses; ``dup2``/``dup3`` only onto fds 0-2;
``socket`` only for ``AF_PACKET``; ``bpf`` only for ``BPF_PROG_LOAD``; the sensor's own process is never
traced.

Records (fields separated by ``\\x1f``; ``H`` = ``ts pid tid uid gid cgroup comm loginuid``), decoded by
:mod:`stockade.runtime.source.records`: ``P tid ts idx text`` · ``S nr H ret a0 a1 a2 a3`` ·
``N nr H ret fd family port addr proto laddr lport`` (``proto``: the socket's ``sk_protocol``, and its
local end, 0 when unknown) ·
``E H old_pid ppid tty magic ino capeff capprm capinh argv_len argv_last_chunk`` (after its parts: ``-2``
the executable's name on tmpfs/hugetlbfs, ``-3`` the file name, ``100+k`` the argv chunks before the last) ·
a dup's socket as part ``-5``
(``family proto laddr lport raddr rport``) ·
``K H child_pid`` · ``X H exit_code``.  Syscall numbers are x86_64's (``asm/unistd_64.h``); tracepoint
argument names are the kernel's ``SYSCALL_DEFINE`` parameter names (``events/syscalls/*/format``).
"""

from __future__ import annotations

import os
import platform
from collections.abc import Callable, Iterable

from stockade.runtime import procfs

SEP = "\\x1f"
PathTests = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]  # (prefixes, substrings, suffixes)
#: substring tests a write open may run in the kernel: bpftrace 0.17's ``strcontains`` scans all of
#: BPFTRACE_STRLEN (~0.75 µs a call, on the CPU of the process opening), so more cost the workload more
#: than reporting the open does; with more, every write open is kept
MAX_SUBSTRINGS = 3
#: suffix tests: compared with the path's last eight bytes, read once; a longer suffix's other words only
#: when those match
MAX_SUFFIXES = 24
MAX_SUFFIX_LEN = 64
HDR_FMT = SEP.join(["%llu", "%d", "%d", "%d", "%d", "%llu", "%s", "%d"])
HDR_ARGS = "$ts, pid, tid, uid, gid, cgroup, comm, curtask->loginuid.val"

#: default paths whose *reads* are sensitive (prefix match in the kernel)
DEFAULT_SENSITIVE = (
    "/etc/shadow", "/etc/gshadow", "/etc/sudoers", "/etc/pam.conf", "/etc/pam.d/", "/etc/security/",
    "/root/.ssh/", "/etc/ssh/", "/root/.aws/", "/etc/kubernetes/", "/proc/1/environ",
)  # fmt: skip

O_WRITE_MASK = 0o1 | 0o2 | 0o100 | 0o1000  # O_WRONLY | O_RDWR | O_CREAT | O_TRUNC

#: name → (x86_64 number, argument kinds: "s" string, "i" integer; at most 4 kept)
SYSCALLS: dict[str, tuple[int, str]] = {
    "open": (2, "sii"), "openat": (257, "isii"), "openat2": (437, "is"), "creat": (85, "si"),
    "execve": (59, "s"), "execveat": (322, "isii"),
    "connect": (42, "i"), "accept": (43, "i"), "accept4": (288, "i"), "bind": (49, "i"),
    "unlink": (87, "s"), "unlinkat": (263, "isi"), "rename": (82, "ss"), "renameat": (264, "isis"),
    "renameat2": (316, "isis"), "chmod": (90, "si"), "fchmod": (91, "ii"), "fchmodat": (268, "isi"),
    "fchmodat2": (452, "isi"), "chown": (92, "sii"), "lchown": (94, "sii"), "fchown": (93, "iii"),
    "fchownat": (260, "isii"), "mkdir": (83, "si"), "mkdirat": (258, "isi"), "symlink": (88, "ss"),
    "symlinkat": (266, "sis"), "link": (86, "ss"), "linkat": (265, "isis"),
    "setuid": (105, "i"), "setgid": (106, "i"), "setreuid": (113, "ii"), "setregid": (114, "ii"),
    "setresuid": (117, "iii"), "setresgid": (119, "iii"), "capset": (126, ""), "ptrace": (101, "ii"),
    "init_module": (175, "iis"), "finit_module": (313, "isi"), "mount": (165, "sssi"), "umount2": (166, "si"),
    "memfd_create": (319, "si"), "dup2": (33, "ii"), "dup3": (292, "iii"), "socket": (41, "iii"),
    "listen": (50, "ii"), "unshare": (272, "i"), "setns": (308, "ii"), "bpf": (321, "i"),
    "chdir": (80, "s"), "fchdir": (81, "i"),
}  # fmt: skip
#: the tracepoint's argument names (``events/syscalls/sys_enter_X/format``), in the syscall's order
FIELDS: dict[str, tuple[str, ...]] = {
    "open": ("filename", "flags", "mode"), "openat": ("dfd", "filename", "flags", "mode"),
    "openat2": ("dfd", "filename", "how"), "creat": ("pathname", "mode"), "execve": ("filename", "argv"),
    "execveat": ("fd", "filename", "argv"), "connect": ("fd", "uservaddr"),
    "accept": ("fd", "upeer_sockaddr"), "accept4": ("fd", "upeer_sockaddr"), "bind": ("fd", "umyaddr"),
    "unlink": ("pathname",), "unlinkat": ("dfd", "pathname", "flag"), "rename": ("oldname", "newname"),
    "renameat": ("olddfd", "oldname", "newdfd", "newname"),
    "renameat2": ("olddfd", "oldname", "newdfd", "newname"), "chmod": ("filename", "mode"),
    "fchmod": ("fd", "mode"), "fchmodat": ("dfd", "filename", "mode"),
    "fchmodat2": ("dfd", "filename", "mode"), "chown": ("filename", "user", "group"),
    "lchown": ("filename", "user", "group"), "fchown": ("fd", "user", "group"),
    "fchownat": ("dfd", "filename", "user", "group"), "mkdir": ("pathname", "mode"),
    "mkdirat": ("dfd", "pathname", "mode"), "symlink": ("oldname", "newname"),
    "symlinkat": ("oldname", "newdfd", "newname"), "link": ("oldname", "newname"),
    "linkat": ("olddfd", "oldname", "newdfd", "newname"), "setuid": ("uid",), "setgid": ("gid",),
    "setreuid": ("ruid", "euid"), "setregid": ("rgid", "egid"), "setresuid": ("ruid", "euid", "suid"),
    "setresgid": ("rgid", "egid", "sgid"), "capset": (), "ptrace": ("request", "pid"),
    "init_module": ("umod", "len", "uargs"), "finit_module": ("fd", "uargs", "flags"),
    "mount": ("dev_name", "dir_name", "type", "flags"), "umount2": ("name", "flags"),
    "memfd_create": ("uname", "flags"), "dup2": ("oldfd", "newfd"), "dup3": ("oldfd", "newfd", "flags"),
    "socket": ("family", "type", "protocol"), "listen": ("fd", "backlog"), "unshare": ("unshare_flags",),
    "setns": ("fd", "flags"), "bpf": ("cmd",), "chdir": ("filename",), "fchdir": ("fd",),
}  # fmt: skip
#: tracepoint names that differ from the syscall's name (``SYSCALL_DEFINE2(umount, …)`` is umount2)
TRACEPOINT = {"umount2": "umount"}
BY_NR = {nr: name for name, (nr, _) in SYSCALLS.items()}
#: the opens (``creat`` is ``open`` with O_CREAT|O_WRONLY|O_TRUNC); all are stored as openat's arguments
OPEN = ("open", "openat", "openat2", "creat")
O_CREAT_FLAGS = 0o100 | 0o1 | 0o1000
EXEC = ("execve", "execveat")
NET = ("connect", "accept", "accept4", "bind")
#: extra in-kernel filters on the enter tracepoint's arguments (the syscall is dropped unless the test holds)
FILTERS = {
    "dup2": "args->newfd <= 2", "dup3": "args->newfd <= 2", "socket": "args->family == 17",
    "bpf": "args->cmd == 5",
}  # fmt: skip
#: a syscall whose records the decoder needs to complete another syscall's event (the address a listening
#: socket was bound to; a dup's socket is read in the kernel at the dup)
SUPPORTS = {"listen": ("bind",)}
#: evt.type names a syscall's event may carry besides its own (the decoder reports some execveat as execve)
ALIASES = {"execve": ("execveat",), "execveat": ("execve",)}
#: always attached, whatever the rules: the process table (enrichment) needs every exec, and the decoder
#: follows each process's working directory (a relative path is resolved against it after the process
#: may have exited)
ALWAYS = (*EXEC, "chdir", "fchdir")


def supported() -> bool:
    return platform.machine() == "x86_64"


def tracepoint(name: str) -> str:
    return TRACEPOINT.get(name, name)


def attachable(tracefs: str = "/sys/kernel/tracing") -> frozenset[str]:
    """The syscalls of :data:`SYSCALLS` whose enter/exit tracepoints this kernel has."""
    base = os.path.join(tracefs, "events", "syscalls")
    return frozenset(
        n
        for n in SYSCALLS
        if os.path.isdir(os.path.join(base, f"sys_enter_{tracepoint(n)}"))
        and os.path.isdir(os.path.join(base, f"sys_exit_{tracepoint(n)}"))
    )


def needed(wants: Callable[[str], bool]) -> frozenset[str]:
    """The syscalls to attach when only event types ``wants(evt_type)`` accepts can raise an alert.

    Exec is always kept (the process table), and the socket calls are kept for a wanted ``dup2``/``dup3``/
    ``listen`` (the decoder takes the socket's addresses from them)."""
    out = {n for n in SYSCALLS if wants(n) or any(wants(a) for a in ALIASES.get(n, ()))}
    out.update(ALWAYS)
    for n in list(out):
        out.update(SUPPORTS.get(n, ()))
    return frozenset(out)


def _part(idx: int | str, expr: str) -> str:
    return f'printf("P{SEP}%d{SEP}%llu{SEP}%d{SEP}%s\\n", tid, $ts, {idx}, str({expr}));'


def _tp(kind: str, name: str) -> str:
    return f"tracepoint:syscalls:sys_{kind}_{tracepoint(name)}"


def _store(nr: int, vals: list[str]) -> str:
    vals = (vals + ["0"] * 4)[:4]
    return f"@e[tid] = (nsecs, {nr}, " + ", ".join(f"(uint64){v}" for v in vals) + ");"


#: sets ``$keep`` when the path (``$p``, a user address) has "/.", "//" or ".." — a ``.``/``..`` component,
#: a repeated slash, or two dots anywhere — or is 200 bytes or longer, and ``$len`` to its length, reading
#: it eight bytes at a time and stopping at its NUL; byte-parallel tests ("SWAR": a byte of x is zero where
#: ``(x - 0x01…) & ~x & 0x80…`` has its top bit: no false negatives, and the lowest flag is exact) over the
#: word and the word shifted by one byte, and the pair across two words.  A word that reads as zero is the
#: end of the path, or runs into an unreadable page: its bytes are then read one at a time.  The first word
#: is ``$w0``, already read by the probe; each word is read once.  (``strcontains`` would cost ~0.75 µs
#: per call: bpftrace 0.17 runs it over all BPFTRACE_STRLEN bytes.)
_UNNORMAL = """  $len = (uint64)0;
  if (!$keep) { $p = (uint64)args->filename; $i = (uint64)0; $prev = (uint64)0; $done = 0; $w = $w0;
    while ($i < 25) {
      if ($w == 0) { $j = (uint64)0;
        while ($j < 8) { $c = *(uint8 *)uptr($p + $i * 8 + $j); if ($c == 0) { break; }
          if (($prev == 0x2f || $prev == 0x2e) && ($c == 0x2e || ($prev == 0x2f && $c == 0x2f))) {
            $keep = 1; break; }
          $prev = $c; $j++; }
        $len = $i * 8 + $j; $done = 1; break; }
      $s = $w ^ 0x2f2f2f2f2f2f2f2f; $zs = ($s - 0x0101010101010101) & ~$s & 0x8080808080808080;
      $o = $w ^ 0x2e2e2e2e2e2e2e2e; $zo = ($o - 0x0101010101010101) & ~$o & 0x8080808080808080;
      $n = $w >> 8; $d = $n ^ 0x2e2e2e2e2e2e2e2e; $t = $n ^ 0x2f2f2f2f2f2f2f2f;
      $zd = ($d - 0x0101010101010101) & ~$d & 0x8080808080808080;
      $zt = ($t - 0x0101010101010101) & ~$t & 0x8080808080808080; $b = $w & 0xff;
      if ((($zs | $zo) & $zd) != 0 || ($zs & $zt) != 0) { $keep = 1; break; }
      if (($prev == 0x2f || $prev == 0x2e) && ($b == 0x2e || ($prev == 0x2f && $b == 0x2f))) {
        $keep = 1; break; }
      $z = ($w - 0x0101010101010101) & ~$w & 0x8080808080808080;
      if ($z != 0) { $z = $z & (~$z + 1);
        $len = $i * 8 + ($z > 0x80) + ($z > 0x8000) + ($z > 0x800000) + ($z > 0x80000000)
          + ($z > 0x8000000000) + ($z > 0x800000000000) + ($z > 0x80000000000000);
        $done = 1; break; }
      $prev = $w >> 56; $i++; $w = *(uint64 *)uptr($p + $i * 8); }
    if (!$done) { $keep = 1; } }"""


def _word(text: str) -> int:
    """The little-endian 64-bit word of ``text``'s bytes (at most 8), as a path's bytes read as ``uint64``."""
    return int.from_bytes(text.encode(), "little")


def _eq(var: str, text: str) -> str:
    """Whether the word ``var`` starts with ``text`` (at most eight bytes; little-endian)."""
    if len(text) == 8:
        return f"{var} == {_word(text):#x}"
    return f"({var} & {(1 << (8 * len(text))) - 1:#x}) == {_word(text):#x}"


# The tests below are chains of ``||`` and ``&&``: each comparison is a jump, and short-circuit chains keep
# the paths the verifier follows linear in the number of comparisons (``|``/``&`` of comparison results
# would make it follow every combination).


def _first_word_tests(prefixes: tuple[str, ...]) -> str:
    """Whether the path's first eight bytes (``$w0``) can begin one of ``prefixes`` (exact for prefixes of
    eight bytes or fewer: a shorter path has its NUL where the prefix has a character)."""
    return " || ".join(dict.fromkeys(f"({_eq('$w0', p[:8])})" for p in sorted(prefixes))) or "0"


def _prefix_words(prefixes: tuple[str, ...], fn: str = "args->filename") -> str:
    """The full prefix tests, for a path whose first word matched one: its next words read once and
    compared with each prefix's, no copy of the path and no string on the 512-byte stack.  A word that
    reads as zero where a prefix matched so far is kept for user space to decide (the path ended there, or
    the read ran into an unmapped page)."""
    words = max((len(p) + 7) // 8 for p in prefixes)
    reads = "".join(f"$w{k} = *(uint64 *)uptr((uint64){fn} + {8 * k}); " for k in range(1, words))
    terms = []
    for p in sorted(prefixes):
        eqs = [f"({_eq(f'$w{k}', p[8 * k : 8 * k + 8])})" for k in range((len(p) + 7) // 8)]
        terms.append("(" + " && ".join(eqs) + ")")
        terms += ["(" + " && ".join([*eqs[:j], f"($w{j} == 0)"]) + ")" for j in range(1, len(eqs))]
    return f"{reads}$keep = {' || '.join(dict.fromkeys(terms))};"


def _suffix_tests(suffixes: tuple[str, ...]) -> str:
    """Whether a write open's path ends with one of ``suffixes``, given its length (``$len``) and last eight
    bytes (``$tl``): a suffix of eight bytes or fewer is one comparison; a longer one whose last eight
    bytes match is compared word by word from where it would start (reads inside the path only)."""

    def test(t: str) -> str:
        tail = t[-8:]
        shifted = "$tl" if len(tail) == 8 else f"($tl >> {64 - 8 * len(tail)})"
        words = [
            f"*(uint64 *)uptr($p + $len - {len(t) - off}) == {_word(t[off : off + 8]):#x}"
            for off in range(0, len(t) - 8, 8)
        ]
        return "(" + " && ".join([f"$len >= {len(t)}", f"{shifted} == {_word(tail):#x}", *words]) + ")"

    return " || ".join(dict.fromkeys(test(t) for t in suffixes)) or "0"


#: a write open's last eight bytes (``$tl``) at the length the scan found (``$len``; the scan keeps every
#: path whose length it could not find), for the suffix tests: one read at the end (for a path shorter than
#: eight bytes, its bytes from the first word with zeros before them).
_TAIL = """  $p = (uint64)args->filename; $sh = $len < 8; $tl = *(uint64 *)uptr($p + $len - 8);
  $tl = $tl * (1 - $sh) + (($w0 & ((1 << (($len * 8) & 63)) - 1)) << (((8 - $len) & 7) * 8)) * $sh;"""


def _open_enter(name: str, own: str, sensitive: tuple[str, ...], paths: PathTests | None) -> str:
    """An open is kept when its path is relative or not normal (user space resolves it: ``.``/``..``
    components, ``//``, ``..``) or starts with a sensitive prefix; with ``paths`` from the rules, also when
    it starts with one of their prefixes, or is a write open containing one of their substrings or ending
    with one of their suffixes; without ``paths`` every write/create/truncate open is kept.  (Paths are
    compared as far as ``BPFTRACE_STRLEN`` reads them.)

    Most opens meet none of the tests, so they are decided on eight-byte words, in probes that run in
    program order on the same open.  The first reads the path's first word (relative?) and compares it
    with the prefixes' first words (the next words only when one matches).  The second scans the path for
    ``/.``, ``..`` and ``//``, which also finds its length, and for a write open compares the last word at
    that length with the suffixes' (a longer suffix's other words only when that matches).  A path whose
    words cannot be read (empty, or ending just before an unmapped page) is kept.  No copy of the path is
    made, and no string sits on the 512-byte stack.  (The prefix tests, the scan and the suffix tests in
    one probe made the verifier give up; the scan and the suffix tests in separate probes walked the path
    twice, 2.2 µs an open against 1.4 µs; copying the path and running a ``strncmp`` per test cost ~4 µs
    an open: BENCHMARKS.md.)  Without suffixes the prefix tests and the scan share one probe."""
    nr, _kinds = SYSCALLS[name]
    fn = "args->pathname" if name == "creat" else "args->filename"
    if name == "creat":
        dirfd, fl, md = "(uint64)-100", f"{O_CREAT_FLAGS}", "args->mode"
    elif name == "openat2":
        how = "((struct open_how *)args->how)"
        dirfd, fl, md = "args->dfd", f"{how}->flags", f"{how}->mode"
    elif name == "openat":
        dirfd, fl, md = "args->dfd", "args->flags", "args->mode"
    else:
        dirfd, fl, md = "(uint64)-100", "args->flags", "args->mode"
    prefixes = sensitive if paths is None else tuple(sorted({*sensitive, *paths[0]}))
    # a substring with two dots needs no test: the scan keeps every path with ".." in it
    subs = () if paths is None else tuple(t for t in paths[1] if ".." not in t)
    suffixes = () if paths is None else paths[2]
    writes = f"($fl & {O_WRITE_MASK}) != 0"
    store = _store(nr, [dirfd, fn, "$fl", md])
    head = [
        f"{_tp('enter', name)} /{own}/ {{ $fl = (uint64){fl};",
        f"  $w0 = *(uint64 *)uptr({fn}); $keep = ($w0 & 0xff) != 0x2f;",
    ]
    prefix_test = f"  if (!$keep && ({_first_word_tests(prefixes)})) {{ {_prefix_words(prefixes, fn)} }}"
    scan = _UNNORMAL.replace("args->filename", fn)
    if suffixes:  # the prefixes alone; the scan and, for write opens, the suffixes at the length it found
        lines = [*head, prefix_test, f"  if ($keep) {{ {store} }} }}"]
    else:
        lines = [
            *head,
            *([f"  $keep = $keep | ({writes});"] if paths is None else []),
            prefix_test,
            scan,
            f"  if ($keep) {{ {store} }} }}",
        ]
    if subs:  # write opens: the substrings (a probe of their own: each copy of the path is 200 bytes)
        tests = " || ".join(f'strcontains(str({fn}), "{t}")' for t in subs)
        lines.append(
            f"{_tp('enter', name)} /{own}/ {{ $fl = (uint64){fl}; if ({writes} && ({tests})) {{ {store} }} }}"
        )
    if suffixes:  # the scan, then a write open's last word against the suffixes
        lines += [
            *head,
            scan,
            "  $i = 0; $prev = 0; $w = 0; $z = 0; $c = 0; $j = 0;",  # (dead now: fewer states to verify)
            f"  if (!$keep && {writes}) {{",
            _TAIL.replace("args->filename", fn),
            f"  $keep = {_suffix_tests(suffixes)}; }}",
            f"  if ($keep) {{ {store} }} }}",
        ]
    return "\n".join(lines) + "\n"


def _enter(name: str, own: str, sensitive: tuple[str, ...], paths: PathTests | None) -> str:
    nr, _kinds = SYSCALLS[name]
    fields = FIELDS[name]
    if name in OPEN:
        return _open_enter(name, own, sensitive, paths)
    if name in EXEC:  # read at sched_process_exec, from the new image (one record, not one per argument)
        return ""
    store = _store(nr, [f"args->{f}" for f in fields])
    pred = f"{own} && {FILTERS[name]}" if name in FILTERS else own
    return f"{_tp('enter', name)} /{pred}/ {{ {store} }}\n"


def _socket(fd: str) -> str:
    """Statements setting ``$sk`` to the ``struct sock`` behind descriptor ``fd`` of the current task (0 when
    it is out of range or not a socket: the inode's type is ``S_IFSOCK``)."""
    return (
        f"$sk = (struct sock *)0; $fs = curtask->files->fdt; $sfd = (uint64)({fd});"
        " if ($sfd < (uint64)$fs->max_fds) { $fi = *(struct file **)((uint64)$fs->fd + $sfd * 8);"
        " if ($fi != 0 && ($fi->f_inode->i_mode & 0xf000) == 0xc000) {"
        " $sk = ((struct socket *)$fi->private_data)->sk; } }\n"
    )


#: the part of a dup that carries the old descriptor's socket: family proto laddr lport raddr rport
_DUP_FMT = SEP.join(["P", "%d", "%llu", "-5", "%d", "%d", "%s", "%d", "%s", "%d"]) + "\\n"
_DUP_SOCKET = (
    "  if ($sk != 0) { $fam = $sk->__sk_common.skc_family; $dp = $sk->__sk_common.skc_dport;"
    " $rp = (($dp & 0xff) << 8) | ($dp >> 8); $lp = $sk->__sk_common.skc_num; $pr = $sk->sk_protocol;\n"
    f'    if ($fam == 2) {{ printf("{_DUP_FMT}",'
    " tid, $ts, $fam, $pr, ntop($sk->__sk_common.skc_rcv_saddr), $lp, ntop($sk->__sk_common.skc_daddr),"
    " $rp); }\n"
    f'    if ($fam == 10) {{ printf("{_DUP_FMT}",'
    " tid, $ts, $fam, $pr, ntop($sk->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8), $lp,"
    " ntop($sk->__sk_common.skc_v6_daddr.in6_u.u6_addr8), $rp); } }\n"
)


def _exit(name: str) -> str:
    nr, kinds = SYSCALLS[name]
    if name in OPEN:  # every open is stored as openat's arguments (dirfd, path, flags, mode)
        kinds = SYSCALLS["openat"][1]
    if name in EXEC:
        return ""
    head = (
        f"{_tp('exit', name)} /@e[tid].0/ {{ $e = @e[tid]; delete(@e[tid]);"
        f" if ($e.1 == {nr}) {{ $ts = $e.0;\n"
    )
    if name in NET:
        nfmt = (
            f"N{SEP}%d{SEP}{HDR_FMT}{SEP}"
            + SEP.join(["%lld", "%lld", "%d", "%d", "%s", "%d", "%s", "%d"])
            + "\\n"
        )
        sock = _socket("args->ret" if name.startswith("accept") else "$e.2")
        # the socket's protocol and its local end (the client's for a connect, the server's for an accept;
        # 0 when there is no socket: the decoder then leaves that end unknown)
        proto = (
            "$proto = (uint64)0; $lport = (uint64)0;"
            " if ($sk != 0) { $proto = $sk->sk_protocol; $lport = $sk->__sk_common.skc_num; }\n"
        )
        port = "((($sa->sin_port & 0xff) << 8) | ($sa->sin_port >> 8))"
        port6 = "((($s6->sin6_port & 0xff) << 8) | ($s6->sin6_port >> 8))"
        return head + (
            "  if ($e.3 != 0) { $sa = (struct sockaddr_in *)uptr($e.3); $fam = $sa->sin_family;\n"
            f"  {sock}  {proto}"
            f'    if ($fam == 2) {{ printf("{nfmt}", {nr}, {HDR_ARGS}, args->ret, (int64)$e.2, $fam, {port},'
            " ntop($sa->sin_addr.s_addr), $proto, ntop($sk->__sk_common.skc_rcv_saddr), $lport); }\n"
            "    if ($fam == 10) { $s6 = (struct sockaddr_in6 *)uptr($e.3);\n"
            f'      printf("{nfmt}", {nr}, {HDR_ARGS}, args->ret, (int64)$e.2, $fam, {port6},'
            " ntop($s6->sin6_addr.in6_u.u6_addr8), $proto,"
            " ntop($sk->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8), $lport); }\n"
            "  } } }\n"
        )
    sfmt = f"S{SEP}%d{SEP}{HDR_FMT}{SEP}" + SEP.join(["%lld"] * 5) + "\\n"
    # one probe per string (the 512-byte stack holds one string and one printf); they run in program order
    parts = "".join(
        f"{_tp('exit', name)} /@e[tid].1 == {nr}/ {{ $e = @e[tid]; $ts = $e.0; {_part(i, f'$e.{i + 2}')} }}\n"
        for i, k in enumerate(kinds)
        if k == "s"
    )
    if name in ("dup2", "dup3"):  # the socket the dup copies, read now (it may predate the sensor)
        parts += (
            f"{_tp('exit', name)} /@e[tid].1 == {nr}/ {{ $e = @e[tid]; $ts = $e.0;\n  {_socket('$e.2')}"
            f"{_DUP_SOCKET}}}\n"
        )
    return (
        parts
        + head
        + f'  printf("{sfmt}", {nr}, {HDR_ARGS}, args->ret, (int64)$e.2, (int64)$e.3, (int64)$e.4,'
        " (int64)$e.5);\n} }\n"
    )


#: the filler record of :func:`program`'s ``flush`` probe (the reader drops it)
FILLER = "T"
#: argv is read in chunks of this many bytes, at most :data:`ARGV_CHUNKS` of them (longer command lines are
#: cut, as Falco's are at its snapshot length).  A literal ``buf()`` length keeps the chunk's stack slot at
#: this size (a variable one takes BPFTRACE_STRLEN, and a chunk, its copy in the record and the E record's
#: other fields must fit in the 512-byte stack)
ARGV_CHUNK = 128
ARGV_CHUNKS = procfs.ARGV_MAX // ARGV_CHUNK
#: part index of argv chunk k (all but the last; the last is in the E record itself)
ARGV_PART = 100
#: file systems an executable's own name is read from (memfd_create files live on tmpfs, or hugetlbfs
#: with MFD_HUGETLB; their dentry is "memfd:NAME"): TMPFS_MAGIC, HUGETLBFS_MAGIC (linux/magic.h)
NAMED_EXE_MAGICS = (0x01021994, 0x958458F6)


def _sched() -> str:
    efmt = f"E{SEP}{HDR_FMT}{SEP}" + SEP.join(
        ["%d", "%d", "%llu", "%lu", "%lu", "%llu", "%llu", "%llu", "%llu", "%rx"]
    )
    c, most = ARGV_CHUNK, ARGV_CHUNK * ARGV_CHUNKS
    chunk = (
        f'printf("P{SEP}%d{SEP}%llu{SEP}%d{SEP}%rx\\n", tid, $ts, {ARGV_PART} + $k,'
        f" buf(uptr($as + $k * {c}), {c}));"
    )
    named = " || ".join(f"$mg == {m:#x}" for m in NAMED_EXE_MAGICS)
    exec_tp = "tracepoint:sched:sched_process_exec"
    # argv is read from the new image's own copy (mm->arg_start..arg_end, NUL-separated, as
    # /proc/PID/cmdline has it) and printed hex-encoded with %rx (%r would not escape a backslash): one
    # record for a command line of up to ARGV_CHUNK bytes, where one record per argument cost ~5 us each
    # on the exec's CPU.  Chunks are whole: the last one is the ARGV_CHUNK bytes that *end* at arg_end
    # (what lies below arg_start is the same stack's auxv and pointer arrays, always mapped; what lies
    # above arg_end may be only the file name), and the decoder keeps its last n - k*ARGV_CHUNK bytes.
    # Three probes on the tracepoint run in program order on the exec's CPU, each with its own 512-byte
    # stack (a string part, an argv chunk and the E record do not fit in one); they share the first one's
    # timestamp, which the record's parts are keyed by, through @xts.
    return (
        f"{exec_tp} {{ $ts = nsecs; @xts[tid] = $ts; $x = curtask->mm->exe_file;"
        " $mg = (uint64)$x->f_inode->i_sb->s_magic;\n"
        f"  if ({named}) {{ {_part(-2, '$x->f_path.dentry->d_name.name')} }}\n"
        f"  {_part(-3, 'args->filename')}\n}}\n"
        f"{exec_tp} {{ $ts = @xts[tid]; $as = (uint64)curtask->mm->arg_start;"
        f" $n = (uint64)curtask->mm->arg_end - $as; if ($n > {most}) {{ $n = {most}; }}\n"
        f"  $k = (uint64)0; while ($k < {ARGV_CHUNKS - 1}) {{ if (($k + 1) * {c} >= $n) {{ break; }}"
        f" {chunk} $k++; }}\n}}\n"
        f"{exec_tp} {{\n"
        "  $ts = @xts[tid]; delete(@xts[tid]); $t = curtask; $tty = $t->signal->tty; $ttynr = (uint64)0;\n"
        "  if ($tty != 0) { $ttynr = ((uint64)$tty->driver->major << 20) |"
        " (uint64)($tty->driver->minor_start + $tty->index); }\n"
        "  $x = $t->mm->exe_file; $as = (uint64)$t->mm->arg_start; $n = (uint64)$t->mm->arg_end - $as;"
        f" if ($n > {most}) {{ $n = {most}; }}\n"
        f'  printf("{efmt}\\n", {HDR_ARGS}, args->old_pid, $t->real_parent->tgid, $ttynr,'
        " $x->f_inode->i_sb->s_magic, $x->f_inode->i_ino, $t->cred->cap_effective.val,"
        " $t->cred->cap_permitted.val, $t->cred->cap_inheritable.val, $n,"
        f" buf(uptr($as + $n - {c}), {c}));\n}}\n"
        "tracepoint:sched:sched_process_fork { $ts = nsecs;"
        f' printf("K{SEP}{HDR_FMT}{SEP}%d\\n", {HDR_ARGS}, args->child_pid); }}\n'
        "tracepoint:sched:sched_process_exit { $ts = nsecs;"
        f' printf("X{SEP}{HDR_FMT}{SEP}%d\\n", {HDR_ARGS}, curtask->exit_code >> 8); }}\n'
    )


def record_time(record: str) -> int:
    """The kernel timestamp of a record (``P``: its own field; ``S``/``N``: after the syscall number; the
    others first); 0 for text that is not a record (the decoder counts it as malformed)."""
    f = record.split("\x1f", 3)
    try:
        return int(f[2] if record[:1] in ("P", "S", "N") else f[1])
    except (IndexError, ValueError):
        return 0


def literal(text: str) -> bool:
    """Whether ``text`` can stand in a bpftrace string literal as it is."""
    return '"' not in text and "\\" not in text and text.isprintable()


def program(
    self_pid: int,
    sensitive: tuple[str, ...] = DEFAULT_SENSITIVE,
    syscalls: Iterable[str] | None = None,
    paths: PathTests | None = None,
    flush: tuple[int, int] | None = None,
) -> str:
    """The program text attaching ``syscalls`` (default: all of :data:`SYSCALLS`, in table order); the
    sensor's own ``self_pid`` is excluded in the kernel.  ``paths``: (prefixes, substrings) one of which
    every open the rules can match has (``rules/paths.py``); None keeps every write open.  ``flush``:
    (count, hz) — every CPU writes ``count`` :data:`FILLER` records ``hz`` times a second, for output
    buffers that wake their reader once per ``count`` records (:mod:`.perfwake`)."""
    for p in sensitive:
        if not literal(p):
            raise ValueError(f"sensitive path prefix may not contain quotes or backslashes: {p!r}")
    if paths is not None and (
        not all(literal(t) and t for t in (*paths[0], *paths[1], *paths[2]))
        or len([t for t in paths[1] if ".." not in t]) > MAX_SUBSTRINGS
        or len(paths[2]) > MAX_SUFFIXES
        or any(len(t) > MAX_SUFFIX_LEN for t in paths[2])
    ):
        paths = None  # tests the program cannot spell, or too many: keep every write open
    chosen = set(SYSCALLS if syscalls is None else syscalls)
    unknown = chosen - set(SYSCALLS)
    if unknown:
        raise ValueError(f"unknown syscalls: {', '.join(sorted(unknown))}")
    own = f"pid != {self_pid}"
    body = "".join(_enter(n, own, sensitive, paths) + _exit(n) for n in SYSCALLS if n in chosen)
    if flush is not None:  # (count, hz): filler records that make each CPU's buffer wake its reader
        count, hz = flush
        body += f'profile:hz:{hz} {{ $i = 0; while ($i < {count}) {{ printf("{FILLER}\\n"); $i++; }} }}\n'
    return 'BEGIN { printf("READY\\n"); }\n' + body + _sched()
