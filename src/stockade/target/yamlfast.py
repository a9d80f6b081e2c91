"""A fast reader for the block-style YAML that Kubernetes manifests are written in, exact or silent.

PyYAML builds a node (with two marks) for every scalar before :mod:`stockade.target.manifests` turns the
nodes into data and a position index; on a corpus of rendered manifests that is over half of a scan.  This
reader goes line by line over the subset that renderers (``helm template``, ``kustomize build``,
``kubectl get -o yaml``) and people write: block mappings and sequences, compact sequences under a key,
plain and single-line quoted scalars, one-line flow sequences of scalars, empty flow collections, literal
and folded block scalars, comments, ``---`` between documents.

It is exact or it gives up: whatever it does not handle — anchors, aliases, tags, directives, ``...``,
``?`` keys, multi-line plain or quoted scalars, escapes in double quotes, tabs, ``\\r``, characters YAML
forbids, empty documents, merge keys, block scalars with an indentation indicator, anything that would be
an error — raises :class:`Unsupported` for the whole text and the caller parses it with PyYAML, which
also reports the errors.  What it returns is what PyYAML's safe loader gives (YAML 1.1: the same implicit
resolver and constructors decide what a plain scalar is), with the same positions; the test suite checks
that on every manifest and fixture in the repository and on generated documents.

Block scalars follow PyYAML's ``scan_block_scalar`` (https://github.com/yaml/pyyaml,
``lib/yaml/scanner.py``): the indentation is the larger of the parent's plus one and the deepest of the
leading blank lines and the first content line; folding joins two lines with a space only when both start
at that indentation with a non-space and no blank line is between them; chomping ``-`` strips the final
line break, ``+`` keeps the trailing blank lines.
"""

from __future__ import annotations

import re
from typing import Any

from stockade.target import yamlscalar

Path = tuple[str | int, ...]
#: (line of the document's root node, line that ends it, data, line of every key and item) — lines 1-based
Doc = tuple[int, int, Any, dict[Path, int]]


class Unsupported(Exception):
    """The text uses YAML this reader leaves to PyYAML."""


#: the deepest a collection may be nested (the keys and indices on its path); deeper documents go to
#: PyYAML, and manifests' builder refuses them with an error naming the line (no Kubernetes object comes
#: close; without a bound, Python's recursion limit ended the whole scan)
MAX_DEPTH = 200

try:  # the walk over block collections in C (``_yamlc.c``), built where a compiler was at install time
    from stockade.target import _yamlc
except ImportError:  # pragma: no cover - installed without a compiler: the same walk in Python below
    _yamlc = None  # type: ignore[assignment]  # (every use is behind NATIVE)
else:
    _yamlc.bind(Unsupported, MAX_DEPTH)

#: whether readers use the C walk (tests set it False to run the Python one on the same inputs)
NATIVE = _yamlc is not None


# PyYAML's Reader.NON_PRINTABLE, and what this reader never handles (tab, carriage return, NEL, BOM
# inside the text, the Unicode line and paragraph separators, which YAML 1.1 counts as line breaks)
#: "[^\x0a\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]", written as
#: the characters it matches (compiled in 1.3 ms instead of the negated class's 10)
_REFUSED_PATTERN = "[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]"
#: the same for ASCII text (most manifests), which compiles in a fraction of that
_REFUSED_ASCII = re.compile("[\x00-\x09\x0b-\x1f\x7f]")
_refused_full: re.Pattern[str] | None = None


def _refused(text: str) -> bool:
    global _refused_full
    if text.isascii():
        return _REFUSED_ASCII.search(text) is not None
    if _refused_full is None:
        _refused_full = re.compile(_REFUSED_PATTERN)
    return _refused_full.search(text) is not None


