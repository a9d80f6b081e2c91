"""Real Go programs, built once per session with the Go toolchain of this machine, offline.

The module proxy is not reachable, so dependencies come from two offline sources the go command
supports: a ``replace`` by a local directory, and a ``GOPROXY=file://`` directory in the module proxy
layout (``<module>/@v/list``, ``.info``, ``.mod``, ``.zip``) that this fixture writes.  The main module
``example.com/hello`` requires:

* ``example.com/dep v1.2.3``    replaced by the directory ``./dep``
* ``example.com/plain v0.2.0``  from the file proxy (with a real ``h1:`` sum)
* ``example.com/other v0.4.0``  replaced by the module ``example.com/fork v1.0.0`` from the file proxy
* ``example.com/indirect v0.1.0`` required by ``plain`` only (so ``// indirect`` after ``go mod tidy``)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

CACHE = Path(__file__).resolve().parents[2] / ".cache" / "go-build"

PROXY_MODULES: dict[tuple[str, str], dict[str, str]] = {
    ("example.com/plain", "v0.2.0"): {
        "go.mod": "module example.com/plain\n\ngo 1.16\n\nrequire example.com/indirect v0.1.0\n",
        "plain.go": 'package plain\n\nimport "example.com/indirect"\n\n'
        'func Plain() string { return "plain " + indirect.Word() }\n',
    },
    ("example.com/indirect", "v0.1.0"): {
        "go.mod": "module example.com/indirect\n\ngo 1.16\n",
        "indirect.go": 'package indirect\n\nfunc Word() string { return "indirect" }\n',
    },
    ("example.com/fork", "v1.0.0"): {
        # a fork keeps the import path of the module it replaces
        "go.mod": "module example.com/other\n\ngo 1.16\n",
        "other.go": 'package other\n\nfunc Name() string { return "fork" }\n',
    },
    ("example.com/other", "v0.4.0"): {
        "go.mod": "module example.com/other\n\ngo 1.16\n",
        "other.go": 'package other\n\nfunc Name() string { return "other" }\n',
    },
}

MAIN_GO_MOD = """module example.com/hello

go 1.17

require (
	example.com/dep v1.2.3
	example.com/other v0.4.0
	example.com/plain v0.2.0
)

replace example.com/dep v1.2.3 => ./dep

replace example.com/other => example.com/fork v1.0.0
"""

MAIN_GO = """package main

import (
	"fmt"

	"example.com/dep"
	"example.com/other"
	"example.com/plain"
)

func main() { fmt.Println(dep.Hello(), other.Name(), plain.Plain()) }
"""

CROSS = {  # name -> (GOOS, GOARCH): every executable format and byte order the reader supports
    "hello-windows-amd64.exe": ("windows", "amd64"),
    "hello-darwin-arm64": ("darwin", "arm64"),
    "hello-linux-386": ("linux", "386"),
    "hello-linux-mips": ("linux", "mips"),
    "hello-linux-s390x": ("linux", "s390x"),
}


@dataclass(frozen=True)
class GoBuild:
    go: str
    env: dict[str, str]
    module: Path
    out: Path

    def build(self, name: str, *flags: str, goos: str | None = None, goarch: str | None = None) -> Path:
        env = dict(self.env)
        if goos:
            env.update(GOOS=goos, GOARCH=goarch or "amd64", CGO_ENABLED="0")
        target = self.out / name
        if not target.exists():
            run([self.go, "build", *flags, "-o", str(target), "."], cwd=self.module, env=env)
        return target

    def version_m(self, binary: Path) -> str:
        return run([self.go, "version", "-m", str(binary)], cwd=self.out, env=self.env)


def run(cmd: list[str], *, cwd: Path, env: dict[str, str]) -> str:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def write_proxy(root: Path) -> None:
    """A module proxy directory (go help goproxy: $GOPROXY/<module>/@v/<version>.{info,mod,zip})."""
    for (path, version), files in PROXY_MODULES.items():
        vdir = root / path / "@v"
        vdir.mkdir(parents=True, exist_ok=True)
        with open(vdir / "list", "a", encoding="utf-8") as fh:
            fh.write(version + "\n")
        (vdir / f"{version}.info").write_text(
            json.dumps({"Version": version, "Time": "2023-01-02T03:04:05Z"})
        )
        (vdir / f"{version}.mod").write_text(files["go.mod"])
        with zipfile.ZipFile(vdir / f"{version}.zip", "w") as zf:
            for name, content in files.items():
                zf.writestr(f"{path}@{version}/{name}", content)


def write_module(root: Path) -> None:
    (root / "dep").mkdir(parents=True)
    (root / "go.mod").write_text(MAIN_GO_MOD)
    (root / "main.go").write_text(MAIN_GO)
    (root / "dep" / "go.mod").write_text("module example.com/dep\n\ngo 1.16\n")
    (root / "dep" / "dep.go").write_text('package dep\n\nfunc Hello() string { return "hello" }\n')


@pytest.fixture(scope="session")
def gobuild(tmp_path_factory: pytest.TempPathFactory) -> GoBuild:
    go = shutil.which("go")
    if go is None:
        pytest.skip("go not installed: `apt-get install golang-go` to build real Go executables")
    base = tmp_path_factory.mktemp("gobuild")
    write_proxy(base / "proxy")
    write_module(base / "hello")
    (base / "out").mkdir()
    CACHE.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "GOPROXY": (base / "proxy").as_uri(),
        "GOSUMDB": "off",
        "GOFLAGS": "-mod=mod -modcacherw -buildvcs=false",
        "GOTOOLCHAIN": "local",
        "GOPATH": str(base / "gopath"),
        "GOCACHE": str(CACHE),
        "GO111MODULE": "on",
    }
    gb = GoBuild(go, env, base / "hello", base / "out")
    run([go, "mod", "tidy"], cwd=gb.module, env=env)
    return gb
