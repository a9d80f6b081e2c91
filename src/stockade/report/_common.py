"""What the machine formats share: the tool's URI, timestamps, and license strings checked against the
SPDX license list.

Catalogers keep licenses as written (``MIT``, ``Apache 2.0``, ``GPL-2.0+``, ``BSD``).  The SBOM formats
may only carry a real SPDX expression where they ask for one (SPDX 2.3 §7.15 ``PackageLicenseDeclared``,
CycloneDX ``license.expression``/``license.id``), so every string is checked here with
``license-expression`` (the library both spdx-tools and cyclonedx-python-lib use) and normalised
(``mit`` → ``MIT``, ``GPL-2.0+`` → ``GPL-2.0-or-later``).  ``LicenseRef-*`` is not accepted: it would
need a matching extracted-licensing-info entry in the document.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:  # (imported when first needed: ~9 ms, and only license expressions use it)
    from license_expression import Licensing  # type: ignore[import-untyped]

INFORMATION_URI = "https://stockade.dev"

_LICENSING: Licensing | None = None


def timestamp(when: datetime) -> str:
    """RFC 3339 in UTC, whole seconds (``2025-01-02T03:04:05Z``); a naive time is taken to be UTC."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _licensing() -> Licensing:
    global _LICENSING
    if _LICENSING is None:
        from license_expression import get_spdx_licensing

        _LICENSING = get_spdx_licensing()
    return _LICENSING


@lru_cache(maxsize=4096)
def spdx_expression(text: str) -> str | None:
    """The normalised SPDX expression for ``text``, or ``None`` if it is not one (unknown ids, an
    exception used as a license, bad syntax)."""
    text = text.strip()
    if not text or len(text) > 1000:
        return None
    try:
        info = _licensing().validate(text, strict=True)
    except Exception:  # the parser can fail on odd characters; that means "not SPDX"
        return None
    if info.errors or info.invalid_symbols or not info.normalized_expression:
        return None
    return str(info.normalized_expression)


def is_simple(expression: str) -> bool:
    """Whether a (normalised) expression is a single license id, without operators."""
    return " " not in expression and "(" not in expression


def dumps(doc: Any) -> str:
    """A JSON document, indented by two, that is always valid UTF-8.

    orjson writes it (byte-identical to ``json.dumps(indent=2, ensure_ascii=False)``, ~60× faster: the
    standard library's C encoder is not used once ``indent`` is set).  A string holding a lone surrogate —
    a file name that was not UTF-8, kept by Python as ``\\udcXX`` — is refused by orjson; then every
    non-ASCII character is escaped by the standard library, so the name still round-trips exactly."""
    return dumps_bytes(doc).decode("utf-8")


def dumps_bytes(doc: Any) -> bytes:
    """:func:`dumps`, UTF-8 encoded."""
    try:
        return orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)
    except (orjson.JSONEncodeError, TypeError):
        return _dumps_stdlib(doc).encode("utf-8")


def dumps_piece(doc: Any) -> bytes:
    """:func:`dumps_bytes` without the final newline: a piece of a document written in pieces."""
    try:
        return orjson.dumps(doc, option=orjson.OPT_INDENT_2)
    except (orjson.JSONEncodeError, TypeError):
        return _dumps_stdlib(doc)[:-1].encode("utf-8")


def _dumps_stdlib(doc: Any) -> str:
    text = json.dumps(doc, indent=2, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(doc, indent=2, ensure_ascii=True)
    return text + "\n"
