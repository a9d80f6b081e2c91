"""``stockade db update``: download the OSV exports, CISA KEV and EPSS, then import them atomically.

What is downloaded (each URL can be changed):

- OSV, one export per ecosystem: ``{base}/{ECOSYSTEM}/all.zip`` (google.github.io/osv.dev/data/, base
  ``https://osv-vulnerabilities.storage.googleapis.com``); ecosystem names are case-sensitive (``PyPI``,
  ``crates.io``).
- CISA KEV: the catalog JSON (cisa.gov/known-exploited-vulnerabilities-catalog).
- EPSS: FIRST's daily scores, gzip-compressed CSV (first.org/epss/data_stats), from the host FIRST
  publishes them on (``epss.empiricalsecurity.com``, formerly ``epss.cyentia.com``).

Downloads go to ``DB.downloads/NAME.part`` beside the database, through ``urllib`` (so ``https_proxy``,
``http_proxy`` and ``no_proxy`` from the environment apply).  An interrupted download is resumed by the
next run with a ``Range: bytes=N-`` request (and ``If-Range`` with the validator the first response
gave, so a file that changed meanwhile is fetched whole again); a 200 answer to it restarts the file.
The result is checked against ``Content-Length`` (``Content-Range`` total) and, when the server sends one
(Google Cloud Storage does: ``x-goog-hash: crc32c=...,md5=...``, base64), the MD5 digest.  A size that
falls short keeps the ``.part`` for the next run; a digest mismatch deletes it.  Any failure stops the
update before anything is imported, so the database stays as it was.

A gzip-compressed download (by its magic bytes) is decompressed; an OSV ``all.zip`` is read as it is
(the OSV reader reads its members one at a time).  Then every download is imported in one build
(:func:`stockade.vuln.dbbuild.build_locked`), as sources named ``osv:<Ecosystem>``, ``cisa-kev`` and
``epss``; the whole update, downloads included, holds the writer lock.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import hashlib
import os
import shutil
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from stockade import __version__
from stockade.errors import InputError, StockadeError
from stockade.vuln import dbbuild
from stockade.vuln.dbbuild import Clock, Reader, SourceReport, SourceSpec

OSV_BASE = "https://osv-vulnerabilities.storage.googleapis.com"
KEV_URL = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
EPSS_URL = "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz"
MIRROR_ENV = "STOCKADE_OSV_MIRROR"
#: the ecosystems `db update` fetches when none is named: the language ecosystems stockade catalogs,
#: and the Debian and Alpine distributions.  Ubuntu (large) and the others are opt-in with --ecosystem.
DEFAULT_ECOSYSTEMS = (
    "PyPI",
    "npm",
    "Go",
    "crates.io",
    "Maven",
    "RubyGems",
    "NuGet",
    "Packagist",
    "Debian",
    "Alpine",
)
CHUNK = 1 << 20
TIMEOUT = 60.0

Progress = Callable[[str, int, int | None], None]  # (download name, bytes so far, total or None)


class DownloadError(StockadeError):
    """A download failed; the advisory database was not changed."""


@dataclass(frozen=True, slots=True)
class Download:
    name: str  # the source name: "osv:PyPI", "cisa-kev", "epss"
    url: str
    file_name: str  # under DB.downloads/


@dataclass(frozen=True, slots=True)
class Fetched:
    download: Download
    path: str  # the downloaded file, decompressed
    size: int  # bytes transferred in total (as stored by the server)
    resumed_from: int  # bytes already on disk when this run started (0: a fresh download)
    checksum: str  # "md5:<hex>" when the server gave one and it matched, else "sha256:<hex>"
    md5_verified: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.download.name,
            "url": self.download.url,
            "size": self.size,
            "resumed_from": self.resumed_from,
            "checksum": self.checksum,
            "md5_verified": self.md5_verified,
        }


def plan(
    ecosystems: Iterable[str] = DEFAULT_ECOSYSTEMS,
    *,
    mirror: str | None = None,
    kev_url: str | None = KEV_URL,
    epss_url: str | None = EPSS_URL,
) -> list[Download]:
    """What to fetch: one OSV export per ecosystem (from ``mirror``, else ``$STOCKADE_OSV_MIRROR``, else
    :data:`OSV_BASE`), then KEV and EPSS unless their URL is ``None``."""
    base = (mirror or os.environ.get(MIRROR_ENV) or OSV_BASE).rstrip("/")
    out: list[Download] = []
    for eco in dict.fromkeys(ecosystems):
        if not eco or "/" in eco or eco in (".", ".."):
            raise InputError(f"{eco!r}: not an OSV ecosystem name", hint="for example PyPI, npm, Go, Debian")
        safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in eco)
        out.append(Download(f"osv:{eco}", f"{base}/{urllib.parse.quote(eco)}/all.zip", f"osv-{safe}.zip"))
    if kev_url:
        out.append(Download("cisa-kev", kev_url, "known_exploited_vulnerabilities.json"))
    if epss_url:
        out.append(Download("epss", epss_url, "epss_scores.csv"))
    return out


def _goog_md5(headers: list[str] | None) -> str | None:
    """The MD5 (hex) in the ``x-goog-hash`` headers (``crc32c=<base64>``, ``md5=<base64>``; GCS sends one
    header per hash, or one with both separated by a comma)."""
    for header in headers or ():
        for part in header.split(","):
            key, _, value = part.strip().partition("=")
            if key == "md5" and value:
                try:
                    return base64.b64decode(value, validate=True).hex()
                except ValueError:
                    return None
    return None


def _content_range(header: str | None) -> tuple[int, int | None] | None:
    """``(first byte, total or None)`` of ``Content-Range: bytes A-B/T``."""
    if not header or not header.startswith("bytes "):
        return None
    span, _, total = header[6:].partition("/")
    first, _, _ = span.partition("-")
    try:
        return int(first), None if total in ("", "*") else int(total)
    except ValueError:
        return None


def _file_digest(path: str, algorithm: str) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, algorithm).hexdigest()


def _read_meta(path: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            doc = orjson.loads(fh.read())
    except (OSError, orjson.JSONDecodeError):
        return {}
    return doc if isinstance(doc, dict) else {}


def _write_meta(path: str, doc: dict[str, Any]) -> None:
    with open(path, "wb") as fh:
        fh.write(orjson.dumps(doc))


def _open(opener: urllib.request.OpenerDirector, url: str, have: int, meta: dict[str, Any]) -> Any:
    headers = {"User-Agent": f"stockade/{__version__}", "Accept-Encoding": "identity"}
    if have:
        headers["Range"] = f"bytes={have}-"
        validator = meta.get("etag") or meta.get("last_modified")
        if validator:
            headers["If-Range"] = validator
    try:
        return opener.open(urllib.request.Request(url, headers=headers), timeout=TIMEOUT)
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code == 416 and have:
            return None  # our partial file is no prefix of what is there now: start again
        if exc.code == 404:
            raise DownloadError(
                f"{url}: not found (HTTP 404)",
                hint="OSV ecosystem names are case-sensitive (PyPI, npm, Go, crates.io, Debian ...); "
                "check --ecosystem and --mirror",
            ) from None
        raise DownloadError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DownloadError(
            f"{url}: cannot download: {reason}",
            hint="check the network and the https_proxy variable, or use --mirror / the --*-url options",
        ) from None


def fetch(
    download: Download,
    directory: str,
    *,
    opener: urllib.request.OpenerDirector | None = None,
    progress: Progress | None = None,
) -> Fetched:
    """Download (or resume) one file into ``directory``; see the module docstring."""
    opener = opener or urllib.request.build_opener()
    part = os.path.join(directory, download.file_name + ".part")
    meta_path = part + ".json"
    meta = _read_meta(meta_path)
    if meta.get("url") != download.url:
        meta = {"url": download.url}
    try:
        have = os.path.getsize(part) if meta.get("url") == download.url and os.path.exists(meta_path) else 0
    except OSError:
        have = 0
    resumed_from = have
    resp = _open(opener, download.url, have, meta)
    if resp is None:
        have = resumed_from = 0
        resp = _open(opener, download.url, 0, meta)
    with resp:
        status = getattr(resp, "status", 200)
        total: int | None
        if status == 206:
            span = _content_range(resp.headers.get("Content-Range"))
            if span is None or span[0] != have:
                _discard(part, meta_path)
                raise DownloadError(
                    f"{download.url}: the server answered the resume request with a wrong range "
                    f"({resp.headers.get('Content-Range')!r} for bytes {have}-)",
                    hint="the partial download was deleted; run `stockade db update` again",
                )
            total, mode = span[1], "ab"
        else:
            length = resp.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            have, resumed_from, mode = 0, 0, "wb"
        md5 = _goog_md5(resp.headers.get_all("x-goog-hash")) or (meta.get("md5") if status == 206 else None)
        meta.update(etag=resp.headers.get("ETag"), last_modified=resp.headers.get("Last-Modified"), md5=md5)
        _write_meta(meta_path, meta)
        done = have
        try:
            with open(part, mode) as out:
                while True:
                    chunk = resp.read(CHUNK)
                    if not chunk:
                        break
                    out.write(chunk)
                    done += len(chunk)
                    if progress is not None:
                        progress(download.name, done, total)
        except (OSError, ValueError) as exc:  # ConnectionResetError, timeouts, http.client errors
            raise DownloadError(
                f"{download.url}: download interrupted after {done:,} of "
                f"{'?' if total is None else f'{total:,}'} bytes: {exc}",
                hint="run `stockade db update` again to resume it",
            ) from None
    size = os.path.getsize(part)
    if total is not None and size != total:
        raise DownloadError(
            f"{download.url}: download interrupted after {size:,} of {total:,} bytes",
            hint="run `stockade db update` again to resume it",
        )
    verified = False
    if md5:
        got = _file_digest(part, "md5")
        if got != md5:
            _discard(part, meta_path)
            raise DownloadError(
                f"{download.url}: checksum mismatch: the server says md5 {md5}, the {size:,} bytes "
                f"received have md5 {got}",
                hint="the download was deleted; run `stockade db update` again",
            )
        verified = True
    checksum = f"md5:{md5}" if verified else f"sha256:{_file_digest(part, 'sha256')}"
    final = os.path.join(directory, download.file_name)
    _finish_file(part, final)
    with contextlib.suppress(OSError):
        os.unlink(meta_path)
    return Fetched(download, final, size, resumed_from, checksum, verified)


def _discard(*paths: str) -> None:
    for path in paths:
        with contextlib.suppress(OSError):
            os.unlink(path)


def _finish_file(part: str, final: str) -> None:
    """``part`` → ``final``, gunzipped when it is gzip data."""
    with open(part, "rb") as fh:
        magic = fh.read(2)
    if magic == b"\x1f\x8b":
        try:
            with gzip.open(part, "rb") as src, open(final, "wb") as dst:
                shutil.copyfileobj(src, dst, CHUNK)
        except (OSError, EOFError) as exc:
            raise DownloadError(f"{final}: the downloaded gzip data is damaged: {exc}") from None
        os.unlink(part)
    else:
        os.replace(part, final)


def downloads_dir(db_path: str) -> str:
    return os.path.abspath(db_path) + ".downloads"


def update(
    db_path: str,
    downloads: list[Download],
    *,
    read: Reader | None = None,
    clock: Clock | None = None,
    wait: float = 0.0,
    opener: urllib.request.OpenerDirector | None = None,
    progress: Progress | None = None,
) -> tuple[list[Fetched], list[SourceReport]]:
    """Fetch ``downloads`` and import them in one atomic build; return what was fetched and imported.

    Downloaded files are deleted once imported; a partial one stays for the next run to resume."""
    db_path = os.path.abspath(db_path)
    directory = downloads_dir(db_path)
    dbbuild.make_dirs(directory)
    with dbbuild.write_lock(db_path, wait):
        fetched: list[Fetched] = []
        made: list[str] = []
        try:
            for item in downloads:
                got = fetch(item, directory, opener=opener, progress=progress)
                fetched.append(got)
                made.append(got.path)
            specs = [
                SourceSpec(f.download.name, f.download.url, f.path, "update", f.checksum) for f in fetched
            ]
            kwargs: dict[str, Any] = {} if clock is None else {"clock": clock}
            reports = dbbuild.build_locked(db_path, specs, read=read, **kwargs)
        finally:
            for leftover in made:
                with contextlib.suppress(OSError):
                    os.unlink(leftover)
    return fetched, reports
