"""Squash an image's layers into the final filesystem in one pass, unpacking only what is analysed.

Layers are read **top-down** (last layer first).  When an entry of layer *i* is read, every layer above
it is already known, so whether the entry survives into the final filesystem is decided on the spot,
and each layer is decompressed exactly once.  The rules are the OCI image spec's (layer.md,
"Whiteouts" and "Opaque whiteout"):

- ``.wh.NAME`` deletes ``NAME`` (and all below it) from the layers *below*; ``.wh..wh..opq`` in a
  directory hides everything the layers below put in it.  Neither hides entries of its own layer.
- An entry replaces the same path from below; a non-directory replaces a whole directory tree below;
  a directory over a directory merges.  Parent directories an entry implies exist in its layer.
- Other ``.wh..wh.`` names (aufs hard-link metadata) have no effect and are not files of the image.

Only files a cataloger wants (by name, ending, executable bit, the package databases, the OS release
files) are written, into a private scratch directory; regular files only, with paths built from
cleaned names and parent directories created by us, while no symbolic link exists on disk — so no write
can leave the scratch directory.  Symbolic links are created at the end (the scan resolves them inside
the root, as chroot would).  Hostile input is refused with :class:`ImageSafetyError`: ``..`` climbing
above the root, an entry written through a symbolic link of its own layer, a hard link to outside, and
the limits of :mod:`.stream`.  Device nodes and FIFOs are listed, never created; set-uid/set-gid files
are recorded for the image checks.

Package databases (dpkg, apk, rpm) are also kept as they were in *every* layer that wrote them, so that
each package can be attributed to the layer that installed it rather than the last one that touched
the database.  Entries hidden by a later layer are recorded (path, its layer, the layer that deleted or
replaced it) for analyses that want the history.
"""

from __future__ import annotations

import os
import posixpath
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from stockade.catalog.interface import Cataloger
from stockade.catalog.osrelease import RELEASE_FILES
from stockade.catalog.walker import NameRules
from stockade.model.status import Status, StatusKind
from stockade.target.image.model import ImageSpec, Layer
from stockade.target.image.stream import Counters, ImageSafetyError, LayerStream, Limits, Prefetch
from stockade.target.image.tarstream import TarEntry, TarReader

PLUGIN = "image/layers"
WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"
#: (layer index, kind, mode, size, link target)
Entry = tuple[int, str, int, int, str]


@dataclass(frozen=True, slots=True)
class HiddenFile:
    """A file of some layer that is not in the final filesystem: ``how`` is ``deleted`` (a whiteout)
    or ``replaced`` (a later layer wrote the same path or replaced a parent directory)."""

    path: str
    layer: int
    hidden_in: int
    how: str
    size: int


@dataclass(slots=True)
class Squashed:
    root: str  # the unpacked part of the final filesystem
    history_root: str  # history_root/<layer>/<path>: package databases as each layer left them
    entries: dict[str, Entry] = field(default_factory=dict)
    hidden: list[HiddenFile] = field(default_factory=list)
    history: dict[str, list[int]] = field(default_factory=dict)  # database path → layers that wrote it
    special: list[tuple[str, str, int]] = field(default_factory=list)  # (path, kind, layer) devices, FIFOs
    setuid: list[tuple[str, int, int]] = field(default_factory=list)  # (path, mode, layer)
    statuses: list[Status] = field(default_factory=list)
    layer_stats: list[dict[str, object]] = field(default_factory=list)
    unpacked: int = 0  # files written


class _Wanted:
    def __init__(self, catalogers: Sequence[Cataloger]) -> None:
        self.rules = NameRules(catalogers)
        self.exact = set(RELEASE_FILES)
        self.db_exact: set[str] = set()
        self.db_prefixes: list[str] = []
        for cat in catalogers:
            for fixed in cat.FIXED_PATHS:
                (self.db_prefixes.append(fixed) if fixed.endswith("/") else self.db_exact.add(fixed))
        self.companions = (
            frozenset().union(*(c.COMPANIONS for c in catalogers)) if catalogers else frozenset()
        )

    def is_db(self, path: str) -> bool:
        return path in self.db_exact or any(path.startswith(p) for p in self.db_prefixes)

    def wants(self, path: str, base: str, mode: int, size: int) -> bool:
        if path in self.exact or base in self.companions:
            return True
        return self.rules.wants(base, bool(mode & 0o111) and size > 1024)


def clean_name(name: str, what: str) -> tuple[str, bool]:
    """``/``-rooted path of a tar entry name, and whether the name was absolute.  ``..`` that climbs
    above the root is refused (a path-traversal entry)."""
    absolute = name.startswith("/")
    rel = posixpath.normpath(name.lstrip("/")) if name.strip("/") else "."
    if rel == ".." or rel.startswith("../"):
        raise ImageSafetyError(
            f"{what}: entry {name!r} climbs out of the image root; refusing (path traversal)"
        )
    return ("/" if rel == "." else "/" + rel), absolute


