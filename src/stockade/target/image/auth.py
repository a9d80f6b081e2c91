"""Registry credentials from the files podman, skopeo and docker write.

Files are searched in this order, and the first one with an entry for the registry wins
(containers-auth.json(5), docker's ``config.json``):

1. ``$REGISTRY_AUTH_FILE``
2. ``$XDG_RUNTIME_DIR/containers/auth.json``
3. ``~/.config/containers/auth.json``
4. ``$DOCKER_CONFIG/config.json``, or ``~/.docker/config.json`` when ``DOCKER_CONFIG`` is unset

Each holds ``{"auths": {KEY: {"auth": base64("user:password")}}}`` (or ``username``/``password`` keys).
Keys are normalised as containers/image does (``normalizeAuthFileKey``): a key with an ``http(s)://``
scheme is reduced to its host (docker's ``https://index.docker.io/v1/``), ``index.docker.io`` and
``registry-1.docker.io`` mean ``docker.io``, and a key may name a namespace (``quay.io/org``), in which case
the most specific key that is a prefix of ``host/repository`` wins.

Credential helpers (``credsStore``, ``credHelpers``) and docker's ``identitytoken`` are *not* supported:
the lookup returns a note that says so, so the caller can show it as a status.  No message here ever
contains a password or an ``auth`` value.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stockade.errors import InputError

_DOCKER_HUB_ALIASES = {"index.docker.io": "docker.io", "registry-1.docker.io": "docker.io"}


@dataclass(frozen=True, slots=True)
class Credentials:
    """A user name and password; ``source`` is the file they came from ("" when given directly)."""

    username: str
    password: str = field(repr=False)
    source: str = ""


@dataclass(frozen=True, slots=True)
class AuthLookup:
    """The outcome of looking up credentials for one registry."""

    registry: str
    credentials: Credentials | None = None
    #: every file considered, in search order
    searched: tuple[str, ...] = ()
    #: the subset of ``searched`` that did not exist
    missing: tuple[str, ...] = ()
    #: what could not be used, e.g. a credential helper; for a status entry
    notes: tuple[str, ...] = ()

    @classmethod
    def anonymous(cls, registry: str) -> AuthLookup:
        """No credentials, and no files to blame."""
        return cls(registry)

    @classmethod
    def given(cls, registry: str, username: str, password: str) -> AuthLookup:
        """Credentials passed in directly (a flag, a test)."""
        return cls(registry, Credentials(username, password))

    def describe(self) -> str:
        """Where the credentials came from, or where we looked: for error messages (never a secret)."""
        if self.credentials is not None:
            where = f"from {self.credentials.source}" if self.credentials.source else "(given explicitly)"
            return f"credentials for user {self.credentials.username!r} {where}"
        if not self.searched:
            return "no credentials were given"
        looked = ", ".join(f"{p} (missing)" if p in self.missing else p for p in self.searched)
        return f"no credentials for {self.registry} found (looked in: {looked})"


def normalize_registry(host: str) -> str:
    host = host.lower()
    return _DOCKER_HUB_ALIASES.get(host, host)


def normalize_key(key: str) -> str:
    """An ``auths`` key as containers/image compares it: ``https://index.docker.io/v1/`` → ``docker.io``."""
    stripped = key.removeprefix("https://").removeprefix("http://")
    if stripped != key:
        stripped = stripped.split("/", 1)[0]
    host, slash, rest = stripped.partition("/")
    return normalize_registry(host) + slash + rest.rstrip("/")


def auth_file_candidates(env: Mapping[str, str] | None = None, home: Path | None = None) -> list[str]:
    """The credential files to search, in order (whether or not they exist)."""
    env = os.environ if env is None else env
    home = Path.home() if home is None else home
    paths: list[str] = []
    if env.get("REGISTRY_AUTH_FILE"):
        paths.append(env["REGISTRY_AUTH_FILE"])
    if env.get("XDG_RUNTIME_DIR"):
        paths.append(os.path.join(env["XDG_RUNTIME_DIR"], "containers", "auth.json"))
    paths.append(str(home / ".config" / "containers" / "auth.json"))
    docker_dir = env.get("DOCKER_CONFIG") or str(home / ".docker")
    paths.append(os.path.join(docker_dir, "config.json"))
    return paths


@dataclass(frozen=True, slots=True)
class _Entry:
    credentials: Credentials | None
    note: str | None


@dataclass(frozen=True, slots=True)
class AuthFile:
    """One parsed credentials file."""

    path: str
    #: normalised key → entry
    auths: dict[str, _Entry]
    creds_store: str | None
    #: normalised registry → helper name
    cred_helpers: dict[str, str]


