"""Instruction-level checks: EXPOSE 22, HEALTHCHECK, relative WORKDIR, MAINTAINER, unknown instructions.

``EXPOSE`` and ``HEALTHCHECK`` are image configuration: only the final stage's count (inherited from the
stages it is built FROM).  ``HEALTHCHECK NONE`` is an explicit choice and satisfies the check.  A base
image's own HEALTHCHECK cannot be seen from the Dockerfile.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from stockade.checks.dockerfile.common import DockerfileCheck, final_lineage, violation
from stockade.checks.dockerfile.model import Dockerfile
from stockade.checks.dockerfile.parser import KNOWN
from stockade.checks.dockerfile.words import unquote
from stockade.checks.interface import Violation
from stockade.model.severity import Severity

_PORT = re.compile(r"^(\d+)(?:-(\d+))?(?:/(tcp|udp|sctp))?$", re.IGNORECASE)
_REF = "https://docs.docker.com/reference/dockerfile/"


class ExposeSSH(DockerfileCheck):
    NAME = "dockerfile/expose-ssh"
    ID = "STK-DF-0016"
    SEVERITY = Severity.MEDIUM
    TITLE = "EXPOSE 22: an SSH server in the image"
    RATIONALE = (
        "Exposing port 22 means an SSH daemon runs in the container: another service to patch, keys or "
        "passwords to manage, and a way in that bypasses the orchestrator's access control and audit."
    )
    REMEDIATION = "Remove sshd and EXPOSE 22; use docker exec / kubectl exec (or debug containers) instead."
    REFERENCES = (
        _REF + "#expose",
        "CIS Docker Benchmark 5.6: Ensure sshd is not run within containers",
    )

    def check(self, obj: Dockerfile) -> Iterator[Violation]:
        for stage in final_lineage(obj):
            for instr in stage.instructions:
                if instr.keyword != "EXPOSE":
                    continue
                for port in instr.args:
                    match = _PORT.match(port)
                    if not match or (match.group(3) or "tcp").lower() != "tcp":
                        continue
                    low = int(match.group(1))
                    high = int(match.group(2) or low)
                    if low <= 22 <= high:
                        yield violation(instr, f"EXPOSE {port} exposes the SSH port 22")


class HealthcheckMissing(DockerfileCheck):
    NAME = "dockerfile/healthcheck-missing"
    ID = "STK-DF-0017"
    SEVERITY = Severity.LOW
    TITLE = "No HEALTHCHECK in the final stage"
    RATIONALE = (
        "Without a health check the engine only knows whether the process runs, not whether it serves: a "
        "hung service is never restarted or taken out of rotation."
    )
    REMEDIATION = (
        "Add HEALTHCHECK CMD <probe> to the final stage (HEALTHCHECK NONE to say it is deliberately absent, "
        "e.g. when Kubernetes probes are used)."
    )
    REFERENCES = (
        _REF + "#healthcheck",
        "CIS Docker Benchmark 4.6: Ensure that HEALTHCHECK instructions have been added to container images",
    )

    def check(self, obj: Dockerfile) -> Iterator[Violation]:
        for stage in final_lineage(obj):
            if any(instr.keyword == "HEALTHCHECK" for instr in stage.instructions):
                return
        final = obj.final_stage
        if final.from_instruction is not None:
            yield violation(final.from_instruction, f"the final stage (FROM {final.base}) has no HEALTHCHECK")


def _absolute(path: str) -> bool:
    return path.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:[\\/]", path) is not None


class WorkdirRelative(DockerfileCheck):
    NAME = "dockerfile/workdir-relative"
    ID = "STK-DF-0018"
    SEVERITY = Severity.LOW
    TITLE = "WORKDIR with a relative path"
    RATIONALE = (
        "A relative WORKDIR is resolved against the previous WORKDIR, which may come from the base image: "
        "files end up somewhere nobody chose."
    )
    REMEDIATION = "Use an absolute path: WORKDIR /app."
    REFERENCES = (
        _REF + "#workdir",
        "https://docs.docker.com/build/building/best-practices/#workdir",
        "hadolint DL3000",
    )

    def check(self, obj: Dockerfile) -> Iterator[Violation]:
        for instr in obj.instructions:
            if instr.keyword != "WORKDIR" or not instr.args:
                continue
            path = unquote(instr.args[0].strip(), obj.escape)
            if path and not path.startswith("$") and not _absolute(path):
                yield violation(instr, f"WORKDIR {path} is relative")


class MaintainerDeprecated(DockerfileCheck):
    NAME = "dockerfile/maintainer"
    ID = "STK-DF-0019"
    SEVERITY = Severity.INFO
    TITLE = "MAINTAINER is deprecated"
    RATIONALE = "MAINTAINER is deprecated; its value is not visible to tools that read OCI labels."
    REMEDIATION = 'Use LABEL org.opencontainers.image.authors="name <email>".'
    REFERENCES = (_REF + "#maintainer-deprecated", "hadolint DL4000")

    def check(self, obj: Dockerfile) -> Iterator[Violation]:
        for instr in obj.instructions:
            if instr.keyword == "MAINTAINER":
                yield violation(instr, "MAINTAINER is deprecated: use LABEL org.opencontainers.image.authors")


class UnknownInstruction(DockerfileCheck):
    NAME = "dockerfile/unknown-instruction"
    ID = "STK-DF-0021"
    SEVERITY = Severity.LOW
    TITLE = "Unknown instruction"
    RATIONALE = "docker build stops at an instruction it does not know; the file is not what it seems."
    REMEDIATION = "Fix the instruction keyword (see the Dockerfile reference) or remove the line."
    REFERENCES = (_REF,)

    def check(self, obj: Dockerfile) -> Iterator[Violation]:
        for instr in obj.instructions:
            if instr.keyword not in KNOWN:
                yield violation(instr, f"unknown instruction {instr.keyword}")
