"""``stockade rbac``: who can do what, what is risky, and what was actually used.

Exit codes as everywhere (0 clean, 1 findings at or above ``--fail-on``, 2 usage/input, 3 runtime);
``rbac can`` exits 0 when the request is allowed and 1 when it is not, like ``kubectl auth can-i``.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Sequence
from typing import Any

import click
import yaml
from rich.console import Console
from rich.table import Table

from stockade.cli.common import F, finish, output_options, write_output
from stockade.errors import InputError
from stockade.rbac.authorizer import Authorizer, Grant, Request, parse_subject
from stockade.rbac.loader import LoadOptions, load
from stockade.rbac.model import Cluster
from stockade.rbac.resources import parse_target
from stockade.report._common import dumps

QUERY_FORMATS = ["table", "json"]


def load_options(func: F) -> F:
    func = click.option(
        "--default-namespace",
        default="default",
        show_default=True,
        metavar="NS",
        help="Namespace of namespaced objects that name none (as kubectl apply would place them).",
    )(func)
    func = click.option(
        "--no-defaults",
        is_flag=True,
        help="Do not add the bootstrap roles every cluster has (cluster-admin, system:discovery, ...).",
    )(func)
    return func


def query_format(func: F) -> F:
    func = click.option(
        "-f", "--format", "fmt", type=click.Choice(QUERY_FORMATS), default="table", show_default=True
    )(func)
    return click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, help="Write here.")(
        func
    )


def request_options(func: F) -> F:
    for option in reversed(
        [
            click.option("-n", "--namespace", default="", metavar="NS", help="Namespace of the request."),
            click.option(
                "--subresource", default=None, metavar="S", help="Subresource, e.g. exec, log, scale."
            ),
            click.option(
                "--name", "object_name", default="", metavar="N", help="Name of the object asked about."
            ),
            click.option("--api-group", default=None, metavar="G", help='API group ("" for core).'),
            click.option(
                "--cluster-scoped", is_flag=True, help="Treat an unknown resource as cluster-scoped."
            ),
        ]
    ):
        func = option(func)
    return func


def _cluster(paths: Sequence[str], default_namespace: str, no_defaults: bool) -> Cluster:
    opts = LoadOptions(default_namespace=default_namespace, defaults=not no_defaults)
    return load(list(paths), opts)


def _notes(cluster: Cluster) -> None:
    for s in cluster.statuses:
        if s.is_problem:
            where = f"{s.path}: " if s.path and not s.reason.startswith(s.path) else ""
            click.echo(f"stockade: note: {where}{s.reason}", err=True)


def _request(
    verb: str,
    resource: str,
    namespace: str,
    subresource: str | None,
    name: str,
    api_group: str | None,
    cluster_scoped: bool,
) -> Request:
    target = parse_target(
        resource, subresource=subresource, api_group=api_group, cluster_scoped=cluster_scoped
    )
    if not target.is_resource:
        return Request(verb, path=target.path, resource_request=False)
    if namespace and not target.namespaced:
        click.echo(
            f"stockade: note: {target.resource} is cluster-scoped: requests for it have no namespace; "
            f"-n {namespace} is ignored",
            err=True,
        )
        namespace = ""
    return Request(verb, target.resource, target.subresource, target.api_group, namespace, name)


def _render(rows: list[list[str]], headers: list[str], title: str) -> str:
    buf = io.StringIO()
    console = Console(file=buf, width=160, no_color=True, highlight=False)
    table = Table(title=title, title_justify="left", show_edge=False)
    for h in headers:
        table.add_column(h, overflow="fold")
    for row in rows:
        table.add_row(*row)
    console.print(table)
    return buf.getvalue()


def _grant_row(g: Grant) -> list[str]:
    where = str(g.binding.subject_location(g.subject_index) or "built-in")
    return [
        g.subject.spec(),
        g.scope or "cluster-wide",
        f"{g.binding.display()} ({where})",
        g.role.display(),
        f"rules[{g.rule_index}] {g.rule.compact()}",
    ]


@click.group("rbac")
def rbac() -> None:
    """Kubernetes RBAC: effective permissions, who-can, risky grants, least privilege from audit logs.

    PATH... are manifests (files, directories, or - for standard input), e.g. the output of
    `kubectl get roles,rolebindings,clusterroles,clusterrolebindings,serviceaccounts,pods,deployments,
    daemonsets,statefulsets,jobs,cronjobs -A -o yaml`.  Semantics are kube-apiserver's RBAC authorizer.
    """


@rbac.command("findings")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@load_options
@click.option(
    "--include-defaults", is_flag=True, help="Also report bootstrap-policy bindings (rbac-defaults)."
)
@click.option("--no-paths", is_flag=True, help="Do not search escalation paths (STK-RBAC-0015).")
@output_options
def findings_cmd(
    paths: tuple[str, ...],
    default_namespace: str,
    no_defaults: bool,
    include_defaults: bool,
    no_paths: bool,
    **opts: Any,
) -> int:
    """Risky grants (STK-RBAC-0001…) with their grant chains and the workloads that run as each subject."""
    from stockade.rbac.scan import RbacOptions, scan_rbac

    options = RbacOptions(
        load=LoadOptions(default_namespace=default_namespace, defaults=not no_defaults),
        include_defaults=include_defaults,
        paths=not no_paths,
    )
    result = scan_rbac(list(paths), options)
    return finish(result, **opts)


@rbac.command("who-can")
@click.argument("verb")
@click.argument("resource")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@request_options
@click.option("-A", "--all-namespaces", is_flag=True, help="Ask in every namespace that has RoleBindings.")
@load_options
@query_format
def who_can(
    verb: str,
    resource: str,
    paths: tuple[str, ...],
    namespace: str,
    subresource: str | None,
    object_name: str,
    api_group: str | None,
    cluster_scoped: bool,
    all_namespaces: bool,
    default_namespace: str,
    no_defaults: bool,
    fmt: str,
    output: str | None,
) -> int:
    """Every subject that may VERB RESOURCE, and the binding → role → rule that allows it.

    RESOURCE is pods, po, deployments.apps, pods/exec, widgets.example.com, or a path (/metrics).
    Without -n or -A the request is cluster-wide: only ClusterRoleBindings count.
    """
    cluster = _cluster(paths, default_namespace, no_defaults)
    _notes(cluster)
    req = _request(verb, resource, namespace, subresource, object_name, api_group, cluster_scoped)
    grants = Authorizer(cluster).who_can(req, all_namespaces=all_namespaces)
    grants.sort(key=lambda g: (g.subject.kind, g.subject.namespace, g.subject.name, g.scope, g.binding.name))
    if fmt == "json":
        text = dumps({"request": req.describe(), "grants": [g.to_dict() for g in grants]})
    else:
        title = f"who can {req.describe()}" + (" (in any namespace)" if all_namespaces else "")
        text = _render(
            [_grant_row(g) for g in grants], ["SUBJECT", "SCOPE", "BINDING", "ROLE", "RULE"], title
        )
        if not grants:
            text += "no subject\n"
    write_output(text, output)
    return 0


@rbac.command("can")
@click.argument("subject")
@click.argument("verb")
@click.argument("resource")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@request_options
@click.option(
    "--group", "groups", multiple=True, metavar="G", help="Extra group of the subject (repeatable)."
)
@load_options
@query_format
def can(
    subject: str,
    verb: str,
    resource: str,
    paths: tuple[str, ...],
    namespace: str,
    subresource: str | None,
    object_name: str,
    api_group: str | None,
    cluster_scoped: bool,
    groups: tuple[str, ...],
    default_namespace: str,
    no_defaults: bool,
    fmt: str,
    output: str | None,
) -> int:
    """Whether SUBJECT (sa:NS:NAME, user:NAME, group:NAME) may VERB RESOURCE; exit 0 yes, 1 no.

    Prints every binding → role → rule chain that allows it.
    """
    _, user = parse_subject(subject, groups)
    cluster = _cluster(paths, default_namespace, no_defaults)
    _notes(cluster)
    req = _request(verb, resource, namespace, subresource, object_name, api_group, cluster_scoped)
    authorizer = Authorizer(cluster)
    decision = authorizer.authorize(user, req)
    grants = authorizer.all_grants(user, req)
    if fmt == "json":
        text = dumps(
            {
                "subject": subject,
                "user": {"username": user.name, "groups": list(user.groups)},
                "request": req.describe(),
                "allowed": decision.allowed,
                "reason": decision.reason,
                "grants": [g.to_dict() for g in grants],
                "errors": list(decision.errors),
            }
        )
    else:
        text = ("yes" if decision.allowed else "no") + f" — {subject} {req.describe()}\n"
        if decision.superuser:
            text += f"  {decision.reason}\n"
        for g in grants:
            text += f"  via {g.chain()}\n"
        for err in decision.errors:
            text += f"  note: {err}\n"
    write_output(text, output)
    return 0 if decision.allowed else 1


@rbac.command("permissions")
@click.argument("subject")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("-n", "--namespace", default=None, metavar="NS", help="Only what applies in this namespace.")
@click.option(
    "--group", "groups", multiple=True, metavar="G", help="Extra group of the subject (repeatable)."
)
@load_options
@query_format
def permissions(
    subject: str,
    paths: tuple[str, ...],
    namespace: str | None,
    groups: tuple[str, ...],
    default_namespace: str,
    no_defaults: bool,
    fmt: str,
    output: str | None,
) -> int:
    """Every rule SUBJECT holds, by scope, with the binding and role it comes from."""
    from stockade.rbac.grants import GrantIndex

    _, user = parse_subject(subject, groups)
    cluster = _cluster(paths, default_namespace, no_defaults)
    _notes(cluster)
    if namespace is not None:
        grants = list(Authorizer(cluster).visit(user, namespace))
    else:
        grants = GrantIndex.build(cluster).grants(user)
    grants.sort(key=lambda g: (g.scope, g.binding.kind, g.binding.name, g.rule_index))
    if fmt == "json":
        text = dumps(
            {
                "subject": subject,
                "user": user.name,
                "groups": list(user.groups),
                "grants": [g.to_dict() for g in grants],
            }
        )
    else:
        title = f"permissions of {subject}" + (f" in namespace {namespace}" if namespace else "")
        text = _render(
            [_grant_row(g) for g in grants], ["SUBJECT", "SCOPE", "BINDING", "ROLE", "RULE"], title
        )
        if not grants:
            text += "no permissions\n"
    write_output(text, output)
    return 0


def _audit(audit_logs: tuple[str, ...]) -> Any:
    from stockade.rbac.audit import read

    stdin = sys.stdin.buffer.read() if "-" in audit_logs else None
    log = read(audit_logs, stdin)
    for problem in log.problems[:20]:
        click.echo(f"stockade: note: {problem}", err=True)
    if len(log.problems) > 20:
        click.echo(f"stockade: note: {len(log.problems) - 20} more lines not read", err=True)
    if not log.requests:
        raise InputError(
            f"no audit events in {', '.join(audit_logs)}",
            hint="expected audit.k8s.io/v1 Event objects, one JSON object per line (--audit-log-format=json)",
        )
    return log


audit_option = click.option(
    "--audit-log",
    "audit_logs",
    multiple=True,
    required=True,
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Kubernetes audit log (audit.k8s.io/v1 JSON lines); repeatable; - for standard input.",
)
subject_option = click.option(
    "--subject",
    "subjects",
    multiple=True,
    metavar="S",
    help="sa:NS:NAME, user:NAME or group:NAME (repeatable).",
)


@rbac.command("generate")
@audit_option
@subject_option
@click.option("--names", is_flag=True, help="Narrow verbs used only on named objects with resourceNames.")
@click.option("--only-allowed", is_flag=True, help="Leave out requests the cluster denied (403).")
@click.option("--prefix", default="stockade", show_default=True, help="Prefix of the generated names.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, help="Write here.")
def generate_cmd(
    audit_logs: tuple[str, ...],
    subjects: tuple[str, ...],
    names: bool,
    only_allowed: bool,
    prefix: str,
    output: str | None,
) -> int:
    """Least-privilege Roles/ClusterRoles and bindings that allow exactly the audited requests (YAML)."""
    from stockade.rbac.leastpriv import generate

    log = _audit(audit_logs)
    docs = generate(log.requests, subjects, names=names, prefix=prefix, include_denied=not only_allowed)
    header = (
        f"# generated by stockade rbac generate from {len(log.requests)} requests in "
        f"{', '.join(audit_logs)}\n"
    )
    text = header + yaml.safe_dump_all(docs, sort_keys=False, default_flow_style=False, explicit_start=True)
    write_output(text, output)
    return 0


@rbac.command("diff")
@audit_option
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@subject_option
@click.option("--include-defaults", is_flag=True, help="Also list unused bootstrap-policy grants.")
@load_options
@query_format
def diff_cmd(
    audit_logs: tuple[str, ...],
    paths: tuple[str, ...],
    subjects: tuple[str, ...],
    include_defaults: bool,
    default_namespace: str,
    no_defaults: bool,
    fmt: str,
    output: str | None,
) -> int:
    """Granted (manifests) against used (audit log): unused grants, and requests no grant allows."""
    from stockade.rbac.leastpriv import diff

    log = _audit(audit_logs)
    cluster = _cluster(paths, default_namespace, no_defaults)
    _notes(cluster)
    usages = diff(cluster, log.requests, subjects, include_defaults=include_defaults)
    if fmt == "json":
        text = dumps({"subjects": [u.to_dict() for u in usages]})
    else:
        rows = []
        for u in usages:
            for g, n in u.used:
                rows.append([*_grant_row(g)[:1], "used", str(n), *_grant_row(g)[1:]])
            for g in u.unused:
                rows.append([*_grant_row(g)[:1], "UNUSED", "0", *_grant_row(g)[1:]])
            for r in u.denied:
                rows.append(
                    [
                        u.subject.spec(),
                        "NOT GRANTED",
                        "1",
                        r.request.namespace or "cluster-wide",
                        f"audit line {r.line}",
                        "",
                        r.request.describe(),
                    ]
                )
        headers = ["SUBJECT", "STATUS", "REQUESTS", "SCOPE", "BINDING", "ROLE", "RULE / REQUEST"]
        text = _render(rows, headers, f"granted vs used ({sum(u.requests for u in usages)} requests)")
    write_output(text, output)
    return 0


rbac.add_command(findings_cmd, "check")
