"""The eBPF event source: runs the generated bpftrace program (``-f json``) and decodes its records.

bpftrace (Debian package ``bpftrace``) compiles the program with BTF from ``/sys/kernel/btf/vmlinux``; tracefs
is mounted on ``/sys/kernel/tracing`` if absent.  bpftrace reports perf-buffer overruns as
``{"type": "lost_events", "data": {"events": N}}``; they are counted in :attr:`EbpfSource.lost`.
"""

from __future__ import annotations

import heapq
import os
import select
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from typing import ClassVar

import orjson

from stockade.errors import StockadeError
from stockade.model.event import Event
from stockade.runtime.source import bpfprog, perfwake
from stockade.runtime.source.names import NameCache
from stockade.runtime.source.records import Decoder

NAME = "ebpf"
TRACEFS = "/sys/kernel/tracing"
BTF = "/sys/kernel/btf/vmlinux"
START_TIMEOUT = 90.0
#: the kernel wakes the reader once per this many records per CPU (:mod:`.perfwake`), and filler records
#: written FLUSH_HZ times a second on every CPU bound how long a record waits
WAKEUP_EVERY = 16
FLUSH_HZ = 10
#: the reorder window: a record of another CPU is read at most 1/FLUSH_HZ after it was written, plus the
#: time bpftrace and this reader take to pass it on
WINDOW_NS = 1_000_000_000 // FLUSH_HZ + 150_000_000
#: how much of bpftrace's standard error is kept for an error message
STDERR_KEPT = 16384


class SourceError(StockadeError):
    pass


def unavailable_reason() -> str | None:
    """Why the eBPF source cannot run here, or None."""
    if os.geteuid() != 0:
        return "not root (eBPF needs CAP_BPF/CAP_SYS_ADMIN)"
    if shutil.which("bpftrace") is None:
        return "bpftrace is not installed (Debian package bpftrace)"
    if not os.path.exists(BTF):
        return f"no kernel BTF at {BTF}"
    if not bpfprog.supported():
        return "the syscall table is x86_64 only"
    return None


def ensure_tracefs() -> None:
    if os.path.exists(f"{TRACEFS}/events"):
        return
    done = subprocess.run(["mount", "-t", "tracefs", "tracefs", TRACEFS], capture_output=True, text=True)
    if done.returncode != 0:
        raise SourceError(f"failed to mount tracefs on {TRACEFS}: {done.stderr.strip()}")


