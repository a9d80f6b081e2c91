"""Secret rules and what a scan of one piece of text finds, as plain data.

A :class:`RuleSpec` is what a rule file (built-in or custom YAML) says; :class:`Hit` is one match that
passed every filter.  A hit carries the secret itself only as long as the scan needs it to mask and
fingerprint it: :func:`stockade.secrets.mask.to_finding` turns it into a finding without the secret.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from stockade.model.severity import Severity

#: rule families, for documentation and counts
FAMILIES = (
    "cloud",
    "forge-ci",
    "registry",
    "chat",
    "payment",
    "saas",
    "ai",
    "observability",
    "database",
    "private-key",
    "token-format",
    "generic",
    "custom",
)


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """One detector.  ``regex`` is a Python regular expression; the secret is group ``group`` (0: the
    whole match).  A rule runs on a text only when one of its ``keywords`` (lower case) occurs in it;
    a rule without keywords runs on every text.  ``entropy``: the least Shannon entropy (bits per
    character) the secret must have.  ``allow``: regular expressions; a secret matching one is not
    reported (placeholders, documented example keys).  ``validator``: the name of a structural check
    in :mod:`stockade.secrets.validate` (checksums, base64 that decodes to the right thing)."""

    id: str  # STK-SEC-0001: stable, never reused, what the exceptions file names
    name: str  # aws-access-key-id: the rule's slug (gitleaks style)
    title: str
    regex: str
    keywords: tuple[str, ...]
    severity: Severity
    family: str
    group: int = 1
    entropy: float | None = None
    allow: tuple[str, ...] = ()
    validator: str | None = None
    generic: bool = False  # generic rules give way to a provider-specific rule on the same text
    #: the expression is tried at each keyword occurrence (from the start of the name around it)
    #: instead of searched for: for expressions that begin with a name, which have no literal prefix
    anchored: bool = False
    min_length: int = 8
    remediation: str = ""
    references: tuple[str, ...] = ()


@dataclass(slots=True)
class Hit:
    """One secret found in a text: the rule, where (1-based line and column, absolute offset in the
    text), the secret and the line it is on (both only in memory, for masking)."""

    rule: RuleSpec
    start: int  # offset of the secret in the scanned text (absolute, across chunks)
    end: int
    line: int
    column: int
    secret: str
    line_text: str
    entropy: float
    extra: dict[str, object] = field(default_factory=dict)
