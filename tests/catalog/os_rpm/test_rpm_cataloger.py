"""The rpm cataloger against real databases of every backend, compared with what rpm itself lists."""

from __future__ import annotations

import random
import shutil
import sqlite3
from pathlib import Path

import pytest

from stockade.catalog.interface import CatalogContext
from stockade.catalog.os.rpm import RpmCataloger
from stockade.model.inventory import OSInfo, Package
from stockade.model.status import Status, StatusKind
from stockade.target.fs import TargetFS
from tests.catalog.os_rpm.conftest import DBPATH, RpmDB, sqlite_blobs, write_bdb


def catalog(root: Path, os_info: OSInfo | None = None) -> tuple[list[Package], list[Status]]:
    ctx = CatalogContext(fs=TargetFS(str(root)), os=os_info, plugin="catalog/os/rpm")
    packages = RpmCataloger().catalog(ctx, [])
    return packages, ctx.problems


def as_rpm_line(pkg: Package) -> str:
    """The package as ``rpm -qa --qf QUERY_FORMAT`` prints it."""
    epoch, _, vr = pkg.version.rpartition(":")
    version, _, release = vr.rpartition("-")
    return f"{pkg.name} {epoch or 0} {version} {release} {pkg.arch} {pkg.metadata.get('sourcerpm', '(none)')}"


def as_extra_line(pkg: Package) -> str:
    license_ = pkg.licenses[0] if pkg.licenses else "(none)"
    return f"{pkg.name}|{license_}|{pkg.metadata.get('vendor', '(none)')}"


def without_pubkeys(lines: list[str]) -> list[str]:
    return [line for line in lines if not line.startswith("gpg-pubkey ")]


def check_against_rpm(db: RpmDB) -> list[Package]:
    packages, problems = catalog(db.root)
    assert problems == []
    assert sorted(as_rpm_line(p) for p in packages) == without_pubkeys(db.expected)
    assert sorted(as_extra_line(p) for p in packages) == [
        e for e in db.extra if not e.startswith("gpg-pubkey|")
    ]
    assert {loc.path for p in packages for loc in p.locations} == {db.db_file}
    return packages


def test_sqlite_matches_rpm(sqlite_db: RpmDB) -> None:
    packages = check_against_rpm(sqlite_db)
    assert {p.metadata["rpmdb"] for p in packages} == {"sqlite"}


def test_sqlite_gpg_pubkey_is_skipped(sqlite_db: RpmDB, signing_key: Path | None) -> None:
    if signing_key is None:
        pytest.skip("gpg or Debian's archive keyring missing: no gpg-pubkey in the database")
    assert any(line.startswith("gpg-pubkey ") for line in sqlite_db.expected)
    packages, _ = catalog(sqlite_db.root)
    assert "gpg-pubkey" not in {p.name for p in packages}


@pytest.mark.parametrize("variant", ["le-4k", "be-4k", "le-64k"])
def test_bdb_matches_rpm(bdb_dbs: dict[str, RpmDB], sqlite_db: RpmDB, variant: str) -> None:
    db = bdb_dbs[variant]
    assert db.expected == sqlite_db.expected  # rpm's bdb_ro reads the same packages as from SQLite
    packages = check_against_rpm(db)
    assert {p.metadata["rpmdb"] for p in packages} == {"bdb"}


def test_ndb_matches_rpm(ndb_db: RpmDB) -> None:
    packages = check_against_rpm(ndb_db)
    assert {p.metadata["rpmdb"] for p in packages} == {"ndb"}


def test_ndb_committed_fixture(ndb_static: RpmDB) -> None:
    check_against_rpm(ndb_static)


