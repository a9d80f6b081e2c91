"""Red Hat / Fedora / SUSE family packages from the rpm database.

Where: ``/var/lib/rpm`` and ``/usr/lib/sysimage/rpm`` (rpm ≥ 4.16 moved it there; on such systems one
is usually a symbolic link to the other, and the database is read once).  Which file: rpm's backends,
in the order rpm itself prefers them today — ``rpmdb.sqlite`` (SQLite, :mod:`.rpmdb_sqlite`),
``Packages.db`` (ndb, :mod:`.rpmdb_ndb`), ``Packages`` (Berkeley DB hash, :mod:`.rpmdb_bdb`).  Only the
first one present in a directory is read: a second one there is a leftover of a database conversion
(``rpmdb --rebuilddb``) and is reported as skipped.  All three store the same header blobs
(:mod:`.rpmheader`).

Each header gives one package: ``version`` is ``[epoch:]version-release`` as rpm prints ``%{EVR}``
(an explicit epoch 0 is kept, as rpm keeps it).  The purl follows purl-spec's rpm type:
``pkg:rpm/<vendor>/<name>@<version>-<release>?arch=…&epoch=…&distro=…`` where the namespace is the
distribution vendor taken from os-release (``redhat`` when unknown).  The source package comes from
``SOURCERPM`` (``name-version-release.src.rpm``); the source version carries the binary's epoch,
since both come from the same spec file.

The ``gpg-pubkey`` pseudo packages (the signing keys imported with ``rpm --import``, which rpm stores as
headers) are skipped: they are not software.  A damaged record is reported and skipped; a database
that breaks off keeps the packages read before the damage.
"""

from __future__ import annotations

import mmap
import stat
import struct
from collections.abc import Iterator, Sequence

from stockade.catalog.common import distro_qualifier, lookup_os, make_package, os_ecosystem
from stockade.catalog.interface import CatalogContext, Cataloger
from stockade.catalog.os import rpmdb_bdb, rpmdb_ndb, rpmdb_sqlite
from stockade.catalog.os.rpmheader import HeaderError, HeaderInfo, RpmDBError, header_info, split_sourcerpm
from stockade.model.inventory import OSInfo, Package
from stockade.model.status import StatusKind
from stockade.target.fs import FileAccessError

NAME = "os/rpm"
DB_DIRS = ("/var/lib/rpm", "/usr/lib/sysimage/rpm")
#: file name → backend, in order of preference
DB_FILES = (("rpmdb.sqlite", "sqlite"), ("Packages.db", "ndb"), ("Packages", "bdb"))
GPG_PUBKEY = "gpg-pubkey"
#: at most this many per-record problems are listed one by one for a database
MAX_PROBLEMS = 20

#: os-release ID → purl namespace (the distribution vendor)
NAMESPACES: dict[str, str] = {
    "rhel": "redhat",
    "centos": "centos",
    "fedora": "fedora",
    "rocky": "rocky",
    "almalinux": "almalinux",
    "ol": "oracle",
    "amzn": "amazon",
    "opensuse": "opensuse",
    "opensuse-leap": "opensuse",
    "opensuse-tumbleweed": "opensuse",
    "sles": "suse",
    "sled": "suse",
    "sle-micro": "suse",
    "mariner": "mariner",
    "azurelinux": "azurelinux",
    "photon": "photon",
}
DEFAULT_NAMESPACE = "redhat"
DEFAULT_ECOSYSTEM = "Red Hat"


def purl_namespace(os: OSInfo | None) -> str:
    return lookup_os(os, NAMESPACES) or (os.id if os is not None and os.id else DEFAULT_NAMESPACE)


