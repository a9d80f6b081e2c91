"""Writing a whole file so that a reader (or a crash) never sees half of it.

The data goes to a temporary file in the same directory, which then replaces the target
(``rename(2)`` is atomic within a file system); a target that already exists keeps its permissions.  A
target that is not a regular file — a FIFO, a device, ``/dev/stdout`` — is written into instead: renaming
over it would replace it with a file.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile


def write(path: str, data: str | bytes) -> None:
    """Write ``data`` (text as UTF-8) as the whole content of ``path``; raises :class:`OSError`."""
    mode, encoding = ("wb", None) if isinstance(data, bytes) else ("w", "utf-8")
    try:
        st: os.stat_result | None = os.stat(path)
    except FileNotFoundError:
        st = None
    if st is not None and not stat.S_ISREG(st.st_mode):
        with open(path, mode, encoding=encoding) as fh:
            fh.write(data)
        return
    fd, tmp = tempfile.mkstemp(prefix=".stockade-", dir=os.path.dirname(os.path.abspath(path)))
    try:
        with os.fdopen(fd, mode, encoding=encoding) as fh:
            fh.write(data)
        if st is not None:
            os.chmod(tmp, stat.S_IMODE(st.st_mode))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
