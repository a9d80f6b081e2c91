"""Domain names for addresses, as Falco's DNS cache gives them: the names the rules compare ``fd.*.name``
with are resolved ahead of time; an event's address carries a name when that name resolved to it."""

from __future__ import annotations

import textwrap
from pathlib import Path

from stockade.runtime.rules.engine import Engine
from stockade.runtime.rules.names import domain_names
from stockade.runtime.rules.ruleset import load_ruleset
from stockade.runtime.source.bpfprog import SYSCALLS
from stockade.runtime.source.names import NameCache, resolve
from stockade.runtime.source.records import Decoder

STABLE = Path(__file__).resolve().parents[3].parent / "shared" / "rules" / "falco" / "falco_rules.yaml"
SEP = "\x1f"
RULES = """
- list: db_hosts
  items: [db.internal, cache.internal]
- rule: To localhost by name
  desc: d
  condition: evt.type = connect and fd.sip.name = localhost
  output: "%fd.sip.name"
  priority: NOTICE
- rule: To the databases
  desc: d
  condition: evt.type = connect and fd.rip.name in (db_hosts)
  output: o
  priority: NOTICE
"""


def test_the_names_of_the_rules() -> None:
    rs = load_ruleset(texts=[(textwrap.dedent(RULES), "r.yaml")])
    assert domain_names(Engine(rs, hostname="h")) == {"localhost", "db.internal", "cache.internal"}
    if STABLE.exists():
        stable = Engine(load_ruleset([STABLE]), hostname="h")
        assert domain_names(stable) == {"kubernetes.default.svc.cluster.local"}


def test_the_cache_resolves_and_refreshes() -> None:
    assert "127.0.0.1" in resolve("localhost")  # /etc/hosts
    assert resolve("stk-no-such-name.invalid") == []
    answers = {"a.example": ["10.0.0.1"], "b.example": ["10.0.0.1", "10.0.0.2"]}
    cache = NameCache(["b.example", "a.example"], resolver=lambda n: answers.get(n, []), refresh_s=0.01)
    cache.start()
    assert cache.wait_resolved(5)
    assert cache.lookup("10.0.0.1") == "a.example"  # a shared address: the first name in order
    assert cache.lookup("10.0.0.2") == "b.example" and cache.lookup("10.0.0.3") is None
    answers["a.example"] = ["10.0.0.3"]  # the next round sees a change
    import time

    deadline = time.monotonic() + 5
    while cache.lookup("10.0.0.3") is None and time.monotonic() < deadline:
        time.sleep(0.02)
    cache.stop()
    assert cache.lookup("10.0.0.3") == "a.example" and cache.lookup("10.0.0.1") == "b.example"


def test_connects_carry_the_name_and_rules_match_it() -> None:
    rs = load_ruleset(texts=[(textwrap.dedent(RULES), "r.yaml")])
    engine = Engine(rs, rule_matching="all", hostname="h")
    cache = NameCache(domain_names(engine))
    cache.refresh()
    dec = Decoder()
    dec.names = cache
    nr = SYSCALLS["connect"][0]
    head = ["1000", "4242", "4242", "0", "0", "1", "curl", "-1"]
    (ev,) = dec.feed(SEP.join(["N", str(nr), *head, "0", "3", "2", "8080", "127.0.0.1", "6"]))
    assert ev["fd.sip.name"] == "localhost" and ev["fd.rip.name"] == "localhost"
    assert [r.name for r in engine.match(ev)] == ["To localhost by name"]
    (other,) = dec.feed(SEP.join(["N", str(nr), *head, "0", "4", "2", "8080", "10.9.9.9", "6"]))
    assert "fd.sip.name" not in other and engine.match(other) == []
