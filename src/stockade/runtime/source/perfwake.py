"""Start bpftrace so that its output buffers wake their reader once every N records, not after each one.

bpftrace 0.17 opens one ``PERF_COUNT_SW_BPF_OUTPUT`` perf event per CPU for its ``printf`` records with
``wakeup_events = 1`` (bcc's ``bpf_open_perf_buffer``), so every record the kernel writes also queues a
wake-up of the reader (``perf_output_wakeup``: an ``irq_work``, an inter-processor interrupt when the reader
sleeps on another CPU), on the CPU of the traced process and inside its system call.  Measured here
(``benchmarks/runtime_overhead.py``, a ``printf`` per ``getppid``): 7.4 µs a record back to back, 13 µs
with the reader asleep; with a wake-up every 16 records, 2.3 µs and 4.3 µs.  bpftrace has no setting for
it, so the sensor sets it where bpftrace asks the kernel: bpftrace runs under a seccomp filter that stops
only at ``perf_event_open(2)`` (``SECCOMP_RET_TRACE``) and the sensor, as its ptrace tracer, rewrites
``wakeup_events`` in the ``perf_event_attr`` of the BPF-output events before the kernel reads it
(perf_event_open(2): "wakeup_events ... This union sets how many samples (wakeup_events) ... happen before
an overflow notification happens").  Once bpftrace has attached everything (its ``BEGIN`` record arrived)
the tracer thread ends, which detaches it (ptrace(2): a tracer's exit detaches its tracees); the filter
stays but no ``perf_event_open`` follows.

A record may then wait in its CPU's buffer until N have gathered there, so the program gets a
``profile`` probe (:func:`~stockade.runtime.source.bpfprog.program`, ``flush_every``) that writes N
one-letter filler records on every CPU a few times a second: the latency of a record is at most that
period.  Anything that fails here (no ptrace, no seccomp, an unexpected stop) falls back to bpftrace as it
is, and the sensor says which mode it runs in.
"""

from __future__ import annotations

import ctypes
import os
import signal
import struct
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence

PTRACE_TRACEME, PTRACE_CONT, PTRACE_GETREGS, PTRACE_SETOPTIONS, PTRACE_GETEVENTMSG = 0, 7, 12, 0x4200, 0x4201
PTRACE_O_TRACECLONE, PTRACE_O_TRACESECCOMP = 0x8, 0x80
PTRACE_EVENT_CLONE, PTRACE_EVENT_SECCOMP = 3, 7
WALL = 0x40000000  # __WALL: wait for threads too
NR_PERF_EVENT_OPEN = 298  # x86_64
AUDIT_ARCH_X86_64 = 0xC000003E
PERF_TYPE_SOFTWARE, PERF_COUNT_SW_BPF_OUTPUT = 1, 10
ATTR_FLAGS, ATTR_WAKEUP = 40, 48  # offsets in struct perf_event_attr (include/uapi/linux/perf_event.h)
WATERMARK_BIT = 1 << 14
REG_RDI, REG_ORIG_RAX, N_REGS = 14, 15, 27  # struct user_regs_struct (x86_64)


class _SockFilter(ctypes.Structure):
    _fields_ = [
        ("code", ctypes.c_uint16),
        ("jt", ctypes.c_uint8),
        ("jf", ctypes.c_uint8),
        ("k", ctypes.c_uint32),
    ]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


# classic BPF (seccomp_data: nr at 0, arch at 4): perf_event_open on x86_64 stops for the tracer
_LD_W_ABS, _JEQ_K, _RET_K = 0x20, 0x15, 0x06
_FILTER = [
    (_LD_W_ABS, 0, 0, 4),
    (_JEQ_K, 0, 3, AUDIT_ARCH_X86_64),
    (_LD_W_ABS, 0, 0, 0),
    (_JEQ_K, 0, 1, NR_PERF_EVENT_OPEN),
    (_RET_K, 0, 0, 0x7FF00000),  # SECCOMP_RET_TRACE
    (_RET_K, 0, 0, 0x7FFF0000),  # SECCOMP_RET_ALLOW
]


def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.ptrace.restype = ctypes.c_long
    libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong]
    return libc


def _in_child(libc: ctypes.CDLL, prog: _SockFprog) -> None:
    """Runs in the forked child before exec: be traced, then filter perf_event_open to the tracer."""
    if libc.ptrace(PTRACE_TRACEME, 0, None, None) != 0:
        raise OSError(ctypes.get_errno(), "ptrace(PTRACE_TRACEME)")
    if libc.prctl(38, 1, None, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
    if (
        libc.prctl(22, 2, ctypes.cast(ctypes.pointer(prog), ctypes.c_void_p), 0, 0) != 0
    ):  # SECCOMP_MODE_FILTER
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP)")


