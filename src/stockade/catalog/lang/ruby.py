"""Ruby gems: installed gem specifications and Bundler lock files.

Installed gems: ``<GEM_HOME>/specifications/<name>-<version>[-<platform>].gemspec`` and the default gems
of a Ruby in ``specifications/default/``.  These files are Ruby source that RubyGems generates
(``Gem::Specification#to_ruby``): ``s.name = "rake".freeze``, ``s.version = "13.0.6"``, ``s.platform``,
``s.licenses = [...]``, preceded by a ``# stub: name version platform require_paths`` line (RubyGems
2.0+).  Older RubyGems wrote ``s.name = %q{rails}``.  They are read with regular expressions over the
assignment lines, never evaluated.  Hand-written ``*.gemspec`` files in source trees (``spec.version =
Foo::VERSION``) are not installed gems and are not looked at.

Lock files: ``Gemfile.lock`` (``gems.locked`` with a ``gems.rb``), Bundler's format
(bundler/lib/bundler/lockfile_parser.rb): upper-case section headings at column 0; the ``GEM``, ``GIT``,
``PATH`` and ``PLUGIN SOURCE`` sections have ``remote:``/``revision:`` options and a ``specs:`` list of
4-space-indented ``name (version[-platform])`` lines, each followed by its 6-space-indented dependencies.
As in Bundler, the version is what precedes the first ``-`` and the platform (``x86_64-linux``) the rest.
``DEPENDENCIES`` names the gems the Gemfile asked for directly.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from stockade.catalog.common import make_package
from stockade.catalog.interface import CatalogContext, FileCataloger
from stockade.errors import ParseError
from stockade.model.inventory import Package

NAME = "lang/ruby"
LOCKFILES = frozenset({"Gemfile.lock", "gems.locked"})
_MAX_GEMSPEC = 1024 * 1024
_MAX_REPORTED = 5

# -- gemspec ---------------------------------------------------------------------------------------
_ASSIGN = re.compile(r"^[ \t]*\w+\.(name|version|platform|licenses?)[ \t]*=[ \t]*(.+)$", re.MULTILINE)
# a Ruby string literal: "..", '..', %q{..} %Q<..> %(..) %[..] %!..!
_LITERAL = re.compile(
    r""""((?:[^"\\\n]|\\.)*)"|'((?:[^'\\\n]|\\.)*)'"""
    r"|%[qQ]?(?:\{([^}\n]*)\}|<([^>\n]*)>|\(([^)\n]*)\)|\[([^\]\n]*)\]|!([^!\n]*)!)"
)
_STUB = re.compile(r"^# stub: (\S+) (\S+) (\S+)", re.MULTILINE)
_UNESCAPE = re.compile(r"\\(.)")
#: Gem::Version::VERSION_PATTERN
_GEM_VERSION = re.compile(r"^[0-9]+(?:\.[0-9a-zA-Z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$")
_GEM_NAME = re.compile(r"^[A-Za-z0-9._-]+$")

# -- Gemfile.lock ----------------------------------------------------------------------------------
#: Bundler's LockfileParser::NAME_VERSION at the 4-space indent of a spec
_SPEC = re.compile(r"^    (?! )(\S+) \(([^-)]*)(?:-([^)]*))?\)$")
_DEPENDENCY = re.compile(r"^  (?! )([^\s!]+)!?(?: \(.*\))?$")
_OPTION = re.compile(r"^  (?! )([a-z_]+): ?(.*)$")
_SECTION = re.compile(r"^[A-Z][A-Z ]*$")
SOURCES = {"GEM": "rubygems", "GIT": "git", "PATH": "path", "PLUGIN SOURCE": "plugin"}
_KEPT_OPTIONS = ("remote", "revision", "branch", "tag")
_FAIL = "failed to parse Gemfile.lock"


def _literals(rhs: str) -> list[str]:
    out: list[str] = []
    for m in _LITERAL.finditer(rhs):
        if m.group(1) is not None or m.group(2) is not None:
            out.append(_UNESCAPE.sub(r"\1", m.group(1) if m.group(1) is not None else m.group(2)))
        else:
            out.append(next((g for g in m.groups()[2:] if g is not None), ""))
    return out


def gem_home_of(path: str) -> str:
    """The gem directory (``GEM_HOME``) a specification belongs to: the parent of ``specifications``."""
    head = path.rsplit("/specifications/", 1)[0]
    return head or "/"


