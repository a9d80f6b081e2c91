"""The built-in rules, one module per provider family.  Ids are stable and never reused; a rule that is
withdrawn keeps its number retired."""

from __future__ import annotations

from stockade.secrets.model import RuleSpec
from stockade.secrets.rules import (
    ai,
    chat,
    cloud,
    database,
    forge,
    formats,
    generic,
    keys,
    observability,
    payment,
    registry,
    saas,
)

BUILTIN: tuple[RuleSpec, ...] = (
    *cloud.RULES,
    *forge.RULES,
    *registry.RULES,
    *chat.RULES,
    *payment.RULES,
    *saas.RULES,
    *observability.RULES,
    *ai.RULES,
    *database.RULES,
    *keys.RULES,
    *formats.RULES,
    *generic.RULES,
)
#: rules the structured scanners apply themselves (Kubernetes Secret data)
STRUCTURAL: tuple[RuleSpec, ...] = generic.STRUCTURAL
KUBERNETES_SECRET_DATA = STRUCTURAL[0]


def all_ids() -> frozenset[str]:
    return frozenset(r.id for r in (*BUILTIN, *STRUCTURAL))
