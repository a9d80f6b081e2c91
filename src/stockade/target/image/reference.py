"""Image references: ``[host[:port]/]path[:tag][@digest]``, parsed as Docker does.

The grammar is distribution's (github.com/distribution/reference, ``regexp.go``)::

    reference  := name [ ":" tag ] [ "@" digest ]
    name       := [ domain "/" ] path-component [ "/" path-component ]*
    domain     := host [ ":" port-number ]
    host       := domain-name | "[" ipv6 "]"
    domain-name:= domain-component [ "." domain-component ]*
    domain-component := /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/
    path-component   := alpha-numeric [ separator alpha-numeric ]*
    alpha-numeric    := /[a-z0-9]+/
    separator        := /[_.]|__|[-]+/
    tag              := /[\\w][\\w.-]{0,127}/
    digest           := algorithm ":" hex

and its normalisation (``normalize.go``, ``splitDockerDomain``): the part before the first ``/`` is a registry
host only if it contains ``.`` or ``:``, is ``localhost``, or has an upper-case letter; otherwise the
registry is ``docker.io`` (``index.docker.io`` is the same), and a one-component path on ``docker.io``
gets ``library/``.  With neither tag nor digest the tag is ``latest``.  The whole name (registry and path)
is at most 255 characters.  Digests are checked as go-digest does: a known algorithm with the exact
number of lowercase hex digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stockade.errors import InputError
from stockade.target.image.digest import split_digest

DEFAULT_REGISTRY = "docker.io"
LEGACY_DEFAULT_REGISTRY = "index.docker.io"
DEFAULT_TAG = "latest"
NAME_TOTAL_LENGTH_MAX = 255

_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = re.compile(rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?")
_PATH_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_TAG = re.compile(r"[\w][\w.-]{0,127}", re.ASCII)
_ANCHORED_IDENTIFIER = re.compile(r"[a-f0-9]{64}")

#: transports of containers-transports(5); ``oci-archive:x.tar`` would otherwise parse as name:tag
_TRANSPORT_PREFIXES = (
    "oci:",
    "oci-archive:",
    "docker-archive:",
    "docker-daemon:",
    "containers-storage:",
    "dir:",
    "docker:",
)


@dataclass(frozen=True, slots=True)
class Reference:
    """A normalised image reference.  ``tag`` is None only when a digest was given without a tag."""

    registry: str
    repository: str
    tag: str | None = None
    digest: str | None = None

    def __str__(self) -> str:
        text = f"{self.registry}/{self.repository}"
        if self.tag is not None:
            text += f":{self.tag}"
        if self.digest is not None:
            text += f"@{self.digest}"
        return text

    @property
    def name(self) -> str:
        """``registry/repository``."""
        return f"{self.registry}/{self.repository}"

    @property
    def manifest_reference(self) -> str:
        """What to ask the registry for: the digest when there is one (it pins the content), else the tag."""
        if self.digest is not None:
            return self.digest
        return self.tag or DEFAULT_TAG


def _invalid(text: str, reason: str) -> InputError:
    return InputError(
        f"invalid image reference {text!r}: {reason}",
        hint="expected [HOST[:PORT]/]PATH[:TAG][@sha256:DIGEST], e.g. docker.io/library/alpine:3.19",
    )


def _is_domain(first: str) -> bool:
    """splitDockerDomain's test for the part before the first '/'."""
    return "." in first or ":" in first or first == "localhost" or first.lower() != first


def _split_domain(text: str, name: str) -> tuple[str, str]:
    first, slash, rest = name.partition("/")
    if slash and _is_domain(first):
        if not _DOMAIN.fullmatch(first):
            raise _invalid(text, f"{first!r} is not a valid registry host[:port]")
        registry, path = first, rest
    else:
        registry, path = DEFAULT_REGISTRY, name
    if registry == LEGACY_DEFAULT_REGISTRY:
        registry = DEFAULT_REGISTRY
    if registry == DEFAULT_REGISTRY and "/" not in path:
        path = f"library/{path}"
    return registry, path


