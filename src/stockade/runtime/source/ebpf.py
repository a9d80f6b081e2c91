"""The eBPF event source: runs the generated bpftrace program (``-f json``) and decodes its records.

bpftrace (Debian package ``bpftrace``) compiles the program with BTF from ``/sys/kernel/btf/vmlinux``; tracefs
is mounted on ``/sys/kernel/tracing`` if absent.  bpftrace reports perf-buffer overruns as
``{"type": "lost_events", "data": {"events": N}}``; they are counted in :attr:`EbpfSource.lost`.
"""

from __future__ import annotations

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
from stockade.runtime.source import bpfprog
from stockade.runtime.source.names import NameCache
from stockade.runtime.source.records import Decoder

NAME = "ebpf"
TRACEFS = "/sys/kernel/tracing"
BTF = "/sys/kernel/btf/vmlinux"
START_TIMEOUT = 90.0


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
        "the local address of connects; domain names (fd.sip.name …) other than those the rules compare "
        "addresses with, and those before they resolve",
        "file descriptors opened before the sensor started",
        "relative paths of a process whose working directory was set by fchdir or by a relative chdir "
        "before the sensor started, once it has exited",
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
        self.proc: subprocess.Popen[bytes] | None = None
        self.stderr = ""
        self.program = ""

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
        self.program = bpfprog.program(os.getpid(), self.sensitive, chosen, self.paths)
        env = {
            **os.environ,
            "BPFTRACE_STRLEN": "200",
            "BPFTRACE_PERF_RB_PAGES": str(self.rb_pages),
            "BPFTRACE_MAP_KEYS_MAX": "65536",
        }
        self.proc = subprocess.Popen(
            ["bpftrace", "-f", "json", "-e", self.program],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        assert self.proc.stdout is not None
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                raise SourceError(f"bpftrace exited before attaching: {_errors(err)}")
            if b"READY" in line:
                return
        self.stop()
        raise SourceError("bpftrace did not attach its probes in time")

    def events(self, until: float | None = None) -> Iterator[Event]:
        """Events until ``until`` (monotonic seconds) or until bpftrace stops."""
        proc = self.proc
        assert proc is not None and proc.stdout is not None
        fd = proc.stdout.fileno()
        buf = b""
        while True:
            timeout = 0.1 if until is None else max(0.0, min(0.1, until - time.monotonic()))
            ready, _, _ = select.select([fd], [], [], timeout)
            if ready:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    break
                buf += chunk
                *lines, buf = buf.split(b"\n")
                for raw in lines:
                    yield from self._line(raw)
            yield from self.decoder.flush()
            if until is not None and time.monotonic() >= until:
                break
        yield from self.decoder.flush(force=True)

    def _line(self, raw: bytes) -> list[Event]:
        if not raw.strip():
            return []
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError:
            self.decoder.malformed += 1
            return []
        kind = obj.get("type")
        if kind == "printf":
            self.records += 1
            return self.decoder.feed(obj["data"])
        if kind == "lost_events":
            self.lost += int(obj.get("data", {}).get("events", 0))
        return []

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
        if proc.stderr is not None:
            self.stderr = proc.stderr.read().decode(errors="replace")


def _errors(stderr: str) -> str:
    lines = [ln for ln in stderr.splitlines() if "RLIMIT_MEMLOCK" not in ln and ln.strip()]
    return "; ".join(lines[:5]) or "no message"
