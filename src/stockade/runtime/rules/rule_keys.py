"""The ``rule`` item: definition, legacy ``append: true``, ``override:`` and the ``exceptions`` block.

See :mod:`stockade.runtime.rules.loader` for the documents followed.  Exceptions
(https://falco.org/docs/concepts/rules/exceptions/): ``fields`` is a list of field names (or one name, the
short form, whose ``values`` are then plain values compared with ``comps``, default ``in``); ``comps``
defaults to ``=`` for each field; ``values`` are tuples, one item per field.  Appending to a rule with an
exception of the same name adds that exception's values; a new name adds a new exception.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stockade.runtime.rules.grammar.ast import Loc
from stockade.runtime.rules.items import PRIORITIES, Condition, ExceptionDef, RuleDef
from stockade.runtime.rules.yamlsrc import Node

if TYPE_CHECKING:
    from stockade.runtime.rules.loader import RuleLoader

_KNOWN = {
    "rule", "condition", "desc", "output", "priority", "tags", "enabled", "source", "exceptions",
    "warn_evttypes", "skip-if-unknown-filter", "append", "override", "capture", "capture_duration",
}  # fmt: skip


def apply_rule(ld: RuleLoader, node: Node, name: str) -> None:
    item = f"rule '{name}'"
    mode, modes = ld._mode(node, "rule", item)
    for key in node.mapping or {}:
        if key not in _KNOWN:
            ld.diag.warning("unknown-key", f"unknown key '{key}', ignored", node.key_loc(key), item)
    if mode == "invalid":
        return
    prev = ld.rules.get(name)
    keys = set(node.mapping or {}) - {"rule", "append", "override"}
    if mode == "define" and keys == {"enabled"}:  # legacy: enable/disable an existing rule
        enabled = ld._bool(node, "enabled", item)
        if prev is None:
            ld.diag.error(
                "no-such-item", f"'enabled' given alone but no rule '{name}' is defined", node.loc, item
            )
        elif enabled is not None:
            prev.enabled = enabled
        return
    if mode == "define":
        _define(ld, node, name, item)
        return
    if prev is None:
        ld.diag.error("no-such-item", f"'append'/'override' but no rule '{name}' is defined", node.loc, item)
        return
    if mode == "append":
        if node.get("condition") is None and node.get("exceptions") is None:
            ld.diag.error("schema", "an appended rule needs 'condition' or 'exceptions'", node.loc, item)
        for key in keys - {"condition", "exceptions"}:
            ld.diag.warning("schema", f"key '{key}' is ignored with 'append: true'", node.key_loc(key), item)
        modes = {k: "append" for k in ("condition", "exceptions") if node.get(k) is not None}
    for key, how in modes.items():
        _override(ld, node, prev, key, how, item)


def _priority(ld: RuleLoader, node: Node, item: str) -> str | None:
    raw = ld._str(node, "priority", item)
    if raw is None:
        return None
    p = PRIORITIES.get(raw.strip().lower())
    if p is None:
        choices = ", ".join(sorted(set(PRIORITIES.values())))
        where = node.get("priority")
        ld.diag.error(
            "schema", f"invalid priority '{raw}' (one of {choices})", where.loc if where else node.loc, item
        )
    return p


def _define(ld: RuleLoader, node: Node, name: str, item: str) -> None:
    ok = True
    frag = ld._condition(node, "condition", item)
    if frag is None:
        ok = False
        if node.get("condition") is None:
            ld.diag.error("schema", "missing required key 'condition'", node.loc, item)
    output = ld._str(node, "output", item)
    desc = ld._str(node, "desc", item)
    priority = _priority(ld, node, item)
    if output is None or desc is None or priority is None:
        ok = False
    tags = ld._str_list(node, "tags", item) or []
    enabled = ld._bool(node, "enabled", item)
    source = ld._str(node, "source", item, required=False) or "syscall"
    warn = ld._bool(node, "warn_evttypes", item)
    skip = ld._bool(node, "skip-if-unknown-filter", item)
    capture = ld._bool(node, "capture", item)
    exceptions = _exceptions(ld, node, item, new=True)
    if not ok or frag is None or output is None or desc is None or priority is None:
        return
    out_node = node.get("output")
    rule = RuleDef(
        name=name,
        loc=node.loc,
        condition=Condition([frag]),
        output=output.strip(),
        output_loc=out_node.loc if out_node else node.loc,
        desc=desc,
        priority=priority,
        tags=tags,
        enabled=True if enabled is None else enabled,
        source=source,
        exceptions=exceptions,
        warn_evttypes=True if warn is None else warn,
        skip_if_unknown_filter=bool(skip),
        capture=bool(capture),
    )
    ld.rules[name] = rule  # a redefinition replaces the rule in place, keeping its order


def _override(ld: RuleLoader, node: Node, rule: RuleDef, key: str, how: str, item: str) -> None:
    if key == "condition":
        frag = ld._condition(node, "condition", item)
        if frag is not None:
            if how == "append":
                rule.condition.fragments.append(frag)
            else:
                rule.condition = Condition([frag])
    elif key in ("output", "desc"):
        text = ld._str(node, key, item)
        if text is not None:
            if key == "output":
                rule.output = f"{rule.output} {text.strip()}" if how == "append" else text.strip()
            else:
                rule.desc = f"{rule.desc} {text}" if how == "append" else text
    elif key == "tags":
        tags = ld._str_list(node, "tags", item)
        if tags is not None:
            rule.tags = [*rule.tags, *[t for t in tags if t not in rule.tags]] if how == "append" else tags
    elif key == "priority":
        p = _priority(ld, node, item)
        if p is not None:
            rule.priority = p
    elif key in ("enabled", "warn_evttypes", "skip-if-unknown-filter", "capture"):
        b = ld._bool(node, key, item)
        if b is not None:
            attr = {"skip-if-unknown-filter": "skip_if_unknown_filter", "warn_evttypes": "warn_evttypes"}
            setattr(rule, attr.get(key, key), b)
    elif key == "capture_duration":
        v = node.get(key)
        if v is not None and isinstance(v.data, int) and not isinstance(v.data, bool):
            rule.capture_duration = v.data
    elif key == "exceptions":
        new = _exceptions(ld, node, item, new=how == "replace")
        if how == "replace":
            rule.exceptions = new
        else:
            _merge_exceptions(ld, rule, new, item)


def _merge_exceptions(ld: RuleLoader, rule: RuleDef, new: list[ExceptionDef], item: str) -> None:
    by_name = {e.name: e for e in rule.exceptions}
    for e in new:
        old = by_name.get(e.name)
        if old is None:
            if not e.fields:
                ld.diag.error("schema", f"exception '{e.name}' is new here and needs 'fields'", e.loc, item)
                continue
            rule.exceptions.append(e)
            by_name[e.name] = e
        else:
            old.values.extend(e.values)
            old.value_locs.extend(e.value_locs)


def _exceptions(ld: RuleLoader, node: Node, item: str, *, new: bool) -> list[ExceptionDef]:
    v = node.get("exceptions")
    if v is None:
        return []
    if v.items is None:
        ld.diag.error("schema", "'exceptions' must be a list", v.loc, item)
        return []
    out: list[ExceptionDef] = []
    for e in v.items:
        if e.mapping is None:
            ld.diag.error("schema", "each exception must be a mapping with 'name'", e.loc, item)
            continue
        name_node = e.get("name")
        if name_node is None or not isinstance(name_node.data, str):
            ld.diag.error("schema", "exception without a 'name'", e.loc, item)
            continue
        fields_node, comps_node, values_node = e.get("fields"), e.get("comps"), e.get("values")
        fields: str | list[str] = []
        field_locs: list[Loc] = []
        if fields_node is not None:
            if isinstance(fields_node.data, str):
                fields, field_locs = fields_node.data, [fields_node.loc]
            elif fields_node.items is not None and all(isinstance(i.data, str) for i in fields_node.items):
                fields = [str(i.data) for i in fields_node.items]
                field_locs = [i.loc for i in fields_node.items]
            else:
                ld.diag.error(
                    "schema", "exception 'fields' must be a name or a list of names", fields_node.loc, item
                )
                continue
        elif new:
            ld.diag.error("schema", f"exception '{name_node.data}' has no 'fields'", e.loc, item)
            continue
        comps: str | list[str] | None = None
        if comps_node is not None:
            if isinstance(comps_node.data, str):
                comps = comps_node.data
            elif comps_node.items is not None and all(isinstance(i.data, str) for i in comps_node.items):
                comps = [str(i.data) for i in comps_node.items]
            else:
                ld.diag.error(
                    "schema", "exception 'comps' must be an operator or a list", comps_node.loc, item
                )
                continue
            if isinstance(fields, list) and isinstance(comps, list) and len(comps) != len(fields):
                ld.diag.error(
                    "exception",
                    f"exception '{name_node.data}': {len(fields)} fields but {len(comps)} comps",
                    comps_node.loc,
                    item,
                )
                continue
        values: list[object] = []
        value_locs: list[Loc] = []
        if values_node is not None:
            if values_node.items is None:
                ld.diag.error("schema", "exception 'values' must be a list", values_node.loc, item)
                continue
            values = list(values_node.data)
            value_locs = [i.loc for i in values_node.items]
        out.append(ExceptionDef(name_node.data, fields, comps, values, e.loc, field_locs, value_locs))
    return out
