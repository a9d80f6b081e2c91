"""Debian security tracker DSA/DLA lists: counts from shared/data's README, records checked against the raw
text read here independently, and broken lines."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest

from stockade.model.advisory import Advisory, AffectedState
from stockade.model.status import Status, StatusKind
from stockade.vuln.feeds.debian import RELEASES, DebianReader


@functools.cache
def read(path: Path) -> tuple[list[Advisory], list[Status]]:
    problems: list[Status] = []
    records = [r for r in DebianReader().read(str(path), problems) if isinstance(r, Advisory)]
    return records, problems


def raw_blocks(path: Path) -> dict[str, list[str]]:
    """Advisory id → its indented lines, split by hand from the file."""
    blocks: dict[str, list[str]] = {}
    current: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("["):
            current = blocks.setdefault(line.split("] ", 1)[1].split()[0], [])
        elif line.strip():
            current.append(line.strip())
    return blocks


@pytest.mark.parametrize(
    ("name", "count", "source"), [("DSA", 5406, "debian-dsa"), ("DLA", 3534, "debian-dla")]
)
def test_counts_and_every_release_line(data: Path, name: str, count: int, source: str) -> None:
    path = data / "debian-security-tracker" / name / "list"
    assert DebianReader.detect(str(path))
    records, problems = read(path)
    assert problems == []
    assert len(records) == count
    assert {r.source for r in records} == {source}
    blocks = raw_blocks(path)
    assert [r.id for r in records] == list(blocks)
    for record in records:
        lines = blocks[record.id]
        assert len(record.affected) == sum(1 for line in lines if line.startswith("[")), record.id
        cves = [t for line in lines if line.startswith("{") for t in line.strip("{}").split()]
        assert list(record.aliases) == list(dict.fromkeys(cves)), record.id


def test_dsa_fixed_version_for_bullseye(data: Path) -> None:
    path = data / "debian-security-tracker" / "DSA" / "list"
    records, _ = read(path)
    by_id = {r.id: r for r in records}
    # an advisory picked from the raw text: the first DSA with a bullseye line
    blocks = raw_blocks(path)
    dsa, line = next((k, x) for k, v in blocks.items() for x in v if x.startswith("[bullseye]"))
    _, _, package, version = line.split(maxsplit=3)
    (affected,) = [a for a in by_id[dsa].affected if a.ecosystem == "Debian:11"]
    assert affected.name == package
    assert affected.state is AffectedState.AFFECTED
    assert affected.ranges[0].events == (("introduced", "0"), ("fixed", version))
    assert by_id["DSA-5380-1"].affected[0].ranges[0].events[1] == ("fixed", "2:1.20.11-1+deb11u6")
    assert by_id["DSA-5380-1"].published == "2023-03-29T00:00:00Z"


def test_states_and_notes(data: Path) -> None:
    path = data / "debian-security-tracker" / "DSA" / "list"
    records, _ = read(path)
    blocks = raw_blocks(path)
    states = {a.state for r in records for a in r.affected}
    assert states == {
        AffectedState.AFFECTED,
        AffectedState.NOT_AFFECTED,
        AffectedState.UNFIXED,
        AffectedState.WONT_FIX,
    }
    dsa = next(
        k for k, v in blocks.items() if "[lenny] - vlc <not-affected> (Vulnerable code not present)" in v
    )
    (vlc,) = [
        a
        for r in records
        if r.id == dsa
        for a in r.affected
        if (a.name, a.ecosystem) == ("vlc", "Debian:5.0")
    ]
    assert (vlc.ecosystem, vlc.state, vlc.ranges) == ("Debian:5.0", AffectedState.NOT_AFFECTED, ())
    assert vlc.extra["reason"] == "Vulnerable code not present"
    dsa = next(
        k
        for k, v in blocks.items()
        if any(x.endswith("(bug #322591; bug #334833; bug #336137; medium)") for x in v)
    )
    (awstats,) = [a for r in records if r.id == dsa for a in r.affected if a.ecosystem == "Debian:3.1"]
    assert awstats.severity == "medium"
    assert awstats.extra["bugs"] == ["322591", "334833", "336137"]
    woody = [a for r in records for a in r.affected if a.ecosystem == "Debian:3.0"]
    assert len(woody) == sum(1 for v in blocks.values() for x in v if x.startswith("[woody]"))
    assert any(r.extra.get("notes") for r in records)


def test_release_numbers() -> None:
    names = ("woody", "squeeze", "wheezy", "bookworm", "trixie")
    assert [RELEASES[n] for n in names] == ["3.0", "6.0", "7", "12", "13"]


WHAT = "failed to parse Debian advisory list: "


def test_broken_lines_are_reported_and_reading_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "list"
    path.write_text(
        "[02 Jan 2023] DSA-9999-1 foo - security update\n"
        "\t{CVE-2023-0001}\n"
        "\t[bullseye] - foo 1.0-1+deb11u1\n"
        "\t[sid] - foo 1.0-2\n"
        "\tthis is not a tracker line\n"
        "\t[buster] - foo <no-dsa> (Minor issue)\n"
        "\t[buster] - bar <weird>\n"
        "[01 Jan 2023] DSA-9998-1 bar - security update\n"
        "\t[bookworm] - bar <unfixed>\n"
    )
    problems: list[Status] = []
    records = list(DebianReader().read(str(path), problems))
    assert [r.id for r in records if isinstance(r, Advisory)] == ["DSA-9999-1", "DSA-9998-1"]
    first = records[0]
    assert isinstance(first, Advisory)
    assert [(a.ecosystem, a.state) for a in first.affected] == [
        ("Debian:11", AffectedState.AFFECTED), ("Debian:10", AffectedState.WONT_FIX)
    ]  # fmt: skip
    assert first.affected[1].extra == {"status": "no-dsa", "reason": "Minor issue"}
    assert [(p.status, p.reason) for p in problems] == [
        (StatusKind.PARTIAL, f"{WHAT}line 4: unknown release 'sid'"),
        (StatusKind.PARTIAL, f"{WHAT}line 5: expected '[release] - package version' or '{{CVE-...}}'"),
        (StatusKind.PARTIAL, f"{WHAT}line 7: unknown state '<weird>'"),
    ]  # fmt: skip
    assert all(p.path == str(path) for p in problems)


def test_text_before_the_first_advisory(tmp_path: Path) -> None:
    path = tmp_path / "list"
    path.write_text("garbage\n[02 Jan 2023] DLA-1-1 foo - x\n\t[buster] - foo 1\n")
    assert not DebianReader.detect(str(path))
    problems: list[Status] = []
    records = list(DebianReader().read(str(path), problems))
    assert len(records) == 1
    assert re.search(r"line 1: expected '\[date\] DSA-n", problems[0].reason)