def _bad(path: str, reason: str) -> InputError:
    return InputError(
        f"failed to parse registry credentials file: {path}: {reason}",
        hint="fix or remove the file, or point REGISTRY_AUTH_FILE at a valid one",
    )


def _string(path: str, where: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _bad(path, f"{where} must be a string, not {type(value).__name__}")
    return value


def _parse_entry(path: str, key: str, raw: Any) -> _Entry:
    where = f"auths[{key!r}]"
    if not isinstance(raw, dict):
        raise _bad(path, f"{where} must be an object, not {type(raw).__name__}")
    auth = _string(path, f"{where}.auth", raw.get("auth", ""))
    if auth:
        try:
            decoded = base64.b64decode(auth, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            raise _bad(path, f"{where}.auth is not valid base64 of UTF-8 text") from None
        username, colon, password = decoded.partition(":")
        if not colon:
            raise _bad(path, f"{where}.auth does not decode to USER:PASSWORD (no ':')")
        return _Entry(Credentials(username, password, path), None)
    username = _string(path, f"{where}.username", raw.get("username", ""))
    password = _string(path, f"{where}.password", raw.get("password", ""))
    if username or password:
        return _Entry(Credentials(username, password, path), None)
    if raw.get("identitytoken"):
        return _Entry(None, f"{path}: {where} holds an identity token, which is not supported")
    return _Entry(None, None)


def load_auth_file(path: str) -> AuthFile | None:
    """Parse one credentials file; None when it does not exist, :class:`InputError` when it is malformed."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InputError(f"cannot read registry credentials file {path}: {exc.strerror or exc}") from None
    try:
        doc = json.loads(data)
    except UnicodeDecodeError:
        raise _bad(path, "not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise _bad(path, f"line {exc.lineno}, column {exc.colno}: invalid JSON: {exc.msg}") from None
    if not isinstance(doc, dict):
        raise _bad(path, f"the top level must be a JSON object, not {type(doc).__name__}")
    auths_raw = doc.get("auths", {})
    if not isinstance(auths_raw, dict):
        raise _bad(path, f"'auths' must be an object, not {type(auths_raw).__name__}")
    auths = {normalize_key(key): _parse_entry(path, key, raw) for key, raw in auths_raw.items()}
    store = doc.get("credsStore")
    creds_store = _string(path, "credsStore", store) if store is not None else None
    helpers_raw = doc.get("credHelpers", {})
    if not isinstance(helpers_raw, dict):
        raise _bad(path, f"'credHelpers' must be an object, not {type(helpers_raw).__name__}")
    helpers = {
        normalize_key(key): _string(path, f"credHelpers[{key!r}]", value)
        for key, value in helpers_raw.items()
    }
    return AuthFile(path, auths, creds_store or None, helpers)


def _scopes(registry: str, repository: str | None) -> list[str]:
    """``host/a/b/c`` → [``host/a/b/c``, ``host/a/b``, ``host/a``, ``host``]: most specific first."""
    keys = [registry]
    if repository:
        parts = repository.split("/")
        keys = [f"{registry}/{'/'.join(parts[:i])}" for i in range(len(parts), 0, -1)] + keys
    return keys


def find_credentials(
    registry: str,
    repository: str | None = None,
    *,
    env: Mapping[str, str] | None = None,
    home: Path | None = None,
) -> AuthLookup:
    """Look ``registry`` (``host[:port]``) up in the credential files; see the module docstring."""
    host = normalize_registry(registry)
    searched = auth_file_candidates(env, home)
    missing: list[str] = []
    notes: list[str] = []
    found: Credentials | None = None
    for path in searched:
        loaded = load_auth_file(path)
        if loaded is None:
            missing.append(path)
            continue
        helper = loaded.cred_helpers.get(host)
        if helper is not None:
            notes.append(
                f"{path}: credentials for {registry} are kept by credential helper {helper!r} "
                "(credHelpers), which is not supported"
            )
            continue
        entry = next((loaded.auths[k] for k in _scopes(host, repository) if k in loaded.auths), None)
        if entry is not None and entry.note:
            notes.append(entry.note)
        if entry is not None and entry.credentials is not None:
            found = entry.credentials
            break
        if loaded.creds_store is not None:
            notes.append(
                f"{path}: credentials may be kept by credential store {loaded.creds_store!r} (credsStore), "
                "which is not supported"
            )
    return AuthLookup(registry, found, tuple(searched), tuple(missing), tuple(notes))
