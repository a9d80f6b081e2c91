"""Helpers every cataloger uses: package construction with a correct purl, key/value paragraph parsing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from packageurl import PackageURL

from stockade.model.inventory import Location, OSInfo, Package

#: purl type → OSV ecosystem name (https://ossf.github.io/osv-schema/#affectedpackage-field)
ECOSYSTEMS: dict[str, str] = {
    "pypi": "PyPI",
    "npm": "npm",
    "golang": "Go",
    "maven": "Maven",
    "cargo": "crates.io",
    "gem": "RubyGems",
    "composer": "Packagist",
    "nuget": "NuGet",
}

#: os-release ID → OSV ecosystem for OS packages
OS_ECOSYSTEMS: dict[str, str] = {
    "debian": "Debian",
    "ubuntu": "Ubuntu",
    "alpine": "Alpine",
    "wolfi": "Wolfi",
    "chainguard": "Chainguard",
    "rhel": "Red Hat",
    "centos": "Red Hat",
    "rocky": "Rocky Linux",
    "almalinux": "AlmaLinux",
    "fedora": "Fedora",
    "opensuse-leap": "openSUSE",
    "sles": "SUSE",
    "amzn": "Amazon Linux",
    "mariner": "Mariner",
    "azurelinux": "Azure Linux",
    "photon": "Photon OS",
}


def lookup_os(os: OSInfo | None, table: dict[str, str]) -> str | None:
    """``table[ID]``, else the first ``ID_LIKE`` entry in ``table`` (os-release(5)), else None."""
    if os is None:
        return None
    if os.id in table:
        return table[os.id]
    for like in os.id_like:
        if like in table:
            return table[like]
    return None


def os_ecosystem(os: OSInfo | None, default: str) -> str:
    return lookup_os(os, OS_ECOSYSTEMS) or default


def distro_qualifier(os: OSInfo | None) -> str | None:
    """The purl ``distro`` qualifier, e.g. ``debian-12`` (purl-spec deb/rpm/apk types)."""
    if os is None:
        return None
    if os.version_id:
        return f"{os.id}-{os.version_id}"
    if os.version_codename:
        return f"{os.id}-{os.version_codename}"
    return os.id


def make_purl(
    type_: str,
    name: str,
    version: str | None,
    *,
    namespace: str | None = None,
    qualifiers: dict[str, str] | None = None,
    subpath: str | None = None,
) -> str:
    quals = {k: v for k, v in (qualifiers or {}).items() if v}
    purl = PackageURL(
        type=type_,
        namespace=namespace or None,
        name=name,
        version=version or None,
        qualifiers=quals or None,
        subpath=subpath,
    )
    return str(purl.to_string())


def make_package(
    *,
    name: str,
    version: str,
    type_: str,
    found_by: str,
    path: str,
    line: int | None = None,
    namespace: str | None = None,
    ecosystem: str | None = None,
    qualifiers: dict[str, str] | None = None,
    purl_name: str | None = None,
    purl_version: str | None = None,
    source_name: str | None = None,
    source_version: str | None = None,
    arch: str | None = None,
    licenses: tuple[str, ...] = (),
    metadata: dict[str, Any] | None = None,
) -> Package:
    """Build a :class:`Package` with its purl.  ``purl_name`` overrides the name used in the purl (a
    Go module path is split into namespace and name, for instance); ``purl_version`` the version in the
    purl (an rpm's epoch is a purl qualifier, not part of the purl version)."""
    return Package(
        name=name,
        version=version,
        type=type_,
        ecosystem=ecosystem or ECOSYSTEMS.get(type_, type_),
        purl=make_purl(
            type_, purl_name or name, purl_version or version, namespace=namespace, qualifiers=qualifiers
        ),
        found_by=found_by,
        locations=(Location(path, line),),
        namespace=namespace,
        source_name=source_name,
        source_version=source_version,
        arch=arch,
        licenses=licenses,
        metadata=metadata or {},
    )


def iter_paragraphs(text: str) -> Iterator[tuple[int, dict[str, str]]]:
    """RFC 822-style paragraphs (deb822(5)): ``Field: value`` lines, continuation lines starting with a
    space or tab, paragraphs separated by blank lines.  Yields ``(first line number, fields)``.

    A line that is neither a field nor a continuation raises ``ValueError`` naming the line.
    """
    fields: dict[str, str] = {}
    start = 0
    last: str | None = None
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            if fields:
                yield start, fields
            fields, last = {}, None
            continue
        if line[0] in " \t":
            if last is None:
                raise ValueError(f"line {lineno}: continuation line outside a field")
            fields[last] += "\n" + line[1:]
            continue
        key, sep, value = line.partition(":")
        if not sep or not key or " " in key:
            raise ValueError(f"line {lineno}: expected 'Field: value', got {line[:60]!r}")
        if not fields:
            start = lineno
        last = key
        fields[key] = value.strip()
    if fields:
        yield start, fields
