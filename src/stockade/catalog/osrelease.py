"""Identify the operating system of a target.

``/etc/os-release`` then ``/usr/lib/os-release`` (os-release(5): shell-style ``KEY=value`` lines, values
optionally quoted, ``\\`` escapes inside double quotes); then the distribution files that predate it.
"""

from __future__ import annotations

import re
import shlex

from stockade.model.inventory import OSInfo
from stockade.model.status import Status, StatusKind
from stockade.target.fs import FileAccessError, TargetFS

OS_RELEASE_FILES = ("/etc/os-release", "/usr/lib/os-release")
_MAX = 64 * 1024


def parse_os_release(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        key = key.strip()
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            continue
        try:
            parts = shlex.split(value, comments=False, posix=True)
            out[key] = " ".join(parts)
        except ValueError:
            out[key] = value.strip().strip("\"'")
    return out


def _from_fields(fields: dict[str, str], source: str) -> OSInfo | None:
    os_id = fields.get("ID", "").strip().lower()
    if not os_id:
        return None
    return OSInfo(
        id=os_id,
        version_id=fields.get("VERSION_ID") or None,
        name=fields.get("NAME") or None,
        pretty_name=fields.get("PRETTY_NAME") or None,
        version_codename=fields.get("VERSION_CODENAME") or None,
        id_like=tuple(fields.get("ID_LIKE", "").split()),
        source=source,
    )


_RELEASE_FILE_PATTERNS: tuple[tuple[str, str, str], ...] = (
    # (file, os id, regex with a "v" group for the version)
    ("/etc/alpine-release", "alpine", r"(?P<v>[0-9][^\s]*)"),
    ("/etc/debian_version", "debian", r"(?P<v>[0-9][^\s]*)"),
    ("/etc/centos-release", "centos", r"release (?P<v>[0-9][^\s]*)"),
    ("/etc/redhat-release", "rhel", r"release (?P<v>[0-9][^\s]*)"),
    ("/etc/system-release", "amzn", r"release (?P<v>[0-9][^\s]*)"),
)
LSB_RELEASE = "/etc/lsb-release"
#: every file the OS is identified from (image scans unpack exactly these)
RELEASE_FILES = (*OS_RELEASE_FILES, *(p for p, _, _ in _RELEASE_FILE_PATTERNS), LSB_RELEASE)


PLUGIN = "os-release"


def _read(fs: TargetFS, path: str, problems: list[Status] | None) -> str | None:
    try:
        return fs.read_text(path, max_size=_MAX, errors="replace")
    except FileAccessError as exc:
        if problems is not None and exc.reason != "no such file":
            problems.append(Status(PLUGIN, StatusKind.ERROR, exc.reason, path))
        return None


def detect_os(fs: TargetFS, problems: list[Status] | None = None) -> OSInfo | None:
    """The target's OS, or None.  Files that exist but cannot be read are appended to ``problems``."""
    for path in OS_RELEASE_FILES:
        text = _read(fs, path, problems)
        if text is None:
            continue
        info = _from_fields(parse_os_release(text), path)
        if info is not None:
            return info
    lsb_text = _read(fs, LSB_RELEASE, problems)
    lsb = parse_os_release(lsb_text) if lsb_text else {}
    if lsb.get("DISTRIB_ID"):
        return OSInfo(
            id=lsb["DISTRIB_ID"].lower(),
            version_id=lsb.get("DISTRIB_RELEASE"),
            version_codename=lsb.get("DISTRIB_CODENAME"),
            pretty_name=lsb.get("DISTRIB_DESCRIPTION"),
            source="/etc/lsb-release",
        )
    for path, os_id, pattern in _RELEASE_FILE_PATTERNS:
        raw = _read(fs, path, problems)
        if raw is None:
            continue
        text = raw.strip()
        match = re.search(pattern, text)
        if os_id == "rhel" and "centos" in text.lower():
            os_id = "centos"
        elif os_id == "rhel" and "fedora" in text.lower():
            os_id = "fedora"
        return OSInfo(
            id=os_id,
            version_id=match.group("v") if match else None,
            pretty_name=text.splitlines()[0] if text else None,
            source=path,
        )
    return None
