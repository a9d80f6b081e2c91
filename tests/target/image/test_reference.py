"""Image references, parsed as docker/distribution's reference grammar and normalisation do."""

from __future__ import annotations

import pytest

from stockade.errors import InputError
from stockade.target.image.reference import (
    Reference,
    looks_like_reference,
    parse_reference,
    validate_repository,
    validate_tag_or_digest,
)

D = "sha256:" + "0123456789abcdef" * 4

VALID = [
    # text, registry, repository, tag, digest
    ("alpine", "docker.io", "library/alpine", "latest", None),
    ("alpine:3.19", "docker.io", "library/alpine", "3.19", None),
    ("library/alpine", "docker.io", "library/alpine", "latest", None),
    ("docker.io/alpine", "docker.io", "library/alpine", "latest", None),
    ("index.docker.io/library/alpine:edge", "docker.io", "library/alpine", "edge", None),
    ("user/repo", "docker.io", "user/repo", "latest", None),
    ("foo/bar.baz", "docker.io", "foo/bar.baz", "latest", None),
    ("quay.io/org/app:v1", "quay.io", "org/app", "v1", None),
    ("localhost/app", "localhost", "app", "latest", None),
    ("localhost:5000/app", "localhost:5000", "app", "latest", None),
    ("127.0.0.1:5000/a/b/c:t_1", "127.0.0.1:5000", "a/b/c", "t_1", None),
    ("[::1]:5000/app:1", "[::1]:5000", "app", "1", None),
    ("[fe80::1]/app", "[fe80::1]", "app", "latest", None),
    (f"registry.example.com/app@{D}", "registry.example.com", "app", None, D),
    (f"app:1.0@{D}", "docker.io", "library/app", "1.0", D),
    ("Example.COM/app", "Example.COM", "app", "latest", None),
    ("UPPER/app", "UPPER", "app", "latest", None),  # an upper-case first component is a host
    ("example.com:443/foo-bar_baz.qux__x/y", "example.com:443", "foo-bar_baz.qux__x/y", "latest", None),
    ("a-----b", "docker.io", "library/a-----b", "latest", None),
    ("a:" + "T" * 128, "docker.io", "library/a", "T" * 128, None),
    ("localhost:5000", "docker.io", "library/localhost", "5000", None),  # no '/': name:tag, as Docker
]


@pytest.mark.parametrize(("text", "registry", "repository", "tag", "digest"), VALID)
def test_parse_valid(text: str, registry: str, repository: str, tag: str | None, digest: str | None) -> None:
    ref = parse_reference(text)
    assert ref == Reference(registry, repository, tag, digest)
    # the canonical form parses back to the same reference
    assert parse_reference(str(ref)) == ref


INVALID = [
    ("", "empty"),
    (" alpine", "white space"),
    ("Alpine", "must be lowercase"),
    ("foo/Bar", "must be lowercase"),
    ("alpine:", "tag ''"),
    ("alpine:-x", "tag '-x'"),
    ("alpine:.x", "tag '.x'"),
    ("a:" + "T" * 129, "tag"),
    ("alpine@sha256:abc", "64 lowercase hex"),
    ("alpine@sha256:" + "A" * 64, "64 lowercase hex"),
    ("alpine@md5:" + "a" * 32, "unsupported algorithm 'md5'"),
    ("alpine@", "ALGORITHM:HEX"),
    ("foo//bar", "empty path component"),
    ("/foo", "empty path component"),
    ("foo/", "empty path component"),
    ("localhost:5000/", "empty path component"),
    ("example.com:abc/app", "not a valid registry host"),
    ("-example.com/app", "not a valid registry host"),
    ("0123456789abcdef" * 4, "image ID"),
    ("foo_-bar", "path component 'foo_-bar'"),
    ("foo..bar", "path component 'foo..bar'"),
    ("foo___bar", "path component 'foo___bar'"),
    ("a:b:c", "unexpected ':'"),
    ("example.com/" + "a" * 250, "longer than 255"),
]


@pytest.mark.parametrize(("text", "reason"), INVALID)
def test_parse_invalid(text: str, reason: str) -> None:
    with pytest.raises(InputError) as info:
        parse_reference(text)
    assert reason in info.value.message
    assert info.value.message.startswith(f"invalid image reference {text!r}: ")
    assert "HOST" in info.value.diagnostics()


def test_str_and_properties() -> None:
    ref = parse_reference(f"127.0.0.1:5000/app:1@{D}")
    assert str(ref) == f"127.0.0.1:5000/app:1@{D}"
    assert ref.name == "127.0.0.1:5000/app"
    assert ref.manifest_reference == D
    assert parse_reference("alpine").manifest_reference == "latest"
    assert str(parse_reference("alpine")) == "docker.io/library/alpine:latest"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:5000/app:1", True),
        ("localhost:5000/app", True),
        ("localhost/app", True),
        ("alpine:3.19", True),
        (f"app@{D}", True),
        ("quay.io/org/app", True),
        ("my.dir/x", True),  # documented: a dotted first component is a registry host
        ("alpine", False),  # could be a relative path
        ("images/app", False),
        ("image.tar", False),
        ("./app:1", False),
        ("/abs/path:1", False),
        ("~/img:1", False),
        ("oci-archive:x.tar", False),
        ("docker-archive:x.tar", False),
        ("oci:dir:tag", False),
        ("Alpine:1", False),
        ("", False),
    ],
)
def test_looks_like_reference(text: str, expected: bool) -> None:
    assert looks_like_reference(text) is expected


def test_validate_parts() -> None:
    assert validate_repository("library/alpine") == "library/alpine"
    assert validate_tag_or_digest("v1.0") == "v1.0"
    assert validate_tag_or_digest(D) == D
    for bad in ("", "../etc", "a/../b", "A", "a?b"):
        with pytest.raises(InputError):
            validate_repository(bad)
    for bad in ("", "../x", "sha256:zz", "a/b", "a?x=1"):
        with pytest.raises(InputError):
            validate_tag_or_digest(bad)
