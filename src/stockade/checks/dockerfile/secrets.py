"""Secrets written into the Dockerfile: ``ENV`` or ``ARG`` with a secret-looking name and a literal value.

ENV values are stored in the image configuration; ARG values are recorded in the image history
(``docker history``) and the build cache; both are in the Dockerfile, which sits in source control
(CIS Docker Benchmark 4.10 "Ensure secrets are not stored in Dockerfiles").  A value that only refers to
another variable (``$TOKEN``) is not a literal; neither is an empty one.  Names that hold a location or a
setting rather than the secret (``*_FILE``, ``*_PATH``, ``*_URL`` ...) are not secrets.  The value never
appears in a finding.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from stockade.checks.dockerfile.common import DockerfileCheck
from stockade.checks.dockerfile.model import Dockerfile, Instruction
from stockade.checks.dockerfile.words import names
from stockade.checks.interface import Violation
from stockade.model.severity import Severity

_SECRET_PARTS = ("PASSWORD", "PASSWD", "SECRET", "APIKEY", "PRIVATEKEY", "ACCESSKEY", "CREDENTIAL", "AUTHKEY")
_SECRET_TOKENS = frozenset({"TOKEN", "PASS", "PWD", "PW", "APIKEY", "SECRET"})
_NOT_SECRET_SUFFIX = names(
    "FILE PATH DIR URL URI ENDPOINT HOST PORT LENGTH LEN TTL EXPIRY EXPIRES TIMEOUT HEADER "
    "TYPE ID NAME USER USERNAME ENABLED REQUIRED POLICY MIN MAX SIZE FORMAT VERSION MODE "
    "LOCATION"
)


_REFERENCE = re.compile(r"^\$(\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)$")
_HARMLESS = frozenset({"true", "false", "yes", "no", "on", "off", "0", "1", "none", "null"})


def secret_name(name: str) -> bool:
    upper = name.upper()
    tokens = [t for t in re.split(r"[_\-.]", upper) if t]
    if not tokens or tokens[-1] in _NOT_SECRET_SUFFIX:
        return False
    if upper == "PWD" or upper == "OLDPWD":
        return False
    squashed = upper.replace("_", "").replace("-", "").replace(".", "")
    if any(part in squashed for part in _SECRET_PARTS):
        return True
    return any(t in _SECRET_TOKENS or t.endswith("TOKEN") for t in tokens)


def literal(value: str) -> bool:
    value = value.strip()
    return bool(value) and not _REFERENCE.match(value) and value.lower() not in _HARMLESS


_ASSIGNMENT = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_.-]*)=(?P<value>\"[^\"]*\"|'[^']*'|\S+)")


def redact_assignments(text: str) -> str:
    """``text`` (a build command, an image history line) with the value of every secret-looking
    ``NAME=value`` replaced by ``<redacted>``."""

    def repl(m: re.Match[str]) -> str:
        name, value = m.group("name"), m.group("value").strip("\"'")
        return f"{name}=<redacted>" if secret_name(name) and literal(value) else m.group(0)

    return _ASSIGNMENT.sub(repl, text)


def _assignments(instr: Instruction) -> Iterator[tuple[str, str]]:
    if instr.keyword == "ENV":
        for i in range(0, len(instr.args) - 1, 2):
            yield instr.args[i], instr.args[i + 1]
    elif instr.keyword == "ARG":
        for decl in instr.args:
            name, sep, default = decl.partition("=")
            if sep:
                yield name, default


class SecretInEnvArg(DockerfileCheck):
    NAME = "dockerfile/secret-in-env-arg"
    ID = "STK-DF-0014"
    SEVERITY = Severity.HIGH
    TITLE = "Secret in ENV or ARG"
    RATIONALE = (
        "ENV values are part of the image configuration and ARG values of its history: anyone who can pull "
        "the image (or read the Dockerfile in source control) reads the secret."
    )
    REMEDIATION = (
        "Remove the value and rotate the secret.  Pass build-time secrets with RUN --mount=type=secret "
        "(docker build --secret), and runtime secrets through the orchestrator (Kubernetes Secrets, files "
        "mounted at run time)."
    )
    REFERENCES = (
        "https://docs.docker.com/build/building/secrets/",
        "CIS Docker Benchmark 4.10: Ensure secrets are not stored in Dockerfiles",
    )

    def check(self, obj: Dockerfile) -> Iterator[Violation]:
        for instr in obj.instructions:
            for name, value in _assignments(instr):
                if secret_name(name) and literal(value):
                    yield Violation(
                        message=f"{instr.keyword} {name} holds a literal value ({len(value)} characters)",
                        line=instr.line,
                        evidence=f"{instr.keyword} {name}=<redacted>",
                        extra={"variable": name},
                    )
