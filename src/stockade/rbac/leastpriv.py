"""Least privilege from audit logs: the smallest roles that allow exactly the requests seen, and the
grants a subject holds but never used.

``generate``: the requests of each identity are split by scope — a request in a namespace becomes a rule
of a Role in that namespace (bound by a RoleBinding there); a request without a namespace (a
cluster-scoped resource, a list/watch across namespaces, a non-resource URL) becomes a rule of a
ClusterRole bound by a ClusterRoleBinding.  Rules are keyed by API group and ``resource/subresource``;
resources of one group with the same verbs share a rule.  With ``names``, verbs that were only ever used
on named objects get ``resourceNames`` (requests without a name — list, watch, create, deletecollection —
can never be narrowed that way, see the authorizer).  Requests that were authorized as an impersonated
identity count for that identity; the impersonating user gets ``impersonate`` on the users, groups and
service accounts it impersonated (the groups the API server adds by itself — ``system:authenticated`` and a
service account's groups — need no grant).

``diff``: for each identity in the log, every grant the manifests give it is marked used when it allows
one of the identity's requests (any grant that allows it, not only the first the authorizer meets);
the rest are unused.  Requests no grant allows are listed too: they were denied, or the manifests are
not the cluster's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from stockade.errors import InputError
from stockade.rbac.audit import AuditRequest
from stockade.rbac.authorizer import Authorizer, Grant, Request, UserInfo, parse_subject, rule_allows
from stockade.rbac.grants import GrantIndex
from stockade.rbac.model import ALL_SERVICE_ACCOUNTS, AUTHENTICATED, SA_PREFIX, Cluster, Subject

RBAC_API = "rbac.authorization.k8s.io/v1"
UNNAMEABLE = frozenset({"list", "watch", "create", "deletecollection"})


def subject_of_user(name: str) -> Subject:
    if name.startswith(SA_PREFIX):
        ns, _, sa = name[len(SA_PREFIX) :].partition(":")
        return Subject("ServiceAccount", sa, ns)
    return Subject("User", name)


def _selected(req: AuditRequest, wanted: Sequence[Subject]) -> list[Subject]:
    """The subjects (of ``wanted``, or the request's own identity when none are named) the request is for."""
    own = subject_of_user(req.user.name)
    if not wanted:
        return [own]
    out = []
    for s in wanted:
        if s == own or (s.kind == "Group" and s.name in req.user.groups):
            out.append(s)
    return out


def _impersonation(req: AuditRequest) -> list[Request]:
    """The ``impersonate`` checks the authenticated user passed (k8s.io/apiserver impersonation filter)."""
    target = req.user
    out: list[Request] = []
    if target.name.startswith(SA_PREFIX):
        ns, _, sa = target.name[len(SA_PREFIX) :].partition(":")
        out.append(Request("impersonate", "serviceaccounts", namespace=ns, name=sa))
        automatic = {ALL_SERVICE_ACCOUNTS, f"{ALL_SERVICE_ACCOUNTS}:{ns}", AUTHENTICATED}
    else:
        out.append(Request("impersonate", "users", name=target.name))
        automatic = {AUTHENTICATED}
    out.extend(Request("impersonate", "groups", name=g) for g in target.groups if g not in automatic)
    return out


@dataclass(slots=True)
class _Scope:
    # (group, resource/subresource) -> verb -> names ("" for a request without a name)
    resources: dict[tuple[str, str], dict[str, set[str]]] = field(default_factory=dict)
    urls: dict[str, set[str]] = field(default_factory=dict)  # verb -> paths

    def add(self, req: Request) -> None:
        if not req.resource_request:
            self.urls.setdefault(req.verb, set()).add(req.path)
            return
        combined = f"{req.resource}/{req.subresource}" if req.subresource else req.resource
        verbs = self.resources.setdefault((req.api_group, combined), {})
        verbs.setdefault(req.verb, set()).add(req.name)

    def rules(self, names: bool) -> list[dict[str, Any]]:
        merged: dict[tuple[str, tuple[str, ...], tuple[str, ...]], list[str]] = {}
        for (group, resource), verbs in sorted(self.resources.items()):
            plain: set[str] = set()
            named: dict[str, set[str]] = {}
            for verb, seen in verbs.items():
                if names and verb not in UNNAMEABLE and "" not in seen:
                    named[verb] = seen
                else:
                    plain.add(verb)
            if plain:
                merged.setdefault((group, tuple(sorted(plain)), ()), []).append(resource)
            if named:
                all_names = tuple(sorted(set().union(*named.values())))
                merged.setdefault((group, tuple(sorted(named)), all_names), []).append(resource)
        out: list[dict[str, Any]] = []
        for (group, rule_verbs, resource_names), resources in sorted(merged.items()):
            rule: dict[str, Any] = {"apiGroups": [group], "resources": sorted(resources)}
            if resource_names:
                rule["resourceNames"] = list(resource_names)
            rule["verbs"] = list(rule_verbs)
            out.append(rule)
        urls_merged: dict[tuple[str, ...], list[str]] = {}
        for path in sorted({p for ps in self.urls.values() for p in ps}):
            url_verbs = tuple(sorted(v for v, ps in self.urls.items() if path in ps))
            urls_merged.setdefault(url_verbs, []).append(path)
        for url_verbs, paths in sorted(urls_merged.items()):
            out.append({"nonResourceURLs": paths, "verbs": list(url_verbs)})
        return out


def _safe(name: str) -> str:
    """RBAC object names are path segments: no "/" or "%" (``ValidateRBACName``)."""
    return name.replace("/", "-").replace("%", "-")


def _subject_dict(s: Subject) -> dict[str, str]:
    if s.kind == "ServiceAccount":
        return {"kind": "ServiceAccount", "name": s.name, "namespace": s.namespace}
    return {"kind": s.kind, "apiGroup": "rbac.authorization.k8s.io", "name": s.name}


def _slug(s: Subject) -> str:
    return _safe(f"{s.namespace}:{s.name}" if s.kind == "ServiceAccount" else s.name)


def generate(
    requests: Iterable[AuditRequest],
    subjects: Sequence[str] = (),
    *,
    names: bool = False,
    prefix: str = "stockade",
    include_denied: bool = True,
) -> list[dict[str, Any]]:
    """Roles, ClusterRoles and their bindings for every selected identity, as manifest dicts."""
    wanted = [parse_subject(s)[0] for s in subjects]
    scopes: dict[Subject, dict[str, _Scope]] = {}
    for req in requests:
        if req.code == 401:
            continue  # never authenticated: never authorized
        if not include_denied and (req.decision == "forbid" or req.code == 403):
            continue
        for subject in _selected(req, wanted):
            scopes.setdefault(subject, {}).setdefault(req.request.namespace, _Scope()).add(req.request)
        if req.impersonator is not None:
            fake = AuditRequest(req.impersonator, req.request, req.line)
            for subject in _selected(fake, wanted):
                for imp in _impersonation(req):
                    scopes.setdefault(subject, {}).setdefault(imp.namespace, _Scope()).add(imp)
    docs: list[dict[str, Any]] = []
    for subject in sorted(scopes):
        name = _safe(f"{prefix}:{_slug(subject)}")
        for ns, scope in sorted(scopes[subject].items()):
            rules = scope.rules(names)
            if not rules:
                continue
            meta_ns = {"namespace": ns} if ns else {}
            kind = "Role" if ns else "ClusterRole"
            labels = {"app.kubernetes.io/managed-by": "stockade"}
            docs.append(
                {
                    "apiVersion": RBAC_API,
                    "kind": kind,
                    "metadata": {"name": name, **meta_ns, "labels": labels},
                    "rules": rules,
                }
            )
            docs.append(
                {
                    "apiVersion": RBAC_API,
                    "kind": "RoleBinding" if ns else "ClusterRoleBinding",
                    "metadata": {"name": name, **meta_ns, "labels": labels},
                    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": name},
                    "subjects": [_subject_dict(subject)],
                }
            )
    if wanted and not docs:
        raise InputError(
            "no request of " + ", ".join(s.spec() for s in wanted) + " in the audit log",
            hint="the subjects in the log are listed by `stockade rbac diff --audit-log FILE` ",
        )
    return docs


# -- granted vs used ----------------------------------------------------------------------------------


@dataclass(slots=True)
class Usage:
    subject: Subject
    user: UserInfo
    requests: int = 0
    used: list[tuple[Grant, int]] = field(default_factory=list)  # grant, number of requests it allowed
    unused: list[Grant] = field(default_factory=list)
    denied: list[AuditRequest] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject.spec(),
            "requests": self.requests,
            "used": [dict(g.to_dict(), requests=n) for g, n in self.used],
            "unused": [g.to_dict() for g in self.unused],
            "not_granted": [
                {"line": r.line, "request": r.request.describe(), "decision": r.decision, "code": r.code}
                for r in self.denied
            ],
        }


