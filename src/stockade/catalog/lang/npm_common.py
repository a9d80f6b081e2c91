"""Pieces every npm-family reader shares: package construction, ``name@range`` splitting, decoding and
JSON loading that turn malformed input into a :class:`~stockade.errors.ParseError` with line and column,
and the per-entry problem list of a partly broken lockfile.

npm package names (``@scope/name`` or ``name``) go into the purl as namespace ``@scope`` (percent-encoded
to ``%40scope`` by packageurl-python, as purl-spec's npm type requires) and name ``name``; the
:class:`~stockade.model.inventory.Package` keeps the full name, which is what OSV's npm ecosystem uses.
"""

from __future__ import annotations

import json
from typing import Any

from stockade.catalog.common import json_type, make_package
from stockade.catalog.interface import CatalogContext
from stockade.errors import ParseError
from stockade.model.inventory import Package

NAME = "lang/npm"
#: at most this many per-entry problems are spelled out in one status; the rest are counted
MAX_REPORTED = 5


def npm_package(
    name: str,
    version: str,
    path: str,
    line: int | None = None,
    metadata: dict[str, Any] | None = None,
    licenses: tuple[str, ...] = (),
) -> Package:
    scope: str | None = None
    short = name
    if name[0] == "@":
        slash = name.find("/")
        if slash > 1:
            scope, short = name[:slash], name[slash + 1 :]
    return make_package(
        name=name, version=version, type_="npm", found_by=NAME, path=path, line=line, namespace=scope,
        purl_name=short, metadata=metadata, licenses=licenses,
    )  # fmt: skip


def split_spec(spec: str) -> tuple[str, str]:
    """``"@scope/a@^1.0.0"`` → ``("@scope/a", "^1.0.0")``; ``"a"`` → ``("a", "")``.  The ``@`` that
    starts a scope (position 0) is not a separator."""
    at = spec.find("@", 1)
    if at < 0:
        return spec, ""
    return spec[:at], spec[at + 1 :]


def check_name_version(name: object, version: object) -> str | None:
    """Why ``name``/``version`` cannot make a package, or ``None`` when both are non-empty strings."""
    for field, value in (("name", name), ("version", version)):
        if value is None:
            return f"'{field}' is missing"
        if not isinstance(value, str):
            return f"'{field}' is {json_type(value)}, expected a string"
        if not value.strip():
            return f"'{field}' is empty"
    return None


def decode(data: bytes, path: str, what: str) -> str:
    """UTF-8 text of ``data`` (a leading byte-order mark is dropped); binary data is a ParseError."""
    if b"\x00" in data[:8192]:
        raise ParseError(what, path, "binary data (NUL bytes), not a text file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ParseError(what, path, f"not UTF-8 text (byte {exc.start})", line=line) from exc
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    return text


def load_json(text: str, path: str, what: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(what, path, exc.msg, line=exc.lineno, column=exc.colno) from exc
    except RecursionError as exc:
        raise ParseError(what, path, "nested too deeply") from exc


def report(ctx: CatalogContext, path: str, what: str, errors: list[str], found: int) -> None:
    """Turn the per-entry problems of one file into a status.  With nothing read at all, the whole file
    failed: raise, so that it becomes an error status."""
    if not errors:
        return
    shown = "; ".join(errors[:MAX_REPORTED])
    if len(errors) > MAX_REPORTED:
        shown += f"; and {len(errors) - MAX_REPORTED} more"
    if found == 0:
        raise ParseError(what, path, shown)
    ctx.problem(path, f"failed to parse {what}: {shown} ({found} packages read)")
