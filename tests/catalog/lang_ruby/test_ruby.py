"""Ruby cataloger: installed gem specifications and Bundler lock files.

Fixtures (``testdata/make_fixtures.sh`` regenerates them): the ``.gemspec`` files are copied from
Debian bookworm's ``ruby``/``rake``/``ruby-webrick`` packages (RubyGems 3.3) and from a platform gem
built and installed with ``gem``; ``Gemfile.lock`` was written by ``bundle install --local`` (Bundler
2.3.15) with GEM, GIT and PATH sources (the git remote, a temporary directory, was rewritten to
``/srv/gems/stockade-git``).  The old ``s.name = %q{...}`` style (RubyGems 1.x) could not be produced
by a tool here; the cases below that use it follow the format RubyGems 1.3 wrote.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from stockade.catalog.interface import CatalogContext
from stockade.catalog.lang.ruby import RubyCataloger
from stockade.model.inventory import Package
from stockade.model.status import StatusKind
from stockade.scan.scanner import ScanOptions, scan_filesystem
from stockade.target.fs import TargetFS
from stockade.target.rootfs import open_rootfs

TESTDATA = Path(__file__).parent / "testdata"
GEM_DIR = "/usr/lib/ruby/gems/3.1.0"
LOCK = "/srv/app/Gemfile.lock"


def run(root: Path, paths: list[str]) -> tuple[list[Package], CatalogContext]:
    fs = TargetFS(str(root))
    ctx = CatalogContext(fs=fs, os=None, plugin="catalog/lang/ruby")
    cat = RubyCataloger()
    assert all(cat.accepts(p) for p in paths)
    return cat.catalog(ctx, paths), ctx


def put(root: Path, path: str, data: str | bytes) -> str:
    dest = root / path.lstrip("/")
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def install_specs(root: Path) -> list[str]:
    paths = []
    for src in sorted((TESTDATA / "specifications").rglob("*.gemspec")):
        rel = src.relative_to(TESTDATA)
        paths.append(put(root, f"{GEM_DIR}/{rel}", src.read_bytes()))
    return paths


@pytest.mark.parametrize(
    ("path", "accepted"),
    [
        ("/usr/lib/ruby/gems/3.1.0/specifications/rake-13.0.6.gemspec", True),
        ("/usr/lib/ruby/gems/3.1.0/specifications/default/openssl-3.0.1.gemspec", True),
        ("/app/vendor/bundle/ruby/3.1.0/specifications/rack-2.2.3.gemspec", True),
        ("/src/rake/rake.gemspec", False),  # hand-written, in a source tree
        ("/usr/lib/ruby/gems/3.1.0/gems/rake-13.0.6/rake.gemspec", False),
        ("/srv/app/Gemfile.lock", True),
        ("/srv/app/gems.locked", True),
    ],
)
def test_accepts(path: str, accepted: bool) -> None:
    assert RubyCataloger().accepts(path) is accepted


def test_installed_specifications(tmp_path: Path) -> None:
    pkgs, ctx = run(tmp_path, install_specs(tmp_path))
    assert ctx.problems == []
    got = {p.name: p for p in pkgs}
    assert {n: p.version for n, p in got.items()} == {
        "rake": "13.0.6", "rexml": "3.2.5", "webrick": "1.8.1", "openssl": "3.0.1",
        "stockade-native": "0.4.2", "digest": "3.1.0",  # digest: NUL bytes in its stub line, still text
    }  # fmt: skip
    assert got["rake"].purl == "pkg:gem/rake@13.0.6"
    assert (got["rake"].type, got["rake"].ecosystem, got["rake"].found_by) == ("gem", "RubyGems", "lang/ruby")
    assert got["rake"].licenses == ("MIT",)
    assert got["webrick"].licenses == ("Ruby", "BSD-2-Clause")
    assert got["openssl"].metadata == {"gem_home": GEM_DIR, "default_gem": True}
    assert "default_gem" not in got["rexml"].metadata
    native = got["stockade-native"]
    assert native.purl == "pkg:gem/stockade-native@0.4.2?platform=x86_64-linux"
    assert native.metadata["platform"] == "x86_64-linux"
    assert native.locations[0].path == f"{GEM_DIR}/specifications/stockade-native-0.4.2-x86_64-linux.gemspec"


OLD_STYLE = """# -*- encoding: utf-8 -*-

