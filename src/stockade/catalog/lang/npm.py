"""npm packages: installed ones (``node_modules/**/package.json``) and the lockfiles of npm, yarn and pnpm.

Supported inputs (each format's rules are in its module's docstring):

* installed packages: the ``package.json`` of a package directory directly inside ``node_modules``
  (``node_modules/a/package.json``, ``node_modules/@scope/a/package.json``, nested
  ``node_modules/a/node_modules/b/package.json`` and pnpm's store ``node_modules/.pnpm/<id>/node_modules/
  a/package.json``).  Not the project's own ``package.json``, not ``package.json`` files in
  sub-directories of a package (``node_modules/a/esm/package.json``) and not test fixtures such as
  ``node_modules/a/test/node_modules/b/package.json``: below the first ``node_modules`` the path must
  alternate ``node_modules`` and a package directory.  Symbolic links to directories (npm workspaces,
  ``file:`` dependencies, pnpm's top-level links) are not followed by the walker, so each real package
  directory is read once;
* ``package-lock.json`` / ``npm-shrinkwrap.json``, lockfileVersion 1, 2 and 3 (:mod:`.npm_lock`);
* ``yarn.lock``, classic v1 and berry (yarn 2+) (:mod:`.yarn_lock`);
* ``pnpm-lock.yaml``, lockfileVersion 5.x, 6.x and 9.x (:mod:`.pnpm_lock`).

Lockfiles inside ``node_modules`` (published with a package, describing its author's environment, not
what is installed) are ignored.  Every package is ``pkg:npm/[%40scope/]name@version``, ecosystem ``npm``;
an alias (``"x": "npm:real@1"``) is reported as the real package with ``metadata["alias"] = "x"``.

Not read: Yarn Plug'n'Play installs (``.yarn/cache/*.zip``, ``.pnp.cjs``: only their ``yarn.lock``), bun
lockfiles (``bun.lock``, ``bun.lockb``), npm's hidden ``node_modules/.package-lock.json`` (the installed
``package.json`` files say the same) and ``package.json`` dependency ranges of the project itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from stockade.catalog.common import json_type
from stockade.catalog.interface import CatalogContext, FileCataloger
from stockade.catalog.lang.npm_common import (
    NAME,
    check_name_version,
    decode,
    load_json,
    npm_package,
)
from stockade.catalog.lang.npm_lock import parse_npm_lock
from stockade.catalog.lang.pnpm_lock import parse_pnpm_lock
from stockade.catalog.lang.yarn_lock import parse_yarn_lock
from stockade.errors import ParseError
from stockade.model.inventory import Package

__all__ = ["NAME", "NpmCataloger", "is_installed_manifest", "parse_installed"]

MANIFEST = "package.json"
_MAX_MANIFEST = 16 * 1024 * 1024
_LOCKFILES: dict[str, Callable[[CatalogContext, str, bytes], list[Package]]] = {
    "package-lock.json": parse_npm_lock,
    "npm-shrinkwrap.json": parse_npm_lock,
    "yarn.lock": parse_yarn_lock,
    "pnpm-lock.yaml": parse_pnpm_lock,
}


def is_installed_manifest(path: str) -> bool:
    """Whether ``path`` is the ``package.json`` of a package installed in a ``node_modules`` tree."""
    parts = path.split("/")
    if parts[-1] != MANIFEST:
        return False
    try:
        i = parts.index("node_modules")
    except ValueError:
        return False
    last = len(parts) - 1
    while True:  # here parts[i] == "node_modules"
        j = i + 1
        if j >= last:
            return False
        part = parts[j]
        if part == ".pnpm":  # node_modules/.pnpm/<name>@<version>[_peers]/node_modules/...
            if j + 2 >= last or parts[j + 2] != "node_modules":
                return False
            i = j + 2
            continue
        if not part or part[0] in "._":
            return False
        if part[0] == "@":
            j += 1
            if j >= last or not parts[j] or parts[j][0] in "._":
                return False
        if j + 1 == last:
            return True
        if parts[j + 1] != "node_modules":
            return False
        i = j + 1


def _installed_as(path: str) -> str:
    parts = path.split("/")
    if len(parts) >= 4 and parts[-3][:1] == "@":
        return f"{parts[-3]}/{parts[-2]}"
    return parts[-2]


def _license(doc: dict[str, Any]) -> tuple[str, ...]:
    value = doc.get("license")
    if isinstance(value, dict):  # deprecated {"type": "MIT", "url": ...}
        value = value.get("type")
    if isinstance(value, str) and value.strip():
        return (value.strip(),)
    legacy = doc.get("licenses")  # deprecated [{"type": ..., "url": ...}]
    if isinstance(legacy, list):
        types = tuple(v["type"] for v in legacy if isinstance(v, dict) and isinstance(v.get("type"), str))
        if types:
            return (" OR ".join(types),) if len(types) > 1 else types
    return ()


def parse_installed(path: str, data: bytes) -> Package:
    """The package whose ``package.json`` (installed in ``node_modules``) is ``data``."""
    doc = load_json(decode(data, path, MANIFEST), path, MANIFEST)
    if not isinstance(doc, dict):
        raise ParseError(MANIFEST, path, f"the top level is {json_type(doc)}, expected an object")
    name, version = doc.get("name"), doc.get("version")
    why = check_name_version(name, version)
    if why is not None:
        raise ParseError(MANIFEST, path, why)
    assert isinstance(name, str) and isinstance(version, str)
    meta: dict[str, Any] = {}
    installed = _installed_as(path)
    if installed != name:
        meta["alias"] = installed
    if doc.get("private") is True:
        meta["private"] = True
    return npm_package(name, version, path, None, meta, _license(doc))


class NpmCataloger(FileCataloger):
    NAME = NAME
    DESCRIPTION = "npm packages in node_modules and in npm, yarn (classic and berry) and pnpm lockfiles"
    FILE_NAMES = frozenset({MANIFEST, *_LOCKFILES})

    def accepts(self, path: str) -> bool:
        base = path.rsplit("/", 1)[-1]
        if base == MANIFEST:
            return is_installed_manifest(path)
        return base in _LOCKFILES and "/node_modules/" not in path

    def parse(self, ctx: CatalogContext, path: str) -> Iterable[Package]:
        base = path.rsplit("/", 1)[-1]
        if base == MANIFEST:
            return [parse_installed(path, ctx.fs.read_bytes(path, max_size=_MAX_MANIFEST))]
        reader = _LOCKFILES.get(base)
        if reader is None:
            return []
        return reader(ctx, path, ctx.fs.read_bytes(path))
