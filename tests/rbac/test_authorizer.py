"""The RBAC authorizer against kube-apiserver's own test vectors and the rules of rbac.go / rule.go.

``RULE_VECTORS`` are ``TestRuleMatches`` of plugin/pkg/auth/authorizer/rbac/rbac_test.go;
``RESOLVER_CASES`` are ``TestAuthorizer`` of the same file; the other tables cover each rule form the
docstring of stockade.rbac.authorizer lists.
"""

from __future__ import annotations

import pytest

from stockade.errors import InputError
from stockade.rbac.authorizer import Authorizer, Request, UserInfo, parse_subject, rule_allows
from stockade.rbac.model import Binding, Cluster, Role, Rule, Subject


def R(verbs: str, groups: str = "", resources: str = "", urls: str = "", names: str = "") -> Rule:
    split = lambda s: tuple(s.split(",")) if s else ()  # noqa: E731
    api_groups = tuple(groups.split(",")) if resources else ()  # "" is the core group
    return Rule(split(verbs), api_groups, split(resources), split(names), split(urls))


def res(verb: str, group: str, resource: str, sub: str = "", name: str = "", ns: str = "") -> Request:
    return Request(verb, resource, sub, group, ns, name)


def url(verb: str, path: str) -> Request:
    return Request(verb, path=path, resource_request=False)


RULE_VECTORS: list[tuple[str, Rule, Request, bool]] = []


def _vec(name: str, rule: Rule, table: list[tuple[Request, bool]]) -> None:
    RULE_VECTORS.extend((name, rule, req, want) for req, want in table)


_vec(
    "star verb, exact match other",
    R("*", "group1", "resource1"),
    [
        (res("verb1", "group1", "resource1"), True),
        (res("verb1", "group2", "resource1"), False),
        (res("verb1", "group1", "resource2"), False),
        (res("verb2", "group1", "resource1"), True),
        (res("verb2", "group2", "resource2"), False),
    ],
)
_vec(
    "star group, exact match other",
    R("verb1", "*", "resource1"),
    [
        (res("verb1", "group1", "resource1"), True),
        (res("verb1", "group2", "resource1"), True),
        (res("verb1", "group1", "resource2"), False),
        (res("verb2", "group1", "resource1"), False),
    ],
)
_vec(
    "star resource, exact match other",
    R("verb1", "group1", "*"),
    [
        (res("verb1", "group1", "resource1"), True),
        (res("verb1", "group1", "resource2"), True),
        (res("verb1", "group2", "resource1"), False),
        (res("verb2", "group1", "resource1"), False),
        (res("verb1", "group1", "resource1", "sub1"), True),  # '*' covers subresources
    ],
)
_vec(
    "tuple expansion",
    R("verb1,verb2", "group1,group2", "resource1,resource2"),
    [
        (res(v, g, r), True)
        for v in ("verb1", "verb2")
        for g in ("group1", "group2")
        for r in ("resource1", "resource2")
    ],
)
_vec(
    "subresource expansion",
    R("*", "*", "resource1/subresource1"),
    [
        (res("verb1", "group1", "resource1", "subresource1"), True),
        (res("verb1", "group2", "resource1", "subresource2"), False),
        (res("verb1", "group1", "resource2", "subresource1"), False),
        (res("verb1", "group1", "resource1"), False),
    ],
)
_vec(
    "star nonresource, exact match other",
    R("verb1", urls="*"),
    [
        (url("verb1", "/foo"), True),
        (url("verb1", "/foo/bar/one"), True),
        (url("verb2", "/foo"), False),
    ],
)
_vec(
    "star nonresource subpath",
    R("verb1", urls="/foo/*"),
    [
        (url("verb1", "/foo"), False),
        (url("verb1", "/foo/bar"), True),
        (url("verb1", "/foo/baz/one"), True),
        (url("verb1", "/notfoo"), False),
        (url("verb1", "/notfoo/bar/one"), False),
    ],
)
_vec(
    "star verb, exact nonresource",
    R("*", urls="/foo,/foo/bar/one"),
    [
        (url("verb1", "/foo"), True),
        (url("verb1", "/foo/bar"), False),
        (url("verb1", "/foo/bar/one"), True),
        (url("verb2", "/foo/baz/one"), False),
    ],
)
# the rule forms the issue names, beyond upstream's table
_vec(
    "pods does not cover pods/exec",
    R("create,get", "", "pods"),
    [(res("create", "", "pods"), True), (res("create", "", "pods", "exec"), False)],
)
_vec(
    "*/scale covers every scale subresource, nothing else",
    R("update", "*", "*/scale"),
    [
        (res("update", "apps", "deployments", "scale"), True),
        (res("update", "", "replicationcontrollers", "scale"), True),
        (res("update", "apps", "deployments"), False),
        (res("update", "apps", "deployments", "status"), False),
        (res("update", "apps", "deployments", "xscale"), False),
    ],
)
_vec(
    "there is no pods/* form",
    R("get", "", "pods/*"),
    [(res("get", "", "pods", "log"), False), (res("get", "", "pods", "*"), True)],
)
_vec(
    "resourceNames: a request without a name never matches",
    R("get,list,create,delete", "", "secrets", names="db-password"),
    [
        (res("get", "", "secrets", name="db-password"), True),
        (res("get", "", "secrets", name="other"), False),
        (res("list", "", "secrets"), False),
        (res("create", "", "secrets"), False),
        (res("delete", "", "secrets", name="db-password"), True),
    ],
)
_vec(
    "core group is the empty string",
    R("get", "", "pods"),
    [(res("get", "", "pods"), True), (res("get", "apps", "pods"), False)],
)
_vec(
    "nothing is case-folded",
    R("get", "", "pods"),
    [(res("GET", "", "pods"), False), (res("get", "", "Pods"), False)],
)
_vec(
    "trailing stars are all trimmed",
    R("get", urls="/logs**"),
    [(url("get", "/logs/kube"), True), (url("get", "/log"), False)],
)
_vec(
    "a resource rule never allows a path, a URL rule never a resource",
    R("get", "*", "*"),
    [(url("get", "/healthz"), False)],
)
_vec(
    "URL rule vs resource request",
    R("get", urls="*"),
    [(res("get", "", "pods"), False)],
)


