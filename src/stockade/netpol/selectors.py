"""Label selectors (meta/v1 LabelSelector) as NetworkPolicy uses them, compiled to plain predicates.

Semantics (k8s.io/apimachinery/pkg/apis/meta/v1 LabelSelector, ``LabelSelectorAsSelector``):

* ``matchLabels`` and every ``matchExpressions`` requirement are ANDed.
* An empty selector (``{}``, or neither field) selects everything; in a NetworkPolicy ``podSelector: {}``
  selects every pod of the policy's namespace and ``namespaceSelector: {}`` every namespace.
* Operators: ``In`` and ``NotIn`` need a non-empty ``values``; ``Exists`` and ``DoesNotExist`` need
  ``values`` empty.  ``NotIn`` also matches objects that do not have the key at all.
* Anything else (an unknown operator, ``values`` not a list, a non-string key) is rejected by the API
  server; here it is a :class:`SelectorError` naming the line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


class SelectorError(ValueError):
    """A malformed selector; ``path`` is relative to the selector (for the line lookup)."""

    def __init__(self, message: str, path: tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.path = path


#: (key, operator, values)
Requirement = tuple[str, str, frozenset[str]]


@dataclass(frozen=True, slots=True)
class Selector:
    match_labels: tuple[tuple[str, str], ...]
    expressions: tuple[Requirement, ...]

    @property
    def is_empty(self) -> bool:
        """Selects everything."""
        return not self.match_labels and not self.expressions

    @property
    def keys(self) -> frozenset[str]:
        """Every label key the outcome depends on."""
        return frozenset([k for k, _ in self.match_labels] + [r[0] for r in self.expressions])

    def matches(self, labels: Mapping[str, str]) -> bool:
        for key, value in self.match_labels:
            if labels.get(key) != value:
                return False
        for key, op, values in self.expressions:
            if op == "In":
                if labels.get(key) not in values:
                    return False
            elif op == "NotIn":
                got = labels.get(key)
                if got is not None and got in values:
                    return False
            elif op == "Exists":
                if key not in labels:
                    return False
            elif key in labels:  # DoesNotExist
                return False
        return True

    def text(self) -> str:
        """``app=web,tier in (a,b),!legacy``; ``{}`` for the empty selector (everything)."""
        parts = [f"{k}={v}" for k, v in self.match_labels]
        for key, op, values in self.expressions:
            vals = ",".join(sorted(values))
            if op == "In":
                parts.append(f"{key} in ({vals})")
            elif op == "NotIn":
                parts.append(f"{key} notin ({vals})")
            elif op == "Exists":
                parts.append(key)
            else:
                parts.append(f"!{key}")
        return ",".join(parts) if parts else "{}"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.match_labels:
            out["matchLabels"] = dict(self.match_labels)
        if self.expressions:
            out["matchExpressions"] = [
                {"key": k, "operator": op, **({"values": sorted(v)} if op in ("In", "NotIn") else {})}
                for k, op, v in self.expressions
            ]
        return out


EVERYTHING = Selector((), ())


def parse_selector(raw: Any) -> Selector:
    """Compile a LabelSelector; ``None`` (field absent) is the caller's business, ``{}`` selects all."""
    if raw is None:
        return EVERYTHING
    if not isinstance(raw, dict):
        raise SelectorError(f"expected a label selector (a mapping), got {_type(raw)}")
    for key in raw:
        if key not in ("matchLabels", "matchExpressions"):
            raise SelectorError(
                f"unknown field {key!r} in a label selector (expected matchLabels, matchExpressions)", (key,)
            )
    labels: list[tuple[str, str]] = []
    ml = raw.get("matchLabels")
    if ml is not None:
        if not isinstance(ml, dict):
            raise SelectorError(
                f"matchLabels: expected a mapping of strings, got {_type(ml)}", ("matchLabels",)
            )
        for k, v in ml.items():
            if not isinstance(k, str) or not isinstance(v, (str, int, float, bool)) or isinstance(v, bool):
                raise SelectorError(
                    f"matchLabels: {k!r}: label values are strings, got {_type(v)}", ("matchLabels", k)
                )
            labels.append((k, str(v)))
    reqs: list[Requirement] = []
    me = raw.get("matchExpressions")
    if me is not None:
        if not isinstance(me, list):
            raise SelectorError(f"matchExpressions: expected a list, got {_type(me)}", ("matchExpressions",))
        for i, item in enumerate(me):
            reqs.append(_requirement(item, ("matchExpressions", i)))
    return Selector(tuple(sorted(labels)), tuple(reqs))


def _requirement(item: Any, at: tuple[str | int, ...]) -> Requirement:
    if not isinstance(item, dict):
        raise SelectorError(f"expected a requirement {{key, operator, values}}, got {_type(item)}", at)
    key = item.get("key")
    if not isinstance(key, str) or not key:
        raise SelectorError("requirement without a key", at)
    op = item.get("operator")
    if op not in OPERATORS:
        raise SelectorError(
            f"invalid operator {op!r} for key {key!r} (expected one of: {', '.join(OPERATORS)})",
            (*at, "operator"),
        )
    values = item.get("values")
    if values is None:
        values = []
    if not isinstance(values, list) or not all(isinstance(v, (str, int, float)) for v in values):
        raise SelectorError(f"values of {key!r}: expected a list of strings", (*at, "values"))
    if op in ("In", "NotIn") and not values:
        raise SelectorError(f"operator {op} on {key!r} needs at least one value", (*at, "values"))
    if op in ("Exists", "DoesNotExist") and values:
        raise SelectorError(f"operator {op} on {key!r} takes no values", (*at, "values"))
    return (key, str(op), frozenset(str(v) for v in values))


def _type(value: Any) -> str:
    return "nothing" if value is None else type(value).__name__
