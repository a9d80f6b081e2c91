"""Severity levels, ordered, shared by every kind of finding."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    UNKNOWN = "unknown"
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    def __reduce_ex__(self, protocol: object) -> tuple[Any, tuple[Any, ...]]:
        # unpickled by name: ``Severity("high")`` (the enum default) goes through EnumType.__call__
        return (getattr, (Severity, self.name))

    @property
    def rank(self) -> int:
        return _RANK[self]

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls(text.strip().lower())
        except ValueError:
            choices = ", ".join(s.value for s in cls)
            raise ValueError(f"unknown severity {text!r} (expected one of: {choices})") from None


_RANK = {s: i for i, s in enumerate(Severity)}
