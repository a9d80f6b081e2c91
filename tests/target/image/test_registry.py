"""RegistryClient against a real registry (Debian docker-registry, anonymous, plain HTTP on loopback)."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from stockade.errors import InputError
from stockade.target.image.auth import AuthLookup
from stockade.target.image.digest import DigestMismatchError, VerifyingReader
from stockade.target.image.registry import (
    DOCKER_MANIFEST,
    OCI_INDEX,
    OCI_MANIFEST,
    RegistryClient,
    RegistryError,
)
from tests.target.image.registry_fixture import (
    Image,
    Index,
    RegistryServer,
    free_port,
    push_standard_images,
    start_registry,
)


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    with start_registry(tmp_path_factory.mktemp("registry")) as server:
        server.images = push_standard_images(server, tmp_path_factory.mktemp("oci"))
        yield server


@pytest.fixture
def client(registry: RegistryServer) -> RegistryClient:
    return RegistryClient(registry.netloc, insecure=True, auth=AuthLookup.anonymous(registry.netloc))


def image(registry: RegistryServer, name: str) -> Image:
    item = registry.images[name]
    assert isinstance(item, Image)
    return item


def test_manifest_by_tag(registry: RegistryServer, client: RegistryClient) -> None:
    app = image(registry, "app:1.0")
    body, media_type, digest = client.get_manifest("app", "1.0")
    assert body == app.manifest
    assert media_type == OCI_MANIFEST
    assert digest == app.manifest_digest == "sha256:" + hashlib.sha256(body).hexdigest()


def test_manifest_matches_skopeo(registry: RegistryServer, client: RegistryClient) -> None:
    """An independent client (skopeo) sees the same bytes and digest."""
    skopeo = shutil.which("skopeo")
    if skopeo is None:
        pytest.skip("skopeo not installed: cross-checks the pulled manifest")
    ref = f"docker://{registry.netloc}/app:1.0"
    raw = subprocess.run(
        [skopeo, "inspect", "--raw", "--tls-verify=false", ref], capture_output=True, check=True
    )
    digest = subprocess.run(
        [skopeo, "inspect", "--format", "{{.Digest}}", "--tls-verify=false", ref],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    body, _, got = client.get_manifest("app", "1.0")
    assert body == raw.stdout
    assert got == digest


def test_manifest_by_digest(registry: RegistryServer, client: RegistryClient) -> None:
    app = image(registry, "app:1.0")
    body, media_type, digest = client.get_manifest("app", app.manifest_digest)
    assert (body, media_type, digest) == (app.manifest, OCI_MANIFEST, app.manifest_digest)


def test_multi_platform_index(registry: RegistryServer, client: RegistryClient) -> None:
    multi = registry.images["app:multi"]
    assert isinstance(multi, Index)
    body, media_type, digest = client.get_manifest("app", "multi")
    assert (media_type, digest) == (OCI_INDEX, multi.index_digest)
    platforms = [m["platform"]["architecture"] for m in json.loads(body)["manifests"]]
    assert platforms == ["amd64", "arm64"]
    for child in multi.images:
        body, media_type, digest = client.get_manifest("app", child.manifest_digest)
        assert (body, media_type) == (child.manifest, OCI_MANIFEST)
        config = json.loads(client.read_blob("app", child.config_digest))
        assert config["architecture"] == child.platform["architecture"]


def test_accept_only_docker_types(registry: RegistryServer, client: RegistryClient) -> None:
    """An OCI manifest cannot be converted by the registry: it answers 404 when OCI is not accepted."""
    with pytest.raises(RegistryError) as info:
        client.get_manifest("app", "1.0", accept=[DOCKER_MANIFEST])
    assert info.value.status == 404
    assert "127.0.0.1" in info.value.message and "app:1.0" in info.value.message


def test_blob_streams_and_verifies(registry: RegistryServer, client: RegistryClient) -> None:
    big = image(registry, "big:1")
    layer = big.layer_digests[0]
    expected = big.blobs[layer]
    tracemalloc.start()
    try:
        with client.open_blob("big", layer, size=len(expected)) as stream:
            hasher = hashlib.sha256()
            total = 0
            while chunk := stream.read(64 * 1024):
                hasher.update(chunk)
                total += len(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == len(expected) > 8 * 1024 * 1024
    assert "sha256:" + hasher.hexdigest() == layer
    assert isinstance(stream, VerifyingReader) and stream.verified
    # streamed: never anywhere near the 8 MiB blob in memory at once
    assert peak < 2 * 1024 * 1024, peak


def test_blob_unverified_stream_for_callers_own_reader(
    registry: RegistryServer, client: RegistryClient
) -> None:
    app = image(registry, "app:1.0")
    layer = app.layer_digests[0]
    raw = client.open_blob("app", layer, verify=False)
    assert not isinstance(raw, VerifyingReader)
    with VerifyingReader(raw, layer, len(app.blobs[layer])) as reader:
        assert reader.read() == app.blobs[layer]
        assert reader.verified


def test_blob_wrong_size_is_caught(registry: RegistryServer, client: RegistryClient) -> None:
    app = image(registry, "app:1.0")
    layer = app.layer_digests[0]
    with (
        pytest.raises(DigestMismatchError, match="size mismatch"),
        client.open_blob("app", layer, size=10) as s,
    ):
        s.read()


def test_not_found_errors(registry: RegistryServer, client: RegistryClient) -> None:
    with pytest.raises(RegistryError) as info:
        client.get_manifest("app", "nope")
    assert info.value.status == 404
    assert info.value.message.startswith(f"{registry.netloc}/app:nope not found")
    assert "MANIFEST_UNKNOWN" in info.value.message

    with pytest.raises(RegistryError) as info:
        client.get_manifest("no/such/repo", "latest")
    assert info.value.status == 404
    assert "no/such/repo" in info.value.message

    missing = "sha256:" + "0" * 64
    with pytest.raises(RegistryError) as info:
        client.open_blob("app", missing)
    assert info.value.status == 404
    assert info.value.message.startswith(f"blob {missing} in {registry.netloc}/app not found")


def test_invalid_arguments_never_reach_the_network(client: RegistryClient) -> None:
    for repo, ref in [("../x", "1"), ("app", "../../v2"), ("app", "sha256:zz"), ("App", "1")]:
        with pytest.raises(InputError):
            client.get_manifest(repo, ref)
    with pytest.raises(InputError):
        client.open_blob("app", "latest")


def test_connection_refused_names_host_and_port() -> None:
    port = free_port()
    client = RegistryClient(f"127.0.0.1:{port}", insecure=True, retries=0)
    with pytest.raises(RegistryError) as info:
        client.get_manifest("app", "1")
    assert info.value.message == f"cannot connect to 127.0.0.1:{port}: connection refused"


@pytest.mark.parametrize(
    "host", ["registry.example.com", "10.0.0.1:5000", "[2001:db8::1]:5000", "localhost.evil"]
)
def test_insecure_refused_for_non_loopback(host: str) -> None:
    with pytest.raises(InputError) as info:
        RegistryClient(host, insecure=True)
    assert "loopback" in info.value.message and host in info.value.message


@pytest.mark.parametrize("host", ["127.0.0.1:5000", "127.1.2.3", "localhost:5000", "[::1]:5000", "LOCALHOST"])
def test_insecure_allowed_for_loopback(host: str) -> None:
    assert RegistryClient(host, insecure=True).base == f"http://{host}"


def test_https_by_default() -> None:
    assert RegistryClient("quay.io").base == "https://quay.io"
    assert RegistryClient("docker.io").base == "https://registry-1.docker.io"


def test_missing_ca_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot load CA certificates"):
        RegistryClient("quay.io", ca_file=str(tmp_path / "missing.pem"))
