"""The cataloger family: what a cataloger declares, what it is given, what it returns.

The walker reads the tree once and hands each cataloger only the paths it declared interest in
(exact file names, file extensions, executables); catalogers never walk the tree themselves.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from stockade.errors import ParseError, StockadeError
from stockade.model.inventory import OSInfo, Package
from stockade.model.status import Status, StatusKind
from stockade.plugin import Plugin
from stockade.target.fs import FileAccessError, TargetFS


class CatalogError(StockadeError):
    """A cataloger could not read one of its inputs.  Becomes a status; the scan goes on."""


@dataclass(slots=True)
class CatalogContext:
    """Given to a cataloger: the filesystem, what is known of the OS, and a place to report problems."""

    fs: TargetFS
    os: OSInfo | None
    plugin: str
    problems: list[Status] = field(default_factory=list)

    def problem(self, path: str | None, reason: str, status: StatusKind = StatusKind.PARTIAL) -> None:
        self.problems.append(Status(self.plugin, status, reason, path))


class Cataloger(Plugin):
    """Base of every cataloger.  Subclasses set ``NAME`` and what they want from the walk."""

    #: exact file names (basename) this cataloger wants, e.g. ``{"status"}``
    FILE_NAMES: ClassVar[frozenset[str]] = frozenset()
    #: file name endings after a dot, lower case, e.g. ``{"jar"}`` or ``{"deps.json"}``; matched in
    #: lower or upper case (``.jar``, ``.JAR``), not mixed
    EXTENSIONS: ClassVar[frozenset[str]] = frozenset()
    #: whether executable regular files without an extension are wanted (Go, Rust binaries)
    EXECUTABLES: ClassVar[bool] = False
    #: fixed places read directly, not found by the walk (package databases); a trailing ``/`` means
    #: everything below.  Image scans unpack these (from every layer, to attribute packages to layers).
    FIXED_PATHS: ClassVar[tuple[str, ...]] = ()
    #: other file names read beside a wanted file (Python's ``INSTALLER`` next to ``METADATA``)
    COMPANIONS: ClassVar[frozenset[str]] = frozenset()

    def accepts(self, path: str) -> bool:
        """Refine a name/extension match by the full path (e.g. only ``/var/lib/dpkg/status``)."""
        return True

    @abstractmethod
    def catalog(self, ctx: CatalogContext, paths: Sequence[str]) -> list[Package]:
        """Return the packages found in ``paths``; report unreadable or broken input on ``ctx``."""


class FileCataloger(Cataloger):
    """A cataloger that reads each of its files on its own.  A file that fails becomes a status entry
    naming the file and the reason; the other files are still read."""

    def catalog(self, ctx: CatalogContext, paths: Sequence[str]) -> list[Package]:
        out: list[Package] = []
        for path in paths:
            try:
                out.extend(self.parse(ctx, path))
            except FileAccessError as exc:
                status = StatusKind.SKIPPED if exc.reason.startswith("skipped") else StatusKind.ERROR
                ctx.problem(path, exc.reason, status)
            except ParseError as exc:
                ctx.problem(path, exc.short, StatusKind.ERROR)
            except StockadeError as exc:
                ctx.problem(path, exc.message, StatusKind.ERROR)
            except (ValueError, KeyError, IndexError, TypeError, UnicodeError, OSError) as exc:
                ctx.problem(path, f"could not be read: {type(exc).__name__}: {exc}", StatusKind.ERROR)
        return out

    @abstractmethod
    def parse(self, ctx: CatalogContext, path: str) -> Iterable[Package]:
        """Packages in one file."""
