"""A read-only view of a target's files, rooted at a directory.

Paths inside the target are always ``/``-rooted strings (``/var/lib/dpkg/status``).  Symbolic links are
resolved *inside* the root, as ``chroot(2)`` would: an absolute link target in an unpacked rootfs names a
file of that rootfs, never of the scanning host, and ``..`` never climbs above the root.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

from stockade.errors import StockadeError

#: Linux's own limit on symbolic links followed in one lookup (path_resolution(7)).
MAX_SYMLINKS = 40
DEFAULT_MAX_FILE_SIZE = 256 * 1024 * 1024


class FileAccessError(StockadeError):
    """A file of the target could not be read; ``reason`` is short and user-facing."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def _describe_oserror(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symlink loop"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.ENOENT:
        return "no such file"
    if exc.errno == errno.EISDIR:
        return "is a directory"
    return exc.strerror or str(exc)


class TargetFS:
    """Read access to a tree of files rooted at ``root`` (a real directory on this machine)."""

    def __init__(self, root: str, *, max_file_size: int = DEFAULT_MAX_FILE_SIZE) -> None:
        self.root = os.path.abspath(root)
        self.is_host_root = self.root == "/"
        self.max_file_size = max_file_size

    # -- paths -----------------------------------------------------------------------------------
    def host_path(self, path: str) -> str:
        """Where ``path`` (target-relative, ``/``-rooted) lies on this machine, without resolving links."""
        if self.is_host_root:
            return path
        return self.root + path if path != "/" else self.root

    def target_path(self, host_path: str) -> str:
        if self.is_host_root:
            return host_path
        rel = host_path[len(self.root) :]
        return rel or "/"

    def resolve(self, path: str) -> str:
        """Resolve every symbolic link in ``path`` within the root; return the host path of the result.

        Raises :class:`FileAccessError` on a loop (more than :data:`MAX_SYMLINKS` links).
        """
        if self.is_host_root:
            try:
                return os.path.realpath(path, strict=False)
            except OSError as exc:  # pragma: no cover - realpath(strict=False) only raises on loops
                raise FileAccessError(path, _describe_oserror(exc)) from exc
        parts = [p for p in path.split("/") if p]
        resolved: list[str] = []
        followed = 0
        while parts:
            part = parts.pop(0)
            if part == ".":
                continue
            if part == "..":
                if resolved:
                    resolved.pop()
                continue
            candidate = self.root + "/" + "/".join([*resolved, part])
            try:
                st = os.lstat(candidate)
            except FileNotFoundError:
                resolved.append(part)
                resolved.extend(p for p in parts if p not in ("", "."))
                break
            except OSError as exc:
                raise FileAccessError(path, _describe_oserror(exc)) from exc
            if stat.S_ISLNK(st.st_mode):
                followed += 1
                if followed > MAX_SYMLINKS:
                    raise FileAccessError(path, "symlink loop")
                link = os.readlink(candidate)
                if link.startswith("/"):
                    resolved = []
                parts = [p for p in link.split("/") if p] + parts
            else:
                resolved.append(part)
        return self.root + ("/" + "/".join(resolved) if resolved else "")

    def _openable(self, path: str) -> str:
        """A path the kernel may resolve itself: on the host root its own resolution is the right one
        (and loops come back as ELOOP), so the per-component walk of :meth:`resolve` is skipped."""
        return path if self.is_host_root else self.resolve(path)

    # -- reading ---------------------------------------------------------------------------------
    def stat(self, path: str) -> os.stat_result:
        real = self._openable(path)
        try:
            return os.stat(real)
        except OSError as exc:
            raise FileAccessError(path, _describe_oserror(exc)) from exc

    def exists(self, path: str) -> bool:
        try:
            self.stat(path)
        except FileAccessError:
            return False
        return True

    @contextmanager
    def open(self, path: str, *, max_size: int | None = None) -> Iterator[BinaryIO]:
        """Open a regular file for reading, refusing anything over ``max_size`` bytes."""
        limit = self.max_file_size if max_size is None else max_size
        real = self._openable(path)
        try:
            fh = open(real, "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise FileAccessError(path, _describe_oserror(exc)) from exc
        try:
            st = os.fstat(fh.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise FileAccessError(path, "not a regular file")
            if st.st_size > limit:
                raise FileAccessError(
                    path, f"skipped: {human_size(st.st_size)} is over the {human_size(limit)} limit"
                )
            yield fh
        finally:
            fh.close()

    def read_bytes(self, path: str, *, max_size: int | None = None) -> bytes:
        with self.open(path, max_size=max_size) as fh:
            try:
                return fh.read()
            except OSError as exc:
                raise FileAccessError(path, _describe_oserror(exc)) from exc

    def read_text(self, path: str, *, max_size: int | None = None, errors: str = "strict") -> str:
        data = self.read_bytes(path, max_size=max_size)
        try:
            return data.decode("utf-8", errors=errors)
        except UnicodeDecodeError as exc:
            raise FileAccessError(path, f"not UTF-8 text (byte {exc.start})") from exc

    def listdir(self, path: str) -> list[str]:
        real = self._openable(path)
        try:
            return sorted(os.listdir(real))
        except OSError as exc:
            raise FileAccessError(path, _describe_oserror(exc)) from exc
