"""A small shell-aware splitter for the commands of ``RUN`` instructions.

It is not a shell: it splits a POSIX ``sh`` script into pipelines (``&&``, ``||``, ``;``, ``&`` and newlines
separate them) and each pipeline into simple commands (``|``), respecting single and double quotes,
backslash escapes and ``$(...)``, backquote and ``<(...)`` substitutions, whose text is kept so it can be
analysed in turn.  Words are returned with their quotes removed; redirections (``> file``, ``2>&1``,
``<<EOF``) and leading ``NAME=value`` assignments are set apart; leading reserved words (``if``,
``then``, ``do``, ``!`` ...) are dropped.  Enough to tell a command from a string that mentions it:
``echo "curl x | sh"`` is one ``echo`` command, not a pipeline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stockade.checks.dockerfile.words import names

_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=")
_RESERVED = frozenset({"if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}"})
_SEPARATORS = frozenset({"&&", "||", ";", "&", "\n", "(", ")", ";;"})
SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "busybox"})


@dataclass(frozen=True, slots=True)
class Command:
    words: tuple[str, ...]  # quotes removed; assignments and redirections not included
    assignments: tuple[str, ...] = ()
    redirects: tuple[str, ...] = ()  # targets of the redirections (``<<EOF`` gives ``EOF``)
    substitutions: tuple[str, ...] = ()  # text of $(...), `...` and <(...) in the words

    @property
    def name(self) -> str:
        """The program's base name (``/usr/bin/apt-get`` -> ``apt-get``), or ``""``."""
        return self.words[0].rsplit("/", 1)[-1] if self.words else ""


Pipeline = list[Command]


@dataclass(slots=True)
class _Word:
    text: list[str]
    subs: list[str]
    quoted: bool = False


def _matching(text: str, pos: int, open_: str, close: str) -> int:
    """Index of the ``close`` matching the ``open_`` just before ``pos`` (quotes respected), or len."""
    depth = 1
    quote = ""
    n = len(text)
    while pos < n:
        ch = text[pos]
        if quote:
            if ch == quote:
                quote = ""
            elif ch == "\\" and quote == '"':
                pos += 1
        elif ch == "\\":
            pos += 1
        elif ch in "'\"":
            quote = ch
        elif ch == open_:
            depth += 1
        elif ch == close:
            depth -= 1
            if depth == 0:
                return pos
        pos += 1
    return n


def tokenize(script: str) -> list[tuple[str, str, list[str]]]:
    """Tokens: ("word", text, substitutions), ("op", operator, []), ("redir", operator, [])."""
    out: list[tuple[str, str, list[str]]] = []
    word: _Word | None = None
    pos, n = 0, len(script)
    heredocs: list[tuple[str, bool]] = []  # delimiters whose bodies start after the next newline

    def finish() -> None:
        nonlocal word
        if word is not None and (word.text or word.quoted or word.subs):
            if out and out[-1][0] == "redir" and out[-1][1] in ("<<", "<<-"):
                heredocs.append(("".join(word.text), out[-1][1] == "<<-"))
            out.append(("word", "".join(word.text), word.subs))
        word = None

    def skip_bodies(start: int) -> int:
        """Skip the here-document bodies that begin at ``start``; return where the script goes on."""
        for delimiter, strip_tabs in heredocs:
            while start < n:
                end = script.find("\n", start)
                end = n if end < 0 else end
                line = script[start:end].rstrip("\r")
                start = end + 1
                if (line.lstrip("\t") if strip_tabs else line) == delimiter:
                    break
        heredocs.clear()
        return start

    def current() -> _Word:
        nonlocal word
        if word is None:
            word = _Word([], [])
        return word

    def substitution(start: int, open_: str, close: str) -> int:
        end = _matching(script, start, open_, close)
        current().subs.append(script[start:end])
        current().text.append(script[start - 2 : end + 1])
        return end + 1

    while pos < n:
        ch = script[pos]
        if ch == "\\":
            if pos + 1 < n and script[pos + 1] == "\n":
                pos += 2
                continue
            if pos + 1 < n:
                current().text.append(script[pos + 1])
            pos += 2
        elif ch == "'":
            end = script.find("'", pos + 1)
            end = n if end < 0 else end
            w = current()
            w.quoted = True
            w.text.append(script[pos + 1 : end])
            pos = end + 1
        elif ch == '"':
            w = current()
            w.quoted = True
            pos += 1
            while pos < n and script[pos] != '"':
                c = script[pos]
                if c == "\\" and pos + 1 < n:
                    nxt = script[pos + 1]
                    if nxt != "\n":
                        w.text.append(nxt if nxt in '$`"\\' else c + nxt)
                    pos += 2
                elif c == "$" and script.startswith("$(", pos) and not script.startswith("$((", pos):
                    pos = substitution(pos + 2, "(", ")")
                elif c == "`":
                    end = script.find("`", pos + 1)
                    end = n if end < 0 else end
                    w.subs.append(script[pos + 1 : end])
                    w.text.append(script[pos : end + 1])
                    pos = end + 1
                else:
                    w.text.append(c)
                    pos += 1
            pos += 1
        elif ch == "$" and script.startswith("$(", pos) and not script.startswith("$((", pos):
            pos = substitution(pos + 2, "(", ")")
        elif ch == "`":
            end = script.find("`", pos + 1)
            end = n if end < 0 else end
            current().subs.append(script[pos + 1 : end])
            current().text.append(script[pos : end + 1])
            pos = end + 1
        elif ch in "<>" and script.startswith("(", pos + 1):
            pos = substitution(pos + 2, "(", ")")
        elif ch == "#" and word is None:
            end = script.find("\n", pos)
            pos = n if end < 0 else end
        elif ch == "\n":
            finish()
            out.append(("op", "\n", []))
            pos = skip_bodies(pos + 1) if heredocs else pos + 1
        elif ch in " \t\r":
            finish()
            pos += 1
        elif ch in "<>" or (ch == "&" and script.startswith("&>", pos)):
            if word is not None and not word.quoted and "".join(word.text).isdigit():
                word = None  # a file descriptor number: 2>&1
            finish()
            m = re.compile(r"&?[<>]+[-&|]?").match(script, pos)
            op = m.group() if m else ch
            out.append(("redir", op, []))
            pos += len(op)
        elif ch in "&|;()":
            finish()
            two = script[pos : pos + 2]
            op = two if two in ("&&", "||", ";;", "|&") else ch
            out.append(("op", op, []))
            pos += len(op)
        else:
            current().text.append(ch)
            pos += 1
    finish()
    return out


