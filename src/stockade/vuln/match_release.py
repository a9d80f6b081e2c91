"""Which advisories of a distribution apply to an installed OS package: the release rule.

Distribution advisories are per release.  OSV writes the release after the ecosystem
(ossf.github.io/osv-schema/#affectedpackage-field): ``Debian:11`` (the numeric version of
distro-info-data), ``Ubuntu:22.04:LTS``, ``Alpine:v3.18`` (the ``v`` is required), ``AlmaLinux:8``,
``Rocky Linux:9``, ``Photon OS:3.0``, ``Mageia:9``, ``openSUSE:<PRETTY_NAME>``.  stockade's feed readers
write the same forms (``Debian:11`` from ``[bullseye]``, ``Alpine:v3.11`` from ``distroversion``,
``Ubuntu:20.04`` from ``focal_``).

The release of the scanned system comes from os-release (:class:`~stockade.model.inventory.OSInfo`):

- Debian: ``VERSION_ID`` (``12``; a point release ``12.5`` from ``/etc/debian_version`` counts as 12),
  else the code name (testing has no ``VERSION_ID``: ``trixie`` → 13);
- Ubuntu: ``VERSION_ID`` (``22.04``); Alpine: ``v`` + major.minor of ``VERSION_ID`` (``3.18.4`` →
  ``v3.18``), an ``_alpha``/``_rc`` development snapshot is ``edge``;
- AlmaLinux, Rocky Linux, Red Hat: the major version; openSUSE/SUSE: ``PRETTY_NAME``; others:
  ``VERSION_ID`` as written.

An advisory entry applies when its ecosystem has no release (``Debian``: every release) or its release
is the system's, compared after :func:`~stockade.vuln.feeds.names.canonical_ecosystem` (so
``Ubuntu:22.04:LTS`` is ``Ubuntu:22.04``).  ``Ubuntu:Pro:…`` entries describe Ubuntu Pro (ESM) updates,
which a system only receives with Pro enabled; stockade cannot tell that from the filesystem, so they
are not applied (docs/vulnerabilities.md).  Language ecosystems have no releases; a repository suffix
(``Maven:https://maven.google.com``) is accepted as the same ecosystem.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from stockade.model.inventory import OSInfo
from stockade.vuln.feeds.debian import RELEASES as DEBIAN_RELEASES
from stockade.vuln.feeds.names import canonical_ecosystem

#: OSV ecosystems (before ":") whose advisories are per distribution release
OS_ECOSYSTEMS = frozenset(
    {
        "Debian", "Ubuntu", "Alpine", "Wolfi", "Chainguard", "Echo", "MinimOS", "Alpaquita",
        "BellSoft Hardened Containers", "Red Hat", "AlmaLinux", "Rocky Linux", "openSUSE", "SUSE",
        "Mageia", "openEuler", "Photon OS", "Azure Linux", "Mariner", "Amazon Linux", "Fedora",
    }
)  # fmt: skip
#: purl types of OS packages (their advisories are keyed by source package)
OS_TYPES = frozenset({"deb", "rpm", "apk", "alpm"})
#: an OS package's purl namespace (the distribution: purl-spec deb/rpm/apk types) → OSV ecosystem, for
#: packages whose ecosystem a reader left as the purl type (an SBOM without an OS component)
NAMESPACE_ECOSYSTEMS = {
    "debian": "Debian", "ubuntu": "Ubuntu", "alpine": "Alpine", "wolfi": "Wolfi", "chainguard": "Chainguard",
    "redhat": "Red Hat", "rhel": "Red Hat", "centos": "Red Hat", "rocky": "Rocky Linux",
    "almalinux": "AlmaLinux", "fedora": "Fedora", "opensuse": "openSUSE", "suse": "SUSE",
    "amzn": "Amazon Linux", "mariner": "Mariner", "azurelinux": "Azure Linux", "photon": "Photon OS",
}  # fmt: skip
_MAJOR_ONLY = frozenset({"AlmaLinux", "Rocky Linux", "Red Hat"})
_PRETTY = frozenset({"openSUSE", "SUSE"})
_MAJOR_MINOR = re.compile(r"^(\d+)\.(\d+)")


def release_ecosystem(base: str, os: OSInfo | None) -> str | None:
    """The OSV ecosystem with release of the scanned system (``Debian:12``), or None if unknown."""
    if os is None:
        return None
    version = (os.version_id or "").strip()
    if base == "Debian":
        if version:
            return f"Debian:{version.split('.')[0]}"
        number = DEBIAN_RELEASES.get((os.version_codename or "").strip())
        return f"Debian:{number}" if number else None
    if base == "Alpine":
        if "_" in version:  # 3.19_alpha20230901: a development snapshot of edge
            return "Alpine:edge"
        m = _MAJOR_MINOR.match(version)
        return f"Alpine:v{m[1]}.{m[2]}" if m else None
    if base in _PRETTY:
        return f"{base}:{os.pretty_name}" if os.pretty_name else None
    if not version:
        return None
    if base in _MAJOR_ONLY:
        return f"{base}:{version.split('.')[0]}"
    return f"{base}:{version}"


def distro_of_purl(purl: str) -> OSInfo | None:
    """The system a package's purl ``distro`` qualifier names (``debian-12``, ``alpine-3.18.4``,
    ``ubuntu-22.04``), for inventories read from an SBOM without an operating-system component."""
    _, _, query = purl.partition("?")
    for pair in query.split("#", 1)[0].split("&"):
        key, _, value = pair.partition("=")
        if key == "distro" and value:
            name, _, version = unquote(value).partition("-")
            if not name:
                return None
            if version and not version[0].isdigit():
                return OSInfo(id=name.lower(), version_codename=version)
            return OSInfo(id=name.lower(), version_id=version or None)
    return None


def applies(ecosystem: str, base: str, release: str | None) -> bool:
    """Whether an advisory entry of ``ecosystem`` applies to a package of ecosystem ``base`` on a
    system of ``release`` (None: unknown or not a distribution package)."""
    eco = canonical_ecosystem(ecosystem)
    if eco == base:
        return True
    if base not in OS_ECOSYSTEMS:
        return True  # a language ecosystem with a repository suffix
    return release is not None and eco == release


def has_release(ecosystem: str) -> bool:
    return ":" in ecosystem
