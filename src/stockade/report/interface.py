"""The formatter family."""

from __future__ import annotations

from abc import abstractmethod
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
