"""Kubernetes best-practice checks (STK-K8S-…): fixtures, metadata, kinds, and odd input."""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stockade.checks.interface import Check, Violation
from stockade.checks.kubernetes import practice
from stockade.checks.kubernetes.objects import CONTAINER_FIELDS, POD_SPEC_PATHS, K8sObject, objects_of
from stockade.checks.kubernetes.practice import CHECKS
from stockade.checks.kubernetes.practice._common import ContainerCheck
from stockade.checks.kubernetes.practice.env import is_secret_name, is_secret_value
from stockade.checks.kubernetes.practice.hostpath import is_runtime_socket, normalize, sensitive_reason
from stockade.checks.kubernetes.practice.images import split_image
from stockade.checks.kubernetes.practice.network import _covers
from stockade.model.severity import Severity
from stockade.target.manifests import Document, load_file, parse_stream
from tests.conftest import SHARED

TESTDATA = Path(__file__).parent / "testdata" / "practice"
INSTANCES: list[Check[K8sObject]] = [cls() for cls in CHECKS]
ALL_IDS = frozenset(c.ID for c in CHECKS)


def run_checks(obj: K8sObject) -> Iterator[tuple[Check[K8sObject], Violation]]:
    for check in INSTANCES:
        for violation in check.check(obj):
            yield check, violation


def objects(path: Path) -> list[K8sObject]:
    result = load_file(str(path))
    assert not result.errors, result.errors
    return [obj for doc in result.documents for obj in objects_of(doc)]


def findings(path: Path) -> list[tuple[str, int]]:
    return [(c.ID, obj.line_of(v.path)) for obj in objects(path) for c, v in run_checks(obj)]


# -- fixtures ----------------------------------------------------------------------------------------------
# Each failing fixture yields exactly these findings: "ID@line" pins the line, "ID" only counts the id.
FAIL: dict[str, list[str]] = {
    "resources-cpu.yaml": ["STK-K8S-0001@38", "STK-K8S-0002@40", "STK-K8S-0002@67"],
    "resources-memory.yaml": ["STK-K8S-0003@34", "STK-K8S-0004@36", "STK-K8S-0004@54"],
    "probes.yaml": ["STK-K8S-0005@69", "STK-K8S-0006@46", "STK-K8S-0006@69"],
    "image-without-tag.yaml": ["STK-K8S-0007@31", "STK-K8S-0007@58", "STK-K8S-0009", "STK-K8S-0009"],
    "image-latest.yaml": [
        "STK-K8S-0008@31",
        "STK-K8S-0008@59",
        "STK-K8S-0009",
        "STK-K8S-0009",
        "STK-K8S-0010@32",
    ],
    "image-without-digest.yaml": ["STK-K8S-0009@31", "STK-K8S-0009@59", "STK-K8S-0010@58"],
    "privileged.yaml": ["STK-K8S-0011@53", "STK-K8S-0012"],
    "privilege-escalation.yaml": ["STK-K8S-0012@54", "STK-K8S-0012@81"],
    "read-only-root.yaml": ["STK-K8S-0013@55", "STK-K8S-0013@81"],
    "run-as-root.yaml": ["STK-K8S-0014@23", "STK-K8S-0014@138"],
    "proc-mount.yaml": ["STK-K8S-0015@54"],
    "capabilities.yaml": [
        "STK-K8S-0016@58",
        "STK-K8S-0016@87",
        "STK-K8S-0017@116",
        "STK-K8S-0018@145",
        "STK-K8S-0018@145",
    ],
    "host-namespaces.yaml": ["STK-K8S-0019@21", "STK-K8S-0020@22", "STK-K8S-0021@71", "STK-K8S-0022@129"],
    "serviceaccount.yaml": ["STK-K8S-0023@19", "STK-K8S-0023@77", "STK-K8S-0024@115", "STK-K8S-0024@132"],
    "hostpath-socket.yaml": ["STK-K8S-0025@66", "STK-K8S-0025@70", "STK-K8S-0025@74"],
    "hostpath-sensitive.yaml": [f"STK-K8S-0026@{line}" for line in range(88, 113, 3)],
    "env-secrets.yaml": [
        "STK-K8S-0027@35",
        "STK-K8S-0027@37",
        "STK-K8S-0027@61",
        "STK-K8S-0027@63",
        "STK-K8S-0027@65",
        "STK-K8S-0027@67",
    ],
    "namespace.yaml": ["STK-K8S-0028@6", "STK-K8S-0029@61"],
    "service-nodeport.yaml": ["STK-K8S-0030@10"],
    "service-loadbalancer.yaml": ["STK-K8S-0031@12", "STK-K8S-0031@34", "STK-K8S-0031@49"],
    "ingress.yaml": ["STK-K8S-0032@12", "STK-K8S-0032@53", "STK-K8S-0032@63"],
    # hostPID in Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob,
    # and a Deployment inside a List
    "all-kinds.yaml": [f"STK-K8S-0020@{n}" for n in (13, 71, 130, 187, 245, 302, 355, 398, 446)],
}

