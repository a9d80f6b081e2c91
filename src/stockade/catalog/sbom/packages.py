"""Components → packages: the purl decides name, version, type and ecosystem; the distribution and the
source package come from purl qualifiers (purl-spec ``deb``, ``rpm``, ``apk`` types) and from the
properties the common generators write.

- ``distro=`` names the release: ``debian-12``, ``ubuntu-22.04``, ``alpine-3.19.1``, ``rocky-9.3``, a
  codename (``debian-bookworm``) or, as Trivy writes for apk, a bare version (``3.18.4``: the
  distribution is then the purl namespace).
- The source package — what distro advisories are keyed by — is, in order: the ``upstream=`` qualifier
  (deb ``name`` or ``name@version`` as syft and stockade write it; rpm the source rpm file name
  ``name-version-release.src.rpm``; apk the origin), stockade's ``stockade:source_name`` /
  ``stockade:source_version`` properties, syft's ``syft:metadata:source`` / ``sourceVersion`` /
  ``sourceRpm``, Trivy's ``aquasecurity:trivy:SrcName`` / ``SrcVersion`` / ``SrcRelease`` /
  ``SrcEpoch``.  When none is given the binary package is its own source, as dpkg itself assumes when a
  package has no ``Source:`` field.  The same fields the OS catalogers fill: ``source_name``,
  ``source_version``, ``arch``; ``metadata["distro"]`` keeps the package's own ``distro`` qualifier.
- rpm: the purl version is ``version-release`` and the epoch a qualifier; ``Package.version`` is
  ``[epoch:]version-release``, as the rpm cataloger writes it.
- Names are the ecosystem's: ``group:artifact`` for Maven, ``@scope/name`` for npm, the whole module
  path for Go, ``vendor/name`` for Composer.  When the document's own name is the same package name
  spelt differently (``Django`` for ``pkg:pypi/django``) the document's spelling is kept.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from typing import Any

from packageurl import PackageURL

from stockade.catalog.common import ECOSYSTEMS, OS_ECOSYSTEMS, lookup_os, make_purl
from stockade.catalog.os.rpmheader import split_sourcerpm
from stockade.catalog.sbom.model import Component, describe
from stockade.model.inventory import Location, OSInfo, Package
from stockade.model.status import Status, StatusKind

#: purl types of operating-system packages
OS_TYPES = frozenset({"deb", "rpm", "apk"})
DEFAULT_OS_ECOSYSTEM = {"deb": "Debian", "rpm": "Red Hat", "apk": "Alpine"}
#: purl types whose package name includes the purl namespace, and the separator
JOINED = {"golang": "/", "npm": "/", "composer": "/", "maven": ":"}
#: purl namespace (distribution vendor) → os-release ID, for purls without a ``distro`` qualifier
VENDOR_IDS = {
    "debian": "debian", "ubuntu": "ubuntu", "alpine": "alpine", "wolfi": "wolfi", "chainguard": "chainguard",
    "redhat": "rhel", "centos": "centos", "fedora": "fedora", "rocky": "rocky", "almalinux": "almalinux",
    "amazon": "amzn", "opensuse": "opensuse-leap", "suse": "sles", "mariner": "mariner",
    "azurelinux": "azurelinux", "photon": "photon", "oracle": "ol",
}  # fmt: skip
#: os-release ID syntax (os-release(5): lower case, 0–9, a–z, ".", "_", "-")
_OS_ID = re.compile(r"^[a-z0-9._-]+$")
_DISTRO = re.compile(r"^(?:(?P<id>[a-z][a-z0-9._-]*?)-)?(?P<version>[0-9][A-Za-z0-9.+~_-]*)$")
_DISTRO_CODENAME = re.compile(r"^(?P<id>[a-z][a-z0-9._]*)-(?P<codename>[a-z][a-z0-9]*)$")
_FOLD = re.compile(r"[-_.]+")
SYNTHESISED = "synthesised: the SBOM gives no purl"


def parse_distro(value: str, vendor: str | None = None) -> OSInfo | None:
    """A purl ``distro`` qualifier as an OSInfo; ``vendor`` (the purl namespace) names the distribution
    when the qualifier is a bare version."""
    value = value.strip().lower()
    m = _DISTRO.match(value)
    if m:
        os_id = m.group("id") or (VENDOR_IDS.get(vendor, vendor) if vendor else None)
        return normalise_os(OSInfo(id=os_id, version_id=m.group("version"))) if os_id else None
    m = _DISTRO_CODENAME.match(value)
    if m:
        return OSInfo(id=m.group("id"), version_codename=m.group("codename"))
    return OSInfo(id=value) if _OS_ID.match(value) else None


def normalise_os(os: OSInfo) -> OSInfo:
    """Debian's os-release ``VERSION_ID`` is the major release (``12``); SBOMs made from
    ``/etc/debian_version`` say ``12.5``.  Advisories are per major release, so keep the major."""
    if os.id == "debian" and os.version_id and "." in os.version_id:
        major = os.version_id.split(".", 1)[0]
        if major.isdigit():
            pretty = os.pretty_name or f"Debian {os.version_id}"
            return replace(os, version_id=major, pretty_name=pretty)
    return os


def os_from_component(comp: Component, source: str) -> OSInfo | None:
    """An ``operating-system`` component (or SPDX package of that purpose) as an OSInfo, if its name is
    an os-release ID (``debian``, ``alpine``); syft's ``syft:distro:*`` properties win when present."""
    props = comp.properties
    os_id = (props.get("syft:distro:id") or comp.name).strip().lower()
    if not _OS_ID.match(os_id):
        return None
    id_like = tuple(v for k, v in sorted(props.items()) if k.startswith("syft:distro:idLike:"))
    return normalise_os(
        OSInfo(
            id=os_id,
            version_id=props.get("syft:distro:versionID") or comp.version or None,
            pretty_name=props.get("syft:distro:prettyName") or comp.description or None,
            version_codename=props.get("syft:distro:versionCodename") or props.get("stockade:os_codename"),
            id_like=id_like,
            source=source,
        )
    )


