"""A client for the OCI distribution API: pull manifests and stream blobs from a registry.

Spec: https://github.com/opencontainers/distribution-spec/blob/main/spec.md (``GET /v2/<name>/manifests/
<reference>``, ``GET /v2/<name>/blobs/<digest>``).  Authentication follows Docker's token spec
(https://distribution.github.io/distribution/spec/auth/token/): a ``401`` with ``WWW-Authenticate: Bearer
realm=…,service=…,scope=…`` sends us to the realm for a token (with basic credentials when we have them),
which is then sent as ``Authorization: Bearer``; a ``Basic`` challenge gets the credentials directly.

Security rules:

* ``https`` always, verified against the system CAs plus ``ca_file`` when given.  Plain ``http`` only
  with ``insecure=True`` *and* a loopback registry (127.0.0.0/8, ::1, ``localhost``); anything else is an
  :class:`InputError` raised before any connection is made.
* Redirects (blob storage often lives elsewhere) are followed by hand: the ``Authorization`` header goes
  only to the registry's own scheme://host:port, and never over plain http to a non-loopback host.
* Every manifest is checked against its digest; blobs are streamed through
  :class:`~stockade.target.image.digest.VerifyingReader` unless the caller verifies them itself.
* Credentials and tokens never appear in messages.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import BinaryIO, cast

from stockade import __version__
from stockade.errors import InputError
from stockade.target.image.auth import AuthLookup, find_credentials
from stockade.target.image.digest import ALGORITHMS, VerifyingReader, check_digest, compute_digest
from stockade.target.image.reference import DEFAULT_REGISTRY, validate_repository, validate_tag_or_digest
from stockade.target.image.registry_http import (
    BlobStream,
    Challenge,
    RegistryError,
    Transport,
    basic_header,
    host_port,
    is_loopback_host,
    parse_challenges,
)

__all__ = [
    "MANIFEST_MEDIA_TYPES",
    "RegistryClient",
    "RegistryError",
]

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MANIFEST_MEDIA_TYPES = (OCI_INDEX, OCI_MANIFEST, DOCKER_MANIFEST_LIST, DOCKER_MANIFEST)
#: containerd's limit too: a manifest is small, a huge one is an attack or a mistake
MAX_MANIFEST_SIZE = 4 * 1024 * 1024
MAX_TOKEN_RESPONSE_SIZE = 1024 * 1024
#: the token spec's default lifetime when the realm gives none
DEFAULT_TOKEN_LIFETIME = 60.0
_GENERIC_CONTENT_TYPES = {"", "application/octet-stream", "text/plain", "application/json"}


@dataclass(slots=True)
class _Token:
    value: str
    expires: float


class RegistryClient:
    """Talks to one registry (``host[:port]``; ``docker.io`` means Docker Hub).

    ``auth``: the credentials to use; None looks them up (:func:`find_credentials`) per repository, only
    when the registry asks for them.  ``ca_file``: a PEM file of extra CAs to trust (a private registry's
    self-signed certificate).  ``retries``: how many times a transient failure (5xx, 429, reset or timed out
    connection) is retried, with exponential backoff from ``backoff`` seconds, capped at ``max_backoff``.
    Tokens are cached per scope for their lifetime.  Not thread-safe: use one client per thread.
    """

    def __init__(
        self,
        registry: str,
        *,
        insecure: bool = False,
        ca_file: str | None = None,
        auth: AuthLookup | None = None,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 0.5,
        max_backoff: float = 4.0,
        user_agent: str = f"stockade/{__version__}",
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.registry = registry
        api_host = "registry-1.docker.io" if registry == DEFAULT_REGISTRY else registry
        host, _ = host_port(api_host)
        if insecure and not is_loopback_host(host):
            raise InputError(
                f"refusing plain HTTP to registry {registry}: insecure mode is allowed only for a "
                "registry on a loopback address (127.0.0.0/8, ::1, localhost)",
                hint="over plain HTTP, credentials and image content could be read or changed on the way; "
                "use https (with ca_file for a private CA)",
            )
        self.scheme = "http" if insecure else "https"
        self.base = f"{self.scheme}://{api_host}"
        self.ca_file = ca_file
        self._auth = auth
        self._auth_by_repo: dict[str, AuthLookup] = {}
        self._transport = Transport(
            ca_file=ca_file, timeout=timeout, user_agent=user_agent, origin=self.base, registry=registry
        )
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._sleep = sleep
        self._clock = clock
        self._tokens: dict[str, _Token] = {}
        self._scope_of_repo: dict[str, str] = {}
        self._basic = False

    # -- public API -------------------------------------------------------------------------------

    def get_manifest(
        self, repository: str, reference: str, accept: Sequence[str] = MANIFEST_MEDIA_TYPES
    ) -> tuple[bytes, str, str]:
        """Fetch a manifest or index by tag or digest: ``(body, media_type, digest)``, digest verified.

        A digest reference must match the body.  For a tag, the ``Docker-Content-Digest`` header is checked
        when present (with an algorithm we know), and the digest is computed (sha256) otherwise.
        """
        validate_repository(repository)
        validate_tag_or_digest(reference)
        what = f"{self.registry}/{repository}{'@' if ':' in reference else ':'}{reference}"
        headers = {"Accept": ", ".join(accept)}
        resp = self._request("GET", repository, f"/v2/{repository}/manifests/{reference}", headers, what)
        with resp:
            length = resp.getheader("Content-Length")
            if length is not None and length.isdigit() and int(length) > MAX_MANIFEST_SIZE:
                raise RegistryError(f"manifest {what} is too large ({length} bytes)")
            try:
                body = resp.read(MAX_MANIFEST_SIZE + 1)
            except (OSError, http.client.HTTPException) as exc:
                raise self._transport.describe(exc, self.base, f"reading manifest {what}") from None
            if resp.length:  # http.client does not check that Content-Length was met
                raise RegistryError(
                    f"connection closed while reading manifest {what} ({resp.length} bytes short)",
                    hint="a network problem; try again",
                )
        if len(body) > MAX_MANIFEST_SIZE:
            raise RegistryError(f"manifest {what} is larger than {MAX_MANIFEST_SIZE} bytes")
        if ":" in reference:
            check_digest(body, reference, what=f"manifest {what}")
            digest = reference
        else:
            header = resp.getheader("Docker-Content-Digest", "").strip()
            if header.partition(":")[0] in ALGORITHMS:
                check_digest(body, header, what=f"manifest {what} (Docker-Content-Digest)")
                digest = header
            else:
                digest = compute_digest(body)
        return body, _media_type(resp.getheader("Content-Type", ""), body), digest

    def open_blob(
        self, repository: str, digest: str, *, size: int | None = None, verify: bool = True
    ) -> BinaryIO:
        """A stream of the blob's bytes, read from the network as the caller reads (never all at once).

        With ``verify`` (the default) the stream is a :class:`VerifyingReader` that raises
        :class:`~stockade.target.image.digest.DigestMismatchError` at the end when the bytes do not hash
        to ``digest`` (or their count is not ``size``, when given).  Pass ``verify=False`` only when the
        caller wraps the stream in its own :class:`VerifyingReader`.  Close the stream when done.
        """
        validate_repository(repository)
        validate_tag_or_digest(digest)
        if ":" not in digest:
            raise InputError(f"invalid blob digest {digest!r}: expected ALGORITHM:HEX")
        what = f"blob {digest} in {self.registry}/{repository}"
        resp = self._request("GET", repository, f"/v2/{repository}/blobs/{digest}", {}, what)
        stream = BlobStream(resp, what, self._transport)
        if not verify:
            return cast(BinaryIO, stream)
        return cast(BinaryIO, VerifyingReader(stream, digest, size, what=what))

    def read_blob(self, repository: str, digest: str, *, max_size: int = MAX_MANIFEST_SIZE) -> bytes:
        """A small blob (an image config) in memory, verified; :class:`RegistryError` past ``max_size``."""
        with self.open_blob(repository, digest) as stream:
            data = stream.read(max_size + 1)
            if len(data) > max_size:
                raise RegistryError(
                    f"blob {digest} in {self.registry}/{repository} is larger than {max_size}"
                )
            stream.read()  # reach EOF so the digest is checked
        return data

    # -- requests, retries, authentication --------------------------------------------------------

    def _lookup(self, repository: str) -> AuthLookup:
        if self._auth is not None:
            return self._auth
        if repository not in self._auth_by_repo:
            self._auth_by_repo[repository] = find_credentials(self.registry, repository)
        return self._auth_by_repo[repository]

    def _auth_header(self, repository: str) -> str | None:
        scope = self._scope_of_repo.get(repository)
        token = self._tokens.get(scope) if scope else None
        if token is not None and token.expires > self._clock():
            return f"Bearer {token.value}"
        if self._basic:
            creds = self._lookup(repository).credentials
            if creds is not None:
                return basic_header(creds.username, creds.password)
        return None

    def _request(
        self, method: str, repository: str, path: str, headers: dict[str, str], what: str
    ) -> http.client.HTTPResponse:
        """Send with retries and authentication; return a 2xx response or raise :class:`RegistryError`."""
        url = self.base + path
        authenticated = False
        for _ in range(3):
            auth = self._auth_header(repository)
            resp = self._send_retrying(method, url, headers, auth)
            if 200 <= resp.status < 300:
                return resp
            status = resp.status
            challenges = parse_challenges(resp.headers.get_all("WWW-Authenticate") or [])
            body = _read_error_body(resp)
            if status == 401 and not authenticated and challenges:
                self._authenticate(repository, challenges)
                authenticated = True
                continue
            raise self._status_error(status, body, repository, what, sent_auth=auth is not None)
        raise RegistryError(f"authentication with {self.registry} did not settle for {what}")

    def _send_retrying(
        self, method: str, url: str, headers: dict[str, str], auth: str | None, auth_origin: str | None = None
    ) -> http.client.HTTPResponse:
        attempt = 0
        while True:
            try:
                resp = self._transport.send(method, url, headers, auth, auth_origin)
            except RegistryError as exc:
                if not exc.transient or attempt >= self.retries:
                    raise
                self._sleep(self._delay(attempt, None))
                attempt += 1
                continue
            if (resp.status >= 500 or resp.status == 429) and attempt < self.retries:
                retry_after = resp.getheader("Retry-After")
                resp.close()
                self._sleep(self._delay(attempt, retry_after))
                attempt += 1
                continue
            return resp

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        if retry_after is not None and retry_after.strip().isdigit():
            return min(float(retry_after.strip()), self.max_backoff)
        return min(self.backoff * (2.0**attempt), self.max_backoff)

    def _authenticate(self, repository: str, challenges: list[Challenge]) -> None:
        lookup = self._lookup(repository)
        bearer = next((c for c in challenges if c.scheme == "bearer"), None)
        if bearer is not None:
            scope = bearer.params.get("scope") or f"repository:{repository}:pull"
            self._tokens.pop(scope, None)
            self._tokens[scope] = self._fetch_token(bearer, scope, lookup)
            self._scope_of_repo[repository] = scope
            return
        if any(c.scheme == "basic" for c in challenges):
            if lookup.credentials is None:
                raise RegistryError(
                    f"registry {self.registry} requires a user name and password: {lookup.describe()}",
                    status=401,
                    hint="log in with `podman login` or `docker login`, or set REGISTRY_AUTH_FILE",
                )
            self._basic = True
            return
        schemes = ", ".join(c.scheme for c in challenges)
        raise RegistryError(f"registry {self.registry} asks for unsupported authentication: {schemes}")

    def _fetch_token(self, challenge: Challenge, scope: str, lookup: AuthLookup) -> _Token:
        realm = challenge.params.get("realm", "")
        parsed = urllib.parse.urlsplit(realm)
        if parsed.scheme not in ("https", "http") or not parsed.hostname:
            raise RegistryError(f"registry {self.registry} sent a token realm that is not a URL: {realm!r}")
        if parsed.scheme == "http" and not is_loopback_host(parsed.hostname):
            raise RegistryError(
                f"registry {self.registry} sent a plain-http token realm ({parsed.hostname}); "
                "refusing to use it"
            )
        query = [("service", challenge.params["service"])] if "service" in challenge.params else []
        query += [("scope", s) for s in scope.split(" ") if s]
        url = realm + ("&" if parsed.query else "?") + urllib.parse.urlencode(query)
        creds = lookup.credentials
        auth = basic_header(creds.username, creds.password) if creds is not None else None
        origin = f"{parsed.scheme}://{parsed.netloc}"
        resp = self._send_retrying("GET", url, {"Accept": "application/json"}, auth, origin)
        with resp:
            data = resp.read(MAX_TOKEN_RESPONSE_SIZE + 1)
        if resp.status in (401, 403):
            raise self._denied(resp.status, lookup, f"the token service at {parsed.netloc}", scope)
        if resp.status != 200:
            raise RegistryError(
                f"token service {parsed.netloc} for {self.registry} answered HTTP {resp.status}",
                status=resp.status,
            )
        try:
            doc = json.loads(data)
            value = doc.get("token") or doc.get("access_token")
            lifetime = float(doc.get("expires_in") or DEFAULT_TOKEN_LIFETIME)
        except (ValueError, TypeError, AttributeError):
            value, lifetime = None, 0.0
        if not isinstance(value, str) or not value:
            raise RegistryError(f"token service {parsed.netloc} for {self.registry} sent no usable token")
        # renew a little early, so a token does not expire between check and use
        return _Token(value, self._clock() + max(lifetime - 5.0, 1.0))

    # -- errors -----------------------------------------------------------------------------------

    def _denied(self, status: int, lookup: AuthLookup, by: str, target: str) -> RegistryError:
        if lookup.credentials is None:
            return RegistryError(
                f"access to {target} denied by {by} (HTTP {status}): credentials are missing; "
                f"{lookup.describe()}",
                status=status,
                hint="log in with `podman login` or `docker login`, or set REGISTRY_AUTH_FILE",
            )
        verb = "rejected" if status == 401 else "not allowed to pull"
        return RegistryError(
            f"access to {target} denied by {by} (HTTP {status}): {lookup.describe()} were {verb}",
            status=status,
            hint="check the user name and password, and that the user may pull this repository",
        )

    def _status_error(
        self, status: int, body: str, repository: str, what: str, *, sent_auth: bool
    ) -> RegistryError:
        detail = f" ({body})" if body else ""
        if status in (401, 403):
            lookup = self._lookup(repository)
            if sent_auth or lookup.credentials is not None:
                return self._denied(status, lookup, f"registry {self.registry}", what)
            return RegistryError(
                f"access to {what} denied (HTTP {status}){detail}: {lookup.describe()}",
                status=status,
                hint="log in with `podman login` or `docker login`, or set REGISTRY_AUTH_FILE",
            )
        if status == 404:
            if "NAME_UNKNOWN" in body:
                return RegistryError(f"repository {self.registry}/{repository} not found{detail}", status=404)
            return RegistryError(f"{what} not found{detail}", status=404)
        return RegistryError(
            f"registry {self.registry} answered HTTP {status} for {what}{detail}", status=status
        )


def _read_error_body(resp: http.client.HTTPResponse) -> str:
    """``CODE: message`` of a registry error body (distribution-spec "Error Codes"), else ""."""
    with resp:
        try:
            raw = resp.read(64 * 1024)
        except (OSError, http.client.HTTPException):
            return ""
    try:
        errors = json.loads(raw).get("errors") or []
        parts = [
            f"{e.get('code', '')}: {e.get('message', '')}".strip(": ") for e in errors if isinstance(e, dict)
        ]
    except (ValueError, AttributeError):
        return ""
    return "; ".join(p for p in parts if p)[:500]


def _media_type(content_type: str, body: bytes) -> str:
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type in _GENERIC_CONTENT_TYPES:
        try:
            declared = json.loads(body).get("mediaType")
        except (ValueError, AttributeError):
            declared = None
        if isinstance(declared, str) and declared:
            return declared
    return media_type
