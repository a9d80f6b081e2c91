"""``ADD`` where ``COPY`` would do (Dockerfile reference "ADD"; CIS Docker Benchmark 4.9 "Ensure that COPY
is used instead of ADD in Dockerfiles"; hadolint DL3020).

``ADD`` has two behaviours ``COPY`` lacks: it fetches URLs (and Git repositories) at build time, and it
unpacks a *local* tar archive (plain, gzip, bzip2, xz) into the destination.  A remote file is not
unpacked.  Anything else ``ADD`` does, ``COPY`` does more predictably.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from stockade.checks.dockerfile.common import DockerfileCheck, violation
from stockade.checks.dockerfile.model import Dockerfile, Instruction
from stockade.checks.interface import Violation
from stockade.model.severity import Severity

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://|^git@[^:]+:")
_HEREDOC = re.compile(r"^\d*<<-?.")
_ARCHIVES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tbz", ".tar.xz", ".txz", ".taz", ".tar.zst")
_DOCS = "https://docs.docker.com/reference/dockerfile/#add"
_BP = "https://docs.docker.com/build/building/best-practices/#add-or-copy"
_CIS = "CIS Docker Benchmark 4.9: Ensure that COPY is used instead of ADD in Dockerfiles"


def _sources(instr: Instruction) -> list[str]:
    return instr.args[:-1] if instr.args else []


def _adds(df: Dockerfile) -> Iterator[Instruction]:
    for instr in df.instructions:
        if instr.keyword == "ADD":
            yield instr


def is_archive(source: str) -> bool:
    return source.lower().endswith(_ARCHIVES)


class AddRemote(DockerfileCheck):
    NAME = "dockerfile/add-remote"
    ID = "STK-DF-0003"
    SEVERITY = Severity.MEDIUM
    TITLE = "ADD fetches a remote URL without a checksum"
    RATIONALE = (
        "ADD <url> downloads at build time whatever the server returns, unverified: a compromised or changed "
        "server changes the image.  The download is also not cached predictably."
    )
    REMEDIATION = (
        "Pin the content: ADD --checksum=sha256:<digest> <url> <dest>, or download with curl/wget and verify "
        "a checksum in the same RUN (sha256sum -c).  For Git sources, pin a commit."
    )
    REFERENCES = (_DOCS, _BP, _CIS)

    def check(self, obj: Dockerfile) -> Iterator[Violation]:
        for instr in _adds(obj):
            if instr.flag("checksum"):
                continue
            for source in _sources(instr):
                if _URL.match(source):
                    yield violation(instr, f"ADD downloads {source} without --checksum", source=source)


class AddLocal(DockerfileCheck):
    NAME = "dockerfile/add-instead-of-copy"
    ID = "STK-DF-0004"
    SEVERITY = Severity.LOW
    TITLE = "ADD used where COPY fits"
    RATIONALE = (
        "ADD of a local file that is not a tar archive does what COPY does, with extra implicit behaviour "
        "(archive extraction, URL fetching) that makes the build harder to reason about."
    )
    REMEDIATION = "Use COPY for local files and directories."
    REFERENCES = (_BP, _CIS, "hadolint DL3020")

    def check(self, obj: Dockerfile) -> Iterator[Violation]:
        for instr in _adds(obj):
            local = [
                s
                for s in _sources(instr)
                if not _URL.match(s) and "$" not in s and (_HEREDOC.match(s) or not is_archive(s))
            ]
            if local:
                yield violation(instr, f"ADD copies {', '.join(local)}: COPY does the same", source=local[0])


class AddArchive(DockerfileCheck):
    NAME = "dockerfile/add-extracts-archive"
    ID = "STK-DF-0005"
    SEVERITY = Severity.INFO
    TITLE = "ADD of a local tar archive extracts it"
    RATIONALE = (
        "ADD unpacks a local tar archive (compressed or not) into the destination instead of copying the "
        "file.  That is the one thing ADD is for; if the archive itself should land in the image, it does "
        "not."
    )
    REMEDIATION = (
        "Keep ADD if extraction is intended (make sure the archive's contents are what you expect); "
        "use COPY to copy the archive file as it is."
    )
    REFERENCES = (_DOCS, _CIS, "hadolint DL3010")

    def check(self, obj: Dockerfile) -> Iterator[Violation]:
        for instr in _adds(obj):
            dest = instr.args[-1] if instr.args else ""
            for source in _sources(instr):
                if not _URL.match(source) and not _HEREDOC.match(source) and is_archive(source):
                    yield violation(
                        instr,
                        f"ADD auto-extracts the local archive {source} into {dest} "
                        "(use COPY to copy it as a file)",
                        source=source,
                    )
