"""The risky grants stockade reports, with stable ids ``STK-RBAC-0001``… (never reused).

Each check names the requests that make a grant dangerous ("probes": verbs on a resource or
subresource of an API group) and is matched against every rule with the authorizer's own matching
functions, so ``*`` verbs, ``*`` groups, ``*`` resources and ``*/subresource`` count exactly as the API
server counts them.  ``resourceNames`` narrow a grant but do not make it safe; they are shown in the
evidence.  Cluster-scoped resources (nodes, CSRs, webhook configurations, users and groups for
impersonation, ClusterRoles) can only be granted by a ClusterRoleBinding: a RoleBinding's rules apply to
requests in its namespace, and requests for cluster-scoped objects have no namespace.

Sources of the list: the Kubernetes docs "Role Based Access Control Good Practices" (privilege
escalation risks), rbac-police's policy library, KubiScan's risky roles, CIS Kubernetes Benchmark 5.1.
"""

from __future__ import annotations

from dataclasses import dataclass

from stockade.model.severity import Severity
from stockade.rbac.authorizer import api_group_matches, resource_matches, verb_matches
from stockade.rbac.model import Rule

GOOD_PRACTICES = "https://kubernetes.io/docs/concepts/security/rbac-good-practices/"
RBAC_DOCS = "https://kubernetes.io/docs/reference/access-authn-authz/rbac/"
CIS_51 = "CIS Kubernetes Benchmark 5.1 (RBAC and Service Accounts)"

Probe = tuple[tuple[str, ...], str, tuple[str, ...]]  # (verbs, API group, resources with subresource)

POD_CONTROLLERS: Probe = (
    ("create", "update", "patch"),
    "apps",
    ("deployments", "daemonsets", "statefulsets", "replicasets"),
)


@dataclass(frozen=True, slots=True)
class RiskCheck:
    id: str
    title: str
    severity_cluster: Severity
    severity_namespace: Severity | None  # None: only a cluster-wide grant is effective
    capability: str  # "read Secrets", for the evidence
    probes: tuple[Probe, ...]
    rationale: str
    remediation: str
    references: tuple[str, ...] = (GOOD_PRACTICES, RBAC_DOCS)

    def severity(self, scope: str) -> Severity | None:
        """``scope``: the namespace of the grant, "" for cluster-wide.  kube-system counts as cluster-wide:
        it holds the control plane's accounts."""
        if not scope or scope == "kube-system":
            return self.severity_cluster
        return self.severity_namespace

    def matches(self, rule: Rule) -> list[str]:
        """The probe requests (``verb resource``) ``rule`` allows, ignoring names."""
        hits: list[str] = []
        if not rule.resources:
            return hits
        for verbs, group, resources in self.probes:
            if not api_group_matches(rule, group):
                continue
            for resource in resources:
                sub = resource.partition("/")[2]
                if not resource_matches(rule, resource, sub):
                    continue
                for verb in verbs:
                    if verb_matches(rule, verb):
                        hits.append(f"{verb} {resource}" + (f".{group}" if group else ""))
        return hits


def admin_equivalent(rule: Rule) -> bool:
    """Every verb on every resource of every group: what ``cluster-admin`` grants."""
    return "*" in rule.verbs and "*" in rule.api_groups and "*" in rule.resources


def wildcard(rule: Rule) -> list[str]:
    out = []
    if "*" in rule.verbs:
        out.append('verbs: ["*"]')
    if "*" in rule.resources:
        out.append('resources: ["*"]')
    if "*" in rule.non_resource_urls:
        out.append('nonResourceURLs: ["*"]')
    return out


READ = ("get", "list", "watch")
WRITE = ("create", "update", "patch", "delete")

