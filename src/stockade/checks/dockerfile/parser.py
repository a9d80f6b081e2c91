"""An exact Dockerfile parser, following the Dockerfile reference (docs.docker.com/reference/dockerfile)
and, where the reference is silent, BuildKit's own parser (moby/buildkit ``frontend/dockerfile/parser``).

The rules it reproduces, all of them subtle:

* Parser directives (``# syntax=``, ``# escape=``, ``# check=``) are only read at the very top: the first
  line that is not a directive (a comment, a blank line, an instruction) ends them.  A directive may appear
  once.  ``# escape=`` sets the escape token to backslash or backtick; it is also the line-continuation
  character.
* A line is continued when its last non-blank character is the escape token and that token is not itself
  escaped (``\\\\`` at the end does not continue).  The token and any trailing blanks are removed and the
  next line is appended as it is (its leading whitespace kept).  Inside a continued instruction, comment
  lines (``#`` after optional whitespace) and empty lines are dropped; the instruction goes on.
* ``#`` starts a comment only at the start of a line (after whitespace); elsewhere it is an argument.
* Keywords are case-insensitive.  Leading ``--name=value`` words are flags.  ``RUN``/``CMD``/
  ``ENTRYPOINT``/``SHELL`` and ``ADD``/``COPY``/``VOLUME`` take the JSON (exec) form when their argument is
  a JSON array; an array of anything but strings is an error; anything else is the shell form.
* Heredocs (``RUN``, ``COPY``, ``ADD``, and those under ``ONBUILD``; not in the exec form): every word of
  the instruction that matches ``^\\d*<<-?WORD$`` opens one; the bodies follow the instruction, in order,
  each up to a line equal to its delimiter (quotes removed from the delimiter; with ``<<-`` leading tabs
  are stripped from the body and from the terminating line).  A body keeps its line endings.
* ``FROM [--platform=P] image [AS name]``; ``ARG`` before the first ``FROM`` may supply ``${VAR}`` in it.
  Only ``ARG`` may come before the first ``FROM``.  Stage names are compared in lower case.

Errors (a :class:`~stockade.errors.ParseError` with the line) are raised where ``docker build`` would
refuse the file: binary data, invalid UTF-8, an unterminated heredoc, a non-string JSON array, ``ENV``
without a value, a bad ``FROM``, an instruction before ``FROM``, a repeated or invalid directive, a file
with no instructions.  An unknown instruction keyword is kept (a check reports it).  A continuation
token with nothing after it at the end of the file (an empty node for BuildKit) is dropped.

Checked against BuildKit's parser itself: tests/checks/dockerfile compares every instruction (keyword,
lines, flags, arguments, exec form, heredoc bodies) with what BuildKit makes of the same files.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from stockade.checks.dockerfile.model import Dockerfile, Instruction, Stage
from stockade.checks.dockerfile.words import (
    WHITESPACE,
    JSONArrayError,
    expand,
    extract_flags,
    flag_pairs,
    names,
    parse_json_array,
    parse_words,
    raw_words,
    split_whitespace,
    unquote,
)
from stockade.errors import ParseError

WHAT = "Dockerfile"
KNOWN = names(
    "ADD ARG CMD COPY ENTRYPOINT ENV EXPOSE FROM HEALTHCHECK LABEL MAINTAINER ONBUILD RUN "
    "SHELL STOPSIGNAL USER VOLUME WORKDIR"
)


HEREDOC_KEYWORDS = frozenset({"RUN", "COPY", "ADD"})
_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$")
_DIRECTIVES = ("syntax", "escape", "check")
_HEREDOC = re.compile(r"^(\d*)<<(-?)([^<]*)$")
_STAGE_NAME = re.compile(r"^[a-z][a-z0-9\-_.]*$")
_BAD_CHAR = re.compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f\ud800-\udfff]")
_LEADING_TABS = re.compile(r"^\t+", re.MULTILINE)
_MIN_ARGS = {"COPY": 2, "ADD": 2}
_NEEDS_ARGS = names(
    "ADD ARG COPY ENV EXPOSE FROM HEALTHCHECK LABEL MAINTAINER ONBUILD RUN SHELL STOPSIGNAL "
    "USER VOLUME WORKDIR"
)


class _Error(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def load_dockerfile(data: bytes, path: str) -> Dockerfile:
    """Decode (UTF-8, an optional BOM) and parse; invalid UTF-8 is a ParseError at its line."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ParseError(WHAT, path, "invalid UTF-8 (binary data?)", line=line) from None
    return parse_dockerfile(text, path)


def parse_dockerfile(text: str, path: str) -> Dockerfile:
    return _Parser(text, path).parse()


