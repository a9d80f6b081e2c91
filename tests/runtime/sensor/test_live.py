"""Real kernel events from real processes, on the host and in a real podman container, each raising the
expected upstream Falco rule with the right container attribution; a benign run raises none."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.runtime.sensor.conftest import Podman, Watch

# one worker runs them all: one sensor session, not one per pytest-xdist worker
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("ebpf-sensor")]


def _rule(name: str, **fields: Any) -> Any:
    def pred(a: dict[str, Any]) -> bool:
        of = a.get("output_fields", {})
        return a["rule"] == name and all(str(of.get(k)) == str(v) for k, v in fields.items())

    return pred


def _alert(watch: Watch, rule: str, marker: str, **fields: Any) -> dict[str, Any] | None:
    """The alert of ``rule`` (with ``fields``) for a process whose command line has ``marker``."""
    return watch.wait_for(
        lambda a: _rule(rule, **fields)(a) and marker in a["output_fields"].get("proc.cmdline", "")
    )


def _run_as(tmp_path: Path, name: str, code: str) -> None:
    """Run Python ``code`` as a program called ``name`` (a symlink to the interpreter)."""
    exe = tmp_path / name
    exe.symlink_to(os.path.realpath(sys.executable))
    subprocess.run([str(exe), "-c", code], check=True)


def test_the_sensor_says_how_records_reach_it(watch: Watch) -> None:
    """``runtime watch`` batches the kernel's wake-ups by default and says so in its status (from ready on;
    the session's sensor rewrites its status every second, so it may already be running)."""
    status = json.loads(watch.status.read_text(encoding="utf-8"))
    assert status["state"] in ("ready", "running") and status["source"] == "ebpf"
    assert status["delivery"].startswith("a wake-up per 16 records on "), status


def test_read_shadow_by_untrusted_program(watch: Watch) -> None:
    marker = "stk-shadow-reader"
    subprocess.run([sys.executable, "-c", f"open('/etc/shadow').read()  # {marker}"], check=True)
    a = watch.wait_for(
        lambda a: (
            _rule("Read sensitive file untrusted", **{"fd.name": "/etc/shadow"})(a)
            and marker in a["output_fields"].get("proc.cmdline", "")
        )
    )
    assert a is not None, watch.alerts()[-5:]
    assert a["output_fields"]["proc.name"].startswith("python")


@pytest.mark.parametrize("call", ["open", "openat2"])
def test_read_shadow_through_other_open_calls(watch: Watch, call: str) -> None:
    """musl (Alpine) opens files with open(2), not openat(2); the path of an open(2) used to reach the
    rules empty (its probe printed the wrong stored argument), so these reads raised nothing."""
    marker = f"stk-shadow-{call}"
    code = (
        f"# {marker}\n"  # (first: an argument is read as far as 199 bytes)
        "import ctypes, os\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "u64 = ctypes.c_uint64\n"
        "class How(ctypes.Structure):\n"
        "    _fields_ = [('flags', u64), ('mode', u64), ('resolve', u64)]\n"
        "how = How(0, 0, 0)\n"
        + (
            "fd = libc.syscall(2, b'/etc/shadow', 0, 0)\n"
            if call == "open"
            else "fd = libc.syscall(437, -100, b'/etc/shadow', ctypes.byref(how), ctypes.sizeof(how))\n"
        )
        + "assert fd >= 0\nos.close(fd)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    a = watch.wait_for(
        lambda a: (
            _rule("Read sensitive file untrusted", **{"fd.name": "/etc/shadow", "evt.type": call})(a)
            and marker in a["output_fields"].get("proc.cmdline", "")
        )
    )
    assert a is not None, watch.alerts()[-5:]


@pytest.mark.parametrize(
    ("cwd", "path"), [("/etc", "shadow"), ("/", "/etc//shadow"), ("/", "/tmp/../etc/./shadow")]
)
def test_read_shadow_by_a_path_that_is_not_normal(watch: Watch, cwd: str, path: str) -> None:
    # relative and unnormalised paths are resolved in user space, so the kernel filter must let them by
    marker = f"stk-shadow-{abs(hash(path))}"
    # the process exits at once: the decoder resolves a relative path against the working directory it
    # followed (fork, chdir), not /proc/PID/cwd, which is gone by then
    code = f"open({path!r}).read()  # {marker}"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=cwd)
    a = watch.wait_for(
        lambda a: (
            _rule("Read sensitive file untrusted", **{"fd.name": "/etc/shadow"})(a)
            and marker in a["output_fields"].get("proc.cmdline", "")
        )
    )
    assert a is not None, watch.alerts()[-5:]


