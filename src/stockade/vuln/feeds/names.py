"""Package names and ecosystems as look-up keys: an advisory's spelling and an inventory's spelling of
one package must give the same key, and two different packages must not.

:func:`normalise`, by ecosystem (the base, without a release):

- ``PyPI``: PEP 503 (peps.python.org/pep-0503/#normalized-names): lower case, runs of ``-``, ``_``,
  ``.`` → ``-``; PyPI itself treats names that normalise alike as one project.
- ``crates.io``: lower case with ``_`` → ``-``.  crates.io refuses a crate whose name differs from an
  existing one only by case or by ``-``/``_`` (rust-lang/cargo#4383: "Crates.io considers them to be
  the same when uploading crates"; crates.io answers ``error-def`` for ``error_def``,
  rust-lang/crates.io#283), so the folded name is unique.
- ``NuGet``: lower case (package ids are case-insensitive: learn.microsoft.com, "Package ID").
- ``Packagist``: lower case (composer package names are ``vendor/package`` in lower case; Packagist
  matches case-insensitively).
- ``npm``: as written.  New names must be lower case (npm/validate-npm-package-name: "name can no
  longer contain capital letters"), but that is a rule for new packages only: legacy mixed-case packages
  exist and are distinct registry entries (``JSONStream`` is not ``jsonstream``), so folding case could
  match the wrong package.
- ``Maven`` (``group:artifact``), ``Go`` (module paths are case-sensitive: the module proxy escapes
  capitals as ``!x``), ``RubyGems``, ``Hex``, ``Pub`` and the distributions (``Debian``, ``Ubuntu``,
  ``Alpine``: source package names, already lower case by policy) and anything else: as written,
  without surrounding white space.

:func:`ecosystem_base` drops the release: ``Debian:12`` → ``Debian``, ``Ubuntu:Pro:22.04:LTS`` →
``Ubuntu``.  :func:`canonical_ecosystem` removes the spelling differences between feeds of one
distribution: Canonical's OSV writes ``Ubuntu:22.04:LTS`` and ``Ubuntu:Pro:22.04:LTS`` where the UCT
reader writes ``Ubuntu:22.04`` and ``Ubuntu:Pro:22.04``.
"""

from __future__ import annotations

import re

_PEP503 = re.compile(r"[-_.]+")
_LOWER = frozenset(("pypi", "crates.io", "nuget", "packagist"))


def ecosystem_base(ecosystem: str) -> str:
    """The ecosystem without its release or variant: ``Alpine:v3.11`` → ``Alpine``."""
    return ecosystem.split(":", 1)[0].strip()


def canonical_ecosystem(ecosystem: str) -> str:
    """One spelling per distribution release: ``Ubuntu:22.04:LTS`` → ``Ubuntu:22.04``; other ecosystems
    are returned stripped."""
    value = ecosystem.strip()
    if value.startswith("Ubuntu:") and value.endswith(":LTS"):
        return value[: -len(":LTS")]
    return value


def normalise(ecosystem: str, name: str) -> str:
    """The look-up key of ``name`` in ``ecosystem`` (see the module docstring)."""
    base = ecosystem_base(ecosystem).lower()
    value = name.strip()
    if base not in _LOWER:
        return value
    if base == "pypi":
        return _PEP503.sub("-", value).lower()
    if base == "crates.io":
        return value.lower().replace("_", "-")
    return value.lower()