class _Parser:
    def __init__(self, text: str, path: str) -> None:
        self.path = path
        self.text = text[1:] if text.startswith("\ufeff") else text
        self.escape = "\\"
        self.directives: dict[str, str] = {}
        self.directives_done = False

    def error(self, reason: str, line: int) -> ParseError:
        return ParseError(WHAT, self.path, reason, line=line)

    def parse(self) -> Dockerfile:
        lines = self.text.split("\n")
        ends = ["\n"] * len(lines)
        ends[-1] = ""
        if lines[-1] == "" and len(lines) > 1:
            lines.pop()
            ends.pop()
        for number, line in enumerate(lines, 1):
            bad = _BAD_CHAR.search(line)
            if bad:
                what = "invalid UTF-8" if "\ud800" <= bad.group() <= "\udfff" else "a control character"
                raise self.error(f"{what} (binary data?); expected a text Dockerfile", number)
        instructions = self._instructions(lines, ends)
        return self._stages(instructions, len(lines))

    def _directive(self, token: str, number: int) -> None:
        if self.directives_done:
            return
        match = _DIRECTIVE.match(token)
        if not match or match.group(1).lower() not in _DIRECTIVES:
            self.directives_done = True
            return
        key, value = match.group(1).lower(), match.group(2)
        if key in self.directives:
            raise self.error(f"only one {key} parser directive can be used", number)
        if key == "escape":
            if value not in ("\\", "`"):
                raise self.error(f"invalid escape token {value!r}: expected ` or \\", number)
            self.escape = value
        self.directives[key] = value

    def _continued(self, line: str) -> tuple[str, bool]:
        """(line without the continuation token, whether it continues)."""
        body = line.rstrip(" \t")
        if body.endswith(self.escape) and (len(body) == 1 or body[-2] != self.escape):
            return body[:-1], True
        return line, False

    def _instructions(self, lines: list[str], ends: list[str]) -> list[Instruction]:
        out: list[Instruction] = []
        i, n = 0, len(lines)
        stage = -1
        while i < n:
            token = lines[i].rstrip("\r\n").lstrip()
            self._directive(token, i + 1)
            i += 1
            start = i
            line, more = self._continued("" if token.startswith("#") else token)
            if not more and line == "":
                continue
            while more and i < n:
                token = lines[i].rstrip("\r\n")
                self._directive(token, i + 1)
                i += 1
                if token.lstrip().startswith("#") or token.strip() == "":
                    continue  # comment and empty lines inside a continuation are dropped
                piece, more = self._continued(token)
                line += piece
            if not line.strip():
                continue  # a lone continuation token with nothing after it
            try:
                instr = self._instruction(line)
            except (_Error, JSONArrayError) as exc:
                raise self.error(str(exc), start) from None
            heredocs: list[tuple[str, str]] = []
            if _takes_heredoc(instr, self._instruction):
                for name, chomp in heredoc_openers(line):
                    body: list[str] = []
                    while i < n:
                        candidate = lines[i].rstrip("\r\n")
                        if chomp:
                            candidate = candidate.lstrip("\t")
                        i += 1
                        if candidate == name:
                            break
                        body.append(lines[i - 1] + ends[i - 1])
                    else:
                        raise self.error(f"unterminated heredoc: expected a line {name!r} to end it", start)
                    content = "".join(body)
                    heredocs.append((name, _LEADING_TABS.sub("", content) if chomp else content))
            if instr.keyword == "FROM":
                stage += 1
            out.append(
                Instruction(
                    keyword=instr.keyword,
                    value=instr.value,
                    args=instr.args,
                    flags=instr.flags,
                    line=start,
                    end_line=i,
                    json_form=instr.json_form,
                    heredocs=heredocs,
                    original=line,
                    stage=stage if stage >= 0 else None,
                )
            )
        return out

    def _instruction(self, line: str) -> Instruction:
        parts = split_whitespace(line)
        keyword = parts[0].upper()
        rest = WHITESPACE.split(line.strip(), 1)[1] if len(parts) > 1 else ""
        rest, flags = extract_flags(rest) if rest else ("", [])
        value = rest.strip()
        if keyword in _NEEDS_ARGS and not value:
            raise _Error(f"{keyword} requires at least one argument")
        json_form = False
        args: list[str]
        if keyword in ("RUN", "CMD", "ENTRYPOINT", "SHELL", "ADD", "COPY", "VOLUME"):
            array = parse_json_array(value)
            if array is not None:
                args, json_form = array, True
            elif keyword in ("ADD", "COPY", "VOLUME"):
                args = split_whitespace(value)
            else:
                args = [value] if value else []
        elif keyword in ("ENV", "LABEL"):
            args = self._name_values(keyword, value)
        elif keyword == "ARG":
            args = [unquote(word, self.escape) for word in parse_words(value, self.escape)]
        elif keyword == "HEALTHCHECK":
            args, json_form = _healthcheck(value)
        elif keyword == "ONBUILD":
            args = [value]
            json_form = self._instruction(value).json_form
        elif keyword in ("MAINTAINER", "USER", "WORKDIR", "STOPSIGNAL"):
            args = [value]
        else:
            args = split_whitespace(value)
        minimum = _MIN_ARGS.get(keyword, 0)
        if len(args) < minimum:
            raise _Error(f"{keyword} requires at least {minimum} arguments (source and destination)")
        return Instruction(
            keyword=keyword, value=value, args=args, flags=flag_pairs(flags), json_form=json_form
        )

    def _name_values(self, keyword: str, rest: str) -> list[str]:
        words = parse_words(rest, self.escape)
        if words and "=" not in words[0]:
            parts = split_whitespace(rest)
            if len(parts) < 2:
                raise _Error(f"{keyword} must have two arguments (name value, or name=value)")
            return [parts[0], unquote(WHITESPACE.split(rest.strip(), 1)[1], self.escape)]
        out: list[str] = []
        for word in words:
            if "=" not in word:
                raise _Error(f"can't find = in {word!r}: expected name=value")
            key, _, val = word.partition("=")
            out += [unquote(key, self.escape), unquote(val, self.escape)]
        return out

    def _stages(self, instructions: list[Instruction], nlines: int) -> Dockerfile:
        if not instructions:
            raise self.error("file with no instructions: expected FROM", max(nlines, 1))
        global_args: dict[str, str | None] = {}
        stages: list[Stage] = []
        names: dict[str, int] = {}
        for instr in instructions:
            if instr.keyword == "FROM":
                stages.append(self._stage(instr, len(stages), global_args, names))
            elif not stages:
                if instr.keyword != "ARG":
                    raise self.error(
                        f"expected FROM (only ARG may come before it), found {instr.keyword}", instr.line
                    )
                for decl in instr.args:
                    name, sep, default = decl.partition("=")
                    global_args[name] = default if sep else None
            else:
                stages[-1].instructions.append(instr)
        if not stages:
            raise self.error("expected FROM after the ARG instructions", instructions[-1].line)
        return Dockerfile(self.path, stages, instructions, dict(self.directives), self.escape)

    def _stage(
        self, instr: Instruction, index: int, global_args: dict[str, str | None], names: dict[str, int]
    ) -> Stage:
        args = instr.args
        if not (len(args) == 1 or (len(args) == 3 and args[1].lower() == "as")):
            raise self.error("FROM requires either one or three arguments: image [AS name]", instr.line)
        name: str | None = None
        if len(args) == 3:
            name = args[2].lower()
            if not _STAGE_NAME.match(name):
                raise self.error(
                    f"invalid stage name {args[2]!r}: expected a letter, then letters, digits, -, _ or .",
                    instr.line,
                )
            if name in names:
                raise self.error(f"duplicate stage name {name!r}", instr.line)
        base, resolved = expand(args[0], global_args, self.escape)
        if not resolved:
            base = args[0]
        parent = names.get(base.lower())
        if name is not None:
            names[name] = index
        return Stage(
            index=index,
            name=name,
            base=base,
            base_line=instr.line,
            instructions=[],
            from_stage=parent is not None,
            parent=parent,
            platform=instr.flag("platform"),
            base_raw=args[0],
            from_instruction=instr,
        )


