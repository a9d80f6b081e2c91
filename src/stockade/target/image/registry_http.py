"""HTTP plumbing for :mod:`stockade.target.image.registry`: requests, redirects, errors, challenges, streams.

``urllib.request`` does the work (so ``https_proxy``/``no_proxy`` from the environment apply, except to
loopback hosts, which no proxy can reach), with its redirect and error handling switched off: redirects are
followed here so that the registry's ``Authorization`` header never reaches another host (RFC 9110
§15.4: a client should not forward credentials across origins), and every status comes back as a response.

``WWW-Authenticate`` is parsed per RFC 9110 §11.6.1: ``scheme [token68 | param *("," param)]`` with several
challenges in one header, quoted strings with backslash escapes, case-insensitive scheme and parameter names.
"""

from __future__ import annotations

import base64
import http.client
import io
import ipaddress
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import cast

from stockade.errors import InputError, StockadeError

MAX_REDIRECTS = 10
_REDIRECTS = (301, 302, 303, 307, 308)
#: a connection that broke or stalled may work on the next try; one that was refused or failed TLS won't
_TRANSIENT = (
    ConnectionResetError,
    ConnectionAbortedError,
    BrokenPipeError,
    TimeoutError,
    http.client.HTTPException,
)


class RegistryError(StockadeError):
    """The registry could not give us what we asked for.  ``status`` is the HTTP status when there was one."""

    def __init__(
        self, message: str, *, status: int | None = None, hint: str | None = None, transient: bool = False
    ) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        #: worth retrying (a reset connection, a timeout)
        self.transient = transient


def host_port(netloc: str) -> tuple[str, int | None]:
    """``"[::1]:5000"`` → ``("::1", 5000)``; ``"example.com"`` → ``("example.com", None)``."""
    parsed = urllib.parse.urlsplit(f"//{netloc}")
    try:
        port = parsed.port
    except ValueError:
        raise InputError(f"invalid registry address {netloc!r}: bad port") from None
    return (parsed.hostname or ""), port


