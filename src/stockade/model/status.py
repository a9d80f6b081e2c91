"""Coverage: what each plug-in did, and everything that was not looked at."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class StatusKind(StrEnum):
    OK = "ok"  # ran over everything it was given
    PARTIAL = "partial"  # ran, but some input was skipped or broken (see reason)
    SKIPPED = "skipped"  # something was deliberately not looked at (too large, pseudo filesystem ...)
    ERROR = "error"  # failed; its part of the result is missing
    UNSUPPORTED = "unsupported"  # the input is of a kind this version cannot read


@dataclass(frozen=True, slots=True, order=True)
class Status:
    """One line of coverage.  ``plugin`` is a plug-in name (``catalog/os/dpkg``) or a scan stage
    (``walk``); ``path`` the file it is about, if any."""

    plugin: str
    status: StatusKind
    reason: str = ""
    path: str | None = None

    def sort_key(self) -> tuple[str, str, str, str]:
        """The order statuses are listed in (by plug-in, then path)."""
        return (self.plugin, self.path or "", self.status, self.reason)

    @property
    def is_problem(self) -> bool:
        return self.status is not StatusKind.OK

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"plugin": self.plugin, "status": self.status.value, "reason": self.reason}
        if self.path is not None:
            out["path"] = self.path
        return out
