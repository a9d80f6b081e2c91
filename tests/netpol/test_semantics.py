"""The decision procedure, rule by rule (table-driven), and the bulk matrix against it."""

from __future__ import annotations

import random
from typing import Any

import pytest

from stockade.netpol.reach import build_matrix
from stockade.netpol.semantics.evaluate import Evaluator
from tests.netpol.helpers import cluster, ns, pod, policy

WEB = [("http", 8080, "TCP"), ("dns", 53, "UDP")]
BASE = [
    ns("a", team="red"),
    ns("b", team="blue"),
    pod("a/web", {"app": "web"}, WEB, ip="10.1.0.1"),
    pod("a/db", {"app": "db"}, [("pg", 5432, "TCP")], ip="10.1.0.2"),
    pod("b/web", {"app": "web"}, [("http", 9090, "TCP")], ip="10.2.0.1"),
    pod("b/cli", {"app": "cli"}, [], ip="10.2.0.2"),
]

# (name, policies, src, dst, port, protocol, allowed)
CASES: list[tuple[str, list[dict[str, Any]], str, str, int, str, bool]] = [
    ("no policy: open", [], "b/cli", "a/db", 5432, "TCP", True),
    # policyTypes defaulting (SetDefaults_NetworkPolicy)
    ("types default to Ingress", [policy("a/p", {"podSelector": {}})], "b/cli", "a/db", 5432, "TCP", False),
    (
        "types default: egress untouched",
        [policy("a/p", {"podSelector": {}})],
        "a/db",
        "b/cli",
        80,
        "TCP",
        True,
    ),
    (
        "egress: [] without policyTypes does not isolate egress",
        [policy("a/p", {"podSelector": {}, "egress": []})],
        "a/db",
        "b/cli",
        80,
        "TCP",
        True,
    ),
    (
        "egress rules without policyTypes isolate egress",
        [
            policy(
                "a/p",
                {"podSelector": {}, "egress": [{"to": [{"podSelector": {"matchLabels": {"app": "web"}}}]}]},
            )
        ],
        "a/db",
        "b/cli",
        80,
        "TCP",
        False,
    ),
    (
        "policyTypes [Egress] with no rules closes egress",
        [policy("a/p", {"podSelector": {}, "policyTypes": ["Egress"]})],
        "a/db",
        "b/cli",
        80,
        "TCP",
        False,
    ),
    (
        "policyTypes [Egress] leaves ingress open",
        [policy("a/p", {"podSelector": {}, "policyTypes": ["Egress"]})],
        "b/cli",
        "a/db",
        5432,
        "TCP",
        True,
    ),
    (
        "ingress rules ignored when policyTypes is [Egress]",
        [policy("a/p", {"podSelector": {}, "policyTypes": ["Egress"], "ingress": []})],
        "b/cli",
        "a/db",
        5432,
        "TCP",
        True,
    ),
    # peers
    (
        "podSelector alone: policy namespace only",
        [
            policy(
                "a/p",
                {
                    "podSelector": {"matchLabels": {"app": "db"}},
                    "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}]}],
                },
            )
        ],
        "b/web",
        "a/db",
        5432,
        "TCP",
        False,
    ),
    (
        "podSelector alone: same namespace allowed",
        [
            policy(
                "a/p",
                {
                    "podSelector": {"matchLabels": {"app": "db"}},
                    "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}]}],
                },
            )
        ],
        "a/web",
        "a/db",
        5432,
        "TCP",
        True,
    ),
    (
        "ns AND pod in one peer: other pod of that namespace denied",
        [
            policy(
                "a/p",
                {
                    "podSelector": {"matchLabels": {"app": "db"}},
                    "ingress": [
                        {
                            "from": [
                                {
                                    "namespaceSelector": {"matchLabels": {"team": "blue"}},
                                    "podSelector": {"matchLabels": {"app": "web"}},
                                }
                            ]
                        }
                    ],
                },
            )
        ],
        "b/cli",
        "a/db",
        5432,
        "TCP",
        False,
    ),
    (
        "ns OR pod in two peers: other pod of that namespace allowed",
        [
            policy(
                "a/p",
                {
                    "podSelector": {"matchLabels": {"app": "db"}},
                    "ingress": [
                        {
                            "from": [
                                {"namespaceSelector": {"matchLabels": {"team": "blue"}}},
                                {"podSelector": {"matchLabels": {"app": "web"}}},
                            ]
                        }
                    ],
                },
            )
        ],
        "b/cli",
        "a/db",
        5432,
        "TCP",
        True,
    ),
    (
        "namespaceSelector {} with podSelector: any namespace",
        [
            policy(
                "a/p",
                {
                    "podSelector": {},
                    "ingress": [
                        {"from": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "web"}}}]}
                    ],
                },
            )
        ],
        "b/web",
        "a/db",
        5432,
        "TCP",
        True,
    ),
    (
        "matchExpressions NotIn matches a missing key",
        [
            policy(
                "a/p",
                {
                    "podSelector": {},
                    "ingress": [
                        {
                            "from": [
                                {
                                    "namespaceSelector": {},
                                    "podSelector": {
                                        "matchExpressions": [
                                            {"key": "tier", "operator": "NotIn", "values": ["x"]}
                                        ]
                                    },
                                }
                            ]
                        }
                    ],
                },
            )
        ],
        "b/cli",
        "a/db",
        5432,
        "TCP",
        True,
    ),
    (
        "DoesNotExist",
        [
            policy(
                "a/p",
                {
                    "podSelector": {},
                    "ingress": [
                        {
                            "from": [
                                {
                                    "namespaceSelector": {},
                                    "podSelector": {
                                        "matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]
                                    },
                                }
                            ]
                        }
                    ],
                },
            )
        ],
        "b/cli",
        "a/db",
        5432,
        "TCP",
        False,
    ),
    (
        "union of policies",
        [
            policy(
                "a/p1",
                {
                    "podSelector": {},
                    "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}]}],
                },
            ),
            policy(
                "a/p2",
                {
                    "podSelector": {},
                    "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "blue"}}}]}],
                },
            ),
        ],
        "b/cli",
        "a/db",
        5432,
        "TCP",
        True,
    ),
    # ipBlock
    (
        "ipBlock matches a pod IP",
        [policy("a/p", {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.2.0.0/16"}}]}]})],
        "b/cli",
        "a/db",
        5432,
        "TCP",
        True,
    ),
    (
        "ipBlock except",
        [
            policy(
                "a/p",
                {
                    "podSelector": {},
                    "ingress": [{"from": [{"ipBlock": {"cidr": "10.2.0.0/16", "except": ["10.2.0.2/32"]}}]}],
                },
            )
        ],
        "b/cli",
        "a/db",
        5432,
        "TCP",
        False,
    ),
    # ports
    (
        "port number",
        [policy("a/p", {"podSelector": {}, "ingress": [{"ports": [{"port": 5432}]}]})],
        "b/cli",
        "a/db",
        5432,
        "TCP",
        True,
    ),
    (
        "protocol must match",
        [policy("a/p", {"podSelector": {}, "ingress": [{"ports": [{"port": 5432, "protocol": "UDP"}]}]})],
        "b/cli",
        "a/db",
        5432,
        "TCP",
        False,
    ),
    (
        "SCTP is not TCP",
        [policy("a/p", {"podSelector": {}, "ingress": [{"ports": [{"protocol": "SCTP"}]}]})],
        "b/cli",
        "a/db",
        5432,
        "TCP",
        False,
    ),
    (
        "port without number: every port of the protocol",
        [policy("a/p", {"podSelector": {}, "ingress": [{"ports": [{"protocol": "TCP"}]}]})],
        "b/cli",
        "a/db",
        5432,
        "TCP",
        True,
    ),
    (
        "endPort range inclusive (end)",
        [policy("a/p", {"podSelector": {}, "ingress": [{"ports": [{"port": 5000, "endPort": 5432}]}]})],
        "b/cli",
        "a/db",
        5432,
        "TCP",
        True,
    ),
    (
        "endPort range (outside)",
        [policy("a/p", {"podSelector": {}, "ingress": [{"ports": [{"port": 5000, "endPort": 5431}]}]})],
        "b/cli",
        "a/db",
        5432,
        "TCP",
        False,
    ),
    (
        "named port resolves on the destination",
        [policy("a/p", {"podSelector": {}, "ingress": [{"ports": [{"port": "pg"}]}]})],
        "b/cli",
        "a/db",
        5432,
        "TCP",
        True,
    ),
    (
        "named port needs the same protocol",
        [policy("a/p", {"podSelector": {}, "ingress": [{"ports": [{"port": "dns", "protocol": "TCP"}]}]})],
        "b/cli",
        "a/web",
        53,
        "TCP",
        False,
    ),
    (
        "named port in egress resolves on the destination (9090 on b/web)",
        [
            policy(
                "a/p",
                {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"ports": [{"port": "http"}]}]},
            )
        ],
        "a/db",
        "b/web",
        9090,
        "TCP",
        True,
    ),
    (
        "named port in egress: not the source's number",
        [
            policy(
                "a/p",
                {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"ports": [{"port": "http"}]}]},
            )
        ],
        "a/db",
        "b/web",
        8080,
        "TCP",
        False,
    ),
    (
        "egress denied at the client even if the server allows",
        [
            policy("b/p", {"podSelector": {}, "policyTypes": ["Egress"]}),
            policy("a/q", {"podSelector": {}, "ingress": [{}]}),
        ],
        "b/cli",
        "a/db",
        5432,
        "TCP",
        False,
    ),
]


