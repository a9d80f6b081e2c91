"""Rust: real Cargo.lock files v1-v4 written by cargo (compared with ``cargo metadata``), an executable
with a cargo-auditable ``.dep-v0`` section, and broken inputs."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zlib
from pathlib import Path
from typing import Any

import pytest

from stockade.catalog.interface import CatalogContext
from stockade.catalog.lang.rust import RustCataloger
from stockade.catalog.walker import walk
from stockade.model.inventory import Package
from stockade.model.status import StatusKind
from stockade.target.fs import TargetFS
from tests.catalog.lang_rust.conftest import LOCK_VERSIONS, CargoProject, auditable_json


def catalog_tree(root: Path) -> tuple[list[Package], CatalogContext]:
    fs = TargetFS(str(root))
    cat = RustCataloger()
    walked = walk(fs, [cat])
    ctx = CatalogContext(fs=fs, os=None, plugin="catalog/lang/rust")
    return cat.catalog(ctx, walked.wanted[cat.NAME]), ctx


def put(root: Path, rel: str, data: bytes, mode: int = 0o644) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    path.chmod(mode)
    return path


@pytest.mark.parametrize("version", sorted(LOCK_VERSIONS))
def test_cargo_lock_matches_cargo_metadata(
    cargo_projects: dict[int, CargoProject], tmp_path: Path, version: int
) -> None:
    project = cargo_projects[version]
    text = project.lock.read_text()
    assert bool(re.search(r"^version = \d+$", text, re.M)) is (version >= 3)  # cargo really wrote that format
    assert ("[metadata]" in text) is (version == 1)
    put(tmp_path, "src/app/Cargo.lock", text.encode())
    pkgs, ctx = catalog_tree(tmp_path)
    assert ctx.problems == []
    want = {(p["name"], p["version"], p["source"]) for p in project.metadata["packages"]}
    assert {(p.name, p.version, p.metadata.get("source")) for p in pkgs} == want
    assert len(pkgs) == len(want)
    lines = text.splitlines()
    by_name = {p.name: p for p in pkgs}
    for pkg in pkgs:
        assert pkg.purl == f"pkg:cargo/{pkg.name}@{pkg.version}"
        assert (pkg.type, pkg.ecosystem, pkg.found_by) == ("cargo", "crates.io", "lang/rust")
        line = pkg.locations[0].line
        assert line is not None and lines[line - 1] == "[[package]]"
        assert lines[line] == f'name = "{pkg.name}"'
        assert pkg.metadata["lock_version"] == version
    assert by_name["itoa"].metadata["source_kind"] == "crates.io"
    assert by_name["itoa"].metadata["checksum"] == _vendored_checksum(project, "itoa")
    assert by_name["gitdep"].metadata["source_kind"] == "git"
    assert by_name["gitdep"].metadata["git_url"].startswith("file://")
    assert len(by_name["gitdep"].metadata["git_commit"]) == 40
    assert "checksum" not in by_name["gitdep"].metadata  # v1 writes "<none>" for it
    for local in ("proj", "helper"):
        assert by_name[local].metadata["local"] is True
        assert by_name[local].metadata["source_kind"] == "local"


def _vendored_checksum(project: CargoProject, name: str) -> str:
    vendor = project.root.parent / "vendor"
    (crate,) = vendor.glob(f"{name}-*")
    checksum: str = json.loads((crate / ".cargo-checksum.json").read_text())["package"]
    return checksum


def test_cargo_lock_sources() -> None:
    from stockade.catalog.lang.rust import source_metadata

    assert source_metadata("sparse+https://index.crates.io/")["source_kind"] == "crates.io"
    assert source_metadata("registry+https://example.com/index") == {
        "source": "registry+https://example.com/index", "source_kind": "registry",
        "registry": "https://example.com/index",
    }  # fmt: skip
    git = source_metadata("git+https://github.com/a/b?branch=main#0123abcd")
    assert (git["git_url"], git["git_commit"]) == ("https://github.com/a/b?branch=main", "0123abcd")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (b"this is = = not toml\n[[package]\n", "failed to parse Cargo.lock: not valid TOML"),
        (b"\x00\x01\x02\xff\xfe" * 100, "not UTF-8 text"),
        (b'package = "nope"\n', "failed to parse Cargo.lock: 'package' is not an array"),
    ],
    ids=["garbage", "binary", "wrong-shape"],
)
def test_garbage_cargo_lock_is_a_status(tmp_path: Path, text: bytes, reason: str) -> None:
    put(tmp_path, "Cargo.lock", text)
    pkgs, ctx = catalog_tree(tmp_path)
    assert pkgs == []
    assert [(s.status, s.path) for s in ctx.problems] == [(StatusKind.ERROR, "/Cargo.lock")]
    assert reason in ctx.problems[0].reason


def test_broken_package_entries_are_reported_with_their_line(tmp_path: Path) -> None:
    text = (
        'version = 3\n\n[[package]]\nname = "good"\nversion = "1.0.0"\n'
        'source = "registry+https://github.com/rust-lang/crates.io-index"\n\n'
        '[[package]]\nname = "noversion"\n\n[[package]]\nname = "badsource"\nversion = "2.0.0"\nsource = 7\n'
    )
    put(tmp_path, "Cargo.lock", text.encode())
    pkgs, ctx = catalog_tree(tmp_path)
    assert [(p.name, p.locations[0].line) for p in pkgs] == [("good", 3), ("badsource", 11)]
    assert [s.reason for s in ctx.problems] == [
        "failed to parse Cargo.lock: line 8: [[package]] without a name and version",
        "failed to parse Cargo.lock: line 11: 'source' is not a string",
    ]
    assert {s.status for s in ctx.problems} == {StatusKind.PARTIAL}


# -- cargo-auditable executables ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def plain_rust_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real Rust executable (rustc), without audit data."""
    rustc = shutil.which("rustc")
    base = tmp_path_factory.mktemp("rustbin")
    (base / "main.rs").write_text('fn main() { println!("hello"); }\n')
    if rustc is not None:
        subprocess.run(
            [rustc, "-C", "opt-level=0", "-o", str(base / "app"), str(base / "main.rs")], check=True
        )
        return base / "app"
    cc = shutil.which("cc")
    if cc is None:
        pytest.skip("neither rustc nor cc installed: no executable to add a .dep-v0 section to")
    (base / "main.c").write_text("int main(void) { return 0; }\n")
    subprocess.run([cc, "-o", str(base / "app"), str(base / "main.c")], check=True)
    return base / "app"


