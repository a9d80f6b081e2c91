"""A real registry on loopback for tests: Debian's ``docker-registry`` (distribution 2.8), plus content.

Usage (fixtures are module-scoped in the test files, because a registry takes ~0.3 s to start and pushing
takes ~1 s)::

    from tests.target.image.registry_fixture import push_standard_images, start_registry

    @pytest.fixture(scope="module")
    def registry(tmp_path_factory):
        with start_registry(tmp_path_factory.mktemp("reg")) as server:   # auth="htpasswd"|"token", tls=True
            server.images = push_standard_images(server, tmp_path_factory.mktemp("oci"))
            yield server

``start_registry`` skips the test (with the reason) when ``docker-registry`` or a tool a variant needs is
missing.  ``push_standard_images`` builds OCI layouts by hand (``make_image``, ``write_layout``) and
pushes them with ``skopeo copy`` (``--dest-tls-verify=false``): ``app:1.0`` (one gzip layer),
``app:multi`` (an OCI index with linux/amd64 and linux/arm64 images) and ``big:1`` (one 8 MiB
uncompressed layer).  Each :class:`Image` records the digests and bytes that were written, so tests can
compare what the client pulls with what was pushed.

Variants:

* ``auth="none"``: anonymous, plain HTTP.
* ``auth="htpasswd"``: basic auth from an ``htpasswd -B`` file (Debian ``apache2-utils``); user
  ``alice``/``wonderland``.  distribution 2.8 does not insist on TLS for it; pass ``tls=True`` for a
  self-signed certificate (``openssl``), whose PEM is ``server.ca_file``.
* ``auth="token"``: the registry's ``auth: token`` mode with :class:`TokenServer`, a minimal token service
  (``http.server`` in a thread) that issues ES256 JWTs with an ``x5c`` header chaining to the registry's
  ``rootcertbundle`` (https://distribution.github.io/distribution/spec/auth/jwt/); needs ``cryptography``.
  Same user; anonymous requests get a token with no access; wrong passwords get 401.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import gzip
import hashlib
import io
import json
import os
import shutil
import socket
import ssl
import subprocess
import tarfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

USER = "alice"
PASSWORD = "wonderland"
SERVICE = "stockade-test-registry"
ISSUER = "stockade-test-issuer"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
LAYER_TAR = "application/vnd.oci.image.layer.v1.tar"


def require(tool: str, why: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} not installed: {why}")
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- content --------------------------------------------------------------------------------------


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def tar_bytes(files: dict[str, bytes]) -> bytes:
    """A deterministic tar of regular files (mtime 0, root-owned)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@dataclass
class Image:
    """One image manifest as written: every blob by digest, and the manifest's own bytes."""

    manifest: bytes
    manifest_digest: str
    config_digest: str
    layer_digests: list[str]
    blobs: dict[str, bytes]
    platform: dict[str, str]


@dataclass
class Index:
    index: bytes
    index_digest: str
    images: list[Image]


def make_image(files: dict[str, bytes], *, arch: str = "amd64", gzip_layer: bool = True) -> Image:
    tar = tar_bytes(files)
    layer = gzip.compress(tar, mtime=0) if gzip_layer else tar
    config = json.dumps(
        {
            "architecture": arch,
            "os": "linux",
            "config": {"Env": ["PATH=/usr/bin:/bin"]},
            "rootfs": {"type": "layers", "diff_ids": [sha256(tar)]},
            "history": [{"created_by": "stockade test fixture"}],
        },
        sort_keys=True,
    ).encode()
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "digest": sha256(config), "size": len(config)},
            "layers": [
                {
                    "mediaType": LAYER_GZIP if gzip_layer else LAYER_TAR,
                    "digest": sha256(layer),
                    "size": len(layer),
                }
            ],
        },
        sort_keys=True,
    ).encode()
    blobs = {sha256(config): config, sha256(layer): layer}
    platform = {"architecture": arch, "os": "linux"}
    return Image(manifest, sha256(manifest), sha256(config), [sha256(layer)], blobs, platform)


def make_index(images: list[Image]) -> Index:
    index = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [
                {
                    "mediaType": OCI_MANIFEST,
                    "digest": img.manifest_digest,
                    "size": len(img.manifest),
                    "platform": img.platform,
                }
                for img in images
            ],
        },
        sort_keys=True,
    ).encode()
    return Index(index, sha256(index), images)