def test_cd_then_cat_shadow(watch: Watch) -> None:
    """The shell changes directory, ``cat`` (forked from it) reads a relative path and both exit before
    the sensor sees the records: the working directory comes from the chdir and fork records."""
    marker = "stk-cd-cat"
    subprocess.run(["/bin/sh", "-c", f"cd /etc && cat shadow > /dev/null; : {marker}"], check=True, cwd="/")
    a = watch.wait_for(
        lambda a: (
            _rule("Read sensitive file untrusted", **{"fd.name": "/etc/shadow"})(a)
            and a["output_fields"].get("proc.cmdline") == "cat shadow"
        )
    )
    assert a is not None, watch.alerts()[-5:]


def test_directory_traversal_read(watch: Watch) -> None:
    marker = "stk-traversal"
    code = f"open('../../etc/passwd').read()  # {marker}"  # (cwd: see above)
    subprocess.run([sys.executable, "-c", code], check=True, cwd="/usr/lib")
    a = watch.wait_for(
        lambda a: (
            _rule("Directory traversal monitored file read", **{"fd.name": "/etc/passwd"})(a)
            and marker in a["output_fields"].get("proc.cmdline", "")
        )
    )
    assert a is not None, watch.alerts()[-5:]
    assert a["output_fields"]["fd.nameraw"] == "../../etc/passwd"


def test_symlink_over_sensitive_file(watch: Watch, tmp_path: Path) -> None:
    link = tmp_path / "shadow-link"
    os.symlink("/etc/shadow", link)
    a = watch.wait_for(_rule("Create Symlink Over Sensitive Files", **{"evt.arg.linkpath": str(link)}))
    assert a is not None


def test_memfd_exec(watch: Watch) -> None:
    code = (
        "import os\nfd = os.memfd_create('stkfileless')\n"
        "os.write(fd, open('/bin/true', 'rb').read())\n"
        "pid = os.fork()\n"
        "if pid == 0:\n    os.execve(fd, ['stkfileless'], {})\n"
        "os.waitpid(pid, 0)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    a = watch.wait_for(
        lambda a: (
            a["rule"] == "Fileless execution via memfd_create"
            and "stkfileless" in a["output_fields"].get("proc.exepath", "")
        )
    )
    assert a is not None


def test_setuid_bit(watch: Watch, tmp_path: Path) -> None:
    f = tmp_path / "suid-me"
    f.write_text("x")
    subprocess.run(["chmod", "u+s", str(f)], check=True)
    a = watch.wait_for(_rule("Set Setuid or Setgid bit", **{"evt.arg.filename": str(f)}))
    assert a is not None
    assert "S_ISUID" in a["output_fields"]["evt.arg.mode"]


def test_terminal_shell_in_container(watch: Watch, podman: Podman, container: tuple[str, str]) -> None:
    cid, image = container
    podman("exec", "-t", "stk-sensor-c1", "/bin/sh", "-c", "echo stk-tty-shell")
    a = watch.wait_for(_rule("Terminal shell in container"))
    assert a is not None
    execs = [
        e
        for e in watch.events("stk-tty-shell")
        if e.get("evt.type") == "execve"
        and e.get("proc.name") == "sh"
        and "stk-tty-shell" in str(e.get("proc.args"))
    ]
    assert execs and execs[0]["container.id"] == cid[:12]
    assert execs[0]["container.image"] == image
    assert execs[0]["proc.tty"] != 0


@pytest.mark.parametrize(
    ("path", "rule"),
    [("/etc/stk-written", "Write below etc"), ("/bin/stk-written", "Write below binary dir")],
)
def test_write_below_system_dirs_in_container(
    watch: Watch, podman: Podman, container: tuple[str, str], path: str, rule: str
) -> None:
    cid, _image = container
    podman("exec", "stk-sensor-c1", "/bin/touch", path)
    a = watch.wait_for(_rule(rule, **{"fd.name": path}))
    assert a is not None
    ev = [e for e in watch.events(path) if e.get("fd.name") == path and e.get("proc.name") == "touch"]
    assert ev and ev[0]["container.id"] == cid[:12]


