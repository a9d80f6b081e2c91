"""Exceptions for secret findings: the exceptions file of the posture work (``.stockade/exceptions.yaml``,
docs/exceptions.md), matched by rule id (``STK-SEC-0050``) and ``path`` scope; for image-config
findings the path is the config field (``config.Env[2]``, ``history[4].created_by``).  A suppressed
finding is kept apart in the result with its suppression, never dropped."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from stockade.model.finding import Finding
from stockade.model.status import Status, StatusKind
from stockade.policy import exceptions_file
from stockade.policy.apply import EXCEPTIONS_PLUGIN, expired_statuses, suppress
from stockade.policy.exception_set import ExceptionSet


def load(path: str | None, known: frozenset[str]) -> tuple[ExceptionSet | None, list[Status]]:
    """The exceptions file (``path``, else ``.stockade/exceptions.yaml`` when it exists), and a status
    for each ``STK-SEC-`` id in it that no secret rule has (a typo would otherwise hide nothing)."""
    path = exceptions_file(path)
    if path is None:
        return None, []
    from stockade.policy.exceptions import load_exceptions  # (PyYAML: only for a file)

    rules = load_exceptions(path)  # other families' ids are valid here too: the file is shared
    statuses = []
    for entry in rules.entries:
        for check_id in entry.ids:
            if check_id.startswith("STK-SEC-") and check_id not in known:
                statuses.append(
                    Status(
                        EXCEPTIONS_PLUGIN,
                        StatusKind.PARTIAL,
                        f"line {entry.line}: no secret rule has the id {check_id}",
                        rules.file,
                    )
                )
    return rules, statuses


def split(
    findings: Sequence[Finding], rules: ExceptionSet | None, today: date
) -> tuple[list[Finding], list[Finding], list[Status]]:
    if rules is None or not rules.entries:
        return list(findings), [], []
    kept: list[Finding] = []
    suppressed: list[Finding] = []
    for f in findings:
        path = f.location.path if f.location is not None else f.metadata.get("field")
        found = rules.match(f, today=today, path=path if isinstance(path, str) else None)
        if found is None:
            kept.append(f)
        else:
            suppressed.append(suppress(f, found))
    return kept, suppressed, expired_statuses(rules, today)
