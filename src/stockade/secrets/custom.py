"""Custom rules from a YAML file (``--rules FILE``), added to the built-in rules.

.. code-block:: yaml

    version: 1
    rules:
      - id: STK-ACME-0001          # STK-<FAMILY>-<4 digits>; the exceptions file names rules by it.
        name: acme-api-key          # a slug, shown with the finding
        title: ACME API key
        regex: '\\b(acme_[a-z0-9]{32})\\b'
        secret_group: 1             # the group that is the secret (default 1, or 0 without groups)
        keywords: [acme_]           # the rule runs only on text containing one (case-insensitive)
        entropy: 3.0                # least Shannon entropy, bits per character (optional)
        allow: ['acme_test_']       # regular expressions: a secret matching one is not reported
        severity: high              # critical, high, medium, low, info
        remediation: "Rotate it in the ACME console."
        references: ["https://acme.example/docs/keys"]
    allow: ['^ACME-DEMO-']          # optional: allow-list applied to every rule of this file

``STK-SEC-`` ids are the built-in rules'; a custom rule may not use them.  A malformed file is a
:class:`RulesFileError` (exit code 2) listing every problem with its line: unknown or missing keys,
wrong types, a regular expression that does not compile (with the column inside the expression), an
entropy outside 0–8, a group the expression does not have, a duplicate id.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from typing import Any

from stockade.errors import ParseError
from stockade.model.severity import Severity
from stockade.policy.suppression import is_check_id, type_name
from stockade.secrets.model import RuleSpec
from stockade.target.manifests import Document, load_file
from stockade.target.manifests import Path as KeyPath

RULE_KEYS = (
    "id",
    "name",
    "title",
    "regex",
    "secret_group",
    "keywords",
    "entropy",
    "allow",
    "severity",
    "remediation",
    "references",
)
REQUIRED = ("id", "regex", "severity")
TOP_KEYS = ("version", "rules", "allow")


class RulesFileError(ParseError):
    """A malformed custom rules file; ``problems`` holds ``(line, message)`` for every problem."""

    def __init__(self, path: str, problems: Sequence[tuple[int, str]]) -> None:
        ordered = sorted(problems)
        super().__init__(
            "rules file", path, ordered[0][1], line=ordered[0][0], hint='see docs/secrets.md, "Custom rules"'
        )
        if len(ordered) > 1:
            listed = "".join(f"\n  {path}:{line}: {msg}" for line, msg in ordered)
            self.message = f"failed to parse rules file: {path}: {len(ordered)} problems:{listed}"
            self.args = (self.message,)
        self.problems = tuple(ordered)


class _Reader:
    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.problems: list[tuple[int, str]] = []

    def problem(self, at: KeyPath, message: str) -> None:
        self.problems.append((self.doc.line_of(at), f"{_label(at)}: {message}" if at else message))

    def regex(self, value: Any, at: KeyPath) -> re.Pattern[str] | None:
        if not isinstance(value, str) or not value:
            self.problem(at, f"expected a regular expression (a string), got {type_name(value)}")
            return None
        try:
            return re.compile(value)
        except re.error as exc:
            where = f" at position {exc.pos}" if exc.pos is not None else ""
            self.problem(at, f"invalid regular expression{where}: {exc.msg}")
            return None

    def strings(self, value: Any, at: KeyPath) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            self.problem(at, f"expected a list of non-empty strings, got {type_name(value)}")
            return ()
        return tuple(value)

    def rule(self, item: Any, at: KeyPath, extra_allow: tuple[str, ...]) -> RuleSpec | None:
        if not isinstance(item, dict):
            self.problem(at, f"expected a mapping with keys {', '.join(REQUIRED)} ..., got {type_name(item)}")
            return None
        before = len(self.problems)
        for key in item:
            if key not in RULE_KEYS:
                close = difflib.get_close_matches(str(key), RULE_KEYS, n=1)
                guess = f" (did you mean '{close[0]}'?)" if close else ""
                self.problem((*at, key), f"unknown key '{key}'{guess}")
        for key in REQUIRED:
            if key not in item:
                self.problem(at, f"missing required key '{key}'")
        rule_id = item.get("id")
        if "id" in item and (not isinstance(rule_id, str) or not is_check_id(rule_id)):
            self.problem((*at, "id"), f"expected an id such as STK-ACME-0001, got {rule_id!r}")
        elif isinstance(rule_id, str) and rule_id.startswith("STK-SEC-"):
            self.problem((*at, "id"), f"{rule_id}: STK-SEC- ids are the built-in rules'; use your own family")
        compiled = self.regex(item["regex"], (*at, "regex")) if "regex" in item else None
        group = item.get("secret_group", 1 if compiled is not None and compiled.groups else 0)
        if isinstance(group, bool) or not isinstance(group, int) or group < 0:
            self.problem((*at, "secret_group"), f"expected a group number, got {type_name(group)}")
        elif compiled is not None and group > compiled.groups:
            self.problem((*at, "secret_group"), f"the expression has {compiled.groups} groups, not {group}")
        severity = Severity.HIGH
        if "severity" in item:
            try:
                severity = Severity.parse(str(item["severity"]))
            except ValueError as exc:
                self.problem((*at, "severity"), str(exc))
        entropy = item.get("entropy")
        if entropy is not None and (
            isinstance(entropy, bool) or not isinstance(entropy, (int, float)) or not 0 <= entropy <= 8
        ):
            self.problem(
                (*at, "entropy"), f"expected a number from 0 to 8 (bits per character), got {entropy!r}"
            )
        keywords = self.strings(item["keywords"], (*at, "keywords")) if "keywords" in item else ()
        allow = self.strings(item["allow"], (*at, "allow")) if "allow" in item else ()
        for i, pattern in enumerate(allow):
            self.regex(pattern, (*at, "allow", i))
        texts: dict[str, str] = {}
        for key in ("name", "title", "remediation"):
            if key in item and (not isinstance(item[key], str) or not item[key].strip()):
                self.problem((*at, key), f"expected a non-empty string, got {type_name(item[key])}")
            elif key in item:
                texts[key] = item[key].strip()
        refs = self.strings(item["references"], (*at, "references")) if "references" in item else ()
        if len(self.problems) > before or not isinstance(rule_id, str) or compiled is None:
            return None
        return RuleSpec(
            id=rule_id,
            name=texts.get("name", rule_id.lower()),
            title=texts.get("title", texts.get("name", rule_id)),
            regex=str(item["regex"]),
            keywords=tuple(k.lower() for k in keywords),
            severity=severity,
            family="custom",
            group=int(group),
            entropy=float(entropy) if entropy is not None else None,
            allow=(*allow, *extra_allow),
            min_length=1,
            remediation=texts.get("remediation", "Rotate the credential and remove it from the file."),
            references=refs,
        )

    def read(self) -> list[RuleSpec]:
        data = self.doc.data
        if not isinstance(data, dict):
            self.problem((), f"expected a mapping with 'version: 1' and 'rules', got {type_name(data)}")
            return []
        for key in data:
            if key not in TOP_KEYS:
                self.problem((key,), f"unknown key '{key}' (expected one of: {', '.join(TOP_KEYS)})")
        if data.get("version", 1) != 1:
            self.problem(("version",), f"unsupported version {data.get('version')!r} (this stockade reads 1)")
        if "rules" not in data:
            self.problem((), "missing required key 'rules'")
        extra = self.strings(data["allow"], ("allow",)) if "allow" in data else ()
        for i, pattern in enumerate(extra):
            self.regex(pattern, ("allow", i))
        items = data.get("rules", [])
        if not isinstance(items, list):
            self.problem(("rules",), f"expected a list of rules, got {type_name(items)}")
            return []
        out: list[RuleSpec] = []
        seen: dict[str, int] = {}
        for i, item in enumerate(items):
            spec = self.rule(item, ("rules", i), extra)
            if spec is None:
                continue
            if spec.id in seen:
                self.problem(("rules", i, "id"), f"duplicate id {spec.id} (first at line {seen[spec.id]})")
                continue
            seen[spec.id] = self.doc.line_of(("rules", i))
            out.append(spec)
        return out


def load_rules(path: str) -> list[RuleSpec]:
    loaded = load_file(path)
    if loaded.errors:
        raise RulesFileError(path, [(e.line or 1, e.reason) for e in loaded.errors])
    if len(loaded.documents) != 1:
        raise RulesFileError(path, [(1, "expected one YAML document with 'version: 1' and 'rules'")])
    reader = _Reader(loaded.documents[0])
    rules = reader.read()
    if reader.problems:
        raise RulesFileError(path, reader.problems)
    return rules


def _label(at: KeyPath) -> str:
    out = ""
    for step in at:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out
