"""Configuration files as targets: YAML/JSON documents read with the line of every value.

YAML 1.1 as Kubernetes reads it (PyYAML, C parser when available), multi-document streams, JSON (a YAML
subset).  Each document comes back as plain Python data plus a position index: the line (1-based) of every
mapping key and sequence item, keyed by its path from the document root (``("spec", "containers", 0,
"image")``).  Anchors and aliases are allowed, but a document whose aliases expand past
:data:`MAX_EXPANDED_NODES` is refused ("billion laughs"); so is a file over the size limit.  A syntax
error names the file, line and column; the documents before it are still returned.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from stockade._internal.readlimit import read_path
from stockade.errors import ParseError
from stockade.model.fastinit import faster_init
from stockade.target import jsonpos, yamlfast

#: nodes built for one document, aliases counted every time they are expanded
MAX_EXPANDED_NODES = 1_000_000
MAX_FILE_SIZE = 32 * 1024 * 1024

Path = tuple[str | int, ...]


@faster_init
@dataclass(frozen=True, slots=True)
class Document:
    """One YAML/JSON document of a file."""

    path: str  # the file, as the user named it
    index: int  # 0-based position in the stream
    line: int  # 1-based line where the document starts
    data: Any
    positions: dict[Path, int] = field(default_factory=dict, hash=False, compare=False)
    #: the template a renderer says this document came from: ``helm template`` writes
    #: ``# Source: CHART/templates/FILE`` above each document
    source: str | None = None

    def line_of(self, path: Path) -> int:
        """Line of ``path``, or of its nearest ancestor that has one."""
        p = tuple(path)
        while p:
            line = self.positions.get(p)
            if line is not None:
                return line
            p = p[:-1]
        return self.line


@dataclass(slots=True)
class LoadResult:
    documents: list[Document] = field(default_factory=list)
    errors: list[ParseError] = field(default_factory=list)


_SOURCE = "# Source: "


def _sources(text: str) -> list[tuple[int, str]]:
    r"""``(line, template)`` of every ``# Source:`` comment, in order (none unless helm rendered it): a
    line starting ``# Source: `` and a non-space, the template being the rest less trailing spaces (what
    ``^# Source: (\S.*?)\s*$`` matches, found by ``str.find``, 4x faster than the pattern)."""
    out: list[tuple[int, str]] = []
    line, pos = 1, 0
    at = text.find(_SOURCE)
    while at != -1:
        if at == 0 or text[at - 1] == "\n":
            end = text.find("\n", at)
            rest = text[at + len(_SOURCE) : end if end != -1 else len(text)]
            if rest and not rest[0].isspace():
                line += text.count("\n", pos, at)  # (counted from the comment before: linear)
                pos = at
                out.append((line, rest.rstrip()))
        at = text.find(_SOURCE, at + 1)
    return out


class _Sources:
    """Which ``# Source:`` comment names each document: the last one above its root node and below
    the end of the document before."""

    def __init__(self, text: str) -> None:
        self.sources = _sources(text)
        self.after = 0  # line where the previous document ended: a ``# Source:`` above it belongs to it
        self.next = 0

    def of(self, start: int) -> str | None:
        source = None
        while self.next < len(self.sources) and self.sources[self.next][0] < start:
            line, template = self.sources[self.next]
            if line > self.after:
                source = template
            self.next += 1
        return source


def parse_stream(text: str, path: str) -> LoadResult:
    """Every document of ``text``; a syntax error stops the stream there and is reported.  A text that
    starts with ``{`` is JSON to Kubernetes and is read as JSON when it is (:mod:`.jsonpos`); block YAML
    of the usual kind is read by :mod:`.yamlfast`; what they leave (and every error) by PyYAML."""
    first = _NON_SPACE.search(text)
    if first is not None and text[first.start()] == "{":
        json_doc = _json_document(text, path)
        if json_doc is not None:
            return LoadResult(documents=[json_doc])
    try:
        fast = yamlfast.parse(text)
    except yamlfast.Unsupported:
        return _parse_with_pyyaml(text, path)
    out = LoadResult()
    sources = _Sources(text)
    for index, (start, after, data, positions) in enumerate(fast):
        out.documents.append(Document(path, index, start, data, positions, sources.of(start)))
        sources.after = after
    return out


#: the first character JSON does not count as white space (RFC 8259 ws: space, tab, LF, CR)
_NON_SPACE = re.compile(r"[^ \t\n\r]")


def _json_document(text: str, path: str) -> Document | None:
    """The one JSON value of ``text`` as a document, or None: not JSON (a YAML flow mapping, several
    JSON values, NaN, a number orjson cannot hold), or nested too deep."""
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    found = jsonpos.index(text, yamlfast.MAX_DEPTH)
    if found is None:
        return None
    start, positions = found
    return Document(path, 0, start, data, positions, None)


def _parse_with_pyyaml(text: str, path: str) -> LoadResult:
    from stockade.target import yamlfull  # (PyYAML: imported for what the fast reader leaves)

    return yamlfull.parse(text, path)


def load_file(path: str, *, display: str | None = None) -> LoadResult:
    """Read and parse one file; unreadable, oversized or non-UTF-8 files are one error each."""
    name = display or path
    try:
        data = read_path(path, MAX_FILE_SIZE)
    except OSError as exc:
        return LoadResult(errors=[ParseError("YAML", name, exc.strerror or str(exc))])
    if data is None:
        return LoadResult(
            errors=[ParseError("YAML", name, f"file over the {MAX_FILE_SIZE // 2**20} MB limit")]
        )
    return load_bytes(data, name)


def load_bytes(data: bytes, name: str) -> LoadResult:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return LoadResult(errors=[ParseError("YAML", name, f"not UTF-8 text (byte {exc.start})")])
    return parse_stream(text, name)


def iter_documents(results: list[LoadResult]) -> Iterator[Document]:
    for result in results:
        yield from result.documents
