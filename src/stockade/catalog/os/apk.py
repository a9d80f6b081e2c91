"""Alpine (and Wolfi, Chainguard, postmarketOS ...) packages from apk's installed database.

The database is ``/lib/apk/db/installed``; apk-tools 2.14+ on a usr-merged system keeps it in
``/usr/lib/apk/db/installed`` (the other path is then usually a symbolic link; a file reached through
both is read once).  Format (wiki.alpinelinux.org "Apk spec", apk-tools ``src/database.c``): one block
per package, blocks separated by a blank line, every line ``K:value`` with a single-letter key.  Upper
case keys are mandatory to apk, lower case ones optional.  Package-level keys: ``P`` name, ``V``
version, ``A`` architecture, ``L`` license, ``o`` origin (the aport the package was built from: Alpine's
secdb advisories are keyed by origin), ``m`` maintainer, ``C`` checksum, ``c`` aports commit, ``t`` build
time.  ``F``/``R`` (directories and files) with their ``a``/``M``/``Z`` attribute lines follow.

A truncated or damaged database keeps every block that still has a name and a version; lines that are
not ``K:value`` are reported by line number.  A file that does not end in a newline was cut mid-line:
its last line is not trusted (a cut ``V:`` line would give a wrong version).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from stockade.catalog.common import distro_qualifier, make_package, os_ecosystem
from stockade.catalog.interface import CatalogContext, Cataloger
from stockade.model.inventory import Package
from stockade.model.status import StatusKind
from stockade.target.fs import FileAccessError

NAME = "os/apk"
INSTALLED = ("/lib/apk/db/installed", "/usr/lib/apk/db/installed")
#: keys read into the package; the file list (F/R/a/M/Z) is not
_PACKAGE_KEYS = frozenset("PVALomCctU")
#: apk version: digits and dots, optional letter, ``_suffix[N]`` parts, ``~hash``, ``-rN``
_VERSION = re.compile(r"^[0-9][0-9A-Za-z._+~-]*$")
_NAME = re.compile(r"^[^\s:/]+$")
_MAX_REPORTED = 5
_FAIL = "failed to parse apk database"


class ApkCataloger(Cataloger):
    NAME = NAME
    FIXED_PATHS = INSTALLED
    DESCRIPTION = "Alpine/Wolfi/Chainguard packages from apk's installed database"

    def catalog(self, ctx: CatalogContext, paths: Sequence[str]) -> list[Package]:
        out: list[Package] = []
        seen: set[str] = set()
        for path in INSTALLED:
            try:
                real = ctx.fs.resolve(path)
            except FileAccessError as exc:
                ctx.problem(path, exc.reason, StatusKind.ERROR)
                continue
            if real in seen:
                continue
            seen.add(real)
            try:
                text = ctx.fs.read_text(path, errors="replace")
            except FileAccessError as exc:
                if exc.reason != "no such file":
                    kind = StatusKind.SKIPPED if exc.reason.startswith("skipped") else StatusKind.ERROR
                    ctx.problem(path, exc.reason, kind)
                continue
            out.extend(self.parse_installed(ctx, path, text))
        return out

    def parse_installed(self, ctx: CatalogContext, path: str, text: str) -> Iterable[Package]:
        ecosystem = os_ecosystem(ctx.os, "Alpine")
        namespace = ctx.os.id if ctx.os is not None else "alpine"
        distro = distro_qualifier(ctx.os)
        bad: list[tuple[int, str]] = []
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()  # the newline ending the last line
        elif lines:
            cut = lines.pop()
            ctx.problem(path, f"{_FAIL}: line {len(lines) + 1}: file ends in the middle of a line "
                              f"(truncated?): {cut[:40]!r} ignored")  # fmt: skip
        fields: dict[str, str] = {}
        start = 0
        for lineno, line in enumerate(lines, 1):
            if not line.strip():
                if fields or start:
                    pkg = self._package(ctx, path, start, fields, ecosystem, namespace, distro)
                    if pkg is not None:
                        yield pkg
                fields, start = {}, 0
                continue
            if len(line) < 2 or line[1] != ":" or not line[0].isascii() or not line[0].isalpha():
                bad.append((lineno, line))
                start = start or lineno
                continue
            start = start or lineno
            key = line[0]
            if key in _PACKAGE_KEYS and key not in fields:
                fields[key] = line[2:].strip()
        if fields or start:
            pkg = self._package(ctx, path, start, fields, ecosystem, namespace, distro)
            if pkg is not None:
                yield pkg
        for lineno, line in bad[:_MAX_REPORTED]:
            ctx.problem(path, f"{_FAIL}: line {lineno}: expected 'K:value' with a single-letter key, "
                              f"got {line[:40]!r}")  # fmt: skip
        if len(bad) > _MAX_REPORTED:
            more = ", ".join(str(n) for n, _ in bad[_MAX_REPORTED : _MAX_REPORTED + 10])
            etc = " ..." if len(bad) > _MAX_REPORTED + 10 else ""
            ctx.problem(path, f"{_FAIL}: {len(bad) - _MAX_REPORTED} more malformed lines (lines {more}{etc})")

    @staticmethod
    def _package(
        ctx: CatalogContext, path: str, lineno: int, fields: dict[str, str], ecosystem: str, namespace: str,
        distro: str | None,
    ) -> Package | None:  # fmt: skip
        name = fields.get("P", "")
        version = fields.get("V", "")
        if not name or not version:
            if not fields:
                return None  # a block of nothing but malformed lines: already reported line by line
            missing = " and ".join(k for k, v in (("P: (name)", name), ("V: (version)", version)) if not v)
            what = f"package {name!r}" if name else "package block"
            ctx.problem(path, f"{_FAIL}: line {lineno}: {what} has no {missing}")
            return None
        if not _NAME.match(name) or not _VERSION.match(version):
            ctx.problem(path, f"{_FAIL}: line {lineno}: not a valid apk name and version: {name[:40]!r} "
                              f"{version[:40]!r}")  # fmt: skip
            return None
        arch = fields.get("A") or None
        origin = fields.get("o") or name
        metadata: dict[str, str] = {"origin": origin}
        for key, label in (("m", "maintainer"), ("C", "checksum"), ("c", "commit"), ("t", "build_time"),
                           ("U", "url")):  # fmt: skip
            if fields.get(key):
                metadata[label] = fields[key]
        qualifiers = {"arch": arch or "", "distro": distro or ""}
        if origin != name:
            qualifiers["upstream"] = origin
        licenses = (fields["L"],) if fields.get("L") else ()
        return make_package(
            name=name, version=version, type_="apk", found_by=NAME, path=path, line=lineno,
            namespace=namespace, ecosystem=ecosystem, qualifiers=qualifiers, source_name=origin,
            source_version=version, arch=arch, licenses=licenses, metadata=metadata,
        )  # fmt: skip
