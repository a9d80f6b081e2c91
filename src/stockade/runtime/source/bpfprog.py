"""The bpftrace program of the eBPF source, generated from a table of syscalls.

Two probes carry every syscall: ``raw_syscalls:sys_enter`` keeps the arguments of the syscalls of interest in
per-thread maps (the syscall number is tested first, so other syscalls cost one comparison chain) and
``raw_syscalls:sys_exit`` prints one record with the result.  One raw tracepoint pair instead of ~90
per-syscall tracepoints because bpftrace 0.17 spends about 0.2 s per attached tracepoint at start-up.
``sched:sched_process_exec``/``fork``/``exit`` give process lifecycle with the new executable, parent,
terminal, capabilities and the overlayfs magic of the executable's file system.

bpftrace keeps strings on the 512-byte BPF stack, so a record carries at most one string: a syscall with
string arguments prints one ``P`` (part) record per string, then its final record; all carry the same
timestamp so the reader pairs them even when records of one thread arrive out of order across CPUs.

Filtering in the kernel: opens are printed only with a write/create/truncate flag or when the path starts
with a configured sensitive prefix; ``connect``/``accept``/``bind`` only for IPv4/IPv6 addresses; ``dup2``/
``dup3`` only onto fds 0-2; ``socket`` only for ``AF_PACKET``; ``bpf`` only for ``BPF_PROG_LOAD``; the
sensor's own process is never traced.

Records (fields separated by ``\\x1f``; ``H`` = ``ts pid tid uid gid cgroup comm loginuid``), decoded by
:mod:`stockade.runtime.source.records`: ``P tid ts idx text`` · ``S nr H ret a0 a1 a2 a3`` ·
``N nr H ret fd family port addr`` · ``E H old_pid ppid tty magic ino capeff capprm capinh enter_ts`` ·
``K H child_pid`` · ``X H exit_code``.  Syscall numbers are x86_64's (``asm/unistd_64.h``).
"""

from __future__ import annotations

import platform

SEP = "\\x1f"
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
    "open": (2, "sii"), "openat": (257, "isii"), "openat2": (437, "is"),
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
}  # fmt: skip
BY_NR = {nr: name for name, (nr, _) in SYSCALLS.items()}
OPEN = ("open", "openat", "openat2")
EXEC = ("execve", "execveat")
NET = ("connect", "accept", "accept4", "bind")
#: extra in-kernel filters (the syscall is dropped unless the test holds)
FILTERS = {"dup2": "$x1 <= 2", "dup3": "$x1 <= 2", "socket": "$x0 == 17", "bpf": "$x0 == 5"}  # fmt: skip
#: for net syscalls, which argument holds the sockaddr pointer
SOCKADDR_ARG = 1


def supported() -> bool:
    return platform.machine() == "x86_64"


def _ids(names: list[str] | tuple[str, ...], var: str = "$id") -> str:
    return " || ".join(f"{var} == {SYSCALLS[n][0]}" for n in names) or "0"


def _part(idx: int | str, expr: str) -> str:
    return f'printf("P{SEP}%d{SEP}%llu{SEP}%d{SEP}%s\\n", tid, $ts, {idx}, str({expr}));'


def _prefix_test(var: str, prefixes: tuple[str, ...]) -> str:
    tests = [f'strncmp({var}, "{p}", {len(p)}) == 0' for p in prefixes]
    return " || ".join(tests) if tests else "0"


def _enter(self_pid: int, sensitive: tuple[str, ...]) -> str:
    generic = [n for n in SYSCALLS if n not in OPEN + EXEC and n not in FILTERS]
    own = f"pid != {self_pid}"
    out = [
        f"tracepoint:raw_syscalls:sys_enter /{own}/ {{ $id = args->id; if ({_ids(OPEN)}) {{",
        "  $o = $id == 2;",
        "  $x0 = args->args[0]; $x1 = args->args[1]; $x2 = args->args[2]; $x3 = args->args[3];",
        "  $fn = $o ? $x0 : $x1; $fl = $o ? $x1 : $x2; $md = $o ? $x2 : $x3;",
        f"  if ($id == {SYSCALLS['openat2'][0]}) {{ $fl = ((struct open_how *)uptr($x2))->flags; }}",
        f"  $keep = ($fl & {O_WRITE_MASK}) != 0;",
        f"  if (!$keep) {{ $f = str($fn); $keep = {_prefix_test('$f', sensitive)}; }}",
        "  if ($keep) { @a0[tid] = $o ? (uint64)-100 : $x0; @a1[tid] = $fn;",
        "    @a2[tid] = $fl; @a3[tid] = $md; @in[tid] = $id; @ts[tid] = nsecs; }",
        "} }",
        f"tracepoint:raw_syscalls:sys_enter /{own}/ {{ $id = args->id; if ({_ids(EXEC)}) {{",
        "  $ts = nsecs; @ets[tid] = $ts; @in[tid] = $id;",
        "  $x0 = args->args[0]; $x1 = args->args[1]; $x2 = args->args[2];",
        f"  $e = $id == {SYSCALLS['execve'][0]}; $fn = $e ? $x0 : $x1; $av = $e ? $x1 : $x2;",
        f"  {_part(-1, '$fn')}",
        "  $i = (uint64)0; while ($i < 32) { $p = *(uint64 *)($av + $i * 8); if ($p == 0) { break; }",
        f"    {_part('$i', '$p')} $i++; }}",
        f'  printf("P{SEP}%d{SEP}%llu{SEP}%d{SEP}%d\\n", tid, $ts, -9, $i);',
        "} }",
        f"tracepoint:raw_syscalls:sys_enter /{own}/ {{ $id = args->id;",
        "  $x0 = args->args[0]; $x1 = args->args[1]; $keep = "
        + (_ids(generic) + " || " + " || ".join(f"(({_ids([n])}) && {t})" for n, t in FILTERS.items()))
        + ";",
        "  if ($keep) { @a0[tid] = $x0; @a1[tid] = $x1; @a2[tid] = args->args[2];",
        "    @a3[tid] = args->args[3]; @in[tid] = $id; @ts[tid] = nsecs; }",
        "}",
    ]
    return "\n".join(out) + "\n"


