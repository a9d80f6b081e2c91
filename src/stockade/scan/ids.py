"""A scan's identity: its id and its clock (kept apart from the scanner, so that scans of configuration
files do not import the cataloging machinery)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def new_scan_id() -> str:
    return uuid.uuid4().hex
