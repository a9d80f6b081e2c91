"""Rules files as YAML with a position for every value, down to the character inside a condition.

``target/manifests.py`` keeps only the line of each key; rule diagnostics need columns, and the position of
a token *inside* a condition scalar (folded ``>`` blocks included).  So this module composes the YAML node
tree itself (PyYAML's safe composer: no tags, no object construction) and keeps, for each scalar, a map
from offsets in its value to file positions: the characters of a scalar's value appear in its source
text in the same order (folding only turns line breaks into spaces, quoting only adds delimiters and
escapes), so walking both side by side places every non-blank character exactly.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from stockade.runtime.rules.grammar.ast import Loc

try:
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML without libyaml
    _Loader = yaml.SafeLoader

MAX_NODES = 1_000_000


class YamlError(Exception):
    def __init__(self, message: str, loc: Loc) -> None:
        super().__init__(message)
        self.message = message
        self.loc = loc


@dataclass(slots=True)
class Source:
    """One rules file's text, with a line index for offset → (line, column)."""

    path: str
    text: str
    _starts: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        starts = [0]
        find = self.text.find
        i = find("\n")
        while i >= 0:
            starts.append(i + 1)
            i = find("\n", i + 1)
        self._starts = starts

    def loc(self, index: int) -> Loc:
        line = bisect.bisect_right(self._starts, index) - 1
        return Loc(self.path, line + 1, index - self._starts[line] + 1)


@dataclass(slots=True)
class Scalar:
    """A string value with the means to place any of its characters in the file."""

    value: str
    loc: Loc
    source: Source | None = None
    start: int = 0
    end: int = 0
    _map: list[int] | None = None

    def locator(self) -> Callable[[int], Loc]:
        """``offset in value → Loc`` (offsets past the end map to the scalar's end)."""
        if self.source is None:
            base = self.loc
            return lambda i: Loc(base.file, base.line, base.column + i)
        src = self.source
        if self._map is None:
            self._map = _align(self.value, src.text, self.start, self.end)
        m = self._map
        end = self.end

        def locate(i: int) -> Loc:
            return src.loc(m[i] if 0 <= i < len(m) else end)

        return locate


def _align(value: str, text: str, start: int, end: int) -> list[int]:
    out: list[int] = []
    j = start
    for ch in value:
        if ch.isspace():
            out.append(min(j, end))
            continue
        k = text.find(ch, j, end)
        if k < 0:  # an escape the value does not show literally; keep the last good position
            out.append(min(j, end))
            continue
        out.append(k)
        j = k + 1
    return out


@dataclass(slots=True)
class Node:
    """A composed value: ``data`` is plain Python; ``scalars``/``children`` keep positions."""

    data: Any
    loc: Loc
    scalar: Scalar | None = None
    items: list[Node] | None = None  # sequence items
    mapping: dict[str, tuple[Loc, Node]] | None = None  # key → (key position, value node)

    def get(self, key: str) -> Node | None:
        if self.mapping is None:
            return None
        hit = self.mapping.get(key)
        return None if hit is None else hit[1]

    def key_loc(self, key: str) -> Loc:
        if self.mapping and key in self.mapping:
            return self.mapping[key][0]
        return self.loc


class _Builder:
    def __init__(self, source: Source) -> None:
        self.source = source
        self.count = 0
        self.resolver = yaml.SafeLoader("")

    def build(self, node: yaml.Node) -> Node:
        self.count += 1
        if self.count > MAX_NODES:
            raise YamlError(f"refused: more than {MAX_NODES:,} YAML nodes (aliases?)", self._loc(node))
        loc = self._loc(node)
        if isinstance(node, yaml.MappingNode):
            mapping: dict[str, tuple[Loc, Node]] = {}
            data: dict[Any, Any] = {}
            for k, v in node.value:
                key = self.build(k)
                keystr = key.data if isinstance(key.data, str) else str(key.data)
                child = self.build(v)
                mapping[keystr] = (key.loc, child)
                data[keystr] = child.data
            return Node(data, loc, mapping=mapping)
        if isinstance(node, yaml.SequenceNode):
            items = [self.build(i) for i in node.value]
            return Node([i.data for i in items], loc, items=items)
        assert isinstance(node, yaml.ScalarNode)
        if node.tag == "tag:yaml.org,2002:str":
            value: Any = node.value
        else:
            try:
                value = self.resolver.construct_object(node, deep=True)
            except (ValueError, OverflowError, yaml.YAMLError):
                value = node.value
        scalar = None
        if isinstance(value, str):
            scalar = Scalar(value, loc, self.source, node.start_mark.index, node.end_mark.index)
        return Node(value, loc, scalar=scalar)

    def _loc(self, node: yaml.Node) -> Loc:
        return Loc(self.source.path, node.start_mark.line + 1, node.start_mark.column + 1)


def load(text: str, path: str) -> tuple[list[Node], list[YamlError]]:
    """Every document of the file as a :class:`Node`; a syntax error ends the stream and is reported."""
    source = Source(path, text)
    docs: list[Node] = []
    errors: list[YamlError] = []
    loader = _Loader(text)
    builder = _Builder(source)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                break
            builder.count = 0
            try:
                docs.append(builder.build(node))
            except YamlError as exc:
                errors.append(exc)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = Loc(path, mark.line + 1, mark.column + 1) if mark else Loc(path)
        errors.append(YamlError(f"invalid YAML: {exc.problem or exc.context}", loc))
    except yaml.YAMLError as exc:
        errors.append(YamlError(f"invalid YAML: {exc}", Loc(path)))
    finally:
        loader.dispose()
    return docs, errors
