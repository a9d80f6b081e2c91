"""Which version scheme orders which ecosystem.

Ecosystem names are OSV's (https://ossf.github.io/osv-schema/#affectedpackage-field), compared on the
part before the first ``:`` (``Debian:12``, ``Alpine:v3.19``, ``Ubuntu:22.04:LTS``).  The table follows
osv.dev's own ``osv/ecosystems/_ecosystems.py``, plus the names stockade's OS catalogers give packages
of distributions OSV has no feed for (``Fedora``, ``Amazon Linux``, ``Mariner``), which are rpm-based.
Ecosystems OSV does not order (``GIT``, ``Linux``, ``Android``, ``OSS-Fuzz`` ...) have no scheme.
"""

from __future__ import annotations

from stockade.vuln.versions.apk import ApkScheme
from stockade.vuln.versions.dpkg import DpkgScheme
from stockade.vuln.versions.go import GoScheme
from stockade.vuln.versions.interface import VersionScheme
from stockade.vuln.versions.maven import MavenScheme
from stockade.vuln.versions.nuget import NuGetScheme
from stockade.vuln.versions.packagist import PackagistScheme
from stockade.vuln.versions.pep440 import Pep440Scheme
from stockade.vuln.versions.pub import PubScheme
from stockade.vuln.versions.rpm import RpmScheme
from stockade.vuln.versions.rubygems import RubyGemsScheme
from stockade.vuln.versions.semver import SemverScheme

#: scheme name -> class
SCHEMES: dict[str, type[VersionScheme]] = {
    cls.NAME: cls
    for cls in (
        DpkgScheme,
        RpmScheme,
        ApkScheme,
        Pep440Scheme,
        SemverScheme,
        GoScheme,
        MavenScheme,
        RubyGemsScheme,
        NuGetScheme,
        PackagistScheme,
        PubScheme,
    )
}

#: OSV ecosystem (before ":") -> scheme name
ECOSYSTEM_SCHEMES: dict[str, str] = {
    # dpkg
    "Debian": "dpkg",
    "Ubuntu": "dpkg",
    "Echo": "dpkg",
    # apk
    "Alpine": "apk",
    "Wolfi": "apk",
    "Chainguard": "apk",
    "MinimOS": "apk",
    "Alpaquita": "apk",
    "BellSoft Hardened Containers": "apk",
    # rpm
    "Red Hat": "rpm",
    "AlmaLinux": "rpm",
    "Rocky Linux": "rpm",
    "openSUSE": "rpm",
    "SUSE": "rpm",
    "Mageia": "rpm",
    "openEuler": "rpm",
    "Photon OS": "rpm",
    "Azure Linux": "rpm",
    "Mariner": "rpm",
    "Amazon Linux": "rpm",  # not an OSV ecosystem; stockade's name for amzn packages
    "Fedora": "rpm",  # likewise
    # language ecosystems
    "PyPI": "pep440",
    "npm": "semver",
    "crates.io": "semver",
    "Hex": "semver",
    "Bitnami": "semver",
    "SwiftURL": "semver",
    "Pub": "pub",
    "Go": "go",
    "Maven": "maven",
    "RubyGems": "rubygems",
    "NuGet": "nuget",
    "Packagist": "packagist",
}

_INSTANCES: dict[str, VersionScheme] = {}


def get_scheme(name: str) -> VersionScheme:
    """The shared instance of scheme ``name`` (``KeyError`` for an unknown name)."""
    scheme = _INSTANCES.get(name)
    if scheme is None:
        scheme = _INSTANCES[name] = SCHEMES[name]()
    return scheme


def scheme_for(ecosystem: str) -> VersionScheme | None:
    """The scheme that orders versions of OSV ``ecosystem`` (``"Debian:12"`` → dpkg), or None."""
    name = ECOSYSTEM_SCHEMES.get(ecosystem.partition(":")[0])
    return None if name is None else get_scheme(name)


def scheme_for_range(range_type: str, ecosystem: str) -> VersionScheme | None:
    """The scheme for one OSV ``affected[].ranges[]`` entry.

    ``SEMVER`` ranges always use SemVer 2.0.0 precedence, whatever the ecosystem (OSV: "the versions
    ... are semantic versions ... without a leading v"; Go's ranges are ``SEMVER``, so ``1.2.3``,
    not ``v1.2.3`` — the semver scheme also accepts the ``v`` of an installed Go module version).
    ``ECOSYSTEM`` ranges use the ecosystem's scheme; ``GIT`` ranges (commit hashes) have none.
    """
    if range_type == "SEMVER":
        return get_scheme("semver")
    if range_type == "ECOSYSTEM":
        return scheme_for(ecosystem)
    return None
