"""`db update` against a local HTTP server serving real data from ../shared/data: resume, checksums,
404, proxies, gzip; and the database stays as it was whenever a download fails."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from stockade.vuln.db import AdvisoryDB
from stockade.vuln.dbbuild import Reader, SourceSpec, build
from stockade.vuln.update import DownloadError, downloads_dir, plan, update
from tests.conftest import SHARED
from tests.vuln.db.conftest import HAVE_READERS
from tests.vuln.db.helpers import FakeReader, Served, Server, adv, mini_read, serve

DATA = SHARED / "data"
GO = sorted((DATA / "osv-go" / "osv").glob("GO-*.json"))[:300]
KEV = DATA / "cisa-kev" / "known_exploited_vulnerabilities.json"
EPSS = DATA / "epss" / "epss_kev_nvd.csv"

pytestmark = pytest.mark.skipif(not GO or not KEV.exists(), reason=f"{DATA} is missing")


def go_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in GO:
            zf.write(path, path.name)
    return out.getvalue()


@pytest.fixture(scope="module")
def go_all_zip() -> bytes:
    return go_zip()


@pytest.fixture(params=["mini", "real"] if HAVE_READERS else ["mini"])
def read(request: pytest.FixtureRequest) -> Reader:
    if request.param == "real":
        from stockade.vuln.feeds.detect import read_path

        return read_path
    return mini_read


@pytest.fixture
def server(go_all_zip: bytes) -> Iterator[Server]:
    srv = serve(
        {
            "/Go/all.zip": Served(go_all_zip),
            "/kev.json": Served(KEV.read_bytes(), md5=None),
            "/epss.csv.gz": Served(gzip.compress(EPSS.read_bytes())),
        }
    )
    yield srv
    srv.close()


def downloads(server: Server, *ecosystems: str) -> list:  # type: ignore[type-arg]
    return plan(
        ecosystems or ("Go",),
        mirror=server.url,
        kev_url=server.url + "/kev.json",
        epss_url=server.url + "/epss.csv.gz",
    )


def go_ids(db_path: Path, name: str = "github.com/gin-gonic/gin") -> list[str]:
    with AdvisoryDB(str(db_path)) as db:
        return [a.id for a in db.lookup("Go", [name])]


def test_update_downloads_checks_and_imports(db_path: Path, server: Server, read: Reader) -> None:
    fetched, reports = update(str(db_path), downloads(server), read=read)
    assert [f.download.name for f in fetched] == ["osv:Go", "cisa-kev", "epss"]
    assert [f.md5_verified for f in fetched] == [True, False, True]
    assert fetched[0].checksum == "md5:" + hashlib.md5(server.files["/Go/all.zip"].body).hexdigest()
    assert fetched[1].checksum == "sha256:" + hashlib.sha256(KEV.read_bytes()).hexdigest()
    assert [(r.name, r.advisories, r.kev, r.epss) for r in reports] == [
        ("osv:Go", len(GO), 0, 0),
        ("cisa-kev", 0, 1404, 0),
        ("epss", 0, 0, 1556),
    ]
    assert "GO-2020-0001" in go_ids(db_path)
    with AdvisoryDB(str(db_path)) as db:
        status = db.status()
        assert {s.name: s.location for s in status.sources} == {
            "osv:Go": server.url + "/Go/all.zip",
            "cisa-kev": server.url + "/kev.json",
            "epss": server.url + "/epss.csv.gz",
        }
        assert (status.kev_count, status.kev_version) == (1404, "2025.08.25")
        assert status.epss_count == 1556
        assert db.kev(["CVE-2025-48384"])["CVE-2025-48384"].product == "Git"
    assert os.listdir(downloads_dir(str(db_path))) == []  # downloads are removed once imported
    assert all(r["headers"].get("Accept-Encoding") == "identity" for r in server.requests)
    # a second update replaces the sources instead of adding to them
    update(str(db_path), downloads(server), read=read)
    with AdvisoryDB(str(db_path)) as db:
        assert db.status().advisories == len(GO) and len(db.status().sources) == 3


def test_cut_connection_then_resume_with_range(db_path: Path, server: Server, read: Reader) -> None:
    build(
        str(db_path), [SourceSpec("x", "x", "x")], read=FakeReader({"x": [("osv", adv("X-1", ("Go", "x")))]})
    )
    before = db_path.read_bytes()
    body = server.files["/Go/all.zip"].body
    half = len(body) // 2
    server.files["/Go/all.zip"].cut_at = half
    with pytest.raises(DownloadError, match=rf"interrupted after {half:,} of {len(body):,} bytes"):
        update(str(db_path), downloads(server), read=read)
    assert db_path.read_bytes() == before  # nothing imported
    part = Path(downloads_dir(str(db_path))) / "osv-Go.zip.part"
    assert part.stat().st_size == half
    server.requests.clear()
    fetched, _ = update(str(db_path), downloads(server), read=read)
    [resume] = [r for r in server.requests if r["path"] == "/Go/all.zip"]
    assert resume["headers"]["Range"] == f"bytes={half}-"
    assert resume["headers"]["If-Range"] == '"v1"'
    assert (fetched[0].resumed_from, fetched[0].size, fetched[0].md5_verified) == (half, len(body), True)
    assert "GO-2020-0001" in go_ids(db_path)
    assert go_ids(db_path, "x") == ["X-1"]  # the other source is still there
    assert not part.exists()


def test_resume_when_the_file_changed_or_ranges_are_not_supported(
    db_path: Path, server: Server, read: Reader
) -> None:
    item = server.files["/Go/all.zip"]
    item.cut_at = 1000
    with pytest.raises(DownloadError, match="interrupted"):
        update(str(db_path), downloads(server), read=read)
    item.etag = '"v2"'  # changed on the server: If-Range fails, the server sends all of it
    fetched, _ = update(str(db_path), downloads(server), read=read)
    assert fetched[0].resumed_from == 0 and fetched[0].md5_verified
    item.cut_at, item.ranges = 1000, False
    with pytest.raises(DownloadError, match="interrupted"):
        update(str(db_path), downloads(server), read=read)
    fetched, _ = update(str(db_path), downloads(server), read=read)
    assert fetched[0].resumed_from == 0 and fetched[0].size == len(item.body)
    assert "GO-2020-0001" in go_ids(db_path)


def test_wrong_md5_is_an_error_and_the_old_database_stays(
    db_path: Path, server: Server, read: Reader
) -> None:
    update(str(db_path), downloads(server), read=read)
    before = db_path.read_bytes()
    server.files["/Go/all.zip"].md5 = "wrong"
    with pytest.raises(DownloadError, match=r"checksum mismatch: the server says md5 [0-9a-f]{32}"):
        update(str(db_path), downloads(server), read=read)
    assert db_path.read_bytes() == before
    assert os.listdir(downloads_dir(str(db_path))) == []  # the bad download is not kept for resuming


def test_404_for_an_ecosystem_is_an_error_and_nothing_is_imported(
    db_path: Path, server: Server, read: Reader
) -> None:
    update(str(db_path), downloads(server), read=read)
    before = db_path.read_bytes()
    with pytest.raises(DownloadError, match=r"/pypi/all.zip: not found \(HTTP 404\)") as info:
        update(str(db_path), downloads(server, "Go", "pypi"), read=read)
    assert "case-sensitive" in info.value.diagnostics()
    assert db_path.read_bytes() == before


def test_proxy_from_the_environment(
    db_path: Path, server: Server, read: Reader, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("http_proxy", server.url)
    server.files["http://osv.invalid/Go/all.zip"] = server.files["/Go/all.zip"]
    fetched, _ = update(
        str(db_path), plan(["Go"], mirror="http://osv.invalid", kev_url=None, epss_url=None), read=read
    )
    assert [r["path"] for r in server.requests] == ["http://osv.invalid/Go/all.zip"]
    assert fetched[0].md5_verified and "GO-2020-0001" in go_ids(db_path)


def test_unreachable_server_is_one_clear_error(db_path: Path) -> None:
    with pytest.raises(DownloadError, match="cannot download") as info:
        update(
            str(db_path),
            plan(["Go"], mirror="http://127.0.0.1:9", kev_url=None, epss_url=None),
            read=mini_read,
        )
    assert "proxy" in info.value.diagnostics()
    assert not db_path.exists()


def test_plan_defaults_and_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STOCKADE_OSV_MIRROR", raising=False)
    items = plan()
    assert items[0].url == "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip"
    assert [i.name for i in items][-2:] == ["cisa-kev", "epss"]
    assert "osv:Debian" in [i.name for i in items]
    monkeypatch.setenv("STOCKADE_OSV_MIRROR", "http://mirror.example/osv/")
    [item] = plan(["crates.io"], kev_url=None, epss_url=None)
    assert (item.url, item.file_name) == ("http://mirror.example/osv/crates.io/all.zip", "osv-crates.io.zip")
    with pytest.raises(Exception, match="not an OSV ecosystem name"):
        plan(["../etc"])


@pytest.mark.parametrize(
    ("headers", "md5"),
    [
        (None, None),
        ([], None),
        (["crc32c=n03x6A==", "md5=Ojk9c3dhfxgoKVVHYwFbHQ=="], "3a393d7377617f182829554763015b1d"),
        (["crc32c=n03x6A==,md5=Ojk9c3dhfxgoKVVHYwFbHQ=="], "3a393d7377617f182829554763015b1d"),
        (["crc32c=n03x6A==, md5=Ojk9c3dhfxgoKVVHYwFbHQ=="], "3a393d7377617f182829554763015b1d"),
        (["crc32c=n03x6A=="], None),
        (["md5=not base64!"], None),
    ],
)
def test_goog_hash_header(headers: list[str] | None, md5: str | None) -> None:
    from stockade.vuln.update import _goog_md5

    assert _goog_md5(headers) == md5


@pytest.mark.parametrize(
    ("header", "span"),
    [
        ("bytes 100-199/200", (100, 200)),
        ("bytes 0-0/*", (0, None)),
        ("bytes */200", None),
        ("items 1-2/3", None),
        (None, None),
    ],
)
def test_content_range_header(header: str | None, span: tuple[int, int | None] | None) -> None:
    from stockade.vuln.update import _content_range

    assert _content_range(header) == span


def test_a_resumed_file_is_checked_whole(db_path: Path, server: Server) -> None:
    item = server.files["/Go/all.zip"]
    item.cut_at = 1000
    with pytest.raises(DownloadError, match="interrupted"):
        update(str(db_path), downloads(server), read=mini_read)
    part = Path(downloads_dir(str(db_path))) / "osv-Go.zip.part"
    part.write_bytes(b"y" * 1000)  # the partial file was damaged on disk meanwhile
    with pytest.raises(DownloadError, match="checksum mismatch"):
        update(str(db_path), downloads(server), read=mini_read)
    assert not db_path.exists() and not part.exists()
    item.cut_at, item.shift = 1000, 10
    with pytest.raises(DownloadError, match="interrupted"):
        update(str(db_path), downloads(server), read=mini_read)
    with pytest.raises(DownloadError, match="answered the resume request with a wrong range"):
        update(str(db_path), downloads(server), read=mini_read)
    assert not db_path.exists() and not part.exists()  # deleted: the next run starts again
    item.shift = 0
    fetched, _ = update(str(db_path), downloads(server), read=mini_read)
    assert fetched[0].resumed_from == 0 and fetched[0].md5_verified
