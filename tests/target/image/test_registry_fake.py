"""RegistryClient against tiny HTTP servers that misbehave on purpose: tampering, redirects, retries."""

from __future__ import annotations

import contextlib
import hashlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from stockade.target.image.auth import AuthLookup
from stockade.target.image.digest import DigestMismatchError
from stockade.target.image.registry import OCI_MANIFEST, RegistryClient, RegistryError
from stockade.target.image.registry_http import Challenge, basic_header, parse_challenges

MANIFEST = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "layers": []}).encode()
BLOB = b"layer bytes " * 5000


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    #: send this Content-Length instead of the body's (a truncated body)
    length: int | None = None
    #: close the connection without answering
    hang_up: bool = False
    delay: float = 0.0


Route = Callable[[BaseHTTPRequestHandler], Reply]


class Fake:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.log: list[tuple[str, str, dict[str, str]]] = []
        self.port = 0

    @property
    def netloc(self) -> str:
        return f"127.0.0.1:{self.port}"

    def route(self, path: str, *replies: Reply) -> None:
        """Answer ``path`` with ``replies`` in turn, repeating the last one."""
        queue = list(replies)

        def answer(_: BaseHTTPRequestHandler) -> Reply:
            return queue.pop(0) if len(queue) > 1 else queue[0]

        self.routes[path] = answer

    def hits(self, path: str) -> list[dict[str, str]]:
        return [headers for _, p, headers in self.log if p == path]


@contextmanager
def fake_server() -> Iterator[Fake]:
    fake = Fake()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            fake.log.append(("GET", self.path, dict(self.headers.items())))
            route = fake.routes.get(self.path.split("?")[0])
            reply = route(self) if route else Reply(404, b'{"errors":[{"code":"NOT_FOUND","message":"no"}]}')
            time.sleep(reply.delay)
            if reply.hang_up:
                self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True
                return
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header(
                "Content-Length", str(reply.length if reply.length is not None else len(reply.body))
            )
            self.send_header("Connection", "close")
            self.end_headers()
            # the client under test may hang up on purpose (a size limit, a timeout)
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(reply.body)
            self.close_connection = True

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def fake() -> Iterator[Fake]:
    with fake_server() as server:
        yield server


def client_for(fake: Fake, **kw: object) -> tuple[RegistryClient, list[float]]:
    sleeps: list[float] = []
    kw.setdefault("auth", AuthLookup.anonymous(fake.netloc))
    client = RegistryClient(fake.netloc, insecure=True, sleep=sleeps.append, **kw)  # type: ignore[arg-type]
    return client, sleeps


# -- tampering --------------------------------------------------------------------------------------


def test_manifest_by_digest_must_match(fake: Fake) -> None:
    wanted = sha(MANIFEST)
    fake.route(
        f"/v2/app/manifests/{wanted}", Reply(body=MANIFEST + b" ", headers={"Content-Type": OCI_MANIFEST})
    )
    client, _ = client_for(fake)
    with pytest.raises(DigestMismatchError) as info:
        client.get_manifest("app", wanted)
    assert info.value.message.startswith(f"digest mismatch for manifest {fake.netloc}/app@{wanted}: expected")


def test_manifest_docker_content_digest_is_checked(fake: Fake) -> None:
    headers = {"Content-Type": OCI_MANIFEST, "Docker-Content-Digest": sha(b"something else")}
    fake.route("/v2/app/manifests/1", Reply(body=MANIFEST, headers=headers))
    client, _ = client_for(fake)
    with pytest.raises(DigestMismatchError, match=r"manifest .*/app:1 \(Docker-Content-Digest\)"):
        client.get_manifest("app", "1")


def test_manifest_without_headers(fake: Fake) -> None:
    """No Docker-Content-Digest: sha256 of the body; no Content-Type: the body's mediaType."""
    fake.route("/v2/app/manifests/1", Reply(body=MANIFEST))
    client, _ = client_for(fake)
    assert client.get_manifest("app", "1") == (MANIFEST, OCI_MANIFEST, sha(MANIFEST))
    accept = fake.hits("/v2/app/manifests/1")[0]["Accept"]
    assert accept.split(", ") == [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ]


def test_manifest_too_large(fake: Fake) -> None:
    fake.route("/v2/app/manifests/1", Reply(body=b"{}", length=5 * 1024 * 1024))
    client, _ = client_for(fake)
    with pytest.raises(RegistryError, match="too large"):
        client.get_manifest("app", "1")


def test_truncated_manifest(fake: Fake) -> None:
    fake.route("/v2/app/manifests/1", Reply(body=MANIFEST[:10], length=len(MANIFEST)))
    client, _ = client_for(fake)
    with pytest.raises(
        RegistryError, match=r"connection closed while reading manifest .*app:1 \(\d+ bytes short\)"
    ):
        client.get_manifest("app", "1")


