"""Debian packages from the dpkg database: ``/var/lib/dpkg/status`` and distroless ``status.d/``.

Format: deb822 paragraphs (deb-status(5)).  The ``Status`` field is ``want flag state``; like
``dpkg-query -W``, every package whose state is not ``not-installed`` is listed (``config-files``
packages are kept and marked).  ``Source: name (version)`` names the source package that distro
advisories are keyed by; when absent the source is the binary package itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from stockade.catalog.common import distro_qualifier, iter_paragraphs, make_package, os_ecosystem
from stockade.catalog.interface import CatalogContext, Cataloger
from stockade.model.inventory import Package
from stockade.model.status import StatusKind
from stockade.target.fs import FileAccessError

NAME = "os/dpkg"
STATUS = "/var/lib/dpkg/status"
STATUS_D = "/var/lib/dpkg/status.d"
_SOURCE = re.compile(r"^(?P<name>[^\s(]+)(?:\s*\((?P<version>[^)]+)\))?$")
REQUIRED = ("Package", "Version")


class DpkgCataloger(Cataloger):
    NAME = NAME
    FIXED_PATHS = (STATUS, STATUS_D + "/")
    DESCRIPTION = "Debian/Ubuntu packages from the dpkg database (status and distroless status.d)"

    def catalog(self, ctx: CatalogContext, paths: Sequence[str]) -> list[Package]:
        out = self._read(ctx, STATUS, missing_ok=True)
        try:
            names = ctx.fs.listdir(STATUS_D)
        except FileAccessError as exc:
            if exc.reason != "no such file":
                ctx.problem(STATUS_D, exc.reason, StatusKind.ERROR)
            names = []
        for name in names:
            if name.endswith(".md5sums"):
                continue
            out.extend(self._read(ctx, f"{STATUS_D}/{name}"))
        return out

    def _read(self, ctx: CatalogContext, path: str, *, missing_ok: bool = False) -> list[Package]:
        try:
            text = ctx.fs.read_text(path, errors="replace")
        except FileAccessError as exc:
            if not (missing_ok and exc.reason == "no such file"):
                kind = StatusKind.SKIPPED if exc.reason.startswith("skipped") else StatusKind.ERROR
                ctx.problem(path, exc.reason, kind)
            return []
        return list(self.parse_status(ctx, path, text))

    def parse_status(self, ctx: CatalogContext, path: str, text: str) -> Iterable[Package]:
        ecosystem = os_ecosystem(ctx.os, "Debian")
        namespace = ctx.os.id if ctx.os and ctx.os.id in ("debian", "ubuntu") else "debian"
        distro = distro_qualifier(ctx.os)
        try:
            for lineno, fields in iter_paragraphs(text):
                state = fields.get("Status", "install ok installed").split()
                if len(state) == 3 and state[2] == "not-installed":
                    continue  # purged: dpkg-query -W leaves these out, and they carry no Version
                missing = [f for f in REQUIRED if not fields.get(f)]
                if missing:
                    ctx.problem(
                        path, f"failed to parse dpkg status: line {lineno}: missing {', '.join(missing)}"
                    )
                    continue
                yield self._package(fields, path, lineno, ecosystem, namespace, distro, state)
        except ValueError as exc:
            # a truncated or corrupt file: keep what was read, report where it broke
            ctx.problem(path, f"failed to parse dpkg status: {exc}")

    @staticmethod
    def _package(
        fields: dict[str, str],
        path: str,
        lineno: int,
        ecosystem: str,
        namespace: str,
        distro: str | None,
        state: list[str],
    ) -> Package:
        name = fields["Package"]
        version = fields["Version"]
        arch = fields.get("Architecture") or None
        source_name, source_version = name, version
        src = fields.get("Source")
        if src:
            m = _SOURCE.match(src.strip())
            if m:
                source_name = m.group("name")
                source_version = m.group("version") or version
        metadata: dict[str, str] = {}
        if len(state) == 3 and state[2] != "installed":
            metadata["dpkg_status"] = state[2]
        if fields.get("Maintainer"):
            metadata["maintainer"] = fields["Maintainer"]
        qualifiers = {"arch": arch or "", "distro": distro or ""}
        if source_name != name or source_version != version:
            qualifiers["upstream"] = (
                source_name if source_version == version else f"{source_name}@{source_version}"
            )
        return make_package(
            name=name,
            version=version,
            type_="deb",
            found_by=NAME,
            path=path,
            line=lineno,
            namespace=namespace,
            ecosystem=ecosystem,
            qualifiers=qualifiers,
            source_name=source_name,
            source_version=source_version,
            arch=arch,
            metadata=metadata,
        )
