"""Real images for the tests, built without a network by the real tools.

``umoci`` builds OCI layouts layer by layer (``unpack`` → change the rootfs → ``repack``: umoci itself
writes the whiteouts for what was deleted); ``skopeo copy`` moves an image between oci, oci-archive,
docker-archive, containers-storage and a registry.  Content is real: this machine's own dpkg database and
os-release, and distributions pip installed into this project's virtual environment.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

SITE = "/usr/lib/python3/dist-packages"
#: real distributions pip installed into .venv (dependencies of stockade, so always there)
PY_DISTS = ("click", "rich", "PyYAML", "orjson", "packaging", "platformdirs")


def need(*tools: str) -> None:
    for tool in tools:
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (Debian package {tool}); `make test` installs it as root")


def run(*cmd: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def dist_info_dir(name: str) -> Path:
    dist = importlib.metadata.distribution(name)
    path = Path(str(dist._path))  # type: ignore[attr-defined]
    assert path.name.endswith(".dist-info"), path
    return path


def copy_dist(name: str, rootfs: Path) -> tuple[str, str]:
    """Copy the installed ``.dist-info`` of ``name`` into the image's site-packages; (name, version)."""
    src = dist_info_dir(name)
    dest = rootfs / SITE.lstrip("/") / src.name
    shutil.copytree(src, dest)
    meta = importlib.metadata.distribution(name).metadata
    return meta["Name"], meta["Version"]


def base_rootfs(rootfs: Path) -> None:
    """The machine's own os-release and dpkg status: a real Debian package set."""
    (rootfs / "etc").mkdir(parents=True, exist_ok=True)
    shutil.copy("/etc/os-release", rootfs / "etc/os-release")
    (rootfs / "var/lib/dpkg").mkdir(parents=True, exist_ok=True)
    shutil.copy("/var/lib/dpkg/status", rootfs / "var/lib/dpkg/status")


def host_dpkg() -> set[tuple[str, str]]:
    out = run("dpkg-query", "-W", "-f", "${Package}\t${Version}\n")
    return {tuple(line.split("\t", 1)) for line in out.splitlines() if line}  # type: ignore[misc]


def umoci_image(
    layout: Path, tag: str, steps: Iterable[Callable[[Path], None]], *, config: list[str] = ()
) -> str:
    """An OCI layout at ``layout`` with one layer per step; returns ``layout:tag``."""
    need("umoci")
    ref = f"{layout}:{tag}"
    if not (layout / "oci-layout").exists():
        run("umoci", "init", "--layout", str(layout))
    run("umoci", "new", "--image", ref)
    if config:
        run("umoci", "config", "--image", ref, *config)
    bundle = layout.parent / f"bundle-{tag}"
    for i, step in enumerate(steps):
        shutil.rmtree(bundle, ignore_errors=True)
        run("umoci", "unpack", "--image", ref, str(bundle))
        step(bundle / "rootfs")
        run("umoci", "repack", "--image", ref, "--history.created_by", f"step {i + 1}", str(bundle))
    shutil.rmtree(bundle, ignore_errors=True)
    return ref


def skopeo(src: str, dst: str, *extra: str) -> None:
    need("skopeo")
    run("skopeo", "copy", "--quiet", *extra, src, dst)


def podman_store(tmp: Path) -> dict[str, str]:
    """Environment for podman/skopeo using a private containers-storage (vfs) under ``tmp``."""
    tmp.mkdir(parents=True, exist_ok=True)
    conf = tmp / "storage.conf"
    conf.write_text(
        f'[storage]\ndriver = "vfs"\ngraphroot = "{tmp / "graph"}"\nrunroot = "{tmp / "run"}"\n',
        encoding="utf-8",
    )
    return {**os.environ, "CONTAINERS_STORAGE_CONF": str(conf)}