class Batched:
    """bpftrace started with its output events' ``wakeup_events`` set to ``every``."""

    def __init__(self, argv: Sequence[str], env: Mapping[str, str], every: int) -> None:
        self.every = every
        self.adjusted = 0  # BPF-output perf events rewritten
        self.error: str | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        self._argv, self._env = list(argv), dict(env)
        self._started = threading.Event()
        self._finish = threading.Event()
        self._libc = _libc()
        filt = (_SockFilter * len(_FILTER))(*(_SockFilter(*f) for f in _FILTER))
        self._prog = _SockFprog(len(_FILTER), filt)
        # the tracer must be the thread that forks bpftrace (PTRACE_TRACEME makes the parent its tracer)
        self._thread = threading.Thread(target=self._run, name="stockade-perfwake", daemon=True)
        self._thread.start()
        self._started.wait()
        if self.proc is None:
            raise OSError(self.error or "bpftrace did not start")

    def finish(self) -> None:
        """bpftrace has attached everything: stop tracing it (the thread's end detaches it)."""
        self._finish.set()
        self._thread.join(timeout=5)

    # -- the tracer thread ----------------------------------------------------------------------------------
    def _run(self) -> None:
        libc, prog = self._libc, self._prog
        try:
            self.proc = subprocess.Popen(
                self._argv,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=self._env,
                preexec_fn=lambda: _in_child(libc, prog),
                process_group=0,  # its threads share this group: the tracer waits on it alone
            )
        except (OSError, subprocess.SubprocessError) as exc:
            self.error = f"could not start bpftrace traced: {exc}"
            return
        finally:
            self._started.set()
        try:
            self._trace(self.proc)
        except OSError as exc:
            self.error = f"tracing bpftrace failed: {exc}"

    def _ptrace(self, req: int, tid: int, data: int = 0, addr: int = 0) -> None:
        if self._libc.ptrace(req, tid, ctypes.c_void_p(addr), ctypes.c_void_p(data)) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"ptrace({req}, {tid}): {os.strerror(err)}")

    def _trace(self, proc: subprocess.Popen[bytes]) -> None:
        pid = proc.pid
        _, status = os.waitpid(pid, WALL)  # stopped with SIGTRAP after its exec
        if not os.WIFSTOPPED(status):
            return
        self._ptrace(PTRACE_SETOPTIONS, pid, PTRACE_O_TRACECLONE | PTRACE_O_TRACESECCOMP)
        self._ptrace(PTRACE_CONT, pid)
        new_threads: set[int] = set()
        while not self._finish.is_set():
            try:
                tid, status = os.waitpid(-pid, os.WNOHANG | WALL)
            except ChildProcessError:
                return
            if tid == 0:
                time.sleep(0.002)
                continue
            if os.WIFEXITED(status) or os.WIFSIGNALED(status):
                if tid == pid:  # reaped here, so Popen cannot: hand it the status
                    proc.returncode = os.waitstatus_to_exitcode(status)
                    return
                continue
            if not os.WIFSTOPPED(status):
                continue
            event, sig, inject = status >> 16, os.WSTOPSIG(status), 0
            if event == PTRACE_EVENT_SECCOMP:
                self._adjust(tid)
            elif event == PTRACE_EVENT_CLONE:
                msg = ctypes.c_ulong()  # the new thread's id
                self._ptrace(PTRACE_GETEVENTMSG, tid, ctypes.addressof(msg))
                new_threads.add(msg.value)
            elif sig == signal.SIGSTOP and tid in new_threads:
                new_threads.discard(tid)  # a new thread's first stop
            elif sig != signal.SIGTRAP:
                inject = sig  # a signal for bpftrace: deliver it
            self._ptrace(PTRACE_CONT, tid, inject)

    def _adjust(self, tid: int) -> None:
        regs = (ctypes.c_ulonglong * N_REGS)()
        self._ptrace(PTRACE_GETREGS, tid, ctypes.addressof(regs))
        if regs[REG_ORIG_RAX] != NR_PERF_EVENT_OPEN:
            return
        addr = int(regs[REG_RDI])
        with open(f"/proc/{tid}/mem", "r+b", buffering=0) as mem:
            mem.seek(addr)
            head = mem.read(ATTR_WAKEUP + 4)
            kind, _size, config = struct.unpack_from("<IIQ", head, 0)
            (flags,) = struct.unpack_from("<Q", head, ATTR_FLAGS)
            if (
                kind == PERF_TYPE_SOFTWARE
                and config == PERF_COUNT_SW_BPF_OUTPUT
                and not flags & WATERMARK_BIT
            ):
                mem.seek(addr + ATTR_WAKEUP)
                mem.write(struct.pack("<I", self.every))
                self.adjusted += 1
