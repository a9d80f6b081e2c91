"""The live machine stockade runs on, as a target rooted at ``/``."""

from __future__ import annotations

import socket

from stockade.model.target import Target, TargetKind
from stockade.target.fs import FileAccessError, TargetFS


def machine_id(fs: TargetFS) -> str | None:
    """systemd's machine-id(5), or D-Bus's older copy; stable across reboots and renames."""
    for path in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        try:
            value = fs.read_text(path, max_size=256).strip()
        except FileAccessError:
            continue
        if value:
            return value
    return None


def open_host() -> tuple[Target, TargetFS]:
    fs = TargetFS("/")
    hostname = socket.gethostname()
    mid = machine_id(fs)
    target = Target(
        kind=TargetKind.HOST,
        name=hostname,
        id=f"host:{mid or hostname}",
        path="/",
        metadata={"hostname": hostname, **({"machine_id": mid} if mid else {})},
    )
    return target, fs
