"""Each STK-NET check fires on the case it is about, and not on its near miss."""

from __future__ import annotations

from typing import Any

import pytest

from stockade.netpol.findings import CHECKS, findings
from stockade.netpol.load import LoadNotes, build
from stockade.netpol.model import Cluster
from tests.netpol.helpers import ns, pod, policy

BASE = [
    ns("a"),
    pod("a/web", {"app": "web"}, [("http", 80, "TCP")]),
    pod("a/db", {"app": "db"}, [("pg", 5432, "TCP")]),
]
DENY_ALL = policy("a/deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})
DNS = {
    "to": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
    "ports": [{"port": 53, "protocol": "UDP"}],
}
DB = {"matchLabels": {"app": "db"}}
WEB = {"matchLabels": {"app": "web"}}

# (check id, policies that trigger it, policies that must not)
CASES: list[tuple[str, list[dict[str, Any]], list[dict[str, Any]]]] = [
    ("STK-NET-0001", [], [DENY_ALL]),
    ("STK-NET-0002", [policy("a/i", {"podSelector": {}})], [DENY_ALL]),
    (
        "STK-NET-0003",
        [policy("a/p", {"podSelector": DB, "ingress": [{}]})],
        [policy("a/p", {"podSelector": DB, "ingress": [{"from": [{"podSelector": WEB}]}]})],
    ),
    (
        "STK-NET-0003",
        [policy("a/p", {"podSelector": DB, "ingress": [{"from": [{"namespaceSelector": {}}]}]})],
        [
            policy(
                "a/p",
                {"podSelector": DB, "ingress": [{"from": [{"namespaceSelector": {}, "podSelector": WEB}]}]},
            )
        ],
    ),
    (
        "STK-NET-0004",
        [policy("a/p", {"podSelector": DB, "policyTypes": ["Egress"], "egress": [{}]})],
        [policy("a/p", {"podSelector": DB, "policyTypes": ["Egress"], "egress": [DNS]})],
    ),
    (
        "STK-NET-0005",
        [policy("a/p", {"podSelector": DB, "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]})],
        [policy("a/p", {"podSelector": DB, "egress": [{"to": [{"ipBlock": {"cidr": "192.0.2.0/24"}}]}]})],
    ),
    (
        "STK-NET-0013",
        [policy("a/p", {"podSelector": DB, "ingress": [{"from": [{"ipBlock": {"cidr": "::/0"}}]}]})],
        [policy("a/p", {"podSelector": DB, "ingress": [{"from": [{"ipBlock": {"cidr": "2001:db8::/32"}}]}]})],
    ),
    (
        "STK-NET-0006",
        [policy("a/p", {"podSelector": {"matchLabels": {"app": "gone"}}})],
        [policy("a/p", {"podSelector": DB})],
    ),
    (
        "STK-NET-0007",
        [
            policy(
                "a/p1",
                {"podSelector": DB, "ingress": [{"from": [{"podSelector": WEB}], "ports": [{"port": 5432}]}]},
            ),
            policy("a/p2", {"podSelector": {}, "ingress": [{"from": [{"podSelector": {}}]}]}),
        ],
        [
            policy(
                "a/p1",
                {"podSelector": DB, "ingress": [{"from": [{"podSelector": WEB}], "ports": [{"port": 5432}]}]},
            ),
            policy("a/p2", {"podSelector": {}, "ingress": [{"from": [{"podSelector": DB}]}]}),
        ],
    ),
    (
        "STK-NET-0008",
        [policy("a/p", {"podSelector": DB, "policyTypes": ["Ingress"], "egress": [DNS]})],
        [policy("a/p", {"podSelector": DB, "policyTypes": ["Ingress", "Egress"], "egress": [DNS]})],
    ),
    (
        "STK-NET-0009",
        [policy("a/p", {"podSelector": DB, "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.1/8"}}]}]})],
        [policy("a/p", {"podSelector": DB, "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}]})],
    ),
    (
        "STK-NET-0010",
        [policy("a/p", {"podSelector": DB, "ingress": [{"ports": [{"port": "http"}]}]})],
        [policy("a/p", {"podSelector": DB, "ingress": [{"ports": [{"port": "pg"}]}]})],
    ),
    (
        "STK-NET-0011",
        [
            policy(
                "a/p",
                {"podSelector": DB, "policyTypes": ["Egress"], "egress": [{"to": [{"podSelector": WEB}]}]},
            )
        ],
        [
            policy(
                "a/p",
                {
                    "podSelector": DB,
                    "policyTypes": ["Egress"],
                    "egress": [{"to": [{"podSelector": WEB}]}, DNS],
                },
            )
        ],
    ),
    (
        "STK-NET-0012",
        [
            policy(
                "a/p",
                {"podSelector": DB, "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "x"}}}]}]},
            )
        ],
        [policy("a/p", {"podSelector": DB, "ingress": [{"from": [{"podSelector": WEB}]}]})],
    ),
]


def _ids(docs: list[dict[str, Any]]) -> set[str]:
    import yaml

    from stockade.checks.kubernetes.objects import objects_of
    from stockade.target.manifests import parse_stream

    text = yaml.safe_dump_all([*BASE, *docs], sort_keys=False)
    c, notes = Cluster(), LoadNotes()
    build([o for d in parse_stream(text, "t.yaml").documents for o in objects_of(d)], c, notes=notes)
    assert not c.errors, c.errors
    found = findings(c, notes)
    for f in found:
        assert f.location is not None and f.location.path == "t.yaml" and f.location.line
    return {f.id for f in found}


@pytest.mark.parametrize("cid,bad,good", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_check(cid: str, bad: list[dict[str, Any]], good: list[dict[str, Any]]) -> None:
    assert cid in CHECKS
    assert cid in _ids(bad)
    assert cid not in _ids(good)


def test_every_check_is_tested() -> None:
    assert {c[0] for c in CASES} == set(CHECKS)