@pytest.mark.parametrize(
    ("name", "rule", "req", "want"), RULE_VECTORS, ids=[f"{v[0]}-{i}" for i, v in enumerate(RULE_VECTORS)]
)
def test_rule_allows(name: str, rule: Rule, req: Request, want: bool) -> None:
    assert rule_allows(rule, req) is want


# -- the resolver: bindings, scopes, subjects ---------------------------------------------------------


def CR(name: str, *rules: Rule) -> Role:
    return Role("ClusterRole", name, "", rules)


def NR(ns: str, name: str, *rules: Rule) -> Role:
    return Role("Role", name, ns, rules)


def subjects(*specs: str) -> tuple[Subject, ...]:
    out = []
    for s in specs:
        kind, _, name = s.partition(":")
        if kind == "ServiceAccount":
            ns, _, sa = name.rpartition("/")
            out.append(Subject(kind, sa, ns))
        else:
            out.append(Subject(kind, name))
    return tuple(out)


def RB(ns: str, role_kind: str, role: str, *subs: str) -> Binding:
    return Binding("RoleBinding", f"rb-{role}", ns, role_kind, role, subjects(*subs))


def CRB(role: str, *subs: str) -> Binding:
    return Binding("ClusterRoleBinding", f"crb-{role}", "", "ClusterRole", role, subjects(*subs))


def cluster(roles: list[Role], bindings: list[Binding]) -> Cluster:
    c = Cluster(roles={r.key: r for r in roles}, bindings=bindings)
    c.index()
    return c


def U(name: str, groups: str = "") -> UserInfo:
    return UserInfo(name, tuple(groups.split(",")) if groups else ())


SA = lambda ns, n: parse_subject(f"sa:{ns}:{n}")[1]  # noqa: E731

RESOLVER_CASES: list[tuple[str, list[Role], list[Binding], UserInfo, Request, bool]] = []


def _case(
    name: str, roles: list[Role], bindings: list[Binding], table: list[tuple[UserInfo, Request, bool]]
) -> None:
    RESOLVER_CASES.extend((name, roles, bindings, u, r, w) for u, r, w in table)


