"""`runtime watch --source proc` (the netlink proc connector) with real processes on the host and in a real
podman container, and enforced responses: ``kill`` of a real process, ``stop`` of a real container."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.runtime.sensor.conftest import UPSTREAM, Podman, Watch

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("ebpf-sensor")]

RULES = """
- rule: stk proc test exec
  desc: the proc-source test program ran
  condition: evt.type = execve and proc.name = stk-proc-test
  output: >
    stk-proc-test ran (name=%proc.name exe=%proc.exepath command=%proc.cmdline parent=%proc.pname
    user=%user.name uid=%user.uid cwd=%proc.cwd container=%container.id)
  priority: WARNING
- rule: stk proc kill me
  desc: a process the sensor must kill
  condition: evt.type = execve and proc.name = stk-kill-me
  output: stk-kill-me ran (pid=%proc.pid command=%proc.cmdline)
  priority: CRITICAL
- rule: stk proc stop container
  desc: a container the sensor must stop
  condition: evt.type = execve and container.id != host and proc.name = sleep and proc.cmdline contains "7.25"
  output: marked sleep in a container (container=%container.id name=%container.name image=%container.image)
  priority: CRITICAL
"""


@pytest.fixture(scope="module")
def proc_watch(
    podman: Podman, container: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Watch]:
    from stockade.runtime.source.proc_connector import unavailable_reason

    reason = unavailable_reason()
    if reason:
        pytest.skip(f"proc connector cannot run: {reason}")
    tmp = tmp_path_factory.mktemp("procwatch")
    (tmp / "rules.yaml").write_text(RULES, encoding="utf-8")
    extra = [
        "--source", "proc", "--rules", str(tmp / "rules.yaml"), "--rules", str(UPSTREAM[0]), "--respond",
        "--action", "stk proc kill me=kill", "--action", "stk proc stop container=stop",
    ]  # fmt: skip
    w = Watch(tmp, podman, extra)
    try:
        yield w
    finally:
        w.stop()


def _script(tmp: Path, name: str, body: str) -> Path:
    p = tmp / name
    p.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    p.chmod(0o755)
    return p


def _rule(name: str) -> Any:
    return lambda a: a["rule"] == name


def test_startup_names_source_and_blind_spots(proc_watch: Watch) -> None:
    err = proc_watch.err_path.read_text(encoding="utf-8")
    assert "source proc ready" in err
    assert "no file, network" in err and "short-lived processes may exit" in err


def test_exec_on_host(proc_watch: Watch, tmp_path: Path) -> None:
    prog = _script(tmp_path, "stk-proc-test", "cat /etc/shadow > /dev/null\nsleep 0.5")
    done = subprocess.Popen([str(prog), "--marker"], cwd=tmp_path)
    a = proc_watch.wait_for(_rule("stk proc test exec"))
    done.wait(10)
    assert a is not None, proc_watch.alerts()[-3:]
    of = a["output_fields"]
    assert of["proc.name"] == "stk-proc-test" and of["container.id"] == "host"
    assert of["proc.cmdline"] == f"stk-proc-test {prog} --marker"
    assert of["proc.exepath"] in ("/usr/bin/dash", "/bin/dash")  # the script's interpreter
    assert of["user.name"] == "root" and of["user.uid"] == 0
    assert of["proc.cwd"] == f"{tmp_path}/"
    assert of["proc.pname"] == Path("/proc/self/comm").read_text().strip()  # this test process


def test_terminal_shell_in_container(proc_watch: Watch, podman: Podman, container: tuple[str, str]) -> None:
    cid, image = container
    # not "...; sleep 0.5" alone: the shell would exec sleep in its own process at once, and the proc
    # connector (which reads /proc after the fact) would see only sleep
    podman("exec", "-t", "stk-sensor-c1", "/bin/sh", "-c", "echo stk-proc-tty; sleep 0.5; echo done")
    a = proc_watch.wait_for(_rule("Terminal shell in container"))
    execs = [
        e
        for e in proc_watch.events(cid[:12])
        if e.get("evt.type") == "execve" and e.get("container.id") != "host"
    ]
    assert a is not None, [(e.get("proc.name"), e.get("proc.ppid"), e.get("proc.tty")) for e in execs]
    ev = [
        e
        for e in proc_watch.events("stk-proc-tty")
        if e.get("evt.type") == "execve"
        and e.get("proc.name") == "sh"
        and "stk-proc-tty" in str(e.get("proc.args"))
    ]
    assert ev, "exec of the shell not recorded"
    assert ev[0]["container.id"] == cid[:12] and ev[0]["container.image"] == image
    assert ev[0]["proc.tty"] != 0


def test_kill_response(proc_watch: Watch, tmp_path: Path) -> None:
    prog = _script(tmp_path, "stk-kill-me", "while :; do sleep 0.2; done")
    victim = subprocess.Popen([str(prog)])
    try:
        assert victim.wait(timeout=15) == -9, "the sensor did not kill the process"
    finally:
        if victim.poll() is None:
            victim.kill()
    a = proc_watch.wait_for(_rule("stk proc kill me"))
    assert a is not None
    assert a["output_fields"]["proc.pid"] == victim.pid
    assert a["response"] == {
        "action": "kill",
        "target": victim.pid,
        "rule": "stk proc kill me",
        "mode": "enforce",
        "result": "killed",
    }


def test_stop_response(proc_watch: Watch, podman: Podman, container: tuple[str, str]) -> None:
    _cid, image = container
    cid2 = podman("run", "-d", "--name", "stk-sensor-c2", image, "/bin/sleep", "600").stdout.strip()
    try:
        podman("exec", "-d", "stk-sensor-c2", "/bin/sleep", "7.25")
        deadline = time.monotonic() + 20
        state = ""
        while time.monotonic() < deadline:
            state = podman("inspect", "--format", "{{.State.Status}}", "stk-sensor-c2").stdout.strip()
            if state in ("exited", "stopped"):
                break
            time.sleep(0.3)
        assert state in ("exited", "stopped"), f"container still {state}"
        a = proc_watch.wait_for(_rule("stk proc stop container"))
        assert a is not None
        assert a["output_fields"]["container.id"] == cid2[:12]
        assert a["output_fields"]["container.name"] == "stk-sensor-c2"
        assert a["response"]["action"] == "stop" and a["response"]["result"] == "stopped"
        assert a["response"]["target"] == cid2[:12]
    finally:
        podman("rm", "-f", "-t", "0", "stk-sensor-c2", check=False)


def test_responses_logged_at_exit(proc_watch: Watch) -> None:
    status = proc_watch.stop()
    assert status["source"] == "proc"
    assert status["responses_done"].get("kill", 0) >= 1 and status["responses_done"].get("stop", 0) >= 1
    logged = [x for x in proc_watch.err_path.read_text().splitlines() if x.startswith("stockade: response ")]
    rules = {x.split('"rule": ', 2)[1].split('"')[1] for x in logged}
    assert {"stk proc kill me", "stk proc stop container"} <= rules


def test_auto_falls_back_without_bpftrace(tmp_path: Path) -> None:
    """`--source auto` (the default) on a host where bpftrace cannot be found runs the proc connector."""
    import json
    import os

    from tests.runtime.sensor.conftest import WATCH

    status = tmp_path / "status.json"
    env = {**os.environ, "PATH": str(tmp_path)}  # no bpftrace (nor anything else) on PATH
    cmd = [
        *WATCH,
        "--duration",
        "1",
        "--output",
        f"jsonl:{tmp_path / 'a.jsonl'}",
        "--status-file",
        str(status),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "eBPF unavailable (bpftrace is not installed" in done.stderr
    assert "falling back to the proc connector" in done.stderr and "source proc ready" in done.stderr
    assert json.loads(status.read_text())["source"] == "proc"
