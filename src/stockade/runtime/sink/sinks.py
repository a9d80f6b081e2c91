"""Alert sinks: ``stdout``, ``jsonl:FILE``, ``webhook:URL`` (HTTP POST of each alert as JSON), ``syslog``.

``syslog`` goes through syslog(3) (``/dev/log``); ``syslog:udp://HOST:PORT`` and ``syslog:unix:///PATH``
send the same message to a remote collector or another datagram socket, framed as RFC 3164 (BSD syslog):
``<PRI>Mmm dd hh:mm:ss HOST stockade[PID]: MSG`` with PRI = facility daemon (3) * 8 + severity.

Each alert is Falco's JSON output shape (:meth:`stockade.model.alert.Alert.to_dict`) plus, when the sensor
adds them, ``lost_events`` and ``response``.
"""

from __future__ import annotations

import contextlib
import os
import queue
import socket
import sys
import syslog
import threading
import time
import urllib.request
from typing import IO, Any

from stockade._internal import jsonsafe
from stockade.errors import InputError

#: alerts a webhook output holds while its endpoint is slow; past that they are dropped (and counted)
WEBHOOK_QUEUE = 10_000
#: how long the end of a run waits for a webhook output to deliver what it holds
WEBHOOK_CLOSE_WAIT = 10.0

SYSLOG_LEVELS = {
    "Emergency": syslog.LOG_EMERG, "Alert": syslog.LOG_ALERT, "Critical": syslog.LOG_CRIT,
    "Error": syslog.LOG_ERR, "Warning": syslog.LOG_WARNING, "Notice": syslog.LOG_NOTICE,
    "Informational": syslog.LOG_INFO, "Debug": syslog.LOG_DEBUG,
}  # fmt: skip


def _line(alert: dict[str, Any]) -> str:
    """The alert as one line of JSON, keys sorted (Falco's own output is compact JSON too); orjson, ~10×
    faster than the standard library's encoder, which an alert storm would feel; text that is not UTF-8
    and integers past 64 bits as :mod:`stockade._internal.jsonsafe` writes them."""
    return jsonsafe.dumps(alert, sort_keys=True).decode()


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
    """POSTs each alert from a thread of its own, through a queue of :data:`WEBHOOK_QUEUE` alerts: a slow
    or unreachable endpoint never holds up the sensor (each POST may take ``timeout`` seconds, and an alert
    storm brings thousands).  An alert that finds the queue full is dropped from this output and counted
    (``dropped``), as are POSTs that fail (``failures``: refused, timed out, HTTP error).  At the end the
    queued alerts are delivered for at most :data:`WEBHOOK_CLOSE_WAIT` seconds; what is left then is
    counted as dropped."""

    def __init__(self, url: str, timeout: float = 5.0, capacity: int | None = None) -> None:
        self.url, self.timeout = url, timeout
        self.sent = 0
        self.failures = 0
        self.dropped = 0
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=capacity or WEBHOOK_QUEUE)
        self._abandon = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stockade-webhook", daemon=True)
        self._thread.start()

    def emit(self, alert: dict[str, Any]) -> None:
        try:
            self._queue.put_nowait(_line(alert).encode())
        except queue.Full:
            self.dropped += 1

    def _run(self) -> None:
        while True:
            body = self._queue.get()
            if body is None:
                return
            if self._abandon.is_set():
                self.dropped += 1
                continue
            req = urllib.request.Request(
                self.url, data=body, headers={"Content-Type": "application/json"}, method="POST"
            )
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                    resp.read()
                self.sent += 1
            except OSError:  # (urllib's HTTPError and URLError are OSErrors)
                self.failures += 1

    def close(self) -> None:
        deadline = time.monotonic() + WEBHOOK_CLOSE_WAIT
        with contextlib.suppress(queue.Full):
            self._queue.put(None, timeout=WEBHOOK_CLOSE_WAIT)
        self._thread.join(timeout=max(0.0, deadline - time.monotonic()))
        if self._thread.is_alive():  # the rest is given up: the thread counts it as dropped, fast
            self._abandon.set()
            with contextlib.suppress(queue.Full):
                self._queue.put(None, timeout=self.timeout + 1)
            self._thread.join(timeout=self.timeout + 1)


class SyslogSink:
    def __init__(self) -> None:
        syslog.openlog("stockade", syslog.LOG_PID, syslog.LOG_DAEMON)

    def emit(self, alert: dict[str, Any]) -> None:
        syslog.syslog(SYSLOG_LEVELS.get(str(alert.get("priority")), syslog.LOG_WARNING), _line(alert))

    def close(self) -> None:
        syslog.closelog()


class NetSyslogSink:
    """RFC 3164 messages over UDP or a unix datagram socket."""

    def __init__(self, address: str) -> None:
        self.failures = 0
        self.host = socket.gethostname()
        if address.startswith("udp://"):
            host, _, port = address[6:].rpartition(":")
            if not host or not port.isdigit():
                raise InputError(f"syslog UDP address needs HOST:PORT, not {address!r}")
            family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
            self.sock = socket.socket(family, socket.SOCK_DGRAM)
            self.dest: str | tuple[str, int] = (host.strip("[]"), int(port))
        elif address.startswith("unix://"):
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self.dest = address[7:]
        else:
            raise InputError(f"syslog address must be udp://HOST:PORT or unix:///PATH, not {address!r}")

    def emit(self, alert: dict[str, Any]) -> None:
        pri = syslog.LOG_DAEMON | SYSLOG_LEVELS.get(str(alert.get("priority")), syslog.LOG_WARNING)
        now = time.localtime()
        stamp = f"{time.strftime('%b', now)} {now.tm_mday:2d} {time.strftime('%H:%M:%S', now)}"
        msg = f"<{pri}>{stamp} {self.host} stockade[{os.getpid()}]: {_line(alert)}"
        try:
            self.sock.sendto(msg.encode(), self.dest)
        except OSError:
            self.failures += 1

    def close(self) -> None:
        self.sock.close()


def open_sink(
    spec: str, stdout: IO[str] | None = None
) -> StreamSink | WebhookSink | SyslogSink | NetSyslogSink:
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
    if spec.startswith("syslog:"):
        return NetSyslogSink(spec[7:])
    raise InputError(
        f"unknown output {spec!r}: expected stdout, jsonl:FILE, webhook:URL, syslog or syslog:udp://HOST:PORT"
    )
