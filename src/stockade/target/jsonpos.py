"""A JSON document's positions: the line of every object member's key and every array element, keyed by
path, as :mod:`.manifests` records them for YAML.

A document whose text starts with ``{`` is JSON to Kubernetes (``NewYAMLOrJSONDecoder`` sniffs the first
non-space character) and is read here as JSON (RFC 8259): its data by orjson, then this index from its
tokens.  Before, such files went through PyYAML, which reads them as YAML 1.1 (``1e3`` a string there) and
costs its 12-16 ms import.  The walk is in C where the package was built with a compiler
(``_yamlc.json_lines``) and here otherwise, the same rules: a key written with escapes is decoded by orjson;
nesting past ``max_depth`` gives None, and the caller reads the document as YAML (which refuses it).
"""

from __future__ import annotations

import re

import orjson

from stockade.target import yamlfast

Path = tuple[str | int, ...]

#: a string, a structural character, or the run of a number or literal
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+')


class _Give(Exception):
    """Nesting past the limit: not for this index."""


def positions(text: str, max_depth: int) -> tuple[int, dict[Path, int]] | None:
    """``(line of the root value, {path: line})`` of a valid JSON text (orjson has read it), or None."""
    tokens: list[tuple[str, int]] = []
    line, last = 1, 0
    for m in _TOKEN.finditer(text):
        start = m.start()
        line += text.count("\n", last, start)
        last = start
        tokens.append((m.group(), line))
    if not tokens:
        return None
    out: dict[Path, int] = {}

    def value(i: int, path: Path) -> int:
        """Index the value at token ``i``; the index of the token after it."""
        tok = tokens[i][0]
        if tok == "{" or tok == "[":
            if len(path) > max_depth:  # (as manifests refuses YAML collections nested deeper)
                raise _Give
            close = "}" if tok == "{" else "]"
            i += 1
            index = 0
            while tokens[i][0] != close:
                if tok == "{":
                    key, at = tokens[i]
                    child: Path = (*path, orjson.loads(key) if "\\" in key else key[1:-1])
                    out[child] = at
                    i = value(i + 2, child)  # (past the key and ":")
                else:
                    child = (*path, index)
                    out[child] = tokens[i][1]
                    index += 1
                    i = value(i, child)
                if tokens[i][0] == ",":
                    i += 1
            return i + 1
        return i + 1

    try:
        value(0, ())
    except _Give:
        return None
    return tokens[0][1], out


def index(text: str, max_depth: int) -> tuple[int, dict[Path, int]] | None:
    """:func:`positions`, in C where the package was built with it (``yamlfast.NATIVE``)."""
    if yamlfast.NATIVE:  # (tests switch it off to run the Python walk on the same texts)
        from stockade.target import _yamlc

        return _yamlc.json_lines(text, max_depth, orjson.loads)
    return positions(text, max_depth)
