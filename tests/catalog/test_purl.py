"""make_purl is a faster route to exactly what packageurl-python writes: checked on every package of the
real fixtures, on this host's inventory, and on hostile strings."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from packageurl import PackageURL

from stockade.catalog.common import make_purl
from stockade.model.target import TargetKind
from stockade.scan.scanner import ScanOptions, scan_filesystem
from stockade.target.host import open_host
from stockade.target.rootfs import open_rootfs

TESTS = Path(__file__).resolve().parent
EXAMPLES = TESTS.parent.parent / "examples"


def library(type_: str, name: str, version: str | None, namespace: str | None,
            qualifiers: dict[str, str] | None, subpath: str | None = None) -> str:  # fmt: skip
    quals = {k: v for k, v in (qualifiers or {}).items() if v}
    purl = PackageURL(type=type_, namespace=namespace or None, name=name, version=version or None,
                      qualifiers=quals or None, subpath=subpath)  # fmt: skip
    return str(purl.to_string())


def check_inventory(root: str, kind: TargetKind) -> int:
    target, fs = open_rootfs(root, kind)
    result = scan_filesystem(target, fs, ScanOptions(jobs=1))
    for pkg in result.inventory.packages:
        parsed = PackageURL.from_string(pkg.purl)
        again = library(parsed.type, parsed.name, parsed.version, parsed.namespace, parsed.qualifiers,
                        parsed.subpath)  # fmt: skip
        assert pkg.purl == again, pkg
    return len(result.inventory.packages)


def test_every_fixture_package() -> None:
    assert check_inventory(str(TESTS), TargetKind.DIRECTORY) > 50
    assert check_inventory(str(EXAMPLES), TargetKind.DIRECTORY) > 30


@pytest.mark.slow
def test_this_host() -> None:
    result = scan_filesystem(*open_host())
    for pkg in result.inventory.packages:
        parsed = PackageURL.from_string(pkg.purl)
        assert pkg.purl == library(parsed.type, parsed.name, parsed.version, parsed.namespace,
                                   parsed.qualifiers, parsed.subpath), pkg  # fmt: skip


ALPHABET = "aZ09-._~+!$&'()*,;=:@/?#[]% \t\u00e9\u4e2d\U0001f600"
TYPES = ["deb", "rpm", "apk", "pypi", "npm", "golang", "maven", "cargo", "gem", "composer", "nuget", "github",
         "generic", "oci", "huggingface"]  # fmt: skip


def rand(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, n)))


def test_hostile_strings() -> None:
    rng = random.Random(1234)
    for _ in range(5000):
        type_ = rng.choice(TYPES)
        name = rand(rng, 12) or "n"
        version = rand(rng, 10) or None
        namespace = rand(rng, 10) or None
        quals = {rng.choice(["arch", "distro", "Upstream", " epoch ", "repository_url"]): rand(rng, 8)
                 for _ in range(rng.randint(0, 3))}  # fmt: skip
        try:
            expected = library(type_, name, version, namespace, quals)
        except (ValueError, TypeError) as exc:  # the library refuses it: so must we
            with pytest.raises(type(exc)):
                make_purl(type_, name, version, namespace=namespace, qualifiers=quals)
            continue
        assert make_purl(type_, name, version, namespace=namespace, qualifiers=quals) == expected, (
            type_, name, version, namespace, quals)  # fmt: skip
