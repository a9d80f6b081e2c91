"""A real sensor and a real podman container, shared by the tests of this folder.

`runtime watch` runs once for the session (bpftrace takes ~5 s to attach) with the three upstream Falco rule
files and ``--rule-matching all``, recording every enriched event; tests act, then wait for the alert.
Podman uses a private store under a temp dir, ``runc`` and a containers.conf given by ``CONTAINERS_CONF``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

FALCO = Path(__file__).resolve().parents[3].parent / "shared" / "rules" / "falco"
UPSTREAM = [
    FALCO / "falco_rules.yaml",
    FALCO / "falco-incubating_rules.yaml",
    FALCO / "falco-sandbox_rules.yaml",
]
CONF = '[containers]\ndefault_ulimits = []\n[engine]\ncgroup_manager = "cgroupfs"\nruntime = "runc"\n'


def skip_reason() -> str | None:
    from stockade.runtime.source.ebpf import unavailable_reason

    return unavailable_reason()


class Podman:
    def __init__(self, tmp: Path) -> None:
        # a private tmp_dir and file locks: the default /run/libpod ("alive" marker, lock files) and the
        # /dev/shm/libpod_lock segment are shared by every podman store on the machine, so another store's
        # `system reset` or lock numbering would mark this store's containers stopped
        conf = CONF + f'tmp_dir = "{tmp / "libpod"}"\nlock_type = "file"\n'
        (tmp / "containers.conf").write_text(conf, encoding="utf-8")
        self.args = (
            "--root",
            str(tmp / "root"),
            "--runroot",
            str(tmp / "run"),
            "--storage-driver",
            "overlay",
        )
        self.env = {**os.environ, "CONTAINERS_CONF": str(tmp / "containers.conf")}
        self.tmp = tmp

    def __call__(
        self, *cmd: str, check: bool = True, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            ["podman", *self.args, "--runtime", "runc", *cmd], capture_output=True, text=True, env=self.env,
            timeout=timeout,
        )  # fmt: skip
        if check and done.returncode != 0:
            raise AssertionError(f"podman {' '.join(cmd)} failed: {done.stderr.strip()}")
        return done

    def image(self, tag: str) -> str:
        """An image made offline: ``podman import`` of a busybox-static rootfs with passwd and shadow."""
        rootfs = self.tmp / "rootfs"
        for d in ("bin", "etc", "tmp", "root"):
            (rootfs / d).mkdir(parents=True, exist_ok=True)
        shutil.copy("/bin/busybox", rootfs / "bin/busybox")
        for applet in ("sh", "cat", "ln", "chmod", "nc", "ls", "cp", "sleep", "echo", "true", "touch"):
            (rootfs / "bin" / applet).symlink_to("busybox")
        (rootfs / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/sh\n", encoding="utf-8")
        (rootfs / "etc/shadow").write_text("root:*:19000:0:99999:7:::\n", encoding="utf-8")
        tar = self.tmp / "rootfs.tar"
        subprocess.run(["tar", "-C", str(rootfs), "-cf", str(tar), "."], check=True)
        self("import", str(tar), tag)
        return tag


WATCH = [sys.executable, "-c", "from stockade.cli.runtime_cmds import main; main()", "watch"]


def _complete_lines(path: Path, needle: str = "") -> list[dict[str, Any]]:
    """The JSON lines written to ``path`` so far that hold ``needle``, read a line at a time (the session's
    record grows to gigabytes when another test unpacks a Debian system: read whole, it took a worker's
    24 GB and the kernel killed it); a last line still being written (no newline yet) is left out, as the
    sensor may be writing it while a test reads."""
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as fh:
        return [json.loads(x) for x in fh if needle in x and x.endswith("\n") and x.strip()]


def _die_with_parent() -> None:
    """Run in a sensor's child before exec: SIGTERM it when the test worker that started it dies (a killed
    worker's sensor went on recording, at 60 MB/s, until the machine was torn down)."""
    import ctypes

    pr_set_pdeathsig = 1  # prctl(2)
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)


