"""Hits become findings: rule id, severity, file:line (and layer), a masked excerpt, a fingerprint,
remediation.  This is the only place a secret is turned into something that leaves the scan, and what
leaves is masked (:mod:`stockade.secrets.mask`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from stockade.model.finding import Finding
from stockade.model.inventory import Location
from stockade.secrets.mask import excerpt, fingerprint, mask
from stockade.secrets.model import Hit, RuleSpec

KIND = "secret"


def make_finding(
    rule: RuleSpec,
    secret: str,
    *,
    target: str,
    location: Location | None,
    evidence: str,
    metadata: dict[str, Any] | None = None,
) -> Finding:
    meta: dict[str, Any] = {"rule": rule.name, "fingerprint": fingerprint(secret), "secret": mask(secret)}
    meta.update(metadata or {})
    return Finding(
        id=rule.id,
        severity=rule.severity,
        title=rule.title,
        target=target,
        kind=KIND,
        location=location,
        evidence=evidence,
        remediation=rule.remediation,
        references=rule.references,
        metadata=meta,
    )


def hit_finding(
    hit: Hit, *, target: str, path: str, layer: str | None = None, extra: dict[str, Any] | None = None
) -> Finding:
    meta: dict[str, Any] = {"column": hit.column}
    if hit.rule.entropy is not None or hit.rule.generic:
        meta["entropy"] = round(hit.entropy, 2)
    meta.update(hit.extra)
    meta.update(extra or {})
    return make_finding(
        hit.rule,
        hit.secret,
        target=target,
        location=Location(path, hit.line, layer),
        evidence=excerpt(hit.line_text, hit.column, hit.secret),
        metadata=meta,
    )


def dedupe(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per (secret, place): the text scan and a structured scan (Kubernetes env) may both
    see the same value on the same line."""
    seen: set[tuple[str, str, str]] = set()
    out: list[Finding] = []
    for f in findings:
        key = (
            str(f.location or f.metadata.get("field") or ""),
            str(f.metadata.get("fingerprint")),
            str(f.location.layer if f.location else ""),
        )
        if key in seen:
            continue
        seen.add(key)
        out.append(f)
    return out
