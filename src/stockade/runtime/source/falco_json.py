"""Ingest of Falco's JSON alerts (``json_output: true``, ``json_include_output_property``): each alert's
``output_fields`` already carry Falco field names, so they become an event as they are (``evt.time`` from
``time``; ``evt.arg.NAME`` keys into ``evt.args``).  What Falco did not put in ``output_fields`` is not
known here (the blind spot of this source).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import orjson

from stockade.model.event import Event

NAME = "falco-json"


def _ns(text: object) -> int | None:
    if not isinstance(text, str):
        return None
    try:
        base, _, rest = text.rstrip("Z").partition(".")
        t = dt.datetime.fromisoformat(base).replace(tzinfo=dt.UTC)
        return int(t.timestamp()) * 1_000_000_000 + int((rest + "000000000")[:9] or 0)
    except ValueError:
        return None


def to_event(obj: dict[str, Any]) -> Event | None:
    fields = obj.get("output_fields")
    if not isinstance(fields, dict) or not isinstance(fields.get("evt.type"), str):
        return None
    ev: Event = {k: v for k, v in fields.items() if v is not None}
    args = {k[8:]: v for k, v in ev.items() if k.startswith("evt.arg.")}
    if args and not isinstance(ev.get("evt.args"), dict):
        ev["evt.args"] = args  # the engine reads ``evt.arg.NAME`` from ``evt.args``
    ns = _ns(obj.get("time"))
    if ns is not None and not isinstance(ev.get("evt.time"), int):
        ev["evt.time"] = ns
    ev.setdefault("container.id", "host")
    return ev


class JsonLinesSource:
    """A file of JSON lines turned into events by ``convert``: blank lines skipped, lines that are not
    JSON objects or that ``convert`` rejects counted in ``malformed``."""

    NAME: str = ""
    BLIND_SPOTS: tuple[str, ...] = ()

    def __init__(self, path: str, convert: Callable[[dict[str, Any]], Event | None]) -> None:
        """``convert``: the event of one exported object; None when it is not one this source reads."""
        self.path, self.convert, self.lost, self.malformed = path, convert, 0, 0

    def start(self) -> None:
        """Nothing to start: the file is opened by :meth:`events`."""

    def events(self, until: float | None = None) -> Iterator[Event]:
        with open(self.path, "rb") as fh:
            for raw in fh:
                if not raw.strip():
                    continue
                try:
                    obj = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    self.malformed += 1
                    continue
                ev = self.convert(obj) if isinstance(obj, dict) else None
                if ev is None:
                    self.malformed += 1
                    continue
                yield ev

    def stop(self) -> None:
        """Nothing to stop: :meth:`events` closes the file."""


class FalcoJsonSource(JsonLinesSource):
    NAME: str = NAME
    BLIND_SPOTS: tuple[str, ...] = (
        "events Falco did not alert on",
        "fields not in each alert's output_fields",
    )

    def __init__(self, path: str) -> None:
        super().__init__(path, to_event)