# Each passing fixture yields no finding at all; the ids are the checks it is the passing case of.
PASS: dict[str, tuple[str, ...]] = {
    "clean.yaml": tuple(sorted(ALL_IDS)),
    "resources.yaml": ("STK-K8S-0001", "STK-K8S-0002", "STK-K8S-0003", "STK-K8S-0004"),
    "probes.yaml": ("STK-K8S-0005", "STK-K8S-0006"),
    "images.yaml": ("STK-K8S-0007", "STK-K8S-0008", "STK-K8S-0009", "STK-K8S-0010"),
    "privileged.yaml": ("STK-K8S-0011",),
    "privilege-escalation.yaml": ("STK-K8S-0012", "STK-K8S-0013", "STK-K8S-0016"),
    "read-only-root.yaml": ("STK-K8S-0013",),
    "run-as-root.yaml": ("STK-K8S-0014",),
    "proc-mount.yaml": ("STK-K8S-0015",),
    "capabilities.yaml": ("STK-K8S-0016", "STK-K8S-0017", "STK-K8S-0018"),
    "host-namespaces.yaml": ("STK-K8S-0019", "STK-K8S-0020", "STK-K8S-0021", "STK-K8S-0022"),
    "serviceaccount.yaml": ("STK-K8S-0023", "STK-K8S-0024"),
    "hostpath.yaml": ("STK-K8S-0025", "STK-K8S-0026"),
    "env-secrets.yaml": ("STK-K8S-0027",),
    "namespace.yaml": ("STK-K8S-0028", "STK-K8S-0029"),
    "services.yaml": ("STK-K8S-0030", "STK-K8S-0031"),
    "ingress.yaml": ("STK-K8S-0032",),
}


@pytest.mark.parametrize("name", sorted(FAIL))
def test_failing_fixture(name: str) -> None:
    got = findings(TESTDATA / "fail" / name)
    expected = FAIL[name]
    assert sorted(i for i, _ in got) == sorted(e.partition("@")[0] for e in expected)
    have = Counter(got)
    pinned = Counter((i, int(line)) for i, _, line in (e.partition("@") for e in expected) if line)
    assert not pinned - have, f"expected at these lines: {sorted(pinned - have)}; got {sorted(got)}"


@pytest.mark.parametrize("name", sorted(PASS))
def test_passing_fixture(name: str) -> None:
    got = findings(TESTDATA / "pass" / name)
    assert not [f for f in got if f[0] in PASS[name]]
    assert got == []  # every passing fixture is clean for the other checks too


def test_every_check_has_failing_and_passing_fixtures() -> None:
    failing = {e.partition("@")[0] for expected in FAIL.values() for e in expected}
    passing = {i for name, ids in PASS.items() if name != "clean.yaml" for i in ids}
    assert failing == ALL_IDS
    assert passing == ALL_IDS
    on_disk = (
        {p.name for p in (TESTDATA / "fail").glob("*.yaml")},
        {p.name for p in (TESTDATA / "pass").glob("*.yaml")},
    )
    assert on_disk == (set(FAIL), set(PASS))