def _check_path(text: str, path: str, given: str) -> None:
    if path.lower() != path:
        raise _invalid(text, f"repository name {given!r} must be lowercase")
    if ":" in path:
        raise _invalid(text, f"unexpected ':' in repository name {given!r}")
    for component in path.split("/"):
        if not component:
            raise _invalid(text, f"repository name {path!r} has an empty path component")
        if not _PATH_COMPONENT.fullmatch(component):
            raise _invalid(
                text,
                f"path component {component!r} must be lowercase letters and digits, "
                "separated by '.', '_', '__' or '-'",
            )


def parse_reference(text: str) -> Reference:
    """Parse ``text`` as Docker does; :class:`InputError` with the reason when it is not a reference."""
    return _parse(text)[0]


def _parse(text: str) -> tuple[Reference, bool]:
    """The reference, and whether ``text`` named a tag itself."""
    if not text:
        raise _invalid(text, "it is empty")
    if text != text.strip() or any(c.isspace() for c in text):
        raise _invalid(text, "it contains white space")
    if _ANCHORED_IDENTIFIER.fullmatch(text):
        raise _invalid(text, "a 64-character hexadecimal string is an image ID, not a repository name")
    name, at, digest = text.partition("@")
    if at:
        try:
            split_digest(digest)
        except InputError as exc:
            raise _invalid(text, exc.message.removeprefix("invalid digest ")) from None
    tag: str | None = None
    # a tag follows the last ':' that is after the last '/' (a ':' before it belongs to host:port)
    colon = name.rfind(":")
    if colon > name.rfind("/"):
        name, tag = name[:colon], name[colon + 1 :]
        if not _TAG.fullmatch(tag):
            raise _invalid(
                text, f"tag {tag!r} must be 1-128 of A-Z a-z 0-9 _ . - and must not start with '.' or '-'"
            )
    if not name:
        raise _invalid(text, "the repository name is empty")
    registry, path = _split_domain(text, name)
    _check_path(text, path, path.removeprefix("library/") if "/" not in name else path)
    if len(registry) + 1 + len(path) > NAME_TOTAL_LENGTH_MAX:
        raise _invalid(text, f"the name is longer than {NAME_TOTAL_LENGTH_MAX} characters")
    explicit_tag = tag is not None
    if tag is None and not at:
        tag = DEFAULT_TAG
    return Reference(registry, path, tag, digest if at else None), explicit_tag


def looks_like_reference(text: str) -> bool:
    """True when ``text`` is a valid reference *and* says so explicitly: a registry host, a tag or a digest.

    For auto-detecting a scan target: ``127.0.0.1:5000/app:1``, ``alpine:3.19``, ``repo@sha256:…`` and
    ``quay.io/org/app`` are references; a bare name like ``alpine`` or ``images/app`` could as well be a
    relative path, so it is not (the caller decides, e.g. by checking that no such file exists).
    Strings with a containers-transports(5) prefix (``oci-archive:x.tar``) are not references either.
    """
    if text.startswith(("/", "./", "../", "~")) or text.startswith(_TRANSPORT_PREFIXES):
        return False
    try:
        ref, explicit_tag = _parse(text)
    except InputError:
        return False
    first, slash, _ = text.partition("/")
    return bool(slash and _is_domain(first)) or explicit_tag or ref.digest is not None


def validate_repository(repository: str) -> str:
    """``repository`` (a path like ``library/alpine``) unchanged, or :class:`InputError`."""
    if not repository:
        raise _invalid(repository, "the repository name is empty")
    _check_path(repository, repository, repository)
    return repository


def validate_tag_or_digest(reference: str) -> str:
    """A tag or a digest, as the last part of ``/v2/NAME/manifests/REFERENCE``; else :class:`InputError`."""
    if ":" in reference:
        try:
            split_digest(reference)
            return reference
        except InputError as exc:
            raise _invalid(reference, exc.message.removeprefix("invalid digest ")) from None
    if not _TAG.fullmatch(reference):
        raise _invalid(reference, "not a valid tag or digest")
    return reference
