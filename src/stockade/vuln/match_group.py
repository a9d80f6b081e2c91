"""One finding per vulnerability per package: merging the records that describe one vulnerability.

Several feeds describe one vulnerability (PYSEC-2019-16 and GHSA-… are CVE-2019-19844), and one
bulletin can fix several vulnerabilities (DSA-5376-1 lists five CVEs).  The records that matched one
package are grouped so:

1. Records are linked when they share a name that is not a CVE id (an id or alias: ``PYSEC-X`` listing
   ``GHSA-Y`` is linked to ``GHSA-Y``, and to any record listing ``PYSEC-X`` or ``GHSA-Y``).
   CVE ids do not link records, because bulletins list several.
2. Each linked set with no CVE is one vulnerability.  A set naming CVEs is one vulnerability *per CVE*:
   its records that name that CVE belong to it, and its records that name no CVE belong to each.
   Sets that name the same CVE are merged.
3. The finding's id is the CVE when there is one (the name KEV and EPSS are keyed by, and what Grype
   and Trivy show for OS packages); otherwise the id of the most specific record: an ecosystem or
   distribution database's own id (``PYSEC-``, ``GO-``, ``RUSTSEC-``, ``DSA-`` …) before a ``GHSA-``,
   ties broken alphabetically.  ``aliases`` lists every other name of the vulnerability from its
   records (their ids and aliases, without the CVEs of other vulnerabilities of a bulletin), sorted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol, TypeVar

from stockade.model.advisory import Advisory

CVE_ID = re.compile(r"^CVE-\d{4}-\d{4,}$")


class HasAdvisory(Protocol):
    @property
    def advisory(self) -> Advisory: ...


R = TypeVar("R", bound=HasAdvisory)


def is_cve(name: str) -> bool:
    return name.startswith("CVE-") and CVE_ID.match(name) is not None


def id_rank(name: str) -> tuple[int, str]:
    """Sort key of candidate finding ids: CVE, then a database's own id, then GHSA."""
    if is_cve(name):
        return (0, name)
    if name.startswith("GHSA-"):
        return (2, name)
    return (1, name)


def preferred_id(names: Sequence[str]) -> str:
    return min(names, key=id_rank)


def record_cves(advisory: Advisory) -> tuple[str, ...]:
    return tuple(sorted({n for n in (advisory.id, *advisory.aliases) if is_cve(n)}))


def group(records: Sequence[R]) -> list[tuple[str, list[R], tuple[str, ...]]]:
    """``(finding id, its records, aliases)`` for ``records`` (all about one package), sorted by id."""
    if len(records) == 1:  # the common case, without the bookkeeping
        adv = records[0].advisory
        own = record_cves(adv)
        others = [n for n in dict.fromkeys((adv.id, *adv.aliases)) if not is_cve(n)]
        if not own:
            return [(adv.id, [records[0]], tuple(sorted((n for n in others if n != adv.id), key=id_rank)))]
        return [(c, [records[0]], tuple(sorted(others, key=id_rank))) for c in own]
    parent = list(range(len(records)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[str, int] = {}
    for i, record in enumerate(records):
        adv = record.advisory
        for name in (adv.id, *adv.aliases):
            if is_cve(name):
                continue
            j = owner.setdefault(name, i)
            a, b = find(i), find(j)
            if a != b:
                parent[max(a, b)] = min(a, b)
    components: dict[int, list[int]] = {}
    for i in range(len(records)):
        components.setdefault(find(i), []).append(i)
    members: dict[str, list[int]] = {}
    for indexes in components.values():
        cves = {i: record_cves(records[i].advisory) for i in indexes}
        named = sorted({c for found in cves.values() for c in found})
        if not named:
            key = preferred_id([records[i].advisory.id for i in indexes])
            members.setdefault(key, []).extend(indexes)
            continue
        for cve in named:
            members.setdefault(cve, []).extend(i for i in indexes if cve in cves[i] or not cves[i])
    out: list[tuple[str, list[R], tuple[str, ...]]] = []
    for key in sorted(members):
        indexes = sorted(set(members[key]))
        chosen = [records[i] for i in indexes]
        names: set[str] = set()
        for record in chosen:
            adv = record.advisory
            names.update(n for n in (adv.id, *adv.aliases) if not is_cve(n) or n == key)
        names.discard(key)
        out.append((key, chosen, tuple(sorted(names, key=id_rank))))
    return out
