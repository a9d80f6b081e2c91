"""Running rules over text: the hot path.

1. Keyword prefilter: one Aho-Corasick automaton (pyahocorasick) over every rule keyword finds, in a
   single pass over the lower-cased text, which keywords occur; only the rules of those keywords run.
   Without pyahocorasick, each keyword is looked for with ``in`` (same result, slower).
2. Each candidate rule's expression runs over the whole text (``finditer``: C, no per-line loop).
3. Filters per match, cheapest first: length, the rule's and the global allow-lists (placeholders,
   documented example keys), entropy, the structural validator.
4. Per text: a generic rule's hit that overlaps a provider-specific hit is dropped; lines carrying an
   inline allow marker (``stockade:allow``, ``gitleaks:allow``, ``pragma: allowlist secret``) are
   skipped.

Texts are ``str``; the file scanner decodes bytes as Latin-1 (every byte one character, never an error)
unless the file is UTF-16/32, so offsets are byte offsets for ordinary files.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from stockade.secrets.allow import DOCUMENTED_EXAMPLES, INLINE_ALLOW, is_placeholder
from stockade.secrets.entropy import shannon
from stockade.secrets.model import Hit, RuleSpec
from stockade.secrets.validate import VALIDATORS, Facts

_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")

try:
    import ahocorasick  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # pragma: no cover - optional accelerator
    ahocorasick = None


@dataclass(frozen=True, slots=True)
class Compiled:
    spec: RuleSpec
    regex: re.Pattern[str]
    allow: tuple[re.Pattern[str], ...]
    validator: Callable[[str, re.Match[str]], Facts | None] | None
    order: int


class Ruleset:
    """Compiled rules with their keyword index."""

    def __init__(self, specs: Sequence[RuleSpec]) -> None:
        self.specs = tuple(specs)
        self.rules: list[Compiled] = []
        self.by_keyword: dict[str, list[Compiled]] = {}
        self.always: list[Compiled] = []
        for order, spec in enumerate(self.specs):
            if not spec.regex:
                continue
            validator = VALIDATORS[spec.validator] if spec.validator else None
            rule = Compiled(
                spec, re.compile(spec.regex), tuple(re.compile(a) for a in spec.allow), validator, order
            )
            self.rules.append(rule)
            if not spec.keywords:
                self.always.append(rule)
            for kw in spec.keywords:
                self.by_keyword.setdefault(kw, []).append(rule)
        self.anchor_keywords = frozenset(kw for r in self.rules if r.spec.anchored for kw in r.spec.keywords)
        self._automaton = None
        if ahocorasick is not None and self.by_keyword:
            automaton = ahocorasick.Automaton()
            for kw in self.by_keyword:
                automaton.add_word(kw, kw)
            automaton.make_automaton()
            self._automaton = automaton

    def by_id(self) -> dict[str, RuleSpec]:
        return {s.id: s for s in self.specs}

    def candidates(self, text: str) -> tuple[list[Compiled], dict[str, list[int]]]:
        """The rules whose keywords occur in ``text``, and where the keywords of anchored rules start."""
        lowered = text.lower()
        positions: dict[str, list[int]] = {}
        anchors = self.anchor_keywords
        if self._automaton is not None:
            found: set[str] = set()
            for end, kw in self._automaton.iter(lowered):
                if kw in anchors:
                    positions.setdefault(kw, []).append(end - len(kw) + 1)
                found.add(kw)
        else:
            found = {kw for kw in self.by_keyword if kw in lowered}
            for kw in found & anchors:
                at = positions[kw] = []
                i = lowered.find(kw)
                while i >= 0:
                    at.append(i)
                    i = lowered.find(kw, i + 1)
        if not found:
            return list(self.always), positions
        seen: dict[int, Compiled] = {r.order: r for r in self.always}
        for kw in found:
            for rule in self.by_keyword[kw]:
                seen[rule.order] = rule
        return [seen[k] for k in sorted(seen)], positions

    @staticmethod
    def _anchored(rule: Compiled, text: str, positions: dict[str, list[int]]) -> Iterator[re.Match[str]]:
        """Matches tried at the start of the name around each keyword occurrence, else at the keyword."""
        starts: dict[int, int] = {}
        for kw in rule.spec.keywords:
            for pos in positions.get(kw, ()):
                i, floor = pos, max(0, pos - 64)
                while i > floor and text[i - 1] in _NAME_CHARS:
                    i -= 1
                starts.setdefault(i, pos)
        last_end = -1
        regex = rule.regex
        for start in sorted(starts):
            if start < last_end:
                continue
            m = regex.match(text, start)
            if m is None and starts[start] != start:
                m = regex.match(text, starts[start])
            if m is not None:
                last_end = m.end()
                yield m

    def scan(self, text: str, *, line_base: int = 1, offset: int = 0, limit: int | None = None) -> list[Hit]:
        """Hits in ``text``.  ``limit``: only hits starting before this index (the chunked scanner keeps
        the rest for the next window).  Lines are numbered from ``line_base``; offsets from ``offset``."""
        rules, positions = self.candidates(text)
        if not rules:
            return []
        raw: list[tuple[int, int, Compiled, str, float, Facts]] = []
        for rule in rules:
            spec = rule.spec
            group = spec.group if rule.regex.groups >= spec.group else 0
            matches = self._anchored(rule, text, positions) if spec.anchored else rule.regex.finditer(text)
            for m in matches:
                start = m.start(group)
                if limit is not None and start >= limit:
                    break
                secret = m.group(group)
                if secret is None or len(secret) < spec.min_length:
                    continue
                if secret in DOCUMENTED_EXAMPLES or any(a.search(secret) for a in rule.allow):
                    continue
                if (spec.generic or spec.validator in (None, "digit-and-letter")) and is_placeholder(secret):
                    continue
                ent = shannon(secret) if spec.entropy is not None or spec.generic else 0.0
                if spec.entropy is not None and ent < spec.entropy:
                    continue
                facts: Facts = {}
                if rule.validator is not None:
                    checked = rule.validator(secret, m)
                    if checked is None:
                        continue
                    facts = checked
                raw.append((start, m.end(group), rule, secret, ent, facts))
        if not raw:
            return []
        return self._finish(text, raw, line_base, offset)

    @staticmethod
    def _finish(
        text: str, raw: list[tuple[int, int, Compiled, str, float, Facts]], line_base: int, offset: int
    ) -> list[Hit]:
        specific = [(s, e) for s, e, r, *_ in raw if not r.spec.generic]
        raw.sort(key=lambda h: (h[0], h[2].spec.generic, h[2].order))
        kept: list[Hit] = []
        taken: list[tuple[int, int]] = []
        line, pos = line_base, 0
        for start, end, rule, secret, ent, facts in raw:
            overlaps = (s < end and start < e for s, e in (*specific, *taken))
            if rule.spec.generic and any(overlaps):
                continue
            line += text.count("\n", pos, start)
            pos = start
            bol = text.rfind("\n", 0, start) + 1
            eol = text.find("\n", start)
            line_text = text[bol : eol if eol >= 0 else len(text)]
            if INLINE_ALLOW.search(line_text):
                continue
            if rule.spec.generic:
                taken.append((start, end))
            kept.append(
                Hit(
                    rule.spec,
                    offset + start,
                    offset + end,
                    line,
                    start - bol + 1,
                    secret,
                    line_text,
                    ent,
                    dict(facts),
                )
            )
        return kept


_DEFAULT: Ruleset | None = None


def default_ruleset() -> Ruleset:
    """The built-in rules, compiled once per process."""
    global _DEFAULT
    if _DEFAULT is None:
        from stockade.secrets.rules import BUILTIN

        _DEFAULT = Ruleset(BUILTIN)
    return _DEFAULT
