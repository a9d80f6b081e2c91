"""The few bootstrap roles and bindings every cluster has and manifests rarely include.

From kube-apiserver's bootstrap policy (``plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go``):
``cluster-admin`` (everything, bound to the group ``system:masters``), ``system:discovery``
and ``system:basic-user`` (bound to ``system:authenticated``) and ``system:public-info-viewer`` (bound to
``system:authenticated`` and ``system:unauthenticated``).  The larger defaults (``admin``, ``edit``,
``view``, the controllers' roles) are not carried: give the cluster's own roles as input
(``kubectl get clusterroles -o yaml``).  An input role of the same name replaces the built-in one.
"""

from __future__ import annotations

from stockade.rbac.model import AUTHENTICATED, SUPERUSER_GROUP, UNAUTHENTICATED, Binding, Role, Rule, Subject

PUBLIC_INFO_URLS = ("/healthz", "/livez", "/readyz", "/version", "/version/")
DISCOVERY_URLS = (
    "/api",
    "/api/*",
    "/apis",
    "/apis/*",
    "/healthz",
    "/livez",
    "/openapi",
    "/openapi/*",
    "/readyz",
    "/version",
    "/version/",
)


def _role(name: str, *rules: Rule) -> Role:
    labels = {"kubernetes.io/bootstrapping": "rbac-defaults"}
    return Role("ClusterRole", name, "", tuple(rules), labels, None, None, builtin=True)


def _crb(name: str, *subjects: Subject) -> Binding:
    return Binding("ClusterRoleBinding", name, "", "ClusterRole", name, subjects, builtin=True)


def builtin_objects() -> list[tuple[Role, list[Binding]]]:
    authenticated = Subject("Group", AUTHENTICATED)
    return [
        (
            _role("cluster-admin", Rule(("*",), ("*",), ("*",)), Rule(("*",), non_resource_urls=("*",))),
            [_crb("cluster-admin", Subject("Group", SUPERUSER_GROUP))],
        ),
        (
            _role("system:discovery", Rule(("get",), non_resource_urls=DISCOVERY_URLS)),
            [_crb("system:discovery", authenticated)],
        ),
        (
            _role(
                "system:basic-user",
                Rule(
                    ("create",),
                    ("authorization.k8s.io",),
                    ("selfsubjectaccessreviews", "selfsubjectrulesreviews"),
                ),
                Rule(("create",), ("authentication.k8s.io",), ("selfsubjectreviews",)),
            ),
            [_crb("system:basic-user", authenticated)],
        ),
        (
            _role("system:public-info-viewer", Rule(("get",), non_resource_urls=PUBLIC_INFO_URLS)),
            [_crb("system:public-info-viewer", authenticated, Subject("Group", UNAUTHENTICATED))],
        ),
    ]
