"""Go modules compiled into Go executables, from the build information the Go linker embeds.

Format (Go's ``debug/buildinfo`` and ``runtime/debug.ParseBuildInfo``):

* The blob starts, 16-byte aligned, with ``"\\xff Go buildinf:"``; byte 14 is the pointer size and byte
  15 a flag byte.  It is the ``.go.buildinfo`` section of an ELF, ``__DATA,__go_buildinfo`` of a Mach-O,
  and lies near the start of the first writable data section (``.data``) of a PE.
* Go >= 1.18 sets flag bit 0x2: the 32-byte header is followed by two strings, each an unsigned varint
  length and the bytes: the Go version (``go1.21.5``) and the module information.
* Go 1.13-1.17 leave bit 0x2 clear: bit 0x1 is the byte order, and two pointers at offsets 16 and
  16 + pointer size are the virtual addresses of Go string headers ``(data pointer, length)``.
* The module information is framed by two 16-byte sentinels (recognised, as Go does, by a newline 17
  bytes from the end); inside, tab-separated lines: ``path <main package>``, ``mod <path> <version>
  [<sum>]``, ``dep <path> <version> [<sum>]``, ``=> <path> <version> <sum>`` (replaces the module on the
  line before), and, since Go 1.18, ``build <key>=<value>``.

Reported: the main module (version ``(devel)`` unless the build stamped one), every dependency, and the
toolchain as ``stdlib`` with the Go version as OSV's Go ecosystem spells it (``go1.21.5`` -> ``v1.21.5``,
``go1.21rc2`` -> ``v1.21.0-rc.2``, as govulncheck converts tags; a ``devel`` toolchain gets no ``stdlib``
package).  A replaced dependency is reported as what was compiled in: the replacement's module path
and version; a replacement by a local directory keeps the required module path with the directory's
version (``(devel)``).  Both sides of a replacement are kept in the metadata.

Most executables are not Go: they cost the ELF header, section table and section names (three small
reads) and produce nothing, no status.  A file that carries Go build information that cannot be decoded
becomes a status entry.
"""

from __future__ import annotations

import json
import re
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, BinaryIO, cast

from stockade._internal.binfmt import (
    BinaryFormatError,
    Image,
    image_of,
    read_at,
    read_exact,
)
from stockade.catalog.common import make_package
from stockade.catalog.interface import CatalogContext, FileCataloger
from stockade.errors import ParseError
from stockade.model.inventory import Package

NAME = "lang/go-binary"
MAGIC = b"\xff Go buildinf:"
_HEADER = 32
_ALIGN = 16
_PE_SCAN = 64 * 1024  # Go's own reader looks this far into the PE data section
_MAX_BLOB = 16 * 1024 * 1024
_NO_SIZE_LIMIT = 1 << 62  # only headers and the build info are read, whatever the file's size
_GO_TAG = re.compile(r"^go(\d+\.\d+)(\.\d+)?(?:(beta|rc)(\d+))?$")


class BuildInfoError(ValueError):
    """The file is a Go executable but its build information cannot be decoded."""


@dataclass(slots=True)
class Module:
    path: str
    version: str
    sum: str
    line: int
    replace: Module | None = None


@dataclass(slots=True)
class ModInfo:
    main_package: str | None = None
    main: Module | None = None
    deps: list[Module] = field(default_factory=list)
    settings: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


# -- locating and decoding the blob ----------------------------------------------------------------
def read_buildinfo(fh: BinaryIO) -> tuple[str, str] | None:
    """``(Go version, module information)`` of the executable in ``fh``, or None if it is not a Go
    executable.  Raises :class:`BinaryFormatError` for broken executable headers and
    :class:`BuildInfoError` for a Go build information blob that cannot be decoded."""
    image = image_of(fh)
    if image is None:
        return None
    located = _locate(fh, image)
    if located is None:
        return None
    blob, blob_offset = located
    flags = blob[15]
    if flags & 0x2:
        vers, pos = _varint_string(blob, _HEADER, "Go version")
        mod, _ = _varint_string(blob, pos, "module information")
    else:
        ptr_size = blob[14]
        if ptr_size not in (4, 8):
            raise BuildInfoError(f"pointer size {ptr_size} at offset {blob_offset + 14} is neither 4 nor 8")
        fmt = ("<>"[flags & 0x1]) + ("I" if ptr_size == 4 else "Q")
        vers_addr = struct.unpack_from(fmt, blob, 16)[0]
        mod_addr = struct.unpack_from(fmt, blob, 16 + ptr_size)[0]
        vers = _pointer_string(fh, image, vers_addr, fmt, ptr_size, "Go version")
        mod = _pointer_string(fh, image, mod_addr, fmt, ptr_size, "module information")
    if not vers:
        raise BuildInfoError("the Go version string is empty")
    # strip the 16-byte sentinels (cmd/go/internal/modload infoStart/infoEnd); without them the program
    # was built outside module mode and there is no module information
    mod = mod[16:-16] if len(mod) >= 33 and mod[-17] == "\n" else ""
    return vers, mod


