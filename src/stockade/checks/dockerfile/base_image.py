"""Base images without a pinned version: ``FROM image`` (no tag) and ``FROM image:latest``.

An image reference is ``[registry[:port]/]path[:tag][@digest]`` (distribution reference grammar): the tag
is after the last ``:`` of the last path component.  A digest pins the content whatever the tag says.
``scratch`` is no image, and a ``FROM`` naming an earlier stage is no image either.  A reference with a
build argument that has no default is left alone (its value is chosen at build time).  External images in
``COPY --from=`` are images too.
"""

from __future__ import annotations

from collections.abc import Iterator

from stockade.checks.dockerfile.common import DockerfileCheck, violation
from stockade.checks.dockerfile.model import Dockerfile, Instruction
from stockade.checks.imageref import split_reference
from stockade.checks.interface import Violation
from stockade.model.severity import Severity

_BP = "https://docs.docker.com/build/building/best-practices/#from"
_CIS = "CIS Docker Benchmark 4.2: Ensure that containers use only trusted base images"


def _images(df: Dockerfile) -> Iterator[tuple[Instruction, str]]:
    """(instruction, image reference) for every external image the build pulls."""
    for stage in df.stages:
        if stage.from_instruction is None or stage.from_stage or "$" in stage.base:
            continue
        if stage.base.lower() == "scratch":
            continue
        yield stage.from_instruction, stage.base
    for instr in df.instructions:
        if instr.keyword not in ("COPY", "ADD") or instr.stage is None:
            continue
        source = instr.flag("from")
        if not source or "$" in source:
            continue
        earlier = df.stage_named(source)
        if earlier is not None and earlier.index < instr.stage:
            continue
        yield instr, source


class FromUntagged(DockerfileCheck):
    NAME = "dockerfile/from-untagged"
    ID = "STK-DF-0006"
    SEVERITY = Severity.MEDIUM
    TITLE = "Image without a tag or digest"
    RATIONALE = (
        "An image without a tag means :latest: whatever the registry serves at build time.  Builds are not "
        "reproducible and a changed or compromised upstream image enters unnoticed."
    )
    REMEDIATION = "Pin a version tag, better a digest: FROM python:3.12-slim@sha256:<digest>."
    REFERENCES = (_BP, _CIS, "hadolint DL3006")

    def check(self, obj: Dockerfile) -> Iterator[Violation]:
        for instr, ref in _images(obj):
            name, tag, digest = split_reference(ref)
            if tag is None and digest is None:
                yield violation(instr, f"image {ref} has no tag (it means {name}:latest)", image=ref)


class FromLatest(DockerfileCheck):
    NAME = "dockerfile/from-latest"
    ID = "STK-DF-0007"
    SEVERITY = Severity.MEDIUM
    TITLE = "Image with the :latest tag"
    RATIONALE = (
        ":latest moves: the same Dockerfile builds a different image tomorrow, and nothing records which "
        "version was used."
    )
    REMEDIATION = "Pin a version tag, better a digest: FROM alpine:3.20@sha256:<digest>."
    REFERENCES = (_BP, _CIS, "hadolint DL3007")

    def check(self, obj: Dockerfile) -> Iterator[Violation]:
        for instr, ref in _images(obj):
            _, tag, digest = split_reference(ref)
            if tag == "latest" and digest is None:
                yield violation(instr, f"image {ref} uses the moving :latest tag", image=ref)
