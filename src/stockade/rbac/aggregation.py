"""ClusterRole aggregation, as the clusterrole-aggregation controller computes it.

``pkg/controller/clusterroleaggregation``: for a ClusterRole with an ``aggregationRule``, for each of its
``clusterRoleSelectors`` in order, the ClusterRoles whose labels match (sorted by name, the role itself
skipped) contribute their rules, each rule once (exact duplicates dropped).  The result **replaces** the
role's rules.  The controller runs again whenever any ClusterRole changes, so aggregated roles that
select other aggregated roles converge; here the computation is repeated until nothing changes.

Label selectors (``metav1.LabelSelectorAsSelector``): ``matchLabels`` and ``matchExpressions`` are ANDed;
``In``/``NotIn`` with values, ``Exists``/``DoesNotExist`` without; ``NotIn`` and ``DoesNotExist`` also
match a missing label.  An empty selector ``{}`` matches every ClusterRole.
"""

from __future__ import annotations

from dataclasses import replace

from stockade.model.status import Status, StatusKind
from stockade.rbac.model import Cluster, Role, Rule, Selector

PLUGIN = "rbac/aggregation"


def selector_matches(selector: Selector, labels: dict[str, str]) -> bool:
    for key, value in selector.match_labels:
        if labels.get(key) != value:
            return False
    for req in selector.match_expressions:
        present = req.key in labels
        if req.operator == "In":
            if not present or labels[req.key] not in req.values:
                return False
        elif req.operator == "NotIn":
            if present and labels[req.key] in req.values:
                return False
        elif req.operator == "Exists":
            if not present:
                return False
        elif req.operator == "DoesNotExist":
            if present:
                return False
        else:  # validated by the loader; an unknown operator selects nothing
            return False
    return True


def _aggregate(role: Role, cluster_roles: list[Role]) -> tuple[Rule, ...]:
    out: list[Rule] = []
    seen: set[Rule] = set()
    for selector in role.aggregation or ():
        for other in cluster_roles:  # sorted by name
            if other.name == role.name or not selector_matches(selector, other.labels):
                continue
            for rule in other.rules:
                if rule not in seen:  # Rule equality ignores the location: semantic equality
                    seen.add(rule)
                    out.append(rule)
    return tuple(out)


def resolve(cluster: Cluster) -> None:
    """Fill the rules of every aggregated ClusterRole of ``cluster`` (in place)."""
    aggregated = [r for r in cluster.roles.values() if r.kind == "ClusterRole" and r.aggregation is not None]
    if not aggregated:
        return
    declared = {r.key: r.rules for r in aggregated}
    for _ in range(len(aggregated) + 1):
        cluster_roles = sorted(
            (r for r in cluster.roles.values() if r.kind == "ClusterRole"), key=lambda r: r.name
        )
        changed = False
        for role in aggregated:
            current = cluster.roles[role.key]
            rules = _aggregate(current, cluster_roles)
            if rules != current.rules:
                cluster.roles[role.key] = replace(current, rules=rules)
                changed = True
        if not changed:
            break
    for key, listed in declared.items():
        role = cluster.roles[key]
        lost = [r for r in listed if r not in set(role.rules)]
        if lost:
            where = f"{role.location}: " if role.location else ""
            cluster.statuses.append(
                Status(
                    PLUGIN,
                    StatusKind.PARTIAL,
                    f"{where}ClusterRole {role.name}: {len(lost)} of the rules listed in the manifest are "
                    "not selected by its aggregationRule from the input; the aggregation controller replaces "
                    "them "
                    "(add the ClusterRoles it selects to the input)",
                    role.location.path if role.location else None,
                )
            )