def test_container_messages_name_the_container() -> None:
    for name in FAIL:
        for obj in objects(TESTDATA / "fail" / name):
            for check, violation in run_checks(obj):
                if not isinstance(check, ContainerCheck):
                    continue
                steps = [i for i, step in enumerate(violation.path) if step in CONTAINER_FIELDS]
                if not steps:  # a pod-level field (runAsUser inherited from the pod): names the container too
                    names = [c["name"] for _, c in obj.containers()]
                    assert any(f"'{n}'" in violation.message for n in names), (check.ID, violation)
                    continue
                container: Any = obj.data
                for step in violation.path[: steps[0] + 2]:
                    container = container[step]
                assert f"'{container['name']}'" in violation.message, (check.ID, violation)


# -- metadata ----------------------------------------------------------------------------------------------
def test_check_metadata() -> None:
    assert len(ALL_IDS) == len(CHECKS)
    assert len({c.NAME for c in CHECKS}) == len(CHECKS)
    known_kinds = set(POD_SPEC_PATHS) | {"Service", "Ingress", "ServiceAccount"}
    for check in CHECKS:
        assert re.fullmatch(r"STK-K8S-\d{4}", check.ID), check
        assert check.NAME.startswith("kubernetes/practice/"), check
        assert isinstance(check.SEVERITY, Severity) and check.SEVERITY is not Severity.UNKNOWN
        assert check.TITLE.strip() and check.RATIONALE.strip() and check.REMEDIATION.strip(), check.ID
        assert check.REFERENCES and all(r.strip() for r in check.REFERENCES), check.ID
        assert any(r.startswith("https://kubernetes.io/docs/") for r in check.REFERENCES), check.ID
        kinds: frozenset[str] = getattr(check, "KINDS", frozenset())
        assert kinds and kinds <= known_kinds, check.ID


def test_docstring_table_matches_checks() -> None:
    table = dict(re.findall(r"^\s+(STK-K8S-\d{4})\s+(\w+)\s", practice.__doc__ or "", re.M))
    assert table == {c.ID: c.SEVERITY.value for c in CHECKS}
    numbers = sorted(int(i[-4:]) for i in ALL_IDS)
    assert numbers == list(range(1, len(numbers) + 1))  # no gaps: ids are handed out in order


# -- kinds ------------------------------------------------------------------------------------------------
def _bad_pod() -> dict[str, Any]:
    """A pod spec that breaks every pod-level and container-level practice."""
    bad_sc = {
        "privileged": True,
        "allowPrivilegeEscalation": True,
        "readOnlyRootFilesystem": False,
        "runAsUser": 0,
        "procMount": "Unmasked",
        "capabilities": {"add": ["NET_RAW", "SYS_ADMIN", "SYS_MODULE"]},
    }
    return {
        "hostNetwork": True,
        "hostPID": True,
        "hostIPC": True,
        "shareProcessNamespace": True,
        "containers": [
            {
                "name": "app",
                "image": "nginx",
                "securityContext": bad_sc,
                "env": [{"name": "DB_PASSWORD", "value": "hunter2"}],
                "volumeMounts": [{"name": "sock", "mountPath": "/s"}],
            },
            {"name": "side", "image": "nginx:latest", "imagePullPolicy": "IfNotPresent"},
        ],
        "volumes": [
            {"name": "sock", "hostPath": {"path": "/var/run/docker.sock"}},
            {"name": "etc", "hostPath": {"path": "/etc"}},
        ],
    }


