"""The domain names the loaded rules compare addresses with (``fd.sip.name = kubernetes.default…``).

Falco fills ``fd.*.name`` from a DNS cache of the names its rules mention: a name is resolved (and
refreshed) ahead of time, and an event's address carries a name when that name resolves to it — not a
reverse lookup.  This finds those names; :mod:`stockade.runtime.source.names` resolves them.
"""

from __future__ import annotations

from typing import Any

from stockade.runtime.rules.grammar.ast import BinaryCheck, Field, ListRef, ListValue, Value, walk

#: the fields that hold a domain name for an address of the event's socket
NAME_FIELDS = ("fd.sip.name", "fd.cip.name", "fd.rip.name", "fd.lip.name")
#: operators whose right-hand side lists names to resolve
_NAME_OPS = ("=", "==", "in", "intersects")


def domain_names(engine: Any) -> frozenset[str]:
    """Every name a loaded rule compares one of :data:`NAME_FIELDS` with (``=`` or ``in``)."""
    out: set[str] = set()
    for rule in engine.rules:
        for ast in rule.asts.values():
            for node in walk(ast):
                if not (isinstance(node, BinaryCheck) and isinstance(node.left, Field)):
                    continue
                if node.left.name not in NAME_FIELDS or node.op not in _NAME_OPS:
                    continue
                r = node.right
                if isinstance(r, Value):
                    out.add(r.text)
                elif isinstance(r, ListValue):
                    out.update(v.text for v in r.items)
                elif isinstance(r, ListRef):
                    out.add(r.name)
    return frozenset(n for n in out if n)
