"""``--platform`` picks one image of a multi-platform index, from a real registry and from a layout."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from stockade.target.image.manifest import host_platform
from tests.conftest import run_cli
from tests.target.image.registry_fixture import RegistryServer, push_standard_images, start_registry


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    with start_registry(tmp_path_factory.mktemp("reg")) as server:
        server.images = push_standard_images(server, tmp_path_factory.mktemp("oci"))
        yield server


def scan(*args: str) -> tuple[int, dict[str, object] | None, str]:
    proc = run_cli("image", *args, "--format", "json", "--quiet", "--no-store")
    return proc.returncode, json.loads(proc.stdout) if proc.returncode == 0 else None, proc.stderr


def platform_of(doc: dict[str, object] | None) -> str:
    assert doc is not None
    return str(doc["target"]["image"]["platform"])  # type: ignore[index]


def test_platform_from_registry_index(registry: RegistryServer) -> None:
    ref = f"{registry.netloc}/app:multi"
    code, doc, err = scan(ref, "--insecure", "--platform", "linux/arm64")
    assert code == 0, err
    assert platform_of(doc) == "linux/arm64"
    code, doc, err = scan(ref, "--insecure")
    assert code == 0, err
    assert platform_of(doc) == str(host_platform())


def test_unknown_platform_lists_the_available_ones(registry: RegistryServer) -> None:
    code, _, err = scan(f"{registry.netloc}/app:multi", "--insecure", "--platform", "linux/s390x")
    assert code == 2
    assert "no manifest for platform linux/s390x" in err and "linux/arm64" in err


def test_bad_platform_syntax() -> None:
    code, _, err = scan("/nonexistent", "--platform", "linux")
    assert code == 2 and "os/architecture" in err


def test_insecure_is_only_for_loopback(tmp_path: Path) -> None:
    code, _, err = scan("registry.example.com/app:1", "--insecure", "--input", "registry")
    assert code == 2 and "loopback" in err
