"""Word-level lexing of Dockerfile instruction arguments, as BuildKit's parser does it.

Ported behaviour (moby/buildkit ``frontend/dockerfile/parser``): ``extractBuilderFlags`` (leading
``--name=value`` words; quotes removed, backslash escapes), ``parseWords`` (words with their quotes kept,
the escape token honoured), whitespace splitting on ``[\\t\\v\\f\\r ]+``, the JSON (exec) form test, and
the ``$VAR`` / ``${VAR}`` / ``${VAR:-default}`` substitution that ``FROM`` applies with the ARGs declared
before the first ``FROM`` (Dockerfile reference, "Understand how ARG and FROM interact").
"""

from __future__ import annotations

import json
import re

WHITESPACE = re.compile(r"[\t\v\f\r ]+")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def names(text: str) -> frozenset[str]:
    """A set of names from a space-separated string (for option and keyword tables)."""
    return frozenset(text.split())


class JSONArrayError(ValueError):
    """A JSON array with something other than strings in it (Docker refuses those)."""


def split_whitespace(text: str) -> list[str]:
    text = text.strip(" \t\v\f\r")
    return WHITESPACE.split(text) if text else []


def extract_flags(line: str) -> tuple[str, list[str]]:
    """Split ``--flag=value`` words off the front of ``line``: (rest, flags).  A lone ``--`` ends them."""
    flags: list[str] = []
    pos, n = 0, len(line)
    while True:
        while pos < n and line[pos].isspace():
            pos += 1
        if pos >= n:
            return "", flags
        if not line.startswith("--", pos):
            return line[pos:], flags
        word: list[str] = []
        quote = ""
        blank_ok = False
        while pos < n:
            ch = line[pos]
            if quote:
                if ch == quote:
                    quote = ""
                elif ch == "\\" and pos + 1 < n:
                    pos += 1
                    word.append(line[pos])
                elif ch != "\\":
                    word.append(ch)
            elif ch.isspace():
                break
            elif ch in "'\"":
                quote, blank_ok = ch, True
            elif ch == "\\":
                if pos + 1 < n:
                    pos += 1
                    word.append(line[pos])
            else:
                word.append(ch)
            pos += 1
        text = "".join(word)
        if text == "--":
            return (line[pos:] if pos < n else ""), flags
        if blank_ok or text:
            flags.append(text)


def flag_pairs(flags: list[str]) -> tuple[tuple[str, str], ...]:
    pairs = []
    for flag in flags:
        name, _, value = flag[2:].partition("=") if flag.startswith("--") else flag.partition("=")
        pairs.append((name.lower(), value))
    return tuple(pairs)


def parse_words(rest: str, escape: str) -> list[str]:
    """Whitespace-separated words, quotes kept, an escaped character kept with its escape token."""
    words: list[str] = []
    word: list[str] = []
    in_word = False
    quote = ""
    blank_ok = False
    pos, n = 0, len(rest)
    while pos < n:
        ch = rest[pos]
        if quote:
            if ch == quote:
                quote = ""
            if ch == escape and quote != "'" and quote:
                if pos + 1 == n:
                    pos += 1
                    continue
                word.append(ch)
                pos += 1
                ch = rest[pos]
            word.append(ch)
        elif ch.isspace():
            if in_word and (blank_ok or word):
                words.append("".join(word))
            word, in_word, blank_ok = [], False, False
        else:
            in_word = True
            if ch in "'\"":
                quote, blank_ok = ch, True
            if ch == escape:
                if pos + 1 == n:
                    pos += 1
                    continue
                word.append(ch)
                pos += 1
                ch = rest[pos]
            word.append(ch)
        pos += 1
    if in_word and (blank_ok or word):
        words.append("".join(word))
    return words


def unquote(word: str, escape: str = "\\") -> str:
    """Remove shell quoting from a word: quotes dropped, escapes resolved (no variable expansion)."""
    out: list[str] = []
    quote = ""
    pos, n = 0, len(word)
    while pos < n:
        ch = word[pos]
        if quote == "'":
            if ch == "'":
                quote = ""
            else:
                out.append(ch)
        elif quote == '"':
            if ch == '"':
                quote = ""
            elif ch == escape and pos + 1 < n and word[pos + 1] in ('"', "$", escape):
                pos += 1
                out.append(word[pos])
            else:
                out.append(ch)
        elif ch in "'\"":
            quote = ch
        elif ch == escape and pos + 1 < n:
            pos += 1
            out.append(word[pos])
        else:
            out.append(ch)
        pos += 1
    return "".join(out)


