"""Must-show: a real Debian root filesystem is matched through its source packages against the real
Debian security tracker DSA/DLA lists in ../shared/data.

The check is independent of stockade's Debian reader, matcher and dpkg version scheme: the raw list
text is read with a few regular expressions here and versions are compared by this machine's own
``dpkg --compare-versions``.

- Debian 11 (bullseye, ``debootstrap --variant=minbase`` from the Debian mirror): the newest release
  the snapshot covers.  The mirror's bullseye is its final point release, which carries every fix of
  the snapshot (it ends in March 2023), so the expected result is *no* vulnerabilities after 17
  advisory lines were evaluated against 10 installed source packages — and that is what must come out.
- The same dpkg database with the three source packages that had several bullseye DSAs (openssl,
  gnutls28, zlib) set back to their *first* security update, a version Debian really shipped (the
  fixed version of their earliest DSA): a system that stopped updating there.  The later DSAs must
  match, through the source package, on the binary packages built from it (``libssl1.1``,
  ``libgnutls30``, ``zlib1g``).
- This machine's own dpkg database (Debian 12): the snapshot has no Debian 12 data, and the result must
  say so rather than report zero vulnerabilities silently.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_cli
from tests.vuln.match.bullseye import bullseye_rootfs
from tests.vuln.match.conftest import DATA, needs_data

pytestmark = [needs_data, pytest.mark.skipif(shutil.which("dpkg") is None, reason="dpkg is not installed")]

_HEADER = re.compile(r"^\[[^\]]+\]\s+(D[SL]A-\d+(?:-\d+)?)\b")
_LINE = re.compile(r"^\s+\[(?P<release>[a-z]+)\]\s+-\s+(?P<source>\S+)\s+(?P<version>\S+)")
_FIELD = re.compile(r"^([A-Za-z][A-Za-z0-9-]*):\s*(.*)$", re.MULTILINE)


def tracker_lines(release: str) -> dict[str, list[tuple[str, str]]]:
    """source package → ``[(advisory id, fixed version or <state>)]`` for one release, from the raw lists."""
    out: dict[str, list[tuple[str, str]]] = {}
    for name in ("DSA", "DLA"):
        current = None
        for line in (
            (DATA / "debian-security-tracker" / name / "list").read_text(errors="replace").splitlines()
        ):
            header = _HEADER.match(line)
            if header:
                current = header.group(1)
                continue
            m = _LINE.match(line)
            if m and current and m["release"] == release:
                out.setdefault(m["source"], []).append((current, m["version"]))
    return out


def dpkg_lt(a: str, b: str) -> bool:
    return subprocess.run(["dpkg", "--compare-versions", a, "lt", b], check=False).returncode == 0


def paragraphs(status: str) -> list[dict[str, str]]:
    return [dict(_FIELD.findall(p)) for p in status.split("\n\n") if "Package:" in p]


def source_of(fields: dict[str, str]) -> tuple[str, str]:
    src = fields.get("Source", "").split()
    name = src[0] if src else fields["Package"]
    version = src[1].strip("()") if len(src) > 1 else fields["Version"]
    return name, version


def expected(status: str, release: str) -> tuple[set[tuple[str, str]], int]:
    """``(binary package, advisory id)`` pairs the raw lists say are vulnerable, and how many advisory
    lines were evaluated against installed source packages."""
    lines = tracker_lines(release)
    out: set[tuple[str, str]] = set()
    evaluated = 0
    for fields in paragraphs(status):
        if "not-installed" in fields.get("Status", ""):
            continue
        source, version = source_of(fields)
        for advisory, fixed in lines.get(source, ()):
            evaluated += 1
            if fixed == "<not-affected>":
                continue
            if fixed.startswith("<") or dpkg_lt(version, fixed):
                out.add((fields["Package"], advisory))
    return out, evaluated


def scan(root: Path, db: Path, tmp_path: Path) -> dict[str, Any]:
    proc = run_cli("rootfs", str(root), "--advisory-db", str(db), "--format", "json", "-q",
                   env={"STOCKADE_DB": str(tmp_path / "inventory.db")})  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    doc: dict[str, Any] = json.loads(proc.stdout)
    return doc


def matched(doc: dict[str, Any]) -> set[tuple[str, str]]:
    vulns = [f for f in doc["findings"] if f["kind"] == "vulnerability"]
    return {(f["package"]["name"], a["id"]) for f in vulns for a in f["advisories"]}


@pytest.fixture(scope="module")
def bullseye() -> Path:
    try:
        return bullseye_rootfs()
    except RuntimeError as exc:
        pytest.skip(f"no Debian 11 rootfs: {exc}")


def small_rootfs(tmp_path: Path, os_release: Path, status: str) -> Path:
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "var/lib/dpkg").mkdir(parents=True)
    shutil.copy(os_release, root / "etc/os-release")
    (root / "var/lib/dpkg/status").write_text(status, encoding="utf-8")
    return root


@pytest.mark.slow
def test_debian_11_up_to_date_has_none(bullseye: Path, real_debian_db: Path, tmp_path: Path) -> None:
    status = (bullseye / "var/lib/dpkg/status").read_text()
    want, evaluated = expected(status, "bullseye")
    doc = scan(bullseye, real_debian_db, tmp_path)
    assert evaluated >= 10 and want == set() == matched(doc)
    [ok] = [s for s in doc["statuses"] if s["plugin"] == "vuln/match" and s["status"] == "ok"]
    n = len(doc["inventory"]["packages"])
    assert ok["reason"] == f"{n} of {n} packages checked: 0 vulnerabilities in 0 packages"


def set_back(status: str) -> tuple[str, set[str]]:
    """The status with every package of a source that had several bullseye DSAs set to the version its
    first DSA fixed (binary and source version equal, as for these packages)."""
    first: dict[str, str] = {}
    for source, found in tracker_lines("bullseye").items():
        versions = [v for _, v in found if not v.startswith("<")]
        if len(versions) >= 2:
            earliest = versions[0]
            for v in versions[1:]:
                if dpkg_lt(v, earliest):
                    earliest = v
            first[source] = earliest
    out, changed = [], set()
    for block in status.split("\n\n"):
        fields = dict(_FIELD.findall(block)) if "Package:" in block else {}
        if fields:
            source, version = source_of(fields)
            if source in first and version == fields["Version"]:
                block = re.sub(
                    r"^Version: .*$", f"Version: {first[source]}", block, count=1, flags=re.MULTILINE
                )
                changed.add(source)
        out.append(block)
    return "\n\n".join(out), changed


@pytest.mark.slow
def test_debian_11_set_back_matches_through_source_packages(
    bullseye: Path, real_debian_db: Path, tmp_path: Path
) -> None:
    status, changed = set_back((bullseye / "var/lib/dpkg/status").read_text())
    assert changed == {"openssl", "gnutls28", "zlib"}
    root = small_rootfs(tmp_path, bullseye / "etc/os-release", status)
    want, _ = expected(status, "bullseye")
    doc = scan(root, real_debian_db, tmp_path)
    assert matched(doc) == want
    assert {name for name, _ in want} == {"libssl1.1", "libgnutls30", "zlib1g"}  # binaries of other names
    assert {"DSA-5343-1", "DSA-5139-1"} <= {a for _, a in want}
    for f in doc["findings"]:
        assert f["id"].startswith("CVE-") and f["ecosystem"] == "Debian:11"
        assert f["package"]["source"]["name"] in changed
        assert f["fix_state"] == "fixed" and f["fixed_versions"]
        assert all(dpkg_lt(f["package"]["source"]["version"], v) for v in f["fixed_versions"])
        assert set(f["aliases"]) >= {a["id"] for a in f["advisories"]}  # the DSA ids are aliases of the CVE


def test_this_machines_debian_12_is_said_to_be_not_covered(real_debian_db: Path, tmp_path: Path) -> None:
    status_file, os_release = Path("/var/lib/dpkg/status"), Path("/etc/os-release")
    if not status_file.is_file() or "ID=debian" not in os_release.read_text(errors="replace"):
        pytest.skip("this machine is not a Debian system with a dpkg database")
    status = status_file.read_text(errors="replace")
    root = small_rootfs(tmp_path, os_release, status)
    doc = scan(root, real_debian_db, tmp_path)
    release = re.search(r'^VERSION_ID="?(\d+)', os_release.read_text(), re.MULTILINE)
    assert release is not None
    if int(release.group(1)) <= 11:
        pytest.skip("this machine runs a release the snapshot covers")
    assert doc["findings"] == []
    notes = [s["reason"] for s in doc["statuses"] if s["plugin"] == "vuln/match" and s["status"] == "skipped"]
    assert any(
        f"no advisories for Debian:{release.group(1)}, the scanned system's release" in n for n in notes
    )
