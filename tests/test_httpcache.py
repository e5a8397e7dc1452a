"""WarcCacheStorage: Scrapy's HTTP cache answered from the WARC archive.

Unit tests on an archive written with our writer, and a real round trip: crawl a local
site with the project's settings (WARC middleware on), stop the site, crawl again offline
from the archive and get the same pages.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.settings import Settings

from archive import recordbuilder as rb
from archive.httpcache import WarcCacheStorage
from tests.archive_support import indexed_writer, project_settings
from tests.test_reader import assert_valid_warc

ROOT = Path(__file__).resolve().parent.parent
PAGE = "<html><head><title>Bão số 9</title></head><body><p>Tin Đà Nẵng.</p></body></html>"
A = "https://nhandan.vn/thoi-su/bao-so-9-post1.html"
AMP = "https://nhandan.vn/amp/bao-so-9-post1.html"
OLD = "https://nhandan.vn/old-url.html"


def _headers(status: str, pairs: list[tuple[bytes, bytes]]) -> rb.RawHttpHeaders:
    return rb.http_headers(("HTTP/1.1", status, "OK"), pairs, request=False)


def _date(minute: int) -> str:
    return rb.warc_date(datetime(2026, 11, 26, 10, minute, tzinfo=UTC))


def write_archive(archive: Path, *, index: bool = True) -> None:
    html = (b"Content-Type", b"text/html; charset=utf-8")
    writer = indexed_writer(archive, prefix="c")
    old_body = gzip.compress(b"<html>old version</html>", mtime=0)
    body = gzip.compress(PAGE.encode(), mtime=0)
    gz = (b"Content-Encoding", b"gzip")
    writer.write_records(
        [rb.build_response(A, _headers("200", [html, gz]), old_body, date=_date(0))]
    )
    (orig,) = writer.write_records(
        [rb.build_response(A, _headers("200", [html, gz, (b"X-Rev", b"2")]), body, date=_date(5))]
    )
    assert orig.payload_digest
    writer.write_records(
        [
            rb.build_revisit(
                AMP,
                _headers("200", [html, gz, (b"X-Rev", b"amp")]),
                profile=rb.PROFILE_IDENTICAL,
                payload_digest=orig.payload_digest,
                refers_to={"uri": A, "date": orig.date, "record_id": orig.record_id},
                date=_date(6),
            ),
            rb.build_response(
                OLD, _headers("301", [(b"Location", A.encode())]), b"", date=_date(7)
            ),
        ]
    )
    writer.close()
    if not index:
        (archive / "index" / "index.cdxj").unlink()


def _storage(archive: Path) -> WarcCacheStorage:
    storage = WarcCacheStorage(Settings(project_settings(ARCHIVE_DIR=str(archive))))
    storage.open_spider(SimpleNamespace(crawler=None))  # type: ignore[arg-type]
    return storage


@pytest.mark.parametrize("with_index", [True, False])
def test_latest_capture_with_original_headers(tmp_path: Path, with_index: bool) -> None:
    write_archive(tmp_path, index=with_index)
    storage = _storage(tmp_path)
    request = Request(A)
    response = storage.retrieve_response(None, request)  # type: ignore[arg-type]
    assert isinstance(response, HtmlResponse)
    assert response.status == 200 and response.url == A
    assert response.headers.get("X-Rev") == b"2"  # the latest of the two captures
    assert response.headers.get("Content-Encoding") == b"gzip"
    assert gzip.decompress(response.body) == PAGE.encode()  # still encoded, as received
    warc = request.meta["warc"]
    assert warc["filename"].startswith("c-") and warc["payload_digest"].startswith("sha1:")


def test_revisit_resolves_to_original_body(tmp_path: Path) -> None:
    write_archive(tmp_path)
    response = _storage(tmp_path).retrieve_response(None, Request(AMP))  # type: ignore[arg-type]
    assert response is not None and response.status == 200
    assert response.headers.get("X-Rev") == b"amp"  # the revisit's own headers
    assert response.headers.get("Content-Encoding") == b"gzip"
    assert gzip.decompress(response.body) == PAGE.encode()


def test_redirect_misses_and_non_get(tmp_path: Path) -> None:
    write_archive(tmp_path)
    storage = _storage(tmp_path)
    redirect = storage.retrieve_response(None, Request(OLD))  # type: ignore[arg-type]
    assert redirect is not None and redirect.status == 301
    assert redirect.headers.get("Location") == A.encode()
    assert storage.retrieve_response(None, Request("https://nhandan.vn/x.html")) is None  # type: ignore[arg-type]
    assert storage.retrieve_response(None, Request(A, method="POST")) is None  # type: ignore[arg-type]
    before = {p: p.read_bytes() for p in (tmp_path / "warc").iterdir()}
    storage.store_response(None, Request(A), HtmlResponse(A, body=b"x"))  # type: ignore[arg-type]
    assert {p: p.read_bytes() for p in (tmp_path / "warc").iterdir()} == before


def test_empty_archive_misses_everything(tmp_path: Path) -> None:
    storage = _storage(tmp_path / "nothing")
    assert storage.retrieve_response(None, Request(A)) is None  # type: ignore[arg-type]


# --- offline re-crawl round trip -------------------------------------------------------

SPIDER = """
import hashlib, json
import scrapy


