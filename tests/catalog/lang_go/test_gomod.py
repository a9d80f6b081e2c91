"""go.mod: a real one written by ``go mod tidy`` (compared with ``go list -m``), a hand-written one with
every directive form, and broken ones."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from stockade.catalog.interface import CatalogContext
from stockade.catalog.lang.gomod import GoModCataloger, tokenize
from stockade.model.inventory import Package
from stockade.model.status import StatusKind
from stockade.target.fs import TargetFS
from tests.catalog.lang_go.conftest import GoBuild
from tests.catalog.lang_go.helpers import catalog_tree

TESTDATA = Path(__file__).parent / "testdata"


def parse_text(tmp_path: Path, text: str, where: str = "src/go.mod") -> tuple[list[Package], CatalogContext]:
    path = tmp_path / where
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return catalog_tree(tmp_path, GoModCataloger())


def test_tidy_go_mod_matches_go_list(gobuild: GoBuild, tmp_path: Path) -> None:
    """``go mod tidy`` wrote the go.mod (with its ``// indirect`` block); ``go list -m -json all`` is the
    go command's own view of the requirements with replacements applied."""
    listing = subprocess.run(
        [gobuild.go, "list", "-m", "-json", "all"], cwd=gobuild.module, env=gobuild.env,
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    decoder, pos, mods = json.JSONDecoder(), 0, []
    while pos < len(listing.strip()):
        mod, pos = decoder.raw_decode(listing, pos)
        mods.append(mod)
        while pos < len(listing) and listing[pos].isspace():
            pos += 1
    want = {}
    for mod in mods:
        if mod.get("Main"):
            continue
        rep = mod.get("Replace")
        if rep is None:
            want[mod["Path"]] = (mod["Version"], bool(mod.get("Indirect")))
        elif rep["Path"].startswith(("./", "../")):
            want[mod["Path"]] = (rep.get("Version") or "(devel)", bool(mod.get("Indirect")))
        else:
            want[rep["Path"]] = (rep["Version"], bool(mod.get("Indirect")))
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "go.mod").write_bytes((gobuild.module / "go.mod").read_bytes())
    pkgs, ctx = catalog_tree(tmp_path, GoModCataloger())
    assert ctx.problems == []
    assert {p.name: (p.version, p.metadata["indirect"]) for p in pkgs} == want
    assert any(indirect for _, indirect in want.values())  # tidy really wrote an indirect requirement
    text = (gobuild.module / "go.mod").read_text().splitlines()
    for pkg in pkgs:
        line = text[pkg.locations[0].line - 1]
        assert pkg.metadata.get("required_path", pkg.name) in line
        assert pkg.metadata["main_module"] == "example.com/hello"


def test_every_directive_form(tmp_path: Path) -> None:
    pkgs, ctx = parse_text(tmp_path, (TESTDATA / "gomod" / "go.mod").read_text())
    assert ctx.problems == []
    got = {p.name: (p.version, p.locations[0].line, p.metadata["indirect"]) for p in pkgs}
    assert got == {
        "github.com/single/line": ("v1.0.0", 13, False),
        "github.com/google/uuid": ("v1.3.0", 16, False),
        "golang.org/x/net": ("v0.17.0", 17, True),
        "golang.org/x/text": ("v0.13.0", 18, True),
        "example.com/raw/quoted": ("v0.0.0-20230102030405-abcdefabcdef", 19, False),
        "github.com/pkg/errors": ("v0.9.1", 20, False),
        # example.com/excluded v1.1.0 is excluded: the go command would pick a later version
        "github.com/someone/forked": ("v1.5.1-fix", 22, False),
        "example.com/pinned": ("v1.2.1", 23, False),
        "example.com/other-version": ("v1.3.0", 24, False),  # its replace names another version
        "example.com/local": ("(devel)", 25, False),
    }
    by_name = {p.name: p for p in pkgs}
    forked = by_name["github.com/someone/forked"].metadata
    assert (forked["required_path"], forked["required_version"], forked["replace_line"]) == (
        "example.com/forked", "v1.5.0", 33,
    )  # fmt: skip
    local = by_name["example.com/local"].metadata
    assert (local["replace_path"], local["replace_local"]) == ("../local", True)
    assert "replace_path" not in by_name["example.com/other-version"].metadata
    assert by_name["github.com/google/uuid"].purl == "pkg:golang/github.com/google/uuid@v1.3.0"
    assert all(p.metadata["main_module"] == "example.com/app/v2" for p in pkgs)
    assert {(p.type, p.ecosystem, p.found_by) for p in pkgs} == {("golang", "Go", "lang/go-mod")}


def test_module_cache_go_mod_is_kept_and_marked(tmp_path: Path) -> None:
    text = "module github.com/a/b\n\ngo 1.20\n\nrequire github.com/c/d v1.0.0\n"
    pkgs, ctx = parse_text(tmp_path, text, "root/go/pkg/mod/github.com/a/b@v1.0.0/go.mod")
    assert ctx.problems == []
    assert [(p.name, p.metadata.get("module_cache")) for p in pkgs] == [("github.com/c/d", True)]


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        (
            "module x\nrequire (\n\ta v1\n\tb\n\tc v3 extra\n)\nrequire d v4\n",
            ["line 4: expected 'require <path> <version>'", "line 5: expected 'require <path> <version>'"],
        ),
        ('module x\nrequire "a v1\nrequire b v2\n', ["line 2: unterminated quoted string"]),
        ("module x\nrequire (\n\ta v1\n\tb v2\n", ["line 2: 'require (' block is not closed"]),
        ("module x\nrequire a v1\nreplace a => b\n", ["line 3: replacement module 'b' without a version"]),
        ("module x\nrequire a v1\nreplace a v1 b v2\n", ["line 3: expected 'replace <path> [<version>] =>"]),
    ],
    ids=["bad-require", "bad-string", "open-block", "replace-no-version", "replace-no-arrow"],
)
def test_broken_lines_are_reported_and_the_rest_read(tmp_path: Path, text: str, problems: list[str]) -> None:
    pkgs, ctx = parse_text(tmp_path, text)
    reasons = [s.reason for s in ctx.problems]
    assert len(reasons) == len(problems), reasons
    for reason, want in zip(reasons, problems, strict=True):
        assert reason.startswith(f"failed to parse go.mod: {want}"), reason
    assert {s.status for s in ctx.problems} == {StatusKind.PARTIAL}
    assert {s.path for s in ctx.problems} == {"/src/go.mod"}
    assert pkgs  # the good lines are still read


def test_binary_garbage_go_mod_gives_no_traceback(tmp_path: Path) -> None:
    path = tmp_path / "go.mod"
    path.write_bytes(bytes(range(256)) * 4)
    ctx = CatalogContext(fs=TargetFS(str(tmp_path)), os=None, plugin="catalog/lang/go-mod")
    assert GoModCataloger().catalog(ctx, ["/go.mod"]) == []


@pytest.mark.parametrize(
    ("line", "tokens", "comment"),
    [
        ("require a v1 // indirect", ["require", "a", "v1"], "indirect"),
        ('require "a b" v1', ["require", "a b", "v1"], None),
        ("require(", ["require", "("], None),
        ("replace a=>b v1", ["replace", "a=>b", "v1"], None),  # modfile needs spaces around =>
        ("\t//only a comment", [], "only a comment"),
    ],
)
def test_tokenize(line: str, tokens: list[str], comment: str | None) -> None:
    assert tokenize(line) == (tokens, comment)
