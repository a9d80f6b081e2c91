"""purl → package, table-driven: names per ecosystem, OS packages' source package and release from the
purl qualifiers and from the properties syft, Trivy and stockade write; the inventory's distribution."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stockade.catalog.sbom.read import read_sbom_bytes
from stockade.model.inventory import Package
from stockade.model.status import StatusKind


def read_components(*components: dict[str, Any], metadata: dict[str, Any] | None = None) -> tuple[Any, ...]:
    doc: dict[str, Any] = {"bomFormat": "CycloneDX", "specVersion": "1.6", "components": list(components)}
    if metadata:
        doc["metadata"] = metadata
    return read_sbom_bytes(json.dumps(doc).encode(), "sbom.json")


def one(purl: str, name: str = "", version: str = "", **extra: Any) -> Package:
    comp = {"type": "library", "name": name or "x", "version": version, "purl": purl, **extra}
    inventory, _, _ = read_components(comp)
    assert len(inventory.packages) == 1
    pkg: Package = inventory.packages[0]
    return pkg


def props(**values: str) -> list[dict[str, str]]:
    return [{"name": k.replace("__", ":"), "value": v} for k, v in values.items()]


@pytest.mark.parametrize(
    ("purl", "doc_name", "expected"),
    [
        ("pkg:pypi/django@4.2.1", "Django", ("Django", "4.2.1", "pypi", "PyPI", None)),
        ("pkg:pypi/zope-interface@6.0", "zope.interface", ("zope.interface", "6.0", "pypi", "PyPI", None)),
        ("pkg:pypi/requests@2.31.0", "something-else", ("requests", "2.31.0", "pypi", "PyPI", None)),
        ("pkg:npm/%40babel/core@7.22.0", "core", ("@babel/core", "7.22.0", "npm", "npm", "@babel")),
        (
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
            "log4j-core",
            ("org.apache.logging.log4j:log4j-core", "2.14.1", "maven", "Maven", "org.apache.logging.log4j"),
        ),
        (
            "pkg:golang/golang.org/x/net@v0.17.0",
            "golang.org/x/net",
            ("golang.org/x/net", "v0.17.0", "golang", "Go", "golang.org/x"),
        ),
        (
            "pkg:composer/symfony/http-kernel@6.3.0",
            "http-kernel",
            ("symfony/http-kernel", "6.3.0", "composer", "Packagist", "symfony"),
        ),
        ("pkg:cargo/serde@1.0.188", "serde", ("serde", "1.0.188", "cargo", "crates.io", None)),
        ("pkg:gem/rails@7.0.8", "rails", ("rails", "7.0.8", "gem", "RubyGems", None)),
        (
            "pkg:nuget/Newtonsoft.Json@13.0.1",
            "Newtonsoft.Json",
            ("Newtonsoft.Json", "13.0.1", "nuget", "NuGet", None),
        ),
        ("pkg:github/actions/checkout@v4", "checkout", ("checkout", "v4", "github", "github", "actions")),
    ],
)
def test_language_packages(purl: str, doc_name: str, expected: tuple[Any, ...]) -> None:
    p = one(purl, doc_name)
    assert (p.name, p.version, p.type, p.ecosystem, p.namespace) == expected
    assert p.found_by == "sbom-cyclonedx"
    assert (p.source_name, p.source_version) == (None, None)


@pytest.mark.parametrize(
    ("purl", "properties", "expected"),
    [
        # syft and stockade: upstream=name or name@version
        (
            "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&upstream=glibc",
            [],
            ("libc6", "2.36-9+deb12u4", "Debian", "glibc", "2.36-9+deb12u4", "amd64"),
        ),
        (
            "pkg:deb/debian/bash@5.2.15-2%2Bb8?arch=amd64&distro=debian-12&upstream=bash%405.2.15-2",
            [],
            ("bash", "5.2.15-2+b8", "Debian", "bash", "5.2.15-2", "amd64"),
        ),
        (
            "pkg:deb/ubuntu/libssl3@3.0.2-0ubuntu1.10?arch=amd64&distro=ubuntu-22.04&upstream=openssl",
            [],
            ("libssl3", "3.0.2-0ubuntu1.10", "Ubuntu", "openssl", "3.0.2-0ubuntu1.10", "amd64"),
        ),
        # no upstream: the binary package is its own source
        (
            "pkg:deb/debian/coreutils@9.1-1?arch=amd64&distro=debian-12",
            [],
            ("coreutils", "9.1-1", "Debian", "coreutils", "9.1-1", "amd64"),
        ),
        # syft's properties
        (
            "pkg:deb/debian/libexpat1@2.5.0-1?arch=amd64",
            props(syft__metadata__source="expat", syft__metadata__sourceVersion="2.5.0-1"),
            ("libexpat1", "2.5.0-1", "Debian", "expat", "2.5.0-1", "amd64"),
        ),
        # Trivy's properties (version, release and epoch apart)
        (
            "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12.5",
            props(
                aquasecurity__trivy__SrcName="zlib",
                aquasecurity__trivy__SrcVersion="1.2.13.dfsg",
                aquasecurity__trivy__SrcRelease="1",
                aquasecurity__trivy__SrcEpoch="1",
            ),
            ("zlib1g", "1:1.2.13.dfsg-1", "Debian", "zlib", "1:1.2.13.dfsg-1", "amd64"),
        ),
        # rpm: epoch qualifier into the version, source rpm file name
        (
            "pkg:rpm/fedora/curl@7.50.3-1.fc25?arch=i386&distro=fedora-25&epoch=1"
            "&upstream=curl-7.50.3-1.fc25.src.rpm",
            [],
            ("curl", "1:7.50.3-1.fc25", "Fedora", "curl", "1:7.50.3-1.fc25", "i386"),
        ),
        (
            "pkg:rpm/rocky/openssl-libs@3.0.7-24.el9?arch=x86_64&distro=rocky-9.3&epoch=1",
            props(syft__metadata__sourceRpm="openssl-3.0.7-24.el9.src.rpm"),
            ("openssl-libs", "1:3.0.7-24.el9", "Rocky Linux", "openssl", "1:3.0.7-24.el9", "x86_64"),
        ),
        (
            "pkg:rpm/redhat/bash@5.1.8-6.el9?arch=x86_64",
            [],
            ("bash", "5.1.8-6.el9", "Red Hat", "bash", "5.1.8-6.el9", "x86_64"),
        ),
        # apk: origin; Trivy writes distro as a bare version
        (
            "pkg:apk/alpine/libcrypto3@3.1.4-r5?arch=x86_64&distro=3.19.1&upstream=openssl",
            [],
            ("libcrypto3", "3.1.4-r5", "Alpine", "openssl", "3.1.4-r5", "x86_64"),
        ),
        (
            "pkg:apk/alpine/musl@1.2.4_git20230717-r4?arch=x86_64&distro=alpine-3.19.1",
            [],
            ("musl", "1.2.4_git20230717-r4", "Alpine", "musl", "1.2.4_git20230717-r4", "x86_64"),
        ),
        # stockade's own properties
        (
            "pkg:deb/debian/gcc-12-base@12.2.0-14?arch=amd64&distro=debian-12",
            props(stockade__source_name="gcc-12"),
            ("gcc-12-base", "12.2.0-14", "Debian", "gcc-12", "12.2.0-14", "amd64"),
        ),
    ],
)
def test_os_packages(purl: str, properties: list[dict[str, str]], expected: tuple[Any, ...]) -> None:
    p = one(purl, properties=properties)
    assert (p.name, p.version, p.ecosystem, p.source_name, p.source_version, p.arch) == expected


@pytest.mark.parametrize(
    ("purls", "os_component", "expected", "problem"),
    [
        (
            ["pkg:deb/debian/libc6@2.36-9?distro=debian-12", "pkg:deb/debian/bash@5.2?distro=debian-12"],
            None,
            ("debian", "12", None, "purl distro qualifier"),
            None,
        ),
        (
            ["pkg:deb/debian/libc6@2.36-9?distro=debian-bookworm"],
            None,
            ("debian", None, "bookworm", "purl distro qualifier"),
            None,
        ),
        (
            ["pkg:apk/alpine/musl@1.2.4-r4?distro=3.19.1"],
            None,
            ("alpine", "3.19.1", None, "purl distro qualifier"),
            None,
        ),
        (
            ["pkg:deb/debian/libc6@2.36-9?distro=debian-12"],
            {"name": "debian", "version": "12.5"},
            ("debian", "12", None, "SBOM operating-system component"),
            None,
        ),
        (
            ["pkg:deb/debian/libc6@2.36-9?distro=debian-12"],
            {"name": "debian"},
            ("debian", "12", None, "SBOM operating-system component"),
            None,
        ),
        (
            ["pkg:deb/ubuntu/libc6@2.35-0ubuntu3?distro=ubuntu-22.04"],
            {"name": "debian", "version": "12"},
            ("debian", "12", None, "SBOM operating-system component"),
            "but package purls say ubuntu 22.04",
        ),
        (["pkg:pypi/six@1.16.0"], None, None, None),
    ],
)
def test_operating_system(
    purls: list[str],
    os_component: dict[str, str] | None,
    expected: tuple[Any, ...] | None,
    problem: str | None,
) -> None:
    comps: list[dict[str, Any]] = [{"type": "library", "name": "p", "purl": p} for p in purls]
    if os_component is not None:
        comps.append({"type": "operating-system", **os_component})
    inventory, _, statuses = read_components(*comps)
    os = inventory.os
    assert (None if os is None else (os.id, os.version_id, os.version_codename, os.source)) == expected
    reasons = [s.reason for s in statuses if s.status is StatusKind.PARTIAL and s.path]
    assert reasons == ([] if problem is None else [r for r in reasons if problem in r])
    assert len(inventory.packages) == len(purls)  # the OS component is not a package


def test_syft_distro_properties() -> None:
    os_comp = {
        "type": "operating-system",
        "name": "debian",
        "version": "12",
        "description": "Debian GNU/Linux 12 (bookworm)",
        "properties": props(
            syft__distro__id="debian",
            syft__distro__versionID="12",
            syft__distro__versionCodename="bookworm",
            syft__distro__prettyName="Debian GNU/Linux 12 (bookworm)",
        ),
    }
    inventory, _, _ = read_components(os_comp)
    assert inventory.os is not None
    assert (
        inventory.os.id,
        inventory.os.version_id,
        inventory.os.version_codename,
        inventory.os.pretty_name,
    ) == (
        "debian",
        "12",
        "bookworm",
        "Debian GNU/Linux 12 (bookworm)",
    )


def test_metadata_component_os_and_subject() -> None:
    meta = {"component": {"type": "operating-system", "name": "alpine", "version": "3.19.1", "bom-ref": "os"}}
    inventory, target, _ = read_components(
        {"type": "library", "name": "musl", "purl": "pkg:apk/alpine/musl@1.2.4-r4"}, metadata=meta
    )
    assert inventory.os is not None and (inventory.os.id, inventory.os.version_id) == ("alpine", "3.19.1")
    assert target.metadata["sbom"]["subject"] == {
        "type": "operating-system",
        "name": "alpine",
        "version": "3.19.1",
        "bom_ref": "os",
    }
    assert target.id == "sbom:operating-system:alpine@3.19.1"


def test_syft_locations_and_duplicate_purls_merge() -> None:
    purl = "pkg:deb/debian/libc6@2.36-9?arch=amd64&distro=debian-12&upstream=glibc"
    comps = [
        {
            "type": "library",
            "name": "libc6",
            "purl": purl,
            "bom-ref": "a",
            "properties": props(syft__location__0__path="/var/lib/dpkg/status"),
        },
        {
            "type": "library",
            "name": "libc6",
            "purl": purl,
            "bom-ref": "b",
            "properties": props(syft__location__0__path="/var/lib/dpkg/status.d/libc6"),
        },
    ]
    inventory, _, _ = read_components(*comps)
    assert len(inventory.packages) == 1
    assert [str(loc) for loc in inventory.packages[0].locations] == [
        "/var/lib/dpkg/status",
        "/var/lib/dpkg/status.d/libc6",
    ]
