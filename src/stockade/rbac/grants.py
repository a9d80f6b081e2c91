"""Grants by subject, and the workloads that run as a subject (the blast radius of a grant).

A grant is one rule reached through one binding (:class:`~stockade.rbac.authorizer.Grant`).  The
identity a request is made as holds the grants of every binding subject that applies to it: a service
account's own, those of ``system:serviceaccounts``, ``system:serviceaccounts:NS`` and
``system:authenticated``; a user's own and ``system:authenticated``'s (or ``system:unauthenticated``'s for
``system:anonymous``).  The index here answers that without scanning every binding per identity.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from stockade.rbac.authorizer import Grant, UserInfo, parse_subject, service_account_user
from stockade.rbac.model import (
    ALL_SERVICE_ACCOUNTS,
    AUTHENTICATED,
    Binding,
    Cluster,
    Subject,
    Workload,
    effective_subject,
)


def iter_grants(cluster: Cluster, *, include_defaults: bool = True) -> Iterator[Grant]:
    """Every (binding subject, rule) pair of the cluster."""
    for binding in cluster.bindings:
        if binding.builtin and not include_defaults:
            continue
        role = cluster.role(binding)
        if role is None:
            continue
        for i, raw in enumerate(binding.subjects):
            if raw.kind == "ServiceAccount" and not (raw.namespace or binding.namespace):
                continue  # applies to no one
            subject = effective_subject(raw, binding)
            for j, rule in enumerate(role.rules):
                yield Grant(binding, subject, i, role, rule, j)


def user_of(subject: Subject) -> UserInfo:
    """The identity the API server sees for a subject."""
    if subject.kind == "ServiceAccount":
        return service_account_user(subject.namespace, subject.name)
    return parse_subject(subject.spec())[1]


@dataclass(slots=True)
class GrantIndex:
    """Bindings by the subject they name, for "what can this identity do" over many identities."""

    cluster: Cluster
    by_subject: dict[Subject, list[tuple[Binding, int]]]

    @classmethod
    def build(cls, cluster: Cluster) -> GrantIndex:
        index: dict[Subject, list[tuple[Binding, int]]] = {}
        for binding in cluster.bindings:
            for i, raw in enumerate(binding.subjects):
                if raw.kind == "ServiceAccount" and not (raw.namespace or binding.namespace):
                    continue
                index.setdefault(effective_subject(raw, binding), []).append((binding, i))
        return cls(cluster, index)

    def grants(self, user: UserInfo) -> list[Grant]:
        """Every grant that applies to ``user``, in every namespace and cluster-wide."""
        keys: list[Subject] = []
        if user.name.startswith("system:serviceaccount:"):
            ns, _, name = user.name[len("system:serviceaccount:") :].partition(":")
            keys.append(Subject("ServiceAccount", name, ns))
        if user.name:
            keys.append(Subject("User", user.name))
        keys.extend(Subject("Group", g) for g in user.groups)
        out: list[Grant] = []
        seen: set[int] = set()
        for key in keys:
            for binding, i in self.by_subject.get(key, ()):
                if id(binding) in seen:
                    continue
                seen.add(id(binding))
                role = self.cluster.role(binding)
                if role is None:
                    continue
                subject = effective_subject(binding.subjects[i], binding)
                out.extend(Grant(binding, subject, i, role, rule, j) for j, rule in enumerate(role.rules))
        return out


def workloads_of(cluster: Cluster, subject: Subject) -> list[Workload]:
    """The workloads whose pods run as ``subject`` (or as a member of it, for service-account groups)."""
    if subject.kind == "ServiceAccount":
        return list(cluster.workloads_by_sa.get((subject.namespace, subject.name), ()))
    if subject.kind == "Group":
        if subject.name in (ALL_SERVICE_ACCOUNTS, AUTHENTICATED):
            return list(cluster.workloads)
        prefix = ALL_SERVICE_ACCOUNTS + ":"
        if subject.name.startswith(prefix):
            ns = subject.name[len(prefix) :]
            return [w for w in cluster.workloads if w.namespace == ns]
    return []


def blast_radius(cluster: Cluster, subject: Subject) -> list[dict[str, object]]:
    return [
        {
            "workload": w.display(),
            "location": str(w.location) if w.location else None,
            "service_account": f"{w.namespace}/{w.service_account}",
            "token_mounted": cluster.token_mounted(w),
        }
        for w in sorted(workloads_of(cluster, subject), key=lambda w: (w.namespace, w.kind, w.name))
    ]