def split(script: str) -> list[Pipeline]:
    """The pipelines of ``script``, each a list of simple commands."""
    pipelines: list[Pipeline] = []
    pipeline: Pipeline = []
    words: list[str] = []
    assigns: list[str] = []
    redirects: list[str] = []
    subs: list[str] = []
    pending_redirect = False

    def end_command() -> None:
        nonlocal words, assigns, redirects, subs
        while words and words[0] in _RESERVED:
            words.pop(0)
        if words or assigns or redirects or subs:
            pipeline.append(Command(tuple(words), tuple(assigns), tuple(redirects), tuple(subs)))
        words, assigns, redirects, subs = [], [], [], []

    def end_pipeline() -> None:
        nonlocal pipeline
        end_command()
        if pipeline:
            pipelines.append(pipeline)
        pipeline = []

    for kind, text, word_subs in tokenize(script):
        subs.extend(word_subs)
        if kind == "redir":
            pending_redirect = True
        elif kind == "word":
            if pending_redirect:
                redirects.append(text)
                pending_redirect = False
            elif not words and _ASSIGNMENT.match(text):
                assigns.append(text)
            elif not words and text in _RESERVED:
                continue
            else:
                words.append(text)
        elif text in ("|", "|&"):
            pending_redirect = False
            end_command()
        elif text in _SEPARATORS:
            pending_redirect = False
            end_pipeline()
    end_pipeline()
    return pipelines


_WRAPPER_ARGS = {
    "sudo": names("-u -g -h -p -C -D -r -t -U"),
    "nice": frozenset({"-n"}),
}


def unwrap(command: Command) -> Command:
    """The command that ``sudo``, ``env``, ``nice``, ``time``, ``nohup``, ``exec`` or ``command`` run."""
    words = list(command.words)
    while words:
        name = words[0].rsplit("/", 1)[-1]
        if name not in ("sudo", "env", "nice", "time", "nohup", "exec", "command", "doas"):
            break
        words.pop(0)
        takes_arg = _WRAPPER_ARGS.get(name, frozenset())
        while words and (words[0].startswith("-") or (name == "env" and "=" in words[0])):
            flag = words.pop(0)
            if flag in takes_arg and words:
                words.pop(0)
            if flag == "--":
                break
    if len(words) == len(command.words):
        return command
    return Command(tuple(words), command.assignments, command.redirects, command.substitutions)


def shell_c_script(command: Command) -> str | None:
    """The script of ``sh -c 'script'`` (any shell, options before ``-c`` allowed), or None."""
    if command.name not in SHELLS:
        return None
    args = list(command.words[1:])
    if command.name == "busybox" and args and args[0] in SHELLS:
        args.pop(0)
    for i, arg in enumerate(args):
        if not arg.startswith("-"):
            return None
        if "c" in arg[1:] and not arg.startswith("--"):
            return args[i + 1] if i + 1 < len(args) else None
    return None


def all_commands(script: str, depth: int = 0, *, unwrapped: bool = True) -> list[tuple[Pipeline, Command]]:
    """Every simple command in ``script`` with its pipeline, including the commands inside substitutions
    and ``sh -c`` scripts (to a small depth).  With ``unwrapped``, ``sudo``/``env``/... are looked through
    (``sudo apt-get install`` is an ``apt-get`` command)."""
    out: list[tuple[Pipeline, Command]] = []
    for pipeline in split(script):
        inner_pipeline = [unwrap(cmd) for cmd in pipeline]
        for cmd, inner in zip(pipeline, inner_pipeline, strict=True):
            out.append((inner_pipeline, inner) if unwrapped else (pipeline, cmd))
            if depth >= 4:
                continue
            for sub in inner.substitutions:
                out.extend(all_commands(sub, depth + 1, unwrapped=unwrapped))
            nested = shell_c_script(inner)
            if nested is not None:
                out.extend(all_commands(nested, depth + 1, unwrapped=unwrapped))
    return out
