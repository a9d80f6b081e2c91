"""Ubuntu CVE tracker files: every status line of the real snapshot accounted for, records checked against
the raw text, release mapping (ESM, devel), and broken files."""

from __future__ import annotations

import functools
import re
from collections import Counter
from pathlib import Path

import pytest

from stockade.model.advisory import Advisory, AffectedState
from stockade.model.status import Status, StatusKind
from stockade.vuln.feeds.ubuntu import UbuntuReader, devel_after, ecosystem

STATE = {
    **dict.fromkeys(("released", "released-esm"), AffectedState.AFFECTED),
    **dict.fromkeys(("needed", "active", "pending", "needs-triage"), AffectedState.UNFIXED),
    **dict.fromkeys(("ignored", "deferred"), AffectedState.WONT_FIX),
    "not-affected": AffectedState.NOT_AFFECTED,
}


def read(path: Path) -> tuple[list[Advisory], list[Status]]:
    problems: list[Status] = []
    return [r for r in UbuntuReader().read(str(path), problems) if isinstance(r, Advisory)], problems


@functools.cache
def read_tracker(path: Path) -> tuple[list[Advisory], list[Status]]:
    return read(path)


@pytest.mark.slow  # ~4 s: the tracker is read, then every file again by hand
def test_every_status_line_of_the_snapshot(data: Path) -> None:
    root = data / "ubuntu-cve-tracker"
    assert UbuntuReader.detect(str(root))
    records, problems = read_tracker(root)
    files = sorted((root / "active").glob("CVE-*"))
    assert len(files) == 6509
    assert sorted(r.id for r in records) == sorted(f.name for f in files)
    # the only problem: one SKIPPED summary (product, vivid/ubuntu-core ... lines); CVE-2016-4021's
    # "precise_pgpdump: released (0.27-1+deb7u1build0.12.04.1, 0.28-1+deb8u1)" is read (its first version)
    assert [p.status for p in problems] == [StatusKind.SKIPPED]
    expected: Counter[AffectedState] = Counter()
    for f in files:
        for rel, status in re.findall(
            r"^([a-z][a-z0-9/+.-]*)_[^:\s]+:[ \t]*([A-Za-z-]*)", f.read_text(), re.M
        ):
            if rel != "upstream" and status in STATE and ecosystem(rel, "focal") is not None:
                expected[STATE[status]] += 1
    assert Counter(a.state for r in records for a in r.affected) == expected


def test_record_against_raw_file(data: Path) -> None:
    records, _ = read_tracker(data / "ubuntu-cve-tracker")
    by_id = {r.id: r for r in records}
    record = by_id["CVE-2019-1010204"]
    assert record.published == "2019-07-23T14:15:00Z"
    assert record.severity_label == "low"
    assert record.severity == (("CVSS_V3", "CVSS:3.0/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H"),)
    got = {a.ecosystem: (a.state, a.extra.get("reason")) for a in record.affected}
    assert got == {
        "Ubuntu:Pro:12.04": (AffectedState.WONT_FIX, "2020-03-24"),
        "Ubuntu:14.04": (AffectedState.WONT_FIX, "out of standard support"),
        "Ubuntu:Pro:14.04": (AffectedState.WONT_FIX, "2020-03-24"),
        "Ubuntu:16.04": (AffectedState.WONT_FIX, "2020-03-24"),
        "Ubuntu:18.04": (AffectedState.WONT_FIX, "2020-03-24"),
        "Ubuntu:19.04": (AffectedState.WONT_FIX, "reached end-of-life"),
        "Ubuntu:19.10": (AffectedState.WONT_FIX, "2020-03-24"),
        "Ubuntu:20.04": (AffectedState.WONT_FIX, "2020-03-24"),  # devel at the snapshot: focal
    }
    # a released line picked from the raw text
    path = next(f for f in sorted((data / "ubuntu-cve-tracker" / "active").glob("CVE-2019-*"))
                if re.search(r"^bionic_\S+: released \(", f.read_text(), re.M))  # fmt: skip
    package, version = re.search(r"^bionic_(\S+): released \(([^)]+)\)", path.read_text(), re.M).groups()  # type: ignore[union-attr]
    (affected,) = [a for a in by_id[path.name].affected if (a.ecosystem, a.name) == ("Ubuntu:18.04", package)]
    assert affected.ranges[0].events == (("introduced", "0"), ("fixed", version))


