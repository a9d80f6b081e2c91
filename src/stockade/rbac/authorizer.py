"""kube-apiserver's RBAC authorizer, rule for rule.

Ported from ``plugin/pkg/auth/authorizer/rbac/rbac.go`` (``RuleAllows``),
``pkg/apis/rbac/v1/evaluation_helpers.go`` (the ``*Matches`` helpers) and
``pkg/registry/rbac/validation/rule.go`` (``VisitRulesFor``, ``appliesToUser``).  The subtle points:

* A request is allowed when **any** rule of **any** binding that applies allows it; RBAC never denies.
* Cluster-wide requests (no namespace) see only ClusterRoleBindings; a namespaced request sees the
  ClusterRoleBindings and the RoleBindings **of that namespace**.  A RoleBinding that references a
  ClusterRole grants the ClusterRole's rules in the binding's namespace only.
* A RoleBinding's ``roleRef`` of kind Role names a Role in the binding's own namespace.  A reference to a
  role that does not exist grants nothing (an error the authorizer records, not a denial).
* Verbs, API groups and resources match exactly or by ``*``.  The requested resource is compared as
  ``resource/subresource``: ``pods`` does not cover ``pods/exec``; ``*`` covers every resource and
  subresource; ``*/scale`` covers the ``scale`` subresource of every resource.  There is no
  ``pods/*`` form.  Nothing is case-folded (``GET`` is not ``get``).
* ``resourceNames``: an empty list allows every name; otherwise the request's name must be listed, so a
  request without a name (``list``, ``watch``, ``create``, ``deletecollection``) never matches.
* ``nonResourceURLs``: ``*`` matches every path; a rule ending in ``*`` matches by prefix (``/apis/*``
  matches ``/apis/v1`` but not ``/apis``); otherwise the path must be equal.
* Subjects: ``User`` by name, ``Group`` by membership, ``ServiceAccount`` by the user name
  ``system:serviceaccount:NS:NAME``, its namespace defaulting to the RoleBinding's.  A ServiceAccount
  subject without a namespace in a ClusterRoleBinding applies to no one.
* Identities carry groups: every service account is in ``system:serviceaccounts`` and
  ``system:serviceaccounts:NS``; authenticated users in ``system:authenticated``; the anonymous user
  ``system:anonymous`` in ``system:unauthenticated``.  kube-apiserver authorizes members of
  ``system:masters`` before RBAC is asked (``authorizerfactory.NewPrivilegedGroups``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from stockade.errors import InputError
from stockade.rbac.model import (
    ALL_SERVICE_ACCOUNTS,
    ANONYMOUS,
    AUTHENTICATED,
    SA_PREFIX,
    SUPERUSER_GROUP,
    UNAUTHENTICATED,
    Binding,
    Cluster,
    Role,
    Rule,
    Subject,
    effective_subject,
)


@dataclass(frozen=True, slots=True)
class Request:
    """``authorizer.Attributes``: a resource request, or a non-resource request (``path`` set)."""

    verb: str
    resource: str = ""
    subresource: str = ""
    api_group: str = ""
    namespace: str = ""
    name: str = ""
    path: str = ""
    resource_request: bool = True

    def describe(self) -> str:
        if not self.resource_request:
            return f'"{self.verb}" nonResourceURL "{self.path}"'
        what = self.resource + (f".{self.api_group}" if self.api_group else "")
        what += f"/{self.subresource}" if self.subresource else ""
        named = f' named "{self.name}"' if self.name else ""
        where = f' in namespace "{self.namespace}"' if self.namespace else " cluster-wide"
        return f'"{self.verb}" resource "{what}"{named}{where}'


@dataclass(frozen=True, slots=True)
class UserInfo:
    name: str
    groups: tuple[str, ...] = ()


# -- rule matching (evaluation_helpers.go) --------------------------------------------------------------


def verb_matches(rule: Rule, verb: str) -> bool:
    return "*" in rule.verbs or verb in rule.verbs


def api_group_matches(rule: Rule, group: str) -> bool:
    return "*" in rule.api_groups or group in rule.api_groups


def resource_matches(rule: Rule, combined: str, subresource: str) -> bool:
    for res in rule.resources:
        if res == "*" or res == combined:
            return True
        # "*/subresource": exactly "*/" followed by the requested subresource
        if (
            subresource
            and len(res) == len(subresource) + 2
            and res.startswith("*/")
            and res.endswith(subresource)
        ):
            return True
    return False


def resource_name_matches(rule: Rule, name: str) -> bool:
    return not rule.resource_names or name in rule.resource_names


def non_resource_url_matches(rule: Rule, path: str) -> bool:
    for url in rule.non_resource_urls:
        if url == "*" or url == path:
            return True
        # strings.TrimRight(ruleURL, "*"): every trailing star goes
        if url.endswith("*") and path.startswith(url.rstrip("*")):
            return True
    return False


def rule_allows(rule: Rule, req: Request) -> bool:
    if req.resource_request:
        combined = f"{req.resource}/{req.subresource}" if req.subresource else req.resource
        return (
            verb_matches(rule, req.verb)
            and api_group_matches(rule, req.api_group)
            and resource_matches(rule, combined, req.subresource)
            and resource_name_matches(rule, req.name)
        )
    return verb_matches(rule, req.verb) and non_resource_url_matches(rule, req.path)


# -- subjects -----------------------------------------------------------------------------------------


def applies_to(user: UserInfo, subject: Subject, namespace: str) -> bool:
    """``appliesToUser``: ``namespace`` is the binding's ("" for a ClusterRoleBinding)."""
    if subject.kind == "User":
        return user.name == subject.name
    if subject.kind == "Group":
        return subject.name in user.groups
    if subject.kind == "ServiceAccount":
        sa_namespace = subject.namespace or namespace
        if not sa_namespace:
            return False
        return user.name == f"{SA_PREFIX}{sa_namespace}:{subject.name}"
    return False


