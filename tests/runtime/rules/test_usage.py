"""Which fields a rule's condition reads (macros and lists expanded), and which rules a source that
cannot fill some fields leaves blind."""

from __future__ import annotations

from stockade.runtime.rules.ruleset import Ruleset, load_ruleset
from stockade.runtime.rules.usage import blind_rules, condition_fields

RULES = """
- macro: spawned
  condition: evt.type = execve and evt.dir = <
- list: shells
  items: [bash, sh]
- rule: Shell with a terminal
  desc: d
  condition: spawned and proc.name in (shells) and proc.tty != 0 and container.id != host
  output: "%proc.name"
  priority: NOTICE
- rule: Outbound UDP
  desc: d
  condition: evt.type = connect and fd.l4proto = udp and not fd.sip.name exists
  output: "%fd.name"
  priority: NOTICE
"""


def _rules(text: str) -> Ruleset:
    rs = load_ruleset(texts=[(text, "test.yaml")])
    assert not rs.errors, rs.diagnostics
    return rs


def test_condition_fields_expand_macros() -> None:
    by_name = {r.name: r for r in _rules(RULES).rules}
    # evt.type is folded into the per-type index; what is left is what the rule reads from an event
    assert {"proc.name", "proc.tty", "container.id"} <= condition_fields(by_name["Shell with a terminal"])
    assert {"fd.l4proto", "fd.sip.name"} <= condition_fields(by_name["Outbound UDP"])
    assert "fd.l4proto" not in condition_fields(by_name["Shell with a terminal"])


def test_blind_rules() -> None:
    rs = _rules(RULES)
    assert blind_rules(rs, {"fd.l4proto": "not traced"}) == {"Outbound UDP": ["fd.l4proto"]}
    assert blind_rules(rs, {"k8s.ns.name": "no Kubernetes"}) == {}


def test_upstream_rules_that_read_the_socket_protocol(stable_rules: Ruleset) -> None:
    blind = blind_rules(stable_rules, {"fd.l4proto": "the eBPF source does not read it"})
    assert blind and all(fields == ["fd.l4proto"] for fields in blind.values())
