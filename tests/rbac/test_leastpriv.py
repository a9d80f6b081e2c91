"""Audit logs (audit.k8s.io/v1 JSON lines) → generated least-privilege RBAC, and granted vs used."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from stockade.errors import InputError
from stockade.rbac.audit import parse
from stockade.rbac.authorizer import Authorizer, Request, UserInfo
from stockade.rbac.leastpriv import diff, generate
from stockade.rbac.loader import LoadOptions, load

DATA = Path(__file__).parent / "testdata"
AUDIT = DATA / "audit.jsonl"
DEPLOYER = "system:serviceaccount:ci:deployer"


@pytest.fixture(scope="module")
def log():  # type: ignore[no-untyped-def]
    return parse(AUDIT.read_bytes(), str(AUDIT))


def test_parse(log) -> None:  # type: ignore[no-untyped-def]
    # 16 lines: one truncated, two pairs of stages of one request each
    assert log.events == 15 and len(log.requests) == 13
    assert len(log.problems) == 1 and log.problems[0].startswith(f"{AUDIT}:10: not JSON")
    watch = [r for r in log.requests if r.request.verb == "watch"]
    assert len(watch) == 1 and watch[0].stage == "ResponseComplete"
    scale = next(r for r in log.requests if r.request.subresource == "scale")
    assert (scale.request.api_group, scale.request.resource, scale.request.name) == (
        "apps",
        "deployments",
        "web",
    )
    version = next(r for r in log.requests if not r.request.resource_request and r.request.path == "/version")
    assert version.request.verb == "get"
    imp = [r for r in log.requests if r.impersonator is not None]
    assert {r.user.name for r in imp} == {"bob@example.com"} and imp[
        0
    ].impersonator.name == "kubernetes-admin"  # type: ignore[union-attr]
    forbidden = next(r for r in log.requests if r.request.resource == "nodes")
    assert forbidden.code == 403 and forbidden.decision == "forbid"


@pytest.mark.parametrize(
    ("event", "problem"),
    [
        (b'{"kind":"Event","apiVersion":"audit.k8s.io/v1","verb":"get"}', "missing user.username"),
        (b'{"kind":"Policy","apiVersion":"audit.k8s.io/v1"}', "expected kind Event"),
        (b"[1, 2]", "expected a JSON object"),
        (
            b'{"kind":"Event","apiVersion":"audit.k8s.io/v1","verb":"get","user":{"username":"u"}}',
            "missing objectRef",
        ),
    ],
)
def test_bad_events_name_the_line(event: bytes, problem: str) -> None:
    got = parse(b"\n" + event + b"\n", "a.log")
    assert got.requests == [] and got.problems[0].startswith("a.log:2: ") and problem in got.problems[0]


def test_event_list() -> None:
    data = (
        b'{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{"kind":"Event","apiVersion":"audit.k8s.io/v1",'
        b'"level":"Metadata","auditID":"x","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/a/pods",'
        b'"verb":"list","user":{"username":"u"},"objectRef":{"resource":"pods","namespace":"a","apiVersion":"v1"}}]}'
    )
    got = parse(data, "hook")
    assert [r.request.describe() for r in got.requests] == ['"list" resource "pods" in namespace "a"']


def _generated(docs: list[dict[str, object]], tmp_path: Path) -> Authorizer:
    path = tmp_path / "generated.yaml"
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False))
    cluster = load([str(path)], LoadOptions(defaults=False))  # the generated RBAC alone, through the loader
    assert [s for s in cluster.statuses if s.is_problem] == []
    return Authorizer(cluster, superuser_groups=())


@pytest.mark.parametrize("names", [False, True])
def test_generated_roles_allow_every_audited_request(log, tmp_path: Path, names: bool) -> None:  # type: ignore[no-untyped-def]
    docs = generate(log.requests, names=names)
    az = _generated(docs, tmp_path)
    for req in log.requests:
        if req.code == 401:
            continue
        assert az.authorize(req.user, req.request).allowed, req.request.describe()
        if req.impersonator is not None:
            assert az.authorize(req.impersonator, Request("impersonate", "users", name=req.user.name)).allowed
            assert az.authorize(req.impersonator, Request("impersonate", "groups", name="developers")).allowed


OUTSIDE = [
    Request("delete", "deployments", api_group="apps", namespace="ci", name="builder"),  # verb never used
    Request("list", "deployments", api_group="apps", namespace="prod"),  # other namespace
    Request("list", "deployments", api_group="apps"),  # cluster-wide
    Request("get", "secrets", namespace="ci", name="build-settings"),  # other resource
    Request("get", "deployments", api_group="extensions", namespace="ci", name="builder"),  # other group
    Request("update", "deployments", "scale", "apps", "ci", "web"),  # other verb on the subresource
    Request("get", "pods", "exec", "", "ci", "builder-6d9f7c7b9-xk2lq"),  # other subresource
    Request("get", path="/metrics", resource_request=False),
    Request("watch", "nodes"),  # list was seen (and denied), watch was not
]


@pytest.mark.parametrize("req", OUTSIDE, ids=[r.describe() for r in OUTSIDE])
def test_generated_roles_deny_what_was_not_seen(log, tmp_path: Path, req: Request) -> None:  # type: ignore[no-untyped-def]
    az = _generated(generate(log.requests, ["sa:ci:deployer"]), tmp_path)
    user = next(r.user for r in log.requests if r.user.name == DEPLOYER)
    assert not az.authorize(user, req).allowed


def test_names_narrow_named_verbs(log, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    az = _generated(generate(log.requests, ["sa:ci:deployer"], names=True), tmp_path)
    user = UserInfo(DEPLOYER)
    assert az.authorize(user, Request("get", "configmaps", namespace="ci", name="build-settings")).allowed
    assert not az.authorize(user, Request("get", "configmaps", namespace="ci", name="other")).allowed
    # list/watch/create cannot be narrowed by name: still allowed without one
    assert az.authorize(user, Request("create", "deployments", api_group="apps", namespace="ci")).allowed
    az_plain = _generated(generate(log.requests, ["sa:ci:deployer"]), tmp_path)
    assert az_plain.authorize(user, Request("get", "configmaps", namespace="ci", name="other")).allowed


def test_subject_selection(log) -> None:  # type: ignore[no-untyped-def]
    docs = generate(log.requests, ["user:bob@example.com"])
    assert {d["kind"] for d in docs} == {"Role", "RoleBinding"}
    assert all(d["metadata"]["namespace"] == "shop" for d in docs)  # type: ignore[index]
    group_docs = generate(log.requests, ["group:developers"])
    assert group_docs[1]["subjects"] == [
        {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "developers"}
    ]
    only_allowed = generate(log.requests, ["sa:ci:deployer"], include_denied=False)
    assert "nodes" not in yaml.safe_dump_all(only_allowed)
    with pytest.raises(InputError):
        generate(log.requests, ["user:nobody"])


def test_diff_lists_unused_and_not_granted(log) -> None:  # type: ignore[no-untyped-def]
    cluster = load([str(DATA / "attack-paths.yaml")])
    (usage,) = diff(cluster, log.requests, ["sa:ci:deployer"])
    used = {(g.role.name, tuple(g.rule.verbs)) for g, _ in usage.used}
    # its own Role, and the configmaps grant every authenticated identity holds
    assert used == {("pod-maker", ("get", "list", "create", "update")), ("config-reader", ("get", "list"))}
    assert usage.unused == []  # its only rule was used
    not_granted = {r.request.describe() for r in usage.denied}
    assert '"watch" resource "deployments.apps" in namespace "ci"' in not_granted
    assert '"patch" resource "deployments.apps/scale" named "web" in namespace "ci"' in not_granted
    assert '"get" nonResourceURL "/version"' not in not_granted  # allowed by the default discovery roles
    (bob,) = diff(cluster, log.requests, ["user:bob@example.com"])
    assert bob.used == [] and len(bob.denied) == 2
    (ops,) = diff(cluster, [*log.requests], ["sa:ci:deployer"], include_defaults=True)
    assert any(g.binding.builtin for g in ops.unused)