_admin = [CR("admin", R("*", "*", "*", "*"))]
_case(
    "upstream: RoleBinding to a ClusterRole is scoped to its namespace",
    _admin,
    [RB("ns1", "ClusterRole", "admin", "User:admin", "Group:admins")],
    [
        (U("admin"), res("get", "", "Pods", ns="ns1"), True),
        (U("admin"), res("watch", "", "Pods", ns="ns1"), True),
        (U("admin", "group1"), res("watch", "", "Foobar", ns="ns1"), True),
        (U("joe", "admins"), res("watch", "", "Foobar", ns="ns1"), True),
        (U("joe", "group1,admins"), res("watch", "", "Foobar", ns="ns1"), True),
        (U("admin"), res("GET", "", "Pods", ns="ns2"), False),
        (U("admin"), res("GET", "", "Nodes"), False),
        (U("admin", "admins"), res("GET", "", "Pods", ns="ns2"), False),
        (U("admin", "admins"), res("GET", "", "Nodes"), False),
    ],
)
_case(
    "upstream: non-resource URLs",
    [
        CR("non-resource-url-getter", R("get", urls="/apis")),
        CR("non-resource-url", R("*", urls="/apis")),
        CR("non-resource-url-prefix", R("get", urls="/apis/*")),
    ],
    [
        CRB("non-resource-url-getter", "User:foo", "Group:bar"),
        CRB("non-resource-url", "User:admin", "Group:admin"),
        CRB("non-resource-url-prefix", "User:prefixed", "Group:prefixed"),
    ],
    [
        (U("foo"), url("get", "/apis"), True),
        (U("", "bar"), url("get", "/apis"), True),
        (U("admin"), url("watch", "/apis"), True),
        (U("", "admin"), url("watch", "/apis"), True),
        (U("prefixed"), url("get", "/apis/v1"), True),
        (U("", "prefixed"), url("get", "/apis/v1/foobar"), True),
        (U("foo"), url("watch", "/apis"), False),
        (U("", "bar"), url("watch", "/apis"), False),
        (U("foo"), url("get", "/api/v1"), False),
        (U("admin"), url("get", "/api/v1"), False),
        (U("prefixed"), url("get", "/api/v1"), False),
    ],
)
_case(
    "upstream: subresource resolution",
    [CR("admin", R("*", "*", "pods"))],
    [RB("ns1", "ClusterRole", "admin", "User:admin")],
    [
        (U("admin"), res("get", "", "pods", ns="ns1"), True),
        (U("admin"), res("get", "", "pods", "status", ns="ns1"), False),
    ],
)
_case(
    "upstream: subresource rule",
    [CR("admin", R("*", "*", "pods/status"))],
    [RB("ns1", "ClusterRole", "admin", "User:admin")],
    [
        (U("admin"), res("get", "", "pods", "status", ns="ns1"), True),
        (U("admin"), res("get", "", "pods", ns="ns1"), False),
    ],
)
_case(
    "a RoleBinding's Role is looked up in the binding's namespace",
    [NR("a", "reader", R("get", "", "pods")), NR("b", "reader", R("get", "", "secrets"))],
    [RB("a", "Role", "reader", "User:u")],
    [
        (U("u"), res("get", "", "pods", ns="a"), True),
        (U("u"), res("get", "", "secrets", ns="a"), False),
        (U("u"), res("get", "", "pods", ns="b"), False),
        (U("u"), res("get", "", "pods"), False),  # cluster-wide: RoleBindings never apply
    ],
)
_case(
    "a ClusterRoleBinding applies in every namespace and cluster-wide",
    [CR("reader", R("get,list", "", "pods"))],
    [CRB("reader", "Group:ops")],
    [
        (U("x", "ops"), res("list", "", "pods"), True),
        (U("x", "ops"), res("get", "", "pods", ns="any"), True),
        (U("x", "dev"), res("get", "", "pods", ns="any"), False),
    ],
)
_case(
    "ServiceAccount subjects: namespace defaults to the RoleBinding's, never in a ClusterRoleBinding",
    [CR("reader", R("get", "", "pods"))],
    [RB("team", "ClusterRole", "reader", "ServiceAccount:/bot"), CRB("reader", "ServiceAccount:/ghost")],
    [
        (SA("team", "bot"), res("get", "", "pods", ns="team"), True),
        (SA("other", "bot"), res("get", "", "pods", ns="team"), False),
        (SA("team", "ghost"), res("get", "", "pods", ns="team"), False),
        (U("system:serviceaccount::ghost"), res("get", "", "pods"), False),
    ],
)
_case(
    "service-account groups",
    [CR("reader", R("get", "", "configmaps"))],
    [
        RB("team", "ClusterRole", "reader", "Group:system:serviceaccounts:team"),
        CRB("reader", "Group:system:serviceaccounts"),
    ],
    [
        (SA("team", "any"), res("get", "", "configmaps", ns="team"), True),
        (SA("other", "any"), res("get", "", "configmaps", ns="elsewhere"), True),
        (U("alice", "system:authenticated"), res("get", "", "configmaps", ns="team"), False),
    ],
)
_case(
    "authenticated and unauthenticated",
    [CR("r", R("get", "", "pods"))],
    [CRB("r", "Group:system:authenticated")],
    [
        (parse_subject("user:alice")[1], res("get", "", "pods"), True),
        (parse_subject("user:system:anonymous")[1], res("get", "", "pods"), False),
        (SA("ns", "x"), res("get", "", "pods"), True),
    ],
)
_case(
    "a missing role grants nothing",
    [],
    [RB("ns", "Role", "gone", "User:u"), CRB("gone", "User:u")],
    [(U("u"), res("get", "", "pods", ns="ns"), False)],
)
_case(
    "user names are exact",
    [CR("r", R("get", "", "pods"))],
    [CRB("r", "User:Alice")],
    [(U("alice"), res("get", "", "pods"), False), (U("Alice"), res("get", "", "pods"), True)],
)