def write_layout(directory: Path, refs: dict[str, Image | Index]) -> Path:
    """An OCI image layout (image-spec ``image-layout.md``) holding ``refs`` (ref name → image or index)."""
    blob_dir = directory / "blobs" / "sha256"
    blob_dir.mkdir(parents=True, exist_ok=True)
    (directory / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')

    def put(data: bytes) -> None:
        (blob_dir / sha256(data).removeprefix("sha256:")).write_bytes(data)

    entries: list[dict[str, Any]] = []
    for name, item in refs.items():
        images = item.images if isinstance(item, Index) else [item]
        for img in images:
            put(img.manifest)
            for blob in img.blobs.values():
                put(blob)
        top, media_type = (
            (item.index, OCI_INDEX) if isinstance(item, Index) else (item.manifest, OCI_MANIFEST)
        )
        put(top)
        entries.append(
            {
                "mediaType": media_type,
                "digest": sha256(top),
                "size": len(top),
                "annotations": {"org.opencontainers.image.ref.name": name},
            }
        )
    (directory / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": entries}))
    return directory


# -- the registry ---------------------------------------------------------------------------------


@dataclass
class RegistryServer:
    host: str
    port: int
    auth: str
    tls: bool
    root: Path
    ca_file: str | None = None
    token_server: TokenServer | None = None
    #: set by the test module's fixture (push_standard_images)
    images: dict[str, Image | Index] = field(default_factory=dict)

    @property
    def netloc(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.netloc}"

    def skopeo_copy(self, source: str, repository_tag: str, *, all_images: bool = False) -> None:
        """``skopeo copy SOURCE docker://HOST:PORT/REPOSITORY_TAG`` with this registry's credentials."""
        skopeo = require("skopeo", "pushes test images to the registry")
        cmd = [skopeo, "copy", "--quiet", "--preserve-digests", "--dest-tls-verify=false"]
        if self.auth != "none":
            cmd.append(f"--dest-creds={USER}:{PASSWORD}")
        if all_images:
            cmd.append("--all")
        cmd += [source, f"docker://{self.netloc}/{repository_tag}"]
        env = {**os.environ, "REGISTRY_AUTH_FILE": str(self.root / "skopeo-auth.json")}
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env, check=False)
        if done.returncode != 0:
            raise AssertionError(f"skopeo copy failed: {done.stderr.strip()}")


def _self_signed_tls(directory: Path) -> tuple[Path, Path]:
    openssl = require("openssl", "makes the registry's self-signed TLS certificate")
    cert, key = directory / "tls.crt", directory / "tls.key"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


def _wait_ready(server: RegistryServer, proc: subprocess.Popen[bytes], log: Path) -> None:
    context = ssl.create_default_context(cafile=server.ca_file) if server.tls else None
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"docker-registry exited with {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{server.url}/v2/", timeout=2, context=context):
                return
        except urllib.error.HTTPError as exc:
            if exc.code == 401:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"docker-registry did not answer /v2/ within 15 s: {log.read_text()[-2000:]}")