class EbpfSource:
    NAME: str = NAME
    BLIND_SPOTS: tuple[str, ...] = (
        "reads of files outside the sensitive path prefixes and the loaded rules' paths",
        "domain names (fd.sip.name …) other than those the rules compare addresses with, and those before "
        "they resolve",
        "file descriptors opened before the sensor started",
        "relative paths of a process whose working directory was set by fchdir or by a relative chdir "
        "before the sensor started, once it has exited",
        "failed execs; command-line arguments past 3,072 bytes (cut)",
    )
    #: fields of the event model this source never fills: rules whose conditions read them are reported
    #: at start (the comparison on a missing value is false, so they cannot fire on those facts)
    UNFILLED_FIELDS: ClassVar[dict[str, str]] = {}

    def __init__(
        self,
        sensitive: tuple[str, ...] = bpfprog.DEFAULT_SENSITIVE,
        rb_pages: int = 1024,
        wants: Callable[[str], bool] | None = None,
        paths: bpfprog.PathTests | None = None,
        batching: bool = True,
    ) -> None:
        """``wants(evt_type)``: whether any loaded rule can match the type (None: attach every syscall);
        ``paths``: the rules' path tests for opens (None: every write open is reported)."""
        self.sensitive = sensitive
        self.wants = wants
        self.paths = paths
        #: the syscalls attached, and those left out because this kernel has no tracepoint for them
        self.attached: frozenset[str] = frozenset()
        self.missing: frozenset[str] = frozenset()
        self.rb_pages = rb_pages
        self.decoder = Decoder()
        self.lost = 0
        self.records = 0
        #: records that reached the reader after a later record had been decoded (a CPU's buffer read more
        #: than the reorder window late, on a loaded machine): decoded on arrival, out of time order
        self.late = 0
        self._decoded_up_to = 0  # kernel time of the last record decoded
        self.proc: subprocess.Popen[bytes] | None = None
        self.stderr = ""
        self._stderr_tail = b""
        self._stderr_done = False
        self.program = ""
        #: how records reach the sensor: batched wake-ups (:mod:`.perfwake`), or one wake-up per record
        #: and why
        self.delivery = ""
        self.batching = batching
        #: records waiting to be decoded in time order: (timestamp, arrival, text); see :meth:`events`
        self._pending: list[tuple[int, int, str]] = []
        self._seq = 0
        self._partial = b""
        #: how old a record must be before it is decoded: by then every CPU's buffer has been read up to it
        self.window_ns = WINDOW_NS

    @property
    def malformed(self) -> int:
        return self.decoder.malformed

    def use_names(self, names: NameCache) -> None:
        """Fill ``fd.*.name`` for the addresses ``names`` resolved (the rules' domain names)."""
        self.decoder.names = names

    def start(self) -> None:
        reason = unavailable_reason()
        if reason:
            raise SourceError(f"eBPF source unavailable: {reason}")
        ensure_tracefs()
        have = bpfprog.attachable(TRACEFS)
        self.missing = frozenset(bpfprog.SYSCALLS) - have
        chosen = have if self.wants is None else have & bpfprog.needed(self.wants)
        self.attached = chosen
        if self.missing:
            gone = ", ".join(sorted(self.missing))
            self.BLIND_SPOTS = (*type(self).BLIND_SPOTS, f"syscalls without a tracepoint here: {gone}")
        env = {
            **os.environ,
            "BPFTRACE_STRLEN": "200",
            "BPFTRACE_PERF_RB_PAGES": str(self.rb_pages),
            "BPFTRACE_MAP_KEYS_MAX": "65536",
        }
        why = "turned off"
        if self.batching:
            try:
                self._start_batched(chosen, env)
                return
            except OSError as exc:
                why = str(exc)
        self.program = bpfprog.program(os.getpid(), self.sensitive, chosen, self.paths)
        self.proc = subprocess.Popen(
            ["bpftrace", "-f", "json", "-e", self.program],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        self.delivery = f"a wake-up per record ({why})"
        self._wait_ready()

    def _start_batched(self, chosen: frozenset[str], env: dict[str, str]) -> None:
        """Start bpftrace with batched wake-ups; OSError (nothing left running) where that cannot be done."""
        self.program = bpfprog.program(
            os.getpid(), self.sensitive, chosen, self.paths, flush=(WAKEUP_EVERY, FLUSH_HZ)
        )
        batched = perfwake.Batched(["bpftrace", "-f", "json", "-e", self.program], env, WAKEUP_EVERY)
        self.proc = batched.proc
        try:
            self._wait_ready()
        except SourceError:
            batched.finish()
            if batched.error is None:
                raise
            self.stop()
            raise OSError(batched.error) from None
        batched.finish()
        if batched.error is not None or batched.adjusted == 0:
            self.delivery = f"a wake-up per record ({batched.error or 'no output buffer seen'})"
        else:
            self.delivery = (
                f"a wake-up per {WAKEUP_EVERY} records on {batched.adjusted} CPUs"
                f" (a record waits at most {1000 // FLUSH_HZ} ms)"
            )

    def _wait_ready(self) -> None:
        """Read until bpftrace's READY record (its probes are attached).  Read from the descriptor itself,
        as :meth:`events` does: records that came in the same read as READY (with batched wake-ups, a
        whole buffer's worth) are kept for :meth:`events`, not left in a file object's buffer."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            lines = self._lines(max(0.0, min(1.0, deadline - time.monotonic())))
            if lines is None:
                assert self.proc is not None
                err = self._stderr_text(self.proc)
                raise SourceError(f"bpftrace exited before attaching: {_errors(err)}")
            attached = False
            for raw in lines:
                if b'"READY' in raw:
                    attached = True
                else:
                    self._take(raw)  # (records of probes that fired before BEGIN ran are kept too)
            if attached:
                return
        self.stop()
        raise SourceError("bpftrace did not attach its probes in time")

    def events(self, until: float | None = None) -> Iterator[Event]:
        """Events until ``until`` (monotonic seconds) or until bpftrace stops, in the kernel's time order.

        Each CPU has its own buffer, read in turns, so records of different CPUs arrive out of order (a
        shell's chdir and fork on one CPU, its child's open on another: the open must be decoded after
        them).  Records wait in a heap until they are :attr:`window_ns` old (bpftrace's timestamps are
        CLOCK_MONOTONIC, ``bpf_ktime_get_ns``), by which time every CPU's buffer has been read up to them,
        and leave it oldest first, as Falco's reader merges its per-CPU buffers."""
        stop_at: int | None = None  # set when ``until`` has come: read the last records, then stop
        while True:
            now = time.monotonic()
            if stop_at is None and until is not None and now >= until:
                stop_at = time.monotonic_ns() + self.window_ns
            timeout = 0.05 if until is None or stop_at is not None else max(0.0, min(0.05, until - now))
            if not self._read(timeout):
                yield from self._release(None)
                return
            yield from self._release(time.monotonic_ns() - self.window_ns)
            self.decoder.flush()
            if stop_at is not None and time.monotonic_ns() >= stop_at:
                # what happened up to ``until`` has been flushed from every CPU and read: decode it all
                yield from self._release(stop_at - self.window_ns)
                return

    def drain(self) -> Iterator[Event]:
        """The events already written when the caller stopped reading (Ctrl-C): read for one reorder
        window more, so every CPU's buffer has been flushed, and decode all that was read."""
        end = time.monotonic_ns() + self.window_ns
        while self.proc is not None and time.monotonic_ns() < end and self._read(0.05):
            pass
        yield from self._release(None)

    def _read(self, timeout: float) -> bool:
        """Take what bpftrace wrote within ``timeout`` seconds; False once it has exited."""
        lines = self._lines(timeout)
        for raw in lines or ():
            self._take(raw)
        return lines is not None

    def _lines(self, timeout: float) -> list[bytes] | None:
        """The complete lines bpftrace wrote within ``timeout`` seconds (a line still being written waits
        for the next read); None once it has exited.  Read from the descriptor, never through a file
        object's buffer, so nothing read stays hidden from the next call."""
        proc = self.proc
        assert proc is not None and proc.stdout is not None
        fd = proc.stdout.fileno()
        # bpftrace's standard error is read as it comes too: unread, a full pipe (64 KiB of warnings) would
        # block bpftrace in write(2), and with it every record after
        err = proc.stderr.fileno() if proc.stderr is not None and not self._stderr_done else -1
        ready, _, _ = select.select([fd] if err < 0 else [fd, err], [], [], timeout)
        if err in ready:
            self._keep_stderr(os.read(err, 1 << 16))
        if fd not in ready:
            return []
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return None
        *lines, self._partial = (self._partial + chunk).split(b"\n")
        return lines

    def _keep_stderr(self, chunk: bytes) -> None:
        """Keep the last :data:`STDERR_KEPT` bytes bpftrace wrote to its standard error (for the error
        message if it fails); an empty chunk is its end."""
        if not chunk:
            self._stderr_done = True
        self._stderr_tail = (self._stderr_tail + chunk)[-STDERR_KEPT:]

    def _stderr_text(self, proc: subprocess.Popen[bytes]) -> str:
        """All that is left of bpftrace's standard error: the kept tail, then what is still unread."""
        rest = proc.stderr.read() if proc.stderr is not None and not self._stderr_done else b""
        self._stderr_done = True
        return (self._stderr_tail + rest).decode(errors="replace")

    def _take(self, raw: bytes) -> None:
        if not raw.strip():
            return
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError:
            self.decoder.malformed += 1
            return
        kind = obj.get("type")
        if kind == "printf":
            data = obj["data"]
            if data[:1] == bpfprog.FILLER:  # ("T\n": bpftrace keeps the format's line break)
                return
            self.records += 1
            self._seq += 1
            ts = bpfprog.record_time(data)
            if ts < self._decoded_up_to:
                self.late += 1
            heapq.heappush(self._pending, (ts, self._seq, data))
        elif kind == "lost_events":
            self.lost += int(obj.get("data", {}).get("events", 0))

    def _release(self, limit: int | None) -> Iterator[Event]:
        """Decode the waiting records up to time ``limit`` (None: all), oldest first."""
        pending, feed = self._pending, self.decoder.feed
        while pending and (limit is None or pending[0][0] <= limit):
            ts, _seq, data = heapq.heappop(pending)
            if ts > self._decoded_up_to:
                self._decoded_up_to = ts
            yield from feed(data)

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(2)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.stderr = self._stderr_text(proc)


def _errors(stderr: str) -> str:
    lines = [ln for ln in stderr.splitlines() if "RLIMIT_MEMLOCK" not in ln and ln.strip()]
    return "; ".join(lines[:5]) or "no message"
