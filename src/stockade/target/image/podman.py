"""Images in local podman / containers-storage, read through ``podman image save``.

``podman image save --format oci-dir`` writes the image as an OCI layout with uncompressed layers into
our private scratch directory; from there it is read like any OCI layout.  Which store is used is
podman's own configuration (``CONTAINERS_STORAGE_CONF``, ``/etc/containers/storage.conf``, rootless
defaults), so ``stockade image NAME`` sees what ``podman images`` shows.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import replace

from stockade.errors import InputError, StockadeError
from stockade.target.image.layout import open_layout
from stockade.target.image.model import ImageSpec, Platform

TIMEOUT = 3600


def podman_binary() -> str | None:
    return shutil.which("podman")


def has_image(name: str) -> bool:
    """Whether podman's store holds ``name`` (False when podman is missing or fails)."""
    binary = podman_binary()
    if binary is None:
        return False
    try:
        done = subprocess.run([binary, "image", "exists", name], capture_output=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def open_podman(name: str, scratch: str, platform: Platform | None) -> ImageSpec:
    binary = podman_binary()
    if binary is None:
        raise InputError(f"{name}: podman is not installed, so its image store cannot be read")
    out = os.path.join(scratch, "podman-save")
    cmd = [binary, "image", "save", "--quiet", "--format", "oci-dir", "-o", out, name]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise StockadeError(f"{name}: podman image save failed: {exc}") from None
    if done.returncode != 0:
        why = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise InputError(f"{name}: podman could not save the image: {why}")
    return replace(open_layout(out, None, platform, name), reference=name, source="podman")
