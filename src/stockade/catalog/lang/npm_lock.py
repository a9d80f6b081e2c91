"""npm lockfiles: ``package-lock.json`` and ``npm-shrinkwrap.json`` (same format), lockfileVersion 1, 2, 3.

Format: https://docs.npmjs.com/cli/v10/configuring-npm/package-lock-json

* v2 and v3 have ``"packages"``, keyed by install path (``"node_modules/a/node_modules/@s/b"``); the
  package name is the part after the last ``node_modules/`` unless the entry has ``"name"`` (an alias
  ``"x": "npm:real@1"`` is installed at ``node_modules/x`` with ``"name": "real"``).  The root entry
  ``""`` is the project itself and is skipped; so are keys without ``node_modules/`` (workspace and
  ``file:`` directories), which are counted through their link instead: ``{"link": true, "resolved":
  "packages/x"}`` takes its version from the ``"packages/x"`` entry (no version there: not reported).
  When v2 has both ``"packages"`` and the legacy ``"dependencies"``, only ``"packages"`` is read.
* v1 has nested ``"dependencies"`` keyed by name; ``"version"`` may be an alias ``"npm:real@1.2.3"``.
  ``"version": "file:..."`` (a local directory) carries no version and is not reported.

``dev``, ``optional``, ``devOptional``, ``peer``, ``inBundle``/``bundled``, ``extraneous`` flags are kept in
metadata.
The line of each v2/v3 entry is found with one module-level regular expression over the text (npm writes
the file with two-space indentation; a minified file simply has no lines).
"""

from __future__ import annotations

import re
from typing import Any

from stockade.catalog.common import json_type
from stockade.catalog.interface import CatalogContext
from stockade.catalog.lang.npm_common import (
    check_name_version,
    decode,
    load_json,
    npm_package,
    report,
    split_spec,
)
from stockade.errors import ParseError
from stockade.model.inventory import Package

WHAT = "npm lockfile"
_NM = "node_modules/"
_V2_FLAGS = ("dev", "optional", "devOptional", "peer", "inBundle", "extraneous")
_V1_FLAGS = ("dev", "optional", "bundled")
#: a key of the ``packages`` object as npm writes it: four spaces of indentation, then ``"key": {``
_ENTRY_KEY = re.compile(r'^    "([^"\\\n]+)": \{', re.MULTILINE)


def parse_npm_lock(ctx: CatalogContext, path: str, data: bytes) -> list[Package]:
    text = decode(data, path, WHAT)
    doc = load_json(text, path, WHAT)
    if not isinstance(doc, dict):
        raise ParseError(WHAT, path, f"the top level is {json_type(doc)}, expected an object")
    errors: list[str] = []
    packages = doc.get("packages")
    if packages is not None:
        if not isinstance(packages, dict):
            raise ParseError(WHAT, path, f"'packages' is {json_type(packages)}, expected an object")
        out = _from_packages(path, text, packages, errors)
    else:
        deps = doc.get("dependencies")
        if deps is None:
            return []  # a project without dependencies
        if not isinstance(deps, dict):
            raise ParseError(WHAT, path, f"'dependencies' is {json_type(deps)}, expected an object")
        out = _from_dependencies(path, deps, errors)
    report(ctx, path, WHAT, errors, len(out))
    return out


def _key_lines(text: str) -> dict[str, int]:
    lines: dict[str, int] = {}
    lineno, last = 1, 0
    for m in _ENTRY_KEY.finditer(text):
        start = m.start()
        lineno += text.count("\n", last, start)
        last = start
        lines.setdefault(m.group(1), lineno)
    return lines


def _from_packages(path: str, text: str, packages: dict[str, Any], errors: list[str]) -> list[Package]:
    lines = _key_lines(text)
    out: list[Package] = []
    for key, entry in packages.items():
        cut = key.rfind(_NM)
        if cut < 0:
            continue  # "" (the project) or a workspace / file: directory, reported through its link
        if not isinstance(entry, dict):
            errors.append(f"entry {key!r} is {json_type(entry)}, expected an object")
            continue
        installed = key[cut + len(_NM) :]
        meta: dict[str, Any] = {}
        source = entry
        if entry.get("link") is True:
            resolved = entry.get("resolved")
            target = packages.get(resolved) if isinstance(resolved, str) else None
            if not isinstance(target, dict):
                errors.append(f"link {key!r} points to {resolved!r}, which has no entry")
                continue
            if "version" not in target:
                continue  # a local directory without a version: nothing to match
            source = target
            meta["link"] = True
            meta["resolved"] = resolved
        name = source.get("name", installed)
        version = source.get("version")
        why = check_name_version(name, version)
        if why is not None:
            errors.append(f"entry {key!r}: {why}")
            continue
        assert isinstance(name, str) and isinstance(version, str)
        if name != installed:
            meta["alias"] = installed
        for flag in _V2_FLAGS:
            if entry.get(flag) is True:
                meta[flag] = True
        out.append(npm_package(name, version, path, lines.get(key), meta))
    return out


def _from_dependencies(path: str, deps: dict[str, Any], errors: list[str]) -> list[Package]:
    out: list[Package] = []
    stack: list[tuple[str, dict[str, Any]]] = [("", deps)]
    while stack:
        parent, level = stack.pop()
        for name, entry in level.items():
            where = f"{parent} > {name}" if parent else name
            if not isinstance(entry, dict):
                errors.append(f"dependency {where!r} is {json_type(entry)}, expected an object")
                continue
            nested = entry.get("dependencies")
            if isinstance(nested, dict):
                stack.append((where, nested))
            elif nested is not None:
                what = json_type(nested)
                errors.append(f"dependency {where!r}: 'dependencies' is {what}, expected an object")
            version = entry.get("version")
            why = check_name_version(name, version)
            if why is not None:
                errors.append(f"dependency {where!r}: {why}")
                continue
            assert isinstance(version, str)
            meta: dict[str, Any] = {}
            real = name
            if version.startswith("npm:"):
                real, version = split_spec(version[4:])
                if not real or not version:
                    alias = entry["version"]
                    errors.append(f"dependency {where!r}: alias {alias!r} is not 'npm:name@version'")
                    continue
                meta["alias"] = name
            elif version.startswith(("file:", "link:")):
                continue  # a local directory: v1 does not record its version
            for flag in _V1_FLAGS:
                if entry.get(flag) is True:
                    meta[flag] = True
            out.append(npm_package(real, version, path, None, meta))
    return out
