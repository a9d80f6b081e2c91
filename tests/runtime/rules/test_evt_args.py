"""``evt.args`` is the text of the arguments (``name=value …``) in conditions and outputs, as in Falco,
although events keep the arguments as a mapping under that very key (it used to render as a Python
dict and be compared as one)."""

from __future__ import annotations

import textwrap

from stockade.runtime.rules.engine import Engine
from stockade.runtime.rules.ruleset import load_ruleset

RULES = """
- rule: Packet socket
  desc: t
  condition: evt.type = socket and evt.args contains "domain=AF_PACKET"
  output: socket_info=%evt.args
  priority: NOTICE
"""


def test_evt_args_is_text_in_conditions_and_outputs() -> None:
    rs = load_ruleset(texts=[(textwrap.dedent(RULES), "args.yaml")])
    assert rs.errors == [], rs.errors
    engine = Engine(rs)
    ev = {"evt.type": "socket", "evt.args": {"res": 3, "domain": "AF_PACKET", "type": 2, "proto": 0}}
    (alert,) = engine.alerts(dict(ev))
    assert alert.output.endswith("socket_info=res=3 domain=AF_PACKET type=2 proto=0"), alert.output
    assert engine.alerts({"evt.type": "socket", "evt.args": {"res": 3, "domain": "AF_INET"}}) == []
