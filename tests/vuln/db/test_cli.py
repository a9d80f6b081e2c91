"""`stockade db import|update|status` as a user runs them (a fresh interpreter each time)."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from stockade.model.advisory import EpssScore, KevEntry
from stockade.vuln.dbbuild import SourceSpec, build, write_lock
from tests.conftest import SHARED, run_cli
from tests.vuln.db.conftest import needs_readers
from tests.vuln.db.helpers import FakeReader, Served, adv, serve

DATA = SHARED / "data"


def cli(db: Path, *args: str) -> tuple[int, str, str]:
    done = run_cli(*args, env={"STOCKADE_ADVISORY_DB": str(db)})
    return done.returncode, done.stdout, done.stderr


def test_help_lists_the_commands() -> None:
    done = run_cli("db", "--help")
    assert done.returncode == 0
    for word in ("import", "update", "status"):
        assert f"stockade db {word}" in done.stdout


def test_import_of_a_missing_path_is_one_line_and_exit_2(db_path: Path, tmp_path: Path) -> None:
    code, out, err = cli(db_path, "db", "import", str(tmp_path / "nope"))
    assert code == 2
    assert err.splitlines()[0] == f"stockade: error: {tmp_path / 'nope'}: no such file or directory"
    assert "Traceback" not in err and out == ""
    assert not db_path.exists()


def test_status_without_a_database_says_how_to_create_one(db_path: Path) -> None:
    code, out, err = cli(db_path, "db", "status")
    assert code == 2 and out == ""
    assert err.splitlines() == [
        f"stockade: error: no advisory database at {db_path}",
        "hint: create it with `stockade db update` (downloads OSV, CISA KEV and EPSS) or, offline, "
        "`stockade db import PATH`",
    ]
    code, out, _ = cli(db_path, "db", "status", "--json")
    assert code == 2 and json.loads(out) == {"path": str(db_path), "exists": False}


def test_status_shows_sources_counts_and_age(db_path: Path, tmp_path: Path) -> None:
    three_days_ago = datetime.now(UTC) - timedelta(days=3, minutes=5)
    read = FakeReader(
        {
            "a": [
                ("osv", adv("PYSEC-1", ("PyPI", "x"), modified="2024-04-01T00:00:00Z")),
                ("osv", adv("GO-1", ("Go", "y"), withdrawn="2024-01-01")),
            ],
            "k": [("kev", KevEntry("CVE-1", date_added="2025-08-25"))],
            "e": [("epss", EpssScore("CVE-1", 0.5, 0.9, "2025-08-01"))],
        }
    )
    specs = [SourceSpec(n, f"/feeds/{n}", n) for n in "ake"]
    build(str(db_path), specs, read=read, clock=lambda: three_days_ago)
    other = tmp_path / "other.db"  # --advisory-db wins over the environment
    code, out, err = cli(other, "db", "status", "--advisory-db", str(db_path))
    assert code == 0, err
    assert f"advisory database {db_path}" in out
    assert "(3 days ago)" in out
    assert "advisories 2 (1 withdrawn)" in out
    assert "by ecosystem: Go 1, PyPI 1" in out
    assert "CISA KEV: 1 entries, catalog version unknown, newest added 2025-08-25" in out
    assert "EPSS: 1 scores, score date 2025-08-01" in out
    for name in ("/feeds/a", "/feeds/k", "/feeds/e"):
        assert name in out
    code, out, _ = cli(db_path, "db", "status", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["exists"] is True
    assert 3 * 86400 <= doc["age_seconds"] < 3 * 86400 + 3600
    assert (doc["advisories"], doc["withdrawn"], doc["kev"]["count"], doc["epss"]["count"]) == (2, 1, 1, 1)
    assert [s["name"] for s in doc["sources"]] == ["a", "e", "k"]
    assert doc["sources"][0]["newest_modified"] == "2024-04-01T00:00:00Z"


def test_a_running_import_makes_the_second_fail_clearly(db_path: Path, tmp_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    with write_lock(str(db_path)):
        code, _, err = cli(db_path, "db", "import", str(tmp_path))
    assert code == 3
    assert "is writing the advisory database" in err.splitlines()[0]
    assert err.splitlines()[1] == "hint: wait for it to finish, or give --wait SECONDS to wait for it"


@needs_readers
def test_import_real_feeds_summary_and_json(db_path: Path) -> None:
    go, kev = DATA / "osv-go", DATA / "cisa-kev"
    code, out, err = cli(db_path, "db", "import", str(go), str(kev))
    assert code == 0, err
    # a source is named by its real path (the same data through a symlink is the same source)
    assert f"{go.resolve()} (new)" in out and f"{kev.resolve()} (new)" in out
    assert "4,291 advisories (17 withdrawn)" in out
    code, out, err = cli(db_path, "db", "import", "--json", str(go))
    doc = json.loads(out)
    assert code == 0 and doc["imported"] is True
    [source] = doc["sources"]
    assert (source["name"], source["advisories"], source["withdrawn"], source["replaced"]) == (
        str(go.resolve()),
        4291,
        17,
        True,
    )
    code, out, _ = cli(db_path, "db", "status", "--json")
    doc = json.loads(out)
    assert doc["advisories"] == 4291 and doc["kev"]["catalog_version"] == "2025.08.25"


@needs_readers
def test_import_of_a_path_without_feeds_exits_2_and_lists_problems(db_path: Path, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("nothing to see\n")
    code, out, err = cli(db_path, "db", "import", str(tmp_path / "notes.txt"))
    assert code == 2
    assert "nothing was imported" in err.splitlines()[0]
    assert "problems (" in out
    assert not db_path.exists()


@needs_readers
def test_update_through_the_cli(db_path: Path) -> None:
    import io
    import zipfile

    body = io.BytesIO()
    with zipfile.ZipFile(body, "w") as zf:
        for path in sorted((DATA / "osv-go" / "osv").glob("GO-2022-*.json")):
            zf.write(path, path.name)
    epss = gzip.compress((DATA / "epss" / "epss_kev_nvd.csv").read_bytes())
    server = serve({"/Go/all.zip": Served(body.getvalue()), "/epss.gz": Served(epss)})
    try:
        code, out, err = cli(
            db_path,
            "db",
            "update",
            "--mirror",
            server.url,
            "-e",
            "Go",
            "--no-kev",
            "--epss-url",
            server.url + "/epss.gz",
        )
    finally:
        server.close()
    assert code == 0, err
    assert f"downloaded {server.url}/Go/all.zip" in out and "md5 verified" in out


@pytest.mark.parametrize("flag", ["--json", ""])
def test_update_404_is_one_line(db_path: Path, flag: str) -> None:
    server = serve({})
    try:
        args = ["db", "update", "--mirror", server.url, "-e", "PyPI", "--no-kev", "--no-epss"]
        code, out, err = cli(db_path, *args, *([flag] if flag else []))
    finally:
        server.close()
    assert code == 3 and out == ""
    assert err.splitlines()[0] == f"stockade: error: {server.url}/PyPI/all.zip: not found (HTTP 404)"
    assert not db_path.exists()


@needs_readers
def test_problems_are_capped_unless_verbose(db_path: Path, tmp_path: Path) -> None:
    feed = tmp_path / "feed"
    feed.mkdir()
    (feed / "GO-2020-0001.json").write_bytes((DATA / "osv-go" / "osv" / "GO-2020-0001.json").read_bytes())
    for i in range(25):
        (feed / f"GO-9999-{i:04d}.json").write_text('{"id": "GO-9999", "affected": [')
    code, out, err = cli(db_path, "db", "import", str(feed))
    assert code == 0, err
    assert "problems (25):" in out
    assert out.count("GO-9999-") == 20
    assert "... and 5 more (--verbose lists every one)" in out
    code, out, err = cli(db_path, "db", "import", "--verbose", str(feed))
    assert code == 0 and out.count("GO-9999-") == 25 and "more (--verbose" not in out
    code, out, err = cli(db_path, "db", "import", "--json", str(feed))
    assert len(json.loads(out)["sources"][0]["problems"]) == 25


def test_a_database_path_under_a_file_is_one_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = cli(blocker / "advisories.db", "db", "import", str(tmp_path))
    assert code == 3
    assert err.splitlines()[0].startswith(
        f"stockade: error: {blocker}: cannot create the advisory database directory"
    )
