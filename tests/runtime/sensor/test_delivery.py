"""How kernel records reach the decoder: batched wake-ups (perfwake) and the time-ordered merge of the
per-CPU buffers (EbpfSource.events)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stockade.runtime.source import bpfprog, ebpf
from stockade.runtime.source.ebpf import EbpfSource, unavailable_reason

SEP = "\x1f"
PID_MAX = int(Path("/proc/sys/kernel/pid_max").read_text())
A, B = PID_MAX + 20, PID_MAX + 21


def _printf(text: str) -> bytes:
    return json.dumps({"type": "printf", "data": text}).encode()


def _h(ts: int, pid: int) -> list[str]:
    return [str(ts), str(pid), str(pid), "0", "0", "1", "sh", "-1"]


def test_records_of_two_cpus_are_decoded_in_time_order() -> None:
    """The shell's chdir and fork (one CPU's buffer) are read after its child's relative open (another
    CPU's): decoded in kernel time order, the open is resolved against the directory the chdir set."""
    src = EbpfSource()
    chdir, openat = bpfprog.SYSCALLS["chdir"][0], bpfprog.SYSCALLS["openat"][0]
    cpu1 = [  # the child's open, at t=30, read first
        _printf(SEP.join(["P", str(B), "30", "1", "shadow"])),
        _printf(SEP.join(["S", str(openat), *_h(30, B), "3", str(2**32 - 100), "0", "0", "0"])),
    ]
    cpu0 = [  # the shell's chdir (t=10) and fork (t=20)
        _printf(SEP.join(["P", str(A), "10", "0", "/etc"])),
        _printf(SEP.join(["S", str(chdir), *_h(10, A), "0", "0", "0", "0", "0"])),
        _printf(SEP.join(["K", *_h(20, A), str(B)])),
        _printf(bpfprog.FILLER + "\n"),  # filler records are dropped (as bpftrace prints them)
    ]
    for raw in cpu1 + cpu0:
        src._take(raw)
    assert src.records == 5
    events = list(src._release(None))
    assert [e["evt.type"] for e in events] == ["chdir", "clone", "openat"]
    assert events[-1]["fd.name"] == "/etc/shadow"
    # nothing is held back once released; what is younger than the limit waits
    src._take(_printf(SEP.join(["K", *_h(100, A), str(B + 1)])))
    assert list(src._release(99)) == [] and len(list(src._release(100))) == 1


def test_records_later_than_the_window_are_decoded_on_arrival_and_counted() -> None:
    """A record older than one already decoded (its CPU's buffer read after the reorder window, on a loaded
    machine) is still decoded, out of order, and counted as ``late`` (in the status and the metrics)."""
    src = EbpfSource()
    src._take(_printf(SEP.join(["K", *_h(100, A), str(B)])))
    src._take(_printf(SEP.join(["K", *_h(90, A), str(B + 1)])))  # out of order, but within the window
    assert [e["evt.time"] - src.decoder.offset for e in src._release(100)] == [90, 100] and src.late == 0
    src._take(_printf(SEP.join(["K", *_h(50, A), str(B + 2)])))  # after 100 was decoded: late
    src._take(_printf(SEP.join(["K", *_h(150, A), str(B + 3)])))
    assert [e["evt.time"] - src.decoder.offset for e in src._release(None)] == [50, 150]
    assert src.late == 1


def test_record_time() -> None:
    assert bpfprog.record_time(SEP.join(["P", "7", "123", "1", "x"])) == 123
    assert bpfprog.record_time(SEP.join(["S", "257", "456", "1"])) == 456
    assert bpfprog.record_time(SEP.join(["E", "789", "1"])) == 789
    assert bpfprog.record_time("READY") == 0 and bpfprog.record_time("P\x1fx\x1fy") == 0


def _live() -> None:
    reason = unavailable_reason()
    if reason:
        pytest.skip(f"eBPF sensor cannot run: {reason}")