class RpmCataloger(Cataloger):
    NAME = NAME
    FIXED_PATHS = tuple(d + "/" for d in DB_DIRS)
    DESCRIPTION = "RHEL/Fedora/SUSE packages from the rpm database (SQLite, ndb, Berkeley DB)"

    def catalog(self, ctx: CatalogContext, paths: Sequence[str]) -> list[Package]:
        out: list[Package] = []
        seen: set[str] = set()
        for directory in DB_DIRS:
            chosen: tuple[str, str] | None = None
            for file_name, backend in DB_FILES:
                path = f"{directory}/{file_name}"
                try:
                    st = ctx.fs.stat(path)
                    real = ctx.fs.resolve(path)
                except FileAccessError as exc:
                    if exc.reason not in ("no such file", "not a directory"):
                        ctx.problem(path, exc.reason, StatusKind.ERROR)
                    continue
                if real in seen:
                    continue
                seen.add(real)
                if not stat.S_ISREG(st.st_mode):
                    ctx.problem(path, "not a regular file", StatusKind.ERROR)
                elif chosen is None:
                    chosen = (path, backend)
                    out.extend(self.read_database(ctx, path, backend))
                else:
                    ctx.problem(path, f"not read: {chosen[0]} is the database rpm uses", StatusKind.SKIPPED)
        return out

    def read_database(self, ctx: CatalogContext, path: str, backend: str) -> list[Package]:
        """Packages of one database file (a target path) of the given backend."""
        problems: list[str] = []
        packages: list[Package] = []
        try:
            for key, blob in self._records(ctx, path, backend, problems):
                try:
                    info = header_info(blob)
                except HeaderError as exc:
                    problems.append(f"record {key}: {exc}")
                    continue
                pkg = self._package(ctx, info, path, backend, key, problems)
                if pkg is not None:
                    packages.append(pkg)
        except FileAccessError as exc:
            status = StatusKind.SKIPPED if exc.reason.startswith("skipped") else StatusKind.ERROR
            ctx.problem(path, exc.reason, status)
        except RpmDBError as exc:
            if exc.unsupported:
                status = StatusKind.UNSUPPORTED
            else:
                status = StatusKind.PARTIAL if packages else StatusKind.ERROR
            ctx.problem(path, f"failed to read rpm {backend} database: {exc}", status)
        except (struct.error, IndexError) as exc:  # a damage the readers' own checks did not foresee
            status = StatusKind.PARTIAL if packages else StatusKind.ERROR
            ctx.problem(path, f"failed to read rpm {backend} database: damaged: {exc}", status)
        except OSError as exc:
            reason = f"failed to read rpm {backend} database: {exc.strerror or exc}"
            ctx.problem(path, reason, StatusKind.ERROR)
        for reason in problems[:MAX_PROBLEMS]:
            ctx.problem(path, f"failed to parse rpm {backend} database: {reason}")
        if len(problems) > MAX_PROBLEMS:
            ctx.problem(path, f"failed to parse rpm {backend} database: {len(problems) - MAX_PROBLEMS} "
                              "more damaged records")  # fmt: skip
        return packages

    @staticmethod
    def _records(
        ctx: CatalogContext, path: str, backend: str, problems: list[str]
    ) -> Iterator[tuple[int, bytes]]:
        if backend == "sqlite":
            ctx.fs.stat(path)  # raises FileAccessError for what cannot be read
            wal = ctx.fs.resolve(path + "-wal")
            yield from rpmdb_sqlite.iter_records(ctx.fs.resolve(path), wal, problems)
            return
        reader = rpmdb_ndb.iter_records if backend == "ndb" else rpmdb_bdb.iter_records
        with ctx.fs.open(path) as fh:
            data = fh.read(1)
            if not data:
                raise RpmDBError("empty file")
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
                yield from reader(mapped, problems)

    @staticmethod
    def _package(
        ctx: CatalogContext, info: HeaderInfo, path: str, backend: str, key: int, problems: list[str]
    ) -> Package | None:
        if not info.name or not info.version:
            problems.append(f"record {key}: header has no {'NAME' if not info.name else 'VERSION'}")
            return None
        if info.name == GPG_PUBKEY:
            return None
        vr = f"{info.version}-{info.release}" if info.release else info.version
        epoch = str(info.epoch) if info.epoch is not None else ""
        evr = f"{epoch}:{vr}" if epoch else vr
        source_name: str | None = None
        source_version: str | None = None
        if info.sourcerpm:
            parsed = split_sourcerpm(info.sourcerpm)
            if parsed is None:
                problems.append(f"record {key} ({info.name}): SOURCERPM {info.sourcerpm!r} is not "
                                "name-version-release.src.rpm")  # fmt: skip
            else:
                source_name = parsed[0]
                source_vr = f"{parsed[1]}-{parsed[2]}"
                source_version = f"{epoch}:{source_vr}" if epoch else source_vr
        qualifiers = {"arch": info.arch or "", "epoch": epoch, "distro": distro_qualifier(ctx.os) or ""}
        if source_name and (source_name != info.name or source_version != evr):
            qualifiers["upstream"] = info.sourcerpm or ""
        metadata: dict[str, str] = {"rpmdb": backend}
        if info.sourcerpm:
            metadata["sourcerpm"] = info.sourcerpm
        if info.vendor:
            metadata["vendor"] = info.vendor
        if info.modularity_label:
            metadata["modularitylabel"] = info.modularity_label
        # purl-spec rpm: the purl version is version-release, the epoch is the ``epoch`` qualifier
        return make_package(
            name=info.name, version=evr, purl_version=vr, type_="rpm", found_by=NAME, path=path,
            namespace=purl_namespace(ctx.os), ecosystem=os_ecosystem(ctx.os, DEFAULT_ECOSYSTEM),
            qualifiers=qualifiers,
            source_name=source_name, source_version=source_version, arch=info.arch,
            licenses=(info.license,) if info.license else (), metadata=metadata,
        )  # fmt: skip