#: one line, split in one pass over the whole text (``findall``): its indentation; a block sequence's
#: dash with the spaces after it; an implicit key (plain — not starting with an indicator, without "#",
#: up to the first ":" followed by a space or the end of the line — or quoted on one line, without
#: escapes); and the rest of the line.  A line it cannot split (a key with "#", an escaped quote) leaves
#: the key empty and the reader gives up on it.
_LINE = re.compile(
    r"^( *)"
    r"(-(?= |$) *)?"
    r"(?:([^ \n#'\"&*!|>%@`,\[\]{}?:-][^\n#]*?|[?:-][^ \n#][^\n#]*?|'(?:[^'\n]|'')*'|\"[^\"\\\n]*\")"
    r" *:(?= |$) *)?"
    r"([^\n]*)",
    re.M,
)
#: what may not start a plain scalar (YAML 1.1 c-indicator, less "-", "?", ":" followed by a non-space)
_NOT_PLAIN_START = frozenset("[]{},#&*!|>'\"%@`")
#: where a plain scalar ends in a flow collection; what this reader does not take inside one (PyYAML
#: ends it at "?" too, and a ": " or " #" there means a key or a comment)
_FLOW_PLAIN_END = re.compile(r"[,\[\]{}]")
_FLOW_PLAIN_REFUSED = (": ", " #", "?")


class _Values:
    """Plain scalar text → value, as PyYAML's safe loader resolves and constructs it (memoised: manifests
    repeat ``true``, ``80``, ``v1`` thousands of times; every value it can return is immutable)."""

    def __init__(self) -> None:
        self.memo: dict[str, Any] = {}
        #: the text after a key or dash, as the line has it (comment included) → the scalar it is, for the
        #: one-line plain and quoted scalars: the same texts recur in every manifest
        self.rests: dict[str, Any] = {}

    def plain(self, text: str) -> Any:
        try:
            return self.memo[text]
        except KeyError:
            pass
        try:
            value = yamlscalar.plain(text)
        except Exception as exc:  # an impossible date, "=", "<<": PyYAML says what is wrong
            raise Unsupported(f"plain scalar {text!r}") from exc
        if isinstance(value, (list, dict, set, bytearray)):
            raise Unsupported(f"plain scalar {text!r} is not immutable")
        if len(self.memo) < 100_000 and value == value:  # (a NaN key is a new key each time, as in PyYAML)
            self.memo[text] = value
        return value


_VALUES: _Values | None = None
_MISS = object()


def _values() -> _Values:
    global _VALUES
    if _VALUES is None:
        _VALUES = _Values()
    return _VALUES


def parse(text: str) -> list[Doc]:
    """Every document of ``text``; raises :class:`Unsupported` where PyYAML must read it instead."""
    if _yamlc.refused(text) if NATIVE else _refused(text):
        raise Unsupported("a character this reader leaves to PyYAML")
    return _Reader(text).documents()


def _depth(path: Path) -> None:
    """A collection at ``path`` may be read here only up to :data:`MAX_DEPTH` (``_yamlc.c``: enter)."""
    if len(path) > MAX_DEPTH:
        raise Unsupported("nested deeper than the fast reader reads")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _marker(line: str) -> bool:
    """Whether ``line`` starts with a document start marker (``---`` then a space or nothing)."""
    return line.startswith("---") and (len(line) == 3 or line[3] == " ")


def _skip_spaces(s: str, pos: int) -> int:
    while pos < len(s) and s[pos] == " ":
        pos += 1
    return pos


def _comment_or_empty(rest: str) -> bool:
    """Whether what follows a token is nothing but spaces and perhaps a comment (``rest`` starts right
    after the token)."""
    s = rest.lstrip(" ")
    return not s or (s[0] == "#" and len(s) < len(rest))


