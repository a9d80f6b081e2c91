"""Custom rules from YAML: loaded and applied; a malformed file names every problem with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from stockade.secrets.custom import RulesFileError, load_rules
from stockade.secrets.engine import Ruleset
from stockade.secrets.rules import BUILTIN

GOOD = """\
version: 1
rules:
  - id: STK-ACME-0001
    name: acme-api-key
    title: ACME API key
    regex: '\\b(acme_[a-z0-9]{32})\\b'
    keywords: [acme_]
    entropy: 3.0
    allow: ['^acme_0{32}$']
    severity: critical
allow: ['acme_test']
"""


def test_custom_rule_applies(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(GOOD)
    rules = load_rules(str(path))
    assert [(r.id, r.name, r.severity.value) for r in rules] == [
        ("STK-ACME-0001", "acme-api-key", "critical")
    ]
    ruleset = Ruleset([*BUILTIN, *rules])
    text = "k1 = acme_9f8e7d6c5b4a39281706f5e4d3c2b1a0\nk2 = acme_" + "0" * 32 + "\n"
    assert [(h.rule.id, h.line) for h in ruleset.scan(text)] == [("STK-ACME-0001", 1)]


BAD = """\
version: 1
rules:
  - id: acme
    regex: 'acme_([a-z'
    severity: urgent
  - id: STK-SEC-0001
    regex: 'x(y)'
    secret_group: 3
    entropy: 12
    keywordz: [x]
  - id: STK-ACME-0002
    regex: 'ok'
    severity: low
  - id: STK-ACME-0002
    regex: 'ok'
    severity: low
"""


def test_malformed_file_lists_every_problem_with_lines(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(BAD)
    with pytest.raises(RulesFileError) as info:
        load_rules(str(path))
    got = [(line, msg.split(":")[0]) for line, msg in info.value.problems]
    assert got == [
        (3, "rules[0].id"),
        (4, "rules[0].regex"),
        (5, "rules[0].severity"),
        (6, "rules[1].id"),
        (6, "rules[1]"),
        (8, "rules[1].secret_group"),
        (9, "rules[1].entropy"),
        (10, "rules[1].keywordz"),
        (14, "rules[3].id"),
    ]
    assert "invalid regular expression at position 6" in str(info.value)
    assert f"{path}:4" in str(info.value)


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("version: 1\nrules:\n  - id: [\n")
    with pytest.raises(RulesFileError) as info:
        load_rules(str(path))
    assert info.value.problems[0][0] >= 3