Gem::Specification.new do |s|
  s.name = %q{rails}
  s.version = "2.3.5"

  s.required_rubygems_version = Gem::Requirement.new(">= 0") if s.respond_to? :required_rubygems_version=
  s.authors = [%q{David Heinemeier Hansson}]
  s.date = %q{2009-11-27}
  s.rubygems_version = %q{1.3.5}
  s.summary = %q{Web-application framework with template engine, control-flow layer, and ORM.}
end
"""


@pytest.mark.parametrize(
    ("text", "name", "version", "licenses", "platform"),
    [
        (OLD_STYLE, "rails", "2.3.5", (), None),
        ("Gem::Specification.new do |s|\n  s.name = 'nokogiri'\n  s.version = '1.13.6'\n"
         "  s.platform = 'java'\n  s.license = 'MIT'\nend\n", "nokogiri", "1.13.6", ("MIT",), "java"),
        # no literal name: the stub line RubyGems writes is used
        ("# stub: rack 2.2.3 ruby lib\nGem::Specification.new do |s|\n  s.name = NAME\n"
         "  s.version = \"2.2.3\"\nend\n", "rack", "2.2.3", (), None),
        ("Gem::Specification.new do |s|\n  s.name = \"pre\".freeze\n  s.version = \"1.0.0.rc1\"\nend\n",
         "pre", "1.0.0.rc1", (), None),
    ],
)  # fmt: skip
def test_gemspec_styles(tmp_path: Path, text: str, name: str, version: str, licenses: tuple[str, ...],
                        platform: str | None) -> None:  # fmt: skip
    path = put(tmp_path, f"{GEM_DIR}/specifications/{name}-{version}.gemspec", text)
    pkgs, ctx = run(tmp_path, [path])
    assert ctx.problems == []
    [pkg] = pkgs
    assert (pkg.name, pkg.version, pkg.licenses, pkg.metadata.get("platform")) == (
        name,
        version,
        licenses,
        platform,
    )


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "no string assigned to s.name and s.version"),
        (b"Gem::Specification.new do |s|\n  s.name = \"x\"\n  s.version = Foo::VERSION\nend\n",
         "no string assigned to s.version"),
        (b"\x7fELF\x02\x01\x01\x00\x00\x00" + bytes(range(256)), "binary data"),
        (b"Gem::Specification.new do |s|\n  s.name = \"x y\"\n  s.version = \"1.0\"\nend\n",
         "not a valid gem name and version"),
        # truncated mid-string: the literal is not closed, so there is no version
        (b"Gem::Specification.new do |s|\n  s.name = \"rake\".freeze\n  s.version = \"13.0", "s.version"),
    ],
)  # fmt: skip
def test_broken_gemspecs(tmp_path: Path, data: bytes, reason: str) -> None:
    good = put(tmp_path, f"{GEM_DIR}/specifications/rake-13.0.6.gemspec",
               (TESTDATA / "specifications/rake-13.0.6.gemspec").read_bytes())  # fmt: skip
    bad = put(tmp_path, f"{GEM_DIR}/specifications/broken-1.0.gemspec", data)
    pkgs, ctx = run(tmp_path, [bad, good])
    assert [p.name for p in pkgs] == ["rake"]  # the other file is still read
    [problem] = ctx.problems
    assert problem.path == bad and problem.status is StatusKind.ERROR
    assert reason in problem.reason and "failed to parse gem specification" in problem.reason


def test_lockfile(tmp_path: Path) -> None:
    text = (TESTDATA / "Gemfile.lock").read_text()
    pkgs, ctx = run(tmp_path, [put(tmp_path, LOCK, text)])
    assert ctx.problems == []
    got = {p.name: p for p in pkgs}
    assert {n: p.version for n, p in got.items()} == {
        "stockade-git": "2.1.0", "stockade-local": "1.0.0", "minitest": "5.15.0", "rake": "13.0.6",
        "rexml": "3.2.5", "stockade-native": "0.4.2",
    }  # fmt: skip
    lines = text.splitlines()
    for p in pkgs:
        line = p.locations[0].line
        assert line is not None and lines[line - 1].strip().startswith(f"{p.name} (")
        assert p.metadata["direct"] is True  # the Gemfile names all six
    assert got["rexml"].metadata == {"source": "rubygems", "remote": "https://rubygems.org/", "direct": True}
    assert got["stockade-git"].metadata == {
        "source": "git", "remote": "/srv/gems/stockade-git", "direct": True,
        "revision": "1516d0270747ac036d8e1519591afcfefae069da",
    }  # fmt: skip
    assert got["stockade-local"].metadata == {"source": "path", "remote": "../pathgem", "direct": True}
    native = got["stockade-native"]
    assert native.purl == "pkg:gem/stockade-native@0.4.2?platform=x86_64-linux"
    assert native.metadata["platform"] == "x86_64-linux"
    assert got["rake"].purl == "pkg:gem/rake@13.0.6"


def test_lockfile_transitive_and_platforms(tmp_path: Path) -> None:
    text = """GEM
  remote: https://rubygems.org/
  specs:
    nokogiri (1.13.6-x86_64-linux)
      racc (~> 1.4)
    nokogiri (1.13.6-arm64-darwin)
      racc (~> 1.4)
    racc (1.6.0)

