"""Helpers shared by the Go cataloger tests: an independent reading of ``go version -m`` and a runner."""

from __future__ import annotations

import ast
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from stockade.catalog.interface import CatalogContext, Cataloger
from stockade.catalog.walker import walk
from stockade.model.inventory import Package
from stockade.target.fs import TargetFS


@dataclass
class VersionM:
    """What ``go version -m BINARY`` prints (cmd/go/internal/version): ``BINARY: goX``, then tab-indented
    ``path``, ``mod``, ``dep``, ``=>`` and ``build`` lines."""

    go: str
    path: str | None = None
    main: tuple[str, str] | None = None
    deps: list[dict[str, str]] = field(default_factory=list)
    build: dict[str, str] = field(default_factory=dict)


def parse_version_m(text: str) -> VersionM:
    lines = text.splitlines()
    out = VersionM(go=lines[0].rsplit(": ", 1)[1].strip())
    for line in lines[1:]:
        cols = line.strip("\t").split("\t")
        kind = cols[0]
        if kind == "path":
            out.path = cols[1]
        elif kind == "mod":
            out.main = (cols[1], cols[2])
        elif kind == "dep":
            out.deps.append({"path": cols[1], "version": cols[2], "sum": cols[3] if len(cols) > 3 else ""})
        elif kind == "=>":
            out.deps[-1].update(rpath=cols[1], rversion=cols[2], rsum=cols[3] if len(cols) > 3 else "")
        elif kind == "build":
            key, _, value = cols[1].partition("=")
            out.build[key] = ast.literal_eval(value) if value.startswith('"') else value  # Go strconv.Quote
    return out


def expected_from(vm: VersionM) -> set[tuple[str, str]]:
    """(name, version) the cataloger must report: a module replacement is what is compiled in; a
    directory replacement keeps the module path with the directory's version."""
    want: set[tuple[str, str]] = set()
    if vm.main:
        want.add(vm.main)
    for dep in vm.deps:
        if "rpath" not in dep:
            want.add((dep["path"], dep["version"]))
        elif dep["rpath"].startswith(("./", "../", "/")):
            want.add((dep["path"], dep["rversion"] or "(devel)"))
        else:
            want.add((dep["rpath"], dep["rversion"]))
    major_minor_patch = vm.go.split()[0].removeprefix("go").split(".")
    while len(major_minor_patch) < 3:
        major_minor_patch.append("0")
    want.add(("stdlib", "v" + ".".join(major_minor_patch)))
    return want


def catalog_tree(root: Path, cat: Cataloger) -> tuple[list[Package], CatalogContext]:
    fs = TargetFS(str(root))
    walked = walk(fs, [cat])
    ctx = CatalogContext(fs=fs, os=None, plugin=f"catalog/{cat.NAME}")
    return cat.catalog(ctx, walked.wanted[cat.NAME]), ctx


def install(binary: Path, root: Path, target: str = "usr/local/bin") -> str:
    """Copy ``binary`` into the tree at ``root`` as an extension-less executable; return its target path."""
    dest = root / target / binary.name.split(".")[0]
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(binary, dest)
    dest.chmod(0o755)
    return "/" + str(dest.relative_to(root))
