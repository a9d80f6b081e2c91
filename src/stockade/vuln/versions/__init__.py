"""Exact version ordering for every ecosystem stockade matches advisories in.

``scheme_for("Debian:12").key("1:2.0-1")`` is a plain tuple; compare keys of one scheme with ``<``.
One module per scheme; :mod:`.registry` maps OSV ecosystem names to schemes.
"""

from __future__ import annotations

from stockade.vuln.versions.interface import VersionError, VersionKey, VersionScheme
from stockade.vuln.versions.registry import get_scheme, scheme_for, scheme_for_range

__all__ = ["VersionError", "VersionKey", "VersionScheme", "get_scheme", "scheme_for", "scheme_for_range"]
