"""``ADD`` of a remote URL, as the image history records it (config ``history[].created_by``).

BuildKit records the instruction as written (``ADD https://host/file /dest # buildkit``); the classic
builder as ``/bin/sh -c #(nop) ADD <src> in <dest>``.  A download that carried ``--checksum`` is pinned
and not reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from stockade.checks.dockerfile.secrets import redact_assignments
from stockade.checks.image.model import ImageCheck, ImageFacts
from stockade.checks.interface import Violation
from stockade.model.severity import Severity

_ADD_URL = re.compile(r"(?:^|\s|#\(nop\)\s*)ADD\s+(?P<flags>(?:--\S+\s+)*)(?P<url>(?:https?|ftp)://\S+)")


class ImageAddRemote(ImageCheck):
    NAME = "image/add-remote-url"
    ID = "STK-IMG-0003"
    SEVERITY = Severity.MEDIUM
    TITLE = "Image history shows ADD of a remote URL"
    RATIONALE = (
        "ADD <url> put whatever the server returned at build time into the image, unverified: a "
        "compromised or changed server changed the image."
    )
    REMEDIATION = "Pin downloads: ADD --checksum=sha256:<digest> <url>, or curl + sha256sum -c in one RUN."
    REFERENCES = ("https://docs.docker.com/reference/dockerfile/#add",)

    def check(self, obj: ImageFacts) -> Iterator[Violation]:
        for i, entry in enumerate(obj.history):
            created_by = entry.get("created_by")
            if not isinstance(created_by, str):
                continue
            m = _ADD_URL.search(created_by)
            if m and "--checksum" not in m.group("flags"):
                yield Violation(
                    message=f"history entry {i} adds {m.group('url')}",
                    path=("history", i),
                    evidence=redact_assignments(created_by)[:200],
                    extra={"url": m.group("url")},
                )