def _everything_bad(kind: str, namespace: str | None, service_type: str) -> K8sObject:
    """One object with every bad thing at every place any kind keeps it."""
    spec = {
        **_bad_pod(),
        "template": {"spec": _bad_pod()},
        "jobTemplate": {"spec": {"template": {"spec": _bad_pod()}}},
        "type": service_type,
        "rules": [{"host": "shop.example.com"}],
    }
    metadata = {"name": "x"} if namespace is None else {"name": "x", "namespace": namespace}
    data: dict[str, Any] = {"apiVersion": "v1", "kind": kind, "metadata": metadata, "spec": spec}
    data["automountServiceAccountToken"] = True
    [obj] = objects_of(Document("memory.yaml", 0, 1, data))
    return obj


KINDS = [
    *POD_SPEC_PATHS,
    "Service",
    "Ingress",
    "ServiceAccount",
    "ConfigMap",
    "PodTemplate",
    "Rollout",
    "Node",
]


@pytest.mark.parametrize("kind", KINDS)
def test_checks_fire_only_on_their_kinds(kind: str) -> None:
    variants = [_everything_bad(kind, "default", "NodePort"), _everything_bad(kind, None, "LoadBalancer")]
    for check in INSTANCES:
        fired = any(list(check.check(obj)) for obj in variants)
        assert fired == (kind in getattr(check, "KINDS", ())), (check.ID, kind)


# -- odd input ---------------------------------------------------------------------------------------------
ODD: list[Any] = [
    None,
    "x",
    "",
    0,
    -1,
    1.5,
    True,
    False,
    [],
    {},
    ["x"],
    [None],
    [[]],
    [{}],
    {"x": None},
    {1: 2},
]


