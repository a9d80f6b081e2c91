"""Real rpm databases, made once per test session by the real tools.

* packages: ``rpmbuild`` builds the spec files in ``testdata/specs`` (noarch, no sources).
* SQLite: Debian's ``rpm`` installs them (``--justdb``) into a fresh database, and imports a real
  signing key so that the database holds a ``gpg-pubkey`` pseudo package too.
* Berkeley DB: Debian's rpm 4.18 can only *read* Berkeley DB (``bdb_ro``), so the ``Packages`` hash
  database is written by Berkeley DB itself (``db5.3_load`` from ``db5.3-util``) from the header blobs
  rpm stored in the SQLite database, keyed as rpm keys them (instance number in the writer's byte
  order, record 0 holding the next instance number).  The result is checked by rpm's own ``bdb_ro``
  reader, whose ``rpm -qa`` is the expected output.
* ndb: written by the rpm 4.16 binary that the ``rpm-inspector-rpm`` PyPI package ships (built with
  every database backend).  ``testdata/ndb`` holds one such database with that rpm's ``-qa`` output,
  so that ndb is tested where the binary is not installed.

Expected output is always what ``rpm -qa --qf QUERY_FORMAT`` prints for the database.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sqlite3
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

TESTDATA = Path(__file__).parent / "testdata"
QUERY_FORMAT = "%{NAME} %{EPOCHNUM} %{VERSION} %{RELEASE} %{ARCH} %{SOURCERPM}\\n"
EXTRA_FORMAT = "%{NAME}|%{LICENSE}|%{VENDOR}\\n"
DB_LOAD = "db5.3_load"
DBPATH = "/var/lib/rpm"


@dataclass(frozen=True)
class RpmDB:
    """A target root holding an rpm database, and what rpm lists in it."""

    root: Path
    db_file: str  # target path of the database file
    expected: list[str]  # QUERY_FORMAT lines, sorted
    extra: list[str]  # EXTRA_FORMAT lines, sorted

    @property
    def host_file(self) -> Path:
        return self.root / self.db_file.lstrip("/")


def run(cmd: list[str], **kwargs: object) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload]
    if proc.returncode != 0:
        raise AssertionError(f"{cmd[0]} failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
    return str(proc.stdout)


def require(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (Debian packages: rpm, db5.3-util)")


def rpm_query(rpm: list[str], root: Path, fmt: str) -> list[str]:
    out = run([*rpm, "--root", str(root), "--dbpath", DBPATH, "-qa", "--qf", fmt])
    return sorted(line for line in out.splitlines() if line)


@pytest.fixture(scope="session")
def rpm_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    require("rpm", "rpmbuild")
    top = tmp_path_factory.mktemp("rpmbuild")
    for spec in sorted((TESTDATA / "specs").glob("*.spec")):
        run(["rpmbuild", "-bb", "--quiet", "--define", f"_topdir {top}", str(spec)])
    files = sorted(top.glob("RPMS/*/*.rpm"))
    assert len(files) == 5, files
    return files


@pytest.fixture(scope="session")
def signing_key(tmp_path_factory: pytest.TempPathFactory) -> Path | None:
    """An ASCII-armoured OpenPGP public key (Debian's archive key), or None without gpg."""
    keyring = Path("/usr/share/keyrings/debian-archive-bookworm-stable.gpg")
    if shutil.which("gpg") is None or not keyring.exists():
        return None
    home = tmp_path_factory.mktemp("gnupg")
    out = run(["gpg", "--homedir", str(home), "--no-default-keyring", "--keyring", str(keyring),
               "--export", "--armor"])  # fmt: skip
    key = home / "key.asc"
    key.write_text(out)
    return key


@pytest.fixture(scope="session")
def sqlite_db(
    tmp_path_factory: pytest.TempPathFactory, rpm_files: list[Path], signing_key: Path | None
) -> RpmDB:
    root = tmp_path_factory.mktemp("sqlite-root")
    rpm = ["rpm", "--define", "_db_backend sqlite"]
    run([*rpm, "--root", str(root), "--dbpath", DBPATH, "-i", "--nodeps", "--justdb", "--noscripts",
         *map(str, rpm_files)])  # fmt: skip
    if signing_key is not None:
        run([*rpm, "--root", str(root), "--dbpath", DBPATH, "--import", str(signing_key)])
    db = RpmDB(
        root, f"{DBPATH}/rpmdb.sqlite", rpm_query(rpm, root, QUERY_FORMAT), rpm_query(rpm, root, EXTRA_FORMAT)
    )
    assert (root / "var/lib/rpm/rpmdb.sqlite").is_file()
    return db


def sqlite_blobs(path: Path) -> list[tuple[int, bytes]]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [(int(h), bytes(b)) for h, b in conn.execute("SELECT hnum, blob FROM Packages ORDER BY hnum")]
    finally:
        conn.close()


def write_bdb(out: Path, blobs: list[tuple[int, bytes]], *, pagesize: int, big_endian: bool,
              checksum: bool = False) -> None:  # fmt: skip
    """A ``Packages`` hash database written by Berkeley DB's own db_load, keyed as rpm keys it."""
    order = ">" if big_endian else "<"
    lines = ["VERSION=3", "format=bytevalue", "type=hash", f"db_pagesize={pagesize}",
             f"db_lorder={4321 if big_endian else 1234}", "HEADER=END"]  # fmt: skip
    records = [(0, struct.pack(order + "I", max(h for h, _ in blobs) + 1)), *blobs]
    for key, value in records:
        lines += [" " + struct.pack(order + "I", key).hex(), " " + value.hex()]
    lines.append("DATA=END")
    out.parent.mkdir(parents=True, exist_ok=True)
    dump = out.parent / (out.name + ".dump")
    dump.write_text("\n".join(lines) + "\n")
    run([DB_LOAD, *(["-c", "chksum=1"] if checksum else []), "-f", str(dump), str(out)])
    dump.unlink()


#: name → (page size, big-endian)
BDB_VARIANTS = {"le-4k": (4096, False), "be-4k": (4096, True), "le-64k": (65536, False)}


@pytest.fixture(scope="session")
def bdb_dbs(tmp_path_factory: pytest.TempPathFactory, sqlite_db: RpmDB) -> dict[str, RpmDB]:
    require(DB_LOAD)
    blobs = sqlite_blobs(sqlite_db.host_file)
    rpm = ["rpm", "--define", "_db_backend bdb_ro"]
    out: dict[str, RpmDB] = {}
    for name, (pagesize, big_endian) in BDB_VARIANTS.items():
        root = tmp_path_factory.mktemp(f"bdb-{name}")
        write_bdb(root / "var/lib/rpm/Packages", blobs, pagesize=pagesize, big_endian=big_endian)
        out[name] = RpmDB(root, f"{DBPATH}/Packages", rpm_query(rpm, root, QUERY_FORMAT),
                          rpm_query(rpm, root, EXTRA_FORMAT))  # fmt: skip
    return out


def inspector_rpm() -> str | None:
    """The rpm binary shipped by the rpm-inspector-rpm package (rpm 4.16 with ndb), if installed."""
    spec = importlib.util.find_spec("rpm_inspector_rpm")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = os.path.join(next(iter(spec.submodule_search_locations)), "bin", "rpm")
    return path if os.access(path, os.X_OK) else None


def ndb_rpm_command(binary: str) -> list[str]:
    return [binary, "--rcfile", "/dev/null", "--define", f"_dbpath {DBPATH}",
            "--define", "_rpmlock_path %{_dbpath}/.rpm.lock", "--define", "_db_backend ndb"]  # fmt: skip


@pytest.fixture(scope="session")
def ndb_db(tmp_path_factory: pytest.TempPathFactory, rpm_files: list[Path]) -> RpmDB:
    binary = inspector_rpm()
    if binary is None:
        pytest.skip("no rpm built with ndb: pip install rpm-inspector-rpm (Debian's rpm has no ndb backend)")
    root = tmp_path_factory.mktemp("ndb-root")
    rpm = ndb_rpm_command(binary)
    flags = [
        "--nodeps",
        "--justdb",
        "--noscripts",
        "--nosignature",
        "--nodigest",
        "--ignorearch",
        "--ignoreos",
    ]
    run([*rpm, "--root", str(root), "-i", *flags, *map(str, rpm_files)])
    return RpmDB(
        root, f"{DBPATH}/Packages.db", rpm_query(rpm, root, QUERY_FORMAT), rpm_query(rpm, root, EXTRA_FORMAT)
    )


@pytest.fixture(scope="session")
def ndb_static(tmp_path_factory: pytest.TempPathFactory) -> RpmDB:
    """The committed ndb database (testdata/ndb, see its README) placed in a target root."""
    root = tmp_path_factory.mktemp("ndb-static")
    (root / "var/lib/rpm").mkdir(parents=True)
    shutil.copyfile(TESTDATA / "ndb/Packages.db", root / "var/lib/rpm/Packages.db")
    expected = sorted((TESTDATA / "ndb/expected-qa.txt").read_text().splitlines())
    extra = sorted((TESTDATA / "ndb/expected-extra.txt").read_text().splitlines())
    return RpmDB(root, f"{DBPATH}/Packages.db", expected, extra)
