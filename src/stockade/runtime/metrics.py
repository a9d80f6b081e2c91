"""A running sensor's counters, live: Prometheus text and a periodic snapshot.

The sensor's status (:meth:`stockade.runtime.sensor.Stats.to_dict` plus what the CLI adds: source, lost
events, responses) is the one source of truth; this module renders it in the Prometheus text exposition
format 0.0.4 (https://prometheus.io/docs/instrumenting/exposition_formats/) and refreshes it while the
sensor runs, for a file a node exporter's textfile collector reads, and for an HTTP ``/metrics`` endpoint a
Prometheus server scrapes.  Counters are ``*_total`` and only grow within a run; a restart starts them
again at zero (``stockade_runtime_start_time_seconds`` changes, which Prometheus' ``rate()`` copes with).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Status = Mapping[str, Any]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

#: status key → (metric, type, help); counters of the whole run
_SCALARS = (
    ("events", "stockade_runtime_events_total", "counter", "Events the sensor took from its source."),
    ("alerts", "stockade_runtime_alerts_total", "counter", "Alerts raised, all rules."),
    (
        "lost_events",
        "stockade_runtime_lost_events_total",
        "counter",
        "Events the source lost (kernel buffers full): detection was incomplete while this grew.",
    ),
    ("malformed", "stockade_runtime_malformed_records_total", "counter", "Source records not understood."),
    (
        "unmatchable",
        "stockade_runtime_unmatchable_events_total",
        "counter",
        "Events no loaded rule could match, skipped before enrichment.",
    ),
    (
        "late",
        "stockade_runtime_late_records_total",
        "counter",
        "Kernel records that arrived after later ones had been decoded, and were decoded out of order.",
    ),
    (
        "inspect_timeouts",
        "stockade_runtime_inspect_timeouts_total",
        "counter",
        "Container inspects given up as too slow (the events meanwhile carried only the container id).",
    ),
    (
        "output_failures",
        "stockade_runtime_output_failures_total",
        "counter",
        "Alerts an output (webhook, syslog over the network) failed to deliver.",
    ),
    (
        "output_dropped",
        "stockade_runtime_output_dropped_total",
        "counter",
        "Alerts a webhook output dropped: its queue was full, or still held at the end of the run.",
    ),
    ("seconds", "stockade_runtime_uptime_seconds", "gauge", "Seconds since the sensor started."),
    ("events_per_second", "stockade_runtime_events_per_second", "gauge", "Mean event rate of this run."),
)


def _label(value: object) -> str:
    """A label value, escaped as the exposition format requires (backslash, double quote, line feed)."""
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def prometheus(status: Status, started: float) -> str:
    """``status`` (a sensor status, as the status file has it) as Prometheus text; ``started`` is the
    sensor's start, in seconds since the epoch."""
    out: list[str] = []

    def family(name: str, kind: str, text: str) -> None:
        out.append(f"# HELP {name} {text}")
        out.append(f"# TYPE {name} {kind}")

    family("stockade_runtime_up", "gauge", "1 while the sensor runs; 0 in its last snapshot.")
    out.append(f"stockade_runtime_up {0 if status.get('state') == 'done' else 1}")
    family("stockade_runtime_start_time_seconds", "gauge", "When the sensor started (Unix time).")
    out.append(f"stockade_runtime_start_time_seconds {started:.3f}")
    info = {k: status[k] for k in ("source", "delivery") if status.get(k)}
    family("stockade_runtime_info", "gauge", "The active event source and how its records are delivered.")
    out.append("stockade_runtime_info{" + ",".join(f'{k}="{_label(v)}"' for k, v in info.items()) + "} 1")
    for key, name, kind, text in _SCALARS:
        value = status.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            family(name, kind, text)
            out.append(f"{name} {value}")
    by_rule = status.get("by_rule") or {}
    family("stockade_runtime_rule_alerts_total", "counter", "Alerts raised, by rule.")
    for rule, n in sorted(by_rule.items()):
        out.append(f'stockade_runtime_rule_alerts_total{{rule="{_label(rule)}"}} {n}')
    family("stockade_runtime_responses_total", "counter", "Responses by action: done (--respond) or would.")
    for mode in ("would", "done"):
        for action, n in sorted((status.get(f"responses_{mode}") or {}).items()):
            out.append(f'stockade_runtime_responses_total{{action="{_label(action)}",mode="{mode}"}} {n}')
    return "\n".join(out) + "\n"


class Periodic:
    """Calls ``tick`` every ``interval`` seconds on a daemon thread until :meth:`stop` (which does not call
    it again: the caller writes the final snapshot itself).  An exception in ``tick`` is kept in
    :attr:`error` and stops the thread; the sensor goes on."""

    def __init__(self, interval: float, tick: Callable[[], None]) -> None:
        self.interval, self.tick = interval, tick
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stockade-status", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.tick()
            except Exception as exc:  # (a full disk, a removed directory …)
                self.error = exc
                return

    def stop(self) -> None:
        self._stop.set()
        if self._thread.ident is not None:  # (started)
            self._thread.join(timeout=5)


class MetricsServer:
    """``GET /metrics`` (and ``/``) answered with ``render()``, on a daemon thread; anything else 404."""

    def __init__(self, host: str, port: int, render: Callable[[], str]) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # (the name http.server calls)
                if self.path.split("?", 1)[0] not in ("/metrics", "/"):
                    self.send_error(404, "only /metrics is served here")
                    return
                body = render().encode()
                self.send_response(200)
                self.send_header("Content-Type", CONTENT_TYPE)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # quiet: no access log
                return

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(
            target=self.server.serve_forever, name="stockade-metrics", daemon=True
        )

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.server.server_address[:2]
        return str(host), int(port)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
