"""``stockade inventory`` end to end: scans recorded by ``stockade rootfs``, listed and shown."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from stockade.cli.main import main
from stockade.store.sqlite import SqliteStore


def stockade(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    out, err = capsys.readouterr()
    code = info.value.code
    assert isinstance(code, int)
    return code, out, err


@pytest.fixture
def inventory_db(rootfs: Path, db: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """Two real scans of the rootfs, recorded by the CLI; returns their ids, oldest first."""
    for _ in range(2):
        code, _, err = stockade(capsys, "rootfs", str(rootfs), "--db", str(db), "-q", "-f", "json")
        assert code == 0, err
    with SqliteStore(str(db)) as store:
        [workload] = store.workloads()
        ids = [r[0] for r in store.conn.execute("SELECT scan_id FROM scans ORDER BY id")]
    assert workload.last_scan_id == ids[-1]
    return {"workload": workload, "ids": ids}


def test_list_table(inventory_db: dict[str, Any], db: Path, rootfs: Path, capsys: Any) -> None:
    code, out, err = stockade(capsys, "inventory", "--db", str(db))
    assert (code, err) == (0, "")
    header, _, *body = out.splitlines()
    assert [c.strip() for c in header.split("┃")] == [
        "kind",
        "name",
        "last scanned",
        "scans",
        "packages",
        "findings",
        "coverage notes",
        "target id",
    ]
    cells = [""] * 8
    for line in body:  # long cells fold onto continuation lines
        cells = [a + b.strip() for a, b in zip(cells, line.split("│"), strict=True)]
    w = inventory_db["workload"]
    assert cells == [
        "rootfs",
        str(rootfs),
        w.last_scanned.isoformat(),
        "2",
        "8",
        "0",
        str(w.problems),
        w.target_id,
    ]
    assert w.problems > 0


def test_list_json_and_environment(
    inventory_db: dict[str, Any], db: Path, capsys: Any, monkeypatch: Any
) -> None:
    monkeypatch.setenv("STOCKADE_DB", str(db))
    code, out, _ = stockade(capsys, "inventory", "-f", "json")
    assert code == 0
    assert json.loads(out) == {"workloads": [inventory_db["workload"].to_dict()]}


def test_show_table(inventory_db: dict[str, Any], db: Path, rootfs: Path, capsys: Any) -> None:
    code, out, err = stockade(capsys, "inventory", "--db", str(db), "show", str(rootfs))
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert (
        lines[0].startswith(f"scan {inventory_db['ids'][-1]}, finished ") and "(the latest of 2)" in lines[0]
    )
    assert lines[1] == f"rootfs: {rootfs}"
    assert lines[2] == "operating system: Debian GNU/Linux 12 (bookworm)"
    rows = {tuple(c.strip() for c in line.split("│")[:3]) for line in lines if "│" in line}
    assert {
        ("bash", "5.2.15-2+b8", "deb"),
        ("zlib1g", "1:1.2.13.dfsg-1", "deb"),
        ("click", "8.5.1", "pypi"),
    } <= rows


SHOW_JSON = [
    (
        "target id, --db after show",
        lambda w, ids: ["inventory", "show", w.target_id, "-f", "json", "--db"],
        -1,
    ),
    ("inherited format", lambda w, ids: ["inventory", "-f", "json", "show", w.target_id, "--db"], -1),
    ("older scan id prefix", lambda w, ids: ["inventory", "show", ids[0][:8], "-f", "json", "--db"], 0),
    ("latest scan id", lambda w, ids: ["inventory", "show", ids[1], "-f", "json", "--db"], 1),
]


@pytest.mark.parametrize(("case", "argv", "which"), SHOW_JSON, ids=[c[0] for c in SHOW_JSON])
def test_show_json(
    inventory_db: dict[str, Any], db: Path, capsys: Any, case: str, argv: Any, which: int
) -> None:
    code, out, _ = stockade(capsys, *argv(inventory_db["workload"], inventory_db["ids"]), str(db))
    assert code == 0
    doc = json.loads(out)
    assert doc["scan"]["id"] == inventory_db["ids"][which]
    with SqliteStore(str(db)) as store:
        assert doc == store.result(inventory_db["ids"][which])


def test_show_older_scan_table_says_so(inventory_db: dict[str, Any], db: Path, capsys: Any) -> None:
    old, latest = inventory_db["ids"]
    code, out, _ = stockade(capsys, "inventory", "--db", str(db), "show", old)
    assert code == 0
    assert out.splitlines()[0].endswith(f"(latest: {latest} of 2)")


ERRORS = [
    ("unknown id", "nope", 2, "no recorded workload or scan matches 'nope'"),
    ("short prefix", "abc", 2, "no recorded workload or scan matches 'abc'"),
]


@pytest.mark.parametrize(("case", "ident", "exit_code", "message"), ERRORS, ids=[c[0] for c in ERRORS])
def test_show_unknown(
    inventory_db: dict[str, Any], db: Path, capsys: Any, case: str, ident: str, exit_code: int, message: str
) -> None:
    code, out, err = stockade(capsys, "inventory", "--db", str(db), "show", ident)
    assert (code, out) == (exit_code, "")
    lines = err.splitlines()
    assert lines[0] == f"stockade: error: {message}"
    assert len(lines) == 2 and lines[1].startswith("hint: ")


def test_missing_database_is_not_created(tmp_path: Path, capsys: Any) -> None:
    db = tmp_path / "none" / "x.db"
    code, out, _ = stockade(capsys, "inventory", "--db", str(db))
    assert code == 0 and out.startswith("no workloads recorded yet")
    code, _, err = stockade(capsys, "inventory", "--db", str(db), "-f", "json")
    assert code == 0
    code, _, err = stockade(capsys, "inventory", "--db", str(db), "show", "x")
    assert code == 2 and f"no inventory at {db} yet" in err
    assert not (tmp_path / "none").exists()


def test_not_a_database(tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "x.db"
    path.write_text("hello\n" * 100)
    for argv in (["inventory", "--db", str(path)], ["inventory", "--db", str(path), "show", "x"]):
        code, out, err = stockade(capsys, *argv)
        assert (code, out) == (3, "")
        assert err.splitlines()[0] == f"stockade: error: {path}: not a SQLite database"
        assert "Traceback" not in err
    assert path.read_text() == "hello\n" * 100


def test_real_entry_point(inventory_db: dict[str, Any], db: Path) -> None:
    base = [sys.executable, "-m", "stockade.cli.main", "inventory", "--db", str(db)]
    ok = subprocess.run([*base, "-f", "json"], capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0 and json.loads(ok.stdout)["workloads"][0]["scans"] == 2
    bad = subprocess.run([*base, "show", "no-such-workload"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and bad.stdout == ""
    assert (
        bad.stderr.splitlines()[0]
        == "stockade: error: no recorded workload or scan matches 'no-such-workload'"
    )