def is_loopback_host(host: str) -> bool:
    """127.0.0.0/8, ::1 or ``localhost`` — decided from the text alone, without any DNS lookup."""
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def basic_header(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode("ascii")


@dataclass(frozen=True, slots=True)
class Challenge:
    scheme: str  # lower case
    params: dict[str, str] = field(default_factory=dict)


def _skip(text: str, i: int, chars: str) -> int:
    while i < len(text) and text[i] in chars:
        i += 1
    return i


def _token(text: str, i: int) -> tuple[str, int]:
    j = i
    while j < len(text) and text[j] not in ' \t,="':
        j += 1
    return text[i:j], j


def _quoted(text: str, i: int) -> tuple[str, int]:
    out: list[str] = []
    i += 1  # opening quote
    while i < len(text) and text[i] != '"':
        if text[i] == "\\" and i + 1 < len(text):
            i += 1
        out.append(text[i])
        i += 1
    return "".join(out), i + 1


def parse_challenges(headers: Iterable[str]) -> list[Challenge]:
    """Every challenge in the ``WWW-Authenticate`` header values, in order."""
    challenges: list[Challenge] = []
    for text in headers:
        i = 0
        current: Challenge | None = None
        while i < len(text):
            i = _skip(text, i, " \t,")
            name, j = _token(text, i)
            if not name:
                i = j + 1
                continue
            k = _skip(text, j, " \t")
            if current is not None and k < len(text) and text[k] == "=" and text[k + 1 : k + 2] != "=":
                k = _skip(text, k + 1, " \t")
                value, i = _quoted(text, k) if text[k : k + 1] == '"' else _token(text, k)
                current.params[name.lower()] = value
                continue
            current = Challenge(name.lower())
            challenges.append(current)
            i = j
    return challenges


class Transport:
    """Sends one request at a time; returns every response, whatever its status."""

    def __init__(
        self, *, ca_file: str | None, timeout: float, user_agent: str, origin: str, registry: str
    ) -> None:
        self.timeout = timeout
        self.user_agent = user_agent
        self.origin = origin  # scheme://host[:port] that our Authorization header belongs to
        self.registry = registry
        context = ssl.create_default_context()
        if ca_file is not None:
            try:
                context.load_verify_locations(cafile=ca_file)
            except (OSError, ssl.SSLError) as exc:
                raise InputError(f"cannot load CA certificates from {ca_file}: {exc}") from None
        handlers = (urllib.request.HTTPSHandler(context=context), _KeepResponses())
        self._proxied = urllib.request.build_opener(urllib.request.ProxyHandler(), *handlers)
        self._direct = urllib.request.build_opener(urllib.request.ProxyHandler({}), *handlers)

    def send(
        self, method: str, url: str, headers: dict[str, str], auth: str | None, auth_origin: str | None = None
    ) -> http.client.HTTPResponse:
        """One request, following redirects; :class:`RegistryError` for network and TLS failures.

        ``auth`` (an ``Authorization`` value) is sent only to ``auth_origin`` (scheme://host:port; default:
        the registry), never to a host a redirect leads to.
        """
        auth_origin = auth_origin or self.origin
        for _ in range(MAX_REDIRECTS + 1):
            parts = urllib.parse.urlsplit(url)
            same_origin = f"{parts.scheme}://{parts.netloc}" == auth_origin
            request = urllib.request.Request(url, method=method)
            request.add_header("User-Agent", self.user_agent)
            for name, value in headers.items():
                request.add_header(name, value)
            if auth is not None and same_origin:
                request.add_header("Authorization", auth)
            opener = self._direct if is_loopback_host(parts.hostname or "") else self._proxied
            try:
                resp = cast(http.client.HTTPResponse, opener.open(request, timeout=self.timeout))
            except urllib.error.URLError as exc:
                reason = exc.reason if isinstance(exc.reason, BaseException) else exc
                raise self.describe(reason, url, f"{method} {parts.path}") from None
            except (OSError, http.client.HTTPException) as exc:
                raise self.describe(exc, url, f"{method} {parts.path}") from None
            location = resp.getheader("Location")
            if resp.status not in _REDIRECTS or not location:
                return resp
            resp.close()
            url = urllib.parse.urljoin(url, location)
            target = urllib.parse.urlsplit(url)
            if target.scheme not in ("http", "https"):
                raise RegistryError(
                    f"registry {self.registry} redirected to a non-HTTP URL ({target.scheme}:)"
                )
            if target.scheme == "http" and not is_loopback_host(target.hostname or ""):
                raise RegistryError(
                    f"registry {self.registry} redirected to plain http://{target.netloc}; "
                    "refusing to follow",
                    hint="content from a plain-http host could be changed on the way",
                )
            if resp.status == 303:
                method = "GET"
        raise RegistryError(f"registry {self.registry}: more than {MAX_REDIRECTS} redirects")

    def describe(self, exc: BaseException, url: str, doing: str) -> RegistryError:
        """A user-facing :class:`RegistryError` for a network-level failure talking to ``url``."""
        netloc = urllib.parse.urlsplit(url).netloc or url
        transient = isinstance(exc, _TRANSIENT) and not isinstance(exc, ConnectionRefusedError)
        if isinstance(exc, ConnectionRefusedError):
            return RegistryError(
                f"cannot connect to {netloc}: connection refused",
                hint="is the registry running, and listening on that host and port?",
            )
        if isinstance(exc, ssl.SSLCertVerificationError):
            return RegistryError(
                f"TLS certificate verification failed for {netloc}: {exc.verify_message or exc.reason}",
                hint="pass ca_file (the registry's CA certificate, PEM) to trust a private CA",
            )
        if isinstance(exc, ssl.SSLError):
            return RegistryError(
                f"TLS error talking to {netloc}: {exc.reason or exc}",
                hint="if the registry on this machine speaks plain HTTP, use insecure mode (loopback only)",
            )
        if isinstance(exc, socket.gaierror):
            return RegistryError(f"cannot resolve host of {netloc}: {exc.strerror}")
        if isinstance(exc, TimeoutError | socket.timeout):
            return RegistryError(f"timed out after {self.timeout:g}s {doing} at {netloc}", transient=True)
        if isinstance(exc, OSError):
            text = exc.strerror or str(exc) or type(exc).__name__
            return RegistryError(f"network error {doing} at {netloc}: {text}", transient=transient)
        text = str(exc) or type(exc).__name__
        return RegistryError(f"HTTP protocol error {doing} at {netloc}: {text}", transient=transient)


class _KeepResponses(urllib.request.HTTPErrorProcessor):
    """Hand every response back as it is: no HTTPError, no automatic redirect."""

    def http_response(
        self, request: urllib.request.Request, response: http.client.HTTPResponse
    ) -> http.client.HTTPResponse:
        return response

    https_response = http_response


class BlobStream(io.BufferedIOBase):
    """The response body; network failures while reading become :class:`RegistryError`."""

    def __init__(self, resp: http.client.HTTPResponse, what: str, transport: Transport) -> None:
        super().__init__()
        self._resp = resp
        self._what = what
        self._transport = transport
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1, /) -> bytes:
        try:
            data = self._resp.read(None if size is None or size < 0 else size)
        except (OSError, http.client.HTTPException) as exc:
            where = f"reading {self._what} after {self.bytes_read} bytes"
            raise self._transport.describe(exc, self._resp.geturl() or "", where) from None
        missing = self._resp.length  # what Content-Length still promises; http.client does not check it
        if not data and size != 0 and missing:
            raise RegistryError(
                f"connection closed while reading {self._what} after {self.bytes_read} bytes "
                f"({missing} bytes short of its Content-Length)"
            )
        self.bytes_read += len(data)
        return data

    def read1(self, size: int | None = -1, /) -> bytes:
        return self.read(size)

    def close(self) -> None:
        if not self.closed:
            try:
                self._resp.close()
            finally:
                super().close()