def test_package_fields(sqlite_db: RpmDB) -> None:
    packages = {p.name: p for p in catalog(sqlite_db.root)[0]}
    hello = packages["stk-hello"]
    assert hello.version == "2:1.2.3-4.fc39"
    assert hello.type == "rpm"
    assert hello.ecosystem == "Red Hat"
    assert hello.namespace == "redhat"
    assert hello.purl == "pkg:rpm/redhat/stk-hello@1.2.3-4.fc39?arch=noarch&epoch=2"
    assert hello.licenses == ("MIT AND (BSD-2-Clause OR Apache-2.0)",)
    assert hello.metadata["vendor"] == "Stöckade Test"
    assert hello.found_by == "os/rpm"
    lib = packages["libstk-hello1"]
    assert (lib.source_name, lib.source_version) == ("stk-hello", "2:1.2.3-4.fc39")
    assert lib.purl == ("pkg:rpm/redhat/libstk-hello1@1.2.3-4.fc39?arch=noarch&epoch=2"
                        "&upstream=stk-hello-1.2.3-4.fc39.src.rpm")  # fmt: skip
    plain = packages["stk-plain"]
    assert plain.version == "0.9-1.el9_2"
    assert "epoch=" not in plain.purl
    assert "vendor" not in plain.metadata
    dash = packages["stk-multi-dash-name"]
    assert dash.version == "0:3.0~rc1-0.1"  # an explicit epoch 0 is kept, as rpm's %{EVR} keeps it
    assert dash.source_name == "stk-multi-dash-name"
    assert dash.purl == "pkg:rpm/redhat/stk-multi-dash-name@3.0~rc1-0.1?arch=noarch&epoch=0"


# -- damaged and odd databases ------------------------------------------------------------------


def copy_root(db: RpmDB, tmp_path: Path) -> Path:
    root = tmp_path / "root"
    shutil.copytree(db.root, root, symlinks=True)
    return root


def truncate(path: Path, fraction: float) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])


def assert_subset(packages: list[Package], db: RpmDB) -> None:
    assert set(as_rpm_line(p) for p in packages) <= set(db.expected)


@pytest.mark.parametrize("fraction", [0.5, 0.2, 0.01])
def test_truncated_sqlite(sqlite_db: RpmDB, tmp_path: Path, fraction: float) -> None:
    root = copy_root(sqlite_db, tmp_path)
    truncate(root / sqlite_db.db_file.lstrip("/"), fraction)
    packages, problems = catalog(root)
    assert_subset(packages, sqlite_db)
    assert problems, "a truncated database must be reported"
    assert all(
        p.path == sqlite_db.db_file and p.status in (StatusKind.PARTIAL, StatusKind.ERROR) for p in problems
    )
    assert "failed to read rpm sqlite database" in problems[0].reason


@pytest.mark.parametrize("variant", ["le-4k", "be-4k", "le-64k"])
@pytest.mark.parametrize("fraction", [0.75, 0.4, 0.01])
def test_truncated_bdb(bdb_dbs: dict[str, RpmDB], tmp_path: Path, variant: str, fraction: float) -> None:
    db = bdb_dbs[variant]
    root = copy_root(db, tmp_path)
    truncate(root / db.db_file.lstrip("/"), fraction)
    packages, problems = catalog(root)
    assert_subset(packages, db)
    assert len(packages) < len(without_pubkeys(db.expected))
    reasons = " / ".join(p.reason for p in problems)
    assert "truncated" in reasons or "too short" in reasons, reasons
    worst = {p.status for p in problems}
    assert worst <= {StatusKind.PARTIAL, StatusKind.ERROR}
    if packages:
        assert StatusKind.ERROR not in worst  # packages were read: the database is partly, not un-, read