def _paths(data: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(data, dict):
        for key, value in data.items():
            yield (*at, key)
            yield from _paths(value, (*at, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield (*at, i)
            yield from _paths(value, (*at, i))


def _run_all(data: Any) -> None:
    for obj in objects_of(Document("fuzz.yaml", 0, 1, data)):
        for _check, violation in run_checks(obj):
            assert isinstance(violation, Violation)
            assert isinstance(obj.line_of(violation.path), int)


def _fuzz_documents() -> list[Any]:
    docs: list[Any] = []
    for name in ("capabilities.yaml", "hostpath-socket.yaml", "env-secrets.yaml", "run-as-root.yaml"):
        docs.extend(d.data for d in load_file(str(TESTDATA / "fail" / name)).documents)
    for name in ("clean.yaml", "services.yaml", "ingress.yaml", "resources.yaml", "probes.yaml"):
        docs.extend(d.data for d in load_file(str(TESTDATA / "pass" / name)).documents)
    docs.append(_everything_bad("Deployment", "default", "LoadBalancer").data)
    docs.append(_everything_bad("Service", None, "LoadBalancer").data)
    docs.append(_everything_bad("Ingress", None, "NodePort").data)
    return docs


def test_odd_values_anywhere_never_raise() -> None:
    """Every field of real documents replaced by values of every wrong type, one at a time."""
    rng = random.Random(5)
    for data in _fuzz_documents():
        for path in list(_paths(data)):
            parent = data
            for step in path[:-1]:
                parent = parent[step]
            original = parent[path[-1]]
            for odd in rng.sample(ODD, 6):
                parent[path[-1]] = odd
                _run_all(data)
            parent[path[-1]] = original


def test_whole_subtrees_of_odd_shape_never_raise() -> None:
    """Deeper mutations: a subtree replaced by another document's subtree (lists for maps and so on)."""
    rng = random.Random(7)
    docs = _fuzz_documents()
    pool = [p for d in docs for p in _paths(d)]
    for _ in range(1500):
        data = rng.choice(docs)
        paths = list(_paths(data))
        if not paths:
            continue
        path = rng.choice(paths)
        source = rng.choice(docs)
        donor_path = rng.choice(pool)
        donor: Any = source
        for step in donor_path:
            in_map = isinstance(donor, dict) and step in donor
            in_list = isinstance(donor, list) and isinstance(step, int) and step < len(donor)
            if not (in_map or in_list):
                break
            donor = donor[step]
        parent = data
        for step in path[:-1]:
            parent = parent[step]
        original = parent[path[-1]]
        parent[path[-1]] = donor
        try:
            _run_all(data)
        finally:
            parent[path[-1]] = original


ODD_MANIFESTS = {
    "containers as a string": "kind: Pod\nmetadata: {name: p}\nspec:\n  containers: nginx\n",
    "securityContext null": (
        "kind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      securityContext:\n"
        "      containers:\n        - name: a\n          image: nginx:1.25\n          securityContext:\n"
    ),
    "env as a dict": (
        "kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: a\n      image: x:1\n"
        "      env: {DB_PASSWORD: hunter2}\n"
    ),
    "capabilities as strings": (
        "kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: a\n      image: x:1\n"
        "      securityContext: {capabilities: {add: SYS_ADMIN, drop: ALL}}\n"
    ),
    "unhashable values": (
        "kind: Pod\nmetadata: {name: [p], namespace: {a: b}}\nspec:\n  restartPolicy: [Never]\n"
        "  volumes: [{name: [v], hostPath: {path: [/etc]}}]\n  containers:\n    - name: {a: b}\n"
        "      image: [x]\n      imagePullPolicy: [Always]\n      securityContext: {procMount: [Unmasked],"
        " capabilities: {add: [[SYS_ADMIN]], drop: [[ALL]]}}\n      env: [[x], {name: [TOKEN], value: [v]}]\n"
    ),
    "service and ingress with lists for maps": (
        "kind: Service\nmetadata: {name: s, annotations: [a]}\nspec: [type, LoadBalancer]\n---\n"
        "kind: Service\nmetadata: {name: s}\n"
        "spec: {type: [LoadBalancer], loadBalancerSourceRanges: {a: b}}\n---\n"
        "kind: Ingress\nmetadata: {name: i}\n"
        "spec: {tls: [{hosts: {a: b}}, null], rules: [{host: [h]}, 5]}\n---\n"
        "kind: ServiceAccount\nmetadata: {name: sa}\nautomountServiceAccountToken: [false]\n"
    ),
    "numbers for names": "kind: Pod\nmetadata: {name: 1}\nspec:\n  containers:\n    - {name: 2, image: 3}\n",
}


@pytest.mark.parametrize("name", sorted(ODD_MANIFESTS))
def test_odd_manifests_never_raise(name: str) -> None:
    result = parse_stream(ODD_MANIFESTS[name], f"{name}.yaml")
    assert not result.errors
    for doc in result.documents:
        _run_all(doc.data)


@pytest.mark.parametrize(
    ("pod_field", "container_sc", "check_id", "fires"),
    [
        ("", "runAsUser: false", "STK-K8S-0014", False),  # False == 0 in Python; not a UID
        ("", 'runAsUser: "0"', "STK-K8S-0014", False),
        ("", "runAsUser: 0", "STK-K8S-0014", True),
        ("securityContext: {runAsUser: 0}", "runAsUser: null", "STK-K8S-0014", True),
        ("", 'privileged: "true"', "STK-K8S-0011", False),
        ("", 'allowPrivilegeEscalation: "false"', "STK-K8S-0012", True),
        ("", 'readOnlyRootFilesystem: "true"', "STK-K8S-0013", True),
        ("", "capabilities: {drop: ALL}", "STK-K8S-0016", True),
        ("", "capabilities: {drop: [CAP_NET_RAW]}", "STK-K8S-0016", False),
        ('hostPID: "true"', "", "STK-K8S-0020", False),
        ('automountServiceAccountToken: "false"', "", "STK-K8S-0023", True),
        ("os: {name: windows}", "runAsUser: 0", "STK-K8S-0014", False),
    ],
)
def test_wrong_types_count_as_absent(pod_field: str, container_sc: str, check_id: str, fires: bool) -> None:
    text = (
        "kind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n"
        f"  {pod_field}\n  containers:\n    - name: app\n      image: x:1\n"
        f"      securityContext: {{{container_sc}}}\n"
    )
    [doc] = parse_stream(text, "pod.yaml").documents
    [obj] = objects_of(doc)
    fired = {check.ID for check, _ in run_checks(obj)}
    assert (check_id in fired) is fires


def test_pss_conformance_corpus_never_raises() -> None:
    corpus = SHARED / "conformance" / "pss"
    files = sorted(corpus.rglob("*.yaml"))
    if not files:
        pytest.skip(f"PSS conformance corpus not found at {corpus}")
    seen = 0
    for path in files:
        for obj in objects(path):
            seen += 1
            for _check, violation in run_checks(obj):
                assert obj.line_of(violation.path) >= 1
    assert seen >= len(files)


# -- the rules behind the checks -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("image", "tag", "digest"),
    [
        ("nginx", None, None),
        ("nginx:1.25", "1.25", None),
        ("localhost:5000/shop/web", None, None),
        ("localhost:5000/shop/web:2", "2", None),
        ("ghcr.io/a/b@sha256:abc", None, "sha256:abc"),
        ("nginx:latest@sha256:abc", "latest", "sha256:abc"),
        ("nginx:", None, None),
        ("nginx@", None, None),
    ],
)
def test_split_image(image: str, tag: str | None, digest: str | None) -> None:
    assert split_image(image) == (tag, digest)


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("DB_PASSWORD", True),
        ("PGPASSWORD", True),
        ("dbPassword", True),
        ("MYSQL_ROOT_PASSWORD", True),
        ("SMTP_PASS", True),
        ("API_KEY", True),
        ("stripeApiKey", True),
        ("SSH_KEY", True),
        ("SECRET_KEY_BASE", True),
        ("oauth2ProxyCookieSecret", True),
        ("GITHUB_TOKEN", True),
        ("PASSWORD_FILE", False),
        ("TOKEN_TTL", False),
        ("AWS_ACCESS_KEY_ID", False),
        ("PUBLIC_KEY", False),
        ("PARTITION_KEY", False),
        ("KEYCLOAK_URL", False),
        ("MONKEY", False),
        ("TOKENIZER_MODEL", False),
        ("BYPASS_CACHE", False),
        ("PWD", False),
        ("SECRET_NAME", False),
    ],
)
def test_secret_names(name: str, secret: bool) -> None:
    assert is_secret_name(name) is secret


