"""Which source an image argument names, and opening it.

Explicit: ``--input`` (``oci``, ``oci-archive``, ``docker-archive``, ``registry``, ``podman``) or a
transport prefix as skopeo writes them (``oci:PATH[:REF]``, ``oci-archive:PATH[:REF]``,
``docker-archive:PATH[:TAG]``, ``docker://REF``, ``containers-storage:NAME``, ``podman:NAME``).

Auto-detection, in order: an existing directory with an ``oci-layout`` file; an existing file that is
a docker-archive or an oci-archive (by its members; gzip/zstd-compressed archives too); ``PATH:REF``
where PATH exists; a name podman's store holds; otherwise a registry reference.  Anything else is an
error that says what was tried.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from stockade.errors import InputError, TargetNotFoundError
from stockade.target.image import podman
from stockade.target.image.archive import Archive, open_docker_archive, open_oci_archive
from stockade.target.image.layout import open_layout
from stockade.target.image.model import ImageSpec, Platform

INPUTS = ("oci", "oci-archive", "docker-archive", "registry", "podman")
_TRANSPORTS = (
    ("oci:", "oci"),
    ("oci-archive:", "oci-archive"),
    ("docker-archive:", "docker-archive"),
    ("docker://", "registry"),
    ("containers-storage:", "podman"),
    ("podman:", "podman"),
)
_FORMS = (
    "an OCI layout directory, a docker-archive or oci-archive file, a registry reference "
    "(host[:port]/repo:tag or @sha256:…) or a podman image name"
)


@dataclass(frozen=True, slots=True)
class ImageOptions:
    """How to reach the image (everything but what to do with it)."""

    input: str | None = None
    platform: Platform | None = None
    insecure: bool = False


def _split_ref(arg: str) -> tuple[str, str | None]:
    """``PATH:REF`` → (PATH, REF) when PATH exists and ``PATH:REF`` does not."""
    if os.path.exists(arg) or ":" not in arg:
        return arg, None
    path, _, ref = arg.rpartition(":")
    if path and os.path.exists(path):
        return path, ref or None
    return arg, None


def classify(arg: str, opts: ImageOptions) -> tuple[str, str]:
    """``(input kind, the argument without a transport prefix)``."""
    for prefix, kind in _TRANSPORTS:
        if arg.startswith(prefix):
            if opts.input and opts.input != kind:
                raise InputError(f"{arg}: the prefix says {kind} but --input says {opts.input}")
            return kind, arg[len(prefix) :]
    if opts.input:
        return opts.input, arg
    path, _ = _split_ref(arg)
    if os.path.isdir(path):
        if os.path.isfile(os.path.join(path, "oci-layout")):
            return "oci", arg
        raise InputError(
            f"{path}: a directory without an oci-layout file is not an OCI image layout",
            hint="scan an unpacked filesystem with `stockade rootfs`",
        )
    if os.path.isfile(path):
        return "archive", arg
    if podman.has_image(arg):
        return "podman", arg
    if _looks_like_reference(arg):
        return "registry", arg
    raise TargetNotFoundError(f"{arg}: no such file, directory or image", hint=f"give {_FORMS}")


def _looks_like_reference(arg: str) -> bool:
    try:
        from stockade.target.image.reference import looks_like_reference
    except ImportError:  # pragma: no cover - the registry client is part of the package
        return False
    return looks_like_reference(arg)


def open_image(arg: str, opts: ImageOptions, scratch: str) -> ImageSpec:
    kind, rest = classify(arg, opts)
    if kind == "oci":
        path, ref = _split_ref(rest)
        if not os.path.isdir(path):
            raise TargetNotFoundError(f"{path}: no such OCI layout directory")
        return open_layout(path, ref, opts.platform, arg)
    if kind in ("archive", "oci-archive", "docker-archive"):
        path, ref = _split_ref(rest)
        if not os.path.isfile(path):
            raise TargetNotFoundError(f"{path}: no such archive file")
        archive = Archive(path, scratch)
        found = archive.kind() if kind == "archive" else kind
        if found == "docker-archive":
            return open_docker_archive(archive, ref, arg)
        if found == "oci-archive":
            return open_oci_archive(archive, ref, opts.platform, arg)
        raise InputError(
            f"{path}: a tar file that is neither a docker-archive (manifest.json) nor an "
            "oci-archive (oci-layout, index.json)",
            hint=f"give {_FORMS}",
        )
    if kind == "podman":
        return podman.open_podman(rest, scratch, opts.platform)
    if kind == "registry":
        from stockade.target.image.remote import open_remote

        return open_remote(rest, opts.platform, opts.insecure)
    raise InputError(f"unknown --input {kind!r} (expected one of: {', '.join(INPUTS)})")