class Squasher:
    def __init__(
        self,
        spec: ImageSpec,
        scratch: str,
        catalogers: Sequence[Cataloger],
        limits: Limits,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.spec = spec
        self.out = Squashed(
            root=os.path.join(scratch, "rootfs"), history_root=os.path.join(scratch, "layers")
        )
        os.mkdir(self.out.root, 0o700)
        os.mkdir(self.out.history_root, 0o700)
        self.wanted = _Wanted(catalogers)
        self.limits = limits
        self.counters = Counters()
        self.whiteouts: dict[str, int] = {}  # from layers above the current one
        self.opaque: dict[str, int] = {}
        self.made_dirs: set[str] = set()
        #: the nearest version above of every path: (layer, kind); filled in after each layer
        self.seen: dict[str, tuple[int, str]] = {}
        self.layer_seen: dict[str, tuple[int, str]] = {}
        self.any_hiding = False
        self.progress = progress
        self.absolute = 0

    def run(self) -> Squashed:
        total = len(self.spec.layers)
        for layer in reversed(self.spec.layers):
            if self.progress is not None:
                self.progress(f"reading layer {layer.index + 1}/{total} ({layer.id[:19]})")
            self._layer(layer)
        self._symlinks()
        if self.absolute:
            self.out.statuses.append(
                Status(
                    PLUGIN,
                    StatusKind.OK,
                    f"{self.absolute} entries had absolute names (read as relative to the root)",
                )
            )
        if self.out.special:
            sample = ", ".join(p for p, _, _ in self.out.special[:5])
            self.out.statuses.append(
                Status(
                    PLUGIN,
                    StatusKind.SKIPPED,
                    f"{len(self.out.special)} device nodes/FIFOs listed, not unpacked: {sample}",
                )
            )
        return self.out

    # -- one layer --------------------------------------------------------------------------------
    def _layer(self, layer: Layer) -> None:
        what = f"layer {layer.index + 1} ({layer.id})"
        diff_id = layer.diff_id if layer.blob.digest is None else None
        stream = LayerStream(layer.blob.opener(), self.limits, self.counters, what, diff_id)
        wh: dict[str, int] = {}
        opq: dict[str, int] = {}
        links: set[str] = set()
        with Prefetch(stream.chunks()) as chunks:
            it = iter(chunks)
            reader = TarReader(it, what)
            for entry in reader:
                self._entry(layer, entry, reader, wh, opq, links, what)
            for _ in it:  # past the end-of-archive blocks: read on, so that the digests are checked
                pass
        self.whiteouts.update(wh)
        self.opaque.update(opq)
        self.seen.update(self.layer_seen)
        self.layer_seen = {}
        self.any_hiding = bool(self.whiteouts or self.opaque or self.seen)
        self.out.layer_stats.append(
            {
                "index": layer.index,
                "entries": reader.entries,
                "compression": stream.compression,
                "uncompressed_bytes": stream.uncompressed,
            }
        )

    def _entry(
        self,
        layer: Layer,
        entry: TarEntry,
        reader: TarReader,
        wh: dict[str, int],
        opq: dict[str, int],
        links: set[str],
        what: str,
    ) -> None:
        self.counters.entries += 1
        if self.counters.entries > self.limits.max_entries:
            raise ImageSafetyError(
                f"{what}: more than {self.limits.max_entries} entries in the image; "
                "refusing (raise --max-entries)"
            )
        path, absolute = clean_name(entry.name, what)
        self.absolute += absolute
        if path == "/":
            return
        i = layer.index
        parent, _, base = path.rpartition("/")
        parent = parent or "/"
        if base.startswith(WHITEOUT):
            if base == OPAQUE:
                opq[parent] = i
                self._implied(parent, i)
            elif not base.startswith(".wh..wh."):
                wh[posixpath.join(parent, base[len(WHITEOUT) :])] = i
            return
        if links:
            self._through_link(path, links, what)
        kind = entry.kind
        size = entry.size
        db = kind == "f" and self.wanted.is_db(path)
        hidden = self._hidden(path, kind, i) if self.any_hiding else None
        self.layer_seen[path] = (i, kind)
        if hidden is not None:
            if kind != "d":
                self.out.hidden.append(HiddenFile(path, i, hidden[1], hidden[0], size))
            if db:
                self._snapshot(reader, entry, path, i, also=None)
            return
        entries = self.out.entries
        if kind == "d" and path in entries:
            return  # a directory over a directory: the upper one's attributes stand
        entries[path] = (i, kind, entry.mode, size, entry.linkname)
        self._implied(parent, i)
        if kind == "f":
            if entry.mode & 0o6000:
                self.out.setuid.append((path, entry.mode, i))
            dest = self.out.root + path
            if db:
                self._snapshot(reader, entry, path, i, also=dest)
            elif self.wanted.wants(path, base, entry.mode, size):
                self._write(reader, entry, dest)
        elif kind == "l":
            links.add(path)
        elif kind == "h":
            self._hardlink(entry, path, base, i, what)
        elif kind in "cbp":
            self.out.special.append((path, kind, i))

    def _hidden(self, path: str, kind: str, i: int) -> tuple[str, int] | None:
        """``(how, layer)``: the nearest layer above that hides ``path`` (a whiteout before a replacement
        in the same layer); None when ``path`` is in the final filesystem."""
        best: tuple[int, int, str] | None = None  # (layer, 0 deleted / 1 replaced, how)
        upper = self.seen.get(path)
        if upper is not None and not (upper[1] == "d" and kind == "d"):
            best = (upper[0], 1, "replaced")
        whiteouts, opaque, entries = self.whiteouts, self.opaque, self.out.entries
        if path in whiteouts:
            best = min(best or (whiteouts[path], 0, "deleted"), (whiteouts[path], 0, "deleted"))
        a = path
        while a != "/":
            cut = a.rfind("/")
            a = "/" if cut <= 0 else a[:cut]
            for table in (opaque, whiteouts) if a != "/" else (opaque,):
                layer = table.get(a)
                if layer is not None:
                    best = min(best or (layer, 0, "deleted"), (layer, 0, "deleted"))
            e = entries.get(a)
            if e is not None and e[0] > i and e[1] != "d":
                best = min(best or (e[0], 1, "replaced"), (e[0], 1, "replaced"))
        return None if best is None else (best[2], best[0])

    def _implied(self, directory: str, i: int) -> None:
        entries = self.out.entries
        while directory != "/" and directory not in entries:
            entries[directory] = (i, "d", 0o755, 0, "")
            self.layer_seen.setdefault(directory, (i, "d"))
            directory = directory.rpartition("/")[0] or "/"

    @staticmethod
    def _through_link(path: str, links: set[str], what: str) -> None:
        a = path
        while (cut := a.rfind("/")) > 0:
            a = a[:cut]
            if a in links:
                raise ImageSafetyError(
                    f"{what}: entry {path!r} would be written through the symbolic link {a!r} of the same "
                    "layer; refusing (a symlink escape)"
                )

    # -- writing ----------------------------------------------------------------------------------
    def _open_dest(self, dest: str, mode: int) -> int:
        parent = dest.rpartition("/")[0]
        if parent not in self.made_dirs:
            os.makedirs(parent, 0o700, exist_ok=True)
            self.made_dirs.add(parent)
        fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        os.fchmod(fd, (mode & 0o755) | 0o600)
        return fd

    def _write(self, reader: TarReader, entry: TarEntry, dest: str) -> None:
        fd = self._open_dest(dest, entry.mode)
        try:
            reader.copy_to(fd)
        finally:
            os.close(fd)
        self.out.unpacked += 1

    def _snapshot(self, reader: TarReader, entry: TarEntry, path: str, i: int, also: str | None) -> None:
        """Keep a package database as layer ``i`` wrote it (and, when it is final, in the root too)."""
        copy = os.path.join(self.out.history_root, str(i)) + path
        self._write(reader, entry, copy)
        self.out.history.setdefault(path, []).append(i)
        if also is not None:
            os.close(self._open_dest(also, entry.mode))  # parents, permissions
            shutil.copyfile(copy, also)

    def _hardlink(self, entry: TarEntry, path: str, base: str, i: int, what: str) -> None:
        target, _ = clean_name(entry.linkname, what)
        if not self.wanted.wants(path, base, entry.mode, 2048):
            return
        src = self.out.entries.get(target)
        if src is not None and src[0] == i and os.path.isfile(self.out.root + target):
            dest = self.out.root + path
            os.close(self._open_dest(dest, entry.mode))
            os.unlink(dest)
            os.link(self.out.root + target, dest, follow_symlinks=False)
            self.out.unpacked += 1
        else:
            self.out.statuses.append(
                Status(
                    PLUGIN,
                    StatusKind.PARTIAL,
                    f"hard link to {target} not analysed (its content was not kept)",
                    path,
                )
            )

    def _symlinks(self) -> None:
        # deepest first: a link is only ever created inside real directories, so creating one can never
        # go through another (a shallower link at a path that is already a directory is left out)
        root = self.out.root
        links = [(path, e[4]) for path, e in self.out.entries.items() if e[1] == "l"]
        links.sort(key=lambda pl: pl[0].count("/"), reverse=True)
        for path, link in links:
            dest = root + path
            parent = dest.rpartition("/")[0]
            if parent not in self.made_dirs:
                os.makedirs(parent, 0o700, exist_ok=True)
                self.made_dirs.add(parent)
            try:
                os.symlink(link, dest)
            except FileExistsError:
                continue
