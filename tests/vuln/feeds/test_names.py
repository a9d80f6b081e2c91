"""Look-up keys of package names per ecosystem, and ecosystem bases."""

from __future__ import annotations

import pytest

from stockade.vuln.feeds.names import canonical_ecosystem, ecosystem_base, normalise

NAMES = [
    ("PyPI", "Django", "django"),
    ("PyPI", "zope.interface", "zope-interface"),
    ("PyPI", "Foo__Bar-.baz", "foo-bar-baz"),
    ("PyPI", " requests ", "requests"),
    ("crates.io", "Serde_JSON", "serde-json"),
    ("crates.io", "tokio-core", "tokio-core"),
    ("NuGet", "Newtonsoft.Json", "newtonsoft.json"),
    ("Packagist", "Symfony/HTTP-Kernel", "symfony/http-kernel"),
    ("npm", "JSONStream", "JSONStream"),  # legacy mixed-case names are distinct packages
    ("npm", "@Scope/pkg", "@Scope/pkg"),
    ("Maven", "org.Apache:Commons", "org.Apache:Commons"),
    ("Go", "github.com/BurntSushi/toml", "github.com/BurntSushi/toml"),
    ("RubyGems", "Rails", "Rails"),
    ("Debian:12", "libssl3", "libssl3"),
    ("Ubuntu:Pro:22.04:LTS", "linux-aws", "linux-aws"),
    ("Alpine:v3.11", "musl", "musl"),
    ("Nonesuch", "Thing_", "Thing_"),
]


@pytest.mark.parametrize(("ecosystem", "name", "expected"), NAMES)
def test_normalise(ecosystem: str, name: str, expected: str) -> None:
    assert normalise(ecosystem, name) == expected


@pytest.mark.parametrize(
    ("ecosystem", "base"),
    [("Debian:12", "Debian"), ("Ubuntu:Pro:22.04:LTS", "Ubuntu"), ("Alpine:v3.11", "Alpine"),
     ("PyPI", "PyPI"), ("crates.io", "crates.io"), ("", "")],
)  # fmt: skip
def test_ecosystem_base(ecosystem: str, base: str) -> None:
    assert ecosystem_base(ecosystem) == base


def test_canonical_ecosystem() -> None:
    assert canonical_ecosystem("Ubuntu:22.04:LTS") == "Ubuntu:22.04"
    assert canonical_ecosystem("Ubuntu:Pro:14.04:LTS") == "Ubuntu:Pro:14.04"
    assert canonical_ecosystem("Ubuntu:25.10") == "Ubuntu:25.10"
    assert canonical_ecosystem("Debian:12") == "Debian:12"
