"""A parsed Dockerfile: instructions with their lines, grouped into build stages.

What ``args`` holds depends on the instruction, following BuildKit's parser (``frontend/dockerfile/parser``):

    RUN, CMD, ENTRYPOINT, SHELL   exec form: the JSON strings; shell form: one string, the command
    ADD, COPY, VOLUME             exec form: the JSON strings; else the whitespace-separated words
    FROM, EXPOSE, unknown         the whitespace-separated words
    ENV, LABEL                    key, value, key, value ... (quotes removed from the values)
    ARG                           the declarations as written (``NAME`` or ``NAME=value``, quotes removed)
    HEALTHCHECK                   ``NONE``, or ``CMD`` followed by the command as for ``CMD``
    ONBUILD                       one string: the trigger instruction
    USER, WORKDIR, MAINTAINER,
    STOPSIGNAL                    one string, the rest of the line
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Instruction:
    keyword: str  # upper case, as Docker matches it case-insensitively
    value: str  # the arguments after the flags, continuation lines joined, as written
    args: list[str]
    flags: tuple[tuple[str, str], ...] = ()  # ("mount", "type=cache,target=/root/.cache") for --mount=...
    line: int = 0  # 1-based line where the instruction starts
    end_line: int = 0  # last line (of a heredoc body, when there is one)
    json_form: bool = False
    heredocs: list[tuple[str, str]] = field(default_factory=list)  # (delimiter, body); ``<<-`` tab-stripped
    original: str = ""  # the whole instruction line, continuations joined
    stage: int | None = None  # index of the stage it belongs to; None before the first FROM

    def flag(self, name: str) -> str | None:
        """The value of the last ``--name`` flag (``""`` for a flag given without ``=``), or None."""
        found: str | None = None
        for key, value in self.flags:
            if key == name:
                found = value
        return found

    def flag_values(self, name: str) -> list[str]:
        return [value for key, value in self.flags if key == name]


@dataclass(frozen=True, slots=True)
class Stage:
    index: int
    name: str | None  # the ``AS`` name, lower case as BuildKit compares it
    base: str  # image reference after ARG substitution; as written when a variable has no value
    base_line: int
    instructions: list[Instruction]  # the stage's instructions after its FROM
    from_stage: bool = False  # FROM names an earlier stage
    parent: int | None = None  # that stage's index
    platform: str | None = None  # --platform=
    base_raw: str = ""  # the reference as written
    from_instruction: Instruction | None = None


@dataclass(frozen=True, slots=True)
class Dockerfile:
    path: str
    stages: list[Stage]
    instructions: list[Instruction]  # every instruction in file order, global ARGs included
    directives: dict[str, str] = field(default_factory=dict)  # "syntax", "escape", "check"
    escape: str = "\\"

    @property
    def final_stage(self) -> Stage:
        return self.stages[-1]

    def stage_chain(self, stage: Stage) -> list[Stage]:
        """The stage and the earlier stages it is built ``FROM``, nearest first."""
        chain = [stage]
        seen = {stage.index}
        while chain[-1].parent is not None and chain[-1].parent not in seen:
            parent = self.stages[chain[-1].parent]
            seen.add(parent.index)
            chain.append(parent)
        return chain

    def stage_named(self, name: str) -> Stage | None:
        """A stage by ``AS`` name (case-insensitive) or by index, as ``COPY --from=`` accepts."""
        low = name.lower()
        for stage in self.stages:
            if stage.name == low:
                return stage
        if low.isdigit() and int(low) < len(self.stages):
            return self.stages[int(low)]
        return None
