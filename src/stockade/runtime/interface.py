"""The contracts between the sensor's parts: event sources, the rule evaluator and alert sinks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

from stockade.model.event import Event


class EventSource(Protocol):
    NAME: str
    BLIND_SPOTS: tuple[str, ...]
    lost: int

    def start(self) -> None: ...
    def events(self, until: float | None = None) -> Iterator[Event]: ...
    def stop(self) -> None: ...


class AlertLike(Protocol):
    rule: str
    priority: str
    output_fields: dict[str, Any]

    def to_dict(self) -> dict[str, Any]: ...


class Evaluator(Protocol):
    """What the sensor needs of the rule engine (``stockade.runtime.rules.engine.Engine`` provides it)."""

    def alerts(self, ev: Event) -> list[Any]: ...


class Sink(Protocol):
    def emit(self, alert: dict[str, Any]) -> None: ...
    def close(self) -> None: ...