@pytest.mark.parametrize(
    ("value", "secret"),
    [
        ("hunter2", True),
        ("", False),
        ("  ", False),
        ("true", False),
        ("$(FROM_SECRET)", False),
        ("/run/secrets/db", False),
    ],
)
def test_secret_values(value: str, secret: bool) -> None:
    assert is_secret_value(value) is secret


@pytest.mark.parametrize(
    ("path", "socket", "sensitive"),
    [
        ("/var/run/docker.sock", True, True),
        ("/var/run//docker.sock/", True, True),
        ("/srv/run/containerd.sock", True, False),
        ("/run/containerd", True, True),
        ("/", False, True),
        ("/var", False, True),
        ("/var/lib", False, True),
        ("/var/lib/kubelet/pki", False, True),
        ("/etc/../etc/kubernetes", False, True),
        ("etc", False, True),
        ("/var/log", False, False),
        ("/mnt/disks/ssd0", False, False),
        ("/etcd-backup", False, False),
        ("/data", False, False),
    ],
)
def test_host_paths(path: str, socket: bool, sensitive: bool) -> None:
    normal = normalize(path)
    assert is_runtime_socket(normal) is socket
    assert (sensitive_reason(normal) is not None) is sensitive


@pytest.mark.parametrize(
    ("pattern", "host", "covered"),
    [
        ("shop.example.com", "shop.example.com", True),
        ("*.example.com", "shop.example.com", True),
        ("*.example.com", "a.shop.example.com", False),
        ("*.example.com", "example.com", False),
        ("shop.example.com", "admin.example.com", False),
    ],
)
def test_tls_host_cover(pattern: str, host: str, covered: bool) -> None:
    assert _covers(pattern, host) is covered