def test_netcat_from_container_to_loopback(watch: Watch, podman: Podman, container: tuple[str, str]) -> None:
    cid, image = container
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    got: list[bytes] = []

    def accept() -> None:
        conn, _ = srv.accept()
        got.append(conn.recv(100))
        conn.close()

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    podman("exec", "stk-sensor-c1", "/bin/nc", "127.0.0.1", str(port), "-e", "/bin/echo")
    t.join(10)
    srv.close()
    a = watch.wait_for(_rule("Netcat Remote Code Execution in Container"))
    assert a is not None
    conns = [
        e for e in watch.events(str(port)) if e.get("evt.type") == "connect" and e.get("fd.sport") == port
    ]
    assert conns and conns[0]["container.id"] == cid[:12] and conns[0]["container.image"] == image
    assert conns[0]["fd.l4proto"] == "tcp"  # read from the socket in the kernel
    # nc -e dups the socket onto stdin/stdout: the dup carries the socket, read in the kernel at the dup
    a = watch.wait_for(
        _rule("Redirect STDOUT/STDIN to Network Connection in Container", **{"fd.rport": port})
    )
    assert a is not None, watch.alerts()[-5:]
    assert a["output_fields"]["fd.l4proto"] == "tcp" and a["output_fields"]["fd.type"] == "ipv4"
    assert a["output_fields"]["fd.name"].endswith(f"->127.0.0.1:{port}")


def test_packet_socket_in_container(watch: Watch, podman: Podman, container: tuple[str, str]) -> None:
    """busybox arping opens an AF_PACKET socket (whether or not the container may: the rule looks at the
    call); the socket's family must reach the rule by name, as Falco renders it (it used to be 17, so the
    upstream rule could not fire), and ``%evt.args`` is rendered as Falco's ``name=value`` text."""
    cid, _image = container
    podman("exec", "stk-sensor-c1", "/bin/busybox", "arping", "-c", "1", "-w", "1", "-I", "lo", "127.0.0.1",
           check=False)  # fmt: skip
    a = watch.wait_for(
        lambda a: (
            _rule("Packet socket created in container")(a)
            and "arping" in a["output_fields"].get("proc.cmdline", "")
        )
    )
    assert a is not None, watch.alerts()[-5:]
    socks = [
        e for e in watch.events("arping") if e.get("evt.type") == "socket" and e.get("proc.name") == "busybox"
    ]
    assert socks and socks[-1]["container.id"] == cid[:12]
    assert "socket_info=res=" in a["output"] and "domain=AF_PACKET" in a["output"]


PTRACE = "import ctypes; ctypes.CDLL(None).ptrace({}, {}, 0, 0)  # {}"

#: upstream stable rules, each from a real process on the host: (rule, command, text its command line has)
HOST_CASES = [
    (
        "Create Hardlink Over Sensitive Files",
        [
            sys.executable,
            "-c",
            "import os\ntry: os.link('/etc/shadow', '/nonexist-stk/l')\nexcept OSError: pass",
        ],
        "os.link",
    ),
    ("PTRACE anti-debug attempt", [sys.executable, "-c", PTRACE.format(0, 0, "stk-traceme")], "stk-traceme"),
    (
        "PTRACE attached to process",
        [sys.executable, "-c", PTRACE.format(16, 999999, "stk-attach")],
        "stk-attach",
    ),
    ("Find AWS Credentials", ["find", "/nonexist-stk/.aws/credentials"], "/nonexist-stk/.aws/credentials"),
    ("Search Private Keys or Passwords", ["grep", "-r", "BEGIN PRIVATE", "/nonexist-stk"], "BEGIN PRIVATE"),
    ("Remove Bulk Data from Disk", ["shred", "--version"], "shred --version"),
]


@pytest.mark.parametrize(("rule", "cmd", "marker"), HOST_CASES, ids=[c[0] for c in HOST_CASES])
def test_upstream_rule_from_a_host_process(watch: Watch, rule: str, cmd: list[str], marker: str) -> None:
    subprocess.run(cmd, check=False, capture_output=True)
    a = _alert(watch, rule, marker)
    assert a is not None, watch.alerts()[-5:]


def test_execution_from_dev_shm(watch: Watch) -> None:
    exe = Path(tempfile.mkdtemp(prefix="stk-", dir="/dev/shm")) / "stk-shm-true"
    try:
        shutil.copy("/bin/true", exe)
        subprocess.run([str(exe), "stk-shm"], check=True)
        a = watch.wait_for(
            lambda a: (
                a["rule"] == "Execution from /dev/shm" and "stk-shm" in a["output_fields"]["proc.cmdline"]
            )
        )
        assert a is not None, watch.alerts()[-5:]
    finally:
        shutil.rmtree(exe.parent, ignore_errors=True)