class Watch:
    """``runtime watch`` in a subprocess; ``extra`` replaces the upstream rules (None: the upstream set);
    without ``record`` the sensor traces only what the rules need (syscalls, and opens by path)."""

    def __init__(
        self, tmp: Path, podman: Podman, extra: list[str] | None = None, record: bool = True
    ) -> None:
        self.alerts_path = tmp / "alerts.jsonl"
        self.record = tmp / "events.jsonl"
        self.status = tmp / "status.json"
        self.err_path = tmp / "watch.err"
        self._seen: tuple[int, float] | None = None  # (lost events, when that count was first seen)
        rules = [a for p in UPSTREAM for a in ("--rules", str(p))] if extra is None else extra
        podman_args = [f"--podman-arg={a}" for a in podman.args]
        cmd = [
            *WATCH, *rules,
            "--rule-matching", "all", "--output", f"jsonl:{self.alerts_path}",
            *(["--record", str(self.record)] if record else []),
            "--status-file", str(self.status), "--status-interval", "1", *podman_args,
        ]  # fmt: skip
        self.stderr = self.err_path.open("w")
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=self.stderr, env=podman.env, preexec_fn=_die_with_parent
        )
        deadline = time.monotonic() + 90
        while not self.status.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"runtime watch did not start: {(tmp / 'watch.err').read_text()}")
            time.sleep(0.2)

    def alerts(self) -> list[dict[str, Any]]:
        return _complete_lines(self.alerts_path)

    def lost(self) -> int:
        """Events the sensor has lost so far (its status file, rewritten every second)."""
        try:
            return int(json.loads(self.status.read_text(encoding="utf-8")).get("lost_events", 0))
        except (OSError, ValueError):
            return 0

    def calm(self, quiet: float = 3.0, limit: float = 180.0) -> None:
        """Wait (``limit`` seconds at most) until the sensor has lost no event for ``quiet`` seconds: another
        test of the run (debootstrap unpacking a Debian system, an image build) can flood the kernel's
        buffers for a minute, and what a test does meanwhile may be among the events lost.  Returns at
        once when the count has not moved for that long (it is remembered from call to call)."""
        end = time.monotonic() + limit
        while True:
            now, value = time.monotonic(), self.lost()
            if self._seen is None or value != self._seen[0]:
                self._seen = (value, now)
            if now - self._seen[1] >= quiet or now >= end:
                return
            time.sleep(0.5)

    def wait_for(self, pred: Callable[[dict[str, Any]], bool], timeout: float = 30) -> dict[str, Any] | None:
        """The first alert matching ``pred`` within ``timeout`` seconds, else None — unless the sensor lost
        events while it waited: then the test is skipped, saying so (whether the alert was among the lost
        events cannot be known; it is not reported as passed either)."""
        before = self.lost()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for a in self.alerts():
                if pred(a):
                    return a
            time.sleep(0.25)
        time.sleep(1.2)  # (the status file is rewritten every second)
        lost = self.lost() - before
        if lost > 0:
            pytest.skip(
                f"the sensor lost {lost} events while this test waited (the kernel's buffers overflowed "
                "under another test's load): the detection was not checked"
            )
        return None

    def events(self, needle: str) -> list[dict[str, Any]]:
        """The recorded events whose JSON line holds ``needle`` (a path, a marker: something the test's
        own events carry), so that a test holds its events, not the whole record."""
        return _complete_lines(self.record, needle)

    def stop(self) -> dict[str, Any]:
        if self.proc.poll() is None:
            # SIGTERM: SIGINT may be ignored, inherited from how the test run was started
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=30)
        if not self.stderr.closed:
            self.stderr.close()
        data: dict[str, Any] = json.loads(self.status.read_text(encoding="utf-8"))
        return data


@pytest.fixture(scope="session")
def podman(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Podman]:
    if os.geteuid() != 0:
        pytest.skip("the live sensor tests need root (containers, netlink, eBPF)")
    for tool in ("podman", "runc"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (Debian package {tool})")
    if not os.path.exists("/bin/busybox"):
        pytest.skip("busybox is not installed (Debian package busybox-static)")
    # podman refuses a runroot path over 50 characters, which pytest-xdist's temp paths exceed
    tmp = Path(tempfile.mkdtemp(prefix="stk-pm-"))
    try:
        yield Podman(tmp)
    finally:
        p = Podman(tmp)
        subprocess.run(["podman", *p.args, "system", "reset", "--force"], env=p.env, capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def container(podman: Podman) -> Iterator[tuple[str, str]]:
    image = podman.image("localhost/stk-sensor-test:1")
    cid = podman(
        "run", "-d", "--network", "host", "--name", "stk-sensor-c1", image, "/bin/sleep", "600"
    ).stdout
    try:
        yield cid.strip(), image
    finally:
        podman("rm", "-f", "-t", "0", "stk-sensor-c1", check=False)


@pytest.fixture(autouse=True)
def _calm(request: pytest.FixtureRequest) -> None:
    """Each test that uses a long-running sensor starts once that sensor is losing no events."""
    for name in ("watch", "default_watch"):
        if name in request.fixturenames:
            request.getfixturevalue(name).calm()


@pytest.fixture(scope="session")
def watch(
    podman: Podman, container: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Watch]:
    reason = skip_reason()
    if reason:
        pytest.skip(f"eBPF sensor cannot run: {reason}")
    w = Watch(tmp_path_factory.mktemp("watch"), podman)
    try:
        yield w
    finally:
        if w.proc.poll() is None:
            w.stop()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep ``--dist loadgroup`` working on pytest 9: pytest-xdist 3.8 adds the ``@group`` suffix by assigning
    ``item._nodeid``, which pytest 9 no longer reads (the node id lives in ``item._id``), so the sensor tests
    were spread over workers, each starting its own sensors.  Add the suffix where pytest 9 reads it."""
    if not getattr(config.option, "loadgroup", False):
        return
    try:
        from _pytest.nodeid import NodeId
    except ImportError:  # pytest < 9: xdist's own suffix works
        return
    for item in items:
        mark = item.get_closest_marker("xdist_group")
        if mark is None or "@" in item.nodeid.rpartition("]")[2] or not hasattr(item, "_id"):
            continue
        name = mark.args[0] if mark.args else mark.kwargs.get("name", "default")
        item._id = NodeId.parse(f"{item.nodeid}@{name}")


def until_marker(
    src: Any, is_marker: Callable[[dict[str, Any]], bool], grace: float = 3.0
) -> list[dict[str, Any]]:
    """The source's events up to the child's marker event, and those that come in ``grace`` seconds after
    it.  A CPU's records can reach the reader after the reorder window when the machine is loaded (a CI
    run), so events written before the marker may be decoded after it: late, not lost.  Without the
    marker the test fails — or is skipped, saying so, when the source lost events meanwhile."""
    out: list[dict[str, Any]] = []
    lost = src.lost
    for ev in src.events(until=time.monotonic() + 60):
        if is_marker(ev):
            out.extend(src.events(until=time.monotonic() + grace))
            return out
        out.append(ev)
    if src.lost > lost:  # the marker may be among them: not a failure of the sensor's, nor a pass
        pytest.skip(
            f"the source lost {src.lost - lost} events meanwhile (the kernel's buffers overflowed under "
            "another test's load) and the marker never came: not checked"
        )
    raise AssertionError(f"no marker within 60 s ({len(out)} events)")
