"""Secrets written into the Dockerfile: ``ENV`` or ``ARG`` with a secret-looking name and a literal value.

ENV values are stored in the image configuration; ARG values are recorded in the image history
(``docker history``) and the build cache; both are in the Dockerfile, which sits in source control
(CIS Docker Benchmark 4.10 "Ensure secrets are not stored in Dockerfiles").  A value that only refers to
another variable (``$TOKEN``) is not a literal; neither is an empty one.  Names that hold a location or a
setting rather than the secret (``*_FILE``, ``*_PATH``, ``*_URL`` ...) are not secrets.  The value never
appears in a finding.
"""

from __future__ import annotations

from collections.abc import Iterator

from stockade.checks.dockerfile.common import DockerfileCheck
from stockade.checks.dockerfile.model import Dockerfile, Instruction
from stockade.checks.interface import Violation
from stockade.model.severity import Severity
from stockade.secrets.names import literal, redact_assignments, secret_name

# the name and value rules are the secret scanner's (one source for the Dockerfile check, the image
# checks and ``stockade secrets``): re-exported here for the modules that import them from this one
__all__ = ["SecretInEnvArg", "literal", "redact_assignments", "secret_name"]


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
