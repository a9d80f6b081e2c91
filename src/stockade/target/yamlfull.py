"""The documents the fast reader (:mod:`.yamlfast`) leaves, read by PyYAML: flow collections over several
lines, block scalars, anchors and aliases, tags, JSON, and every syntax error (PyYAML names its line and
column).  Imported only when such a file comes: importing PyYAML costs 12-16 ms.
"""

from __future__ import annotations

from typing import Any

import yaml

from stockade.errors import ParseError
from stockade.target import yamlfast
from stockade.target.manifests import MAX_EXPANDED_NODES, Document, LoadResult, Path, _Sources

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


def parse(text: str, path: str) -> LoadResult:
    """Every document of ``text``, by PyYAML; a syntax error stops the stream there and is reported."""
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