def purl_os(purls: list[PackageURL]) -> OSInfo | None:
    """The release most OS package purls name in their ``distro`` qualifier."""
    counts: Counter[OSInfo] = Counter()
    for p in purls:
        if p.type in OS_TYPES and p.qualifiers:
            distro = p.qualifiers.get("distro")
            os = parse_distro(distro, p.namespace) if distro else None
            if os is not None:
                counts[os] += 1
    if not counts:
        return None
    os = counts.most_common(1)[0][0]
    return OSInfo(id=os.id, version_id=os.version_id, pretty_name=os.pretty_name,
                  version_codename=os.version_codename, source="purl distro qualifier")  # fmt: skip


def parse_purl(comp: Component) -> tuple[PackageURL | None, str | None]:
    """The parsed purl and, if it is not valid, why."""
    if not comp.purl:
        return None, None
    try:
        return PackageURL.from_string(comp.purl), None
    except ValueError as exc:
        return (
            None,
            f"{describe(comp)}: purl {comp.purl[:200]!r} is not a valid purl ({exc}): cannot be matched",
        )


def fold(name: str) -> str:
    return _FOLD.sub("-", name).lower()


def build_package(
    comp: Component, purl: PackageURL | None, os: OSInfo | None, found_by: str, default_location: Location
) -> Package:
    """The Package for a component; ``purl`` None means it has none usable (a ``generic`` purl is
    synthesised from name and version so that the package is kept and shown)."""
    metadata: dict[str, Any] = {}
    if comp.ref:
        metadata["sbom_ref"] = comp.ref
    if comp.properties.get("stockade:found_by"):
        metadata["sbom_found_by"] = comp.properties["stockade:found_by"]
    locations = comp.locations or (default_location,)
    doc_name = (
        f"{comp.group}{JOINED.get(purl.type, '/') if purl else '/'}{comp.name}" if comp.group else comp.name
    )
    if purl is None:
        metadata["purl"] = SYNTHESISED
        return Package(
            name=doc_name, version=comp.version, type="generic", ecosystem="generic",
            purl=make_purl("generic", comp.name, comp.version or None, namespace=comp.group),
            found_by=found_by, locations=locations, namespace=comp.group, licenses=comp.licenses,
            metadata=metadata,
        )  # fmt: skip
    qualifiers: dict[str, str] = dict(purl.qualifiers or {})
    sep = JOINED.get(purl.type)
    name = f"{purl.namespace}{sep}{purl.name}" if sep and purl.namespace else purl.name
    if doc_name != name and fold(doc_name) == fold(name):
        name = doc_name
    version = purl.version or comp.version
    if purl.type == "rpm" and qualifiers.get("epoch") and version and ":" not in version:
        version = f"{qualifiers['epoch']}:{version}"
    source_name = source_version = None
    ecosystem = ECOSYSTEMS.get(purl.type, purl.type)
    if purl.type in OS_TYPES:
        source_name, source_version = source_of(purl.type, purl.name, version, qualifiers, comp.properties)
        ecosystem = os_ecosystem(purl, os)
        if qualifiers.get("distro"):
            metadata["distro"] = qualifiers["distro"]
    return Package(
        name=name, version=version, type=purl.type, ecosystem=ecosystem, purl=str(purl.to_string()),
        found_by=found_by, locations=locations, namespace=purl.namespace or None, source_name=source_name,
        source_version=source_version, arch=qualifiers.get("arch") or None, licenses=comp.licenses,
        metadata=metadata,
    )  # fmt: skip


