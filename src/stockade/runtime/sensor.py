"""The sensor: source → enrichment → rule engine → responder → sinks, with recording (for `runtime replay`).

``--record FILE`` saves every enriched event (one JSON object a line, before rule evaluation so derived
fields are not stored) for ``stockade runtime replay``.  Statistics (events, alerts, lost, malformed) are
kept in :class:`Stats`; when the source reports lost events, every alert after that carries the running
count in ``lost_events`` so a reader knows detection was incomplete.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from stockade._internal import jsonsafe
from stockade.model.event import Event
from stockade.runtime.enrich.pipeline import Enricher
from stockade.runtime.interface import Evaluator, EventSource, Sink
from stockade.runtime.respond.actions import Responder
from stockade.runtime.rules.ruleset import DEFAULT_RULES

__all__ = ["DEFAULT_RULES", "LIFECYCLE", "Sensor", "Stats", "load_engine"]

#: events that keep the process table, enriched whatever the rules
LIFECYCLE = frozenset({"execve", "execveat", "clone", "fork", "vfork", "procexit"})


@dataclass(slots=True)
class Stats:
    events: int = 0
    alerts: int = 0
    lost: int = 0
    malformed: int = 0
    #: events no loaded rule could match whatever enrichment added: not enriched, not matched
    skipped: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)

    def to_dict(self) -> dict[str, Any]:
        secs = max(time.monotonic() - self.started, 1e-9)
        return {
            "events": self.events,
            "alerts": self.alerts,
            "lost_events": self.lost,
            "malformed": self.malformed,
            "unmatchable": self.skipped,
            "seconds": round(secs, 3),
            "events_per_second": round(self.events / secs, 1),
            "by_rule": dict(self.by_rule),  # (a copy: a status thread may read it while alerts come)
        }


def load_engine(
    rule_files: Iterable[str | Path], rule_matching: str = "first"
) -> tuple[Evaluator, list[str]]:
    """The rule engine of :mod:`stockade.runtime.rules` for the files; also its error messages."""
    from stockade.runtime.rules.engine import Engine
    from stockade.runtime.rules.ruleset import load_ruleset

    ruleset = load_ruleset(list(rule_files))
    errors = [str(d) for d in ruleset.errors]
    return Engine(ruleset, rule_matching=rule_matching), errors


class Sensor:
    def __init__(
        self,
        engine: Evaluator,
        sinks: Sequence[Sink],
        *,
        responder: Responder | None = None,
        enricher: Enricher | None = None,
        record: IO[bytes] | None = None,
    ) -> None:
        self.engine = engine
        self.sinks = sinks
        self.responder = responder or Responder()
        self.enricher = enricher
        self.record = record
        self.stats = Stats()
        self._hopeless: Callable[[Event], bool] = getattr(engine, "hopeless", lambda ev: False)

    def process(self, ev: Event, lost: int = 0) -> list[dict[str, Any]]:
        self.stats.events += 1
        if self.enricher is not None:
            # an event no rule can match, whatever enrichment adds, is not enriched (nor matched) unless it
            # is recorded; process lifecycle events always are (they keep the process table)
            if self.record is None and ev.get("evt.type") not in LIFECYCLE and self._hopeless(ev):
                self.stats.skipped += 1
                return []
            ev = self.enricher.enrich(ev)
        found = self.engine.alerts(ev)
        if self.record is not None:
            self.record.write(jsonsafe.dumps(ev) + b"\n")  # (a name that is not UTF-8 does not stop it)
            if found:
                # the evidence of an alert is on disk before the alert is (a reader of the alert can read it)
                self.record.flush()
        out = []
        for a in found:
            alert: dict[str, Any] = a.to_dict() if hasattr(a, "to_dict") else dict(a)
            if lost:
                alert["lost_events"] = lost
            response = self.responder.handle(alert, ev)
            if response is not None:
                alert["response"] = {k: v for k, v in response.items() if k != "alert"}
            self.stats.alerts += 1
            self.stats.by_rule[alert["rule"]] = self.stats.by_rule.get(alert["rule"], 0) + 1
            for sink in self.sinks:
                sink.emit(alert)
            out.append(alert)
        return out

    def run(self, source: EventSource, duration: float | None = None) -> Stats:
        until = time.monotonic() + duration if duration is not None else None
        try:
            for ev in source.events(until):
                self.process(ev, source.lost)
        except KeyboardInterrupt:  # Ctrl-C, SIGTERM: what the source already holds is still processed
            drain = getattr(source, "drain", None)
            if drain is not None:
                for ev in drain():
                    self.process(ev, source.lost)
            raise
        finally:  # (the final status after Ctrl-C/SIGTERM carries them too)
            self.stats.lost = source.lost
            self.stats.malformed = int(getattr(source, "malformed", 0))
        return self.stats
