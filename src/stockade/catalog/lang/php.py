"""PHP packages: Composer's ``composer.lock`` and the installed ``vendor/composer/installed.json``.

``composer.lock`` (getcomposer.org/doc/01-basic-usage.md): an object whose ``packages`` and
``packages-dev`` lists hold one object per locked package (``name``, ``version``, ``source``/``dist``
with a ``reference``, ``license``, ``type``).  ``installed.json``: Composer 1 wrote the list of installed
packages itself; Composer 2 writes ``{"packages": [...], "dev": bool, "dev-package-names": [...]}`` and
adds ``install-path`` (relative to ``vendor/composer``).

Names are ``vendor/name``; the purl is ``pkg:composer/vendor/name@version``.  Versions: Composer keeps a
tag's spelling (``v7.4.4``), but its own version parser, Packagist's advisories and OSV's ``Packagist``
ranges (converted from GitHub advisories) write ``7.4.4``, and OSV's Packagist comparison drops a leading
``v`` too.  So a ``v``/``V`` followed by a digit is dropped from the version and the purl, and the version
as written is kept in ``metadata["version_raw"]``.  Branch versions (``dev-main``, ``2.x-dev``) are kept
as they are, with the commit in ``metadata["reference"]``.

Each package's line is the line of its ``"name"`` member.  A truncated file keeps the packages that were
complete before the cut (the lists are read element by element with ``json.JSONDecoder.raw_decode``).
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterable
from typing import Any

from stockade.catalog.common import make_package
from stockade.catalog.interface import CatalogContext, FileCataloger
from stockade.errors import ParseError
from stockade.model.inventory import Package

NAME = "lang/php"
LOCK = "composer.lock"
INSTALLED = "installed.json"
_NAME_LINE = re.compile(r'"name"\s*:\s*"([^"\\]+)"')
_LIST_START = re.compile(r'"(packages|packages-dev)"\s*:\s*\[')
_V_PREFIX = re.compile(r"^[vV](?=[0-9])")
_SKIP = frozenset(" \t\r\n,")
_MAX_REPORTED = 5


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _describe(value: object) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )


def salvage(text: str, top_level_list: bool) -> dict[str, list[Any]]:
    """The complete package objects before the point where a truncated or corrupt file breaks."""
    decoder = json.JSONDecoder()
    starts: list[tuple[str, int]] = []
    if top_level_list:
        first = text.find("[")
        if first >= 0:
            starts.append(("packages", first + 1))
    else:
        starts = [(m.group(1), m.end()) for m in _LIST_START.finditer(text)]
    out: dict[str, list[Any]] = {}
    for key, pos in starts:
        items = out.setdefault(key, [])
        while True:
            while pos < len(text) and text[pos] in _SKIP:
                pos += 1
            if pos >= len(text) or text[pos] == "]":
                break
            try:
                item, pos = decoder.raw_decode(text, pos)
            except ValueError:
                break
            items.append(item)
    return out


class PhpCataloger(FileCataloger):
    NAME = NAME
    DESCRIPTION = "PHP packages from composer.lock and Composer's installed.json"
    FILE_NAMES = frozenset({LOCK, INSTALLED})

    def accepts(self, path: str) -> bool:
        return path.endswith("/" + LOCK) or path.endswith("/vendor/composer/" + INSTALLED)

    def parse(self, ctx: CatalogContext, path: str) -> Iterable[Package]:
        installed = path.endswith(INSTALLED)
        what = "Composer installed.json" if installed else LOCK
        data = ctx.fs.read_bytes(path)
        if b"\x00" in data[:8192]:
            raise ParseError(what, path, "binary data, not JSON")
        text = data.decode("utf-8", errors="replace")
        try:
            doc: Any = json.loads(text)
        except json.JSONDecodeError as exc:
            salvaged = salvage(text, installed and text.lstrip().startswith("["))
            kept = sum(len(v) for v in salvaged.values())
            if not kept:
                raise ParseError(what, path, exc.msg, line=exc.lineno, column=exc.colno) from exc
            ctx.problem(path, f"failed to parse {what}: line {exc.lineno}, column {exc.colno}: {exc.msg}; "
                              f"kept the {kept} packages before it")  # fmt: skip
            doc = salvaged
        lists, dev_names = self._lists(ctx, path, what, doc, installed)
        lines: dict[str, int] = {}
        for m in _NAME_LINE.finditer(text):
            lines.setdefault(m.group(1), _line_of(text, m.start()))
        out: list[Package] = []
        bad: list[str] = []
        for key, items in lists:
            for index, item in enumerate(items):
                pkg = self._package(path, key, index, item, dev_names, lines, installed, bad)
                if pkg is not None:
                    out.append(pkg)
        for reason in bad[:_MAX_REPORTED]:
            ctx.problem(path, f"failed to parse {what}: {reason}")
        if len(bad) > _MAX_REPORTED:
            ctx.problem(path, f"failed to parse {what}: {len(bad) - _MAX_REPORTED} more malformed packages")
        return out

    @staticmethod
    def _lists(
        ctx: CatalogContext, path: str, what: str, doc: Any, installed: bool
    ) -> tuple[list[tuple[str, list[Any]]], set[str] | None]:
        """The package lists of either format, and the names of dev packages (None: not known)."""
        if installed and isinstance(doc, list):
            return [("packages", doc)], None  # Composer 1
        if not isinstance(doc, dict):
            expected = "a JSON object or list" if installed else "a JSON object"
            raise ParseError(what, path, f"expected {expected} at the top, got {_describe(doc)}")
        if "packages" not in doc:
            raise ParseError(what, path, "no 'packages' list (not a Composer file?)")
        keys = ("packages",) if installed else ("packages", "packages-dev")
        lists: list[tuple[str, list[Any]]] = []
        for key in keys:
            value = doc.get(key)
            if value is None:
                continue
            if not isinstance(value, list):
                ctx.problem(path, f"failed to parse {what}: {key!r} should be a list, got {_describe(value)}")
                continue
            lists.append((key, value))
        dev_names: set[str] | None = set() if not installed else None
        raw_dev = doc.get("dev-package-names")
        if installed and isinstance(raw_dev, list):
            dev_names = {n for n in raw_dev if isinstance(n, str)}
        return lists, dev_names

    @staticmethod
    def _package(
        path: str, key: str, index: int, item: Any, dev_names: set[str] | None, lines: dict[str, int],
        installed: bool, bad: list[str],
    ) -> Package | None:  # fmt: skip
        where = f"{key}[{index}]"
        if not isinstance(item, dict):
            bad.append(f"{where}: expected an object, got {_describe(item)}")
            return None
        name, raw_version = item.get("name"), item.get("version")
        if not isinstance(name, str) or not isinstance(raw_version, str) or not name or not raw_version:
            what = "'name'" if not isinstance(name, str) or not name else "'version'"
            bad.append(f"{where}: {what} missing or not a string")
            return None
        line = lines.get(name)
        vendor, sep, short = name.partition("/")
        if not sep or not vendor or not short or "/" in short:
            bad.append(f"{f'line {line}' if line else where}: name {name[:60]!r} is not 'vendor/name'")
            return None
        version = _V_PREFIX.sub("", raw_version)
        metadata: dict[str, Any] = {}
        if version != raw_version:
            metadata["version_raw"] = raw_version
        if dev_names is not None:
            metadata["dev"] = key == "packages-dev" or name in dev_names
        for src in ("source", "dist"):
            ref = item.get(src)
            if isinstance(ref, dict) and isinstance(ref.get("reference"), str) and ref["reference"]:
                metadata["reference"] = ref["reference"]
                break
        if isinstance(item.get("type"), str):
            metadata["package_type"] = item["type"]
        if installed and isinstance(item.get("install-path"), str):
            vendor_composer = path.rsplit("/", 1)[0]  # install-path is relative to vendor/composer
            metadata["install_path"] = posixpath.normpath(f"{vendor_composer}/{item['install-path']}")
        lic = item.get("license")
        licenses: tuple[str, ...] = ()
        if isinstance(lic, str) and lic:
            licenses = (lic,)
        elif isinstance(lic, list):
            licenses = tuple(x for x in lic if isinstance(x, str) and x)
        return make_package(
            name=name, version=version, type_="composer", found_by=NAME, path=path, line=line,
            namespace=vendor, purl_name=short, licenses=licenses,
            metadata=metadata,
        )  # fmt: skip