@pytest.mark.parametrize("batching", [True, False])
def test_live_delivery(batching: bool) -> None:
    """With batching, bpftrace's output buffers were opened with a wake-up per WAKEUP_EVERY records on
    every CPU, and a lone record still arrives (the filler flush); without, one wake-up per record."""
    _live()
    src = EbpfSource(wants=lambda t: t == "openat", batching=batching)
    src.start()
    try:
        if batching:
            cpus = os.cpu_count()
            assert src.delivery.startswith("a wake-up per 16 records on "), src.delivery
            assert f" on {cpus} CPUs" in src.delivery, (src.delivery, cpus)
        else:
            assert src.delivery == "a wake-up per record (turned off)"
        subprocess.run(["/bin/true", "stk-delivery"], check=True)
        t0 = time.monotonic()
        seen = None
        for ev in src.events(until=time.monotonic() + 10):
            if ev.get("evt.type") == "execve" and ev.get("proc.args") == ["stk-delivery"]:
                seen = time.monotonic() - t0
                break
        assert seen is not None and seen < 2.0, seen
        time.sleep(0.3)  # (several rounds of filler records)
        list(src.events(until=time.monotonic()))
        assert src.malformed == 0, src.decoder.last_malformed
    finally:
        src.stop()
    assert src.proc is None


def test_live_the_last_moments_are_not_lost() -> None:
    """An exec just before ``until`` comes (or before Ctrl-C: ``drain``) is still in a CPU's buffer or in
    the reorder heap; the source reads one window more and decodes it."""
    _live()
    src = EbpfSource(wants=lambda t: t == "openat")
    src.start()
    try:
        subprocess.run(["/bin/true", "stk-tail-1"], check=True)
        got = [e.get("proc.args") for e in src.events(until=time.monotonic()) if e["evt.type"] == "execve"]
        assert ["stk-tail-1"] in got
        subprocess.run(["/bin/true", "stk-tail-2"], check=True)
        got = [e.get("proc.args") for e in src.drain() if e["evt.type"] == "execve"]
        assert ["stk-tail-2"] in got
    finally:
        src.stop()


def test_live_without_ptrace_the_sensor_falls_back_and_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where bpftrace cannot be started traced (ptrace or seccomp refused: here the child's set-up is made
    to fail), the source runs bpftrace as it is, with a wake-up per record, and says why."""
    _live()
    from stockade.runtime.source import perfwake

    def refuse(libc: object, prog: object) -> None:
        raise OSError(1, "ptrace(PTRACE_TRACEME): Operation not permitted")

    monkeypatch.setattr(perfwake, "_in_child", refuse)
    src = EbpfSource(wants=lambda t: t == "openat")
    src.start()
    try:
        assert src.delivery.startswith("a wake-up per record (could not start bpftrace traced"), src.delivery
        subprocess.run(["/bin/true", "stk-fallback"], check=True)
        seen = [e for e in src.events(until=time.monotonic() + 1) if e.get("proc.args") == ["stk-fallback"]]
        assert seen
    finally:
        src.stop()


def test_records_that_come_with_ready_are_kept() -> None:
    """With batched wake-ups READY arrives in one read with other records (here: one before it, from a
    probe that fired before BEGIN ran, and one after): both reach the decoder."""
    src = EbpfSource()
    before = _printf(SEP.join(["K", *_h(5, A), str(B)]))
    after = _printf(SEP.join(["X", *_h(6, B), "0"]))
    text = b"\n".join([before, _printf("READY\n"), after, _printf(bpfprog.FILLER + "\n")]) + b"\n"
    src.proc = subprocess.Popen(
        ["cat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert src.proc.stdin is not None
    src.proc.stdin.write(text)
    src.proc.stdin.close()
    try:
        src._wait_ready()
        assert [e["evt.type"] for e in src._release(None)] == ["clone", "procexit"]
    finally:
        src.stop()


def test_a_chatty_standard_error_does_not_stop_the_records(monkeypatch: pytest.MonkeyPatch) -> None:
    """bpftrace's standard error is drained while it runs: 1 MiB of warnings (sixteen times a pipe's
    buffer) used to block it in write(2), and no record after them ever arrived (here: READY never came).
    What it wrote last is kept for the error message."""
    monkeypatch.setattr(ebpf, "START_TIMEOUT", 15.0)
    src = EbpfSource()
    out = b"\n".join([_printf("READY\n"), _printf(SEP.join(["K", *_h(5, A), str(B)]))]) + b"\n"
    script = (
        "import sys\n"
        "sys.stderr.write('WARNING: something\\n' * 60000 + 'the last words\\n')\n"
        "sys.stderr.flush()\n"
        f"sys.stdout.buffer.write({out!r})\n"
    )
    pipe = subprocess.PIPE
    src.proc = subprocess.Popen([sys.executable, "-c", script], stdout=pipe, stderr=pipe)
    try:
        src._wait_ready()
        events = list(src.events(until=time.monotonic() + 1))
        assert [e["evt.type"] for e in events] == ["clone"]
    finally:
        src.stop()
    assert src.stderr.endswith("the last words\n") and len(src.stderr) <= 16384
