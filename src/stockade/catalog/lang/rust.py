"""Rust crates: ``Cargo.lock`` files and executables built with ``cargo auditable``.

``Cargo.lock`` (TOML, read with :mod:`tomllib`): every ``[[package]]`` table has ``name``, ``version``
and, unless it is a workspace member or path dependency, a ``source``:
``registry+<index url>`` or ``sparse+<index url>`` (crates.io is
``registry+https://github.com/rust-lang/crates.io-index`` / ``sparse+https://index.crates.io/``) or
``git+<url>?<ref>#<commit>``.  The lock file formats differ in what is read here only in where a
checksum lives: v1 (no ``version`` key) keeps them in ``[metadata]`` as
``"checksum <name> <version> (<source>)" = "<sha256>"``; v2 (no ``version`` key) and v3/v4 (``version
= 3``/``4``) put ``checksum`` in the package table.  Packages without a source (a workspace member, or
a path dependency: the lock file does not tell them apart) are reported with ``local: true``.  Line
numbers are those of the ``[[package]]`` headers, which TOML keeps in order.  ``[[patch.unused]]``
entries (patches that matched nothing) are not built and not reported.

cargo-auditable (rust-secure-code/cargo-auditable, ``cargo-auditable.schema.json``) links a section
``.dep-v0`` (ELF and PE; ``__DATA,.dep-v0`` in Mach-O) holding zlib-compressed JSON:
``{"format": N?, "packages": [{"name", "version", "source", "kind"?, "dependencies"?, "root"?}]}`` where
``source`` is ``crates.io``, ``git``, ``local``, ``registry`` or another string, ``kind`` is ``runtime``
(the default when absent) or ``build``, ``dependencies`` are indices into ``packages`` and ``root`` marks
the binary's own crate.  As rust-audit-info does, the decompressed JSON is limited to 8 MiB.  An
executable without that section produces nothing and no status.

Every crate is reported with purl type ``cargo`` and OSV ecosystem ``crates.io``; where it came from
is in the metadata (``source``, ``source_kind``), so that a consumer can tell crates.io crates from git,
private-registry and local ones.
"""

from __future__ import annotations

import json
import tomllib
import zlib
from collections.abc import Iterable
from typing import Any, BinaryIO, cast

from stockade._internal.binfmt import BinaryFormatError, image_of, read_exact
from stockade.catalog.common import make_package
from stockade.catalog.interface import CatalogContext, FileCataloger
from stockade.errors import ParseError
from stockade.model.inventory import Package

NAME = "lang/rust"
CRATES_IO = frozenset(
    {"registry+https://github.com/rust-lang/crates.io-index", "sparse+https://index.crates.io/"}
)
AUDIT_SECTION = ".dep-v0"
_MAX_LOCK = 64 * 1024 * 1024
_MAX_COMPRESSED = 8 * 1024 * 1024
_MAX_JSON = 8 * 1024 * 1024
_BAD = "failed to parse cargo-auditable dependency list:"
_NO_SIZE_LIMIT = 1 << 62  # executables: only headers and the audit section are read


def source_metadata(source: str | None) -> dict[str, Any]:
    """What a Cargo.lock ``source`` says: kind (crates.io, registry, git, local ...), URL, git commit."""
    if source is None:
        return {"source_kind": "local", "local": True}
    meta: dict[str, Any] = {"source": source}
    kind, _, url = source.partition("+")
    if source in CRATES_IO:
        meta["source_kind"] = "crates.io"
    elif kind in ("registry", "sparse"):
        meta.update(source_kind="registry", registry=url)
    elif kind == "git":
        url, _, commit = url.partition("#")
        meta.update(source_kind="git", git_url=url)
        if commit:
            meta["git_commit"] = commit
    else:
        meta["source_kind"] = kind
    return meta


def cargo_package(name: str, version: str, path: str, line: int | None, meta: dict[str, Any]) -> Package:
    return make_package(
        name=name, version=version, type_="cargo", found_by=NAME, path=path, line=line, metadata=meta
    )  # fmt: skip


class RustCataloger(FileCataloger):
    NAME = NAME
    DESCRIPTION = "Rust crates from Cargo.lock and from cargo-auditable executables (.dep-v0)"
    FILE_NAMES = frozenset({"Cargo.lock"})
    EXECUTABLES = True

    def parse(self, ctx: CatalogContext, path: str) -> Iterable[Package]:
        if path.rsplit("/", 1)[-1] == "Cargo.lock":
            text = ctx.fs.read_text(path, max_size=_MAX_LOCK)
            return parse_cargo_lock(ctx, path, text)
        with ctx.fs.open(path, max_size=_NO_SIZE_LIMIT) as fh:
            raw = cast(BinaryIO, getattr(fh, "raw", fh))  # unbuffered: read only the bytes asked for
            try:
                data = read_audit_section(raw)
            except BinaryFormatError as exc:
                raise ParseError("executable", path, exc.message) from exc
        if data is None:
            return []
        return parse_audit_data(ctx, path, data)