def test_tampered_blob_fails_at_eof(fake: Fake) -> None:
    digest = sha(BLOB)
    fake.route(f"/v2/app/blobs/{digest}", Reply(body=BLOB[:-1] + b"!"))
    client, _ = client_for(fake)
    stream = client.open_blob("app", digest)
    first = stream.read(100)
    assert first == BLOB[:100]  # streamed as it comes; judged only at the end
    with pytest.raises(DigestMismatchError) as info:
        stream.read()
    assert info.value.message.startswith(f"digest mismatch for blob {digest} in {fake.netloc}/app: ")


def test_truncated_blob_is_a_registry_error(fake: Fake) -> None:
    digest = sha(BLOB)
    fake.route(f"/v2/app/blobs/{digest}", Reply(body=BLOB[:1000], length=len(BLOB)))
    client, _ = client_for(fake)
    with (
        pytest.raises(RegistryError, match=r"reading blob .* after \d+ bytes"),
        client.open_blob("app", digest) as s,
    ):
        s.read()


# -- redirects --------------------------------------------------------------------------------------


def test_blob_redirect_drops_authorization(fake: Fake) -> None:
    digest = sha(BLOB)
    auth = basic_header("alice", "pw")

    def registry_blob(handler: BaseHTTPRequestHandler) -> Reply:
        if handler.headers.get("Authorization") != auth:
            return Reply(401, headers={"WWW-Authenticate": 'Basic realm="fake"'})
        return Reply(307, headers={"Location": f"http://127.0.0.1:{storage.port}/store/blob?sig=1"})

    with fake_server() as storage:
        storage.route("/store/blob", Reply(body=BLOB))
        fake.routes[f"/v2/app/blobs/{digest}"] = registry_blob
        client, _ = client_for(fake, auth=AuthLookup.given(fake.netloc, "alice", "pw"))
        with client.open_blob("app", digest, size=len(BLOB)) as stream:
            assert stream.read() == BLOB
        assert [h.get("Authorization") for h in fake.hits(f"/v2/app/blobs/{digest}")] == [None, auth]
        assert "Authorization" not in storage.hits("/store/blob?sig=1")[0]


def test_redirect_to_plain_http_elsewhere_is_refused(fake: Fake) -> None:
    digest = sha(BLOB)
    fake.route(f"/v2/app/blobs/{digest}", Reply(302, headers={"Location": "http://storage.example.com/b"}))
    client, _ = client_for(fake)
    with pytest.raises(RegistryError, match=r"redirected to plain http://storage\.example\.com; refusing"):
        client.open_blob("app", digest)


def test_redirect_loop(fake: Fake) -> None:
    fake.route("/v2/app/manifests/1", Reply(302, headers={"Location": "/v2/app/manifests/1"}))
    client, _ = client_for(fake)
    with pytest.raises(RegistryError, match="more than 10 redirects"):
        client.get_manifest("app", "1")


# -- retries ----------------------------------------------------------------------------------------


def test_5xx_is_retried_with_backoff(fake: Fake) -> None:
    fake.route("/v2/app/manifests/1", Reply(503), Reply(502), Reply(body=MANIFEST))
    client, sleeps = client_for(fake)
    assert client.get_manifest("app", "1")[0] == MANIFEST
    assert sleeps == [0.5, 1.0]


def test_retry_after_is_honoured_but_capped(fake: Fake) -> None:
    fake.route(
        "/v2/app/manifests/1",
        Reply(429, headers={"Retry-After": "2"}),
        Reply(503, headers={"Retry-After": "600"}),
        Reply(body=MANIFEST),
    )
    client, sleeps = client_for(fake)
    client.get_manifest("app", "1")
    assert sleeps == [2.0, 4.0]


def test_retries_are_bounded(fake: Fake) -> None:
    fake.route("/v2/app/manifests/1", Reply(500, b'{"errors":[{"code":"UNKNOWN","message":"boom"}]}'))
    client, sleeps = client_for(fake, retries=2)
    with pytest.raises(RegistryError) as info:
        client.get_manifest("app", "1")
    assert (
        info.value.message
        == f"registry {fake.netloc} answered HTTP 500 for {fake.netloc}/app:1 (UNKNOWN: boom)"
    )
    assert len(fake.hits("/v2/app/manifests/1")) == 3
    assert sleeps == [0.5, 1.0]


def test_reset_connection_is_retried(fake: Fake) -> None:
    fake.route("/v2/app/manifests/1", Reply(hang_up=True), Reply(body=MANIFEST))
    client, sleeps = client_for(fake)
    assert client.get_manifest("app", "1")[0] == MANIFEST
    assert len(sleeps) == 1


