"""One finding per vulnerability: the alias rule of stockade.vuln.match_group."""

from __future__ import annotations

from dataclasses import dataclass

from stockade.model.advisory import Advisory
from stockade.vuln.match_group import group, preferred_id


@dataclass(frozen=True)
class Rec:
    advisory: Advisory


def rec(ident: str, *aliases: str) -> Rec:
    return Rec(Advisory(ident, "osv", (), tuple(aliases)))


def ids(records: list[Rec]) -> list[str]:
    return [r.advisory.id for r in records]


def test_records_of_one_cve_merge() -> None:
    [(key, members, aliases)] = group(
        [rec("PYSEC-1", "CVE-2020-0001", "GHSA-1"), rec("GHSA-1", "CVE-2020-0001")]
    )
    assert key == "CVE-2020-0001" and ids(members) == ["PYSEC-1", "GHSA-1"]
    assert aliases == ("PYSEC-1", "GHSA-1")


def test_a_bulletin_with_several_cves_gives_one_finding_per_cve() -> None:
    out = group([rec("DSA-1-1", "CVE-2023-0001", "CVE-2023-0002"), rec("DLA-9-1", "CVE-2023-0002")])
    assert [(k, ids(m), a) for k, m, a in out] == [
        ("CVE-2023-0001", ["DSA-1-1"], ("DSA-1-1",)),
        ("CVE-2023-0002", ["DSA-1-1", "DLA-9-1"], ("DLA-9-1", "DSA-1-1")),
    ]


def test_a_record_without_cve_joins_through_a_shared_alias() -> None:
    [(key, members, aliases)] = group([rec("PYSEC-3", "GHSA-3"), rec("GHSA-3", "CVE-2021-0003", "PYSEC-3")])
    assert (
        key == "CVE-2021-0003"
        and sorted(ids(members)) == ["GHSA-3", "PYSEC-3"]
        and aliases == ("PYSEC-3", "GHSA-3")
    )


def test_without_any_cve_the_most_specific_id() -> None:
    [(key, _, aliases)] = group([rec("GHSA-4", "PYSEC-4"), rec("PYSEC-4", "GHSA-4")])
    assert key == "PYSEC-4" and aliases == ("GHSA-4",)
    assert preferred_id(["GHSA-x", "RUSTSEC-2020-1"]) == "RUSTSEC-2020-1"
    assert preferred_id(["GHSA-b", "GHSA-a"]) == "GHSA-a"


def test_unrelated_records_stay_apart() -> None:
    out = group([rec("GO-1", "CVE-2022-0001"), rec("GO-2", "CVE-2022-0002"), rec("RUSTSEC-1")])
    assert [k for k, _, _ in out] == ["CVE-2022-0001", "CVE-2022-0002", "RUSTSEC-1"]