@contextlib.contextmanager
def start_registry(workdir: Path, *, auth: str = "none", tls: bool = False) -> Iterator[RegistryServer]:
    """Run ``docker-registry serve`` on a free 127.0.0.1 port until the ``with`` block ends."""
    binary = require(
        "docker-registry", "the tests pull from a real registry (Debian package docker-registry)"
    )
    server = RegistryServer("127.0.0.1", free_port(), auth, tls, workdir)
    config: dict[str, Any] = {
        "version": 0.1,
        "log": {"level": "warn", "accesslog": {"disabled": True}},
        "storage": {"filesystem": {"rootdirectory": str(workdir / "data")}, "delete": {"enabled": True}},
        "http": {"addr": server.netloc, "secret": uuid.uuid4().hex},
    }
    if tls:
        cert, key = _self_signed_tls(workdir)
        config["http"]["tls"] = {"certificate": str(cert), "key": str(key)}
        server.ca_file = str(cert)
    with contextlib.ExitStack() as stack:
        if auth == "htpasswd":
            htpasswd = require("htpasswd", "makes the bcrypt password file (Debian package apache2-utils)")
            line = subprocess.run(
                [htpasswd, "-Bbn", USER, PASSWORD], check=True, capture_output=True, text=True, timeout=60
            ).stdout.strip()
            (workdir / "htpasswd").write_text(line + "\n")
            config["auth"] = {"htpasswd": {"realm": "stockade-test", "path": str(workdir / "htpasswd")}}
        elif auth == "token":
            token_server = stack.enter_context(TokenServer.run(workdir))
            server.token_server = token_server
            config["auth"] = {
                "token": {
                    "realm": token_server.realm,
                    "service": SERVICE,
                    "issuer": ISSUER,
                    "rootcertbundle": str(token_server.bundle),
                }
            }
        elif auth != "none":
            raise ValueError(f"unknown auth variant {auth!r}")
        # JSON is YAML, and needs no YAML writer
        (workdir / "config.yml").write_text(json.dumps(config))
        log = workdir / "registry.log"
        with open(log, "wb") as log_file:
            proc = subprocess.Popen(
                [binary, "serve", str(workdir / "config.yml")], stdout=log_file, stderr=log_file
            )
        try:
            _wait_ready(server, proc, log)
            yield server
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def push_standard_images(server: RegistryServer, workdir: Path) -> dict[str, Image | Index]:
    """Push ``app:1.0``, ``app:multi`` (2 platforms) and ``big:1`` (8 MiB layer); return what was pushed."""
    app = make_image({"etc/hello.txt": b"hello from stockade\n", "etc/os-release": b"ID=stockade-test\n"})
    amd64 = make_image({"etc/arch": b"amd64\n"}, arch="amd64")
    arm64 = make_image({"etc/arch": b"arm64\n"}, arch="arm64")
    multi = make_index([amd64, arm64])
    big = make_image({"data/random.bin": os.urandom(8 * 1024 * 1024)}, gzip_layer=False)
    layout = write_layout(workdir / "layout", {"app": app, "multi": multi, "big": big})
    server.skopeo_copy(f"oci:{layout}:app", "app:1.0")
    server.skopeo_copy(f"oci:{layout}:multi", "app:multi", all_images=True)
    server.skopeo_copy(f"oci:{layout}:big", "big:1")
    return {"app:1.0": app, "app:multi": multi, "big:1": big}


# -- a token service for ``auth: token`` ---------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class TokenServer:
    """Issues registry bearer tokens (JWT, ES256, ``x5c``) for ``alice``; counts what it was asked."""

    def __init__(self, workdir: Path) -> None:
        ec = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.ec", reason="signs registry JWTs")
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.x509.oid import NameOID

        self.key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "stockade test token signer")])
        now = time.time()

        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(dt.datetime.fromtimestamp(now - 3600, dt.UTC))
            .not_valid_after(dt.datetime.fromtimestamp(now + 86400, dt.UTC))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        self.cert_der = cert.public_bytes(serialization.Encoding.DER)
        self.bundle = workdir / "token-root.pem"
        self.bundle.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        self.port = free_port()
        self.realm = f"http://127.0.0.1:{self.port}/token"
        #: (user or "", scopes) of every token request
        self.requests: list[tuple[str, list[str]]] = []
        self.lock = threading.Lock()

    def sign(self, claims: dict[str, Any]) -> str:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

        header = {"typ": "JWT", "alg": "ES256", "x5c": [base64.b64encode(self.cert_der).decode("ascii")]}
        signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        der = self.key.sign(signing_input.encode("ascii"), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        return f"{signing_input}.{_b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"

    def issue(self, user: str, scopes: list[str], service: str) -> str:
        access = []
        for scope in scopes:
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            if user and kind == "repository":
                access.append({"type": kind, "name": name, "actions": actions.split(",")})
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "sub": user,
            "aud": service,
            "exp": now + 300,
            "nbf": now - 10,
            "iat": now,
            "jti": uuid.uuid4().hex,
            "access": access,
        }
        return self.sign(claims)

    @classmethod
    @contextlib.contextmanager
    def run(cls, workdir: Path) -> Iterator[TokenServer]:
        server = cls(workdir)
        handler = type("Handler", (_TokenHandler,), {"token_server": server})
        httpd = ThreadingHTTPServer(("127.0.0.1", server.port), handler)
        thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        thread.start()
        try:
            yield server
        finally:
            httpd.shutdown()
            httpd.server_close()
            thread.join(timeout=5)


class _TokenHandler(BaseHTTPRequestHandler):
    token_server: TokenServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        user = ""
        header = self.headers.get("Authorization", "")
        if header.startswith("Basic "):
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            if (user, password) != (USER, PASSWORD):
                self._reply(401, {"errors": [{"code": "UNAUTHORIZED", "message": "bad credentials"}]})
                return
        scopes = query.get("scope", [])
        with self.token_server.lock:
            self.token_server.requests.append((user, scopes))
        token = self.token_server.issue(user, scopes, query.get("service", [""])[0])
        self._reply(200, {"token": token, "access_token": token, "expires_in": 300})

    def _reply(self, status: int, doc: dict[str, Any]) -> None:
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