@pytest.mark.parametrize(
    ("name", "roles", "bindings", "user", "req", "want"),
    RESOLVER_CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(RESOLVER_CASES)],
)
def test_authorize(
    name: str, roles: list[Role], bindings: list[Binding], user: UserInfo, req: Request, want: bool
) -> None:
    decision = Authorizer(cluster(roles, bindings)).authorize(user, req)
    assert decision.allowed is want
    if want:
        assert decision.grant is not None and rule_allows(decision.grant.rule, req)


def test_missing_role_is_reported_as_an_error() -> None:
    c = cluster([], [RB("ns", "Role", "gone", "User:u")])
    decision = Authorizer(c).authorize(U("u"), res("get", "", "pods", ns="ns"))
    assert not decision.allowed and decision.errors and "gone" in decision.errors[0]


def test_system_masters_is_authorized_before_rbac() -> None:
    c = cluster([], [])
    assert Authorizer(c).authorize(U("root", "system:masters"), res("delete", "", "nodes")).superuser
    assert (
        not Authorizer(c, superuser_groups=())
        .authorize(U("root", "system:masters"), res("delete", "", "nodes"))
        .allowed
    )


def test_who_can_lists_every_allowing_subject_and_scope() -> None:
    c = cluster(
        [CR("exec", R("create", "", "pods/exec")), NR("a", "all", R("*", "*", "*"))],
        [
            CRB("exec", "User:ops"),
            RB("a", "Role", "all", "ServiceAccount:a/bot"),
            RB("b", "ClusterRole", "exec", "User:dev"),
        ],
    )
    az = Authorizer(c)
    in_a = {(g.subject.spec(), g.scope) for g in az.who_can(res("create", "", "pods", "exec", ns="a"))}
    assert in_a == {("user:ops", ""), ("sa:a:bot", "a")}
    everywhere = {
        (g.subject.spec(), g.scope)
        for g in az.who_can(res("create", "", "pods", "exec"), all_namespaces=True)
    }
    assert everywhere == {("user:ops", ""), ("sa:a:bot", "a"), ("user:dev", "b")}
    assert {g.subject.spec() for g in az.who_can(res("create", "", "pods", "exec"))} == {"user:ops"}


@pytest.mark.parametrize(
    ("text", "name", "groups"),
    [
        (
            "sa:kube-system:coredns",
            "system:serviceaccount:kube-system:coredns",
            ("system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"),
        ),
        (
            "system:serviceaccount:ns:x",
            "system:serviceaccount:ns:x",
            ("system:serviceaccounts", "system:serviceaccounts:ns", "system:authenticated"),
        ),
        ("user:alice@example.com", "alice@example.com", ("system:authenticated",)),
        ("user:system:anonymous", "system:anonymous", ("system:unauthenticated",)),
        ("group:system:masters", "", ("system:masters",)),
    ],
)
def test_parse_subject(text: str, name: str, groups: tuple[str, ...]) -> None:
    user = parse_subject(text)[1]
    assert (user.name, user.groups) == (name, groups)


@pytest.mark.parametrize("text", ["alice", "sa:onlyns", "role:x", "user:", "sa::x"])
def test_parse_subject_rejects(text: str) -> None:
    with pytest.raises(InputError):
        parse_subject(text)
