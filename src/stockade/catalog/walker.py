"""One pass over a target's tree that hands every cataloger the paths it wants.

The walk is the hot path of a filesystem scan: it uses ``os.scandir`` directly (the ``d_type`` of each
entry, no ``stat`` except for extension-less regular files when a cataloger wants executables), plain
dicts and sets, and no per-entry objects.  Symbolic links to directories are not followed (loops, and
the same files twice); a symbolic link whose *name* a cataloger wants is passed on and resolved inside
the target root by :class:`~stockade.target.fs.TargetFS`.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from stockade.catalog.interface import Cataloger
from stockade.model.status import Status, StatusKind
from stockade.target.fs import TargetFS, _describe_oserror

#: Filesystems that hold no installed software: kernel views and in-memory scratch (proc(5), sysfs(5)).
PSEUDO_FILESYSTEMS = frozenset(
    {
        "proc",
        "sysfs",
        "devtmpfs",
        "devpts",
        "cgroup",
        "cgroup2",
        "tracefs",
        "debugfs",
        "securityfs",
        "bpf",
        "pstore",
        "configfs",
        "fusectl",
        "mqueue",
        "hugetlbfs",
        "autofs",
        "binfmt_misc",
        "efivarfs",
        "rpc_pipefs",
        "nsfs",
        "selinuxfs",
    }
)
#: Trees that belong to container engines: their images are scanned with ``stockade image``.
ENGINE_STORAGE = ("/var/lib/containers/storage", "/var/lib/docker", "/var/lib/containerd")

WALK = "walk"
ENGINE_REASON = "container engine storage: scan its images with `stockade image`"


@dataclass(slots=True)
class WalkResult:
    wanted: dict[str, list[str]] = field(default_factory=dict)
    statuses: list[Status] = field(default_factory=list)
    files: int = 0
    directories: int = 0


def _unescape_mountinfo(field_: str) -> str:
    # proc(5): spaces, tabs, newlines and backslashes in mount points are octal-escaped.
    return field_.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\")


def excluded_mounts(root: str, mountinfo: str = "/proc/self/mountinfo") -> dict[str, str]:
    """Mount points under ``root`` that carry a pseudo filesystem, mapped to their filesystem type."""
    out: dict[str, str] = {}
    try:
        with open(mountinfo, encoding="utf-8", errors="replace") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return out
    prefix = root.rstrip("/") + "/"
    for line in lines:
        left, sep, right = line.partition(" - ")
        if not sep:
            continue
        fields = left.split()
        fstype = right.split(" ", 1)[0]
        if len(fields) < 5:
            continue
        mnt = _unescape_mountinfo(fields[4])
        if fstype in PSEUDO_FILESYSTEMS and (mnt == root or mnt.startswith(prefix)) and mnt != "/":
            out[mnt] = f"pseudo filesystem ({fstype}): holds no installed software"
    return out


class NameRules:
    """Which file names the catalogers want: exact names, endings, executables.  The walker inlines
    these look-ups in its loop; image scans ask :meth:`wants` for each tar entry."""

    def __init__(self, catalogers: Sequence[Cataloger]) -> None:
        self.by_name: dict[str, list[Cataloger]] = {}
        # last extension → [(the whole ending to check when it has several parts, cataloger)]
        self.by_ext: dict[str, list[tuple[str | None, Cataloger]]] = {}
        self.exec_wanted = [c for c in catalogers if c.EXECUTABLES]
        for cat in catalogers:
            for name in cat.FILE_NAMES:
                self.by_name.setdefault(name, []).append(cat)
            for ext in cat.EXTENSIONS:
                last = ext.rsplit(".", 1)[-1]
                for variant, whole in ((last, ext), (last.upper(), ext.upper())):
                    check = "." + whole if "." in whole else None
                    self.by_ext.setdefault(variant, []).append((check, cat))
        # the last four characters of every wanted name and ending ("DATA", ".jar", "json" ...): a file
        # whose last four are not among them is wanted by nobody.  Exact only when every ending has at
        # least three characters (".js" would miss "x.js"); otherwise the shortcut is off.
        self.tails: frozenset[str] | None = None
        if all(len(e) >= 3 for e in self.by_ext):
            self.tails = frozenset([n[-4:] for n in self.by_name] + [f".{e}"[-4:] for e in self.by_ext])

    def wants(self, name: str, executable: bool) -> bool:
        """Whether any cataloger wants a file called ``name``; ``executable``: a regular file with an
        execute bit and more than 1 KiB (what the walker checks with ``stat``)."""
        if name in self.by_name:
            return True
        dot = name.rfind(".")
        if dot > 0:
            endings = self.by_ext.get(name[dot + 1 :])
            return endings is not None and any(check is None or name.endswith(check) for check, _ in endings)
        return executable and bool(self.exec_wanted)


class Walker:
    """Classifies directory entries for a set of catalogers.  :meth:`run` walks from a stack of
    directories; the parallel scan (``catalog/parallel.py``) calls it on slices of the tree."""

    def __init__(self, fs: TargetFS, catalogers: Sequence[Cataloger], exclude: dict[str, str] | None) -> None:
        rules = NameRules(catalogers)
        self.by_name, self.by_ext, self.exec_wanted, self.tails = (
            rules.by_name,
            rules.by_ext,
            rules.exec_wanted,
            rules.tails,
        )
        self.names = [c.NAME for c in catalogers]
        self.excluded = dict(exclude or {})
        prefix = "" if fs.is_host_root else fs.root
        for path in ENGINE_STORAGE:
            self.excluded.setdefault(prefix + path, ENGINE_REASON)
        self.root = fs.root
        self.cut = 0 if fs.is_host_root else len(fs.root)

    def new_result(self) -> WalkResult:
        return WalkResult(wanted={name: [] for name in self.names})

    def run(
        self,
        stack: list[str],
        result: WalkResult,
        *,
        limit: int = 0,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[str]:
        """Walk depth-first from ``stack`` until it is empty or, with ``limit``, that many directories
        were read; return what is left of the stack."""
        by_name, by_ext, exec_wanted, tails = self.by_name, self.by_ext, self.exec_wanted, self.tails
        excluded, cut = self.excluded, self.cut
        wanted = result.wanted
        statuses = result.statuses
        files = dirs = 0
        isreg = stat.S_ISREG
        s_ixany = stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH
        while stack:
            if limit and dirs >= limit:
                break
            top = stack.pop()
            dirs += 1
            if progress is not None and dirs % 2000 == 0:
                progress(result.directories + dirs, result.files + files)
            try:
                it = os.scandir(top)
            except OSError as exc:
                reason = f"directory not read: {_describe_oserror(exc)}"
                statuses.append(Status(WALK, StatusKind.SKIPPED, reason, top[cut:] or "/"))
                continue
            with it:
                try:
                    for entry in it:
                        try:
                            is_dir = entry.is_dir(follow_symlinks=False)
                        except OSError:
                            is_dir = False
                        if is_dir:
                            full = entry.path
                            if full in excluded:
                                statuses.append(Status(WALK, StatusKind.SKIPPED, excluded[full], full[cut:]))
                            else:
                                stack.append(full)
                            continue
                        files += 1
                        name = entry.name
                        # the last four characters rule out almost every file with one dict look-up
                        if tails is not None and name[-4:] not in tails and (not exec_wanted or "." in name):
                            continue
                        cats = by_name.get(name)
                        if cats is None:
                            dot = name.rfind(".")
                            if dot > 0:
                                endings = by_ext.get(name[dot + 1 :])
                                if endings is None:
                                    continue
                                cats = [c for check, c in endings if check is None or name.endswith(check)]
                            elif exec_wanted:
                                try:
                                    st = entry.stat(follow_symlinks=False)
                                except OSError:
                                    continue
                                if not (isreg(st.st_mode) and st.st_mode & s_ixany and st.st_size > 1024):
                                    continue
                                cats = exec_wanted
                            else:
                                continue
                        path = entry.path[cut:]
                        for cat in cats:
                            if cat.accepts(path):
                                wanted[cat.NAME].append(path)
                except OSError as exc:
                    reason = f"directory listing cut short: {_describe_oserror(exc)}"
                    statuses.append(Status(WALK, StatusKind.PARTIAL, reason, top[cut:] or "/"))
        result.files += files
        result.directories += dirs
        return stack


def walk(
    fs: TargetFS,
    catalogers: Sequence[Cataloger],
    *,
    exclude: dict[str, str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> WalkResult:
    """Walk ``fs`` once; return, for each cataloger, the target paths it declared interest in."""
    walker = Walker(fs, catalogers, exclude)
    result = walker.new_result()
    walker.run([fs.root], result, progress=progress)
    if progress is not None:
        progress(result.directories, result.files)
    for paths in result.wanted.values():
        paths.sort()
    return result
