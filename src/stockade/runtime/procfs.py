"""Reading ``/proc/PID``: files and links that vanish with the process (None then), and the fields of
``stat``, ``status`` and ``cmdline`` (proc(5))."""

from __future__ import annotations

import os


def read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError:
        return None


def link(path: str) -> str | None:
    try:
        return os.readlink(path)
    except OSError:
        return None


def stat_fields(raw: bytes) -> tuple[str, list[str]]:
    """``comm`` and the fields after it (``state`` first) of a ``/proc/PID/stat`` line; ``comm`` is
    whatever lies between the first ``(`` and the last ``)``, as it may hold both."""
    text = raw.decode(errors="replace")
    return text[text.index("(") + 1 : text.rindex(")")], text[text.rindex(")") + 2 :].split()


def argv(raw: bytes) -> list[str]:
    """The arguments of a ``/proc/PID/cmdline`` (NUL-terminated strings)."""
    return [a.decode(errors="replace") for a in raw.split(b"\0")[:-1]]


def status(raw: bytes) -> dict[str, str]:
    """The ``Key: value`` lines of a ``/proc/PID/status`` file."""
    out = {}
    for line in raw.decode(errors="replace").splitlines():
        k, _, v = line.partition(":")
        out[k] = v.strip()
    return out
