"""Escalation paths: which identities can become another identity, and which chains end in takeover.

An identity (service account, user, group) **takes the cluster** when a cluster-wide grant gives it every
verb on every resource, or one of ``escalate``/``bind`` on roles, ``impersonate`` (groups or users without
``resourceNames``), ``nodes/proxy``, ``create serviceaccounts/token`` or CSR approval with ``approve`` on
signers.  It **becomes** another identity when, in a namespace (or cluster-wide, then in every namespace):

* it can create pods or pod controllers → any service account of the namespace (a pod names its account
  and sets ``automountServiceAccountToken: true`` itself);
* it can exec/attach into pods → the accounts of the workloads there whose pods mount the token;
* it can create ``serviceaccounts/token`` → those accounts (``resourceNames`` narrow it);
* it can read Secrets → the accounts whose legacy token Secrets are in the input;
* it can impersonate service accounts, users or groups → those identities;
* it holds ``escalate`` or ``bind`` in a namespace → everything above in that namespace.

Paths are shortest (breadth first from the takeover identities over the reversed edges) and reported
only when they pass through another identity: a direct takeover is already its own finding.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from stockade.model.finding import Finding
from stockade.model.severity import Severity
from stockade.rbac import checks as C
from stockade.rbac.authorizer import Grant
from stockade.rbac.grants import GrantIndex, blast_radius, user_of
from stockade.rbac.model import Cluster, Subject


@dataclass(frozen=True, slots=True)
class Edge:
    target: Subject
    how: str
    grant: Grant


def _takeover(grant: Grant) -> bool:
    if grant.scope:
        return False
    rule = grant.rule
    if C.admin_equivalent(rule):
        return True
    if rule.resource_names:
        return False
    for check in (C.ESCALATE, C.BIND, C.NODES_PROXY, C.SA_TOKEN):
        if check.matches(rule):
            return True
    return any(
        m.startswith("impersonate groups") or m.startswith("impersonate users")
        for m in C.IMPERSONATE.matches(rule)
    )


class Graph:
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.index = GrantIndex.build(cluster)
        self.identities: set[Subject] = set(cluster.iter_subjects())
        for ns, name in cluster.service_accounts:
            self.identities.add(Subject("ServiceAccount", name, ns))
        for w in cluster.workloads:
            self.identities.add(Subject("ServiceAccount", w.service_account, w.namespace))
        self.takeover: dict[Subject, Grant] = {}
        self.edges: dict[Subject, list[Edge]] = {}
        self._namespaces = sorted(cluster.namespaces)
        self._accounts: dict[str, list[str]] = {}

    def build(self) -> Graph:
        users = sorted({s for s in self.identities if s.kind == "User"})
        for ident in sorted(self.identities):
            grants = self.index.grants(user_of(ident))
            for g in grants:
                if _takeover(g):
                    self.takeover.setdefault(ident, g)
            if ident in self.takeover:
                continue
            edges: list[Edge] = []
            for g in grants:
                edges.extend(self._edges(g, users))
            if edges:
                self.edges[ident] = [e for e in edges if e.target != ident]
        return self

    def accounts(self, namespace: str) -> list[str]:
        found = self._accounts.get(namespace)
        if found is None:
            found = self._accounts[namespace] = self.cluster.service_accounts_in(namespace)
        return found

    def _scopes(self, grant: Grant) -> list[str]:
        return [grant.scope] if grant.scope else self._namespaces

    def _edges(self, g: Grant, users: list[Subject]) -> list[Edge]:
        out: list[Edge] = []
        rule = g.rule
        ns_all = bool(g.scope) and bool(C.ESCALATE.matches(rule) or C.BIND.matches(rule))
        names = set(rule.resource_names)
        for ns in self._scopes(g):
            if ns_all or C.CREATE_PODS.matches(rule):
                for sa in self.accounts(ns):
                    out.append(
                        Edge(Subject("ServiceAccount", sa, ns), f"create a pod in {ns} running as {sa}", g)
                    )
            if ns_all or C.EXEC.matches(rule):
                for w in self.cluster.workloads:
                    if w.namespace == ns and self.cluster.token_mounted(w) and (not names or w.name in names):
                        target = Subject("ServiceAccount", w.service_account, ns)
                        out.append(Edge(target, f"exec into {w.display()}, which mounts the token", g))
            if ns_all or C.SA_TOKEN.matches(rule):
                for sa in self.accounts(ns):
                    if not names or sa in names:
                        out.append(Edge(Subject("ServiceAccount", sa, ns), f"mint a token for {ns}/{sa}", g))
            if ns_all or C.SECRETS.matches(rule):
                for sec in self.cluster.token_secrets:
                    if sec.namespace == ns and (not names or sec.name in names):
                        target = Subject("ServiceAccount", sec.service_account, ns)
                        out.append(Edge(target, f"read token Secret {ns}/{sec.name}", g))
            for m in C.IMPERSONATE.matches(rule):
                if m.startswith("impersonate serviceaccounts"):
                    for sa in self.accounts(ns):
                        if not names or sa in names:
                            out.append(Edge(Subject("ServiceAccount", sa, ns), f"impersonate {ns}/{sa}", g))
        if not g.scope:
            for m in C.IMPERSONATE.matches(rule):
                if m.startswith("impersonate users"):
                    for u in users:
                        if u.name in names:
                            out.append(Edge(u, f"impersonate user {u.name}", g))
                elif m.startswith("impersonate groups"):
                    for grp in sorted(s for s in self.identities if s.kind == "Group" and s.name in names):
                        out.append(Edge(grp, f"impersonate group {grp.name}", g))
        return out

    def paths(self) -> dict[Subject, list[Edge]]:
        """For each identity that reaches a takeover identity through others: the shortest chain of edges."""
        reverse: dict[Subject, list[tuple[Subject, Edge]]] = {}
        for src, edges in self.edges.items():
            for e in edges:
                reverse.setdefault(e.target, []).append((src, e))
        nxt: dict[Subject, Edge] = {}
        queue = deque(sorted(self.takeover))
        seen = set(self.takeover)
        while queue:
            node = queue.popleft()
            for src, e in reverse.get(node, ()):
                if src not in seen:
                    seen.add(src)
                    nxt[src] = e
                    queue.append(src)
        out: dict[Subject, list[Edge]] = {}
        for start in nxt:
            chain: list[Edge] = []
            node = start
            while node in nxt and len(chain) < 16:
                chain.append(nxt[node])
                node = nxt[node].target
            out[start] = chain
        return out


def evaluate(cluster: Cluster) -> list[Finding]:
    graph = Graph(cluster).build()
    findings = []
    for subject, chain in sorted(graph.paths().items()):
        end = chain[-1].target
        final = graph.takeover[end]
        steps = [f"{e.how} ({e.grant.binding.display()} → {e.grant.role.display()})" for e in chain]
        steps.append(f"{end.spec()} takes the cluster via {final.chain()}")
        first = chain[0].grant
        radius = blast_radius(cluster, subject)
        check = C.ESCALATION_PATH
        findings.append(
            Finding(
                id=check.id,
                severity=Severity.CRITICAL,
                title=check.title,
                target=subject.display(),
                kind="rbac",
                location=first.binding.subject_location(first.subject_index) or first.role.location,
                evidence=f"{subject.spec()} → " + " → ".join(steps),
                remediation=check.remediation,
                references=check.references,
                metadata={
                    "subject": subject.spec(),
                    "scope": first.scope or "cluster",
                    "path": [
                        {"to": e.target.spec(), "how": e.how, "grant": e.grant.to_dict()} for e in chain
                    ],
                    "takeover": {"subject": end.spec(), "grant": final.to_dict()},
                    "workloads": radius,
                    "token_mounted": any(w["token_mounted"] for w in radius) if radius else None,
                    "rationale": check.rationale,
                },
            )
        )
    return findings
