"""What an exception records on a finding it covers, and the rules both exception sources share.

Check ids are exact (``STK-K8S-0007``): no wildcards, so an exception never covers a check written later.
Expiry dates are ISO 8601 calendar dates (``YYYY-MM-DD``); the date is the last day the exception
applies: it applies while ``today <= expires`` and stops the day after.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

#: a stockade check id: ``STK-<FAMILY>-<four digits>``
CHECK_ID_PATTERN = r"^STK-[A-Z0-9]+-\d{4}$"
_CHECK_ID = re.compile(r"STK-[A-Z0-9]+-[0-9]{4}")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

Source = Literal["annotation", "exceptions-file"]


@dataclass(frozen=True, slots=True)
class Suppression:
    """Why a finding is suppressed: where the exception is written (``file:line``), its reason, its owner
    (``None`` for annotations, which have none) and the last day it applies (``None``: no expiry, only
    annotations may omit it)."""

    source: Source
    reason: str
    owner: str | None
    expires: date | None
    where: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "reason": self.reason,
            "owner": self.owner,
            "expires": self.expires.isoformat() if self.expires is not None else None,
            "where": self.where,
        }


def is_check_id(value: str) -> bool:
    return _CHECK_ID.fullmatch(value) is not None


def parse_date(value: object) -> date | str:
    """``value`` as a calendar date, or the reason it is not one.  YAML 1.1 turns an unquoted
    ``2027-03-31`` into a date already; a quoted one arrives as a string."""
    if isinstance(value, datetime):
        return f"expected a date (YYYY-MM-DD), not a date and time ({value.isoformat()})"
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return f"expected a date (YYYY-MM-DD), got {type_name(value)}"
    text = value.strip()
    if not _ISO_DATE.fullmatch(text):
        return f"expected a date (YYYY-MM-DD), got {value!r}"
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        return f"invalid date {value!r}: {exc}"


def is_expired(expires: date | None, today: date) -> bool:
    """True once the expiry date is past (the expiry date itself still applies)."""
    return expires is not None and today > expires


def type_name(value: object) -> str:
    """How a YAML value is named in messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, date):
        return "a date"
    return type(value).__name__