def _locate(fh: BinaryIO, image: Image) -> tuple[bytes, int] | None:
    """The blob (header and what follows it in its section) and its file offset."""
    if image.format == "pe":
        sec = image.sections.get(".data")
        if sec is None:
            return None
        window = read_exact(fh, sec.offset, min(sec.size, _PE_SCAN), "PE .data section")
        at = _find_magic(window)
        if at is None:
            return None  # a PE that is not a Go program
        length = min(sec.size - at, _MAX_BLOB)
        return read_exact(fh, sec.offset + at, length, "Go build info"), sec.offset + at
    name = ".go.buildinfo" if image.format == "elf" else "__DATA,__go_buildinfo"
    sec = image.sections.get(name)
    if sec is None:
        return None
    if sec.size > _MAX_BLOB:
        raise BuildInfoError(f"section {name} is {sec.size} bytes, over the {_MAX_BLOB}-byte limit")
    data = read_exact(fh, sec.offset, sec.size, f"section {name}")
    at = _find_magic(data)
    if at is None:
        raise BuildInfoError(f"section {name} ({sec.size} bytes) does not hold the Go build info magic")
    return data[at:], sec.offset + at


def _find_magic(data: bytes) -> int | None:
    start = 0
    while True:
        i = data.find(MAGIC, start)
        if i < 0 or len(data) - i < _HEADER:
            return None
        if i % _ALIGN == 0:
            return i
        start = (i + _ALIGN - 1) & ~(_ALIGN - 1)


def _varint_string(data: bytes, pos: int, what: str) -> tuple[str, int]:
    length = shift = 0
    for i in range(10):
        if pos + i >= len(data):
            raise BuildInfoError(f"{what}: length runs past the end of the build info ({len(data)} bytes)")
        byte = data[pos + i]
        length |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            start = pos + i + 1
            break
    else:
        raise BuildInfoError(f"{what}: length at offset {pos} is not a valid varint")
    if start + length > len(data):
        raise BuildInfoError(
            f"{what}: {length} bytes at offset {start} run past the end of the build info ({len(data)} bytes)"
        )
    return data[start : start + length].decode("utf-8", errors="replace"), start + length


def _pointer_string(fh: BinaryIO, image: Image, addr: int, fmt: str, ptr_size: int, what: str) -> str:
    try:
        hdr = read_at(fh, image, addr, 2 * ptr_size, f"{what} string header")
        data_addr = struct.unpack_from(fmt, hdr, 0)[0]
        length = struct.unpack_from(fmt, hdr, ptr_size)[0]
        if length > _MAX_BLOB:
            raise BuildInfoError(f"{what}: length {length} is implausibly large")
        return read_at(fh, image, data_addr, length, what).decode("utf-8", errors="replace")
    except BinaryFormatError as exc:
        raise BuildInfoError(exc.message) from exc


# -- the module information -------------------------------------------------------------------------
def parse_modinfo(text: str) -> ModInfo:
    """Parse the module information lines; malformed lines are skipped and described in ``errors``."""
    info = ModInfo()
    deps, settings, errors = info.deps, info.settings, info.errors
    last: Module | None = None
    for lineno, line in enumerate(text.split("\n"), 1):
        if not line:
            continue
        kind, sep, rest = line.partition("\t")
        if not sep:
            errors.append(f"line {lineno}: expected a tab-separated line, got {line[:60]!r}")
            continue
        if kind == "path":
            info.main_package = rest
        elif kind in ("mod", "dep"):
            cols = rest.split("\t")
            if len(cols) not in (2, 3) or not cols[0]:
                errors.append(f"line {lineno}: expected '{kind} <path> <version> [<sum>]', got {line[:80]!r}")
                last = None
                continue
            last = Module(cols[0], cols[1], cols[2] if len(cols) == 3 else "", lineno)
            if kind == "mod":
                info.main = last
            else:
                deps.append(last)
        elif kind == "=>":
            cols = rest.split("\t")
            if len(cols) != 3 or not cols[0]:
                errors.append(f"line {lineno}: expected '=> <path> <version> <sum>', got {line[:80]!r}")
            elif last is None:
                errors.append(f"line {lineno}: replacement with no module on the line before")
            else:
                last.replace = Module(cols[0], cols[1], cols[2], lineno)
            last = None
        elif kind == "build":
            key, eq, value = rest.partition("=")
            if not eq or not key:
                errors.append(f"line {lineno}: expected 'build <key>=<value>', got {line[:80]!r}")
                continue
            settings[_unquote(key)] = _unquote(value)
        # other line kinds ("go", future ones) carry nothing reported here
    return info


