"""The RBAC model: roles, bindings, subjects, service accounts and the workloads that run as them.

Field meanings follow the ``rbac.authorization.k8s.io/v1`` API (``PolicyRule``, ``RoleRef``,
``Subject``, ``AggregationRule``).  Everything here is plain data; :mod:`stockade.rbac.loader` builds it
from manifests, :mod:`stockade.rbac.aggregation` fills aggregated ClusterRoles and
:mod:`stockade.rbac.authorizer` answers questions about it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from stockade.model.inventory import Location
from stockade.model.status import Status

SA_PREFIX = "system:serviceaccount:"
ALL_SERVICE_ACCOUNTS = "system:serviceaccounts"
AUTHENTICATED = "system:authenticated"
UNAUTHENTICATED = "system:unauthenticated"
ANONYMOUS = "system:anonymous"
#: the group kube-apiserver authorizes for everything before RBAC is asked (``system:masters``)
SUPERUSER_GROUP = "system:masters"
#: groups that (nearly) every identity, or every workload, of a cluster belongs to
BROAD_GROUPS = frozenset({ALL_SERVICE_ACCOUNTS, AUTHENTICATED, UNAUTHENTICATED})


@dataclass(frozen=True, slots=True)
class Rule:
    """A ``PolicyRule``.  Empty tuples mean the field is absent."""

    verbs: tuple[str, ...]
    api_groups: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    resource_names: tuple[str, ...] = ()
    non_resource_urls: tuple[str, ...] = ()
    location: Location | None = field(default=None, compare=False, hash=False)

    def to_dict(self) -> dict[str, Any]:
        """The rule as a manifest writes it (absent fields left out)."""
        out: dict[str, Any] = {}
        if self.api_groups or self.resources:
            out["apiGroups"] = list(self.api_groups)
        if self.resources:
            out["resources"] = list(self.resources)
        if self.resource_names:
            out["resourceNames"] = list(self.resource_names)
        if self.non_resource_urls:
            out["nonResourceURLs"] = list(self.non_resource_urls)
        out["verbs"] = list(self.verbs)
        return out

    def compact(self) -> str:
        """``{APIGroups:["apps"], Resources:["deployments"], Verbs:["get"]}`` as kube-apiserver prints it."""
        parts = []
        for label, values in (
            ("APIGroups", self.api_groups),
            ("Resources", self.resources),
            ("NonResourceURLs", self.non_resource_urls),
            ("ResourceNames", self.resource_names),
            ("Verbs", self.verbs),
        ):
            if values:
                parts.append(label + ":[" + " ".join(f'"{v}"' for v in values) + "]")
        return "{" + ", ".join(parts) + "}"


@dataclass(frozen=True, slots=True)
class Requirement:
    """One ``matchExpressions`` entry of a label selector."""

    key: str
    operator: str  # In | NotIn | Exists | DoesNotExist
    values: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Selector:
    """A ``metav1.LabelSelector``: ``matchLabels`` and ``matchExpressions``, ANDed."""

    match_labels: tuple[tuple[str, str], ...] = ()
    match_expressions: tuple[Requirement, ...] = ()


@dataclass(frozen=True, slots=True)
class Role:
    kind: str  # Role | ClusterRole
    name: str
    namespace: str  # "" for a ClusterRole
    rules: tuple[Rule, ...]
    labels: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    #: ``aggregationRule.clusterRoleSelectors``; None when the role is not aggregated
    aggregation: tuple[Selector, ...] | None = None
    location: Location | None = field(default=None, compare=False, hash=False)
    builtin: bool = False

    @property
    def key(self) -> RoleKey:
        return (self.kind, self.namespace, self.name)

    def display(self) -> str:
        return (
            f"ClusterRole {self.name}" if self.kind == "ClusterRole" else f"Role {self.namespace}/{self.name}"
        )


RoleKey = tuple[str, str, str]  # (kind, namespace, name)


@dataclass(frozen=True, slots=True, order=True)
class Subject:
    """A binding subject.  ``namespace`` only for ServiceAccounts (may be empty in a RoleBinding, where it
    defaults to the binding's namespace)."""

    kind: str  # User | Group | ServiceAccount
    name: str
    namespace: str = ""

    def spec(self) -> str:
        """The command-line form: ``sa:NS:NAME``, ``user:NAME``, ``group:NAME``."""
        if self.kind == "ServiceAccount":
            return f"sa:{self.namespace}:{self.name}"
        return f"{self.kind.lower()}:{self.name}"

    def display(self) -> str:
        if self.kind == "ServiceAccount":
            return f"ServiceAccount {self.namespace}/{self.name}"
        return f"{self.kind} {self.name}"


@dataclass(frozen=True, slots=True)
class Binding:
    kind: str  # RoleBinding | ClusterRoleBinding
    name: str
    namespace: str  # "" for a ClusterRoleBinding
    role_kind: str  # roleRef.kind
    role_name: str  # roleRef.name
    subjects: tuple[Subject, ...]
    location: Location | None = field(default=None, compare=False, hash=False)
    #: the line of each subject, in order
    subject_lines: tuple[int | None, ...] = field(default=(), compare=False, hash=False)
    builtin: bool = False

    @property
    def role_key(self) -> RoleKey:
        """Where the authorizer looks the role up: a Role in the binding's own namespace, or a ClusterRole."""
        if self.role_kind == "ClusterRole":
            return ("ClusterRole", "", self.role_name)
        return (self.role_kind, self.namespace, self.role_name)

    def display(self) -> str:
        if self.kind == "ClusterRoleBinding":
            return f"ClusterRoleBinding {self.name}"
        return f"RoleBinding {self.namespace}/{self.name}"

    def subject_location(self, index: int) -> Location | None:
        if self.location is None:
            return None
        line = self.subject_lines[index] if index < len(self.subject_lines) else None
        return Location(self.location.path, line or self.location.line)


@dataclass(frozen=True, slots=True)
class ServiceAccount:
    namespace: str
    name: str
    automount: bool | None  # automountServiceAccountToken; None when not set
    location: Location | None = field(default=None, compare=False, hash=False)


@dataclass(frozen=True, slots=True)
class Workload:
    """An object with a pod template, and the identity its pods run as."""

    kind: str
    name: str
    namespace: str
    service_account: str
    #: ``automountServiceAccountToken`` of the pod spec (None: not set)
    pod_automount: bool | None
    location: Location | None = field(default=None, compare=False, hash=False)

    def display(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}"


@dataclass(frozen=True, slots=True)
class TokenSecret:
    """A legacy ``kubernetes.io/service-account-token`` Secret: whoever reads it holds the account."""

    namespace: str
    name: str
    service_account: str
    location: Location | None = field(default=None, compare=False, hash=False)


@dataclass(slots=True)
class Cluster:
    """Everything read from the input, indexed for the authorizer."""

    roles: dict[RoleKey, Role] = field(default_factory=dict)
    bindings: list[Binding] = field(default_factory=list)
    service_accounts: dict[tuple[str, str], ServiceAccount] = field(default_factory=dict)
    workloads: list[Workload] = field(default_factory=list)
    token_secrets: list[TokenSecret] = field(default_factory=list)
    namespaces: set[str] = field(default_factory=set)
    statuses: list[Status] = field(default_factory=list)
    files: int = 0
    objects: dict[str, int] = field(default_factory=dict)
    # indexes, built by index()
    cluster_bindings: list[Binding] = field(default_factory=list)
    namespace_bindings: dict[str, list[Binding]] = field(default_factory=dict)
    workloads_by_sa: dict[tuple[str, str], list[Workload]] = field(default_factory=dict)

    def index(self) -> None:
        self.cluster_bindings = [b for b in self.bindings if b.kind == "ClusterRoleBinding"]
        self.namespace_bindings = {}
        for b in self.bindings:
            if b.kind == "RoleBinding":
                self.namespace_bindings.setdefault(b.namespace, []).append(b)
        self.workloads_by_sa = {}
        for w in self.workloads:
            self.workloads_by_sa.setdefault((w.namespace, w.service_account), []).append(w)
        for b in self.bindings:
            if b.namespace:
                self.namespaces.add(b.namespace)
        for ns, _ in self.service_accounts:
            self.namespaces.add(ns)
        for w in self.workloads:
            self.namespaces.add(w.namespace)

    def role(self, binding: Binding) -> Role | None:
        return self.roles.get(binding.role_key)

    def token_mounted(self, workload: Workload) -> bool:
        """Whether the pods get the account's token: the pod spec's setting wins, then the
        ServiceAccount's, and the default is yes (docs: "Opt out of API credential automounting")."""
        if workload.pod_automount is not None:
            return workload.pod_automount
        sa = self.service_accounts.get((workload.namespace, workload.service_account))
        if sa is not None and sa.automount is not None:
            return sa.automount
        return True

    def service_accounts_in(self, namespace: str) -> list[str]:
        """Every account known to exist or be named in ``namespace`` (``default`` always exists)."""
        names = {"default"}
        names.update(name for ns, name in self.service_accounts if ns == namespace)
        names.update(w.service_account for w in self.workloads if w.namespace == namespace)
        for b in self.bindings:
            for s in b.subjects:
                if s.kind == "ServiceAccount" and (s.namespace or b.namespace) == namespace:
                    names.add(s.name)
        return sorted(names)

    def iter_subjects(self) -> Iterator[Subject]:
        """Every distinct subject named by a binding (ServiceAccount namespaces filled in)."""
        seen: set[Subject] = set()
        for b in self.bindings:
            for s in b.subjects:
                s = effective_subject(s, b)
                if s not in seen:
                    seen.add(s)
                    yield s


def effective_subject(subject: Subject, binding: Binding) -> Subject:
    """A ServiceAccount subject without a namespace in a RoleBinding means the binding's namespace
    (``appliesToUser`` in pkg/registry/rbac/validation/rule.go)."""
    if subject.kind == "ServiceAccount" and not subject.namespace and binding.namespace:
        return Subject("ServiceAccount", subject.name, binding.namespace)
    return subject
