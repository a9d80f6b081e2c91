"""Helpers for the advisory database tests: records built in the test, a reader over them, a minimal
reader of real OSV/KEV/EPSS files (used until the feed readers can be imported), and an HTTP server
with the behaviours `db update` must cope with."""

from __future__ import annotations

import base64
import csv
import hashlib
import http.server
import json
import os
import tempfile
import threading
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from stockade.model.advisory import Advisory, Affected, EpssScore, FeedRecord, KevEntry, Range, RangeType
from stockade.model.status import Status, StatusKind


def adv(
    ident: str,
    *packages: tuple[str, str],
    modified: str | None = "2024-01-01T00:00:00Z",
    withdrawn: str | None = None,
    aliases: Sequence[str] = (),
    source: str = "osv",
    summary: str = "",
) -> Advisory:
    """An advisory affecting ``(ecosystem, name)`` packages from version 0 to 1.0."""
    return Advisory(
        id=ident,
        source=source,
        affected=tuple(
            Affected(eco, name, ranges=(Range(RangeType.ECOSYSTEM, (("introduced", "0"), ("fixed", "1.0"))),))
            for eco, name in packages
        ),
        aliases=tuple(aliases),
        modified=modified,
        withdrawn=withdrawn,
        summary=summary or f"summary of {ident}",
    )


class FakeReader:
    """``read_path`` over records given per path: ``{path: [(reader, record) | Exception, ...]}``; an
    exception in the list is raised at that point.  Records ``calls``."""

    def __init__(self, data: Mapping[str, Sequence[tuple[str, FeedRecord] | BaseException]]) -> None:
        self.data = data
        self.calls: list[str] = []

    def __call__(self, path: str, problems: list[Status]) -> Iterator[tuple[str, FeedRecord]]:
        self.calls.append(path)
        for item in self.data.get(path, ()):
            if isinstance(item, BaseException):
                raise item
            yield item


def mini_read(path: str, problems: list[Status]) -> Iterator[tuple[str, FeedRecord]]:
    """A small reader of real OSV JSON, CISA KEV JSON and EPSS CSV files (a file or a directory)."""
    files = [path]
    if os.path.isdir(path):
        files = sorted(os.path.join(r, f) for r, _, fs in os.walk(path) for f in fs)
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf, tempfile.TemporaryDirectory() as tmp:
            zf.extractall(tmp)
            yield from mini_read(tmp, problems)
        return
    for file in files:
        if file.endswith(".csv"):
            with open(file, encoding="utf-8") as fh:
                lines = [line for line in fh if not line.startswith("#")]
            for row in csv.DictReader(lines):
                score = row.get("epss") or row.get("EPSS")
                cve = row.get("cve") or row.get("CVE")
                if cve and score:
                    pct = row.get("percentile") or row.get("EPSS Percentile")
                    yield "mini-epss", EpssScore(cve, float(score), float(pct) if pct else None)
            continue
        try:
            with open(file, "rb") as fh:
                doc = json.load(fh)
        except (OSError, ValueError) as exc:
            problems.append(Status("feed/mini", StatusKind.ERROR, str(exc), file))
            continue
        if isinstance(doc, dict) and "vulnerabilities" in doc:
            for v in doc["vulnerabilities"]:
                yield (
                    "mini-kev",
                    KevEntry(v["cveID"], v["vendorProject"], v["product"], date_added=v["dateAdded"]),
                )
        elif isinstance(doc, dict) and "affected" in doc:
            yield (
                "mini-osv",
                Advisory(
                    id=doc["id"],
                    source="osv",
                    affected=tuple(
                        Affected(a["package"]["ecosystem"], a["package"]["name"]) for a in doc["affected"]
                    ),
                    aliases=tuple(doc.get("aliases", ())),
                    modified=doc.get("modified"),
                    withdrawn=doc.get("withdrawn"),
                    summary=doc.get("summary", ""),
                ),
            )


@dataclass
class Served:
    """One file the test server serves, and how."""

    body: bytes
    etag: str = '"v1"'
    md5: str | None = "right"  # "right", "wrong" or None (no x-goog-hash header)
    cut_at: int | None = None  # close the connection after this many body bytes, once
    ranges: bool = True  # honour Range requests (206); False: always 200 with the whole file
    status: int = 200
    shift: int = 0  # answer a Range request from this many bytes later than asked (a broken server)


@dataclass
class Server:
    files: dict[str, Served]
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""
    httpd: http.server.ThreadingHTTPServer | None = None

    def close(self) -> None:
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()


def serve(files: dict[str, Served]) -> Server:
    """An HTTP server on 127.0.0.1 (in a thread) serving ``files`` by URL path."""
    server = Server(files)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            server.requests.append({"path": self.path, "headers": dict(self.headers.items())})
            item = server.files.get(self.path)
            if item is None or item.status == 404:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = item.body
            start = 0
            rng = self.headers.get("Range")
            if_range = self.headers.get("If-Range")
            partial = bool(rng and item.ranges and (if_range is None or if_range == item.etag))
            if partial and rng:
                start = int(rng.removeprefix("bytes=").split("-")[0]) + item.shift
                if start >= len(body):
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(body)}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            else:
                self.send_response(200)
            if item.ranges:
                self.send_header("Accept-Ranges", "bytes")
            self.send_header("ETag", item.etag)
            self.send_header("Content-Length", str(len(body) - start))
            if item.md5 is not None:
                digest = hashlib.md5(body if item.md5 == "right" else body + b"x").digest()
                self.send_header("x-goog-hash", "crc32c=AAAAAA==")
                self.send_header("x-goog-hash", "md5=" + base64.b64encode(digest).decode())
            self.end_headers()
            payload = body[start:]
            if item.cut_at is not None:
                cut, item.cut_at = item.cut_at, None
                self.wfile.write(payload[:cut])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(payload)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    server.httpd = httpd
    server.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return server
