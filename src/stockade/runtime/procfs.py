"""Reading ``/proc/PID``: files and links that vanish with the process (None then), and the fields of
``stat``, ``status`` and ``cmdline`` (proc(5))."""

from __future__ import annotations

import os

#: bytes of a command line the sensor keeps, whichever way it reads it (the eBPF source copies this much of
#: ``mm->arg_start..arg_end`` at an exec; ``/proc/PID/cmdline`` is read as far): longer ones are cut, as
#: Falco's are at its snapshot length.  Uncut, one ancestor with a 54 KB command line (a CI job's shell)
#: made every event of its descendants 56 KB
ARGV_MAX = 3072


def read(path: str, limit: int = -1) -> bytes | None:
    """The file's bytes (the first ``limit`` of them when given), or None when it is gone."""
    try:
        with open(path, "rb") as fh:
            return fh.read(limit)
    except OSError:
        return None


def cmdline(pid: int) -> bytes | None:
    """The first :data:`ARGV_MAX` bytes of ``/proc/PID/cmdline``, or None when the process is gone."""
    return read(f"/proc/{pid}/cmdline", ARGV_MAX)


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
    """The arguments in a command line's bytes (NUL-terminated strings, as ``/proc/PID/cmdline`` has them);
    a command line cut at :data:`ARGV_MAX` has no last NUL: its last argument is kept, cut."""
    args = raw.split(b"\0")
    if args and not args[-1]:
        args.pop()
    return [a.decode(errors="replace") for a in args]


def status(raw: bytes) -> dict[str, str]:
    """The ``Key: value`` lines of a ``/proc/PID/status`` file."""
    out = {}
    for line in raw.decode(errors="replace").splitlines():
        k, _, v = line.partition(":")
        out[k] = v.strip()
    return out
