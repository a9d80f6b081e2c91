"""Token recognisers of the libsinsp filter grammar, character for character.

The reference is the grammar comment of libsinsp's ``filter/parser.h`` (kept verbatim in
``../shared/rules/falco/libsinsp-filter-grammar.txt``) and the lexer of ``filter/parser.cpp``: tokens are
matched at the cursor by anchored regular expressions or literal prefixes, blanks are
``' ' \\t \\b \\r \\n``, and quoted strings are unescaped by ``filter/escaping.cpp``'s rules (``\\b \\f
\\n \\r \\t \\\\ \\/``, the string's own quote, and the historical ``\\<space>`` that yields a single
backslash).  Operators that end in a space (``"contains "``) need that space, as upstream.
"""

from __future__ import annotations

import re

RGX_NOT_BLANK = re.compile(r"not[ \b\t\n\r]+")
RGX_IDENTIFIER = re.compile(r"[a-zA-Z]+[a-zA-Z0-9_]*")
RGX_FIELD_NAME = re.compile(r"[a-zA-Z]+[a-zA-Z0-9_]*(\.[a-zA-Z]+[a-zA-Z0-9_]*)+")
RGX_FIELD_ARG_BARE = re.compile(r"[^ \b\t\n\r\[\]\"']+")
RGX_HEX_NUM = re.compile(r"0[xX][0-9a-zA-Z]+")
RGX_NUMBER = re.compile(r"[+\-]?[0-9]+[.]?[0-9]*([eE][+\-][0-9]+)?")
RGX_BARE_STR = re.compile(r"[^ \b\t\n\r(),=\"']+")

BLANKS = frozenset(" \t\b\r\n")

UNARY_OPS = ("exists",)
NUM_OPS = ("<=", "<", ">=", ">")
STR_OPS = (
    "==",
    "=",
    "!=",
    "bcontains ",
    "bstartswith ",
    "contains ",
    "endswith ",
    "glob ",
    "icontains ",
    "iglob ",
    "startswith ",
    "regex ",
)
STR_OP_MODIFIERS = ("oneof ", "anyof ", "allof ")
LIST_OPS = ("intersects", "in", "pmatch")
TRANSFORMER_VAL = "val("
TRANSFORMERS = ("tolower(", "toupper(", "b64(", "basename(", "len(", "join(", "concat(", "getopt(")

#: every operator, trimmed, in the order libsinsp lists them in its error message
ALL_OPERATORS = tuple(op.strip() for op in (*UNARY_OPS, *NUM_OPS, *STR_OPS, *LIST_OPS))
TRANSFORMER_NAMES = ("val", *(t[:-1] for t in TRANSFORMERS))


class EscapeError(ValueError):
    """A quoted string with an escape sequence libsinsp refuses."""


def unescape(quoted: str) -> str:
    """The content of a quoted token (delimiters included in ``quoted``), as libsinsp's ``unescape_str``."""
    out: list[str] = []
    delim = quoted[0]
    escaped = False
    for ch in quoted[1:-1]:
        if not escaped:
            if ch == "\\":
                escaped = True
            else:
                out.append(ch)
            continue
        escaped = False
        if ch == "b":
            out.append("\b")
        elif ch == "f":
            out.append("\f")
        elif ch == "n":
            out.append("\n")
        elif ch == "r":
            out.append("\r")
        elif ch == "t":
            out.append("\t")
        elif ch in (" ", "\\"):  # "\ " is upstream's compatibility quirk: it yields one backslash
            out.append("\\")
        elif ch == "/":
            out.append("/")
        elif ch in "\"'":
            if ch != delim:
                other = "'" if ch == '"' else '"'
                raise EscapeError(f"invalid \\{ch} escape in {other}-quoted string")
            out.append(ch)
        else:
            raise EscapeError(f"unsupported string escape sequence: \\{ch}")
    return "".join(out)


class Cursor:
    """A position in the condition text and the last token read, as libsinsp's parser keeps them."""

    __slots__ = ("idx", "last", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.idx = 0
        self.last = ""

    def at_end(self) -> bool:
        return self.idx >= len(self.text)

    def blank(self) -> bool:
        """Skips blanks; True when there was at least one (does not change ``last``)."""
        text, i, n = self.text, self.idx, len(self.text)
        start = i
        while i < n and text[i] in BLANKS:
            i += 1
        self.idx = i
        return i > start

    def rgx(self, pattern: re.Pattern[str]) -> bool:
        m = pattern.match(self.text, self.idx)
        if m is None or m.end() == self.idx:
            return False
        self.last = m.group(0)
        self.idx = m.end()
        return True

    def lit(self, s: str) -> bool:
        if self.text.startswith(s, self.idx):
            self.last = s
            self.idx += len(s)
            return True
        return False

    def one_of(self, options: tuple[str, ...]) -> bool:
        return any(self.lit(s) for s in options)

    def quoted(self) -> bool:
        """A ``"…"`` or ``'…'`` token; ``last`` becomes its unescaped content."""
        text, i = self.text, self.idx
        if i >= len(text) or text[i] not in "\"'":
            return False
        delim = text[i]
        prev = "\\"
        j = i
        while j < len(text):
            ch = text[j]
            if ch == delim and prev != "\\" and j > i:
                raw = text[i : j + 1]
                self.last = unescape(raw)
                self.idx = j + 1
                return True
            prev = ch
            j += 1
        return False
