"""`runtime watch` with stockade's own default rule set (no --rules), eBPF source: the same real actions as
the upstream-rules session raise stockade's rules, with the right container attribution; a rule given an
action without --respond only counts what it would have done (monitor mode)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.runtime.sensor.conftest import Podman, Watch, skip_reason

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("ebpf-sensor")]

CRED = "Credential file read by unexpected program"


@pytest.fixture(scope="module")
def default_watch(
    podman: Podman, container: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Watch]:
    reason = skip_reason()
    if reason:
        pytest.skip(f"eBPF sensor cannot run: {reason}")
    w = Watch(tmp_path_factory.mktemp("defwatch"), podman, ["--source", "ebpf", "--action", f"{CRED}=kill"])
    try:
        yield w
    finally:
        w.stop()


def _rule(name: str, **fields: Any) -> Callable[[dict[str, Any]], bool]:
    def pred(a: dict[str, Any]) -> bool:
        of = a.get("output_fields", {})
        return a["rule"] == name and all(str(of.get(k)) == str(v) for k, v in fields.items())

    return pred


def test_credential_read_monitor_mode(default_watch: Watch) -> None:
    code = (
        "import sys, time; open('/etc/shadow').read(); sys.stdout.write('r\\n'); sys.stdout.flush(); "
        "time.sleep(30)"
    )
    reader = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    try:
        assert reader.stdout is not None and reader.stdout.readline() == b"r\n"
        a = default_watch.wait_for(_rule(CRED, **{"fd.name": "/etc/shadow", "container.id": "host"}))
        assert a is not None, default_watch.alerts()[-3:]
        assert a["output_fields"]["proc.name"].startswith("python")
        assert a["response"]["mode"] == "monitor" and a["response"]["action"] == "kill"
        assert reader.poll() is None, "monitor mode must not kill"
    finally:
        reader.kill()
        reader.wait()


def test_host_file_actions(default_watch: Watch, tmp_path: Path) -> None:
    link = tmp_path / "shadow-link"
    os.symlink("/etc/shadow", link)
    f = tmp_path / "suid-me"
    f.write_text("x")
    subprocess.run(["chmod", "u+s", str(f)], check=True)
    shm = Path("/dev/shm/stk-shm-true")
    shutil.copy("/bin/true", shm)
    try:
        subprocess.run([str(shm)], check=True)
    finally:
        shm.unlink()
    memfd = (
        "import os\nfd = os.memfd_create('stkdefmemfd')\nos.write(fd, open('/bin/true', 'rb').read())\n"
        "pid = os.fork()\nif pid == 0:\n    os.execve(fd, ['stkdefmemfd'], {})\nos.waitpid(pid, 0)\n"
    )
    subprocess.run([sys.executable, "-c", memfd], check=True)
    checks = [
        _rule("Link to credential file", **{"evt.arg.linkpath": str(link)}),
        _rule("Setuid or setgid bit set", **{"evt.arg.filename": str(f)}),
        _rule("Execution from shared memory", **{"proc.exepath": str(shm)}),
        lambda a: (
            a["rule"] == "Fileless execution" and "stkdefmemfd" in a["output_fields"].get("proc.exepath", "")
        ),
    ]
    missing = [i for i, c in enumerate(checks) if default_watch.wait_for(c, timeout=10) is None]
    assert missing == [], [a["rule"] for a in default_watch.alerts()]


def test_container_actions(default_watch: Watch, podman: Podman, container: tuple[str, str]) -> None:
    cid, image = container
    short, repo = cid[:12], image.rsplit(":", 1)[0]
    podman("exec", "-t", "stk-sensor-c1", "/bin/sh", "-c", "echo stk-default-tty")
    podman("exec", "stk-sensor-c1", "/bin/touch", "/etc/stk-default-w", "/bin/stk-default-w")
    podman("exec", "stk-sensor-c1", "/bin/busybox", "mkdir", "-p", "/tmp/stkd")
    podman("cp", "/bin/busybox", "stk-sensor-c1:/tmp/stkd/true")  # busybox picks the applet by name
    podman("exec", "stk-sensor-c1", "/tmp/stkd/true")
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]

    def accept() -> None:
        conn, _ = srv.accept()
        conn.recv(100)
        conn.close()

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    podman("exec", "stk-sensor-c1", "/bin/nc", "127.0.0.1", str(port), "-e", "/bin/echo")
    t.join(10)
    srv.close()
    where = {"container.id": short, "container.image.repository": repo}
    expected = {
        "Interactive shell in container": {},
        "System configuration written": {"fd.name": "/etc/stk-default-w"},
        "System binary directory written": {"fd.name": "/bin/stk-default-w"},
        "Dropped binary executed in container": {"proc.exepath": "/tmp/stkd/true"},
        "Netcat with command execution in container": {},
    }
    missing = [
        name
        for name, fields in expected.items()
        if default_watch.wait_for(_rule(name, **where, **fields), timeout=10) is None
    ]
    assert missing == [], [
        (a["rule"], a["output_fields"].get("container.id")) for a in default_watch.alerts()
    ]


def test_status_counts_would_be_actions(default_watch: Watch) -> None:
    status = default_watch.stop()
    assert status["source"] == "ebpf"
    assert status["responses_would"].get("kill", 0) >= 1 and status["responses_done"] == {}
    assert status["by_rule"].get(CRED, 0) >= 1