class SiteSpider(scrapy.Spider):
    name = "site"

    def __init__(self, start, stats_out, **kwargs):
        super().__init__(**kwargs)
        self.start_urls = [start]
        self.stats_out = stats_out

    def parse(self, response):
        yield {
            "url": response.url,
            "status": response.status,
            "sha1": hashlib.sha1(response.body).hexdigest(),
            "cached": "cached" in response.flags,
        }
        for href in response.css("a::attr(href)").getall():
            yield response.follow(href, self.parse)

    def closed(self, reason):
        with open(self.stats_out, "w") as fh:
            json.dump(self.crawler.stats.get_stats(), fh, default=str)
"""

SITE = {
    "index.html": '<a href="a.html">a</a> <a href="b.html">b</a> <a href="sub">sub</a> '
    '<a href="dup.html">dup</a> <a href="missing.html">x</a>',
    "a.html": "<html><body><p>Bài A: Đà Nẵng</p><a href='b.html'>b</a></body></html>",
    "b.html": "<html><body><p>Bài B: Hà Nội</p></body></html>",
    "dup.html": "<html><body><p>Bài A: Đà Nẵng</p><a href='b.html'>b</a></body></html>",
    "sub/index.html": "<html><body><p>Mục con</p></body></html>",
}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _crawl(
    tmp_path: Path, tag: str, start: str, *settings: str
) -> tuple[list[Any], dict[str, Any]]:
    items = tmp_path / f"items-{tag}.jsonl"
    stats = tmp_path / f"stats-{tag}.json"
    args = [
        sys.executable, "-m", "scrapy", "runspider", str(tmp_path / "site_spider.py"),
        "-a", f"start={start}", "-a", f"stats_out={stats}", "-o", str(items),
        "-s", f"ARCHIVE_DIR={tmp_path / 'archive'}", "-s", "ROBOTSTXT_OBEY=False",
        "-s", "ITEM_PIPELINES={}", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
        "-s", "LOG_LEVEL=INFO", *settings,
    ]  # fmt: skip
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [json.loads(line) for line in items.read_text().splitlines()]
    return rows, json.loads(stats.read_text())


def test_offline_recrawl_from_archive(tmp_path: Path) -> None:
    site = tmp_path / "site"
    for name, text in SITE.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(text, encoding="utf-8")
    (tmp_path / "site_spider.py").write_text(SPIDER, encoding="utf-8")
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "-d", str(site)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    start = f"http://127.0.0.1:{port}/index.html"
    try:
        for _ in range(200):  # bounded wait for the server
            try:
                urllib.request.urlopen(start, timeout=2).close()
                break
            except (urllib.error.URLError, OSError):
                time.sleep(0.05)
        live, live_stats = _crawl(tmp_path, "live", start)
    finally:
        server.terminate()
        server.wait(timeout=20)
    warcs = sorted((tmp_path / "archive" / "warc").iterdir())
    assert warcs and all(p.name.endswith(".warc.gz") for p in warcs)
    assert (tmp_path / "archive" / "index" / "index.cdxj").exists()
    assert live_stats.get("httpcache/hit") is None
    for path in warcs:  # what the project writes passes tools we did not write
        assert_valid_warc(path)

    offline, stats = _crawl(
        tmp_path,
        "offline",
        start,
        "-s", "HTTPCACHE_ENABLED=1",
        "-s", "HTTPCACHE_STORAGE=archive.httpcache.WarcCacheStorage",
        "-s", "HTTPCACHE_IGNORE_MISSING=1",
    )  # fmt: skip

    def pages(rows: list[Any]) -> list[tuple[str, int, str]]:
        return sorted((r["url"], r["status"], r["sha1"]) for r in rows)

    assert len(live) == 5  # index, a, b, sub/ (after a 301), dup; 404 dropped
    assert pages(offline) == pages(live)
    assert all(r["cached"] for r in offline) and not any(r["cached"] for r in live)
    assert {r["sha1"] for r in live if r["url"].endswith(("a.html", "dup.html"))} == {
        hashlib.sha1(SITE["a.html"].encode()).hexdigest()
    }
    assert stats["httpcache/hit"] == live_stats["downloader/response_count"]
    assert sorted((tmp_path / "archive" / "warc").iterdir()) == warcs  # nothing re-recorded
