"""Helpers every cataloger uses: package construction with a correct purl, key/value paragraph parsing."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

from packageurl import PackageURL
from packageurl import normalize_name as purl_normalize_name
from packageurl import normalize_namespace as purl_normalize_namespace
from packageurl import normalize_type as purl_normalize_type
from packageurl import quote as purl_quote

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
    """The purl string, exactly as packageurl-python writes it (purl-spec).

    packageurl-python costs ~25 µs a purl, most of it re-normalising the same type, namespace and
    qualifiers (``arch=amd64``, ``distro=debian-12``) for every package.  Here the library's own
    normalisers are applied to each part, and the parts that repeat are cached.
    tests/catalog/test_purl.py checks the result equals the library's on real inventories and on
    hostile strings.
    """
    if subpath or type_ in _SPECIAL_TYPES or not _plain(name) or not _plain(namespace) or not _plain(version):
        # the library's order of quoting, stripping and case folding decides these: let it
        return _library_purl(type_, name, version, namespace, qualifiers, subpath)
    prefix, norm_type = _purl_prefix(type_, namespace or None)
    out = prefix + str(purl_normalize_name(name, None, norm_type))
    if version:
        stripped = version.strip()
        if stripped:
            out += "@" + purl_quote(stripped)
    if qualifiers:
        pairs = sorted(
            (k.strip().lower(), v) for k, v in qualifiers.items() if k and k.strip() and v and v.strip()
        )
        if pairs:
            out += "?" + "&".join([_purl_qualifier(k, v) for k, v in pairs])
    return out


def _plain(part: str | None) -> bool:
    return part is None or (part != "" and part == part.strip() and part[0] != "/" and part[-1] != "/")


#: purl types whose name or version normalisation depends on more than the part itself
_SPECIAL_TYPES = frozenset({"mlflow", "huggingface", "oci"})


def _library_purl(
    type_: str,
    name: str,
    version: str | None,
    namespace: str | None,
    qualifiers: dict[str, str] | None,
    subpath: str | None,
) -> str:
    quals = {k: v for k, v in (qualifiers or {}).items() if v}
    purl = PackageURL(
        type=type_, namespace=namespace or None, name=name, version=version or None,
        qualifiers=quals or None, subpath=subpath,
    )  # fmt: skip
    return str(purl.to_string())


@functools.lru_cache(maxsize=1024)
def _purl_prefix(type_: str, namespace: str | None) -> tuple[str, str]:
    norm_type = str(purl_normalize_type(type_))
    ns = purl_normalize_namespace(namespace, norm_type)
    return (f"pkg:{norm_type}/" + (f"{ns}/" if ns else "")), norm_type


@functools.lru_cache(maxsize=16384)
def _purl_qualifier(key: str, value: str) -> str:
    return f"{key}={purl_quote(value)}"


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


_JSON_TYPES: dict[type, str] = {
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
    dict: "an object",
    list: "an array",
    type(None): "null",
}


def json_type(value: object) -> str:
    """``'a number'``, ``'an object'`` ... for messages about a JSON value of the wrong type."""
    return _JSON_TYPES.get(type(value), type(value).__name__)
