"""Packages and the operating system a target is made of."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from stockade.model.fastinit import faster_init


@faster_init
@dataclass(frozen=True, slots=True, order=True)
class Location:
    """Where evidence of a package was found: a path inside the target (always absolute, ``/``-rooted
    at the target's root), optionally a line and, for images, the layer that introduced it."""

    path: str
    line: int | None = None
    layer: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path}
        if self.line is not None:
            out["line"] = self.line
        if self.layer is not None:
            out["layer"] = self.layer
        return out

    def __str__(self) -> str:
        return self.path if self.line is None else f"{self.path}:{self.line}"

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (Location, (self.path, self.line, self.layer))  # (as Finding: cheaper to unpickle)


@dataclass(frozen=True, slots=True)
class Package:
    """One installed or declared software component.

    ``type`` is the purl type (``deb``, ``pypi``, ``npm`` ...); ``ecosystem`` the OSV ecosystem name
    (``Debian``, ``PyPI``, ``npm`` ...) without a release, which lives in the inventory's ``os``.
    ``source_name``/``source_version`` are the OS source package (dpkg ``Source:``, rpm SRPM, apk
    origin): distro advisories are keyed by source package, not binary package.
    """

    name: str
    version: str
    type: str
    ecosystem: str
    purl: str
    found_by: str
    locations: tuple[Location, ...] = ()
    namespace: str | None = None
    source_name: str | None = None
    source_version: str | None = None
    arch: str | None = None
    licenses: tuple[str, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def key(self) -> tuple[str, str]:
        return (self.purl, self.found_by)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "version": self.version,
            "type": self.type,
            "ecosystem": self.ecosystem,
            "purl": self.purl,
            "found_by": self.found_by,
            "locations": [loc.to_dict() for loc in self.locations],
        }
        for key in ("namespace", "source_name", "source_version", "arch"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.licenses:
            out["licenses"] = list(self.licenses)
        if self.metadata:
            out["metadata"] = dict(sorted(self.metadata.items()))
        return out


@dataclass(frozen=True, slots=True)
class OSInfo:
    """The operating system, from ``/etc/os-release`` (freedesktop os-release(5)) or a fallback."""

    id: str
    version_id: str | None = None
    name: str | None = None
    pretty_name: str | None = None
    version_codename: str | None = None
    id_like: tuple[str, ...] = ()
    source: str | None = None  # the file the facts came from

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id}
        for key in ("version_id", "name", "pretty_name", "version_codename", "source"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.id_like:
            out["id_like"] = list(self.id_like)
        return out


@dataclass(frozen=True, slots=True)
class Inventory:
    os: OSInfo | None
    packages: tuple[Package, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "os": self.os.to_dict() if self.os else None,
            "packages": [p.to_dict() for p in self.packages],
        }
