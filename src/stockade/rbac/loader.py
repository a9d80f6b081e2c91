"""Manifests → :class:`~stockade.rbac.model.Cluster`.

Reads what ``kubectl get roles,rolebindings,clusterroles,clusterrolebindings,serviceaccounts,pods,
deployments,... -A -o yaml`` prints, Helm/kustomize output and plain manifests: Role, ClusterRole,
RoleBinding, ClusterRoleBinding (``rbac.authorization.k8s.io/v1``, also ``v1beta1``/``v1alpha1``),
ServiceAccount, every kind with a pod template, legacy service-account token Secrets, Namespaces.

The API server's validation (``pkg/apis/rbac/validation``) is applied, because an object it would
reject cannot grant anything: a rule needs verbs, and either ``nonResourceURLs`` or API groups and
resources, never both; a Role cannot hold ``nonResourceURLs``; a ClusterRoleBinding can only reference
a ClusterRole.  Each problem is a status naming file:line and what was expected; the rest is read.
Namespaced objects without a namespace are placed in ``default_namespace``, as ``kubectl apply`` would.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from stockade.checks.kubernetes.objects import POD_SPEC_PATHS, K8sObject, get_dict, objects_of
from stockade.model.inventory import Location
from stockade.model.status import Status, StatusKind
from stockade.rbac import aggregation
from stockade.rbac.builtin import builtin_objects
from stockade.rbac.model import (
    Binding,
    Cluster,
    Requirement,
    Role,
    Rule,
    Selector,
    ServiceAccount,
    Subject,
    TokenSecret,
    Workload,
)
from stockade.scan.config import collect
from stockade.target.manifests import load_bytes, load_file

PLUGIN = "rbac/loader"
RBAC_GROUP = "rbac.authorization.k8s.io"
RBAC_KINDS = frozenset({"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"})
SELECTOR_OPERATORS = frozenset({"In", "NotIn", "Exists", "DoesNotExist"})


@dataclass(slots=True)
class LoadOptions:
    default_namespace: str = "default"
    #: add the bootstrap roles every cluster has (cluster-admin, ...) unless the input defines them
    defaults: bool = True
    stdin: Callable[[], bytes] | None = None


class _Invalid(Exception):
    def __init__(self, path: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


def _strings(value: Any, path: tuple[str | int, ...], *, required: bool = False) -> tuple[str, ...]:
    if value is None:
        if required:
            raise _Invalid(path, "required: expected a list of strings")
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _Invalid(path, f"expected a list of strings, found {type(value).__name__}: {value!r:.60}")
    return tuple(value)


@dataclass(slots=True)
class _Reader:
    opts: LoadOptions
    cluster: Cluster = field(default_factory=Cluster)
    kinds: Counter[str] = field(default_factory=Counter)
    sources: dict[tuple[str, str, str, str], Location] = field(default_factory=dict)

    def problem(self, obj: K8sObject, path: tuple[str | int, ...], message: str) -> None:
        line = obj.line_of(path) if path else obj.line
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
        what = f"{obj.kind} {obj.name}" + (f": {where}" if where else "")
        self.cluster.statuses.append(
            Status(PLUGIN, StatusKind.PARTIAL, f"line {line}: {what}: {message}", obj.path)
        )

    def loc(self, obj: K8sObject, path: tuple[str | int, ...] = ()) -> Location:
        return Location(obj.path, obj.line_of(path) if path else obj.line)

    def namespace(self, obj: K8sObject) -> str:
        return obj.namespace or self.opts.default_namespace

    def remember(self, kind: str, namespace: str, name: str, obj: K8sObject) -> None:
        key = (kind, namespace, name, "")
        earlier = self.sources.get(key)
        here = self.loc(obj)
        if earlier is not None:
            self.problem(obj, (), f"defined again (first at {earlier}); this later definition is used")
        self.sources[key] = here

    # -- objects --------------------------------------------------------------------------------------
    def read(self, obj: K8sObject) -> None:
        self.kinds[obj.kind] += 1
        try:
            if obj.kind in RBAC_KINDS:
                if obj.api_version.split("/")[0] != RBAC_GROUP:
                    self.problem(obj, ("apiVersion",), f"expected {RBAC_GROUP}/v1, found {obj.api_version!r}")
                    return
                if obj.kind in ("Role", "ClusterRole"):
                    self.role(obj)
                else:
                    self.binding(obj)
            elif obj.kind == "ServiceAccount":
                self.service_account(obj)
            elif obj.kind in POD_SPEC_PATHS:
                self.workload(obj)
            elif obj.kind == "Secret":
                self.secret(obj)
            elif obj.kind == "Namespace":
                self.cluster.namespaces.add(obj.name)
        except _Invalid as exc:
            self.problem(obj, exc.path, exc.message)

    def rule(self, obj: K8sObject, i: int, data: Any, cluster_scoped: bool) -> Rule | None:
        at: tuple[str | int, ...] = ("rules", i)
        if not isinstance(data, dict):
            raise _Invalid(at, "expected a mapping (verbs, apiGroups, resources ...)")
        verbs = _strings(data.get("verbs"), (*at, "verbs"), required=True)
        groups = _strings(data.get("apiGroups"), (*at, "apiGroups"))
        resources = _strings(data.get("resources"), (*at, "resources"))
        names = _strings(data.get("resourceNames"), (*at, "resourceNames"))
        urls = _strings(data.get("nonResourceURLs"), (*at, "nonResourceURLs"))
        if not verbs:
            raise _Invalid((*at, "verbs"), "required: at least one verb")
        if urls:
            if not cluster_scoped:
                raise _Invalid((*at, "nonResourceURLs"), "not allowed in a Role (only in a ClusterRole)")
            if groups or resources:
                raise _Invalid(at, "a rule cannot apply to both resources and nonResourceURLs")
        else:
            if not groups:
                raise _Invalid((*at, "apiGroups"), 'required: resource rules need an API group ("" is core)')
            if not resources:
                raise _Invalid((*at, "resources"), "required: resource rules need at least one resource")
        return Rule(verbs, groups, resources, names, urls, self.loc(obj, at))

    def role(self, obj: K8sObject) -> None:
        cluster_scoped = obj.kind == "ClusterRole"
        namespace = "" if cluster_scoped else self.namespace(obj)
        raw = obj.data.get("rules")
        if raw is not None and not isinstance(raw, list):
            raise _Invalid(("rules",), "expected a list of rules")
        rules: list[Rule] = []
        for i, item in enumerate(raw or []):
            try:
                rule = self.rule(obj, i, item, cluster_scoped)
            except _Invalid as exc:
                self.problem(obj, exc.path, exc.message + "; the rule is ignored")
                continue
            if rule is not None:
                rules.append(rule)
        selectors: tuple[Selector, ...] | None = None
        agg = obj.data.get("aggregationRule")
        if cluster_scoped and agg is not None:
            selectors = self.selectors(agg)
        self.remember(obj.kind, namespace, obj.name, obj)
        role = Role(
            obj.kind, obj.name, namespace, tuple(rules), obj.labels, selectors, self.loc(obj), _bootstrap(obj)
        )
        self.cluster.roles[role.key] = role

    def selectors(self, agg: Any) -> tuple[Selector, ...]:
        at: tuple[str | int, ...] = ("aggregationRule", "clusterRoleSelectors")
        items = agg.get("clusterRoleSelectors") if isinstance(agg, dict) else None
        if items is None:
            return ()
        if not isinstance(items, list):
            raise _Invalid(at, "expected a list of label selectors")
        out = []
        for i, sel in enumerate(items):
            if not isinstance(sel, dict):
                raise _Invalid((*at, i), "expected a label selector (matchLabels, matchExpressions)")
            labels = sel.get("matchLabels") or {}
            if not isinstance(labels, dict):
                raise _Invalid((*at, i, "matchLabels"), "expected a mapping of label to value")
            exprs = []
            for j, e in enumerate(sel.get("matchExpressions") or []):
                ep = (*at, i, "matchExpressions", j)
                if not isinstance(e, dict) or not isinstance(e.get("key"), str):
                    raise _Invalid(ep, "expected {key, operator, values}")
                op = e.get("operator")
                if op not in SELECTOR_OPERATORS:
                    raise _Invalid(
                        (*ep, "operator"), f"expected In, NotIn, Exists or DoesNotExist, found {op!r}"
                    )
                values = _strings(e.get("values"), (*ep, "values"))
                if op in ("In", "NotIn") and not values:
                    raise _Invalid((*ep, "values"), f"{op} needs at least one value")
                if op in ("Exists", "DoesNotExist") and values:
                    raise _Invalid((*ep, "values"), f"{op} takes no values")
                exprs.append(Requirement(e["key"], str(op), values))
            pairs = tuple(sorted((str(k), str(v)) for k, v in labels.items()))
            out.append(Selector(pairs, tuple(exprs)))
        return tuple(out)

    def binding(self, obj: K8sObject) -> None:
        cluster_scoped = obj.kind == "ClusterRoleBinding"
        ref = get_dict(obj.data, ("roleRef",))
        if ref is None:
            raise _Invalid(("roleRef",), "required: expected {apiGroup, kind, name}")
        kind, name = ref.get("kind"), ref.get("name")
        if kind not in ("Role", "ClusterRole"):
            raise _Invalid(("roleRef", "kind"), f"expected Role or ClusterRole, found {kind!r}")
        if cluster_scoped and kind != "ClusterRole":
            raise _Invalid(("roleRef", "kind"), "a ClusterRoleBinding can only reference a ClusterRole")
        if not isinstance(name, str) or not name:
            raise _Invalid(("roleRef", "name"), "required: the role's name")
        raw = obj.data.get("subjects") or []
        if not isinstance(raw, list):
            raise _Invalid(("subjects",), "expected a list of subjects")
        subjects: list[Subject] = []
        lines: list[int | None] = []
        for i, s in enumerate(raw):
            at: tuple[str | int, ...] = ("subjects", i)
            if not isinstance(s, dict) or not isinstance(s.get("name"), str) or not s.get("name"):
                self.problem(obj, at, "expected {kind, name[, namespace]}; the subject is ignored")
                continue
            skind = s.get("kind")
            if skind not in ("User", "Group", "ServiceAccount"):
                self.problem(obj, (*at, "kind"), f"expected User, Group or ServiceAccount, found {skind!r}")
                continue
            ns = s.get("namespace") or ""
            if skind == "ServiceAccount" and not ns and cluster_scoped:
                self.problem(
                    obj,
                    at,
                    "a ServiceAccount subject of a ClusterRoleBinding needs a namespace; "
                    "without one it applies to no one",
                )
            subjects.append(Subject(str(skind), str(s["name"]), str(ns) if skind == "ServiceAccount" else ""))
            lines.append(obj.line_of(at))
        namespace = "" if cluster_scoped else self.namespace(obj)
        self.remember(obj.kind, namespace, obj.name, obj)
        self.cluster.bindings.append(
            Binding(
                obj.kind,
                obj.name,
                namespace,
                str(kind),
                name,
                tuple(subjects),
                self.loc(obj),
                tuple(lines),
                _bootstrap(obj),
            )
        )

    def service_account(self, obj: K8sObject) -> None:
        value = obj.data.get("automountServiceAccountToken")
        ns = self.namespace(obj)
        automount = value if isinstance(value, bool) else None
        self.cluster.service_accounts[(ns, obj.name)] = ServiceAccount(ns, obj.name, automount, self.loc(obj))

    def workload(self, obj: K8sObject) -> None:
        spec = obj.pod_spec()
        if spec is None:
            return
        sa = spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
        value = spec.get("automountServiceAccountToken")
        path = obj.pod_spec_path or ()
        line_path = (*path, "serviceAccountName") if "serviceAccountName" in spec else path
        self.cluster.workloads.append(
            Workload(
                obj.kind,
                obj.name,
                self.namespace(obj),
                str(sa),
                value if isinstance(value, bool) else None,
                self.loc(obj, line_path),
            )
        )

    def secret(self, obj: K8sObject) -> None:
        if obj.data.get("type") != "kubernetes.io/service-account-token":
            return
        sa = obj.annotations.get("kubernetes.io/service-account.name")
        if sa:
            self.cluster.token_secrets.append(TokenSecret(self.namespace(obj), obj.name, sa, self.loc(obj)))


def _bootstrap(obj: K8sObject) -> bool:
    """Objects of the API server's bootstrap policy carry ``kubernetes.io/bootstrapping: rbac-defaults``."""
    return obj.labels.get("kubernetes.io/bootstrapping") == "rbac-defaults"


