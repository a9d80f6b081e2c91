"""Errors and warnings of rule loading: every one with file, line, column and the item it concerns.

Loading never stops at the first problem (DESIGN convention 5): each stage appends to one
:class:`Diagnostics` list, and callers decide what an error means (``validate`` exits 2).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from stockade.runtime.rules.grammar.ast import Loc


class Level(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    level: Level
    code: str  # stable, kebab-case: "syntax", "unknown-field", "undefined-macro", ...
    message: str
    loc: Loc
    item: str = ""  # "rule 'Write below etc'", "macro 'open_write'", "list 'shell_binaries'"

    def __str__(self) -> str:
        where = f" ({self.item})" if self.item else ""
        return f"{self.loc}: {self.level}: {self.message}{where} [{self.code}]"

    def to_dict(self) -> dict[str, object]:
        return {
            "level": str(self.level),
            "code": self.code,
            "message": self.message,
            "file": self.loc.file,
            "line": self.loc.line,
            "column": self.loc.column,
            "item": self.item,
        }


@dataclass(slots=True)
class Diagnostics:
    items: list[Diagnostic] = field(default_factory=list)

    def error(self, code: str, message: str, loc: Loc, item: str = "") -> None:
        self.items.append(Diagnostic(Level.ERROR, code, message, loc, item))

    def warning(self, code: str, message: str, loc: Loc, item: str = "") -> None:
        self.items.append(Diagnostic(Level.WARNING, code, message, loc, item))

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.level is Level.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.level is Level.WARNING]

    def sorted(self) -> list[Diagnostic]:
        return sorted(self.items, key=lambda d: (d.loc.file, d.loc.line, d.loc.column, d.code, d.message))