def _healthcheck(value: str) -> tuple[list[str], bool]:
    kind, *more = WHITESPACE.split(value.strip(), 1)
    kind_upper = kind.upper()
    rest = more[0].strip() if more else ""
    if kind_upper == "NONE":
        if rest:
            raise _Error("HEALTHCHECK NONE takes no arguments")
        return ["NONE"], False
    if kind_upper != "CMD":
        raise _Error(f"unknown type {kind!r} in HEALTHCHECK: expected CMD or NONE")
    if not rest:
        raise _Error("HEALTHCHECK CMD requires a command")
    array = parse_json_array(rest)
    if array is not None:
        return ["CMD", *array], True
    return ["CMD", rest], False


def _takes_heredoc(instr: Instruction, parse: Callable[[str], Instruction]) -> bool:
    if instr.keyword == "ONBUILD" and instr.value:
        try:
            instr = parse(instr.value)
        except (_Error, JSONArrayError):
            return False
    return instr.keyword in HEREDOC_KEYWORDS and not instr.json_form


def heredoc_openers(line: str) -> list[tuple[str, bool]]:
    """(delimiter, strip tabs) for each heredoc the instruction line opens, in order."""
    out: list[tuple[str, bool]] = []
    for word in raw_words(line):
        match = _HEREDOC.match(word)
        if not match or not match.group(3):
            continue
        name = unquote(match.group(3))
        if name:
            out.append((name, match.group(2) == "-"))
    return out