def test_timeout(fake: Fake) -> None:
    fake.route("/v2/app/manifests/1", Reply(body=MANIFEST, delay=1.0))
    client, _ = client_for(fake, timeout=0.2, retries=0)
    with pytest.raises(
        RegistryError, match=rf"timed out after 0.2s GET /v2/app/manifests/1 at {fake.netloc}"
    ):
        client.get_manifest("app", "1")


# -- authentication ---------------------------------------------------------------------------------


def test_plain_http_realm_elsewhere_is_refused(fake: Fake) -> None:
    challenge = 'Bearer realm="http://auth.example.com/token",service="x",scope="repository:app:pull"'
    fake.route("/v2/app/manifests/1", Reply(401, headers={"WWW-Authenticate": challenge}))
    client, _ = client_for(fake, auth=AuthLookup.given(fake.netloc, "u", "p"))
    with pytest.raises(RegistryError, match=r"plain-http token realm \(auth\.example\.com\); refusing"):
        client.get_manifest("app", "1")


def test_token_response_without_token(fake: Fake) -> None:
    challenge = f'Bearer realm="http://{fake.netloc}/token",service="svc"'
    fake.route("/v2/app/manifests/1", Reply(401, headers={"WWW-Authenticate": challenge}))
    fake.route("/token", Reply(body=b'{"nothing": 1}'))
    client, _ = client_for(fake)
    with pytest.raises(RegistryError, match="sent no usable token"):
        client.get_manifest("app", "1")
    # no scope in the challenge: the client asks for pull on the repository
    assert fake.log[-1][1] == "/token?service=svc&scope=repository%3Aapp%3Apull"


def test_access_token_field_and_forbidden(fake: Fake) -> None:
    challenge = f'Bearer realm="http://{fake.netloc}/token",service="svc",scope="repository:app:pull"'

    def manifest(handler: BaseHTTPRequestHandler) -> Reply:
        if handler.headers.get("Authorization") == "Bearer T0K":
            return Reply(
                403, b'{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}'
            )
        return Reply(401, headers={"WWW-Authenticate": challenge})

    fake.routes["/v2/app/manifests/1"] = manifest
    fake.route("/token", Reply(body=b'{"access_token": "T0K"}'))
    client, _ = client_for(fake, auth=AuthLookup.given(fake.netloc, "bob", "pw"))
    with pytest.raises(RegistryError) as info:
        client.get_manifest("app", "1")
    assert info.value.status == 403
    assert "credentials for user 'bob' (given explicitly) were not allowed to pull" in info.value.message
    assert "T0K" not in info.value.message
    token_request = fake.hits("/token?service=svc&scope=repository%3Aapp%3Apull")[0]
    assert token_request["Authorization"] == basic_header("bob", "pw")


def test_unsupported_scheme(fake: Fake) -> None:
    fake.route("/v2/app/manifests/1", Reply(401, headers={"WWW-Authenticate": "Negotiate"}))
    client, _ = client_for(fake)
    with pytest.raises(RegistryError, match="unsupported authentication: negotiate"):
        client.get_manifest("app", "1")


def test_loopback_bypasses_proxies(fake: Fake, monkeypatch: pytest.MonkeyPatch) -> None:
    dead = "http://127.0.0.1:9"  # nothing listens on the discard port
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.setenv(name, dead)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    fake.route("/v2/app/manifests/1", Reply(body=MANIFEST))
    client, _ = client_for(fake)
    assert client.get_manifest("app", "1")[0] == MANIFEST


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            [
                'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:a/b:pull"'
            ],
            [
                Challenge(
                    "bearer",
                    {
                        "realm": "https://auth.docker.io/token",
                        "service": "registry.docker.io",
                        "scope": "repository:a/b:pull",
                    },
                )
            ],
        ),
        (['Basic realm="Registry Realm"'], [Challenge("basic", {"realm": "Registry Realm"})]),
        (
            ['Bearer realm="r", scope="repository:a:pull,push", error="insufficient_scope"'],
            [
                Challenge(
                    "bearer", {"realm": "r", "scope": "repository:a:pull,push", "error": "insufficient_scope"}
                )
            ],
        ),
        (
            ['Basic realm="a", Bearer realm="b",service=s'],
            [Challenge("basic", {"realm": "a"}), Challenge("bearer", {"realm": "b", "service": "s"})],
        ),
        (
            ["Negotiate", 'BASIC Realm="x\\"y"'],
            [Challenge("negotiate"), Challenge("basic", {"realm": 'x"y'})],
        ),
        (['Bearer realm = "x" , service = y'], [Challenge("bearer", {"realm": "x", "service": "y"})]),
        ([""], []),
    ],
)
def test_parse_challenges(headers: list[str], expected: list[Challenge]) -> None:
    assert parse_challenges(headers) == expected