def test_truncated_bdb_keeps_what_was_read(bdb_dbs: dict[str, RpmDB], tmp_path: Path) -> None:
    """Cut the 4k database right after the pages that hold the small headers: those packages stay."""
    db = bdb_dbs["le-4k"]
    root = copy_root(db, tmp_path)
    path = root / db.db_file.lstrip("/")
    full = {as_rpm_line(p) for p in catalog(db.root)[0]}
    for pages in range(2, len(path.read_bytes()) // 4096):
        shutil.copyfile(db.host_file, path)
        truncate(path, pages * 4096 / db.host_file.stat().st_size)
        packages, problems = catalog(root)
        got = {as_rpm_line(p) for p in packages}
        assert got <= full
        if got and got != full:
            assert any("truncated" in p.reason for p in problems)
            return
    pytest.fail("no truncation point kept some but not all packages")


@pytest.mark.parametrize("fraction", [0.9, 0.5, 0.1])
def test_truncated_ndb(ndb_static: RpmDB, tmp_path: Path, fraction: float) -> None:
    root = copy_root(ndb_static, tmp_path)
    truncate(root / ndb_static.db_file.lstrip("/"), fraction)
    packages, problems = catalog(root)
    assert_subset(packages, ndb_static)
    assert len(packages) < len(ndb_static.expected)
    assert problems and all(p.path == ndb_static.db_file for p in problems)
    if fraction == 0.9:
        assert packages, "blobs before the cut are kept"
        assert any("past the end of the file" in p.reason for p in problems)


def test_ndb_damaged_blob_is_skipped(ndb_static: RpmDB, tmp_path: Path) -> None:
    root = copy_root(ndb_static, tmp_path)
    path = root / ndb_static.db_file.lstrip("/")
    data = bytearray(path.read_bytes())
    first_blob = data.index(b"BlbS")
    data[first_blob + 200] ^= 0xFF  # inside the first header blob
    path.write_bytes(bytes(data))
    packages, problems = catalog(root)
    assert len(packages) == len(ndb_static.expected) - 1
    assert_subset(packages, ndb_static)
    assert [p.status for p in problems] == [StatusKind.PARTIAL]
    assert "Adler-32" in problems[0].reason


def test_sqlite_damaged_header_is_skipped(sqlite_db: RpmDB, tmp_path: Path) -> None:
    root = copy_root(sqlite_db, tmp_path)
    conn = sqlite3.connect(root / sqlite_db.db_file.lstrip("/"))
    (hnum,) = conn.execute("SELECT hnum FROM Packages ORDER BY hnum LIMIT 1").fetchone()
    conn.execute("UPDATE Packages SET blob = ? WHERE hnum = ?", (b"\x00\x01\x00\x00\xff\xff\xff\xff", hnum))
    conn.commit()
    conn.close()
    packages, problems = catalog(root)
    assert len(packages) == len(without_pubkeys(sqlite_db.expected)) - 1
    assert len(problems) == 1
    assert problems[0].status is StatusKind.PARTIAL
    assert f"record {hnum}:" in problems[0].reason


GARBAGE = {
    "random": random.Random(7).randbytes(3 * 4096),
    "text": b"this is not a database\n" * 200,
    "empty": b"",
    "zeros": bytes(8192),
}


@pytest.mark.parametrize("file_name", ["rpmdb.sqlite", "Packages.db", "Packages"])
@pytest.mark.parametrize("kind", sorted(GARBAGE))
def test_garbage_file(tmp_path: Path, file_name: str, kind: str) -> None:
    (tmp_path / "var/lib/rpm").mkdir(parents=True)
    (tmp_path / "var/lib/rpm" / file_name).write_bytes(GARBAGE[kind])
    packages, problems = catalog(tmp_path)
    assert packages == []
    assert len(problems) == 1
    problem = problems[0]
    assert problem.path == f"{DBPATH}/{file_name}"
    assert problem.status is StatusKind.ERROR
    assert problem.reason.startswith("failed to read rpm ")


def test_bdb_with_page_checksums_is_unsupported(sqlite_db: RpmDB, tmp_path: Path) -> None:
    """rpm's own bdb_ro refuses these too; say so instead of reading garbage."""
    if shutil.which("db5.3_load") is None:
        pytest.skip("db5.3_load not installed (Debian package db5.3-util)")
    write_bdb(tmp_path / "var/lib/rpm/Packages", sqlite_blobs(sqlite_db.host_file), pagesize=4096,
              big_endian=False, checksum=True)  # fmt: skip
    packages, problems = catalog(tmp_path)
    assert packages == []
    assert [(p.status, p.reason) for p in problems] == [
        (
            StatusKind.UNSUPPORTED,
            "failed to read rpm bdb database: Berkeley DB with page checksums not supported",
        )
    ]


def test_no_database(tmp_path: Path) -> None:
    assert catalog(tmp_path) == ([], [])


def test_sysimage_symlink_read_once(sqlite_db: RpmDB, tmp_path: Path) -> None:
    """Fedora ≥ 36: /var/lib/rpm → ../../usr/lib/sysimage/rpm."""
    (tmp_path / "usr/lib/sysimage").mkdir(parents=True)
    shutil.copytree(sqlite_db.root / "var/lib/rpm", tmp_path / "usr/lib/sysimage/rpm")
    (tmp_path / "var/lib").mkdir(parents=True)
    (tmp_path / "var/lib/rpm").symlink_to("../../usr/lib/sysimage/rpm")
    packages, problems = catalog(tmp_path)
    assert problems == []
    assert sorted(as_rpm_line(p) for p in packages) == without_pubkeys(sqlite_db.expected)
    assert {loc.path for p in packages for loc in p.locations} == {"/var/lib/rpm/rpmdb.sqlite"}


def test_sysimage_only(ndb_static: RpmDB, tmp_path: Path) -> None:
    """openSUSE: the database lives in /usr/lib/sysimage/rpm."""
    (tmp_path / "usr/lib/sysimage/rpm").mkdir(parents=True)
    shutil.copyfile(ndb_static.host_file, tmp_path / "usr/lib/sysimage/rpm/Packages.db")
    packages, problems = catalog(tmp_path)
    assert problems == []
    assert sorted(as_rpm_line(p) for p in packages) == ndb_static.expected
    assert {loc.path for p in packages for loc in p.locations} == {"/usr/lib/sysimage/rpm/Packages.db"}


def test_leftover_database_is_skipped(sqlite_db: RpmDB, ndb_static: RpmDB, tmp_path: Path) -> None:
    root = copy_root(sqlite_db, tmp_path)
    shutil.copyfile(ndb_static.host_file, root / "var/lib/rpm/Packages.db")
    packages, problems = catalog(root)
    assert {p.metadata["rpmdb"] for p in packages} == {"sqlite"}
    assert [(p.status, p.path) for p in problems] == [(StatusKind.SKIPPED, "/var/lib/rpm/Packages.db")]


def test_sqlite_write_ahead_log_is_replayed(sqlite_db: RpmDB, tmp_path: Path) -> None:
    """A transaction still in rpmdb.sqlite-wal (not checkpointed) is seen; the target is not written."""
    root = copy_root(sqlite_db, tmp_path)
    db_path = root / sqlite_db.db_file.lstrip("/")
    for extra in (db_path.with_name("rpmdb.sqlite-wal"), db_path.with_name("rpmdb.sqlite-shm")):
        extra.unlink(missing_ok=True)
    writer = sqlite3.connect(db_path)
    try:
        assert writer.execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # as rpm leaves it
        writer.execute("PRAGMA wal_autocheckpoint = 0")
        blob = writer.execute(
            "SELECT blob FROM Packages WHERE hnum = (SELECT min(hnum) FROM Packages)"
        ).fetchone()
        writer.execute("INSERT INTO Packages (blob) VALUES (?)", blob)
        writer.commit()
        wal = db_path.with_name("rpmdb.sqlite-wal")
        assert wal.stat().st_size > 0
        before = {p.name: p.stat().st_mtime_ns for p in db_path.parent.iterdir()}
        packages, problems = catalog(root)
        assert problems == []
        assert len(packages) == len(without_pubkeys(sqlite_db.expected)) + 1
        assert {p.name: p.stat().st_mtime_ns for p in db_path.parent.iterdir()} == before
    finally:
        writer.close()


def test_unreadable_sqlite_without_wal_uses_immutable_open(sqlite_db: RpmDB, tmp_path: Path) -> None:
    """No -wal/-shm files are created next to the target's database."""
    root = copy_root(sqlite_db, tmp_path)
    db_dir = root / "var/lib/rpm"
    for name in ("rpmdb.sqlite-wal", "rpmdb.sqlite-shm"):
        (db_dir / name).unlink(missing_ok=True)
    names = sorted(p.name for p in db_dir.iterdir())
    packages, problems = catalog(root)
    assert problems == [] and packages
    assert sorted(p.name for p in db_dir.iterdir()) == names


def test_sqlite_damaged_blob_page_costs_one_package(sqlite_db: RpmDB, tmp_path: Path) -> None:
    """Zero one overflow page of the big header: that package is reported, the others are read."""
    root = copy_root(sqlite_db, tmp_path)
    path = root / sqlite_db.db_file.lstrip("/")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        pages = conn.execute("SELECT pageno FROM dbstat WHERE name = 'Packages' AND pagetype = 'overflow' "
                             "ORDER BY pageno").fetchall()  # fmt: skip
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    except sqlite3.OperationalError as exc:
        pytest.skip(f"this SQLite has no dbstat table to find a blob page: {exc}")
    finally:
        conn.close()
    assert len(pages) > 2, "the stk-hello-tools header must span several overflow pages"
    victim = pages[len(pages) // 2][0]
    data = bytearray(path.read_bytes())
    data[(victim - 1) * page_size : victim * page_size] = bytes(page_size)
    path.write_bytes(bytes(data))
    packages, problems = catalog(root)
    assert sorted(p.name for p in packages) == sorted(
        line.split()[0]
        for line in without_pubkeys(sqlite_db.expected)
        if not line.startswith("stk-hello-tools ")
    )
    assert [p.status for p in problems] == [StatusKind.PARTIAL]
    assert "malformed" in problems[0].reason


@pytest.mark.parametrize("backend", ["sqlite", "bdb", "ndb"])
def test_random_damage_never_raises(
    sqlite_db: RpmDB, bdb_dbs: dict[str, RpmDB], ndb_static: RpmDB, tmp_path: Path, backend: str
) -> None:
    """Flip random bytes (fixed seed) many times: every outcome is packages plus statuses."""
    db = {"sqlite": sqlite_db, "bdb": bdb_dbs["le-4k"], "ndb": ndb_static}[backend]
    root = copy_root(db, tmp_path)
    path = root / db.db_file.lstrip("/")
    original = db.host_file.read_bytes()
    rng = random.Random(1234)
    outcomes: set[StatusKind] = set()
    for _ in range(60):
        data = bytearray(original)
        for _ in range(rng.randint(1, 20)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        path.write_bytes(bytes(data))
        packages, problems = catalog(root)
        assert all(p.path == db.db_file for p in problems)
        assert all(p.name and p.version and p.purl.startswith("pkg:rpm/") for p in packages)
        outcomes |= {p.status for p in problems}
    assert outcomes, "some damage must have been noticed"


def test_wal_symlink_stays_inside_the_target(sqlite_db: RpmDB, tmp_path: Path) -> None:
    """An absolute ``-wal`` symlink names a file of the target, never of the scanning host."""
    root = copy_root(sqlite_db, tmp_path)
    wal = root / "var/lib/rpm/rpmdb.sqlite-wal"
    wal.unlink(missing_ok=True)
    outside = tmp_path / "host-dir"  # followed on the host, it would be "copied" and fail
    outside.mkdir()
    wal.symlink_to(outside)  # absolute: inside the target it names a file that does not exist
    packages, problems = catalog(root)
    assert problems == []
    assert sorted(as_rpm_line(p) for p in packages) == without_pubkeys(sqlite_db.expected)
