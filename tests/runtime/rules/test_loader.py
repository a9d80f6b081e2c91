from __future__ import annotations

import textwrap

import pytest

from stockade.runtime.rules.extract import extractor
from stockade.runtime.rules.fields import lookup, resolve_name
from stockade.runtime.rules.grammar.ast import fields_of
from stockade.runtime.rules.loader import RuleLoader
from stockade.runtime.rules.output import references
from stockade.runtime.rules.resolve import Resolver
from stockade.runtime.rules.ruleset import Ruleset, load_ruleset

from .conftest import ALL_FILES, STABLE, TESTDATA, need_upstream


def test_stable_file_loads_without_errors(stable_rules: Ruleset) -> None:
    assert [str(d) for d in stable_rules.errors] == []
    assert stable_rules.counts["rules"] == 25
    assert stable_rules.counts["enabled"] == 25
    assert stable_rules.skipped == []


def test_all_three_files_load_without_errors(all_rules: Ruleset) -> None:
    assert [str(d) for d in all_rules.errors] == []
    c = all_rules.counts
    assert c["rules"] == c["enabled"] + c["disabled"]
    assert c["disabled"] == 12  # the sandbox rules upstream ships with enabled: false
    assert all_rules.skipped == []


def test_every_field_of_the_upstream_files_is_implemented() -> None:
    need_upstream()
    loader = RuleLoader()
    for f in ALL_FILES:
        loader.load_file(f)
    resolver = Resolver(loader.lists, loader.macros, loader.diag)
    missing: set[str] = set()
    used: set[str] = set()
    for rule in loader.rules.values():
        expr = resolver.rule(rule)
        assert expr is not None, rule.name
        names = [(f.name, f.arg) for f in fields_of(expr)]
        names += [(r.name, r.arg) for r in references(rule.output)]
        for name, arg in names:
            base, dotted = resolve_name(name)
            used.add(base)
            if lookup(base) is None:
                missing.add(name)
            else:
                extractor(base, dotted if dotted is not None else arg)
    assert sorted(missing) == []
    assert len(used) > 60


def test_every_mistake_is_reported_with_its_position() -> None:
    rs = load_ruleset([TESTDATA / "broken.yaml"])
    got = {(d.code, d.loc.line) for d in rs.errors}
    expected = {
        ("syntax", 7),  # 'and' at the end of the macro's condition
        ("undefined-macro", 11),
        ("unknown-field", 17),
        ("schema", 25),  # priority LOUD
        ("schema", 27),  # no output
        ("no-such-item", 32),
        ("type", 38),  # proc.tty = abc
        ("output", 45),
        ("exception", 57),
    }
    assert expected <= got, sorted(got)
    by_code = {d.code: d for d in rs.errors}
    assert by_code["unknown-field"].loc.column == 36
    assert by_code["syntax"].loc.column == 34
    assert by_code["type"].loc.column == 47
    assert by_code["undefined-macro"].loc.column == 36
    assert "'proc.nme'" in by_code["unknown-field"].message
    assert all(d.loc.file.endswith("broken.yaml") for d in rs.errors)


def _load(text: str, **kw: object) -> Ruleset:
    return load_ruleset(texts=[(textwrap.dedent(text), "t.yaml")], **kw)  # type: ignore[arg-type]


BASE = """
- list: bins
  items: [cat, less]
- macro: is_exec
  condition: evt.type = execve
- rule: Reader
  desc: d
  condition: is_exec and proc.name in (bins)
  output: "%proc.name"
  priority: WARNING
"""


def _match(rs: Ruleset, ev: dict[str, object]) -> list[str]:
    from stockade.runtime.rules.engine import Engine

    return [r.name for r in Engine(rs, rule_matching="all", hostname="h").match(ev)]


EXEC = {"evt.type": "execve"}


@pytest.mark.parametrize(
    ("extra", "name", "fires"),
    [
        ("", "cat", True),
        ("", "vi", False),
        ("- list: bins\n  items: [vi]\n  append: true\n", "vi", True),
        ("- list: bins\n  items: [vi]\n  override:\n    items: append\n", "cat", True),
        ("- list: bins\n  items: [vi]\n  override:\n    items: replace\n", "cat", False),
        ("- list: bins\n  items: [vi]\n", "cat", False),  # redefinition replaces
        ("- macro: is_exec\n  condition: and proc.pid = 1\n  append: true\n", "cat", False),
        ("- rule: Reader\n  condition: and proc.pid = 1\n  append: true\n", "cat", False),
        ("- rule: Reader\n  condition: or proc.name = vi\n  override:\n    condition: append\n", "vi", True),
        ("- rule: Reader\n  enabled: false\n", "cat", False),
        ("- rule: Reader\n  enabled: false\n  override:\n    enabled: replace\n", "cat", False),
    ],
)
def test_append_and_override(extra: str, name: str, fires: bool) -> None:
    rs = _load(BASE + extra)
    assert rs.errors == []
    assert ("Reader" in _match(rs, {**EXEC, "proc.name": name, "proc.pid": 7})) is fires


