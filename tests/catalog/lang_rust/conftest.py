"""Real Cargo.lock files of every format version, written by this machine's cargo, offline.

crates.io is not reachable, so the registry crates come from a *directory source* (cargo's vendored
sources, `[source.crates-io] replace-with`) that this fixture writes: cargo still records them as
crates.io packages, with the checksum from ``.cargo-checksum.json``.  A git dependency comes from a
local repository (``git+file://``), a path dependency from the workspace.  The lock file version
follows the package's ``rust-version``, as cargo chooses it: v4 (none), v3 (1.70), v2 (1.50) and v1
(1.38, where the checksums move to ``[metadata]``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REGISTRY_CRATES = {  # name, version -> the crate's lib.rs
    ("itoa", "1.0.9"): "pub fn fmt(n: u32) -> String { n.to_string() }\n",
    ("cfg-if", "1.0.0"): "#[macro_export]\nmacro_rules! cfg_if { () => {} }\n",
}
LOCK_VERSIONS = {  # lock file version -> (edition, rust-version)
    4: ("2021", None),
    3: ("2021", "1.70"),
    2: ("2018", "1.50"),
    1: ("2015", "1.38"),
}


@dataclass(frozen=True)
class CargoProject:
    version: int
    root: Path
    lock: Path
    metadata: dict[str, Any]  # `cargo metadata --format-version 1 --offline`


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def write_directory_source(root: Path) -> None:
    for (name, version), lib in REGISTRY_CRATES.items():
        crate = root / f"{name}-{version}"
        (crate / "src").mkdir(parents=True)
        (crate / "Cargo.toml").write_text(f'[package]\nname = "{name}"\nversion = "{version}"\n')
        (crate / "src" / "lib.rs").write_text(lib)
        digest = hashlib.sha256(f"{name}-{version}.crate".encode()).hexdigest()
        (crate / ".cargo-checksum.json").write_text(json.dumps({"files": {}, "package": digest}))


def write_git_repo(root: Path) -> None:
    (root / "src").mkdir(parents=True)
    (root / "Cargo.toml").write_text('[package]\nname = "gitdep"\nversion = "0.9.0"\n')
    (root / "src" / "lib.rs").write_text("pub fn g() -> u8 { 7 }\n")
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", "-c", "init.defaultBranch=main"]
    run([*git, "init", "-q", "."], root)
    run([*git, "add", "."], root)
    run([*git, "commit", "-qm", "init"], root)


def write_project(root: Path, edition: str, rust_version: str | None, git_url: str) -> None:
    (root / "src").mkdir(parents=True)
    (root / "helper" / "src").mkdir(parents=True)
    rv = f'rust-version = "{rust_version}"\n' if rust_version else ""
    (root / "Cargo.toml").write_text(
        f'[package]\nname = "proj"\nversion = "0.1.0"\nedition = "{edition}"\n{rv}\n'
        '[workspace]\nmembers = ["helper"]\n\n'
        f'[dependencies]\nitoa = "1"\nhelper = {{ path = "helper" }}\ngitdep = {{ git = "{git_url}" }}\n\n'
        '[build-dependencies]\ncfg-if = "1.0"\n'
    )
    (root / "src" / "main.rs").write_text("fn main() {}\n")
    (root / "helper" / "Cargo.toml").write_text(
        f'[package]\nname = "helper"\nversion = "2.4.0"\nedition = "{edition}"\n{rv}'
    )
    (root / "helper" / "src" / "lib.rs").write_text("pub fn one() -> u32 { 1 }\n")


@pytest.fixture(scope="session")
def cargo_projects(tmp_path_factory: pytest.TempPathFactory) -> dict[int, CargoProject]:
    cargo = shutil.which("cargo")
    if cargo is None:
        pytest.skip("cargo not installed: needed to write real Cargo.lock files")
    if shutil.which("git") is None:
        pytest.skip("git not installed: needed for a git dependency")
    base = tmp_path_factory.mktemp("cargo")
    write_directory_source(base / "vendor")
    write_git_repo(base / "gitdep")
    home = base / "cargo-home"
    home.mkdir()
    (home / "config.toml").write_text(
        '[source.crates-io]\nreplace-with = "vendored"\n\n'
        f'[source.vendored]\ndirectory = "{base / "vendor"}"\n'
    )
    env = {**os.environ, "CARGO_HOME": str(home), "RUSTUP_HOME": os.environ.get("RUSTUP_HOME", "")}
    if not env["RUSTUP_HOME"]:
        env["RUSTUP_HOME"] = str(Path.home() / ".rustup")
    out: dict[int, CargoProject] = {}
    for version, (edition, rust_version) in LOCK_VERSIONS.items():
        root = base / f"v{version}"
        write_project(root, edition, rust_version, (base / "gitdep").as_uri())
        run([cargo, "generate-lockfile"], root, env)  # only file:// git and the directory source: no network
        meta = json.loads(run([cargo, "metadata", "--format-version", "1", "--offline"], root, env))
        out[version] = CargoProject(version, root, root / "Cargo.lock", meta)
    return out


def auditable_json(metadata: dict[str, Any]) -> dict[str, Any]:
    """What cargo-auditable embeds (format 0, from ``cargo metadata``; auditable-serde): packages sorted
    by name, ``source`` reduced to crates.io/git/local/registry, ``kind`` build when reached only through
    build dependencies, ``dependencies`` as indices, ``root`` on the top-level crate; defaults omitted."""
    resolve = metadata["resolve"]
    nodes = {n["id"]: n for n in resolve["nodes"]}
    kinds = {resolve["root"]: "runtime"}
    queue = [resolve["root"]]
    while queue:
        parent = queue.pop(0)
        for dep in nodes[parent]["deps"]:
            dep_kinds = {k["kind"] or "normal" for k in dep["dep_kinds"]}
            if dep_kinds == {"dev"}:
                continue
            kind = "runtime" if "normal" in dep_kinds and kinds[parent] == "runtime" else "build"
            seen = kinds.get(dep["pkg"])
            if seen is None or (seen == "build" and kind == "runtime"):
                kinds[dep["pkg"]] = kind
                queue.append(dep["pkg"])
    pkgs = sorted((p for p in metadata["packages"] if p["id"] in kinds), key=lambda p: (p["name"], p["id"]))
    index = {p["id"]: i for i, p in enumerate(pkgs)}
    out = []
    for p in pkgs:
        source = p["source"]
        if source is None:
            kind_of_source = "local"
        elif source == "registry+https://github.com/rust-lang/crates.io-index":
            kind_of_source = "crates.io"
        else:
            kind_of_source = source.split("+", 1)[0]
        entry: dict[str, Any] = {"name": p["name"], "version": p["version"], "source": kind_of_source}
        if kinds[p["id"]] == "build":
            entry["kind"] = "build"
        deps = sorted(index[d["pkg"]] for d in nodes[p["id"]]["deps"] if d["pkg"] in index)
        if deps:
            entry["dependencies"] = deps
        if p["id"] == resolve["root"]:
            entry["root"] = True
        out.append(entry)
    return {"packages": out}
