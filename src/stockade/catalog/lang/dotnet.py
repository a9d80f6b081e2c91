""".NET dependencies: an application's ``<App>.deps.json`` and NuGet's ``packages.lock.json``.

``*.deps.json`` (dotnet/runtime ``docs/design/features/host-probing.md`` and
``docs/design/specs/runtime-configuration-file.md``): ``runtimeTarget`` names the target framework,
``targets`` the assets per framework, ``libraries`` one entry per library keyed ``"Name/Version"`` with a
``type``:

- ``package`` — a NuGet package → ``pkg:nuget/Name@Version``, ecosystem ``NuGet``;
- ``runtimepack`` — the runtime of a self-contained app, keyed ``runtimepack.<package>/<version>``, e.g.
  ``runtimepack.Microsoft.NETCore.App.Runtime.linux-x64/8.0.0``; it *is* the NuGet package
  ``Microsoft.NETCore.App.Runtime.linux-x64`` (the one .NET runtime advisories name), so it is listed;
- ``project`` — the application itself and the projects it references: first-party code with no NuGet
  identity, so not listed as packages; the project named like the file (``MyApp`` for
  ``MyApp.deps.json``) is recorded on every package as ``metadata["application"]`` (``MyApp/1.0.0``);
- ``reference``/``referenceassembly`` and unknown types — plain assembly references, not listed.

``packages.lock.json`` (NuGet lock file, ``version`` 1 or 2): ``dependencies`` maps each target framework
(``net8.0``, and ``net8.0/linux-x64`` for a runtime) to ``{name: {type, requested, resolved,
contentHash}}``; ``Direct``, ``Transitive`` and ``CentralTransitive`` entries are packages, ``Project``
entries are not.  A package resolved the same in several frameworks is listed once with all of them.

Line numbers are those of the library's key (deps.json) or of its first entry (lock file).  Invalid JSON
makes the whole file an error status (JSON cannot be read past a syntax error).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from stockade.catalog.common import json_type, make_package
from stockade.catalog.interface import CatalogContext, FileCataloger
from stockade.errors import ParseError
from stockade.model.inventory import Package

NAME = "lang/dotnet"
LOCK_FILE = "packages.lock.json"
DEPS_SUFFIX = ".deps.json"
MAX_SIZE = 64 * 1024 * 1024
PACKAGE_TYPES = frozenset({"package", "runtimepack"})
RUNTIME_PACK_PREFIX = "runtimepack."
LOCK_PACKAGE_TYPES = frozenset({"direct", "transitive", "centraltransitive"})
DEPS = ".NET deps.json"
LOCK = "NuGet packages.lock.json"


def _bad(ctx: CatalogContext, path: str, what: str, line: int | None, reason: str) -> None:
    at = f"line {line}: " if line is not None else ""
    ctx.problem(path, f"failed to parse {what}: {at}{reason}")


class _Lines:
    """Line numbers of keys found in document order, counting newlines only once."""

    def __init__(self, text: str, start: int = 0) -> None:
        self.text = text
        self.pos = start
        self.line = text.count("\n", 0, start) + 1

    def find(self, key: str, *, object_value: bool = False) -> int | None:
        pattern = re.escape(json.dumps(key)) + (r"\s*:\s*\{" if object_value else r"\s*:")
        m = re.compile(pattern).search(self.text, self.pos)
        if m is None:  # escaped differently in the file: no line, keep the position
            return None
        self.line += self.text.count("\n", self.pos, m.start())
        self.pos = m.start()
        return self.line


class DotnetCataloger(FileCataloger):
    NAME = NAME
    DESCRIPTION = ".NET NuGet packages from *.deps.json and packages.lock.json"
    FILE_NAMES = frozenset({LOCK_FILE})
    EXTENSIONS = frozenset({"deps.json"})

    def accepts(self, path: str) -> bool:
        return path.endswith(DEPS_SUFFIX) or path.rsplit("/", 1)[-1] == LOCK_FILE

    def parse(self, ctx: CatalogContext, path: str) -> Iterable[Package]:
        lock = path.rsplit("/", 1)[-1] == LOCK_FILE
        what = LOCK if lock else DEPS
        data = ctx.fs.read_bytes(path, max_size=MAX_SIZE)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ParseError(what, path, f"not UTF-8 text (byte {exc.start})") from exc
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ParseError(what, path, exc.msg, line=exc.lineno, column=exc.colno) from exc
        except RecursionError as exc:
            raise ParseError(what, path, "JSON nested too deeply") from exc
        if not isinstance(doc, dict):
            raise ParseError(what, path, f"the document is {json_type(doc)}, expected an object")
        if lock:
            return self._lock(ctx, path, text, doc)
        return self._deps(ctx, path, text, doc)

    # -- <App>.deps.json ---------------------------------------------------------------------------
    def _deps(self, ctx: CatalogContext, path: str, text: str, doc: dict[str, Any]) -> list[Package]:
        libraries = doc.get("libraries")
        if not isinstance(libraries, dict):
            why = "missing" if libraries is None else f"{json_type(libraries)}, expected an object"
            raise ParseError(DEPS, path, f"'libraries' is {why}")
        runtime_target = doc.get("runtimeTarget")
        framework = runtime_target.get("name") if isinstance(runtime_target, dict) else None
        app_name = path.rsplit("/", 1)[-1][: -len(DEPS_SUFFIX)]
        application = next(
            (k for k, v in libraries.items()
             if isinstance(v, dict) and v.get("type") == "project" and k.rpartition("/")[0] == app_name),
            None,
        )  # fmt: skip
        start = text.rfind('"libraries"')
        lines = _Lines(text, max(start, 0))
        out: list[Package] = []
        for key, lib in libraries.items():
            line = lines.find(key)
            if not isinstance(lib, dict):
                _bad(ctx, path, DEPS, line, f"library {key!r} is {json_type(lib)}, expected an object")
                continue
            kind = lib.get("type")
            if kind not in PACKAGE_TYPES:
                continue
            name, sep, version = key.rpartition("/")
            if kind == "runtimepack" and name.startswith(RUNTIME_PACK_PREFIX):
                name = name[len(RUNTIME_PACK_PREFIX) :]
            if not sep or not name or not version:
                _bad(ctx, path, DEPS, line, f"library key {key!r} is not 'Name/Version'")
                continue
            meta: dict[str, Any] = {"library_type": kind}
            for field in ("sha512", "path"):
                value = lib.get(field)
                if isinstance(value, str) and value:
                    meta[field] = value
            if isinstance(framework, str) and framework:
                meta["target_framework"] = framework
            if application:
                meta["application"] = application
            out.append(
                make_package(name=name, version=version, type_="nuget", found_by=NAME, path=path, line=line,
                             metadata=meta)
            )  # fmt: skip
        return out

    # -- packages.lock.json ------------------------------------------------------------------------
    def _lock(self, ctx: CatalogContext, path: str, text: str, doc: dict[str, Any]) -> list[Package]:
        version = doc.get("version")
        if version not in (1, 2):
            ctx.problem(path, f"NuGet lock file version {version!r} is not 1 or 2; read as version 2")
        frameworks = doc.get("dependencies")
        if not isinstance(frameworks, dict):
            why = "missing" if frameworks is None else f"{json_type(frameworks)}, expected an object"
            raise ParseError(LOCK, path, f"'dependencies' is {why}")
        lines = _Lines(text)
        found: dict[tuple[str, str], tuple[str, str, int | None, dict[str, Any]]] = {}
        for framework, entries in frameworks.items():
            fw_line = lines.find(framework, object_value=isinstance(entries, dict))
            if not isinstance(entries, dict):
                _bad(
                    ctx,
                    path,
                    LOCK,
                    fw_line,
                    f"framework {framework!r} is {json_type(entries)}, expected an object",
                )
                continue
            for name, entry in entries.items():
                line = lines.find(name, object_value=isinstance(entry, dict))
                if not isinstance(entry, dict):
                    _bad(ctx, path, LOCK, line, f"{name!r} is {json_type(entry)}, expected an object")
                    continue
                kind = str(entry.get("type", ""))
                if kind.lower() not in LOCK_PACKAGE_TYPES:
                    continue
                resolved = entry.get("resolved")
                if not isinstance(resolved, str) or not resolved:
                    _bad(ctx, path, LOCK, line, f"{name!r} has no 'resolved' version")
                    continue
                key = (name.lower(), resolved)
                if key not in found:
                    meta: dict[str, Any] = {"frameworks": [], "dependency_type": kind}
                    if isinstance(entry.get("contentHash"), str):
                        meta["content_hash"] = entry["contentHash"]
                    found[key] = (name, resolved, line, meta)
                meta = found[key][3]
                if framework not in meta["frameworks"]:
                    meta["frameworks"].append(framework)
                if kind.lower() == "direct":
                    meta["dependency_type"] = kind
        return [
            make_package(name=name, version=resolved, type_="nuget", found_by=NAME, path=path, line=line,
                         metadata=meta)
            for name, resolved, line, meta in found.values()
        ]  # fmt: skip