def applies_index(user: UserInfo, binding: Binding) -> int:
    """``appliesTo``: the index of the first subject of ``binding`` that applies to ``user``, or -1."""
    for i, subject in enumerate(binding.subjects):
        if applies_to(user, subject, binding.namespace):
            return i
    return -1


def service_account_user(namespace: str, name: str) -> UserInfo:
    groups = (ALL_SERVICE_ACCOUNTS, f"{ALL_SERVICE_ACCOUNTS}:{namespace}", AUTHENTICATED)
    return UserInfo(f"{SA_PREFIX}{namespace}:{name}", groups)


def parse_subject(text: str, extra_groups: tuple[str, ...] = ()) -> tuple[Subject, UserInfo]:
    """``sa:NS:NAME``, ``user:NAME``, ``group:NAME`` (or a service account user name
    ``system:serviceaccount:NS:NAME``) → the subject and the identity the API server would see."""
    kind, sep, rest = text.partition(":")
    kind = kind.lower()
    if text.startswith(SA_PREFIX):
        kind, sep, rest = "sa", ":", text[len(SA_PREFIX) :]
    if not sep or not rest:
        raise InputError(
            f"invalid subject {text!r}: expected sa:NAMESPACE:NAME, user:NAME or group:NAME",
            hint="e.g. sa:kube-system:coredns, user:alice@example.com, group:system:authenticated",
        )
    if kind in ("sa", "serviceaccount"):
        namespace, sep, name = rest.partition(":")
        if not sep or not namespace or not name:
            raise InputError(f"invalid subject {text!r}: expected sa:NAMESPACE:NAME")
        user = service_account_user(namespace, name)
        return Subject("ServiceAccount", name, namespace), UserInfo(user.name, user.groups + extra_groups)
    if kind == "user":
        groups = (UNAUTHENTICATED,) if rest == ANONYMOUS else (AUTHENTICATED,)
        return Subject("User", rest), UserInfo(rest, groups + extra_groups)
    if kind == "group":
        return Subject("Group", rest), UserInfo("", (rest, *extra_groups))
    raise InputError(f"invalid subject {text!r}: the kind must be sa, user or group")