WILDCARD = RiskCheck(
    "STK-RBAC-0001",
    "Wildcard verbs or resources",
    Severity.HIGH,
    Severity.MEDIUM,
    "use wildcards",
    (),
    "A '*' grants every verb or every resource, including subresources (pods/exec, serviceaccounts/token) "
    "and resources added later by CRDs and upgrades.",
    "List the verbs and resources the subject needs; `stockade rbac generate --audit-log` writes them "
    "from what it actually did.",
    (GOOD_PRACTICES, CIS_51 + ": 5.1.3 Minimize wildcard use in Roles and ClusterRoles"),
)
SECRETS = RiskCheck(
    "STK-RBAC-0002",
    "Reads Secrets",
    Severity.CRITICAL,
    Severity.MEDIUM,
    "read Secrets",
    ((READ, "", ("secrets",)),),
    "Secrets hold credentials and, in older clusters, service-account tokens; reading them cluster-wide "
    "yields the tokens of the most privileged accounts. list and watch return the contents too.",
    "Grant get on named secrets (resourceNames) in the one namespace that needs them; avoid list/watch.",
    (GOOD_PRACTICES, CIS_51 + ": 5.1.2 Minimize access to secrets"),
)
EXEC = RiskCheck(
    "STK-RBAC-0003",
    "Executes commands in pods",
    Severity.CRITICAL,
    Severity.HIGH,
    "exec into or attach to pods",
    (
        (("create", "get"), "", ("pods/exec", "pods/attach")),
        (("update", "patch"), "", ("pods/ephemeralcontainers",)),
    ),
    "pods/exec and pods/attach run commands inside any pod of the scope, with that pod's service-account "
    "token and mounted secrets; adding an ephemeral container does the same. (Over WebSockets, "
    "get on pods/exec has been enough on older API servers.)",
    "Remove exec/attach from roles used by workloads and automation; for people, grant it per namespace "
    "through a break-glass role that is audited.",
)
CREATE_PODS = RiskCheck(
    "STK-RBAC-0004",
    "Creates or changes pods and workloads",
    Severity.CRITICAL,
    Severity.HIGH,
    "create or change pods and pod controllers",
    (
        (("create", "update", "patch"), "", ("pods", "replicationcontrollers")),
        POD_CONTROLLERS,
        (("create", "update", "patch"), "batch", ("jobs", "cronjobs")),
    ),
    "Whoever can create a pod (directly or through a Deployment, Job, DaemonSet ...) can run it as any "
    "service account of the namespace and mount its token, secrets and hostPath volumes: they hold the "
    "union of the namespace's permissions.",
    "Keep pod creation to CI/CD identities and controllers; enforce Pod Security admission; grant it per "
    "namespace, never cluster-wide.",
)
ESCALATE = RiskCheck(
    "STK-RBAC-0005",
    "May escalate: edit roles beyond its own permissions",
    Severity.CRITICAL,
    Severity.HIGH,
    "use the escalate verb on roles",
    ((("escalate",), "rbac.authorization.k8s.io", ("roles", "clusterroles")),),
    "The escalate verb lifts the API server's check that a role can only be given permissions its editor "
    "already holds: the subject can write any rule into a role bound to itself.",
    "Remove escalate; role editing by people goes through reviewed manifests.",
)
BIND = RiskCheck(
    "STK-RBAC-0006",
    "May bind any role",
    Severity.CRITICAL,
    Severity.HIGH,
    "use the bind verb on roles",
    ((("bind",), "rbac.authorization.k8s.io", ("roles", "clusterroles")),),
    "The bind verb lifts the check that a binding can only grant permissions its creator holds: with "
    "create on rolebindings the subject binds itself to cluster-admin (or any role named).",
    "Remove bind, or restrict it with resourceNames to the few harmless roles it must hand out.",
)
IMPERSONATE = RiskCheck(
    "STK-RBAC-0007",
    "May impersonate users, groups or service accounts",
    Severity.CRITICAL,
    Severity.HIGH,
    "impersonate",
    (
        (("impersonate",), "", ("users", "groups", "serviceaccounts")),
        (("impersonate",), "authentication.k8s.io", ("userextras", "uids", "userextras/scopes")),
    ),
    "Impersonating the group system:masters, or any user or account bound to an admin role, takes over "
    "their permissions.",
    "Remove impersonate; if a proxy needs it, restrict it with resourceNames.",
)
NODES_PROXY = RiskCheck(
    "STK-RBAC-0008",
    "Reaches the kubelet API through nodes/proxy",
    Severity.CRITICAL,
    None,
    "use nodes/proxy",
    ((("get", "create", "update", "patch", "delete"), "", ("nodes/proxy",)),),
    "nodes/proxy reaches every kubelet's API: exec in any pod on any node, bypassing the audit of "
    "pods/exec and admission.",
    "Remove nodes/proxy; monitoring can read /metrics with nonResourceURLs or nodes/metrics instead.",
)
SA_TOKEN = RiskCheck(
    "STK-RBAC-0009",
    "Creates service-account tokens",
    Severity.CRITICAL,
    Severity.HIGH,
    "create service-account tokens",
    ((("create",), "", ("serviceaccounts/token",)),),
    "create on serviceaccounts/token mints a token of any account in the scope: the subject becomes "
    "those accounts.",
    "Remove it, or restrict it with resourceNames to the accounts it must issue tokens for.",
)
CSR_APPROVE = RiskCheck(
    "STK-RBAC-0010",
    "Approves certificate signing requests",
    Severity.CRITICAL,
    None,
    "approve certificate signing requests",
    ((("update", "patch"), "certificates.k8s.io", ("certificatesigningrequests/approval",)),),
    "Approving a CSR for the kube-apiserver-client signer with O=system:masters issues a cluster-admin "
    "client certificate (the subject also needs approve on signers, shown in the evidence).",
    "Leave CSR approval to the controller manager; restrict approve on signers with resourceNames.",
)
WEBHOOKS = RiskCheck(
    "STK-RBAC-0011",
    "Changes admission webhooks",
    Severity.HIGH,
    None,
    "change admission webhook configurations",
    (
        (
            WRITE,
            "admissionregistration.k8s.io",
            ("mutatingwebhookconfigurations", "validatingwebhookconfigurations"),
        ),
    ),
    "A mutating webhook sees and rewrites every object sent to the API (secrets included); deleting a "
    "validating webhook switches off the policies it enforced.",
    "Keep webhook configuration changes to the cluster's deployment pipeline.",
)
CLUSTER_ADMIN_SA = RiskCheck(
    "STK-RBAC-0012",
    "Service account holds cluster-admin",
    Severity.CRITICAL,
    Severity.HIGH,
    "do everything",
    (),
    "A service account with every verb on every resource: whoever gets into one of its pods, or reads its "
    "token, owns the cluster.",
    "Give the account only the verbs and resources it uses (`stockade rbac generate`).",
    (GOOD_PRACTICES, CIS_51 + ": 5.1.1 Ensure that the cluster-admin role is only used where required"),
)
BROAD_GROUP = RiskCheck(
    "STK-RBAC-0013",
    "Grant to every authenticated user or every service account",
    Severity.HIGH,
    Severity.MEDIUM,
    "act",
    (),
    "Groups system:authenticated, system:serviceaccounts and system:serviceaccounts:NS include every "
    "workload (and, for system:authenticated, every user and any token from a cloud identity): the "
    "grant is as good as public inside the cluster.",
    "Bind the role to the accounts that need it instead of the group.",
)
ANONYMOUS_GRANT = RiskCheck(
    "STK-RBAC-0014",
    "Grant to anonymous users",
    Severity.CRITICAL,
    Severity.HIGH,
    "act without credentials",
    (),
    "system:anonymous and system:unauthenticated are anyone who reaches the API server without credentials.",
    "Remove the binding; start kube-apiserver with --anonymous-auth=false where possible.",
    (GOOD_PRACTICES, RBAC_DOCS, CIS_51),
)
ESCALATION_PATH = RiskCheck(
    "STK-RBAC-0015",
    "Escalation path to cluster takeover",
    Severity.CRITICAL,
    Severity.CRITICAL,
    "become a cluster admin",
    (),
    "The subject cannot take the cluster by itself, but it can become another identity (by running a "
    "pod as it, exec'ing into its pods, minting or reading its token, or impersonating it) that can.",
    "Break the first step of the path: usually pod creation or exec in a namespace whose accounts hold "
    "powerful grants.",
)

#: checks evaluated rule by rule
RULE_CHECKS = (
    SECRETS,
    EXEC,
    CREATE_PODS,
    ESCALATE,
    BIND,
    IMPERSONATE,
    NODES_PROXY,
    SA_TOKEN,
    CSR_APPROVE,
    WEBHOOKS,
)
ALL_CHECKS = (WILDCARD, *RULE_CHECKS, CLUSTER_ADMIN_SA, BROAD_GROUP, ANONYMOUS_GRANT, ESCALATION_PATH)
#: capabilities that amount to cluster takeover when granted cluster-wide
TAKEOVER = frozenset({ESCALATE.id, BIND.id, IMPERSONATE.id, NODES_PROXY.id, SA_TOKEN.id, CSR_APPROVE.id})
