"""The user the image's process runs as (config ``User``, image-spec config.md): empty means root.

CIS Docker Benchmark 4.1 "Ensure that a user for the container has been created".  ``User`` is
``user``, ``uid``, ``user:group`` or ``uid:gid``; root is the name ``root`` or the id ``0``.
"""

from __future__ import annotations

from collections.abc import Iterator

from stockade.checks.image.model import ImageCheck, ImageFacts
from stockade.checks.interface import Violation
from stockade.model.severity import Severity


def runs_as_root(user: str) -> bool:
    name = user.strip().partition(":")[0]
    return name in ("", "root", "0")


class ImageUserRoot(ImageCheck):
    NAME = "image/user-root"
    ID = "STK-IMG-0001"
    SEVERITY = Severity.HIGH
    TITLE = "Image runs as root"
    RATIONALE = (
        "A process that runs as root in the container is root on the host's kernel: one escape, or one "
        "writable host mount, away from the node."
    )
    REMEDIATION = (
        "Create an unprivileged user in the image and set it with USER (e.g. USER 10001:10001), or run with "
        "runAsNonRoot/runAsUser in Kubernetes."
    )
    REFERENCES = (
        "https://github.com/opencontainers/image-spec/blob/main/config.md",
        "CIS Docker Benchmark 4.1: Ensure that a user for the container has been created",
    )

    def check(self, obj: ImageFacts) -> Iterator[Violation]:
        raw = obj.config.get("User")
        user = raw if isinstance(raw, str) else ""
        if runs_as_root(user):
            shown = user or "(not set)"
            yield Violation(
                message=f"config User is {shown}: the process runs as root",
                path=("User",),
                evidence=f"User={shown}",
            )