def diff(
    cluster: Cluster,
    requests: Iterable[AuditRequest],
    subjects: Sequence[str] = (),
    *,
    include_defaults: bool = False,
) -> list[Usage]:
    wanted = [parse_subject(s)[0] for s in subjects]
    authorizer = Authorizer(cluster, superuser_groups=())
    index = GrantIndex.build(cluster)
    usages: dict[Subject, Usage] = {}
    per_subject: dict[Subject, list[AuditRequest]] = {}
    for req in requests:
        if req.code == 401:
            continue
        for subject in _selected(req, wanted):
            per_subject.setdefault(subject, []).append(req)
            if subject not in usages:
                user = req.user if subject.kind != "Group" else UserInfo("", (subject.name,))
                usages[subject] = Usage(subject, user)
    for subject, reqs in per_subject.items():
        usage = usages[subject]
        grants = [g for g in index.grants(usage.user) if include_defaults or not g.binding.builtin]
        counts = [0] * len(grants)
        for req in reqs:
            usage.requests += 1
            allowed = False
            for i, g in enumerate(grants):
                if (not g.scope or g.scope == req.request.namespace) and rule_allows(g.rule, req.request):
                    counts[i] += 1
                    allowed = True
            if not allowed and not authorizer.authorize(req.user, req.request).allowed:
                usage.denied.append(req)
        for g, n in zip(grants, counts, strict=True):
            if n:
                usage.used.append((g, n))
            else:
                usage.unused.append(g)
    return [usages[s] for s in sorted(usages)]