def test_clear_log_activities_through_the_kernel_filter(podman: Podman, tmp_path: Path) -> None:
    """The upstream stable rules alone, without --record, so the kernel keeps only the opens their paths
    can match: a log file named like one (``syslog``, in a private directory below /var/log) opened with
    O_TRUNC passes the kernel's suffix test on words, and "Clear Log Activities" fires."""
    from tests.runtime.sensor.conftest import UPSTREAM, skip_reason

    reason = skip_reason()
    if reason:
        pytest.skip(f"eBPF sensor cannot run: {reason}")
    w = Watch(tmp_path, podman, ["--rules", str(UPSTREAM[0]), "--source", "ebpf"], record=False)
    d = Path(tempfile.mkdtemp(prefix="stk-", dir="/var/log"))
    try:
        code = f"open({str(d / 'syslog')!r}, 'w')  # stk-clear-log"
        subprocess.run([sys.executable, "-c", code], check=True)
        a = w.wait_for(
            lambda a: (
                _rule("Clear Log Activities", **{"fd.name": str(d / "syslog")})(a)
                and "stk-clear-log" in a["output_fields"].get("proc.cmdline", "")
            )
        )
        assert a is not None, w.alerts()[-5:]
    finally:
        w.stop()
        shutil.rmtree(d, ignore_errors=True)


def test_ssh_to_a_non_standard_port(watch: Watch, tmp_path: Path) -> None:
    """Upstream "Disallowed SSH Connection Non Standard Port" needs fd.l4proto, read from the socket in
    the kernel: a program called ssh connecting out to port 443 (non-blocking: EINPROGRESS is enough)."""
    ssh = tmp_path / "ssh"
    ssh.symlink_to(os.path.realpath(sys.executable))
    code = "import socket; s = socket.socket(); s.setblocking(False); s.connect_ex(('93.184.216.34', 443))"
    subprocess.run([str(ssh), "-c", code], check=True)
    a = watch.wait_for(_rule("Disallowed SSH Connection Non Standard Port", **{"fd.rport": 443}))
    assert a is not None, watch.alerts()[-5:]
    assert a["output_fields"]["fd.l4proto"] == "tcp"


def test_server_reads_shadow_after_startup(watch: Watch, tmp_path: Path) -> None:
    """Upstream "Read sensitive file trusted after startup": a program called nginx (a server by the
    rules' lists) reads /etc/shadow more than five seconds after it started (``proc.duration``)."""
    _run_as(tmp_path, "nginx", "import time; time.sleep(5.5); open('/etc/shadow').read()  # stk-nginx")
    a = _alert(watch, "Read sensitive file trusted after startup", "stk-nginx", **{"fd.name": "/etc/shadow"})
    assert a is not None, watch.alerts()[-5:]


def test_shell_spawned_by_a_server(watch: Watch, tmp_path: Path) -> None:
    """Upstream "Run shell untrusted": a shell whose ancestor is a server (a program called nginx)."""
    _run_as(
        tmp_path, "nginx", "import subprocess; subprocess.run(['sh', '-c', 'true  # stk-untrusted-shell'])"
    )
    a = _alert(watch, "Run shell untrusted", "stk-untrusted-shell")
    assert a is not None, watch.alerts()[-5:]


def test_system_user_interactive(watch: Watch, tmp_path: Path) -> None:
    """Upstream "System user interactive": a program called login run as ``nobody``."""
    login = Path(tempfile.mkdtemp(prefix="stk-", dir="/dev/shm")) / "login"  # (a directory nobody can enter)
    login.parent.chmod(0o755)
    shutil.copy("/bin/true", login)
    code = f"import os; os.setgid(65534); os.setuid(65534); os.execv({str(login)!r}, ['login', 'stk-user'])"
    try:
        subprocess.run([sys.executable, "-c", code], check=True)
        a = _alert(watch, "System user interactive", "stk-user", **{"user.name": "nobody"})
        assert a is not None, watch.alerts()[-5:]
    finally:
        shutil.rmtree(login.parent, ignore_errors=True)


def _privileged(podman: Podman, image: str, *commands: str) -> None:
    """Run each shell command in a fresh privileged container (host network), then remove it."""
    name = "stk-sensor-priv"
    podman("run", "-d", "--privileged", "--network", "host", "--name", name, image, "/bin/sleep", "600")
    try:
        for command in commands:
            podman("exec", name, "/bin/sh", "-c", command, check=False)
    finally:
        podman("rm", "-f", "-t", "0", name, check=False)


