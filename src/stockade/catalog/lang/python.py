"""Installed Python distributions: ``*.dist-info/METADATA`` (PEP 376/566) and ``*.egg-info``
(``PKG-INFO`` inside a directory, or a single ``.egg-info`` file).

Core metadata (packaging.python.org "Core metadata specifications") is an RFC 822 header block; only
the headers before the first blank line are read, so a long description body costs nothing.  Each
package records the ``site-packages`` (or ``dist-packages``) directory it is installed in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from stockade.catalog.common import make_package
from stockade.catalog.interface import CatalogContext, FileCataloger
from stockade.errors import ParseError
from stockade.model.inventory import Package
from stockade.target.fs import FileAccessError

NAME = "lang/python"
_MAX_HEADER = 1024 * 1024
_NORMALISE = re.compile(r"[-_.]+")


def normalise_name(name: str) -> str:
    """PEP 503 normalised name, as the purl ``pypi`` type requires."""
    return _NORMALISE.sub("-", name).lower()


def read_headers(data: bytes, path: str) -> dict[str, list[str]]:
    if b"\x00" in data[:8192]:
        raise ParseError("Python package metadata", path, "binary data, not an RFC 822 header block")
    text = data.decode("utf-8", errors="replace")
    headers: dict[str, list[str]] = {}
    last: str | None = None
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            break
        if line[0] in " \t" and last is not None:
            headers[last][-1] += "\n" + line.strip()
            continue
        key, sep, value = line.partition(":")
        if not sep or not key.strip() or " " in key.strip():
            raise ParseError(
                "Python package metadata", path, f"expected 'Header: value', got {line[:40]!r}", line=lineno
            )
        last = key.strip().lower()
        headers.setdefault(last, []).append(value.strip())
    return headers


def site_packages_of(path: str) -> str:
    """The directory holding the ``.dist-info``/``.egg-info`` (usually ``site-packages``)."""
    parts = path.split("/")
    for i in range(len(parts) - 1, -1, -1):
        if parts[i].endswith((".dist-info", ".egg-info")):
            return "/".join(parts[:i]) or "/"
    return "/".join(parts[:-1]) or "/"


class PythonCataloger(FileCataloger):
    NAME = NAME
    DESCRIPTION = "Python distributions installed in site-packages (dist-info and egg-info)"
    FILE_NAMES = frozenset({"METADATA", "PKG-INFO"})
    EXTENSIONS = frozenset({"egg-info"})
    COMPANIONS = frozenset({"INSTALLER"})

    def accepts(self, path: str) -> bool:
        if path.endswith(".egg-info"):
            return True
        parent = path.rsplit("/", 2)[-2] if path.count("/") >= 2 else ""
        return parent.endswith(".dist-info") if path.endswith("/METADATA") else parent.endswith(".egg-info")

    def parse(self, ctx: CatalogContext, path: str) -> Iterable[Package]:
        if path.endswith(".egg-info") and ctx.fs.stat(path).st_mode & 0o040000:
            return []  # a directory named *.egg-info: its PKG-INFO is passed on its own
        with ctx.fs.open(path) as fh:
            data = fh.read(_MAX_HEADER)
        headers = read_headers(data, path)
        name = (headers.get("name") or [""])[0]
        version = (headers.get("version") or [""])[0]
        missing = [h for h, v in (("Name", name), ("Version", version)) if not v]
        if missing:
            raise ParseError("Python package metadata", path, f"missing {' and '.join(missing)}")
        licenses = tuple(
            v
            for v in headers.get("license-expression", []) + headers.get("license", [])
            if v and "\n" not in v
        )
        metadata = {"site_packages": site_packages_of(path)}
        installer = self._installer(ctx, path)
        if installer:
            metadata["installer"] = installer
        return [
            make_package(
                name=name,
                version=version,
                type_="pypi",
                found_by=NAME,
                path=path,
                purl_name=normalise_name(name),
                licenses=licenses[:1],
                metadata=metadata,
            )
        ]

    @staticmethod
    def _installer(ctx: CatalogContext, path: str) -> str | None:
        if not path.endswith("/METADATA"):
            return None
        try:
            text = ctx.fs.read_text(path[: -len("METADATA")] + "INSTALLER", max_size=4096, errors="replace")
        except FileAccessError:  # INSTALLER is optional and informational
            return None
        return text.strip() or None
