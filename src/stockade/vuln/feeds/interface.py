"""The feed-reader family: detect a feed's files, read them into :data:`FeedRecord` values.

A reader never raises for bad input.  A broken record or file becomes a :class:`Status` on the
caller's ``problems`` list (``feed/<NAME>``, ERROR when a whole file or record is lost, PARTIAL when a
part of a record is), naming the file and, where known, the line: ``failed to parse OSV record: line
3, column 7: unexpected end of data``; reading goes on with the next record or file.
"""

from __future__ import annotations

import os
from abc import abstractmethod
from collections.abc import Iterator
from typing import ClassVar

from stockade.errors import StockadeError
from stockade.model.advisory import FeedRecord
from stockade.model.status import Status, StatusKind
from stockade.plugin import Plugin
from stockade.vuln.feeds.common import iter_files

#: what may escape a reader's parsing code on hostile input; caught per file as a last resort
INPUT_ERRORS = (
    ValueError,
    KeyError,
    IndexError,
    TypeError,
    AttributeError,
    UnicodeError,
    OSError,
    RecursionError,
)


class FeedError(StockadeError):
    """A feed could not be read.  Readers report it as a status; callers outside may raise it."""


class FeedReader(Plugin):
    """Base of every feed reader.  Subclasses set ``NAME`` and implement :meth:`detect` and
    :meth:`read_file`; :meth:`read` accepts a file or a directory (read recursively, in name order,
    taking the files :meth:`detect` accepts)."""

    #: True when :meth:`detect` may claim a whole directory: :func:`read_path` then hands the directory
    #: to :meth:`read` instead of walking it (feeds whose files only make sense together)
    CLAIMS_DIRECTORIES: ClassVar[bool] = False

    @classmethod
    @abstractmethod
    def detect(cls, path: str) -> bool:
        """Cheap sniffing: is ``path`` (a file, or a directory for directory readers) this feed?"""

    @abstractmethod
    def read_file(self, path: str, problems: list[Status]) -> Iterator[FeedRecord]:
        """The records of one file."""

    def read(self, path: str, problems: list[Status]) -> Iterator[FeedRecord]:
        """The records of ``path``, a file or a directory."""
        if os.path.isdir(path):
            for file in self.files(path):
                yield from self.guarded(file, problems)
        elif os.path.exists(path):
            yield from self.guarded(path, problems)
        else:
            self.problem(problems, path, "no such file or directory")

    def files(self, root: str) -> Iterator[str]:
        """The files of a directory this reader reads."""
        for file in iter_files(root):
            if self.detect(file):
                yield file

    def guarded(self, path: str, problems: list[Status]) -> Iterator[FeedRecord]:
        """:meth:`read_file`, with any error that escapes it turned into a status."""
        count = 0
        try:
            for record in self.read_file(path, problems):
                count += 1
                yield record
        except INPUT_ERRORS as exc:
            kind = StatusKind.PARTIAL if count else StatusKind.ERROR
            reason = f"stopped after {count} records: {type(exc).__name__}: {exc}"
            self.problem(problems, path, reason, kind)

    @classmethod
    def problem(
        cls, problems: list[Status], path: str | None, reason: str, kind: StatusKind = StatusKind.ERROR
    ) -> None:
        problems.append(Status(f"feed/{cls.NAME}", kind, reason, path))
