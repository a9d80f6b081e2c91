"""The loaded (not yet compiled) contents of rules files: lists, macros, rules and their exceptions.

A condition is kept as the fragments it was built from (the definition plus every ``append``), each with
its own source map, so the parser can place a token of the concatenated text back in the file that wrote
it.  Falco joins appended conditions with one space (``falco/userspace/engine/rule_loader_collector.cpp``)
— so does :meth:`Condition.text`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from stockade.runtime.rules.grammar.ast import Loc


@dataclass(slots=True)
class Fragment:
    text: str
    locate: Callable[[int], Loc]


@dataclass(slots=True)
class Condition:
    fragments: list[Fragment] = field(default_factory=list)

    def text(self) -> str:
        return " ".join(f.text for f in self.fragments)

    def locator(self) -> Callable[[int], Loc]:
        bounds: list[tuple[int, Fragment]] = []
        offset = 0
        for f in self.fragments:
            bounds.append((offset, f))
            offset += len(f.text) + 1

        def locate(i: int) -> Loc:
            for start, frag in reversed(bounds):
                if i >= start:
                    return frag.locate(i - start)
            return bounds[0][1].locate(0) if bounds else Loc()

        return locate


@dataclass(slots=True)
class ListDef:
    name: str
    items: list[str]
    loc: Loc
    used: bool = False


@dataclass(slots=True)
class MacroDef:
    name: str
    condition: Condition
    loc: Loc
    used: bool = False


@dataclass(slots=True)
class ExceptionDef:
    """One ``exceptions:`` entry.  ``fields``/``comps`` are a str for the single-field short form."""

    name: str
    fields: str | list[str]
    comps: str | list[str] | None
    values: list[object]
    loc: Loc
    field_locs: list[Loc] = field(default_factory=list)
    value_locs: list[Loc] = field(default_factory=list)


PRIORITIES = {
    "emergency": "EMERGENCY",
    "alert": "ALERT",
    "critical": "CRITICAL",
    "error": "ERROR",
    "warning": "WARNING",
    "notice": "NOTICE",
    "informational": "INFORMATIONAL",
    "info": "INFORMATIONAL",
    "debug": "DEBUG",
}
#: syslog order, most severe first (Falco's ``priority`` threshold compares these)
PRIORITY_RANK = {p: i for i, p in enumerate(dict.fromkeys(PRIORITIES.values()))}


@dataclass(slots=True)
class RuleDef:
    name: str
    loc: Loc
    condition: Condition
    output: str = ""
    output_loc: Loc = field(default_factory=Loc)
    desc: str = ""
    priority: str = "WARNING"
    tags: list[str] = field(default_factory=list)
    enabled: bool = True
    source: str = "syscall"
    exceptions: list[ExceptionDef] = field(default_factory=list)
    warn_evttypes: bool = True
    skip_if_unknown_filter: bool = False
    capture: bool = False
    capture_duration: int = 0