class _Reader:
    def __init__(self, text: str) -> None:
        lines = text.split("\n")
        self.newline_at_end = text.endswith("\n")
        if self.newline_at_end:
            lines.pop()
        elif lines and not lines[-1].strip(" "):
            raise Unsupported("blank last line without a line break")
        self.lines = lines
        self.n = len(lines)
        #: per line: (indentation, "-" and the spaces after it, key, the rest) — see :data:`_LINE`
        self.tok: list[tuple[str, str, str, str]] = (
            _yamlc.tokens(lines) if NATIVE else _LINE.findall(text)[: self.n]
        )
        # where PyYAML's end-of-stream mark is (0-based line): libyaml ends an unterminated last line
        self.eof_line = self.n
        self.values = _values()
        self.positions: dict[Path, int] = {}
        self._start = 0

    # -- lines ---------------------------------------------------------------------------------------

    def skip(self, i: int) -> int:
        """The first line from ``i`` with content (not blank, not only a comment)."""
        tok, n = self.tok, self.n
        while i < n:
            _sp, dash, key, rest = tok[i]
            if dash or key or (rest and rest[0] != "#"):
                return i
            i += 1
        return n

    def follow(self, i: int, ind: int) -> tuple[int, bool]:
        """The first line from ``i`` with content, and whether it goes on the block collection at column
        ``ind`` (False: the block ended before it — a line less indented, a ``---``, the end)."""
        i = self.skip(i)
        if i >= self.n:
            return i, False
        cur = len(self.tok[i][0])
        if cur < ind or (cur == 0 and _marker(self.lines[i])):
            return i, False
        if cur > ind:
            raise Unsupported("continuation line")
        return i, True

    def break_after(self, i: int) -> str:
        return "\n" if i < self.n - 1 or self.newline_at_end else ""

    # -- documents -----------------------------------------------------------------------------------

    def documents(self) -> list[Doc]:
        out: list[Doc] = []
        lines = self.lines
        i = self.skip(0)
        while i < self.n:
            line = lines[i]
            if _marker(line):
                if not _comment_or_empty(line[3:]):
                    raise Unsupported("content after ---")
                i = self.skip(i + 1)
                if i >= self.n or lines[i].startswith("---"):
                    raise Unsupported("empty document")
                line = lines[i]
            if line.startswith(("...", "%")):
                raise Unsupported("document end marker or directive")
            if self.tok[i][0]:
                raise Unsupported("indented root node")
            self.positions = {}
            self._start = i + 1
            data, i = _yamlc.node(self, i, ()) if NATIVE else self.node(i, ())
            i = self.skip(i)
            if i < self.n:
                if not _marker(lines[i]):
                    raise Unsupported("content after the root node")
                after = i + 1
            else:
                after = self.eof_line + 1
            out.append((self._start, after, data, self.positions))
        return out

    def retok(self, i: int, col: int, rest: str) -> None:
        """Split line ``i`` again as if its text after the dash at ``col`` were the whole line (``- - x``:
        the item is a sequence whose items are at ``col``)."""
        m = _LINE.match(" " * col + rest)
        assert m is not None  # (the pattern matches any line)
        self.tok[i] = tuple(g or "" for g in m.groups())  # type: ignore[assignment]

    # The three methods below (node, mapping, sequence; skip and follow above) and the one-line plain and
    # quoted cases of scalar() (with _quoted, _plain and _comment_or_empty) are also written in C
    # (_yamlc.c, a line-for-line translation); a change here is a change there.

    def node(self, i: int, path: Path) -> tuple[Any, int]:
        """The block collection whose first line is ``i``."""
        sp, dash, key, _rest = self.tok[i]
        if dash:
            return self.sequence(i, len(sp), path)
        if key:
            return self.mapping(i, len(sp), path)
        raise Unsupported("a scalar on a line of its own")

    # -- collections ---------------------------------------------------------------------------------

    def mapping(self, i: int, ind: int, path: Path) -> tuple[dict[Any, Any], int]:
        _depth(path)
        tok, n, positions, plain = self.tok, self.n, self.positions, self.values.plain
        memo, rests = self.values.memo, self.values.rests
        out: dict[Any, Any] = {}
        follow = self.follow
        while True:
            i, more = follow(i, ind)
            if not more:
                return out, i
            _sp, dash, key, rest = tok[i]
            if dash:
                raise Unsupported("sequence item in a mapping")
            if not key:
                raise Unsupported("not a key")
            c = key[0]
            k: Any
            if c == "'":
                k = key[1:-1].replace("''", "'")
            elif c == '"':
                k = key[1:-1]
            else:
                k = memo.get(key, _MISS)
                if k is _MISS:
                    k = plain(key)
            child = (*path, k)
            positions[child] = i + 1
            v = rests.get(rest, _MISS)
            if v is not _MISS:
                out[k] = v
                i += 1
                continue
            if not rest or rest[0] == "#":
                j = self.skip(i + 1)
                if j < n:
                    nsp, ndash, _k, _r = tok[j]
                    if len(nsp) > ind:
                        out[k], i = self.node(j, child)
                        continue
                    if len(nsp) == ind and ndash:
                        out[k], i = self.sequence(j, ind, child)
                        continue
                out[k] = None
                i += 1
                continue
            out[k], i = self.scalar(rest, i, ind, child)

    def sequence(self, i: int, ind: int, path: Path) -> tuple[list[Any], int]:
        _depth(path)
        tok, n, positions = self.tok, self.n, self.positions
        items: list[Any] = []
        value: Any
        follow = self.follow
        while True:
            i, more = follow(i, ind)
            if not more:
                return items, i
            _sp, dash, key, rest = tok[i]
            if not dash:
                return items, i  # the next key of the mapping this compact sequence is the value of
            child = (*path, len(items))
            col = ind + len(dash)
            if key:
                positions[child] = i + 1
                tok[i] = (" " * col, "", key, rest)  # the item is a mapping whose keys are at ``col``
                value, i = self.mapping(i, col, child)
            elif not rest or rest[0] == "#":
                j = self.skip(i + 1)
                if j >= n or len(tok[j][0]) <= ind:
                    raise Unsupported("empty sequence item")
                positions[child] = j + 1
                value, i = self.node(j, child)
            elif rest[0] == "-" and (len(rest) == 1 or rest[1] == " "):
                positions[child] = i + 1
                self.retok(i, col, rest)
                value, i = self.sequence(i, col, child)
            else:
                positions[child] = i + 1
                value, i = self.scalar(rest, i, ind, child)
            items.append(value)

    # -- values --------------------------------------------------------------------------------------

    def scalar(self, body: str, i: int, ind: int, path: Path) -> tuple[Any, int]:
        """The value written on line ``i`` after a key or a dash (``body``, not blank, not a comment);
        returns it and the line after it."""
        c = body[0]
        if c == "|" or c == ">":
            return self.block_scalar(body, i, ind)
        value: Any
        if c == "'" or c == '"':
            value, after = _quoted(body)
            if not _comment_or_empty(after):
                raise Unsupported("text after a quoted scalar")
        elif c == "[" or c == "{":
            return self.flow(body, i, path), i + 1
        else:
            value = self.values.plain(_plain(body))
        rests = self.values.rests
        if len(rests) < 100_000 and value == value:
            rests[body] = value
        return value, i + 1

    def flow(self, body: str, i: int, path: Path) -> list[Any] | dict[Any, Any]:
        """A flow collection that starts and ends on line ``i`` (scalars and flow collections inside)."""
        value, pos = self.flow_node(body, 0, i, path)
        if not _comment_or_empty(body[pos:]):
            raise Unsupported("text after a flow collection")
        return value  # type: ignore[no-any-return]

    def flow_node(self, s: str, pos: int, i: int, path: Path) -> tuple[Any, int]:
        """The flow value at ``s[pos]`` (no leading space) and the position after it."""
        c = s[pos] if pos < len(s) else ""
        if c == "[" or c == "{":
            _depth(path)
            closing = "]" if c == "[" else "}"
            out: Any = [] if c == "[" else {}
            pos = _skip_spaces(s, pos + 1)
            while True:
                if pos >= len(s):
                    raise Unsupported("flow collection over several lines")
                if s[pos] == closing:
                    return out, pos + 1
                if c == "[":
                    child = (*path, len(out))
                    self.positions[child] = i + 1
                    value, pos = self.flow_node(s, pos, i, child)
                    out.append(value)
                else:
                    key, pos = self.flow_key(s, pos)
                    child = (*path, key)
                    self.positions[child] = i + 1
                    out[key], pos = self.flow_node(s, _skip_spaces(s, pos), i, child)
                pos = _skip_spaces(s, pos)
                if pos < len(s) and s[pos] == ",":
                    pos = _skip_spaces(s, pos + 1)
                elif pos < len(s) and s[pos] != closing:
                    raise Unsupported("flow item not followed by , or its closing bracket")
        if c == "'" or c == '"':
            text, after = _quoted(s[pos:])
            return text, len(s) - len(after)
        m = _FLOW_PLAIN_END.search(s, pos)
        end = len(s) if m is None else m.start()
        raw = s[pos:end].rstrip(" ")
        if (
            not raw
            or raw[0] in _NOT_PLAIN_START
            or (raw[0] in "-:" and (len(raw) == 1 or raw[1] == " "))
            or raw[-1] == ":"
            or any(x in raw for x in _FLOW_PLAIN_REFUSED)
        ):
            raise Unsupported("flow scalar this reader leaves to PyYAML")
        return self.values.plain(raw), pos + len(raw)

    def flow_key(self, s: str, pos: int) -> tuple[Any, int]:
        """A flow mapping's key and the position after its colon (``"k":`` or ``k: ``)."""
        c = s[pos]
        if c == "'" or c == '"':
            text, after = _quoted(s[pos:])
            pos = _skip_spaces(s, len(s) - len(after))
            if not s.startswith(":", pos):
                raise Unsupported("flow mapping key without a value")
            return text, pos + 1
        k = s.find(": ", pos)
        if k < 0:
            raise Unsupported("flow mapping key without ': '")
        raw = s[pos:k].rstrip(" ")
        if not raw or raw[0] in _NOT_PLAIN_START or raw[0] in "-?:" or any(x in raw for x in ",[]{}:#?"):
            raise Unsupported("flow mapping key this reader leaves to PyYAML")
        return self.values.plain(raw), k + 1

    def block_scalar(self, header: str, i: int, ind: int) -> tuple[str, int]:
        """A literal (``|``) or folded (``>``) block scalar whose header is on line ``i``."""
        folded = header[0] == ">"
        chomp = header[1:2]
        tail = header[2:] if chomp in ("-", "+") else header[1:]
        if chomp not in ("-", "+"):
            chomp = ""
        if not _comment_or_empty(tail):
            raise Unsupported("block scalar indentation indicator or text after the header")
        lines, n = self.lines, self.n
        min_indent = max(ind + 1, 1)
        # leading blank lines, then the first content line fix the indentation
        j = i + 1
        leading = 0
        max_indent = 0
        while j < n and not lines[j].strip(" "):
            max_indent = max(max_indent, len(lines[j]))
            leading += 1
            j += 1
        if j >= n:
            raise Unsupported("block scalar without content")
        first = _indent(lines[j])
        indent = max(min_indent, max_indent, first)
        if first < indent:
            raise Unsupported("empty block scalar or blank lines deeper than its text")
        chunks = ["\n"] * leading
        k = j
        while True:
            content = lines[k][indent:]
            leading_non_space = content[0] != " "
            chunks.append(content)
            line_break = self.break_after(k)
            breaks: list[str] = []
            m = k + 1
            while m < n:
                line = lines[m]
                if line.strip(" ") or len(line) > indent:
                    break
                breaks.append(self.break_after(m))
                m += 1
            if m < n and _indent(lines[m]) >= indent:
                if folded and line_break == "\n" and leading_non_space and lines[m][indent] != " ":
                    if not breaks:
                        chunks.append(" ")
                else:
                    chunks.append(line_break)
                chunks.extend(breaks)
                k = m
                continue
            break
        if chomp != "-":
            chunks.append(line_break)
        if chomp == "+":
            chunks.extend(breaks)
        return "".join(chunks), m


def _quoted(s: str) -> tuple[str, str]:
    """A one-line quoted scalar at the start of ``s``: its value and the text after the closing quote."""
    if s[0] == "'":
        parts = []
        pos = 1
        while True:
            end = s.find("'", pos)
            if end < 0:
                raise Unsupported("quoted scalar over several lines")
            parts.append(s[pos:end])
            if s.startswith("''", end):
                parts.append("'")
                pos = end + 2
                continue
            return "".join(parts), s[end + 1 :]
    end = s.find('"', 1)
    if end < 0:
        raise Unsupported("quoted scalar over several lines")
    text = s[1:end]
    if "\\" in text:
        raise Unsupported("escape in a double-quoted scalar")
    return text, s[end + 1 :]


def _plain(body: str) -> str:
    """The plain scalar at the start of ``body`` (a block value): up to a comment, trailing spaces cut."""
    c = body[0]
    if c in _NOT_PLAIN_START or (c in "-?:" and (len(body) == 1 or body[1] == " ")):
        raise Unsupported("indicator at the start of a plain scalar")
    k = body.find(" #")
    text = (body if k < 0 else body[:k]).rstrip(" ")
    if ": " in text or text.endswith(":"):
        raise Unsupported("colon and space in a plain scalar")
    return text
