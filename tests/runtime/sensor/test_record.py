"""``watch --record``: the recording is buffered, but the events an alert was raised on are on disk before the
alert reaches a sink, so whoever reads an alert can read its evidence (the live tests do)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import orjson

from stockade.runtime.rules.engine import Engine
from stockade.runtime.rules.ruleset import load_ruleset
from stockade.runtime.sensor import Sensor

RULE = """
- rule: Read marker
  desc: test
  condition: evt.type = openat and fd.name = /tmp/marker
  output: read %fd.name
  priority: WARNING
"""


class _Sink:
    def __init__(self, record: Path) -> None:
        self.record = record
        self.seen_on_disk: list[list[dict[str, Any]]] = []

    def emit(self, alert: dict[str, Any]) -> None:
        lines = self.record.read_bytes().split(b"\n")[:-1]
        self.seen_on_disk.append([orjson.loads(x) for x in lines])

    def close(self) -> None:
        pass


def _ev(n: int, name: str) -> dict[str, Any]:
    return {"evt.type": "openat", "evt.dir": "<", "evt.num": n, "fd.name": name, "evt.time": n}


def test_alert_evidence_is_flushed_before_the_alert(tmp_path: Path) -> None:
    rs = load_ruleset(texts=[(textwrap.dedent(RULE), "r.yaml")])
    record = tmp_path / "events.jsonl"
    sink = _Sink(record)
    with record.open("ab", buffering=1 << 20) as rec:
        sensor = Sensor(Engine(rs, hostname="h"), [sink], record=rec)
        for n in range(50):
            assert sensor.process(_ev(n, f"/tmp/other{n}")) == []
        assert record.read_bytes() == b"", "quiet events stay in the buffer (no write per event)"
        assert len(sensor.process(_ev(50, "/tmp/marker"))) == 1
    assert len(sink.seen_on_disk) == 1
    on_disk = sink.seen_on_disk[0]
    assert [e["evt.num"] for e in on_disk] == list(range(51))
    assert on_disk[-1]["fd.name"] == "/tmp/marker"


NET_RULES = """
- rule: Port 4444
  desc: test
  condition: evt.type = connect and fd.sport = 4444 and proc.name != nc
  output: connect %fd.name
  priority: WARNING
- rule: Shell
  desc: test
  condition: evt.type = execve and proc.name = sh
  output: shell
  priority: WARNING
"""


class _CountingEnricher:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def enrich(self, ev: dict[str, Any]) -> dict[str, Any]:
        self.seen.append(f"{ev['evt.type']}:{ev.get('fd.sport', '')}")
        return {**ev, "proc.name": "sh"}


def _net(n: int, port: int) -> dict[str, Any]:
    return {"evt.type": "connect", "evt.num": n, "fd.type": "ipv4", "fd.sip": "10.0.0.1", "fd.sport": port}


def test_events_no_rule_can_match_are_not_enriched(tmp_path: Path) -> None:
    engine = Engine(load_ruleset(texts=[(textwrap.dedent(NET_RULES), "r.yaml")]), hostname="h")
    enricher = _CountingEnricher()
    sensor = Sensor(engine, [], enricher=enricher)  # type: ignore[arg-type]
    assert sensor.process(_net(1, 80)) == []  # no rule for port 80: neither enriched nor matched
    assert len(sensor.process(_net(2, 4444))) == 1  # enriched (proc.name comes from enrichment)
    assert sensor.process({"evt.type": "chdir", "evt.num": 3}) == []  # no rule names chdir
    assert len(sensor.process({"evt.type": "execve", "evt.num": 4, "proc.name": "x"})) == 1
    assert sensor.process({"evt.type": "procexit", "evt.num": 5}) == []  # lifecycle: enriched anyway
    assert enricher.seen == ["connect:4444", "execve:", "procexit:"]
    assert sensor.stats.skipped == 2 and sensor.stats.to_dict()["unmatchable"] == 2
    # a recording keeps every event whole: each is enriched
    with (tmp_path / "rec.jsonl").open("ab") as rec:
        recording = Sensor(engine, [], enricher=_CountingEnricher(), record=rec)  # type: ignore[arg-type]
        recording.process(_net(6, 80))
        assert recording.stats.skipped == 0


class _InterruptedSource:
    """Yields one event, then Ctrl-C arrives; it still holds one event, and counted loss and bad lines."""

    lost = 2
    malformed = 3

    def events(self, until: float | None = None) -> Any:
        yield _ev(1, "/tmp/marker")
        raise KeyboardInterrupt

    def drain(self) -> Any:
        yield _ev(2, "/tmp/marker")


def test_ctrl_c_drains_the_source_and_keeps_its_counts() -> None:
    sensor = Sensor(Engine(load_ruleset(texts=[(textwrap.dedent(RULE), "r.yaml")]), hostname="h"), [])
    try:
        sensor.run(_InterruptedSource())  # type: ignore[arg-type]
    except KeyboardInterrupt:
        pass
    else:
        raise AssertionError("the interrupt must reach the caller")
    assert (sensor.stats.events, sensor.stats.alerts) == (2, 2)
    assert (sensor.stats.lost, sensor.stats.malformed) == (2, 3)


def test_a_name_that_is_not_utf8_is_recorded_and_alerted_on_and_the_sensor_goes_on(tmp_path: Path) -> None:
    """A file name that is not UTF-8 reaches the sensor as surrogate escapes (``os.fsdecode``); orjson
    refuses them, and the sensor stopped with an internal error at the first one (seen recording this
    host).  It is written with U+FFFD where the bad bytes were, and the next events go on."""
    import os

    rs = load_ruleset(
        texts=[
            (textwrap.dedent(RULE.replace("fd.name = /tmp/marker", "fd.name startswith /tmp/mark")), "r.yaml")
        ]
    )
    record = tmp_path / "events.jsonl"
    bad = os.fsdecode(b"/tmp/mark\xff\xfe")
    lines: list[str] = []

    class Lines:
        def emit(self, alert: dict[str, Any]) -> None:
            from stockade.runtime.sink.sinks import _line

            lines.append(_line(alert))

        def close(self) -> None:
            pass

    with record.open("ab") as rec:
        sensor = Sensor(Engine(rs, hostname="h"), [Lines()], record=rec)
        assert len(sensor.process(_ev(1, bad))) == 1
        assert len(sensor.process(_ev(2, "/tmp/marker"))) == 1
    events = [orjson.loads(x) for x in record.read_bytes().splitlines()]
    assert [e["fd.name"] for e in events] == ["/tmp/mark\ufffd\ufffd", "/tmp/marker"]
    assert [orjson.loads(x)["output_fields"]["fd.name"] for x in lines] == [
        "/tmp/mark\ufffd\ufffd",
        "/tmp/marker",
    ]