def _exit() -> str:
    sfmt = f"S{SEP}%d{SEP}{HDR_FMT}{SEP}" + SEP.join(["%lld"] * 5) + "\\n"
    nfmt = f"N{SEP}%d{SEP}{HDR_FMT}{SEP}" + SEP.join(["%lld", "%lld", "%d", "%d", "%s"]) + "\\n"
    port = "((($sa->sin_port & 0xff) << 8) | ($sa->sin_port >> 8))"
    port6 = "((($s6->sin6_port & 0xff) << 8) | ($s6->sin6_port >> 8))"
    rest = [n for n in SYSCALLS if n not in EXEC + NET]
    dels = " ".join(f"delete(@{m}[tid]);" for m in ("a0", "a1", "a2", "a3", "in", "ts"))
    out = [
        f"tracepoint:raw_syscalls:sys_exit {{ $id = args->id; if (({_ids(EXEC)}) && @in[tid]) {{"
        " delete(@ets[tid]); delete(@in[tid]); } }",
        f"tracepoint:raw_syscalls:sys_exit {{ $id = args->id; if (({_ids(NET)}) && @in[tid]) {{",
        "  $ts = @ts[tid];",
        f"  if (@a{SOCKADDR_ARG}[tid] != 0) {{",
        f"    $sa = (struct sockaddr_in *)uptr(@a{SOCKADDR_ARG}[tid]); $fam = $sa->sin_family;",
        f'    if ($fam == 2) {{ printf("{nfmt}", $id, {HDR_ARGS}, args->ret, (int64)@a0[tid], $fam, {port},'
        " ntop($sa->sin_addr.s_addr)); }",
        f"    if ($fam == 10) {{ $s6 = (struct sockaddr_in6 *)uptr(@a{SOCKADDR_ARG}[tid]);",
        f'      printf("{nfmt}", $id, {HDR_ARGS}, args->ret, (int64)@a0[tid], $fam, {port6},'
        " ntop($s6->sin6_addr.in6_u.u6_addr8)); }",
        "  }",
        f"  {dels}",
        "} }",
    ]
    for slot in range(4):
        names = [n for n in rest if SYSCALLS[n][1][slot : slot + 1] == "s"]
        if names:
            out.append(
                f"tracepoint:raw_syscalls:sys_exit {{ $id = args->id; if (({_ids(names)}) && @in[tid]) {{"
                f" $ts = @ts[tid]; {_part(slot, f'@a{slot}[tid]')} }}}}"
            )
    out.append(f"tracepoint:raw_syscalls:sys_exit {{ $id = args->id; if (({_ids(rest)}) && @in[tid]) {{")
    out.append(
        f'  $ts = @ts[tid]; printf("{sfmt}", $id, {HDR_ARGS}, args->ret, (int64)@a0[tid], (int64)@a1[tid],'
        " (int64)@a2[tid], (int64)@a3[tid]);"
    )
    out.append(f"  {dels}\n}}}}")
    return "\n".join(out) + "\n"


def _sched() -> str:
    efmt = f"E{SEP}{HDR_FMT}{SEP}" + SEP.join(
        ["%d", "%d", "%llu", "%lu", "%lu", "%llu", "%llu", "%llu", "%llu"]
    )
    return (
        "tracepoint:sched:sched_process_exec {\n"
        "  $ts = nsecs; $t = curtask; $tty = $t->signal->tty; $ttynr = (uint64)0;\n"
        "  if ($tty != 0) { $ttynr = ((uint64)$tty->driver->major << 20) |"
        " (uint64)($tty->driver->minor_start + $tty->index); }\n"
        "  $x = $t->mm->exe_file;\n"
        f"  {_part(-2, '$x->f_path.dentry->d_name.name')}\n"
        f"  {_part(-3, 'args->filename')}\n"
        f'  printf("{efmt}\\n", {HDR_ARGS}, args->old_pid, $t->real_parent->tgid, $ttynr,'
        " $x->f_inode->i_sb->s_magic, $x->f_inode->i_ino, $t->cred->cap_effective.val,"
        " $t->cred->cap_permitted.val, $t->cred->cap_inheritable.val, @ets[args->old_pid]);\n"
        "  delete(@ets[args->old_pid]);\n}\n"
        "tracepoint:sched:sched_process_fork { $ts = nsecs;"
        f' printf("K{SEP}{HDR_FMT}{SEP}%d\\n", {HDR_ARGS}, args->child_pid); }}\n'
        "tracepoint:sched:sched_process_exit { $ts = nsecs;"
        f' printf("X{SEP}{HDR_FMT}{SEP}%d\\n", {HDR_ARGS}, curtask->exit_code >> 8); }}\n'
    )


def program(self_pid: int, sensitive: tuple[str, ...] = DEFAULT_SENSITIVE) -> str:
    """The program text; the sensor's own ``self_pid`` is excluded in the kernel."""
    for p in sensitive:
        if '"' in p or "\\" in p:
            raise ValueError(f"sensitive path prefix may not contain quotes or backslashes: {p!r}")
    return 'BEGIN { printf("READY\\n"); }\n' + _enter(self_pid, sensitive) + _exit() + _sched()
