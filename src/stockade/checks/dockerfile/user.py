"""The user the container runs as: only the final stage's (inherited from the stages it is built FROM).

CIS Docker Benchmark 4.1 "Ensure that a user for the container has been created"; hadolint DL3002 "Last
USER should not be root".  ``USER`` sets ``user[:group]``; root is the name ``root`` or the id ``0``.
Builder stages may run as root: they do not become the image.
"""

from __future__ import annotations

from collections.abc import Iterator

from stockade.checks.dockerfile.common import DockerfileCheck, final_lineage, variables, violation
from stockade.checks.dockerfile.model import Dockerfile, Instruction
from stockade.checks.dockerfile.words import expand
from stockade.checks.interface import Violation
from stockade.model.severity import Severity

_CIS = "CIS Docker Benchmark 4.1: Ensure that a user for the container has been created"
_DOCS = "https://docs.docker.com/build/building/best-practices/#user"


def last_user(df: Dockerfile) -> Instruction | None:
    """The USER instruction in effect in the final image, or None."""
    found: Instruction | None = None
    for stage in final_lineage(df):
        for instr in stage.instructions:
            if instr.keyword == "USER":
                found = instr
    return found


def _nonroot_base(base: str) -> bool:
    tag = base.rsplit("/", 1)[-1].partition("@")[0].partition(":")[2]
    return "nonroot" in tag or "non-root" in tag


class FinalUserRoot(DockerfileCheck):
    NAME = "dockerfile/user-root"
    ID = "STK-DF-0001"
    SEVERITY = Severity.HIGH
    TITLE = "The image runs as root (last USER is root)"
    RATIONALE = (
        "The last USER of the final stage is the user the container's processes run as.  Root inside the "
        "container is root on the host's kernel: a container escape or a writable host mount is then a host "
        "compromise."
    )
    REMEDIATION = (
        "Create an unprivileged user (RUN useradd -r -u 10001 app) and end the final stage with "
        "USER 10001 (a numeric id works with runAsNonRoot in Kubernetes)."
    )
    REFERENCES = (_DOCS, _CIS, "hadolint DL3002")

    def check(self, obj: Dockerfile) -> Iterator[Violation]:
        instr = last_user(obj)
        if instr is None or not instr.args:
            return
        stage = obj.stages[instr.stage if instr.stage is not None else -1]
        value, resolved = expand(instr.args[0].strip(), variables(obj, stage, instr.line), obj.escape)
        if not resolved:
            return
        user = value.split(":", 1)[0].strip().strip("\"'")
        if user in ("root", "0"):
            yield violation(instr, f"the final image runs as root: USER {instr.args[0]} is the last USER")


class FinalUserMissing(DockerfileCheck):
    NAME = "dockerfile/user-missing"
    ID = "STK-DF-0002"
    SEVERITY = Severity.MEDIUM
    TITLE = "No USER in the final stage: the image runs as its base image's user (usually root)"
    RATIONALE = (
        "Without USER the container runs as the base image's user, which is root for almost every base "
        "image (and for scratch).  Builder stages do not matter: only the final stage becomes the image."
    )
    REMEDIATION = "Add USER with an unprivileged (numeric) user to the final stage."
    REFERENCES = (_DOCS, _CIS)

    def check(self, obj: Dockerfile) -> Iterator[Violation]:
        if last_user(obj) is not None:
            return
        final = obj.final_stage
        root = obj.stages[final.index if not final.from_stage else obj.stage_chain(final)[-1].index]
        if _nonroot_base(root.base):
            return
        if final.from_instruction is None:
            return
        yield violation(
            final.from_instruction,
            f"the final stage (FROM {final.base}) never sets USER, so the container runs as the base "
            "image's user, root unless the base image says otherwise",
        )
