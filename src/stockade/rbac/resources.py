"""Names of API resources as people type them → the request attributes the authorizer sees.

``pods``, ``po``, ``pod``, ``Pod``, ``deployments.apps``, ``deploy``, ``pods/exec``,
``deployments.apps/scale``, or a non-resource path ``/metrics``.  A live cluster answers this with
discovery; without one, the built-in resources of Kubernetes (``kubectl api-resources`` of v1.31,
plus the virtual resources RBAC knows: ``users``, ``groups``, ``signers``, ``userextras``, ``uids``) are
known by name and short name.  Anything else must be written ``resource.group`` (or given
``--api-group``); it is then taken as namespaced unless ``--cluster-scoped`` says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

from stockade.errors import InputError

# resource: (API group, namespaced)
KNOWN: dict[str, tuple[str, bool]] = {
    "bindings": ("", True),
    "componentstatuses": ("", False),
    "configmaps": ("", True),
    "endpoints": ("", True),
    "events": ("", True),
    "limitranges": ("", True),
    "namespaces": ("", False),
    "nodes": ("", False),
    "persistentvolumeclaims": ("", True),
    "persistentvolumes": ("", False),
    "pods": ("", True),
    "podtemplates": ("", True),
    "replicationcontrollers": ("", True),
    "resourcequotas": ("", True),
    "secrets": ("", True),
    "serviceaccounts": ("", True),
    "services": ("", True),
    "users": ("", False),
    "groups": ("", False),
    "mutatingwebhookconfigurations": ("admissionregistration.k8s.io", False),
    "validatingwebhookconfigurations": ("admissionregistration.k8s.io", False),
    "validatingadmissionpolicies": ("admissionregistration.k8s.io", False),
    "validatingadmissionpolicybindings": ("admissionregistration.k8s.io", False),
    "customresourcedefinitions": ("apiextensions.k8s.io", False),
    "apiservices": ("apiregistration.k8s.io", False),
    "controllerrevisions": ("apps", True),
    "daemonsets": ("apps", True),
    "deployments": ("apps", True),
    "replicasets": ("apps", True),
    "statefulsets": ("apps", True),
    "selfsubjectreviews": ("authentication.k8s.io", False),
    "tokenreviews": ("authentication.k8s.io", False),
    "userextras": ("authentication.k8s.io", False),
    "uids": ("authentication.k8s.io", False),
    "localsubjectaccessreviews": ("authorization.k8s.io", True),
    "selfsubjectaccessreviews": ("authorization.k8s.io", False),
    "selfsubjectrulesreviews": ("authorization.k8s.io", False),
    "subjectaccessreviews": ("authorization.k8s.io", False),
    "horizontalpodautoscalers": ("autoscaling", True),
    "cronjobs": ("batch", True),
    "jobs": ("batch", True),
    "certificatesigningrequests": ("certificates.k8s.io", False),
    "signers": ("certificates.k8s.io", False),
    "leases": ("coordination.k8s.io", True),
    "endpointslices": ("discovery.k8s.io", True),
    "flowschemas": ("flowcontrol.apiserver.k8s.io", False),
    "prioritylevelconfigurations": ("flowcontrol.apiserver.k8s.io", False),
    "ingressclasses": ("networking.k8s.io", False),
    "ingresses": ("networking.k8s.io", True),
    "networkpolicies": ("networking.k8s.io", True),
    "runtimeclasses": ("node.k8s.io", False),
    "poddisruptionbudgets": ("policy", True),
    "clusterrolebindings": ("rbac.authorization.k8s.io", False),
    "clusterroles": ("rbac.authorization.k8s.io", False),
    "rolebindings": ("rbac.authorization.k8s.io", True),
    "roles": ("rbac.authorization.k8s.io", True),
    "priorityclasses": ("scheduling.k8s.io", False),
    "csidrivers": ("storage.k8s.io", False),
    "csinodes": ("storage.k8s.io", False),
    "csistoragecapacities": ("storage.k8s.io", True),
    "storageclasses": ("storage.k8s.io", False),
    "volumeattachments": ("storage.k8s.io", False),
}
#: cluster-scoped resources by (group, resource)
CLUSTER_SCOPED = frozenset((g, r) for r, (g, ns) in KNOWN.items() if not ns)

SHORT = {
    "cs": "componentstatuses",
    "cm": "configmaps",
    "ep": "endpoints",
    "ev": "events",
    "limits": "limitranges",
    "ns": "namespaces",
    "no": "nodes",
    "pvc": "persistentvolumeclaims",
    "pv": "persistentvolumes",
    "po": "pods",
    "rc": "replicationcontrollers",
    "quota": "resourcequotas",
    "sa": "serviceaccounts",
    "svc": "services",
    "crd": "customresourcedefinitions",
    "crds": "customresourcedefinitions",
    "ds": "daemonsets",
    "deploy": "deployments",
    "rs": "replicasets",
    "sts": "statefulsets",
    "hpa": "horizontalpodautoscalers",
    "cj": "cronjobs",
    "csr": "certificatesigningrequests",
    "ing": "ingresses",
    "netpol": "networkpolicies",
    "pdb": "poddisruptionbudgets",
    "pc": "priorityclasses",
    "sc": "storageclasses",
}


@dataclass(frozen=True, slots=True)
class ResourceRef:
    resource: str = ""
    subresource: str = ""
    api_group: str = ""
    path: str = ""  # a non-resource URL
    namespaced: bool = True

    @property
    def is_resource(self) -> bool:
        return not self.path


def _plural(name: str) -> str | None:
    low = name.lower()
    if low in KNOWN:
        return low
    if low in SHORT:
        return SHORT[low]
    for candidate in (low + "s", low + "es", low[:-1] + "ies" if low.endswith("y") else ""):
        if candidate and candidate in KNOWN:
            return candidate
    return None


def parse_target(
    text: str, *, subresource: str | None = None, api_group: str | None = None, cluster_scoped: bool = False
) -> ResourceRef:
    if text.startswith("/"):
        return ResourceRef(path=text, namespaced=False)
    resource, _, sub = text.partition("/")
    if subresource:
        if sub and sub != subresource:
            raise InputError(f"{text!r} names subresource {sub!r} but --subresource is {subresource!r}")
        sub = subresource
    if not resource:
        raise InputError(f"invalid resource {text!r}: expected RESOURCE[.GROUP][/SUBRESOURCE] or /path")
    if resource == "*":
        return ResourceRef(
            "*", sub, api_group if api_group is not None else "*", namespaced=not cluster_scoped
        )
    group = api_group
    name = resource
    if "." in resource and api_group is None:
        name, _, group = resource.partition(".")
    known = _plural(name)
    if known is not None and (group is None or group == KNOWN[known][0]):
        g, namespaced = KNOWN[known]
        return ResourceRef(known, sub, g, namespaced=namespaced and not cluster_scoped)
    if group is None:
        raise InputError(
            f"unknown resource {text!r}: not a built-in Kubernetes resource",
            hint="write it as RESOURCE.GROUP (e.g. certificates.cert-manager.io) or give --api-group",
        )
    return ResourceRef(name.lower(), sub, group, namespaced=not cluster_scoped)