@pytest.mark.parametrize("name,policies,src,dst,port,proto,allowed", CASES, ids=[c[0] for c in CASES])
def test_decide(
    name: str, policies: list[dict[str, Any]], src: str, dst: str, port: int, proto: str, allowed: bool
) -> None:
    c = cluster(*BASE, *policies)
    assert not c.errors
    a, b = c.peer(src), c.peer(dst)
    assert a is not None and b is not None
    v = Evaluator(c).decide(a, b, port, proto)
    assert v.allowed is allowed, v.reasons
    m = build_matrix(c)
    ids = [p.id for p in m.peers]
    assert m.allowed(ids.index(src), ids.index(dst), port, proto) is allowed


def test_host_network_pods_are_not_selected() -> None:
    c = cluster(
        *BASE,
        pod("a/agent", {"app": "db"}, [("m", 9100, "TCP")], host_network=True),
        policy("a/p", {"podSelector": {}}),
    )
    ev = Evaluator(c)
    agent, cli = c.peer("a/agent"), c.peer("b/cli")
    assert agent is not None and cli is not None
    assert ev.decide(cli, agent, 9100, "TCP").allowed
    assert "host network" in ev.decide(cli, agent, 9100, "TCP").reasons[1]


def test_unknown_pod_ip_and_world_block() -> None:
    """A pod without a known IP matches 0.0.0.0/0 (every address) but not a narrower block."""
    docs = [ns("a"), pod("a/x", {"app": "x"}), pod("a/y", {"app": "y"})]
    wide = policy(
        "a/p",
        {
            "podSelector": {"matchLabels": {"app": "x"}},
            "policyTypes": ["Egress"],
            "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}],
        },
    )
    narrow = policy(
        "a/p",
        {
            "podSelector": {"matchLabels": {"app": "x"}},
            "policyTypes": ["Egress"],
            "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}],
        },
    )
    for pol, expected in ((wide, True), (narrow, False)):
        c = cluster(*docs, pol)
        x, y = c.peer("a/x"), c.peer("a/y")
        assert x is not None and y is not None
        assert Evaluator(c).decide(x, y, 80, "TCP").allowed is expected


