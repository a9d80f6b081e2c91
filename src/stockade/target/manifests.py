"""Configuration files as targets: YAML/JSON documents read with the line of every value.

YAML 1.1 as Kubernetes reads it (PyYAML, C parser when available), multi-document streams, JSON (a YAML
subset).  Each document comes back as plain Python data plus a position index: the line (1-based) of every
mapping key and sequence item, keyed by its path from the document root (``("spec", "containers", 0,
"image")``).  Anchors and aliases are allowed, but a document whose aliases expand past
:data:`MAX_EXPANDED_NODES` is refused ("billion laughs"); so is a file over the size limit.  A syntax
error names the file, line and column; the documents before it are still returned.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

from stockade._internal.readlimit import read_path
from stockade.errors import ParseError
from stockade.model.fastinit import faster_init
from stockade.target import yamlfast

try:
    _Base: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML without libyaml
    _Base = yaml.SafeLoader

_STR = "tag:yaml.org,2002:str"
#: implicit tags of plain scalars already resolved: manifests repeat the same keys and values
#: ("apiVersion", "name", "v1", "true") thousands of times, and the resolver runs regular expressions
_RESOLVED: dict[tuple[str, tuple[bool, bool]], str] = {}
_NOTHING: dict[str, str] = {}
_SCALAR, _MAPPING, _SEQUENCE = yaml.ScalarNode, yaml.MappingNode, yaml.SequenceNode


class _Loader(_Base):  # type: ignore[misc]
    """PyYAML's safe loader with a memo in front of the implicit-tag resolver (YAML 1.1 rules unchanged).

    The safe loader has no path resolvers (``yaml_path_resolvers`` is empty), so the composer's
    ``descend_resolver``/``ascend_resolver`` calls around every node do nothing: they are replaced by
    C-level no-ops (a dict look-up whose result the composer ignores), which saves two Python calls a
    node."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        if not self.yaml_path_resolvers:
            self.descend_resolver = _NOTHING.get  # called as (parent, index); the result is ignored
            self.ascend_resolver = _NOTHING.__len__  # called with no arguments

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode and isinstance(value, str):
            key = (value, implicit)
            tag = _RESOLVED.get(key)
            if tag is None:
                tag = super().resolve(kind, value, implicit)
                if len(_RESOLVED) < 100_000:
                    _RESOLVED[key] = tag
            return tag
        return super().resolve(kind, value, implicit)


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


class _Builder:
    """Builds Python data from a composed node tree, recording positions and bounding alias expansion."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.count = 0
        self.constructor = yaml.SafeLoader("")  # only for scalar resolution (ints, bools, nulls ...)

    def build(self, node: yaml.Node, at: Path, positions: dict[Path, int]) -> Any:
        self.count += 1
        if self.count > MAX_EXPANDED_NODES:
            reason = f"refused: aliases expand to more than {MAX_EXPANDED_NODES:,} nodes (a YAML alias bomb)"
            raise ParseError("YAML", self.path, reason, line=node.start_mark.line + 1)
        cls = type(node)
        if cls is _SCALAR:
            if node.tag == _STR:
                return node.value  # the common case, without the constructor's machinery
        elif len(at) > yamlfast.MAX_DEPTH:
            reason = f"refused: collections nested deeper than {yamlfast.MAX_DEPTH} levels"
            raise ParseError("YAML", self.path, reason, line=node.start_mark.line + 1)
        elif cls is _MAPPING:
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if type(key_node) is _SCALAR and key_node.tag == _STR:  # a plain string key
                    self.count += 1
                    key: Any = key_node.value
                else:
                    key = self.build(key_node, at, {})
                    if isinstance(key, (dict, list)):
                        key = str(key)
                child = (*at, key)
                positions[child] = key_node.start_mark.line + 1
                out[key] = self.build(value_node, child, positions)
            return out
        elif cls is _SEQUENCE:
            items = []
            for i, item in enumerate(node.value):
                child = (*at, i)
                positions[child] = item.start_mark.line + 1
                items.append(self.build(item, child, positions))
            return items
        try:
            return self.constructor.construct_object(node, deep=True)
        except (ValueError, OverflowError) as exc:  # an impossible timestamp (2027-02-30), a huge float …
            raise ParseError(
                "YAML",
                self.path,
                f"invalid value {node.value!r}: {exc}",
                line=node.start_mark.line + 1,
                column=node.start_mark.column + 1,
            ) from None


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
    """Every document of ``text``; a syntax error stops the stream there and is reported.  Block YAML
    of the usual kind is read by :mod:`.yamlfast`; what it leaves (and every error) by PyYAML."""
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


def _parse_with_pyyaml(text: str, path: str) -> LoadResult:
    out = LoadResult()
    sources = _Sources(text)
    loader = _Loader(text)
    builder = _Builder(path)
    index = 0
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                break
            positions: dict[Path, int] = {}
            builder.count = 0
            try:
                data = builder.build(node, (), positions)
            except ParseError as exc:
                out.errors.append(exc)
            except yaml.YAMLError as exc:
                out.errors.append(_yaml_error(exc, path))
            else:
                start = node.start_mark.line + 1
                out.documents.append(Document(path, index, start, data, positions, sources.of(start)))
            sources.after = node.end_mark.line + 1
            index += 1
    except yaml.YAMLError as exc:
        out.errors.append(_yaml_error(exc, path))
    finally:
        loader.dispose()
    return out


def _yaml_error(exc: yaml.YAMLError, path: str) -> ParseError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if mark is not None:
        return ParseError("YAML", path, str(problem), line=mark.line + 1, column=mark.column + 1)
    return ParseError("YAML", path, str(problem))


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
