"""Which event types a condition can match: Falco's evttype resolver, for the engine's index.

The Linux x86-64 syscall names (from the kernel UAPI header ``asm/unistd_64.h``) plus the events libsinsp
adds (``procexit``, ``container``, ``switch`` …) are the universe.  The resolution follows libsinsp's
``filter_evttype_resolver``: ``evt.type = X`` / ``in (…)`` give their set, ``!=`` the complement, any
other check gives every type; ``and`` intersects, ``or`` unites, and a ``not`` is pushed down by De Morgan
(so ``not proc.name = x`` still matches every type while ``not evt.type = open`` excludes ``open``).
A rule that resolves to every type is what Falco warns about with ``warn_evttypes``.
"""

from __future__ import annotations

from stockade.runtime.rules.grammar.ast import And, BinaryCheck, Const, Expr, Field, ListValue, Not, Or, Value

_SYSCALLS = """
    accept accept4 access acct add_key adjtimex afs_syscall alarm arch_prctl bind bpf brk capget capset
    chdir chmod chown chroot clock_adjtime clock_getres clock_gettime clock_nanosleep clock_settime
    clone clone3 close close_range connect copy_file_range creat create_module delete_module dup dup2
    dup3 epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait
    epoll_wait_old eventfd eventfd2 execve execveat exit exit_group faccessat faccessat2 fadvise64
    fallocate fanotify_init fanotify_mark fchdir fchmod fchmodat fchown fchownat fcntl fdatasync
    fgetxattr finit_module flistxattr flock fork fremovexattr fsconfig fsetxattr fsmount fsopen fspick
    fstat fstatfs fsync ftruncate futex futex_waitv futimesat get_kernel_syms get_mempolicy
    get_robust_list get_thread_area getcpu getcwd getdents getdents64 getegid geteuid getgid getgroups
    getitimer getpeername getpgid getpgrp getpid getpmsg getppid getpriority getrandom getresgid
    getresuid getrlimit getrusage getsid getsockname getsockopt gettid gettimeofday getuid getxattr
    init_module inotify_add_watch inotify_init inotify_init1 inotify_rm_watch io_cancel io_destroy
    io_getevents io_pgetevents io_setup io_submit io_uring_enter io_uring_register io_uring_setup ioctl
    ioperm iopl ioprio_get ioprio_set kcmp kexec_file_load kexec_load keyctl kill landlock_add_rule
    landlock_create_ruleset landlock_restrict_self lchown lgetxattr link linkat listen listxattr
    llistxattr lookup_dcookie lremovexattr lseek lsetxattr lstat madvise mbind membarrier memfd_create
    memfd_secret migrate_pages mincore mkdir mkdirat mknod mknodat mlock mlock2 mlockall mmap
    modify_ldt mount mount_setattr move_mount move_pages mprotect mq_getsetattr mq_notify mq_open
    mq_timedreceive mq_timedsend mq_unlink mremap msgctl msgget msgrcv msgsnd msync munlock munlockall
    munmap name_to_handle_at nanosleep newfstatat nfsservctl open open_by_handle_at open_tree openat
    openat2 pause perf_event_open personality pidfd_getfd pidfd_open pidfd_send_signal pipe pipe2
    pivot_root pkey_alloc pkey_free pkey_mprotect poll ppoll prctl pread64 preadv preadv2 prlimit64
    process_madvise process_mrelease process_vm_readv process_vm_writev pselect6 ptrace putpmsg
    pwrite64 pwritev pwritev2 query_module quotactl quotactl_fd read readahead readlink readlinkat
    readv reboot recvfrom recvmmsg recvmsg remap_file_pages removexattr rename renameat renameat2
    request_key restart_syscall rmdir rseq rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo
    rt_sigreturn rt_sigsuspend rt_sigtimedwait rt_tgsigqueueinfo sched_get_priority_max
    sched_get_priority_min sched_getaffinity sched_getattr sched_getparam sched_getscheduler
    sched_rr_get_interval sched_setaffinity sched_setattr sched_setparam sched_setscheduler sched_yield
    seccomp security select semctl semget semop semtimedop sendfile sendmmsg sendmsg sendto
    set_mempolicy set_mempolicy_home_node set_robust_list set_thread_area set_tid_address setdomainname
    setfsgid setfsuid setgid setgroups sethostname setitimer setns setpgid setpriority setregid
    setresgid setresuid setreuid setrlimit setsid setsockopt settimeofday setuid setxattr shmat shmctl
    shmdt shmget shutdown sigaltstack signalfd signalfd4 socket socketpair splice stat statfs statx
    swapoff swapon symlink symlinkat sync sync_file_range syncfs sysfs sysinfo syslog tee tgkill time
    timer_create timer_delete timer_getoverrun timer_gettime timer_settime timerfd_create
    timerfd_gettime timerfd_settime times tkill truncate tuxcall umask umount2 uname unlink unlinkat
    unshare uselib userfaultfd ustat utime utimensat utimes vfork vhangup vmsplice vserver wait4 waitid
    write writev
"""
#: events libsinsp synthesises or renames (falcosecurity/libs ``driver/event_table.c``)
_SINSP_EVENTS = (
    "procexit switch container signaldeliver page_fault pluginevent asyncevent infra mesos k8s drop "
    "scapevent procinfo cpu_hotplug notification tracer umount prlimit mmap2 socketcall sysdigevent"
)
ALL: frozenset[str] = frozenset(_SYSCALLS.split()) | frozenset(_SINSP_EVENTS.split())


def resolve(expr: Expr) -> frozenset[str]:
    """The event types expr can be true for (ALL when it does not restrict them)."""
    return _visit(expr, False)


def _visit(e: Expr, negated: bool) -> frozenset[str]:
    if isinstance(e, Not):
        return _visit(e.child, not negated)
    if isinstance(e, (And, Or)):
        sets = [_visit(c, negated) for c in e.children]
        intersect = isinstance(e, And) != negated  # De Morgan: a negated 'and' is an 'or'
        out = sets[0]
        for s in sets[1:]:
            out = out & s if intersect else out | s
        return out
    if isinstance(e, Const):
        return ALL if e.value != negated else frozenset()
    if (
        isinstance(e, BinaryCheck)
        and isinstance(e.left, Field)
        and e.left.name == "evt.type"
        and e.modifier is None
    ):
        names = _names(e)
        if names is not None:
            if e.op in ("=", "==", "in"):
                chosen = names
            elif e.op == "!=":
                chosen = ALL - names
            else:
                return ALL
            return ALL - chosen if negated else chosen
    return ALL


def _names(e: BinaryCheck) -> frozenset[str] | None:
    if isinstance(e.right, Value):
        return frozenset((e.right.text,))
    if isinstance(e.right, ListValue):
        return frozenset(v.text for v in e.right.items)
    return None
