"""Helpers that build rule expressions the way most rules need them.

``token(body)``: a token with a fixed prefix, bounded on both sides so that it is not part of a longer
word.  ``assigned(identifiers, secret)``: gitleaks' "semi-generic" form, for credentials without a
recognisable prefix: an identifier naming the provider (``twilio``, ``datadog_api_key``), up to twenty
more name characters, an assignment operator (``=``, ``:``, ``:=``, ``=>``, ``?=``, ``,`` in a call),
optional quotes, then the secret.  Identifiers match in any case; the secret as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from stockade.model.severity import Severity
from stockade.secrets.model import RuleSpec

UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_LEFT = r"(?<![A-Za-z0-9_])"
_RIGHT = r"(?![A-Za-z0-9_])"

C, H, M, L = Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW

REMEDIATION = {
    "private-key": (
        "Treat the key as compromised: revoke it (remove it from authorized_keys, revoke its certificate) "
        "and generate a new one. Keep private keys out of source and images: mount them at run time "
        "from a secret store."
    ),
    "database": (
        "Change the database password, then take the credential out of the URL: pass it through the "
        "environment at run time or a secret store, and keep only the host in configuration."
    ),
    "generic": (
        "If this is a real credential, rotate it and load it at run time (environment, mounted secret, "
        "secret manager). If it is not, mark the line with `# stockade:allow` or add an exception."
    ),
}
DEFAULT_REMEDIATION = (
    "Revoke or rotate the credential at the provider now (it must be assumed copied), remove it from the "
    "file and from any image layer or history that holds it, and load it at run time from a secret store."
)


_LITERAL = re.compile(r"(?:[A-Za-z0-9_~-]|\\[.$])+")


def token(body: str, *, left: str = _LEFT, right: str = _RIGHT) -> str:
    """``left`` is checked after the token's literal prefix (as a look-behind over prefix and one more
    character) so that the expression still starts with the literal: Python's ``re`` then finds
    candidates with a fast substring search instead of trying every position."""
    m = _LITERAL.match(body)
    if left == _LEFT and m is not None and len(m.group(0)) >= 2:
        prefix = m.group(0)
        return f"({prefix}(?<![A-Za-z0-9_]{prefix}){body[len(prefix) :]}){right}"
    return f"{left}({body}){right}"


ASSIGNED = r"(?i:(?:"


def assigned(identifiers: str, secret: str) -> str:
    return (
        ASSIGNED + identifiers + r")[\w.-]{0,20}?[\s'\"]{0,3}(?:=|>|:{1,3}=?|\|\|:|<=|=>|\?=|,)"
        r"(?:[\s'\"`=]|\\\"){0,5})(" + secret + r")(?![\w+/-])"
    )


def table(family: str, rows: Iterable[tuple[Any, ...]]) -> tuple[RuleSpec, ...]:
    """Rules from rows ``(number, name, title, regex, keywords, severity[, options])``."""
    out = []
    for row in rows:
        number, name, title, regex, keywords, severity = row[:6]
        options: dict[str, Any] = dict(row[6]) if len(row) > 6 else {}
        if isinstance(keywords, str):
            keywords = tuple(keywords.split())
        options.setdefault("remediation", REMEDIATION.get(family, DEFAULT_REMEDIATION))
        if regex.startswith(ASSIGNED):
            options.setdefault("anchored", True)  # a name first: tried where the keywords are
        out.append(
            RuleSpec(
                id=f"STK-SEC-{number:04d}",
                name=name,
                title=title,
                regex=regex,
                keywords=tuple(k.lower() for k in keywords),
                severity=severity,
                family=family,
                **options,
            )
        )
    return tuple(out)
