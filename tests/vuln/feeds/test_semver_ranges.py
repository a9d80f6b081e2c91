"""node-semver ranges → OSV SEMVER events: the desugaring table, the interval algebra, and a cross-check
against node-semver itself (the copy npm bundles) on every range of the Node.js security WG data."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from stockade.model.advisory import RangeType
from stockade.vuln.feeds import semver_ranges as sr

# (range, expected OSV events, one tuple per range); expectations from node-semver's README
CASES: list[tuple[str, list[tuple[tuple[str, str], ...]]]] = [
    ("<1.2.3", [(("introduced", "0"), ("fixed", "1.2.3"))]),
    ("<=1.2.3", [(("introduced", "0"), ("last_affected", "1.2.3"))]),
    (">=1.2.3", [(("introduced", "1.2.3"),)]),
    (">1.2.3", [(("introduced", "1.2.4-0"),)]),
    (">1.2.3-beta", [(("introduced", "1.2.3-beta.0"),)]),
    ("=1.2.3", [(("introduced", "1.2.3"), ("last_affected", "1.2.3"))]),
    ("1.2.3", [(("introduced", "1.2.3"), ("last_affected", "1.2.3"))]),
    ("v1.2.3", [(("introduced", "1.2.3"), ("last_affected", "1.2.3"))]),
    (">=1 <2", [(("introduced", "1.0.0"), ("fixed", "2.0.0-0"))]),
    ("< 3.1.3  || >= 4.0.0 <4.1.1",
     [(("introduced", "0"), ("fixed", "3.1.3")), (("introduced", "4.0.0"), ("fixed", "4.1.1"))]),
    ("*", [(("introduced", "0"),)]),
    ("", [(("introduced", "0"),)]),
    ("x", [(("introduced", "0"),)]),
    ("1.x", [(("introduced", "1.0.0"), ("fixed", "2.0.0-0"))]),
    ("1.2.x", [(("introduced", "1.2.0"), ("fixed", "1.3.0-0"))]),
    ("1.2.*", [(("introduced", "1.2.0"), ("fixed", "1.3.0-0"))]),
    ("1.2", [(("introduced", "1.2.0"), ("fixed", "1.3.0-0"))]),
    ("<1.2", [(("introduced", "0"), ("fixed", "1.2.0-0"))]),
    ("<=1.2", [(("introduced", "0"), ("fixed", "1.3.0-0"))]),
    (">1.2", [(("introduced", "1.3.0-0"),)]),
    (">=1.2", [(("introduced", "1.2.0"),)]),
    (">= 1.x", [(("introduced", "1.0.0"),)]),
    ("~1.2.3", [(("introduced", "1.2.3"), ("fixed", "1.3.0-0"))]),
    ("~1.2", [(("introduced", "1.2.0"), ("fixed", "1.3.0-0"))]),
    ("~1", [(("introduced", "1.0.0"), ("fixed", "2.0.0-0"))]),
    ("~>1.2.3", [(("introduced", "1.2.3"), ("fixed", "1.3.0-0"))]),
    ("~0.8.0-pre", [(("introduced", "0.8.0-pre"), ("fixed", "0.9.0-0"))]),
    ("^1.2.3", [(("introduced", "1.2.3"), ("fixed", "2.0.0-0"))]),
    ("^0.2.3", [(("introduced", "0.2.3"), ("fixed", "0.3.0-0"))]),
    ("^0.0.3", [(("introduced", "0.0.3"), ("fixed", "0.0.4-0"))]),
    ("^1.2.x", [(("introduced", "1.2.0"), ("fixed", "2.0.0-0"))]),
    ("^0.0.x", [(("introduced", "0.0.0"), ("fixed", "0.1.0-0"))]),
    ("^0.0", [(("introduced", "0.0.0"), ("fixed", "0.1.0-0"))]),
    ("^1.x", [(("introduced", "1.0.0"), ("fixed", "2.0.0-0"))]),
    ("^0.x", [(("introduced", "0.0.0"), ("fixed", "1.0.0-0"))]),
    ("1.2.3 - 2.3.4", [(("introduced", "1.2.3"), ("last_affected", "2.3.4"))]),
    ("1.2 - 2.3.4", [(("introduced", "1.2.0"), ("last_affected", "2.3.4"))]),
    ("1.2.3 - 2.3", [(("introduced", "1.2.3"), ("fixed", "2.4.0-0"))]),
    ("1.2.3 - 2", [(("introduced", "1.2.3"), ("fixed", "3.0.0-0"))]),
    # unions are merged: overlapping, adjacent, contained
    ("<2.0.1 || <1.1.7", [(("introduced", "0"), ("fixed", "2.0.1"))]),
    (">= 5.2.1 <= 6.0.0 || >=6.0.0 <= 6.0.2", [(("introduced", "5.2.1"), ("last_affected", "6.0.2"))]),
    (">=1.0.0 <2.0.0 || >=2.0.0 <3.0.0", [(("introduced", "1.0.0"), ("fixed", "3.0.0"))]),
    ("<=1.2.3 || >1.2.3 <2.0.0", [(("introduced", "0"), ("fixed", "2.0.0"))]),
    # 2.0.0's prereleases lie between <2 (<2.0.0-0) and >=2.0.0: not merged
    (">=1 <2 || >=2.0.0 <3.0.0",
     [(("introduced", "1.0.0"), ("fixed", "2.0.0-0")), (("introduced", "2.0.0"), ("fixed", "3.0.0"))]),
    ("<1.6.5 || < 2.1.7 > 2.0.0",
     [(("introduced", "0"), ("fixed", "1.6.5")), (("introduced", "2.0.1-0"), ("fixed", "2.1.7"))]),
    (">*", []),
    ("<0.0.0", [(("introduced", "0"), ("fixed", "0.0.0"))]),
    (">=2 <1", []),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] or "empty" for c in CASES])
def test_desugaring(text: str, expected: list[tuple[tuple[str, str], ...]]) -> None:
    ranges = sr.to_ranges(sr.parse(text))
    assert [r.events for r in ranges] == expected
    assert all(r.type is RangeType.SEMVER for r in ranges)


@pytest.mark.parametrize("text", ["abc", "1.2.3.4", ">=", "1.2.3 ||| 2", "^", "~ 1.2.q", ">=1.2.3 <x.y.z.w"])
def test_not_a_range(text: str) -> None:
    with pytest.raises(sr.RangeSyntaxError):
        sr.parse(text)


def test_difference_keeps_what_is_vulnerable_and_not_patched() -> None:
    # NSWG's own example of an overlapping union whose intent only the patched side states
    ranges = sr.convert("<2.0.1 || <1.1.7", "^1.1.7 || >= 2.0.1")
    assert [r.events for r in ranges] == [
        (("introduced", "0"), ("fixed", "1.1.7")),
        (("introduced", "2.0.0-0"), ("fixed", "2.0.1")),
    ]
    assert [r.events for r in sr.convert("<=1.5.1", ">=1.5.2")] == [
        (("introduced", "0"), ("last_affected", "1.5.1"))
    ]
    assert sr.convert("*", "*") == ()
    assert [r.events for r in sr.convert("<3", "<0.0.0")] == [(("introduced", "0.0.0"), ("fixed", "3.0.0-0"))]


def _exclusive(intervals: list[sr.Interval]) -> list[sr.Interval]:
    """The same sets with every inclusive end written as the exclusive end after it."""
    return [
        sr.Interval(i.lower, i.upper.successor(), False) if i.upper is not None and i.upper_inclusive else i
        for i in intervals
    ]


def test_complement_round_trip() -> None:
    for text in ("<1.2.3 || >=2 <=3.1.4 || >5", "*", ">=1.0.0", "<=1.0.0", ">*"):
        parsed = sr.parse(text)
        assert _exclusive(sr.complement(sr.complement(parsed))) == _exclusive(parsed)
        assert sr.union(parsed + sr.complement(parsed)) == [sr.ANY]


def test_precedence() -> None:
    order = ["1.0.0-0", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
             "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1-0", "1.0.1", "1.1.0", "2.0.0"]  # fmt: skip
    parsed = [sr.parse(v)[0].lower for v in order]
    assert all(p is not None for p in parsed)
    assert [p.key for p in parsed if p] == sorted(p.key for p in parsed if p)  # semver.org §11 example


# --- the cross-check against node-semver ---------------------------------------------------------------

_NODE_CHECK = r"""
const semver = require(process.argv[1]);
const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = [];
for (const c of cases) {
  for (const v of c.versions) {
    let expected = semver.satisfies(v, c.range);
    if (c.patched) expected = expected && !semver.satisfies(v, c.patched);
    let actual = false;
    for (const ev of c.ranges) {
      const lo = ev[0][1] === '0' || semver.gte(v, ev[0][1]);
      let hi = true;
      if (ev.length > 1) hi = ev[1][0] === 'fixed' ? semver.lt(v, ev[1][1]) : semver.lte(v, ev[1][1]);
      if (lo && hi) actual = true;
    }
    if (expected !== actual) out.push([c.range, c.patched, v, expected, actual]);
  }
}
process.stdout.write(JSON.stringify(out));
"""


def _node_semver() -> tuple[str, str]:
    node = shutil.which("node")
    npm = shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node/npm not installed: cannot cross-check against node-semver")
    root = subprocess.run([npm, "root", "-g"], capture_output=True, text=True, check=False).stdout.strip()
    for candidate in (Path(root) / "semver", Path(root) / "npm" / "node_modules" / "semver"):
        if (candidate / "package.json").is_file():
            return node, str(candidate)
    pytest.skip(f"node-semver not found under {root}")


def _grid(texts: list[str]) -> list[str]:
    """Release versions around every number the ranges mention (node-semver leaves prereleases out of
    a range unless a comparator names one, which OSV does not model: see semver_ranges)."""
    out = {"0.0.0", "0.0.1", "0.1.0", "1.0.0", "99.0.0"}
    for text in texts:
        for m in re.finditer(r"(\d+)(?:\.(\d+))?(?:\.(\d+))?", text):
            a, b, c = int(m[1]), int(m[2] or 0), int(m[3] or 0)
            for x, y, z in ((a, b, c), (a, b, c + 1), (a, b + 1, 0), (a + 1, 0, 0), (a, b, max(c - 1, 0)),
                            (a, max(b - 1, 0), 99)):  # fmt: skip
                out.add(f"{x}.{y}.{z}")
    return sorted(out)


def _cross_check(cases: list[tuple[str, str | None]]) -> list[list[object]]:
    node, module = _node_semver()
    payload = []
    for vulnerable, patched in cases:
        ranges = sr.convert(vulnerable, patched)
        payload.append({
            "range": vulnerable, "patched": patched, "versions": _grid([vulnerable, patched or ""]),
            "ranges": [list(r.events) for r in ranges],
        })  # fmt: skip
    proc = subprocess.run(
        [node, "-e", _NODE_CHECK, module],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result: list[list[object]] = json.loads(proc.stdout)
    return result


def test_table_agrees_with_node_semver() -> None:
    cases: list[tuple[str, str | None]] = [(text, None) for text, _ in CASES if text not in (">*",)]
    assert _cross_check(cases) == []


def test_nswg_ranges_agree_with_node_semver(data: Path) -> None:
    cases: list[tuple[str, str | None]] = []
    for path in sorted((data / "npm-nodejs-security-wg" / "vuln" / "npm").glob("[0-9]*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        cases.append((doc["vulnerable_versions"], None))
        cases.append((doc["vulnerable_versions"], doc.get("patched_versions")))
    assert len(cases) == 2 * 467
    assert _cross_check(cases) == []