PLATFORMS
  arm64-darwin
  x86_64-linux

DEPENDENCIES
  nokogiri

CHECKSUMS
  racc (1.6.0) sha256=0123

BUNDLED WITH
   2.5.3
"""
    pkgs, ctx = run(tmp_path, [put(tmp_path, LOCK, text)])
    assert ctx.problems == []
    assert sorted(p.purl for p in pkgs) == [
        "pkg:gem/nokogiri@1.13.6?platform=arm64-darwin",
        "pkg:gem/nokogiri@1.13.6?platform=x86_64-linux",
        "pkg:gem/racc@1.6.0",
    ]
    assert {p.name: p.metadata["direct"] for p in pkgs} == {"nokogiri": True, "racc": False}


@pytest.mark.parametrize(
    ("cut", "kept", "reason"),
    [
        ("    rexml (3.2", 4, "line 18: expected '    name (version)' in GEM"),
        ("    rexml (3.2.5)\n", 5, None),
        ("PATH\n  remote: ../pathgem\n  specs:\n", 1, None),
    ],
)
def test_truncated_lockfile(tmp_path: Path, cut: str, kept: int, reason: str | None) -> None:
    full = (TESTDATA / "Gemfile.lock").read_text()
    text = full[: full.index(cut) + len(cut)]
    pkgs, ctx = run(tmp_path, [put(tmp_path, LOCK, text)])
    assert len(pkgs) == kept
    if reason is None:
        assert ctx.problems == []
    else:
        [problem] = ctx.problems
        assert reason in problem.reason and problem.path == LOCK and problem.status is StatusKind.PARTIAL


def test_garbage_in_lockfile(tmp_path: Path) -> None:
    text = (
        (TESTDATA / "Gemfile.lock")
        .read_text()
        .replace(
            "    minitest (5.15.0)\n", "    minitest (5.15.0)\n<<<<<<< HEAD\n    rake 13.0.6\n\x01\x02junk\n"
        )
    )
    pkgs, ctx = run(tmp_path, [put(tmp_path, LOCK, text)])
    # the bad lines are skipped; the specs after them are still read
    assert {p.name for p in pkgs} == {"stockade-git", "stockade-local", "minitest", "rake", "rexml",
                                      "stockade-native"}  # fmt: skip
    reasons = [s.reason for s in ctx.problems]
    assert any("line 17: merge conflict marker" in r for r in reasons)
    assert any("line 18: expected '    name (version)' in GEM" in r for r in reasons)
    assert any("line 19: expected a section heading" in r for r in reasons)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (bytes(range(256)) * 4, "binary data"),
        (b"this is\nnot a lock file\n", "not a Bundler lock file: line 1: expected a section heading"),
        (b"", "no GEM, GIT or PATH section"),
        (b'{"json": true}\n', "not a Bundler lock file"),
    ],
)
def test_not_a_lockfile(tmp_path: Path, data: bytes, reason: str) -> None:
    pkgs, ctx = run(tmp_path, [put(tmp_path, LOCK, data)])
    assert pkgs == []
    [problem] = ctx.problems
    assert reason in problem.reason and problem.status is StatusKind.ERROR and problem.path == LOCK


def test_against_rubygems_on_this_machine() -> None:
    """RubyGems' own reading of this machine's installed specifications must match ours."""
    ruby = shutil.which("ruby")
    if ruby is None:
        pytest.skip("ruby not installed: cannot compare with RubyGems' own reading")
    dirs = [
        d for d in (GEM_DIR, "/usr/share/rubygems-integration/all") if os.path.isdir(f"{d}/specifications")
    ]
    if not dirs:
        pytest.skip("no gem specifications installed on this machine")
    script = (
        "ARGV.each { |d| Dir[File.join(d, 'specifications', '{,default/}*.gemspec')].each { |f| "
        "s = Gem::Specification.load(f); puts [s.name, s.version, s.platform].join(9.chr) if s } }"
    )
    out = subprocess.run([ruby, "-e", script, *dirs], capture_output=True, text=True, check=True).stdout
    expected = {tuple(line.split("\t")) for line in out.splitlines()}
    paths = sorted(p for d in dirs for p in glob.glob(f"{d}/specifications/**/*.gemspec", recursive=True))
    pkgs, ctx = run(Path("/"), paths)
    assert ctx.problems == []
    got = {(p.name, p.version, p.metadata.get("platform", "ruby")) for p in pkgs}
    assert expected and got == expected


def test_real_bundler_lockfile(tmp_path: Path) -> None:
    """Regenerate the lock file with the real tools (about a second): it reads as the stored one does."""
    for tool in ("ruby", "gem", "bundle", "git"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} not installed: cannot run Bundler")
    out = tmp_path / "out"
    shutil.copytree(TESTDATA, out)
    subprocess.run(["sh", str(out / "make_fixtures.sh")], check=True, capture_output=True)
    fresh, ctx = run(tmp_path, [put(tmp_path, LOCK, (out / "Gemfile.lock").read_bytes())])
    assert ctx.problems == []
    stored, _ = run(
        tmp_path / "stored", [put(tmp_path / "stored", LOCK, (TESTDATA / "Gemfile.lock").read_bytes())]
    )
    assert len(fresh) == 6
    assert {(p.purl, p.metadata["source"]) for p in fresh} == {(p.purl, p.metadata["source"]) for p in stored}


def test_scan_filesystem_rootfs(tmp_path: Path) -> None:
    root = tmp_path / "rootfs"
    install_specs(root)
    put(root, LOCK, (TESTDATA / "Gemfile.lock").read_bytes())
    put(
        root, "/src/rake/rake.gemspec", "Gem::Specification.new do |s|\n  s.name = 'x'\nend\n"
    )  # not installed
    put(root, "/srv/other/Gemfile.lock", b"\x00\x01garbage")
    target, fs = open_rootfs(str(root))
    result = scan_filesystem(target, fs, ScanOptions(catalogers=["lang/ruby"]))
    pkgs = result.inventory.packages
    assert {p.found_by for p in pkgs} == {"lang/ruby"}
    # rake 13.0.6 is both installed and locked: one package, two locations
    rake = [p for p in pkgs if p.name == "rake"]
    assert len(rake) == 1
    assert {loc.path for loc in rake[0].locations} == {LOCK, f"{GEM_DIR}/specifications/rake-13.0.6.gemspec"}
    assert len({p.name for p in pkgs}) == 9
    problems = [s for s in result.statuses if s.plugin == "catalog/lang/ruby" and s.path is not None]
    assert [(s.path, s.status) for s in problems] == [("/srv/other/Gemfile.lock", StatusKind.ERROR)]
