"""Risky grants → findings (``STK-RBAC-…``), one per check, subject and scope.

Every finding names the subject, the scope (a namespace, or cluster-wide), each grant chain
(binding → role → rule, with file:line), the workloads that run as the subject (the blast radius) and
whether their pods mount the token.  Bindings of the API server's bootstrap policy (labelled
``kubernetes.io/bootstrapping: rbac-defaults``, and the built-in ``cluster-admin``) are skipped unless
asked for: every cluster has them and they are not the user's to change.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from stockade.model.finding import Finding
from stockade.model.severity import Severity
from stockade.rbac import checks as C
from stockade.rbac.authorizer import Grant
from stockade.rbac.builtin import DISCOVERY_URLS, PUBLIC_INFO_URLS
from stockade.rbac.checks import RiskCheck
from stockade.rbac.grants import blast_radius, iter_grants
from stockade.rbac.model import (
    ALL_SERVICE_ACCOUNTS,
    ANONYMOUS,
    BROAD_GROUPS,
    UNAUTHENTICATED,
    Cluster,
    Rule,
    Subject,
)

PUBLIC_URLS = frozenset(PUBLIC_INFO_URLS + DISCOVERY_URLS)


@dataclass(slots=True)
class _Hit:
    check: RiskCheck
    subject: Subject
    scope: str
    severity: Severity
    grants: list[tuple[Grant, list[str]]] = field(default_factory=list)


def _is_broad(subject: Subject) -> bool:
    return (
        subject.kind == "Group"
        and (subject.name in BROAD_GROUPS or subject.name.startswith(ALL_SERVICE_ACCOUNTS + ":"))
        and subject.name != UNAUTHENTICATED
    )


def _is_anonymous(subject: Subject) -> bool:
    return (subject.kind == "User" and subject.name == ANONYMOUS) or (
        subject.kind == "Group" and subject.name == UNAUTHENTICATED
    )


def _public_info_only(rule: Rule) -> bool:
    return not rule.resources and set(rule.verbs) <= {"get"} and set(rule.non_resource_urls) <= PUBLIC_URLS


def _max(a: Severity, b: Severity) -> Severity:
    return a if a.rank >= b.rank else b


def evaluate(cluster: Cluster, *, include_defaults: bool = False) -> list[Finding]:
    hits: dict[tuple[str, Subject, str], _Hit] = {}

    def hit(check: RiskCheck, grant: Grant, what: list[str], severity: Severity | None = None) -> None:
        sev = severity or check.severity(grant.scope)
        if sev is None:
            return
        key = (check.id, grant.subject, grant.scope)
        h = hits.get(key)
        if h is None:
            h = hits[key] = _Hit(check, grant.subject, grant.scope, sev)
        h.severity = _max(h.severity, sev)
        h.grants.append((grant, what))

    for grant in iter_grants(cluster, include_defaults=include_defaults):
        rule, subject = grant.rule, grant.subject
        risky = False
        wild = C.wildcard(rule)
        if wild:
            hit(C.WILDCARD, grant, wild)
        admin = C.admin_equivalent(rule)
        for check in () if admin else C.RULE_CHECKS:  # an admin grant is one finding, not ten
            if check.severity(grant.scope) is None:
                continue  # cluster-scoped resources: a RoleBinding cannot grant them
            matched = check.matches(rule)
            if matched:
                risky = True
                hit(check, grant, matched)
        if admin and subject.kind == "ServiceAccount":
            hit(C.CLUSTER_ADMIN_SA, grant, ["* on *.*"])
        if _is_anonymous(subject):
            if not _public_info_only(rule):
                sev = C.ANONYMOUS_GRANT.severity(grant.scope)
                hit(C.ANONYMOUS_GRANT, grant, [rule.compact()], sev if (risky or admin) else Severity.HIGH)
        elif _is_broad(subject) and not _public_info_only(rule):
            sev = Severity.CRITICAL if (risky or admin) else C.BROAD_GROUP.severity(grant.scope)
            hit(C.BROAD_GROUP, grant, [rule.compact()], sev)
    return [_finding(cluster, h) for h in hits.values()]


def _scope_text(scope: str) -> str:
    return f"in namespace {scope}" if scope else "cluster-wide"


def _finding(cluster: Cluster, h: _Hit) -> Finding:
    first = h.grants[0][0]
    what = sorted({w for _, ws in h.grants for w in ws})
    chains = [g.chain() for g, _ in h.grants]
    names = sorted({n for g, _ in h.grants for n in g.rule.resource_names})
    radius = blast_radius(cluster, h.subject)
    mounted = [w for w in radius if w["token_mounted"]]
    if radius:
        shown = ", ".join(
            f"{w['workload']} ({'token mounted' if w['token_mounted'] else 'token not mounted'})"
            for w in radius[:5]
        )
        more = f" and {len(radius) - 5} more" if len(radius) > 5 else ""
        runs = f"; runs as it: {shown}{more}"
    else:
        runs = "; no workload in the input runs as it" if h.subject.kind == "ServiceAccount" else ""
    limited = f" (only resourceNames {', '.join(names)})" if names else ""
    evidence = (
        f"{h.subject.spec()} can {h.check.capability} {_scope_text(h.scope)}: "
        f"{'; '.join(what[:8])}{limited}; "
        f"granted by {chains[0]}" + (f" (+{len(chains) - 1} more)" if len(chains) > 1 else "") + runs
    )
    return Finding(
        id=h.check.id,
        severity=h.severity,
        title=h.check.title,
        target=h.subject.display(),
        kind="rbac",
        location=first.binding.subject_location(first.subject_index) or first.role.location,
        evidence=evidence,
        remediation=h.check.remediation,
        references=h.check.references,
        metadata={
            "subject": h.subject.spec(),
            "scope": h.scope or "cluster",
            "matched": what,
            "grants": [dict(g.to_dict(), matched=ws) for g, ws in h.grants],
            "workloads": radius,
            "token_mounted": bool(mounted) if radius else None,
            "rationale": h.check.rationale,
        },
    )


def by_subject(findings: Iterable[Finding]) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = {}
    for f in findings:
        out.setdefault(str(f.metadata.get("subject")), []).append(f)
    return out