def test_privileged_container_rules(watch: Watch, podman: Podman, container: tuple[str, str]) -> None:
    """Upstream "Debugfs Launched in Privileged Container" and "Detect release_agent File Container
    Escapes": they need the container's inspected ``container.privileged``, and the second
    ``thread.cap_effective`` on an open (thread state: it used to be on execs only, so that rule could
    never fire from the sensor)."""
    _privileged(
        podman, container[1], "ln -s /bin/busybox /tmp/debugfs; /tmp/debugfs", "echo 1 > /tmp/release_agent"
    )
    for rule in ("Debugfs Launched in Privileged Container", "Detect release_agent File Container Escapes"):
        a = watch.wait_for(_rule(rule))
        assert a is not None, (rule, watch.alerts()[-5:])


def test_kernel_module_from_a_privileged_container(
    watch: Watch, podman: Podman, container: tuple[str, str]
) -> None:
    """Upstream "Linux Kernel Module Injection Detected": init_module/finit_module with CAP_SYS_MODULE in
    a container (a module image the kernel refuses — not an ELF file: the call is what the rule sees)."""
    from stockade.runtime.source import bpfprog

    if not {"init_module", "finit_module"} & bpfprog.attachable():
        pytest.skip("this kernel has no module support (no init_module/finit_module tracepoints; ENOSYS)")
    _privileged(podman, container[1], "echo stk > /tmp/stk.ko; /bin/busybox insmod /tmp/stk.ko")
    a = watch.wait_for(_rule("Linux Kernel Module Injection Detected"))
    assert a is not None, watch.alerts()[-5:]


def test_drift_binary_in_container(watch: Watch, podman: Podman, container: tuple[str, str]) -> None:
    cid, _image = container
    podman("cp", "/bin/busybox", "stk-sensor-c1:/tmp/true")
    podman("exec", "stk-sensor-c1", "/tmp/true")
    a = watch.wait_for(_rule("Drop and execute new binary in container", **{"proc.exe": "/tmp/true"}))
    assert a is not None
    ev = [e for e in watch.events("/tmp/true") if e.get("proc.exepath") == "/tmp/true"]
    assert ev and ev[0]["container.id"] == cid[:12] and ev[0]["proc.is_exe_upper_layer"] is True


def test_benign_run_raises_nothing(watch: Watch) -> None:
    if shutil.which("cc") is None:
        pytest.skip("no C compiler (Debian package gcc)")
    before = len(watch.alerts())
    with tempfile.TemporaryDirectory(prefix="stk-benign-") as d:
        src = Path(d) / "hello.c"
        src.write_text("int main(void) { return 0; }\n")
        subprocess.run(["ls", "-l", d], check=True, capture_output=True)
        subprocess.run([sys.executable, "-c", "print(sum(range(10)))"], check=True, capture_output=True)
        subprocess.run(["cc", "-o", str(Path(d) / "hello"), str(src)], check=True, cwd=d)
        subprocess.run([str(Path(d) / "hello")], check=True)
        import time

        time.sleep(2)
    benign = {"ls", "cc", "cc1", "as", "ld", "collect2", "hello", Path(sys.executable).name}
    new = watch.alerts()[before:]
    bad = [a for a in new if a["output_fields"].get("proc.name") in benign or "stk-benign-" in a["output"]]
    assert bad == []


def test_replay_with_default_rules(watch: Watch, tmp_path: Path) -> None:
    """The recorded events, replayed with stockade's own rules, raise stockade's equivalents.  The events of
    the tests above that read, link and run what those rules look for (their lines name /etc/shadow or a
    memfd) are replayed, not the whole session's record: that can reach gigabytes while another test
    unpacks a Debian system."""
    from click.testing import CliRunner

    import stockade.cli.runtime_cmds  # noqa: F401  (registers `runtime watch`)
    from stockade.cli.rules_cmds import runtime

    copy = tmp_path / "events.jsonl"
    with watch.record.open(encoding="utf-8") as src, copy.open("w", encoding="utf-8") as out:
        out.writelines(x for x in src if x.endswith("\n") and ("/etc/shadow" in x or "memfd" in x))
    result = CliRunner().invoke(runtime, ["replay", str(copy), "--rule-matching", "all"])
    assert result.exit_code == 0, result.output
    import json

    rules = {json.loads(x)["rule"] for x in result.stdout.splitlines() if x.startswith("{")}
    assert "Credential file read by unexpected program" in rules
    assert "Link to credential file" in rules
    assert "Fileless execution" in rules


