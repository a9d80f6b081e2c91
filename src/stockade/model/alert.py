"""An alert: a rule matched an event.  Pure data; :meth:`Alert.to_dict` is Falco's JSON output shape.

Falco's JSON alert (https://falco.org/docs/concepts/outputs/formatting/, ``json_output: true``) has the keys
``time`` (RFC 3339 with nanoseconds, UTC), ``rule``, ``priority`` (capitalised: ``Warning``), ``output`` (the
formatted line, prefixed by the time and priority), ``output_fields`` (each ``%field`` of the rule's output,
``null`` where the event has no value), ``source``, ``tags`` and ``hostname``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import orjson

from stockade.model.fastinit import faster_init

#: the last whole second :func:`rfc3339_ns` formatted, and its text: the alerts of a stream fall in the same
#: second far more often than not, and ``datetime`` formatting costs ~4 µs (a quarter of an alert's JSON)
_LAST_SECOND: tuple[int, str] = (0, "1970-01-01T00:00:00")


def rfc3339_ns(ns: int) -> str:
    """``2024-05-01T12:00:00.123456789Z`` for ``ns`` nanoseconds since the epoch."""
    global _LAST_SECOND
    seconds, frac = divmod(ns, 1_000_000_000)
    last, base = _LAST_SECOND  # (one tuple read: safe against another thread's update)
    if seconds != last:
        base = dt.datetime.fromtimestamp(seconds, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
        _LAST_SECOND = (seconds, base)
    return f"{base}.{frac:09d}Z"


@faster_init  # (made per alert of a replay)
@dataclass(frozen=True, slots=True)
class Alert:
    time_ns: int
    rule: str
    priority: str  # capitalised as Falco prints it: "Warning", "Critical", ...
    output: str  # the formatted message, without the time/priority prefix
    output_fields: dict[str, Any] = field(default_factory=dict, hash=False)
    source: str = "syscall"
    tags: tuple[str, ...] = ()
    hostname: str = ""

    def line(self, time: str | None = None) -> str:
        """The text line Falco prints: ``<time>: <Priority> <output>`` (``time``: this alert's, formatted)."""
        return f"{time or rfc3339_ns(self.time_ns)}: {self.priority} {self.output}"

    def to_json(self) -> bytes:
        """:meth:`to_dict` as one line of JSON, with its newline."""
        return orjson.dumps(self.to_dict(), option=orjson.OPT_APPEND_NEWLINE)

    def to_dict(self) -> dict[str, Any]:
        time = rfc3339_ns(self.time_ns)
        return {
            "hostname": self.hostname,
            "output": self.line(time),
            "output_fields": dict(self.output_fields),
            "priority": self.priority,
            "rule": self.rule,
            "source": self.source,
            "tags": sorted(self.tags),
            "time": time,
        }