def test_append_and_override_together_is_an_error() -> None:
    rs = _load(BASE + "- list: bins\n  items: [vi]\n  append: true\n  override:\n    items: append\n")
    assert any("cannot be used together" in d.message for d in rs.errors)


EXC_RULE = """
- rule: Writer
  desc: d
  condition: evt.type = openat and fd.name startswith /etc
  output: "%fd.name"
  priority: ERROR
  exceptions:
    - name: known
      fields: [proc.name, fd.name]
      comps: [=, startswith]
      values:
        - [nginx, /etc/nginx]
    - name: by_proc
      fields: proc.name
      values: [vim]
"""


@pytest.mark.parametrize(
    ("extra", "proc", "path", "fires"),
    [
        ("", "nginx", "/etc/nginx/x.conf", False),
        ("", "nginx", "/etc/passwd", True),
        ("", "vim", "/etc/passwd", False),
        ("", "cat", "/etc/passwd", True),
        (
            "- rule: Writer\n  exceptions:\n    - name: known\n      values:\n        - [cat, /etc/pass]\n"
            "  override:\n    exceptions: append\n",
            "cat",
            "/etc/passwd",
            False,
        ),
        (
            "- rule: Writer\n  exceptions:\n    - name: more\n      fields: [proc.name]\n      values:\n"
            "        - [cat]\n  append: true\n",
            "cat",
            "/etc/passwd",
            False,
        ),
        (
            "- rule: Writer\n  exceptions: []\n  override:\n    exceptions: replace\n",
            "vim",
            "/etc/passwd",
            True,
        ),
    ],
)
def test_exceptions(extra: str, proc: str, path: str, fires: bool) -> None:
    rs = _load(EXC_RULE + extra)
    assert [str(d) for d in rs.errors] == []
    ev = {"evt.type": "openat", "proc.name": proc, "fd.name": path}
    assert ("Writer" in _match(rs, ev)) is fires


def test_other_sources_and_plugin_fields_are_skipped_and_reported() -> None:
    rs = _load(
        """
        - rule: Audit
          desc: d
          condition: ka.verb = create
          output: "%ka.user.name"
          priority: WARNING
          source: k8s_audit
        - rule: Uses plugin field
          desc: d
          condition: evt.type = execve and ka.verb = create
          output: x
          priority: WARNING
        - rule: Future field
          desc: d
          condition: evt.type = execve and proc.future_thing = 1
          output: x
          priority: WARNING
          skip-if-unknown-filter: true
        """
    )
    assert rs.errors == []
    assert {s.rule for s in rs.skipped} == {"Audit", "Uses plugin field", "Future field"}
    codes = {d.code for d in rs.warnings}
    assert {"unsupported-source", "unsupported-field", "skip-unknown-filter"} <= codes


def test_engine_version_too_new_is_an_error() -> None:
    rs = _load("- required_engine_version: 99.0.0\n")
    assert [d.code for d in rs.errors] == ["engine-version"]


def test_rule_without_evttype_warns_and_runs_on_every_event() -> None:
    rs = _load("- rule: Any\n  desc: d\n  condition: proc.name = x\n  output: o\n  priority: INFO\n")
    assert any(d.code == "evttypes" for d in rs.warnings)
    assert _match(rs, {"evt.type": "read", "proc.name": "x"}) == ["Any"]
    rule = "- rule: Any\n  desc: d\n  condition: proc.name = x\n  output: o\n  priority: INFO\n"
    rs = _load(rule + "  warn_evttypes: false\n")
    assert not any(d.code == "evttypes" for d in rs.warnings)


def test_min_priority_leaves_out_less_severe_rules() -> None:
    rs = _load(BASE, min_priority="error")
    assert rs.rules == [] and rs.counts["below_priority"] == 1


def test_unused_items_are_warned_about() -> None:
    rs = _load(BASE + "- macro: spare\n  condition: proc.pid = 1\n")
    assert any(d.code == "unused-macro" and "spare" in d.message for d in rs.warnings)


def test_yaml_syntax_error_has_a_position(tmp_path: object) -> None:
    rs = _load("- rule: x\n  desc: [unclosed\n")
    assert rs.errors and rs.errors[0].code == "yaml" and rs.errors[0].loc.line >= 2


def test_missing_file_is_an_error(tmp_path: object) -> None:
    rs = load_ruleset([STABLE.parent / "no-such-file.yaml"])
    assert [d.code for d in rs.errors] == ["io"]
