"""No ``Healthcheck`` in the image config.  The field is Docker's (moby's image config); the OCI image
config has no such field, so images in OCI format cannot carry one and are not judged (the check
reports that it did not apply, through the scan's statuses)."""

from __future__ import annotations

from collections.abc import Iterator

from stockade.checks.image.model import ImageCheck, ImageFacts
from stockade.checks.interface import Violation
from stockade.model.severity import Severity


class ImageHealthcheckMissing(ImageCheck):
    NAME = "image/healthcheck-missing"
    ID = "STK-IMG-0004"
    SEVERITY = Severity.LOW
    TITLE = "Image has no HEALTHCHECK"
    RATIONALE = (
        "Without a health check the engine only knows whether the process runs, not whether it serves."
    )
    REMEDIATION = "Add HEALTHCHECK CMD <probe> (or rely on Kubernetes liveness/readiness probes)."
    REFERENCES = (
        "https://docs.docker.com/reference/dockerfile/#healthcheck",
        "CIS Docker Benchmark 4.6: Ensure that HEALTHCHECK instructions have been added to container images",
    )

    def check(self, obj: ImageFacts) -> Iterator[Violation]:
        hc = obj.config.get("Healthcheck")
        if isinstance(hc, dict) and isinstance(hc.get("Test"), list) and hc["Test"]:
            return  # ["NONE"] is an explicit choice
        yield Violation(message="the image config has no Healthcheck", path=("Healthcheck",))