# -- the authorizer -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Grant:
    """One rule reached through one binding: the chain binding → role → rule."""

    binding: Binding
    subject: Subject  # the binding's subject that applied (namespace filled in)
    subject_index: int
    role: Role
    rule: Rule
    rule_index: int

    @property
    def scope(self) -> str:
        """The namespace the rule is granted in; "" for cluster-wide."""
        return self.binding.namespace

    def chain(self) -> str:
        where = f"{self.binding.location}" if self.binding.location else "built-in"
        rule_where = f" ({self.rule.location})" if self.rule.location else ""
        return (
            f"{self.binding.display()} [{where}] → {self.role.display()} → "
            f"rules[{self.rule_index}] {self.rule.compact()}{rule_where}"
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "binding": {
                "kind": self.binding.kind,
                "name": self.binding.name,
                "namespace": self.binding.namespace or None,
                "location": str(self.binding.subject_location(self.subject_index) or "") or None,
            },
            "subject": self.subject.spec(),
            "role": {
                "kind": self.role.kind,
                "name": self.role.name,
                "namespace": self.role.namespace or None,
                "location": str(self.role.location) if self.role.location else None,
            },
            "rule_index": self.rule_index,
            "rule": self.rule.to_dict(),
            "rule_location": str(self.rule.location) if self.rule.location else None,
            "scope": self.scope or "cluster",
        }


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    grant: Grant | None = None
    superuser: bool = False
    #: role references that could not be resolved on the way (the authorizer's errors)
    errors: tuple[str, ...] = ()

    @property
    def reason(self) -> str:
        if self.superuser:
            return f"allowed: member of {SUPERUSER_GROUP} (authorized before RBAC)"
        if self.grant is not None:
            return f"RBAC: allowed by {self.grant.chain()}"
        return "RBAC: no rule allows it"


class Authorizer:
    def __init__(self, cluster: Cluster, *, superuser_groups: tuple[str, ...] = (SUPERUSER_GROUP,)) -> None:
        self.cluster = cluster
        self.superuser_groups = superuser_groups

    def _bindings(self, namespace: str) -> Iterator[Binding]:
        yield from self.cluster.cluster_bindings
        if namespace:
            yield from self.cluster.namespace_bindings.get(namespace, ())

    def visit(self, user: UserInfo, namespace: str, errors: list[str] | None = None) -> Iterator[Grant]:
        """Every rule that applies to ``user`` for a request in ``namespace``, in the order of
        ``VisitRulesFor``: ClusterRoleBindings first, then the namespace's RoleBindings."""
        for binding in self._bindings(namespace):
            i = applies_index(user, binding)
            if i < 0:
                continue
            role = self.cluster.role(binding)
            if role is None:
                if errors is not None:
                    errors.append(f"{binding.display()}: {binding.role_kind} {binding.role_name!r} not found")
                continue
            subject = effective_subject(binding.subjects[i], binding)
            for j, rule in enumerate(role.rules):
                yield Grant(binding, subject, i, role, rule, j)

    def authorize(self, user: UserInfo, req: Request) -> Decision:
        if any(g in user.groups for g in self.superuser_groups):
            return Decision(True, superuser=True)
        errors: list[str] = []
        for grant in self.visit(user, req.namespace, errors):
            if rule_allows(grant.rule, req):
                return Decision(True, grant)
        return Decision(False, errors=tuple(errors))

    def all_grants(self, user: UserInfo, req: Request) -> list[Grant]:
        """Every grant that allows ``req`` (not only the first)."""
        return [g for g in self.visit(user, req.namespace) if rule_allows(g.rule, req)]

    def who_can(self, req: Request, *, all_namespaces: bool = False) -> list[Grant]:
        """Every (subject, binding, role, rule) that allows ``req``.  With ``all_namespaces`` the request is
        asked in every namespace that has RoleBindings (its own namespace ignored)."""
        allowing: dict[tuple[str, str, str], tuple[int, Rule] | None] = {}
        out: list[Grant] = []
        if all_namespaces:
            bindings: list[Binding] = list(self.cluster.cluster_bindings)
            for ns in sorted(self.cluster.namespace_bindings):
                bindings.extend(self.cluster.namespace_bindings[ns])
        else:
            bindings = list(self._bindings(req.namespace))
        for binding in bindings:
            key = binding.role_key
            if key in allowing:
                hit = allowing[key]
            else:
                role = self.cluster.roles.get(key)
                hit = None
                if role is not None:
                    for j, rule in enumerate(role.rules):
                        if rule_allows(rule, req):
                            hit = (j, rule)
                            break
                allowing[key] = hit
            if hit is None:
                continue
            role = self.cluster.roles[key]
            for i, subject in enumerate(binding.subjects):
                if subject.kind == "ServiceAccount" and not (subject.namespace or binding.namespace):
                    continue  # applies to no one
                out.append(Grant(binding, effective_subject(subject, binding), i, role, hit[1], hit[0]))
        return out
