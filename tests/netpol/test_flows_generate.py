"""Observed flows: parsing (both shapes), classification, and least-privilege generation that is exact."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stockade.netpol.flows import check_flows, parse_flows, resolve_flows
from stockade.netpol.generate import apply, generate, verify
from stockade.netpol.load import load_cluster
from stockade.netpol.semantics.evaluate import Evaluator

DATA = Path(__file__).parent / "testdata"


@pytest.fixture(scope="module")
def shop():  # type: ignore[no-untyped-def]
    c = load_cluster([str(DATA / "shop.yaml")])
    assert not c.errors
    return c


def _flows():  # type: ignore[no-untyped-def]
    with open(DATA / "flows.jsonl", encoding="utf-8") as fh:
        return parse_flows(fh, "flows.jsonl")


def test_parse_both_shapes() -> None:
    load = _flows()
    assert not load.errors
    assert load.skipped == 1  # the openat event
    assert [(f.src.text(), f.dst.text(), f.port, f.protocol) for f in load.flows] == [
        ("shop/frontend-7d9f8b6c4-x2x9k", "shop/api", 9000, "TCP"),
        ("shop/api-5c6d7e8f9-abcde", "data/db", 5432, "TCP"),
        ("shop/api-5c6d7e8f9-abcde", "10.96.0.10", 53, "UDP"),
        ("shop/report-28912345-q7w8e", "10.96.20.5", 5432, "TCP"),
        ("shop/api-5c6d7e8f9-abcde", "93.184.215.14", 443, "TCP"),
    ]


@pytest.mark.parametrize(
    "line,words",
    [
        ("{not json", "not JSON"),
        ('{"src": "a/b", "dst": "c/d", "port": 0}', "port: expected a number between 1 and 65535"),
        ('{"src": "a/b", "dst": 7, "port": 80}', "dst: expected"),
        (
            '{"src": "a/b", "dst": "c/d", "port": 80, "protocol": "ICMP"}',
            "protocol: expected TCP, UDP or SCTP",
        ),
        ('{"evt.type": "connect", "fd.sport": 80, "k8s.ns.name": "a", "k8s.pod.name": "b"}', "fd.sip"),
        ("[1, 2]", "expected a JSON object"),
    ],
)
def test_bad_lines_name_their_line(line: str, words: str) -> None:
    load = parse_flows(['{"src": "a/b", "dst": "c/d", "port": 80}', line], "f.jsonl")
    assert len(load.flows) == 1
    assert len(load.errors) == 1 and load.errors[0].startswith("f.jsonl:2: ") and words in load.errors[0]


def test_classification(shop) -> None:  # type: ignore[no-untyped-def]
    rep = check_flows(shop, _flows())
    allowed = {(v.to_dict()["src"], v.to_dict()["dst"], v.to_dict()["port"]) for v in rep.allowed}
    blocked = {(v.to_dict()["src"], v.to_dict()["dst"], v.to_dict()["port"]) for v in rep.blocked}
    assert allowed == {
        ("shop/frontend", "shop/api", 9000),
        ("shop/api", "data/db", 5432),
        ("shop/api", "kube-system/coredns", 53),  # via the kube-dns Service address
    }
    assert blocked == {("shop/report", "data/db", 5432), ("shop/api", "93.184.215.14", 443)}
    unseen = {(s.id, d.id, p, proto) for s, d, p, proto in rep.unseen}
    assert ("shop/api", "kube-system/coredns", 53, "TCP") in unseen
    assert ("shop/frontend", "shop/api", 9000, "TCP") not in unseen
    assert not rep.unresolved


def test_generated_policies_allow_exactly_the_flows(shop) -> None:  # type: ignore[no-untyped-def]
    res = resolve_flows(shop, _flows().flows)
    gen = generate(shop, res.flows)
    v = verify(shop, gen, res.flows)
    assert v.allowed_flows == len(res.flows) == 5
    assert v.blocked_flows == []
    assert v.extra == []
    assert v.probes > 100
    # and the proof can fail: without the api -> db flow that connection must be denied
    fewer = [f for f in res.flows if not (f.port == 5432 and getattr(f.src, "name", "") == "api")]
    applied = apply(shop, generate(shop, fewer))
    api, db = shop.peer("shop/api"), shop.peer("data/db")
    assert not Evaluator(applied).decide(api, db, 5432, "TCP").allowed
    assert verify(shop, generate(shop, fewer), res.flows).blocked_flows == ["shop/api -> data/db 5432/TCP"]


def test_generated_yaml_round_trips_and_uses_and_peers(shop) -> None:  # type: ignore[no-untyped-def]
    res = resolve_flows(shop, _flows().flows)
    gen = generate(shop, res.flows)
    names = [(p["metadata"]["namespace"], p["metadata"]["name"]) for p in gen.policies]
    assert ("shop", "default-deny") in names and ("data", "allow-db-ingress") in names
    db_ingress = next(p for p in gen.policies if p["metadata"]["name"] == "allow-db-ingress")
    peers = [r["from"] for r in db_ingress["spec"]["ingress"]]
    # a cross-namespace source is one peer with namespaceSelector AND podSelector, never two peers
    assert all(len(p) == 1 and "namespaceSelector" in p[0] and "podSelector" in p[0] for p in peers)
    assert apply(shop, gen).errors == []


def test_dns_to_unmodelled_address(shop) -> None:  # type: ignore[no-untyped-def]
    """DNS to an address the model lacks goes to the model's kube-dns pods; --dns-tcp adds TCP."""
    load = parse_flows(
        [json.dumps({"src": "shop/api", "dst": "10.0.0.53", "port": 53, "protocol": "UDP"})], "f"
    )
    res = resolve_flows(shop, load.flows)
    for dns_tcp, protos in ((False, ["UDP"]), (True, ["TCP", "UDP"])):
        gen = generate(shop, res.flows, dns_tcp=dns_tcp)
        egress = next(p for p in gen.policies if p["metadata"]["name"] == "allow-api-egress")
        rule = egress["spec"]["egress"][0]
        assert rule["to"][0]["podSelector"] == {"matchLabels": {"k8s-app": "kube-dns"}}
        assert rule["to"][0]["namespaceSelector"] == {
            "matchLabels": {"kubernetes.io/metadata.name": "kube-system"}
        }
        assert [p["protocol"] for p in rule["ports"]] == protos
        assert any(p["metadata"]["name"] == "allow-coredns-ingress" for p in gen.policies)
        v = verify(shop, gen, res.flows, dns_tcp=dns_tcp)
        assert v.exact, (v.blocked_flows, v.extra)


def test_dns_without_kube_dns_in_the_model() -> None:
    from stockade.netpol.load import load_text

    c = load_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: x, namespace: a, labels: {app: x}}\n"
        "spec: {containers: [{name: c, image: busybox}]}\n"
    )
    load = parse_flows([json.dumps({"src": "a/x", "dst": "10.96.0.10", "port": 53, "protocol": "UDP"})], "f")
    res = resolve_flows(c, load.flows)
    gen = generate(c, res.flows)
    egress = next(p for p in gen.policies if p["metadata"]["name"] == "allow-x-egress")
    assert egress["spec"]["egress"][0]["to"][0]["podSelector"] == {"matchLabels": {"k8s-app": "kube-dns"}}
    assert verify(c, gen, res.flows).exact
