"""``yarn.lock``: the classic v1 format (yarn 1.x) and the berry format (yarn 2, 3, 4: YAML with a
``__metadata`` entry).

Both are read with one line scanner, which is much faster than a YAML parser and gives every entry its
line.  An entry starts at a line without indentation that ends in ``:`` and lists the descriptors it
satisfies; its fields follow with two spaces of indentation, deeper blocks (``dependencies``) are ignored::

    "@scope/a@^1.0.0", "@scope/a@^1.1.0":          # classic: several quoted or bare descriptors
      version "1.1.2"                              # classic: ``key "value"``
    "@scope/a@npm:^1.0.0, @scope/a@npm:^1.1.0":    # berry: one quoted, comma-separated list
      version: 1.1.2                               # berry: ``key: value``
      resolution: "@scope/a@npm:1.1.2"

Names: the first descriptor's name, or (berry) the name in ``resolution``, which is the real package
behind an alias (``"x@npm:real@1"`` resolves to ``"real@npm:1"``).  In classic files an alias
descriptor ``x@npm:real@1`` gives the real name.  Berry entries resolved by the ``workspace:`` protocol
(the project's own packages) and the unversioned ``0.0.0-use.local`` ones (``link:``, ``portal:``) are
skipped; ``patch:`` entries keep their version and are marked ``patched``; ``file:``/``link:``/``portal:``
packages are marked ``local``.

Formats: yarn's lockfile package (classic, https://classic.yarnpkg.com/en/docs/yarn-lock) and
@yarnpkg/parsers ``syml`` (berry).
"""

from __future__ import annotations

import json
from typing import Any

from stockade.catalog.interface import CatalogContext
from stockade.catalog.lang.npm_common import decode, npm_package, report, split_spec
from stockade.model.inventory import Package

WHAT = "yarn.lock"
_FIELDS = frozenset({"version", "resolution", "resolved"})
_LOCAL = ("file:", "link:", "portal:")


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        try:
            out = json.loads(value)
        except ValueError:
            return value[1:-1]
        return out if isinstance(out, str) else value[1:-1]
    return value


def first_descriptor(header: str) -> str:
    """The first descriptor of an entry header, without quotes: ``"a@^1", a@^2`` → ``a@^1``."""
    if header.startswith('"'):
        end = header.find('"', 1)
        spec = header[1:end] if end > 0 else header[1:]
    else:
        spec = header.split(",", 1)[0]
    return spec.split(", ", 1)[0].strip()


def parse_yarn_lock(ctx: CatalogContext, path: str, data: bytes) -> list[Package]:
    text = decode(data, path, WHAT)
    head = text[:4096]
    berry = head.startswith("__metadata:") or "\n__metadata:" in head
    out: list[Package] = []
    errors: list[str] = []
    header: str | None = None
    start = 0
    fields: dict[str, str] = {}
    for lineno, line in enumerate(text.split("\n"), 1):
        if not line or line[0] == "#":
            continue
        if line[0] != " ":
            if header is not None:
                _emit(path, header, start, fields, berry, out, errors)
            line = line.rstrip()
            if not line.endswith(":") or len(line) < 2:
                errors.append(f"line {lineno}: expected an entry header ending in ':', got {line[:60]!r}")
                header = None
                continue
            header, start, fields = line[:-1], lineno, {}
            continue
        if header is None or line[2:3] == " " or not line.startswith("  "):
            continue  # a field of a broken entry, or a nested block
        key, _, value = line[2:].rstrip().partition(" ")
        if key[-1:] == ":":
            key = key[:-1]
        if key in _FIELDS:
            fields[key] = _unquote(value.strip())
    if header is not None:
        _emit(path, header, start, fields, berry, out, errors)
    report(ctx, path, WHAT, errors, len(out))
    return out


def _emit(
    path: str,
    header: str,
    line: int,
    fields: dict[str, str],
    berry: bool,
    out: list[Package],
    errors: list[str],
) -> None:
    if header == "__metadata":
        return
    descriptor = first_descriptor(header)
    name, range_ = split_spec(descriptor)
    version = fields.get("version")
    if not name:
        errors.append(f"line {line}: {header[:60]!r} does not name a package")
        return
    if not version:
        errors.append(f"line {line}: entry {descriptor!r} has no version")
        return
    meta: dict[str, Any] = {}
    real = name
    if berry:
        resolution = fields.get("resolution", "")
        rname, locator = split_spec(resolution)
        protocol = locator.partition(":")[0] + ":" if ":" in locator else ""
        if protocol == "workspace:" or version == "0.0.0-use.local":
            return  # the project's own workspaces; unversioned link:/portal: directories
        if rname:
            real = rname
        if protocol in _LOCAL:
            meta["local"] = True
        elif protocol == "patch:":
            meta["patched"] = True
    else:
        if range_.startswith("npm:"):
            alias_of, alias_range = split_spec(range_[4:])
            if alias_of and alias_range:
                real = alias_of
        elif range_.startswith(_LOCAL):
            meta["local"] = True
    if real != name:
        meta["alias"] = name
    out.append(npm_package(real, version, path, line, meta))
