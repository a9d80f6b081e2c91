"""An unpacked filesystem (a chroot, an extracted image, a mounted disk) as a target."""

from __future__ import annotations

import os
import stat

from stockade.errors import InputError, TargetNotFoundError
from stockade.model.target import Target, TargetKind
from stockade.target.fs import TargetFS


def open_rootfs(path: str, kind: TargetKind = TargetKind.ROOTFS) -> tuple[Target, TargetFS]:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise TargetNotFoundError(f"{path}: no such file or directory") from None
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror or exc}") from None
    if not stat.S_ISDIR(st.st_mode):
        raise InputError(
            f"{path}: not a directory", hint="`stockade rootfs` scans an unpacked filesystem tree"
        )
    if not os.access(path, os.R_OK | os.X_OK):
        raise InputError(f"{path}: permission denied")
    real = os.path.realpath(path)
    target = Target(kind=kind, name=path, id=f"{kind.value}:{real}", path=real)
    return target, TargetFS(real)