def load(paths: Sequence[str], options: LoadOptions | None = None) -> Cluster:
    """Read every manifest under ``paths`` (``-`` is standard input) into an indexed, aggregated model."""
    opts = options or LoadOptions()
    inputs, statuses = collect(paths, "kubernetes")
    reader = _Reader(opts)
    reader.cluster.statuses.extend(statuses)
    for path, _ in inputs:
        if path == "-":
            data = opts.stdin() if opts.stdin else _read_stdin()
            loaded = load_bytes(data, "<stdin>")
        else:
            loaded = load_file(path)
        reader.cluster.files += 1
        for err in loaded.errors:
            reader.cluster.statuses.append(Status("parse", StatusKind.ERROR, err.short, err.path))
        for document in loaded.documents:
            for obj in objects_of(document):
                reader.read(obj)
    return finish(reader.cluster, reader.kinds, opts)


def from_objects(objects: Sequence[K8sObject], options: LoadOptions | None = None) -> Cluster:
    opts = options or LoadOptions()
    reader = _Reader(opts)
    for obj in objects:
        reader.read(obj)
    return finish(reader.cluster, reader.kinds, opts)


def finish(cluster: Cluster, kinds: Counter[str], opts: LoadOptions) -> Cluster:
    if opts.defaults:
        for role, bindings in builtin_objects():
            if role.key not in cluster.roles:
                cluster.roles[role.key] = role
                cluster.bindings.extend(bindings)
    cluster.objects = dict(sorted(kinds.items()))
    aggregation.resolve(cluster)
    cluster.index()
    _missing_roles(cluster)
    return cluster


def _missing_roles(cluster: Cluster) -> None:
    missing: dict[tuple[str, str, str], list[Binding]] = {}
    for b in cluster.bindings:
        if b.role_key not in cluster.roles:
            missing.setdefault(b.role_key, []).append(b)
    for (kind, ns, name), bindings in sorted(missing.items()):
        role = f"{kind} {ns}/{name}" if ns else f"{kind} {name}"
        first = bindings[0]
        where = f"{first.location}: " if first.location else ""
        cluster.statuses.append(
            Status(
                PLUGIN,
                StatusKind.PARTIAL,
                f"{where}{first.display()} references {role}, which is not in the input: "
                "it grants nothing here"
                + (f" ({len(bindings)} bindings)" if len(bindings) > 1 else "")
                + " (add the cluster's roles: kubectl get clusterroles,roles -A -o yaml)",
                first.location.path if first.location else None,
            )
        )


def _read_stdin() -> bytes:
    import sys

    return sys.stdin.buffer.read()
