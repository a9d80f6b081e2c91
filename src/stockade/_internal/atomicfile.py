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
from collections.abc import Iterable


def write(path: str, data: str | bytes | Iterable[bytes]) -> None:
    """Write ``data`` (text as UTF-8; or bytes in pieces, written as they come) as the whole content of
    ``path``; raises :class:`OSError`.  Whatever ends the writing early (an error making a piece) leaves
    ``path`` as it was."""
    mode, encoding = ("w", "utf-8") if isinstance(data, str) else ("wb", None)
    pieces: Iterable[str | bytes] = (data,) if isinstance(data, (str, bytes)) else data
    try:
        st: os.stat_result | None = os.stat(path)
    except FileNotFoundError:
        st = None
    if st is not None and not stat.S_ISREG(st.st_mode):
        with open(path, mode, encoding=encoding) as fh:
            for piece in pieces:
                fh.write(piece)
        return
    import tempfile  # (a regular file only: not for /dev/null, a pipe, a device)

    fd, tmp = tempfile.mkstemp(prefix=".stockade-", dir=os.path.dirname(os.path.abspath(path)))
    try:
        with os.fdopen(fd, mode, encoding=encoding) as fh:
            for piece in pieces:
                fh.write(piece)
        if st is not None:
            os.chmod(tmp, stat.S_IMODE(st.st_mode))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
