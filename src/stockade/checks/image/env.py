"""Secrets in the image's environment (config ``Env``): anyone who can pull the image reads them
(``docker inspect``).  Same name rules as the Dockerfile check STK-DF-0014; the value never appears in
a finding."""

from __future__ import annotations

from collections.abc import Iterator

from stockade.checks.dockerfile.secrets import literal, secret_name
from stockade.checks.image.model import ImageCheck, ImageFacts
from stockade.checks.interface import Violation
from stockade.model.severity import Severity


class ImageSecretInEnv(ImageCheck):
    NAME = "image/secret-in-env"
    ID = "STK-IMG-0002"
    SEVERITY = Severity.HIGH
    TITLE = "Secret in the image's environment"
    RATIONALE = "Env values are part of the image configuration: every puller of the image can read them."
    REMEDIATION = (
        "Rebuild without the value and rotate the secret; pass it at run time (Kubernetes Secret, "
        "a mounted file, docker run --env-file) instead."
    )
    REFERENCES = (
        "https://docs.docker.com/build/building/secrets/",
        "CIS Docker Benchmark 4.10: Ensure secrets are not stored in Dockerfiles",
    )

    def check(self, obj: ImageFacts) -> Iterator[Violation]:
        for i, (name, value) in enumerate(obj.env()):
            if secret_name(name) and literal(value):
                yield Violation(
                    message=f"Env {name} holds a literal value ({len(value)} characters)",
                    path=("Env", i),
                    evidence=f"{name}=<redacted>",
                    extra={"variable": name},
                )
