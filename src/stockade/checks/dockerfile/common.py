"""What the Dockerfile checks share: the base class, the final stage's lineage, and the shell scripts a
``RUN`` executes (its command, the ``sh -c`` script of the exec form, and heredoc bodies that a shell runs).

Multi-stage builds: only the final stage becomes the image (``docker build`` without ``--target``), and
a stage built ``FROM`` an earlier stage inherits that stage's configuration (``USER``, ``HEALTHCHECK``,
``EXPOSE``, files).  :func:`final_lineage` is the final stage and the stages it is built from.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Iterator
from typing import ClassVar

from stockade.checks.dockerfile.model import Dockerfile, Instruction, Stage
from stockade.checks.dockerfile.shell import SHELLS, Command, Pipeline, all_commands, split, unwrap
from stockade.checks.dockerfile.words import raw_words, unquote
from stockade.checks.interface import Check, Violation

_HEREDOC = re.compile(r"^(\d*)<<(-?)([^<]*)$")
_EVIDENCE_MAX = 200


class DockerfileCheck(Check[Dockerfile]):
    """A check of one parsed Dockerfile.  ``NAME`` is ``dockerfile/<slug>``."""

    NAME: ClassVar[str]


def evidence(instr: Instruction) -> str:
    text = instr.original
    return text if len(text) <= _EVIDENCE_MAX else text[: _EVIDENCE_MAX - 3] + "..."


def violation(instr: Instruction, message: str, **extra: str) -> Violation:
    return Violation(message=message, line=instr.line, evidence=evidence(instr), extra=dict(extra))


def unique(violations: Iterable[Violation]) -> Iterator[Violation]:
    """Drop repeats (the same message on the same line), keeping the order."""
    seen: set[tuple[int | None, str]] = set()
    for v in violations:
        key = (v.line, v.message)
        if key not in seen:
            seen.add(key)
            yield v


def final_lineage(df: Dockerfile) -> list[Stage]:
    """The final stage and the earlier stages it is built FROM, in build order (oldest first)."""
    return list(reversed(df.stage_chain(df.final_stage)))


def lineage_instructions(df: Dockerfile) -> list[Instruction]:
    return [instr for stage in final_lineage(df) for instr in stage.instructions]


def variables(df: Dockerfile, stage: Stage, before_line: int) -> dict[str, str | None]:
    """ARG defaults and ENV values in effect in ``stage`` (and the stages it is built from) before a line;
    None for an ARG declared without a default."""
    env: dict[str, str | None] = {}
    for part in reversed(df.stage_chain(stage)):
        for instr in part.instructions:
            if instr.line >= before_line:
                break
            if instr.keyword == "ARG":
                for decl in instr.args:
                    name, sep, default = decl.partition("=")
                    env[name] = default if sep else None
            elif instr.keyword == "ENV":
                for i in range(0, len(instr.args) - 1, 2):
                    env[instr.args[i]] = instr.args[i + 1]
    return env


def cache_mount_targets(instr: Instruction) -> list[str]:
    """Targets of ``RUN --mount=type=cache,target=...`` (a cache mount keeps caches out of the image)."""
    targets: list[str] = []
    for spec in instr.flag_values("mount"):
        fields = dict(part.partition("=")[::2] for part in spec.split(","))
        if fields.get("type") == "cache":
            target = fields.get("target") or fields.get("dst") or fields.get("destination")
            if target:
                targets.append(target.rstrip("/") or "/")
    return targets


def _shebang_is_shell(body: str) -> bool:
    if not body.startswith("#!"):
        return True
    parts = body[2:].split("\n", 1)[0].split()
    if not parts:
        return True
    prog = parts[0].rsplit("/", 1)[-1]
    if prog == "env" and len(parts) > 1:
        prog = next((p for p in parts[1:] if not p.startswith("-")), "")
    return prog in SHELLS


def _reads_script_from_stdin(cmd: Command) -> bool:
    if cmd.name not in SHELLS:
        return False
    return all(w.startswith("-") and (w.startswith("--") or "c" not in w) for w in cmd.words[1:])


def run_scripts(instr: Instruction) -> list[str]:
    """The shell scripts a RUN instruction executes."""
    if instr.keyword != "RUN":
        return []
    if instr.json_form:
        args = instr.args
        if args and args[0].rsplit("/", 1)[-1] in SHELLS:
            for i, arg in enumerate(args[1:], 1):
                if arg.startswith("-") and not arg.startswith("--") and "c" in arg:
                    return [args[i + 1]] if i + 1 < len(args) else []
        return [shlex.join(args)] if args else []
    scripts = [instr.value]
    bodies = dict(instr.heredocs)
    words = raw_words(instr.value)
    if len(words) == 1 and _HEREDOC.match(words[0]) and instr.heredocs:
        only = instr.heredocs[0][1]
        return [only] if _shebang_is_shell(only) else []
    for pipeline in split(instr.value):
        for command in pipeline:
            cmd = unwrap(command)
            if not _reads_script_from_stdin(cmd):
                continue
            for target in cmd.redirects:
                body = bodies.get(unquote(target))
                if body is not None and _shebang_is_shell(body):
                    scripts.append(body)
    return scripts


def run_commands(instr: Instruction, *, unwrapped: bool = True) -> list[tuple[Pipeline, Command]]:
    """Every simple command of a RUN (with its pipeline), nested ``sh -c`` and substitutions included;
    ``sudo``, ``env`` and the like looked through unless ``unwrapped`` is false."""
    out: list[tuple[Pipeline, Command]] = []
    for script in run_scripts(instr):
        out.extend(all_commands(script, unwrapped=unwrapped))
    return out


def runs(stages: Iterable[Stage]) -> Iterator[Instruction]:
    for stage in stages:
        for instr in stage.instructions:
            if instr.keyword == "RUN":
                yield instr
