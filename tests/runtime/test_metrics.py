"""Live counters of `runtime watch`: Prometheus text (checked with Prometheus' own parser), the periodic
status, the /metrics endpoint, and whole-file rewrites."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from stockade._internal import atomicfile
from stockade.runtime.metrics import CONTENT_TYPE, MetricsServer, Periodic, prometheus

STOCKADE = str(Path(sys.executable).with_name("stockade"))
STABLE = Path(__file__).resolve().parents[3] / "shared" / "rules" / "falco" / "falco_rules.yaml"

ODD_RULE = 'Rule with "quotes", a \\ backslash\nand a new line'
STATUS = {
    "state": "running", "source": "ebpf", "delivery": "a wake-up per 16 records", "events": 120,
    "alerts": 3, "lost_events": 7, "malformed": 1, "unmatchable": 90, "seconds": 12.5,
    "events_per_second": 9.6, "by_rule": {"Read sensitive file untrusted": 2, ODD_RULE: 1},
    "responses_would": {"kill": 2}, "responses_done": {},
}  # fmt: skip


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_prometheus_text_parses_with_prometheus_own_parser() -> None:
    text = prometheus(STATUS, started=1_700_000_000.25)
    got = samples(text)
    assert got[("stockade_runtime_up", ())] == 1
    assert got[("stockade_runtime_start_time_seconds", ())] == 1_700_000_000.25
    assert got[("stockade_runtime_events_total", ())] == 120
    assert got[("stockade_runtime_lost_events_total", ())] == 7
    assert got[("stockade_runtime_malformed_records_total", ())] == 1
    assert got[("stockade_runtime_unmatchable_events_total", ())] == 90
    assert got[("stockade_runtime_alerts_total", ())] == 3
    assert got[("stockade_runtime_rule_alerts_total", (("rule", "Read sensitive file untrusted"),))] == 2
    assert got[("stockade_runtime_rule_alerts_total", (("rule", ODD_RULE),))] == 1  # escaped and back
    assert got[("stockade_runtime_responses_total", (("action", "kill"), ("mode", "would")))] == 2
    info = (("delivery", "a wake-up per 16 records"), ("source", "ebpf"))
    assert got[("stockade_runtime_info", info)] == 1
    kinds = {fam.name: fam.type for fam in text_string_to_metric_families(text)}
    assert kinds["stockade_runtime_events"] == "counter" and kinds["stockade_runtime_up"] == "gauge"
    done = samples(prometheus({**STATUS, "state": "done"}, started=0))
    assert done[("stockade_runtime_up", ())] == 0


def test_a_status_without_counters_yet_still_parses() -> None:
    got = samples(prometheus({"state": "ready", "source": "proc"}, started=1.0))
    assert got[("stockade_runtime_up", ())] == 1
    assert not any(name == "stockade_runtime_events_total" for name, _ in got)


def test_periodic_ticks_until_stopped_and_keeps_its_error() -> None:
    ticks: list[float] = []
    p = Periodic(0.05, lambda: ticks.append(time.monotonic()))
    p.start()
    time.sleep(0.4)
    p.stop()
    n = len(ticks)
    assert n >= 3
    time.sleep(0.15)
    assert len(ticks) == n  # no tick after stop
    Periodic(1, lambda: None).stop()  # stopping one never started is fine

    def boom() -> None:
        raise OSError(28, "No space left on device")

    bad = Periodic(0.02, boom)
    bad.start()
    time.sleep(0.2)
    bad.stop()
    assert isinstance(bad.error, OSError) and "No space" in str(bad.error)


def test_metrics_server_serves_only_metrics() -> None:
    calls = []

    def render() -> str:
        calls.append(1)
        return prometheus(STATUS, started=1.0)

    server = MetricsServer("127.0.0.1", 0, render)
    server.start()
    host, port = server.address
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/metrics", timeout=5) as resp:
            assert resp.status == 200 and resp.headers["Content-Type"] == CONTENT_TYPE
            assert samples(resp.read().decode())[("stockade_runtime_events_total", ())] == 120
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(f"http://{host}:{port}/other", timeout=5)
        assert err.value.code == 404
        assert len(calls) == 1  # rendered per scrape of /metrics only
    finally:
        server.stop()


def test_atomic_write_replaces_whole_keeps_mode_and_writes_into_a_fifo(tmp_path: Path) -> None:
    target = tmp_path / "status.json"
    atomicfile.write(str(target), "first")
    os.chmod(target, 0o640)
    atomicfile.write(str(target), b"second")
    assert target.read_text() == "second" and stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["status.json"]  # no temporary file left
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    atomicfile.write(str(fifo), "through")
    reader.join(5)
    assert got == [b"through"] and stat.S_ISFIFO(fifo.stat().st_mode)
    with pytest.raises(OSError):
        atomicfile.write(str(tmp_path / "missing" / "x"), "y")


SHELL_ALERT = {
    "hostname": "node-1", "priority": "Notice", "rule": "Terminal shell in container", "source": "syscall",
    "time": "2024-05-14T09:12:33.541286021Z", "output": "A shell was spawned",
    "output_fields": {
        "container.id": "4f2b1c9d8e7a", "container.image.repository": "docker.io/library/nginx",
        "evt.type": "execve", "proc.name": "bash", "proc.tty": 34816, "proc.exepath": "/usr/bin/bash",
        "proc.pname": "runc", "user.name": "root", "evt.dir": "<", "evt.arg.flags": "EXE_LOWER_LAYER",
    },
}  # fmt: skip


def _wait(pred: Any, timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = pred()
        if got:
            return got
        time.sleep(0.05)
    raise AssertionError("timed out")


def _json(path: Path) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data


def test_watch_keeps_status_and_metrics_current_while_it_runs(tmp_path: Path) -> None:
    """A source that stays open (a FIFO): the status file and the metrics file show the first alert while
    the sensor still runs, /metrics serves it, and the last snapshot says the sensor is done."""
    if not STABLE.exists():
        pytest.skip(f"upstream Falco rules not found at {STABLE}")
    fifo, status, metrics = tmp_path / "in.fifo", tmp_path / "status.json", tmp_path / "metrics.prom"
    os.mkfifo(fifo)
    cmd = [
        STOCKADE, "runtime", "watch", "--source", "falco-json", "--input", str(fifo), "--rules", str(STABLE),
        "--output", f"jsonl:{tmp_path / 'alerts.jsonl'}", "--status-file", str(status),
        "--metrics", str(metrics), "--metrics-listen", "127.0.0.1:0", "--status-interval", "0.2",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    try:
        with open(fifo, "w") as feed:  # (opens once the sensor opened its end)
            feed.write(json.dumps(SHELL_ALERT) + "\n")
            feed.flush()
            running = _wait(
                lambda: (s := _json(status)) and s.get("state") == "running" and s["alerts"] == 1 and s
            )
            assert running["by_rule"] == {"Terminal shell in container": 1}
            text = _wait(lambda: metrics.exists() and metrics.read_text())
            got = _wait(
                lambda: (g := samples(metrics.read_text())).get(("stockade_runtime_alerts_total", ())) and g
            )
            assert got[("stockade_runtime_up", ())] == 1 and text
            assert proc.stderr is not None
            line = _wait(lambda: proc.stderr.readline())
            while "metrics at http://" not in line:
                line = proc.stderr.readline()
            url = line.split("metrics at ", 1)[1].strip()
            with urllib.request.urlopen(url, timeout=5) as resp:
                scraped = samples(resp.read().decode())
            assert (
                scraped[("stockade_runtime_rule_alerts_total", (("rule", "Terminal shell in container"),))]
                == 1
            )
            assert proc.poll() is None  # all of the above while it runs
        assert proc.wait(timeout=30) == 0  # the input ended
    finally:
        if proc.poll() is None:
            proc.kill()
    final = _json(status)
    assert final is not None and final["state"] == "done" and final["events"] == 1
    assert samples(metrics.read_text())[("stockade_runtime_up", ())] == 0


def test_an_unwritable_metrics_file_is_a_clear_error(tmp_path: Path) -> None:
    alerts = tmp_path / "in.jsonl"
    alerts.write_text(json.dumps(SHELL_ALERT) + "\n")
    bad = tmp_path / "missing" / "m.prom"
    r = subprocess.run(
        [
            STOCKADE,
            "runtime",
            "watch",
            "--source",
            "falco-json",
            "--input",
            str(alerts),
            "--metrics",
            str(bad),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode != 0
    assert f"stockade: error: {bad}: cannot write: No such file or directory" in r.stderr
    assert "Traceback" not in r.stderr