def with_dep_v0(binary: Path, work: Path, payload: bytes) -> bytes:
    """Add the section as cargo-auditable's linker input does: a non-allocated ``.dep-v0``."""
    objcopy = shutil.which("objcopy")
    if objcopy is None:
        pytest.skip("objcopy not installed: `apt-get install binutils`")
    work.mkdir(parents=True, exist_ok=True)
    (work / "dep-v0.bin").write_bytes(payload)
    out = work / "audited"
    subprocess.run(
        [objcopy, "--add-section", f".dep-v0={work / 'dep-v0.bin'}", str(binary), str(out)], check=True
    )
    return out.read_bytes()


def test_auditable_binary(
    cargo_projects: dict[int, CargoProject], plain_rust_binary: Path, tmp_path: Path
) -> None:
    doc = auditable_json(cargo_projects[4].metadata)
    data = with_dep_v0(plain_rust_binary, tmp_path / "work", zlib.compress(json.dumps(doc).encode(), 7))
    put(tmp_path, "tree/usr/bin/proj", data, 0o755)
    put(tmp_path, "tree/usr/bin/plain", plain_rust_binary.read_bytes(), 0o755)  # no audit data: silent
    pkgs, ctx = catalog_tree(tmp_path / "tree")
    assert ctx.problems == []
    entries: list[dict[str, Any]] = doc["packages"]
    assert {(p.name, p.version, p.metadata["source"]) for p in pkgs} == {
        (e["name"], e["version"], e["source"]) for e in entries
    }
    assert {p.locations[0].path for p in pkgs} == {"/usr/bin/proj"}
    by_name = {p.name: p for p in pkgs}
    assert by_name["proj"].metadata["root"] is True and by_name["proj"].metadata["local"] is True
    assert by_name["cfg-if"].metadata["kind"] == "build"  # a build-dependency only
    assert by_name["itoa"].metadata["kind"] == "runtime"
    assert by_name["itoa"].metadata["source"] == "crates.io"
    assert by_name["gitdep"].metadata["source"] == "git"
    assert sorted(by_name["proj"].metadata["dependencies"]) == [
        "cfg-if 1.0.0", "gitdep 0.9.0", "helper 2.4.0", "itoa 1.0.9",
    ]  # fmt: skip
    assert all(p.purl == f"pkg:cargo/{p.name}@{p.version}" for p in pkgs)


@pytest.mark.parametrize(
    ("payload", "status", "reason"),
    [
        (b"not zlib at all", StatusKind.ERROR, "is not zlib data"),
        (zlib.compress(b'{"packages": [')[:-6], StatusKind.ERROR, "truncated zlib stream"),
        (zlib.compress(b"\xff\xfe not json"), StatusKind.ERROR, "dependency list is not JSON"),
        (zlib.compress(b'{"pkgs": []}'), StatusKind.ERROR, 'has no "packages" array'),
        (
            zlib.compress(b'{"packages":[{"name":"a","version":"1.0.0","source":"crates.io","dependencies":[5]}]}'),
            StatusKind.PARTIAL, "'dependencies' must be indices below 1",
        ),
        (
            zlib.compress(b'{"packages":[{"name":"a","source":"crates.io"},{"name":"b","version":"1","source":"local"}]}'),
            StatusKind.PARTIAL, "package 0: expected string 'name', 'version' and 'source'",
        ),
    ],
    ids=["not-zlib", "truncated-zlib", "not-json", "wrong-shape", "bad-index", "missing-version"],
)  # fmt: skip
def test_broken_audit_data_is_a_status(
    plain_rust_binary: Path, tmp_path: Path, payload: bytes, status: StatusKind, reason: str
) -> None:
    put(tmp_path, "tree/usr/bin/broken", with_dep_v0(plain_rust_binary, tmp_path / "work", payload), 0o755)
    _, ctx = catalog_tree(tmp_path / "tree")
    assert [(s.status, s.path) for s in ctx.problems] == [(status, "/usr/bin/broken")]
    assert reason in ctx.problems[0].reason, ctx.problems[0].reason


def test_truncated_executable_is_a_status(plain_rust_binary: Path, tmp_path: Path) -> None:
    data = plain_rust_binary.read_bytes()
    put(tmp_path, "usr/bin/cut", data[: len(data) // 2], 0o755)
    pkgs, ctx = catalog_tree(tmp_path)
    assert pkgs == []
    assert [(s.status, s.path) for s in ctx.problems] == [(StatusKind.ERROR, "/usr/bin/cut")]
    assert ctx.problems[0].reason.startswith("failed to parse executable: truncated")