class RubyCataloger(FileCataloger):
    NAME = NAME
    DESCRIPTION = "Ruby gems: installed specifications and Bundler lock files (Gemfile.lock)"
    FILE_NAMES = LOCKFILES
    EXTENSIONS = frozenset({"gemspec"})

    def accepts(self, path: str) -> bool:
        if path.rsplit("/", 1)[-1] in LOCKFILES:
            return True
        parts = path.split("/")
        if len(parts) >= 3 and parts[-2] == "specifications":
            return True
        return len(parts) >= 4 and parts[-2] == "default" and parts[-3] == "specifications"

    def parse(self, ctx: CatalogContext, path: str) -> Iterable[Package]:
        if path.rsplit("/", 1)[-1] in LOCKFILES:
            return self.parse_lockfile(ctx, path, self._text(ctx, path, "Gemfile.lock", None))
        return [self.parse_gemspec(path, self._text(ctx, path, "gem specification", _MAX_GEMSPEC))]

    @staticmethod
    def _text(ctx: CatalogContext, path: str, what: str, max_size: int | None) -> str:
        data = ctx.fs.read_bytes(path, max_size=max_size)
        head = data[:8192]
        # RubyGems' second stub line lists a gem's extensions separated by NUL bytes: those are text
        if b"\x00" in head and any(
            b"\x00" in ln and not ln.startswith(b"# stub: ") for ln in head.split(b"\n")
        ):
            raise ParseError(what, path, "binary data, not a text file")
        return data.decode("utf-8", errors="replace")

    # -- installed specifications ----------------------------------------------------------------
    def parse_gemspec(self, path: str, text: str) -> Package:
        found: dict[str, list[str]] = {}
        for m in _ASSIGN.finditer(text):
            key = "licenses" if m.group(1) == "license" else m.group(1)
            if key not in found:
                found[key] = _literals(m.group(2))
        stub = _STUB.search(text)
        name = (found.get("name") or [""])[0] or (stub.group(1) if stub else "")
        version = (found.get("version") or [""])[0] or (stub.group(2) if stub else "")
        if not name or not version:
            missing = " and ".join(k for k, v in (("s.name", name), ("s.version", version)) if not v)
            reason = f"no string assigned to {missing} (not a specification written by RubyGems?)"
            raise ParseError("gem specification", path, reason)
        if not _GEM_NAME.match(name) or not _GEM_VERSION.match(version):
            raise ParseError("gem specification", path, f"not a valid gem name and version: {name[:40]!r} "
                             f"{version[:40]!r}")  # fmt: skip
        platform = (found.get("platform") or [""])[0] or (stub.group(3) if stub else "")
        metadata: dict[str, Any] = {"gem_home": gem_home_of(path)}
        if "/specifications/default/" in path:
            metadata["default_gem"] = True
        return self._package(name, version, platform, path, None, tuple(found.get("licenses", ())), metadata)

    # -- Gemfile.lock --------------------------------------------------------------------------------
    def parse_lockfile(self, ctx: CatalogContext, path: str, text: str) -> list[Package]:
        entries: list[tuple[str, str, str, int, dict[str, Any]]] = []
        direct: set[str] = set()
        bad: list[tuple[int, str]] = []
        section = ""
        options: dict[str, str] = {}
        in_specs = False
        seen_source = False
        for lineno, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            if line[0] != " ":
                if line.startswith(("<<<<<<<", "=======", ">>>>>>>")):
                    bad.append((lineno, "merge conflict marker"))
                elif _SECTION.match(line):
                    section, options, in_specs = line, {}, False
                    seen_source = seen_source or section in SOURCES
                else:
                    bad.append((lineno, f"expected a section heading, got {line[:40]!r}"))
                continue
            if section in SOURCES:
                if line == "  specs:":
                    in_specs = True
                    continue
                spec = _SPEC.match(line)
                if spec and in_specs:
                    source: dict[str, Any] = {"source": SOURCES[section]}
                    source.update((k, v) for k, v in options.items() if k in _KEPT_OPTIONS)
                    entries.append((spec.group(1), spec.group(2), spec.group(3) or "", lineno, source))
                elif line.startswith("      ") and in_specs:
                    continue  # a dependency of the spec above
                elif not in_specs and (opt := _OPTION.match(line)):
                    options[opt.group(1)] = opt.group(2)
                else:
                    bad.append((lineno, f"expected '    name (version)' in {section}, got {line[:44]!r}"))
            elif section == "DEPENDENCIES":
                dep = _DEPENDENCY.match(line)
                if dep:
                    direct.add(dep.group(1))
                else:
                    bad.append(
                        (lineno, f"expected '  name (requirement)' in DEPENDENCIES, got {line[:40]!r}")
                    )
        if not seen_source and not entries:
            where = f"line {bad[0][0]}: {bad[0][1]}" if bad else "no GEM, GIT or PATH section"
            raise ParseError("Gemfile.lock", path, f"not a Bundler lock file: {where}")
        for lineno, reason in bad[:_MAX_REPORTED]:
            ctx.problem(path, f"{_FAIL}: line {lineno}: {reason}")
        if len(bad) > _MAX_REPORTED:
            more = len(bad) - _MAX_REPORTED
            ctx.problem(path, f"{_FAIL}: {more} more malformed lines (first at line {bad[_MAX_REPORTED][0]})")
        out: list[Package] = []
        for name, version, platform, lineno, metadata in entries:
            if not _GEM_VERSION.match(version):
                ctx.problem(path, f"{_FAIL}: line {lineno}: {name!r} has no valid version ({version[:40]!r})")
                continue
            if direct:
                metadata["direct"] = name in direct
            out.append(self._package(name, version, platform, path, lineno, (), metadata))
        return out

    @staticmethod
    def _package(
        name: str, version: str, platform: str, path: str, line: int | None, licenses: tuple[str, ...],
        metadata: dict[str, Any],
    ) -> Package:  # fmt: skip
        qualifiers: dict[str, str] = {}
        if platform and platform != "ruby":
            # purl-spec "gem": the platform qualifier names a non-default platform (java, x86_64-linux)
            qualifiers["platform"] = platform
            metadata["platform"] = platform
        return make_package(
            name=name, version=version, type_="gem", found_by=NAME, path=path, line=line,
            qualifiers=qualifiers, licenses=licenses, metadata=metadata,
        )  # fmt: skip
