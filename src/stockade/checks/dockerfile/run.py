"""What RUN commands do: download-and-execute, sudo, world-writable permissions.

Commands are found with the shell-aware splitter (:mod:`.shell`), so a quoted string that mentions
``curl | sh`` is not a pipeline; the scripts of ``sh -c``, command substitutions and heredoc bodies run by
a shell are analysed too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from stockade.checks.dockerfile.common import DockerfileCheck, run_commands, runs, unique, violation
from stockade.checks.dockerfile.model import Dockerfile
from stockade.checks.dockerfile.shell import SHELLS, Command, Pipeline, all_commands, shell_c_script
from stockade.checks.interface import Violation
from stockade.model.severity import Severity

_DOWNLOADERS = frozenset({"curl", "wget", "fetch"})
_INTERPRETERS = SHELLS | {"python", "python2", "python3", "perl", "ruby", "node", "php"}
_OCTAL = re.compile(r"^[0-7]{1,4}$")
_SYMBOLIC = re.compile(r"^([ugoa]*)([-+=])([rwxXst]*)$")


def _interpreter(cmd: Command) -> bool:
    name = cmd.name
    return name in _INTERPRETERS or re.match(r"^python[0-9.]+$", name) is not None


def _downloads(text: str) -> bool:
    return any(cmd.name in _DOWNLOADERS for _, cmd in all_commands(text))


def _download_executed(pipeline: Pipeline, cmd: Command) -> str | None:
    """Why ``cmd`` executes downloaded code, or None."""
    if _interpreter(cmd) and shell_c_script(cmd) is None:
        index = next((i for i, c in enumerate(pipeline) if c is cmd), -1)
        earlier = [c.name for c in pipeline[:index] if c.name in _DOWNLOADERS]
        if earlier:
            return f"{earlier[0]} output is piped into {cmd.name}"
        if any(_downloads(sub) for sub in cmd.substitutions):
            return f"{cmd.name} runs a script produced by a download (process substitution)"
    script = shell_c_script(cmd)
    if script is not None and any(_downloads(sub) for sub in cmd.substitutions):
        return f"{cmd.name} -c runs the output of a download"
    if cmd.name in ("eval", "source", ".") and any(_downloads(sub) for sub in cmd.substitutions):
        return f"{cmd.name} runs the output of a download"
    return None


class DownloadPipeShell(DockerfileCheck):
    NAME = "dockerfile/curl-pipe-shell"
    ID = "STK-DF-0013"
    SEVERITY = Severity.HIGH
    TITLE = "Downloaded script executed without verification (curl | sh)"
    RATIONALE = (
        "Piping a download into a shell runs whatever the server (or anyone on the path) sends, at build "
        "time, as root, with no record of what ran: a compromised install script compromises the image."
    )
    REMEDIATION = (
        "Download to a file, verify its checksum or signature (sha256sum -c, gpg --verify), then run it; "
        "better, install a pinned package from a signed repository."
    )
    REFERENCES = (
        "CIS Docker Benchmark 4.11: Ensure only verified packages are installed",
        "https://docs.docker.com/build/building/best-practices/#using-pipes",
    )

    def check(self, obj: Dockerfile) -> Iterator[Violation]:
        for instr in runs(obj.stages):
            found = []
            for pipeline, cmd in run_commands(instr):
                why = _download_executed(pipeline, cmd)
                if why:
                    found.append(violation(instr, f"download-and-execute: {why}"))
            yield from unique(found)


class Sudo(DockerfileCheck):
    NAME = "dockerfile/sudo"
    ID = "STK-DF-0015"
    SEVERITY = Severity.MEDIUM
    TITLE = "sudo in RUN"
    RATIONALE = (
        "RUN already runs as the current USER; sudo in a Dockerfile means sudo is installed and configured "
        "in the image, a privilege-escalation path for anything running in the container, and its TTY and "
        "signal handling behave unpredictably in builds."
    )
    REMEDIATION = (
        "Switch users with USER root ... USER app around the commands that need root, and remove sudo."
    )
    REFERENCES = ("https://docs.docker.com/build/building/best-practices/#user", "hadolint DL3004")

    def check(self, obj: Dockerfile) -> Iterator[Violation]:
        for instr in runs(obj.stages):
            found = [
                violation(instr, f"RUN uses {cmd.name}: {' '.join(cmd.words[:4])}")
                for _, cmd in run_commands(instr, unwrapped=False)
                if cmd.name in ("sudo", "doas")
            ]
            yield from unique(found)


def world_writable(mode: str) -> bool:
    """Whether a chmod mode grants write to others (sticky directories like 1777 excepted)."""
    if _OCTAL.match(mode):
        digits = mode.rjust(4, "0")
        return int(digits[3]) & 2 != 0 and int(digits[0]) & 1 == 0
    for clause in mode.split(","):
        match = _SYMBOLIC.match(clause)
        if (
            match
            and ("o" in match.group(1) or "a" in match.group(1))
            and match.group(2) in "+="
            and "w" in match.group(3)
            and "t" not in match.group(3)
        ):
            return True
    return False


def _chmod_mode(cmd: Command) -> str | None:
    for word in cmd.words[1:]:
        if word.startswith("--"):
            continue
        if word.startswith("-") and not _SYMBOLIC.match(word):
            continue
        return word
    return None


class WorldWritable(DockerfileCheck):
    NAME = "dockerfile/world-writable"
    ID = "STK-DF-0020"
    SEVERITY = Severity.MEDIUM
    TITLE = "World-writable permissions (chmod 777)"
    RATIONALE = (
        "A file or directory every user can write lets any process in the container, whatever its user, "
        "replace programs, configuration or data that others trust."
    )
    REMEDIATION = (
        "Give ownership to the user that needs write access (COPY --chown=app, chown app) and use modes "
        "like 755/644 (or 1777 with the sticky bit for shared temporary directories)."
    )
    REFERENCES = ("https://docs.docker.com/reference/dockerfile/#copy---chmod",)

    def check(self, obj: Dockerfile) -> Iterator[Violation]:
        for instr in obj.instructions:
            found = []
            if instr.keyword in ("COPY", "ADD"):
                mode = instr.flag("chmod")
                if mode and world_writable(mode):
                    found.append(
                        violation(instr, f"{instr.keyword} --chmod={mode} makes files world-writable")
                    )
            elif instr.keyword == "RUN":
                for _, cmd in run_commands(instr):
                    mode = _chmod_mode(cmd) if cmd.name == "chmod" else None
                    if mode and world_writable(mode):
                        found.append(violation(instr, f"chmod {mode} makes files world-writable"))
            yield from unique(found)