def _unquote(text: str) -> str:
    """Go quotes build setting keys and values that hold spaces, quotes or '=' (strconv.Quote)."""
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        try:
            value = json.loads(text)
        except ValueError:
            return text
        return value if isinstance(value, str) else text
    return text


def go_semver(version: str) -> str | None:
    """A Go toolchain version as a semantic version (govulncheck's GoTagToSemver): ``go1.21.5`` ->
    ``v1.21.5``, ``go1.21`` -> ``v1.21.0``, ``go1.21rc2`` -> ``v1.21.0-rc.2``; None for a devel build."""
    fields = version.split()
    tag = fields[0] if fields else ""
    if tag == "go1":
        return "v1.0.0"
    m = _GO_TAG.match(tag)
    if m is None:
        return None
    out = "v" + m.group(1) + (m.group(2) or ".0")
    if m.group(3):
        out += f"-{m.group(3)}.{m.group(4)}"
    return out


def is_directory_path(path: str) -> bool:
    """A replacement by a directory rather than a module (golang.org/x/mod/modfile IsDirectoryPath)."""
    return (
        path in (".", "..")
        or path.startswith(("./", "../", "/", ".\\", "..\\"))
        or (len(path) >= 2 and path[1] == ":" and path[0].isalpha())
    )


def golang_package(
    path: str, version: str, *, file: str, line: int | None = None, metadata: dict[str, Any] | None = None,
    found_by: str = NAME,
) -> Package:  # fmt: skip
    """A Go module as a package: purl ``pkg:golang/<path without its last element>/<last element>@v``."""
    namespace, _, last = path.rpartition("/")
    return make_package(
        name=path, version=version, type_="golang", found_by=found_by, path=file, line=line,
        namespace=namespace or None, purl_name=last, metadata=metadata,
    )  # fmt: skip


def packages_of(path: str, go_version: str, info: ModInfo) -> list[Package]:
    out: list[Package] = []
    if info.main is not None:
        meta: dict[str, Any] = {"main_module": True, "go_version": go_version}
        if info.main_package:
            meta["main_package"] = info.main_package
        if info.settings:
            meta["build_settings"] = dict(info.settings)
        if info.main.sum:
            meta["sum"] = info.main.sum
        out.append(golang_package(info.main.path, info.main.version or "(devel)", file=path, metadata=meta))
    for dep in info.deps:
        name, version = dep.path, dep.version
        meta = {"sum": dep.sum} if dep.sum else {}
        rep = dep.replace
        if rep is not None:
            local = is_directory_path(rep.path)
            meta.update(
                required_path=dep.path, required_version=dep.version, replace_path=rep.path,
                replace_version=rep.version, replace_local=local,
            )  # fmt: skip
            if rep.sum:
                meta["sum"] = rep.sum
            name = dep.path if local else rep.path
            version = rep.version or "(devel)"
        out.append(golang_package(name, version, file=path, metadata=meta))
    stdlib = go_semver(go_version)
    if stdlib is not None:
        meta = {"go_version": go_version}
        if info.main is None and info.main_package:  # built outside module mode: say what was built
            meta["main_package"] = info.main_package
        out.append(golang_package("stdlib", stdlib, file=path, metadata=meta))
    return out


class GoBinaryCataloger(FileCataloger):
    NAME = NAME
    DESCRIPTION = "Go modules and the Go toolchain compiled into Go executables (embedded build info)"
    EXECUTABLES = True

    def parse(self, ctx: CatalogContext, path: str) -> Iterable[Package]:
        with ctx.fs.open(path, max_size=_NO_SIZE_LIMIT) as fh:
            raw = cast(BinaryIO, getattr(fh, "raw", fh))  # unbuffered: read only the bytes asked for
            try:
                found = read_buildinfo(raw)
            except BinaryFormatError as exc:
                raise ParseError("executable", path, exc.message) from exc
            except BuildInfoError as exc:
                raise ParseError("Go build info", path, str(exc)) from exc
        if found is None:
            return []
        go_version, modinfo = found
        info = parse_modinfo(modinfo)
        for error in info.errors:
            ctx.problem(path, f"failed to parse Go build info: module information {error}")
        return packages_of(path, go_version, info)