def test_release_mapping() -> None:
    assert ecosystem("bionic", None) == "Ubuntu:18.04"
    assert ecosystem("trusty/esm", None) == "Ubuntu:Pro:14.04"
    assert ecosystem("esm-infra/xenial", None) == "Ubuntu:Pro:16.04"
    assert ecosystem("esm-apps/focal", None) == "Ubuntu:Pro:20.04"
    assert ecosystem("trusty-esm", None) == "Ubuntu:Pro:14.04"
    assert ecosystem("devel", "groovy") == "Ubuntu:20.10"
    assert ecosystem("devel", None) is None
    assert ecosystem("vivid/ubuntu-core", None) is None
    assert ecosystem("product", None) is None
    assert devel_after(["trusty", "eoan", "precise/esm", "devel"]) == "focal"
    assert devel_after(["noble", "esm-apps/jammy"]) == "oracular"


UCT = """Candidate: CVE-2099-0001
PublicDate: 2099-01-02
References:
 https://example.org/1
Description:
 Something
 bad.
Priority: medium
Priority_bar: high
CVSS:
 nvd: CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H

Patches_foo:
upstream_foo: released (1.2)
jammy_foo: released (1.0-1ubuntu0.1)
jammy_bar: needed
noble_bar: pending (2.0-1)
devel_foo: not-affected (1.2-1)
this line is broken
mantic_foo: frobnicated
kinetic_foo: released
snap_foo: needed
lunar_foo: DNE
"""


def test_one_file_with_problems(tmp_path: Path) -> None:
    path = tmp_path / "CVE-2099-0001"
    path.write_text(UCT)
    (record,), problems = read(path)
    assert record.id == "CVE-2099-0001"
    assert record.details == "Something bad."
    assert record.published == "2099-01-02T00:00:00Z"
    got = [
        (a.ecosystem, a.name, a.state, a.severity, a.ranges[0].events if a.ranges else ())
        for a in record.affected
    ]
    assert got == [
        (
            "Ubuntu:22.04",
            "foo",
            AffectedState.AFFECTED,
            "medium",
            (("introduced", "0"), ("fixed", "1.0-1ubuntu0.1")),
        ),
        ("Ubuntu:22.04", "bar", AffectedState.UNFIXED, "high", (("introduced", "0"),)),
        ("Ubuntu:24.04", "bar", AffectedState.UNFIXED, "high", (("introduced", "0"),)),
        ("Ubuntu:24.10", "foo", AffectedState.NOT_AFFECTED, "medium", ()),  # devel after noble
    ]
    assert record.affected[2].extra == {"status": "pending", "pending": "2.0-1"}
    assert [(p.status, p.reason) for p in problems] == [
        (
            StatusKind.PARTIAL,
            "failed to parse UCT file: line 19: expected 'Field: value' or 'release_package: status'",
        ),
        (StatusKind.PARTIAL, "failed to parse UCT file: line 20: mantic_foo: unknown status 'frobnicated'"),
        (StatusKind.PARTIAL, "failed to parse UCT file: line 21: kinetic_foo: 'released' without a version"),
        (StatusKind.SKIPPED, "skipped 1 status lines of releases that are no Ubuntu version: snap"),
    ]


def test_directory_devel_from_boilerplate(tmp_path: Path) -> None:
    active = tmp_path / "active"
    active.mkdir()
    (active / "00boilerplate").write_text(
        "Candidate:\n#upstream_PKG:\n#focal_PKG:\n#jammy_PKG:\n#devel_PKG:\n"
    )
    (active / "CVE-2099-0002").write_text("Candidate: CVE-2099-0002\nPriority: low\n\ndevel_foo: needed\n")
    (active / "Makefile").write_text("include ../Makefile.include\n")
    assert UbuntuReader.detect(str(tmp_path))
    (record,), problems = read(tmp_path)
    assert problems == []
    assert [a.ecosystem for a in record.affected] == ["Ubuntu:22.10"]


@pytest.mark.parametrize("content", ["", "\x00\x01binary", "Candidate: CVE-1\n"])
def test_odd_files_do_not_raise(tmp_path: Path, content: str) -> None:
    path = tmp_path / "CVE-2099-0003"
    path.write_text(content)
    records, problems = read(path)
    assert len(records) == 1
    assert all(p.status is StatusKind.PARTIAL for p in problems)
