"""Set-uid and set-gid files in the final filesystem: each one runs with its owner's (usually root's)
rights whoever starts it, so each is a way to escalate inside the container.  Listed for review, as
CIS Docker Benchmark 4.8 asks ("Ensure setuid and setgid permissions are removed")."""

from __future__ import annotations

from collections.abc import Iterator

from stockade.checks.image.model import ImageCheck, ImageFacts
from stockade.checks.interface import Violation
from stockade.model.severity import Severity


class ImageSetuidFile(ImageCheck):
    NAME = "image/setuid-file"
    ID = "STK-IMG-0005"
    SEVERITY = Severity.INFO
    TITLE = "Set-uid/set-gid file in the image"
    RATIONALE = "A set-uid/set-gid program runs with its owner's rights whoever starts it."
    REMEDIATION = (
        "Remove the bit where the program is not needed: RUN find / -xdev -perm /6000 -type f "
        "-exec chmod a-s {} + ; and run with allowPrivilegeEscalation: false."
    )
    REFERENCES = ("CIS Docker Benchmark 4.8: Ensure setuid and setgid permissions are removed",)

    def check(self, obj: ImageFacts) -> Iterator[Violation]:
        for path, mode, layer in obj.setuid:
            bits = " and ".join(b for b, m in (("set-uid", 0o4000), ("set-gid", 0o2000)) if mode & m)
            yield Violation(
                message=f"{path} is {bits} (mode {mode & 0o7777:04o})",
                evidence=f"{mode & 0o7777:04o} {path}",
                extra={"path": path, "mode": f"{mode & 0o7777:04o}", "layer": layer},
            )