RULE_BY_NAME = """
- rule: Connect to localhost by name
  desc: fd.sip.name holds the rules' domain name its address resolved from
  condition: evt.type = connect and fd.sip.name = localhost and fd.sport = %d
  output: connect to %%fd.sip.name (%%fd.sip:%%fd.sport)
  priority: NOTICE
"""


def test_domain_name_of_the_server(podman: Podman, tmp_path: Path) -> None:
    from tests.runtime.sensor.conftest import skip_reason

    reason = skip_reason()
    if reason:
        pytest.skip(f"eBPF sensor cannot run: {reason}")
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    port = srv.getsockname()[1]
    rules = tmp_path / "names.yaml"
    rules.write_text(RULE_BY_NAME % port, encoding="utf-8")
    w = Watch(tmp_path, podman, ["--rules", str(rules), "--source", "ebpf"], record=False)
    try:
        time.sleep(1)  # (the names resolve in the background after start)
        socket.create_connection(("127.0.0.1", port)).close()
        a = w.wait_for(lambda a: a["rule"] == "Connect to localhost by name")
        assert a is not None, w.alerts()[-5:]
        assert a["output"].endswith(f"connect to localhost (127.0.0.1:{port})")
    finally:
        w.stop()
        srv.close()


RULES_BY_PATH = """
- rule: Truncate below var log
  desc: a truncating write below /var/log
  condition: evt.type in (open, openat, openat2) and evt.is_open_write = true
    and fd.directory startswith /var/log and evt.arg.flags contains O_TRUNC
  output: truncated %fd.name (command=%proc.cmdline)
  priority: WARNING
- rule: Named file written
  desc: a write of one of two file names (substring tests in the kernel)
  condition: evt.type in (open, openat, openat2) and evt.is_open_write = true
    and fd.filename in (stk-f1.log, stk-f9.log)
  output: named %fd.name (command=%proc.cmdline)
  priority: WARNING
- rule: Shadow read
  desc: a read of /etc/shadow
  condition: evt.type in (open, openat, openat2) and evt.is_open_read = true and fd.name = /etc/shadow
  output: read %fd.name (command=%proc.cmdline)
  priority: WARNING
"""


def test_rule_path_filter_in_the_kernel(podman: Podman, tmp_path: Path) -> None:
    """Without --record the kernel keeps only opens the rules can match by path (here below /var/log and
    /etc/shadow, see rules/paths.py), relative and unnormalised paths, and those still raise alerts."""
    from tests.runtime.sensor.conftest import skip_reason

    reason = skip_reason()
    if reason:
        pytest.skip(f"eBPF sensor cannot run: {reason}")
    rules = tmp_path / "paths.yaml"
    rules.write_text(RULES_BY_PATH, encoding="utf-8")
    w = Watch(tmp_path, podman, ["--rules", str(rules), "--source", "ebpf"], record=False)
    log = Path(tempfile.mkdtemp(prefix="stk-", dir="/var/log")) / "app.log"
    try:
        runs = [
            (f"open({str(log)!r}, 'w').write('x')", "/"),
            ("open('app.log', 'w').write('x')", str(log.parent)),
            (f"open('../../var/log/' + {log.parent.name!r} + '/app.log', 'w')", "/usr/lib"),
        ]
        for i, (code, cwd) in enumerate(runs):
            subprocess.run([sys.executable, "-c", f"{code}  # stk-path-{i}"], check=True, cwd=cwd)
            a = w.wait_for(
                lambda a, i=i: (
                    a["rule"] == "Truncate below var log"
                    and a["output"].endswith(f"stk-path-{i})")
                    and str(log) in a["output"]
                )
            )
            assert a is not None, (code, w.alerts()[-5:])
        # outside the prefixes: kept by the substring test "/stk-f9.log"
        named = Path(tempfile.mkdtemp(prefix="stk-", dir="/dev/shm")) / "stk-f9.log"
        subprocess.run([sys.executable, "-c", f"open({str(named)!r}, 'w')  # stk-named"], check=True)
        a = w.wait_for(lambda a: a["rule"] == "Named file written" and str(named) in a["output"])
        assert a is not None, w.alerts()[-5:]
        shutil.rmtree(named.parent, ignore_errors=True)
    finally:
        w.stop()
        shutil.rmtree(log.parent, ignore_errors=True)