def test_any_port_question() -> None:
    """port None: is anything allowed?  Egress and ingress port sets must overlap."""
    c = cluster(
        *BASE,
        policy("b/e", {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"ports": [{"port": 80}]}]}),
        policy("a/i", {"podSelector": {}, "ingress": [{"ports": [{"port": 443}]}]}),
    )
    a, b = c.peer("b/cli"), c.peer("a/db")
    assert a is not None and b is not None
    ev = Evaluator(c)
    assert not ev.decide(a, b, None, None).allowed
    assert ev.allowed_ports(a, b).text() == "none"


def test_matrix_agrees_with_decide_on_random_clusters() -> None:
    """The equivalence-class matrix gives exactly the pair-by-pair verdicts (random policies, 30 seeds)."""
    for seed in range(30):
        rng = random.Random(seed)
        docs: list[dict[str, Any]] = [ns("a", team="red"), ns("b", team="blue"), ns("c")]
        for i in range(12):
            namespace = rng.choice("abc")
            labels = {
                "app": rng.choice(["web", "db", "cli"]),
                **({"tier": "x"} if rng.random() < 0.3 else {}),
            }
            ports = [
                (rng.choice(["http", "pg", None]), rng.choice([80, 5432, 53]), rng.choice(["TCP", "UDP"]))
            ]
            docs.append(pod(f"{namespace}/p{i}", labels, ports, ip=f"10.{i % 3}.0.{i}"))

        def sel(rng: random.Random = rng) -> dict[str, Any]:
            return rng.choice([{}, {"matchLabels": {"app": rng.choice(["web", "db", "cli"])}}])

        for j in range(6):
            peers = [
                rng.choice(
                    [
                        {"podSelector": sel()},
                        {"namespaceSelector": {"matchLabels": {"team": "red"}}},
                        {"namespaceSelector": {}, "podSelector": sel()},
                        {"ipBlock": {"cidr": "10.1.0.0/16", "except": ["10.1.0.4/32"]}},
                    ]
                )
            ]
            ports = rng.choice(
                [None, [{"port": "http"}], [{"port": 50, "endPort": 100}], [{"protocol": "UDP"}]]
            )
            rule: dict[str, Any] = {("from" if j % 2 else "to"): peers, **({"ports": ports} if ports else {})}
            types = ["Ingress"] if j % 2 else ["Egress"]
            docs.append(
                policy(
                    f"{rng.choice('abc')}/p{j}",
                    {"podSelector": sel(), "policyTypes": types, types[0].lower(): [rule]},
                )
            )
        c = cluster(*docs)
        assert not c.errors
        m = build_matrix(c)
        ev = Evaluator(c)
        for i, src in enumerate(m.peers):
            for j, dst in enumerate(m.peers):
                assert m.ports_between(i, j) == ev.allowed_ports(src, dst), (seed, src.id, dst.id)


def test_grouped_counts_equal_visiting_every_pair() -> None:
    """Matrix.counts (per group of identical pods) equals counting every pair and probe one by one."""
    from pathlib import Path

    from stockade.netpol.load import load_cluster

    c = load_cluster([str(Path(__file__).parent / "testdata" / "shop.yaml")])
    for ports in (None, [(5432, "TCP"), (53, "UDP"), (9000, "TCP")]):
        m = build_matrix(c, ports=ports)
        conns = list(m.connections(with_policies=False))
        pairs = {(x.src.id, x.dst.id) for x in conns}
        allowed_pairs = {(x.src.id, x.dst.id) for x in conns if x.allowed}
        assert m.counts() == {
            "pairs": len(pairs),
            "allowed_pairs": len(allowed_pairs),
            "probes": len(conns),
            "allowed_probes": sum(x.allowed for x in conns),
        }