def os_ecosystem(purl: PackageURL, os: OSInfo | None) -> str:
    """OSV ecosystem of an OS package: its own ``distro``, else its vendor namespace, else the inventory's
    operating system, else the purl type's usual distribution."""
    distro = (purl.qualifiers or {}).get("distro")
    own = parse_distro(distro, purl.namespace) if distro else None
    if own is not None and own.id in OS_ECOSYSTEMS:
        return OS_ECOSYSTEMS[own.id]
    vendor = VENDOR_IDS.get(purl.namespace or "", purl.namespace or "")
    if vendor in OS_ECOSYSTEMS:
        return OS_ECOSYSTEMS[vendor]
    return lookup_os(os, OS_ECOSYSTEMS) or DEFAULT_OS_ECOSYSTEM[purl.type]


def source_of(
    type_: str, name: str, version: str, qualifiers: dict[str, str], props: dict[str, str]
) -> tuple[str, str]:
    """``(source_name, source_version)`` of an OS package (see the module docstring for the order)."""
    upstream = qualifiers.get("upstream", "").strip()
    if upstream:
        if type_ == "rpm":
            parsed = split_sourcerpm(upstream)
            if parsed is not None:
                epoch = qualifiers.get("epoch")
                vr = f"{parsed[1]}-{parsed[2]}"
                return parsed[0], f"{epoch}:{vr}" if epoch else vr
        else:
            src, _, src_version = upstream.partition("@")
            if src:
                return src, src_version or version
    if props.get("stockade:source_name"):
        return props["stockade:source_name"], props.get("stockade:source_version") or version
    if props.get("syft:metadata:source"):
        return props["syft:metadata:source"], props.get("syft:metadata:sourceVersion") or version
    srpm = split_sourcerpm(props.get("syft:metadata:sourceRpm", ""))
    if srpm is not None:
        epoch = qualifiers.get("epoch")
        return srpm[0], f"{epoch}:{srpm[1]}-{srpm[2]}" if epoch else f"{srpm[1]}-{srpm[2]}"
    if props.get("aquasecurity:trivy:SrcName"):
        src_version = props.get("aquasecurity:trivy:SrcVersion", "")
        if src_version and props.get("aquasecurity:trivy:SrcRelease"):
            src_version += "-" + props["aquasecurity:trivy:SrcRelease"]
        if src_version and props.get("aquasecurity:trivy:SrcEpoch"):
            src_version = props["aquasecurity:trivy:SrcEpoch"] + ":" + src_version
        return props["aquasecurity:trivy:SrcName"], src_version or version
    return name, version


def build_all(
    components: list[Component],
    os_candidates: list[tuple[OSInfo, str]],
    found_by: str,
    plugin: str,
    path: str,
) -> tuple[OSInfo | None, list[Package], list[Status]]:
    """The inventory's operating system, the packages, and a status for every component that cannot
    be matched (no purl, a broken purl)."""
    statuses: list[Status] = []
    parsed: list[tuple[Component, PackageURL | None]] = []
    for comp in components:
        purl, error = parse_purl(comp)
        if error is not None:
            statuses.append(Status(plugin, StatusKind.PARTIAL, error, path))
        elif purl is None:
            statuses.append(
                Status(plugin, StatusKind.PARTIAL, f"{describe(comp)}: no purl: cannot be matched", path)
            )
        parsed.append((comp, purl))
    os = choose_os(os_candidates, [p for _, p in parsed if p is not None], plugin, path, statuses)
    # a component with no location of its own is located in the SBOM, at its line where that is known
    packages = [build_package(comp, purl, os, found_by, Location(path, comp.line)) for comp, purl in parsed]
    return os, packages, statuses


def choose_os(
    candidates: list[tuple[OSInfo, str]],
    purls: list[PackageURL],
    plugin: str,
    path: str,
    statuses: list[Status],
) -> OSInfo | None:
    """The document's operating-system component first; the purls' ``distro`` qualifiers fill in a
    missing release, or stand alone when the document names no OS.  Disagreement is reported."""
    from_purls = purl_os(purls)
    if not candidates:
        return from_purls
    os, where = candidates[0]
    if len({(c.id, c.version_id) for c, _ in candidates}) > 1:
        named = ", ".join(f"{c.id} {c.version_id or ''}".strip() for c, _ in candidates)
        reason = f"operating system: the SBOM names several ({named}); using the first"
        statuses.append(Status(plugin, StatusKind.PARTIAL, reason, path))
    if from_purls is not None and from_purls.id == os.id:
        if not os.version_id and from_purls.version_id:
            codename = os.version_codename or from_purls.version_codename
            os = replace(os, version_id=from_purls.version_id, version_codename=codename)
    elif from_purls is not None:
        named = f"{os.id} {os.version_id or ''}".strip()
        said = f"{from_purls.id} {from_purls.version_id or from_purls.version_codename or ''}".strip()
        reason = f"operating system: {where} names {named} but package purls say {said}"
        statuses.append(Status(plugin, StatusKind.PARTIAL, reason, path))
    return os
