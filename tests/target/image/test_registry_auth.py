"""RegistryClient authentication against a real registry: htpasswd (basic, over TLS) and token (JWT)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from stockade.target.image.auth import AuthLookup
from stockade.target.image.registry import OCI_MANIFEST, RegistryClient, RegistryError
from tests.target.image.registry_fixture import (
    PASSWORD,
    USER,
    Image,
    RegistryServer,
    make_image,
    start_registry,
    write_layout,
)


def _push_app(server: RegistryServer, workdir: Path) -> None:
    app = make_image({"etc/hello.txt": b"hello\n"})
    server.skopeo_copy(f"oci:{write_layout(workdir, {'app': app})}:app", "team/app:1.0")
    server.images = {"team/app:1.0": app}


@pytest.fixture(scope="module")
def basic_tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    with start_registry(tmp_path_factory.mktemp("registry"), auth="htpasswd", tls=True) as server:
        _push_app(server, tmp_path_factory.mktemp("oci"))
        yield server


@pytest.fixture(scope="module")
def token(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    with start_registry(tmp_path_factory.mktemp("registry"), auth="token") as server:
        _push_app(server, tmp_path_factory.mktemp("oci"))
        yield server


def app_image(server: RegistryServer) -> Image:
    item = server.images["team/app:1.0"]
    assert isinstance(item, Image)
    return item


def auth_file(tmp_path: Path, host: str, user: str, password: str) -> Path:
    path = tmp_path / "auth.json"
    path.write_text(
        json.dumps({"auths": {host: {"auth": base64.b64encode(f"{user}:{password}".encode()).decode()}}})
    )
    return path


@pytest.fixture
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No credential file of this machine's user is looked at."""
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    for name in ("REGISTRY_AUTH_FILE", "XDG_RUNTIME_DIR", "DOCKER_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    return home


# -- basic auth (htpasswd) over TLS -----------------------------------------------------------------


def test_basic_auth_over_tls_with_ca_file(basic_tls: RegistryServer) -> None:
    client = RegistryClient(
        basic_tls.netloc, ca_file=basic_tls.ca_file, auth=AuthLookup.given(basic_tls.netloc, USER, PASSWORD)
    )
    assert client.base.startswith("https://")
    app = app_image(basic_tls)
    body, media_type, digest = client.get_manifest("team/app", "1.0")
    assert (body, media_type, digest) == (app.manifest, OCI_MANIFEST, app.manifest_digest)
    layer = app.layer_digests[0]
    with client.open_blob("team/app", layer) as stream:
        assert stream.read() == app.blobs[layer]


def test_tls_untrusted_without_ca_file(basic_tls: RegistryServer) -> None:
    client = RegistryClient(basic_tls.netloc, auth=AuthLookup.given(basic_tls.netloc, USER, PASSWORD))
    with pytest.raises(RegistryError) as info:
        client.get_manifest("team/app", "1.0")
    assert info.value.message.startswith(f"TLS certificate verification failed for {basic_tls.netloc}: ")
    assert "ca_file" in info.value.diagnostics()


def test_basic_credentials_from_the_auth_file(
    basic_tls: RegistryServer, isolated_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REGISTRY_AUTH_FILE", str(auth_file(tmp_path, basic_tls.netloc, USER, PASSWORD)))
    client = RegistryClient(basic_tls.netloc, ca_file=basic_tls.ca_file)  # auth=None: look it up
    assert client.get_manifest("team/app", "1.0")[2] == app_image(basic_tls).manifest_digest


def test_basic_wrong_password_names_the_file(
    basic_tls: RegistryServer, isolated_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = auth_file(tmp_path, basic_tls.netloc, USER, "not-the-password")
    monkeypatch.setenv("REGISTRY_AUTH_FILE", str(path))
    client = RegistryClient(basic_tls.netloc, ca_file=basic_tls.ca_file)
    with pytest.raises(RegistryError) as info:
        client.get_manifest("team/app", "1.0")
    message = info.value.message
    assert info.value.status == 401
    assert f"credentials for user '{USER}' from {path} were rejected" in message
    assert "not-the-password" not in message + info.value.diagnostics()


def test_basic_no_credentials_lists_the_files(basic_tls: RegistryServer, isolated_env: Path) -> None:
    client = RegistryClient(basic_tls.netloc, ca_file=basic_tls.ca_file)
    with pytest.raises(RegistryError) as info:
        client.get_manifest("team/app", "1.0")
    message = info.value.message
    assert message.startswith(f"registry {basic_tls.netloc} requires a user name and password: ")
    assert f"no credentials for {basic_tls.netloc} found (looked in: " in message
    assert str(isolated_env / ".docker" / "config.json") + " (missing)" in message
    assert "podman login" in info.value.diagnostics()


# -- token auth ------------------------------------------------------------------------------------


def test_token_flow_pulls_and_caches_the_token(token: RegistryServer) -> None:
    assert token.token_server is not None
    before = len(token.token_server.requests)
    client = RegistryClient(token.netloc, insecure=True, auth=AuthLookup.given(token.netloc, USER, PASSWORD))
    app = app_image(token)
    body, media_type, digest = client.get_manifest("team/app", "1.0")
    assert (body, media_type, digest) == (app.manifest, OCI_MANIFEST, app.manifest_digest)
    assert client.get_manifest("team/app", digest)[0] == app.manifest
    for blob_digest, data in app.blobs.items():
        with client.open_blob("team/app", blob_digest, size=len(data)) as stream:
            assert stream.read() == data
    # one token for the scope, fetched with the user's basic credentials, reused for the rest
    assert token.token_server.requests[before:] == [(USER, ["repository:team/app:pull"])]


def test_token_expiry_fetches_a_new_one(token: RegistryServer) -> None:
    assert token.token_server is not None
    now = [1000.0]
    client = RegistryClient(
        token.netloc, insecure=True, auth=AuthLookup.given(token.netloc, USER, PASSWORD), clock=lambda: now[0]
    )
    before = len(token.token_server.requests)
    client.get_manifest("team/app", "1.0")
    now[0] += 3600  # the 300 s token has expired
    client.get_manifest("team/app", "1.0")
    assert len(token.token_server.requests) - before == 2


def test_token_wrong_password(token: RegistryServer) -> None:
    client = RegistryClient(token.netloc, insecure=True, auth=AuthLookup.given(token.netloc, USER, "wrong"))
    with pytest.raises(RegistryError) as info:
        client.get_manifest("team/app", "1.0")
    assert info.value.status == 401
    assert "denied by the token service at 127.0.0.1:" in info.value.message
    assert f"credentials for user '{USER}' (given explicitly) were rejected" in info.value.message


def test_token_anonymous_is_denied_and_says_credentials_are_missing(
    token: RegistryServer, isolated_env: Path
) -> None:
    client = RegistryClient(token.netloc, insecure=True)
    with pytest.raises(RegistryError) as info:
        client.get_manifest("team/app", "1.0")
    message = info.value.message
    assert info.value.status == 401
    assert "credentials are missing" in message
    assert f"no credentials for {token.netloc} found (looked in: " in message