# -- Cargo.lock ------------------------------------------------------------------------------------
def parse_cargo_lock(ctx: CatalogContext, path: str, text: str) -> list[Package]:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ParseError("Cargo.lock", path, f"not valid TOML: {exc}") from exc
    packages = doc.get("package", [])
    if not isinstance(packages, list):
        raise ParseError("Cargo.lock", path, "'package' is not an array of [[package]] tables")
    checksums = doc.get("metadata", {})
    checksums = checksums if isinstance(checksums, dict) else {}
    version = doc.get("version")
    if isinstance(version, int):
        lock_version = version
    else:
        lock_version = 1 if any(str(k).startswith("checksum ") for k in checksums) else 2
    headers = [n for n, line in enumerate(text.splitlines(), 1) if line.replace(" ", "") == "[[package]]"]
    lines: list[int | None] = list(headers) if len(headers) == len(packages) else [None] * len(packages)
    out: list[Package] = []
    for index, (entry, line) in enumerate(zip(packages, lines, strict=True)):
        where = f"line {line}" if line else f"package {index + 1}"
        if not isinstance(entry, dict):
            ctx.problem(path, f"failed to parse Cargo.lock: {where}: expected a [[package]] table")
            continue
        name, pkg_version, source = entry.get("name"), entry.get("version"), entry.get("source")
        if not isinstance(name, str) or not name or not isinstance(pkg_version, str) or not pkg_version:
            ctx.problem(path, f"failed to parse Cargo.lock: {where}: [[package]] without a name and version")
            continue
        if source is not None and not isinstance(source, str):
            ctx.problem(path, f"failed to parse Cargo.lock: {where}: 'source' is not a string")
            source = None
        meta = source_metadata(source)
        meta["lock_version"] = lock_version
        checksum = entry.get("checksum") or checksums.get(f"checksum {name} {pkg_version} ({source})")
        if isinstance(checksum, str) and checksum and checksum != "<none>":  # v1 writes <none> for git
            meta["checksum"] = checksum
        out.append(cargo_package(name, pkg_version, path, line, meta))
    return out


# -- cargo-auditable ---------------------------------------------------------------------------------
def read_audit_section(fh: BinaryIO) -> bytes | None:
    """The compressed ``.dep-v0`` section, or None if the file is not an executable or has none."""
    image = image_of(fh)
    if image is None:
        return None
    sec = image.sections.get(AUDIT_SECTION)
    if sec is None:
        return None
    if sec.size > _MAX_COMPRESSED:
        raise BinaryFormatError(f"section {AUDIT_SECTION} is {sec.size} bytes, over {_MAX_COMPRESSED}")
    return read_exact(fh, sec.offset, sec.size, f"section {AUDIT_SECTION}")


def decode_audit_data(data: bytes) -> dict[str, Any]:
    """The JSON of a ``.dep-v0`` section; ValueError naming what is wrong."""
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(data, _MAX_JSON + 1)
    except zlib.error as exc:
        raise ValueError(f"section {AUDIT_SECTION} is not zlib data: {exc}") from exc
    if len(raw) > _MAX_JSON:
        raise ValueError(f"decompressed dependency list is over the {_MAX_JSON}-byte limit")
    if not inflater.eof:
        raise ValueError(f"section {AUDIT_SECTION} holds a truncated zlib stream")
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"dependency list is not JSON: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("packages"), list):
        raise ValueError('dependency list has no "packages" array')
    return doc


def parse_audit_data(ctx: CatalogContext, path: str, data: bytes) -> list[Package]:
    try:
        doc = decode_audit_data(data)
    except ValueError as exc:
        raise ParseError("cargo-auditable dependency list", path, str(exc)) from exc
    entries: list[Any] = doc["packages"]
    fmt = doc.get("format")
    out: list[Package] = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            ctx.problem(path, f"{_BAD} package {index}: not a table")
            continue
        name, version, source = entry.get("name"), entry.get("version"), entry.get("source")
        if not all(isinstance(v, str) and v for v in (name, version, source)):
            ctx.problem(
                path, f"{_BAD} package {index}: "
                "expected string 'name', 'version' and 'source'",
            )  # fmt: skip
            continue
        deps = entry.get("dependencies", [])
        if not isinstance(deps, list) or not all(
            isinstance(d, int) and not isinstance(d, bool) and 0 <= d < len(entries) for d in deps
        ):
            ctx.problem(
                path, f"{_BAD} package {index} ({name}): "
                f"'dependencies' must be indices below {len(entries)}",
            )  # fmt: skip
            deps = []
        kind = entry.get("kind", "runtime")
        meta: dict[str, Any] = {"source": source, "source_kind": source, "kind": kind}
        if source == "local":
            meta["local"] = True
        if entry.get("root") is True:
            meta["root"] = True
        if deps:
            meta["dependencies"] = [_label(entries[d]) for d in deps]
        if fmt is not None:
            meta["audit_format"] = fmt
        out.append(cargo_package(cast(str, name), cast(str, version), path, None, meta))
    return out


def _label(entry: Any) -> str:
    if isinstance(entry, dict):
        return f"{entry.get('name')} {entry.get('version')}"
    return "?"
