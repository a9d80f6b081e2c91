"""Reading Falco rules files: ``list``, ``macro``, ``rule``, versions, ``append`` and ``override``.

Semantics follow Falco's documentation — https://falco.org/docs/concepts/rules/overriding/ (files load in
order; a later definition of the same name replaces the earlier one in place; ``append: true`` extends a
list's items, a macro's condition or a rule's condition/exceptions; ``override: {key: append|replace}``
does the same per key, and the two cannot be mixed), https://falco.org/docs/reference/rules/rule-fields
(required keys, ``enabled``, ``warn_evttypes``, ``skip-if-unknown-filter``, ``source``) and
https://falco.org/docs/concepts/rules/exceptions/ (``exceptions`` with ``name/fields/comps/values``;
appending to an exception of the same name adds values).  Keys an override may touch are those of Falco's
``rule_loader_reader.cpp``.  A rule with only ``rule`` and ``enabled`` enables or disables an existing rule,
as Falco still accepts.  Every problem becomes a diagnostic with file, line and column; loading goes on.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from stockade.runtime.rules.diagnostics import Diagnostics
from stockade.runtime.rules.grammar.ast import Loc
from stockade.runtime.rules.items import (
    Condition,
    Fragment,
    ListDef,
    MacroDef,
    RuleDef,
)
from stockade.runtime.rules.rule_keys import apply_rule
from stockade.runtime.rules.yamlsrc import Node, load

#: the Falco engine version whose rules-file features this loader implements
ENGINE_VERSION = (0, 57, 0)
#: plugins whose fields stockade provides itself (Falco ≥ 0.41 moved ``container.*`` into a plugin)
BUILTIN_PLUGINS = {"container": (0, 4, 0)}
SUPPORTED_SOURCES = ("syscall",)
MAX_FILE_SIZE = 16 * 1024 * 1024

RULE_KEYS = {
    "rule", "condition", "desc", "output", "priority", "tags", "enabled", "source", "exceptions",
    "warn_evttypes", "skip-if-unknown-filter", "append", "override", "capture", "capture_duration",
}  # fmt: skip
OVERRIDE_APPEND = {
    "list": {"items"},
    "macro": {"condition"},
    "rule": {"condition", "output", "desc", "tags", "exceptions"},
}
OVERRIDE_REPLACE = {
    "list": {"items"},
    "macro": {"condition"},
    "rule": {
        "condition", "output", "desc", "priority", "tags", "exceptions", "enabled", "warn_evttypes",
        "skip-if-unknown-filter", "capture", "capture_duration",
    },
}  # fmt: skip


def parse_version(v: object) -> tuple[int, ...] | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int):  # the pre-semver form: an integer N means 0.N.0
        return (0, v, 0)
    if isinstance(v, str):
        try:
            parts = tuple(int(p) for p in v.strip().split("."))
        except ValueError:
            return None
        return (*parts, 0, 0, 0)[:3] if parts else None
    return None


def _shifted(loc: Loc) -> Callable[[int], Loc]:
    def locate(i: int) -> Loc:
        return Loc(loc.file, loc.line, loc.column + i)

    return locate


def unquote_item(s: str) -> str:
    """List items written ``'"(systemd)"'`` are quoted for the condition lexer; take the quotes off."""
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "\"'":
        from stockade.runtime.rules.grammar.lexer import EscapeError, unescape

        try:
            return unescape(s)
        except EscapeError:
            return s[1:-1]
    return s


class RuleLoader:
    """Accumulates files in order; ``lists``/``macros``/``rules`` are the merged result."""

    def __init__(self) -> None:
        self.diag = Diagnostics()
        self.lists: dict[str, ListDef] = {}
        self.macros: dict[str, MacroDef] = {}
        self.rules: dict[str, RuleDef] = {}
        self.required_engine_version: tuple[int, ...] | None = None
        self.required_plugins: dict[str, tuple[int, ...]] = {}
        self.files: list[str] = []

    # -- entry points ----------------------------------------------------------------------------------
    def load_file(self, path: str | Path) -> None:
        name = str(path)
        try:
            p = Path(path)
            if p.stat().st_size > MAX_FILE_SIZE:
                self.diag.error("io", f"file is larger than {MAX_FILE_SIZE // (1024 * 1024)} MiB", Loc(name))
                return
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self.diag.error("io", f"cannot read rules file: {reason}", Loc(name))
            return
        self.load_text(text, name)

    def load_text(self, text: str, path: str = "<rules>") -> None:
        self.files.append(path)
        docs, errors = load(text, path)
        for err in errors:
            self.diag.error("yaml", err.message, err.loc)
        for doc in docs:
            if doc.data is None:
                continue
            if doc.items is None:
                self.diag.error("schema", "a rules file must be a YAML sequence of items", doc.loc)
                continue
            for item in doc.items:
                self._item(item)

    # -- dispatch --------------------------------------------------------------------------------------
    def _item(self, node: Node) -> None:
        if node.mapping is None:
            self.diag.error("schema", "each item must be a mapping (rule, macro, list, ...)", node.loc)
            return
        keys = node.mapping
        if "required_engine_version" in keys:
            self._engine_version(node)
        elif "required_plugin_versions" in keys:
            self._plugin_versions(node)
        elif "list" in keys:
            self._list(node)
        elif "macro" in keys:
            self._macro(node)
        elif "rule" in keys:
            self._rule(node)
        else:
            first = next(iter(keys), "")
            self.diag.warning("unknown-item", f"unknown top level item '{first}', ignored", node.loc)

    def _str(self, node: Node, key: str, item: str, *, required: bool = True) -> str | None:
        v = node.get(key)
        if v is None:
            if required:
                self.diag.error("schema", f"missing required key '{key}'", node.loc, item)
            return None
        if isinstance(v.data, bool) or not isinstance(v.data, (str, int, float)):
            self.diag.error("schema", f"'{key}' must be a string", v.loc, item)
            return None
        return str(v.data)

    def _bool(self, node: Node, key: str, item: str) -> bool | None:
        v = node.get(key)
        if v is None:
            return None
        if not isinstance(v.data, bool):
            self.diag.error("schema", f"'{key}' must be true or false", v.loc, item)
            return None
        return v.data

    def _str_list(self, node: Node, key: str, item: str) -> list[str] | None:
        v = node.get(key)
        if v is None:
            return None
        if v.items is None:
            self.diag.error("schema", f"'{key}' must be a list", v.loc, item)
            return None
        out: list[str] = []
        for i in v.items:
            if isinstance(i.data, (dict, list)) or i.data is None:
                self.diag.error("schema", f"'{key}' items must be strings", i.loc, item)
                continue
            out.append(str(i.data).lower() if isinstance(i.data, bool) else str(i.data))
        return out

    def _condition(self, node: Node, key: str, item: str) -> Fragment | None:
        v = node.get(key)
        if v is None:
            return None
        if v.scalar is None:
            if isinstance(v.data, (int, float)) and not isinstance(v.data, bool):
                return Fragment(str(v.data), _shifted(v.loc))
            self.diag.error("schema", f"'{key}' must be a string", v.loc, item)
            return None
        return Fragment(v.scalar.value, v.scalar.locator())

    def _mode(self, node: Node, kind: str, item: str) -> tuple[str, dict[str, str]]:
        """``("define"|"append"|"override", {key: "append"|"replace"})`` for this item."""
        append = self._bool(node, "append", item)
        ov = node.get("override")
        if ov is not None and append:
            self.diag.error("schema", "'append' and 'override' cannot be used together", ov.loc, item)
            return "invalid", {}
        if ov is None:
            return ("append" if append else "define"), {}
        if ov.mapping is None:
            self.diag.error("schema", "'override' must map keys to 'append' or 'replace'", ov.loc, item)
            return "invalid", {}
        modes: dict[str, str] = {}
        ok = True
        for key, (kloc, vnode) in ov.mapping.items():
            how = vnode.data
            allowed = OVERRIDE_APPEND[kind] if how == "append" else OVERRIDE_REPLACE[kind]
            if how not in ("append", "replace"):
                self.diag.error(
                    "schema", f"override of '{key}' must be 'append' or 'replace'", vnode.loc, item
                )
                ok = False
            elif key not in allowed:
                self.diag.error("schema", f"key '{key}' cannot be overridden with '{how}'", kloc, item)
                ok = False
            elif node.get(key) is None:
                self.diag.error("schema", f"override of '{key}' but the item has no '{key}'", kloc, item)
                ok = False
            else:
                modes[key] = str(how)
        name_key = {"list": "list", "macro": "macro", "rule": "rule"}[kind]
        for key in node.mapping or {}:
            if key not in modes and key not in (name_key, "override"):
                self.diag.error("schema", f"key '{key}' is not named in 'override'", node.key_loc(key), item)
                ok = False
        return ("override" if ok else "invalid"), modes

    # -- versions --------------------------------------------------------------------------------------
    def _engine_version(self, node: Node) -> None:
        v = node.get("required_engine_version")
        assert v is not None
        want = parse_version(v.data)
        if want is None:
            self.diag.error("schema", f"invalid required_engine_version {v.data!r}", v.loc)
            return
        have = ".".join(map(str, ENGINE_VERSION))
        if want > ENGINE_VERSION:
            self.diag.error(
                "engine-version",
                f"rules require engine version {'.'.join(map(str, want))}, but engine version is {have}",
                v.loc,
            )
        if self.required_engine_version is None or want > self.required_engine_version:
            self.required_engine_version = want

    def _plugin_versions(self, node: Node) -> None:
        v = node.get("required_plugin_versions")
        assert v is not None
        for p in v.items or []:
            name = p.get("name")
            version = p.get("version")
            if name is None or version is None or not isinstance(name.data, str):
                self.diag.error("schema", "each required plugin needs 'name' and 'version'", p.loc)
                continue
            want = parse_version(version.data)
            if want is None:
                self.diag.error("schema", f"invalid plugin version {version.data!r}", version.loc)
                continue
            self.required_plugins[name.data] = want
            builtin = BUILTIN_PLUGINS.get(name.data)
            if builtin is None:
                self.diag.warning(
                    "plugin-unavailable",
                    f"plugin '{name.data}' is not available in stockade; rules that need its event source "
                    "or fields are skipped and reported",
                    name.loc,
                )
            elif want[0] != builtin[0] or want > builtin:
                self.diag.warning(
                    "plugin-version",
                    f"plugin '{name.data}' {'.'.join(map(str, want))} requested; stockade provides its "
                    "fields "
                    f"as of {'.'.join(map(str, builtin))}",
                    version.loc,
                )

    # -- lists -----------------------------------------------------------------------------------------
    def _list(self, node: Node) -> None:
        name = self._str(node, "list", "list")
        if name is None:
            return
        item = f"list '{name}'"
        mode, modes = self._mode(node, "list", item)
        items = self._str_list(node, "items", item)
        if mode == "invalid":
            return
        if items is None:
            if mode == "define" or node.get("items") is None:
                self.diag.error("schema", "missing required key 'items'", node.loc, item)
            return
        prev = self.lists.get(name)
        expanded = self._expand_list_items(items)
        if mode == "define":
            self.lists[name] = ListDef(name, expanded, node.loc, prev.used if prev else False)
            return
        if prev is None:
            self.diag.error(
                "no-such-item", f"'append'/'override' but no list '{name}' is defined", node.loc, item
            )
            return
        if mode == "append" or modes.get("items") == "append":
            prev.items.extend(expanded)
        else:
            prev.items = expanded

    def _expand_list_items(self, items: list[str]) -> list[str]:
        """Items naming a list defined *before* are replaced by its items (Falco's list compilation)."""
        out: list[str] = []
        for it in items:
            ref = self.lists.get(it)
            if ref is not None:
                ref.used = True
                out.extend(ref.items)
            else:
                out.append(unquote_item(it))
        return out

    # -- macros ----------------------------------------------------------------------------------------
    def _macro(self, node: Node) -> None:
        name = self._str(node, "macro", "macro")
        if name is None:
            return
        item = f"macro '{name}'"
        mode, modes = self._mode(node, "macro", item)
        frag = self._condition(node, "condition", item)
        if mode == "invalid":
            return
        if frag is None:
            if node.get("condition") is None:
                self.diag.error("schema", "missing required key 'condition'", node.loc, item)
            return
        prev = self.macros.get(name)
        if mode == "define":
            self.macros[name] = MacroDef(name, Condition([frag]), node.loc)
            return
        if prev is None:
            self.diag.error(
                "no-such-item", f"'append'/'override' but no macro '{name}' is defined", node.loc, item
            )
            return
        if mode == "append" or modes.get("condition") == "append":
            prev.condition.fragments.append(frag)
        else:
            prev.condition = Condition([frag])

    # -- rules -----------------------------------------------------------------------------------------
    def _rule(self, node: Node) -> None:
        name = self._str(node, "rule", "rule")
        if name is None:
            return
        apply_rule(self, node, name)