def raw_words(line: str) -> list[str]:
    """Shell words with quotes and backslashes kept as written (to find ``<<EOF`` heredoc openers)."""
    words: list[str] = []
    word: list[str] = []
    quote = ""
    pos, n = 0, len(line)
    while pos < n:
        ch = line[pos]
        if quote:
            word.append(ch)
            if ch == quote:
                quote = ""
            elif ch == "\\" and quote == '"' and pos + 1 < n:
                pos += 1
                word.append(line[pos])
        elif ch.isspace():
            if word:
                words.append("".join(word))
                word = []
        else:
            word.append(ch)
            if ch in "'\"":
                quote = ch
            elif ch == "\\" and pos + 1 < n:
                pos += 1
                word.append(line[pos])
        pos += 1
    if word:
        words.append("".join(word))
    return words


def _reject_constant(name: str) -> object:
    raise ValueError(f"not JSON: {name}")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def parse_json_array(rest: str) -> list[str] | None:
    """The strings of a JSON (exec form) array, or None when ``rest`` is not a JSON array (shell form).
    Like BuildKit (a ``json.Decoder`` reading one value) anything after the array is ignored.  Raises
    :class:`JSONArrayError` for an array holding anything but strings, as Docker does."""
    text = rest.lstrip()
    if not text.startswith("["):
        return None
    try:
        value, _ = _DECODER.raw_decode(text)
    except ValueError:
        return None
    if not isinstance(value, list):
        return None
    if not all(isinstance(item, str) for item in value):
        raise JSONArrayError("when using JSON array syntax, arrays must be comprised of strings only")
    return value


def expand(text: str, env: dict[str, str | None], escape: str = "\\") -> tuple[str, bool]:
    """Substitute ``$NAME``, ``${NAME}``, ``${NAME:-word}``, ``${NAME-word}``, ``${NAME:+word}`` and
    ``${NAME+word}`` from ``env`` (a value of None: declared without a default).  Returns the text and
    whether every reference had a known value; an unknown reference is left as written."""
    out: list[str] = []
    resolved = True
    pos, n = 0, len(text)
    while pos < n:
        ch = text[pos]
        if ch == escape and pos + 1 < n:
            out.append(text[pos + 1] if text[pos + 1] == "$" else text[pos : pos + 2])
            pos += 2
            continue
        if ch != "$" or pos + 1 >= n:
            out.append(ch)
            pos += 1
            continue
        if text[pos + 1] == "{":
            end = text.find("}", pos + 2)
            if end < 0:
                out.append(text[pos:])
                resolved = False
                break
            inner = text[pos + 2 : end]
            value = _expand_braced(inner, env)
            if value is None:
                out.append(text[pos : end + 1])
                resolved = False
            else:
                out.append(value)
            pos = end + 1
            continue
        match = _NAME.match(text, pos + 1)
        if not match:
            out.append(ch)
            pos += 1
            continue
        got = env.get(match.group())
        if got is None:
            out.append("$" + match.group())
            resolved = False
        else:
            out.append(got)
        pos = match.end()
    return "".join(out), resolved


def _expand_braced(inner: str, env: dict[str, str | None]) -> str | None:
    match = _NAME.match(inner)
    if not match:
        return None
    name, rest = match.group(), inner[match.end() :]
    value = env.get(name)
    if rest == "":
        return value
    for op in (":-", ":+", "-", "+"):
        if rest.startswith(op):
            word = rest[len(op) :]
            if "$" in word:
                return None
            if name not in env and op in ("-", ":-"):
                return word
            if name not in env:
                return ""
            if value is None:  # declared without a default: the build may pass one
                return None
            empty_is_unset = op.startswith(":")
            is_set = bool(value) if empty_is_unset else True
            if op.endswith("-"):
                return value if is_set else word
            return word if is_set else ""
    return None
