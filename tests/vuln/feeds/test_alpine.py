"""Alpine secdb: every (release, package, fixed version, CVE) of the real YAML, read here with PyYAML,
is in the reader's output; the JSON form reads the same; "0" means not affected; broken files."""

from __future__ import annotations

import contextlib
import functools
import json
import re
from pathlib import Path

import pytest
import yaml

from stockade.model.advisory import Advisory, AffectedState
from stockade.model.status import Status, StatusKind
from stockade.vuln.feeds.alpine import AlpineReader
from stockade.vuln.versions.interface import VersionError
from stockade.vuln.versions.registry import get_scheme


def read(path: Path) -> tuple[list[Advisory], list[Status]]:
    problems: list[Status] = []
    return [r for r in AlpineReader().read(str(path), problems) if isinstance(r, Advisory)], problems


@functools.cache
def read_all(path: Path) -> tuple[list[Advisory], list[Status]]:
    return read(path)


def raw_fixes(root: Path) -> tuple[int, set[tuple[str, str, str, str]]]:
    """(package entries, {(ecosystem, package, version, CVE)}) for the lines that are exactly one CVE."""
    entries = 0
    out: set[tuple[str, str, str, str]] = set()
    for path in sorted(root.glob("v*/*.yaml")):
        doc = yaml.load(path.read_text(), Loader=yaml.CSafeLoader)
        for item in doc.get("packages") or []:
            entries += 1
            for version, cves in (item["pkg"].get("secfixes") or {}).items():
                for cve in cves or []:
                    if re.fullmatch(r"CVE-\d{4}-\d+", str(cve).strip()):
                        out.add(
                            (f"Alpine:{doc['distroversion']}", item["pkg"]["name"], str(version), cve.strip())
                        )
    return entries, out


def test_every_fix_of_the_real_secdb(data: Path) -> None:
    root = data / "alpine-secdb"
    assert AlpineReader.detect(str(root))
    records, problems = read_all(root)
    assert problems == []
    entries, fixes = raw_fixes(root)
    assert entries == 1652  # shared/data/README.md
    by_id = {r.id: r for r in records}
    assert len(by_id) == len(records)
    apk = get_scheme("apk")
    listed: dict[tuple[str, str, str], list[str]] = {}
    for ecosystem, package, version, cve in fixes:
        listed.setdefault((ecosystem, package, cve), []).append(version)
    for (ecosystem, package, cve), versions in listed.items():
        (affected,) = [a for a in by_id[cve].affected if (a.ecosystem, a.name) == (ecosystem, package)]
        if "0" in versions:
            assert affected.state is AffectedState.NOT_AFFECTED
            continue
        # one range: fixed in the lowest version the release lists the CVE under
        ((introduced, fixed),) = [r.events for r in affected.ranges]
        assert introduced == ("introduced", "0") and fixed[0] == "fixed", (cve, package)
        assert fixed[1] in versions, (cve, package)
        for v in versions:
            with contextlib.suppress(VersionError):  # secdb has a few non-apk versions ("57-1-r2")
                assert apk.key(fixed[1]) <= apk.key(v), (cve, package, v)
    assert sum(len(v) > 1 for v in listed.values()) > 0  # the case exists in the real data
    assert {r.source for r in records} == {"alpine-secdb"}
    assert len({(cve, eco, pkg) for eco, pkg, _, cve in fixes}) <= sum(len(r.affected) for r in records)


def test_not_affected_and_aliases(data: Path) -> None:
    records, _ = read_all(data / "alpine-secdb")
    by_id = {r.id: r for r in records}
    (db,) = by_id["CVE-2016-0682"].affected  # v3.8/main.yaml: db "0": whitelisted Oracle BDB issues
    assert (db.ecosystem, db.name, db.state, db.ranges) == (
        "Alpine:v3.8",
        "db",
        AffectedState.NOT_AFFECTED,
        (),
    )
    assert "XSA-214" in by_id["CVE-2017-8904"].aliases  # "CVE-2017-8904 XSA-214"
    assert "XSA-207" in by_id  # an entry without a CVE keeps its own id
    assert "CVE-2018-16859" in by_id  # written "CVE 2018-16859" in v3.9/main.yaml
    assert "CVE-2019-2426" in by_id  # written "CVE_2019-2426"


def test_json_form_reads_the_same(data: Path, tmp_path: Path) -> None:
    source = data / "alpine-secdb" / "v3.11" / "main.yaml"
    (tmp_path / "v3.11").mkdir()
    target = tmp_path / "v3.11" / "main.json"
    target.write_text(json.dumps(yaml.safe_load(source.read_text())))
    assert AlpineReader.detect(str(target))
    from_json, problems = read(target)
    from_yaml, _ = read(source)
    assert problems == []
    assert from_json == from_yaml
    assert {a.ecosystem for r in from_json for a in r.affected} == {"Alpine:v3.11"}


WHAT = "failed to parse Alpine secdb: "


def test_broken_files_are_reported(tmp_path: Path) -> None:
    (tmp_path / "v3.12").mkdir()
    (tmp_path / "v3.12" / "main.yaml").write_text(
        "distroversion: v3.12\npackages:\n  - pkg:\n      name: a\n      secfixes:\n        1.0-r1:\n"
        "          - CVE-2020-0001\n          - 12345\n  - pkg:\n      secfixes: {}\n"
    )
    (tmp_path / "v3.12" / "community.yaml").write_text("distroversion: v3.12\npackages: [\n")
    (tmp_path / "v3.12" / "other.json").write_text('{"distroversion": "v3.12", "packages": [{')
    records, problems = read(tmp_path)
    assert [r.id for r in records] == ["CVE-2020-0001"]
    got = sorted((p.status, Path(p.path or "").name, p.reason) for p in problems)
    assert got == [
        (StatusKind.ERROR, "community.yaml",
         f"{WHAT}line 3, column 1: while parsing a flow node: did not find expected node content"),
        (StatusKind.ERROR, "other.json", f"{WHAT}line 1, column 42: unexpected end of data"),
        (StatusKind.PARTIAL, "main.yaml", f"{WHAT}a 1.0-r1: no advisory id in '12345'"),
        (StatusKind.PARTIAL, "main.yaml", f"{WHAT}packages[1]: expected pkg.name and a pkg.secfixes mapping"),
    ]  # fmt: skip


@pytest.mark.parametrize("path", ["nope", "nope/v3.1/main.yaml"])
def test_missing_path(tmp_path: Path, path: str) -> None:
    records, problems = read(tmp_path / path)
    assert records == []
    assert [p.reason for p in problems] == ["no such file or directory"]
