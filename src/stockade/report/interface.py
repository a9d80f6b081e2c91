"""The formatter family."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator
from typing import ClassVar

from stockade.errors import OutputError
from stockade.model.result import ScanResult
from stockade.plugin import Plugin


class FormatError(OutputError):
    """A result could not be rendered in the asked format."""


class Formatter(Plugin):
    #: the ``--format`` value
    FORMAT: ClassVar[str]
    #: whether the output is for people (rich table) rather than machines
    HUMAN: ClassVar[bool] = False

    @abstractmethod
    def render(self, result: ScanResult) -> str:
        """The whole document, as text."""

    def render_bytes(self, result: ScanResult) -> bytes:
        """The whole document, UTF-8 encoded (what is written to a file or a pipe)."""
        return self.render(result).encode("utf-8")

    def pieces(self, result: ScanResult) -> Iterator[bytes]:
        """:meth:`render_bytes` in pieces, written one after the other (a format that can be written
        piece by piece need not hold the whole document)."""
        yield self.render_bytes(result)
