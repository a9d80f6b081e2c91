"""The one error hierarchy of stockade.

Every error a user can cause derives from :class:`StockadeError`.  The CLI turns them into a one-line
message and an exit code; nothing here prints.
"""

from __future__ import annotations


class StockadeError(Exception):
    """Root of every stockade error.  ``exit_code`` follows the CLI convention (2 usage/input, 3 runtime)."""

    exit_code = 3

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def diagnostics(self) -> str:
        """The user's hint: what to do about it."""
        return self.hint or ""


class InputError(StockadeError):
    """The user gave us something we cannot use: a missing path, a bad flag value, a malformed file."""

    exit_code = 2


class TargetNotFoundError(InputError):
    """The path or reference to scan does not exist."""


class ParseError(StockadeError):
    """A file could not be parsed.  Carries the file and, where known, the line and column."""

    exit_code = 2

    def __init__(
        self,
        what: str,
        path: str,
        reason: str,
        *,
        line: int | None = None,
        column: int | None = None,
        hint: str | None = None,
    ) -> None:
        where = path
        if line is not None:
            where += f":{line}"
            if column is not None:
                where += f":{column}"
        super().__init__(f"failed to parse {what}: {where}: {reason}", hint=hint)
        at = "" if line is None else f"line {line}: " if column is None else f"line {line}, column {column}: "
        #: the message without the path, for places that show the path beside it (status entries)
        self.short = f"failed to parse {what}: {at}{reason}"
        self.path = path
        self.line = line
        self.column = column
        self.reason = reason


class PluginError(StockadeError):
    """A plug-in failed.  The scan records it as a status and goes on."""


class StoreError(StockadeError):
    """The local store could not be opened, migrated or written."""


class OutputError(StockadeError):
    """A result could not be rendered or written."""
