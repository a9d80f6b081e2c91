"""Matching an exception against a finding: each scope field, globs, label subsets, id lists, expiry."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from stockade.model.finding import Finding
from stockade.model.inventory import Location
from stockade.model.severity import Severity
from stockade.policy.exceptions import ExceptionEntry, ExceptionSet, Scope
from stockade.policy.globs import compile_glob

TODAY = date(2026, 6, 1)
EXPIRES = date(2027, 3, 31)

OBJECT: dict[str, Any] = {
    "kind": "Deployment",
    "namespace": "payments",
    "name": "legacy-api",
    "labels": {"team": "payments", "tier": "web"},
    "path": "deploy/legacy/api.yaml",
}


def finding(check_id: str = "STK-K8S-0007", path: str = "deploy/legacy/api.yaml") -> Finding:
    return Finding(check_id, Severity.HIGH, "runs as root", "manifests", location=Location(path, 12))


def entry(scope: Scope, ids: tuple[str, ...] = ("STK-K8S-0007",), line: int = 3, **kw: Any) -> ExceptionEntry:
    values: dict[str, Any] = {"reason": "vendor image", "owner": "team@example.com", "expires": EXPIRES}
    values.update(kw)
    return ExceptionEntry(ids, scope, file=".stockade/exceptions.yaml", line=line, **values)


# (case, scope, changes to the object facts, covered?)
SCOPES: list[tuple[str, Scope, dict[str, Any], bool]] = [
    ("path exact", Scope(path="deploy/legacy/api.yaml"), {}, True),
    ("path exact other file", Scope(path="deploy/legacy/web.yaml"), {}, False),
    ("path ** below", Scope(path="deploy/legacy/**"), {"path": "deploy/legacy/a/b/c.yaml"}, True),
    ("path ** sibling dir", Scope(path="deploy/legacy/**"), {"path": "deploy/legacy2/api.yaml"}, False),
    ("path ** not the dir itself", Scope(path="deploy/legacy/**"), {"path": "deploy/legacy"}, False),
    ("path * one level", Scope(path="deploy/*/api.yaml"), {}, True),
    ("path * not two levels", Scope(path="deploy/*.yaml"), {}, False),
    ("path **/ at any depth", Scope(path="**/api.yaml"), {}, True),
    ("path **/ at the top", Scope(path="**/api.yaml"), {"path": "api.yaml"}, True),
    ("path ? one char", Scope(path="deploy/legacy/ap?.yaml"), {}, True),
    ("path [class]", Scope(path="deploy/legacy/[a-c]pi.yaml"), {}, True),
    ("path [!class]", Scope(path="deploy/legacy/[!a]pi.yaml"), {}, False),
    ("path ./ in pattern", Scope(path="./deploy/legacy/**"), {}, True),
    ("path trailing / is a directory", Scope(path="deploy/"), {}, True),
    ("path trailing / other directory", Scope(path="deploy/legacy/api/"), {}, False),
    ("path ./ in finding", Scope(path="deploy/legacy/**"), {"path": "./deploy/legacy/api.yaml"}, True),
    ("path a/../ in finding", Scope(path="deploy/legacy/**"), {"path": "deploy/x/../legacy/api.yaml"}, True),
    ("path is case sensitive", Scope(path="Deploy/legacy/**"), {}, False),
    ("path literal dot", Scope(path="deploy/legacy/api.yml"), {"path": "deploy/legacy/apixyml"}, False),
    ("kind", Scope(kind="Deployment"), {}, True),
    ("kind other", Scope(kind="StatefulSet"), {}, False),
    ("kind case sensitive", Scope(kind="deployment"), {}, False),
    ("namespace", Scope(namespace="payments"), {}, True),
    ("namespace other", Scope(namespace="billing"), {}, False),
    ("namespace absent on object", Scope(namespace="default"), {"namespace": None}, False),
    ("name exact", Scope(name="legacy-api"), {}, True),
    ("name exact other", Scope(name="legacy-api-v2"), {}, False),
    ("name glob", Scope(name="legacy-*"), {}, True),
    ("name glob other", Scope(name="modern-*"), {}, False),
    ("name glob ?", Scope(name="legacy-ap?"), {}, True),
    ("name glob class", Scope(name="[kl]egacy-api"), {}, True),
    ("labels one of several", Scope(labels=(("team", "payments"),)), {}, True),
    ("labels all", Scope(labels=(("team", "payments"), ("tier", "web"))), {}, True),
    ("labels value differs", Scope(labels=(("team", "billing"),)), {}, False),
    ("labels one missing", Scope(labels=(("team", "payments"), ("env", "prod"))), {}, False),
    ("labels object has none", Scope(labels=(("team", "payments"),)), {"labels": {}}, False),
    (
        "every field",
        Scope("deploy/legacy/**", "Deployment", "payments", "legacy-*", (("team", "payments"),)),
        {},
        True,
    ),
    (
        "every field but one",
        Scope("deploy/legacy/**", "Deployment", "payments", "legacy-*", (("team", "billing"),)),
        {},
        False,
    ),
    ("path and kind, path differs", Scope(path="deploy/new/**", kind="Deployment"), {}, False),
]


@pytest.mark.parametrize(("scope", "changes", "covered"), [c[1:] for c in SCOPES], ids=[c[0] for c in SCOPES])
def test_scope_fields(scope: Scope, changes: dict[str, Any], covered: bool) -> None:
    facts = {**OBJECT, **changes}
    rules = ExceptionSet((entry(scope),))
    got = rules.match(finding(path=facts["path"]), today=TODAY, **facts)
    assert (got is not None) is covered
    if got is not None:
        assert got.source == "exceptions-file"
        assert got.where == ".stockade/exceptions.yaml:3"
        assert (got.reason, got.owner, got.expires) == ("vendor image", "team@example.com", EXPIRES)


@pytest.mark.parametrize(
    ("check_id", "covered"),
    [("STK-K8S-0007", True), ("STK-PSS-0003", True), ("STK-K8S-0008", False), ("STK-K8S-000", False)],
)
def test_id_list(check_id: str, covered: bool) -> None:
    rules = ExceptionSet((entry(Scope(kind="Deployment"), ids=("STK-K8S-0007", "STK-PSS-0003")),))
    assert (rules.match(finding(check_id), today=TODAY, **OBJECT) is not None) is covered


# (case, scope, covered?) for a finding that is not about a Kubernetes object (a Dockerfile finding)
NON_OBJECT: list[tuple[str, Scope, bool]] = [
    ("path alone", Scope(path="docker/**"), True),
    ("path alone, other", Scope(path="deploy/**"), False),
    ("kind needs an object", Scope(kind="Deployment"), False),
    ("name needs an object", Scope(name="Dockerfile"), False),
    ("namespace needs an object", Scope(namespace="payments"), False),
    ("labels need an object", Scope(labels=(("team", "payments"),)), False),
    ("path and kind", Scope(path="docker/**", kind="Deployment"), False),
]


@pytest.mark.parametrize(("scope", "covered"), [c[1:] for c in NON_OBJECT], ids=[c[0] for c in NON_OBJECT])
def test_findings_without_an_object_match_on_id_and_path_only(scope: Scope, covered: bool) -> None:
    rules = ExceptionSet((entry(scope, ids=("STK-DF-0001",)),))
    got = rules.match(finding("STK-DF-0001", path="docker/app/Dockerfile"), today=TODAY)
    assert (got is not None) is covered


def test_finding_without_location_is_not_matched_by_a_path_scope() -> None:
    rules = ExceptionSet((entry(Scope(path="docker/**"), ids=("STK-DF-0001",)),))
    assert rules.match(replace(finding("STK-DF-0001"), location=None), today=TODAY) is None


@pytest.mark.parametrize(
    ("today", "applies"),
    [
        (EXPIRES - timedelta(days=365), True),
        (EXPIRES - timedelta(days=1), True),
        (EXPIRES, True),  # the expiry date is the last day it applies
        (EXPIRES + timedelta(days=1), False),
        (EXPIRES + timedelta(days=400), False),
    ],
)
def test_expiry_uses_the_injected_date(today: date, applies: bool) -> None:
    rules = ExceptionSet((entry(Scope(kind="Deployment")),))
    assert (rules.match(finding(), today=today, **OBJECT) is not None) is applies
    assert (rules.expired(today) == ()) is applies


def test_expired_lists_entries_with_file_and_line() -> None:
    old = entry(Scope(kind="Deployment"), line=3, expires=date(2026, 1, 31))
    current = entry(Scope(kind="Deployment"), line=9)
    rules = ExceptionSet((old, current), ".stockade/exceptions.yaml")
    assert rules.expired(TODAY) == (old,)
    assert old.where == ".stockade/exceptions.yaml:3"
    assert old.expired_message() == (
        "exception for STK-K8S-0007 (kind Deployment; owner team@example.com) expired on 2026-01-31; "
        "it no longer applies"
    )
    # the expired entry is skipped; the next one covering the finding is used
    got = rules.match(finding(), today=TODAY, **OBJECT)
    assert got is not None and got.where == ".stockade/exceptions.yaml:9"


def test_first_matching_entry_in_file_order_wins() -> None:
    rules = ExceptionSet(
        (
            entry(Scope(kind="StatefulSet"), line=3, reason="not this"),
            entry(Scope(namespace="payments"), line=9, reason="first match"),
            entry(Scope(kind="Deployment"), line=15, reason="second match"),
        )
    )
    got = rules.match(finding(), today=TODAY, **OBJECT)
    assert got is not None
    assert (got.reason, got.where) == ("first match", ".stockade/exceptions.yaml:9")


def test_empty_set_covers_nothing() -> None:
    assert ExceptionSet().match(finding(), today=TODAY, **OBJECT) is None


def test_paths_are_also_matched_relative_to_the_root(tmp_path: Path) -> None:
    rules = ExceptionSet((entry(Scope(path="deploy/legacy/**")),), root=str(tmp_path))
    inside = str(tmp_path / "deploy" / "legacy" / "api.yaml")
    outside = str(tmp_path.parent / "deploy" / "legacy" / "api.yaml")
    assert rules.match(finding(path=inside), today=TODAY) is not None
    assert rules.match(finding(path=outside), today=TODAY) is None
    assert rules.match(finding(path="deploy/legacy/api.yaml"), today=TODAY) is not None  # as given
    no_root = ExceptionSet((entry(Scope(path="deploy/legacy/**")),))
    assert no_root.match(finding(path=inside), today=TODAY) is None


# (pattern, path, matches?)
GLOBS: list[tuple[str, str, bool]] = [
    ("a/**", "a/b", True),
    ("a/**", "a/b/c/d", True),
    ("a/**", "ab/c", False),
    ("**/c", "c", True),
    ("**/c", "a/b/c", True),
    ("**/c", "a/bc", False),
    ("a/**/d", "a/d", True),
    ("a/**/d", "a/b/c/d", True),
    ("a/**/d", "a/b/cd", False),
    ("a**b", "axxb", True),
    ("a**b", "a/b", False),
    ("*.yaml", "x.yaml", True),
    ("*.yaml", "d/x.yaml", False),
    ("?", "/", False),
    ("[/]", "/", False),
    ("[]]", "]", True),
    ("[!]]", "a", True),
    ("[a-c]", "b", True),
    ("[a-c]", "-", False),
    ("[a-]", "-", True),
    ("[", "[", True),
    ("a[", "a[", True),
    ("x(y)+.z", "x(y)+.z", True),
    ("x(y)+.z", "x(y)).z", False),
    ("[[]", "[", True),
    ("[&&]", "&", True),
    ("[^a]", "^", True),
    ("[\\]", "\\", True),
]


@pytest.mark.parametrize(("pattern", "path", "matches"), GLOBS)
def test_glob(pattern: str, path: str, matches: bool) -> None:
    assert (compile_glob(pattern).match(path) is not None) is matches
