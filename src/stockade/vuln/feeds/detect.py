"""Which reader reads what: :func:`read_path` takes any file or directory (a single OSV record, an
``all.zip``, a tracker checkout, or a tree of mixed feeds such as ``shared/data``) and yields
``(reader NAME, record)`` for everything it recognises.

A directory is first offered whole to the readers whose feed only makes sense as a whole
(``CLAIMS_DIRECTORIES``: Alpine secdb, the Ubuntu tracker, the Node.js WG tree); otherwise it is walked
in name order and each file goes to the first reader whose ``detect`` accepts it (the specific formats
first, OSV last).  Licence and readme files and hidden names (``.git``) are passed over; any other file
no reader accepts is an UNSUPPORTED status, not an error (ERROR when it cannot be opened); a symbolic link
to a directory is not followed (SKIPPED).  When a directory holds the KEV catalog as both JSON and CSV, only
the JSON is read (the CSV is the same catalog) and the CSV gets a SKIPPED status.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from stockade.model.advisory import FeedRecord
from stockade.model.status import Status, StatusKind
from stockade.vuln.feeds.alpine import AlpineReader
from stockade.vuln.feeds.common import is_doc, suffix
from stockade.vuln.feeds.debian import DebianReader
from stockade.vuln.feeds.epss import EpssReader
from stockade.vuln.feeds.interface import FeedReader
from stockade.vuln.feeds.kev import KevReader
from stockade.vuln.feeds.nswg import NswgReader
from stockade.vuln.feeds.osv import OsvReader
from stockade.vuln.feeds.ubuntu import UbuntuReader
from stockade.vuln.feeds.victims import VictimsReader

PLUGIN = "feed/detect"

#: reader NAME → class, in detection order (specific formats first; OSV, the generic JSON, last)
READERS: dict[str, type[FeedReader]] = {
    KevReader.NAME: KevReader,
    EpssReader.NAME: EpssReader,
    NswgReader.NAME: NswgReader,
    VictimsReader.NAME: VictimsReader,
    AlpineReader.NAME: AlpineReader,
    DebianReader.NAME: DebianReader,
    UbuntuReader.NAME: UbuntuReader,
    OsvReader.NAME: OsvReader,
}


def detect_file(path: str) -> str | None:
    """The NAME of the reader for one file, or None."""
    for name, cls in READERS.items():
        if cls.detect(path):
            return name
    return None


def read_path(path: str, problems: list[Status]) -> Iterator[tuple[str, FeedRecord]]:
    """Every record under ``path`` (a file or a directory), tagged with its reader's NAME; problems
    (broken files and records, unsupported files) are appended to ``problems``."""
    readers = {name: cls() for name, cls in READERS.items()}
    if os.path.isdir(path):
        yield from _walk(path, readers, problems)
    elif os.path.isfile(path):
        name = detect_file(path)
        if name is None:
            problems.append(_unknown(path))
            return
        yield from _tagged(name, readers[name].read(path, problems))
    elif os.path.exists(path):
        problems.append(Status(PLUGIN, StatusKind.UNSUPPORTED, "not a regular file or directory", path))
    else:
        problems.append(Status(PLUGIN, StatusKind.ERROR, "no such file or directory", path))


def _tagged(name: str, records: Iterator[FeedRecord]) -> Iterator[tuple[str, FeedRecord]]:
    for record in records:
        yield name, record


def _walk(
    directory: str, readers: dict[str, FeedReader], problems: list[Status]
) -> Iterator[tuple[str, FeedRecord]]:
    for name, cls in READERS.items():
        if cls.CLAIMS_DIRECTORIES and cls.detect(directory):
            yield from _tagged(name, readers[name].read(directory, problems))
            return
    try:
        with os.scandir(directory) as it:
            entries = sorted((e for e in it if not e.name.startswith(".")), key=lambda e: e.name)
    except OSError as exc:
        problems.append(
            Status(PLUGIN, StatusKind.ERROR, f"could not be listed: {exc.strerror or exc}", directory)
        )
        return
    files: list[tuple[str, str | None]] = []  # (path, reader NAME); "/" marks a subdirectory
    for entry in entries:
        try:
            if entry.is_dir(follow_symlinks=False):
                files.append((entry.path, "/"))
            elif entry.is_file() and not is_doc(entry.path):
                files.append((entry.path, detect_file(entry.path)))
            elif entry.is_symlink() and entry.is_dir():
                reason = "a symbolic link to a directory: not followed"
                problems.append(Status(PLUGIN, StatusKind.SKIPPED, reason, entry.path))
            elif not entry.is_file():
                problems.append(Status(PLUGIN, StatusKind.UNSUPPORTED, "not a regular file", entry.path))
        except OSError as exc:
            problems.append(
                Status(PLUGIN, StatusKind.ERROR, f"could not be read: {exc.strerror or exc}", entry.path)
            )
    kev_json = next((p for p, n in files if n == KevReader.NAME and suffix(p) == "json"), None)
    for file, found in files:
        if found == "/":
            yield from _walk(file, readers, problems)
        elif found is None:
            problems.append(_unknown(file))
        elif found == KevReader.NAME and kev_json is not None and file != kev_json:
            reason = f"the same catalog is read from {os.path.basename(kev_json)}"
            problems.append(Status(f"feed/{KevReader.NAME}", StatusKind.SKIPPED, reason, file))
        else:
            yield from _tagged(found, readers[found].read(file, problems))


def _unknown(path: str) -> Status:
    """UNSUPPORTED for a file no reader recognises, or ERROR when it could not even be opened."""
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        return Status(PLUGIN, StatusKind.ERROR, f"could not be read: {exc.strerror or exc}", path)
    return Status(PLUGIN, StatusKind.UNSUPPORTED, "not a known advisory feed format", path)
