"""Alert sinks: ``stdout``, ``jsonl:FILE``, ``webhook:URL`` (HTTP POST of each alert as JSON), ``syslog``.

Each alert is Falco's JSON output shape (:meth:`stockade.model.alert.Alert.to_dict`) plus, when the sensor
adds them, ``lost_events`` and ``response``.
"""

from __future__ import annotations

import json
import sys
import syslog
import urllib.request
from typing import IO, Any

from stockade.errors import InputError

SYSLOG_LEVELS = {
    "Emergency": syslog.LOG_EMERG, "Alert": syslog.LOG_ALERT, "Critical": syslog.LOG_CRIT,
    "Error": syslog.LOG_ERR, "Warning": syslog.LOG_WARNING, "Notice": syslog.LOG_NOTICE,
    "Informational": syslog.LOG_INFO, "Debug": syslog.LOG_DEBUG,
}  # fmt: skip


def _line(alert: dict[str, Any]) -> str:
    return json.dumps(alert, sort_keys=True, default=str)


class StreamSink:
    def __init__(self, stream: IO[str], owned: bool = False) -> None:
        self.stream, self.owned = stream, owned

    def emit(self, alert: dict[str, Any]) -> None:
        self.stream.write(_line(alert) + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.owned:
            self.stream.close()


class WebhookSink:
    def __init__(self, url: str, timeout: float = 5.0) -> None:
        self.url, self.timeout, self.failures = url, timeout, 0

    def emit(self, alert: dict[str, Any]) -> None:
        req = urllib.request.Request(
            self.url, data=_line(alert).encode(), headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                resp.read()
        except OSError:
            self.failures += 1

    def close(self) -> None:
        pass


class SyslogSink:
    def __init__(self) -> None:
        syslog.openlog("stockade", syslog.LOG_PID, syslog.LOG_DAEMON)

    def emit(self, alert: dict[str, Any]) -> None:
        syslog.syslog(SYSLOG_LEVELS.get(str(alert.get("priority")), syslog.LOG_WARNING), _line(alert))

    def close(self) -> None:
        syslog.closelog()


def open_sink(spec: str, stdout: IO[str] | None = None) -> StreamSink | WebhookSink | SyslogSink:
    if spec == "stdout":
        return StreamSink(stdout or sys.stdout)
    if spec.startswith("jsonl:"):
        return StreamSink(open(spec[6:], "a", encoding="utf-8"), owned=True)
    if spec.startswith("webhook:"):
        url = spec[8:]
        if not url.startswith(("http://", "https://")):
            raise InputError(f"webhook output needs an http(s) URL, not {url!r}")
        return WebhookSink(url)
    if spec == "syslog":
        return SyslogSink()
    raise InputError(f"unknown output {spec!r}: expected stdout, jsonl:FILE, webhook:URL or syslog")
