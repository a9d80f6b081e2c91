"""Container image references (``[registry[:port]/]repository[:tag][@digest]``, the distribution
reference grammar): the one splitter the Kubernetes and Dockerfile checks share."""

from __future__ import annotations


def split_reference(ref: str) -> tuple[str, str | None, str | None]:
    """``(name, tag, digest)``.  A ``:`` counts as a tag separator only after the last ``/`` (a registry
    port is not a tag); an empty tag (``name:``) comes back as ``""``, a missing one as None."""
    name, _, digest = ref.partition("@")
    slash = name.rfind("/")
    colon = name.rfind(":")
    tag: str | None = None
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :]
    return name, tag, digest or None
