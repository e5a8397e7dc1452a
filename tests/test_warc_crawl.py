"""WARC writing in real crawls: wire fidelity, revisits, conditional re-crawls.

The first part runs a tiny spider (written to tmp_path) through the project's settings
against a local server whose responses exercise the wire details (chunked + gzip,
repeated headers, an odd reason phrase, ETag / Last-Modified / 304). The second part
crawls the sample site with ``scrapy crawl news`` twice (fixtures from conftest).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from fastwarc.warc import ArchiveIterator as FastIterator
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler
from warcio.archiveiterator import ArchiveIterator

from archive.extension import ArchiveExtension
from archive.middleware import WarcWriterMiddleware
from archive.recordbuilder import PROFILE_IDENTICAL, PROFILE_NOT_MODIFIED
from tests.archive_support import project_crawler, project_settings
from tests.conftest import (
    NHANDAN,
    NHANDAN_V2,
    load_expected,
    run_crawl,
    start_server,
    stop_process,
)

ROOT = Path(__file__).resolve().parent.parent
SCRAPY = Path(sys.executable).parent / "scrapy"
WARCIO = Path(sys.executable).parent / "warcio"

PAGE = "<html><body><p>Tin tức Đà Nẵng hôm nay</p></body></html>".encode()

# A server whose answers exercise what Scrapy hides. Prints its port, then serves.
WIRE_SERVER = r"""
import gzip, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PAGE = "<html><body><p>Tin tức Đà Nẵng hôm nay</p></body></html>".encode()
GZ = gzip.compress(PAGE, mtime=0)
LM = "Fri, 01 May 2026 10:00:00 GMT"

class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        path = self.path
        if path.startswith("/wire"):
            self.send_response(200, "Okay Then")
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Set-Cookie", "a=1; Path=/")
            self.send_header("Set-Cookie", "b=2; Path=/")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(0, len(GZ), 7):
                chunk = GZ[i:i + 7]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
            return
        if path.startswith("/cut"):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", "1000")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(PAGE[:20])
            self.wfile.flush()
            self.close_connection = True
            return
        if path.startswith("/etag"):
            if self.headers.get("If-None-Match") == '"v1"':
                self.send_response(304)
                self.send_header("ETag", '"v1"')
                self.end_headers()
                return
            body, extra = PAGE + b"<!-- etag -->", [("ETag", '"v1"')]
        elif path.startswith("/lastmod"):
            if self.headers.get("If-Modified-Since") == LM:
                self.send_response(304)
                self.end_headers()
                return
            body, extra = PAGE + b"<!-- lastmod -->", [("Last-Modified", LM)]
        elif path.startswith("/same-"):
            body, extra = PAGE, []
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

server = ThreadingHTTPServer(("127.0.0.1", 0), H)
print(server.server_address[1], flush=True)
server.serve_forever()
"""

SPIDER = r"""
import hashlib
import scrapy

class WireSpider(scrapy.Spider):
    name = "wire"
    custom_settings = {"ROBOTSTXT_OBEY": False}

    def __init__(self, base, paths="", **kw):
        super().__init__(**kw)
        self.base = base
        self.paths = paths.split(",") if paths else None

    async def start(self):
        if self.paths:
            for path in self.paths:
                yield scrapy.Request(self.base + path)
            return
        for path in ("/wire?x=1&y=%C4%91", "/same-a", "/etag", "/lastmod"):
            yield scrapy.Request(self.base + path)
        yield scrapy.Request(self.base + "/same-b", priority=-10)

    def parse(self, response):
        yield {
            "url": response.url,
            "status": response.status,
            "sha1": hashlib.sha1(response.body).hexdigest(),
            "flags": response.flags,
            "warc": response.meta.get("warc"),
        }
"""


@pytest.fixture(scope="module")
def wire_server() -> Iterator[str]:
    proc = subprocess.Popen([sys.executable, "-c", WIRE_SERVER], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    port = int(proc.stdout.readline())
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
        proc.stdout.close()


def run_wire_crawl(base: str, archive: Path, tmp_path: Path, *extra: str) -> list[dict[str, Any]]:
    spider = tmp_path / "wire_spider.py"
    spider.write_text(SPIDER)
    out = tmp_path / f"items-{len(list(tmp_path.glob('items-*')))}.jsonl"
    cmd = [
        str(SCRAPY), "runspider", str(spider), "-a", f"base={base}", "-o", f"{out}:jsonlines",
        "-s", f"ARCHIVE_DIR={archive}", "-s", "ITEM_PIPELINES={}", "-s", "DOWNLOAD_DELAY=0",
        "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "CONCURRENT_REQUESTS=1", *extra,
    ]  # fmt: skip
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    return [json.loads(line) for line in out.read_text().splitlines()]


def warc_records(archive: Path) -> list[Any]:
    """(rec_type, rec_headers, http_headers, raw payload) of every record, in file order."""
    files = sorted((archive / "warc").glob("*.warc.gz"))
    assert files and not list((archive / "warc").glob("*.open"))
    records = []
    for path in files:
        check = subprocess.run([str(WARCIO), "check", str(path)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout
        with open(path, "rb") as stream:
            for rec in FastIterator(stream, parse_http=False):
                assert rec.verify_block_digest()
        with open(path, "rb") as stream:
            for rec in ArchiveIterator(stream):
                records.append(
                    (rec.rec_type, rec.rec_headers, rec.http_headers, rec.raw_stream.read())
                )
    return records


def by_uri(records: list[Any], rec_type: str) -> dict[str, Any]:
    return {
        r[1].get_header("WARC-Target-URI").split("/", 3)[3]: r for r in records if r[0] == rec_type
    }


@pytest.fixture(scope="module")
def two_wire_runs(wire_server: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp = tmp_path_factory.mktemp("wire")
    archive = tmp / "archive"
    first = run_wire_crawl(wire_server, archive, tmp)
    first_records = warc_records(archive)
    second = run_wire_crawl(wire_server, archive, tmp)
    return first, first_records, second, warc_records(archive)


def test_response_record_is_the_wire_response(two_wire_runs: Any) -> None:
    _, records, _, _ = two_wire_runs
    _, warc, http, payload = by_uri(records, "response")["wire?x=1&y=%C4%91"]
    assert http.protocol == "HTTP/1.1" and http.statusline == "200 Okay Then"
    assert [v for k, v in http.headers if k.lower() == "set-cookie"] == [
        "a=1; Path=/",
        "b=2; Path=/",
    ]
    # de-chunked by Twisted: the original framing header stays visible, renamed
    assert http.get_header("Transfer-Encoding") is None
    assert http.get_header("X-Archive-Orig-Transfer-Encoding") == "chunked"
    assert http.get_header("Content-Encoding") == "gzip"
    assert gzip.decompress(payload) == PAGE  # stored still content-encoded
    assert warc.get_header("WARC-IP-Address") == "127.0.0.1"
    assert warc.get_header("WARC-Date").endswith("Z") and len(warc.get_header("WARC-Date")) == 27


def test_request_and_response_are_linked(two_wire_runs: Any) -> None:
    _, records, _, _ = two_wire_runs
    requests, responses = by_uri(records, "request"), by_uri(records, "response")
    for uri, response in responses.items():
        request = requests[uri]
        assert request[1].get_header("WARC-Concurrent-To") == response[1].get_header(
            "WARC-Record-ID"
        )
        assert response[1].get_header("WARC-Concurrent-To") == request[1].get_header(
            "WARC-Record-ID"
        )
    req_http = requests["wire?x=1&y=%C4%91"][2]
    assert req_http.protocol == "GET" and req_http.statusline.startswith("/wire?x=1&y=%C4%91")
    assert req_http.get_header("Host", "").startswith("127.0.0.1:")
    assert "vnnews-archiver" in req_http.get_header("User-Agent")


def test_identical_payload_becomes_revisit(two_wire_runs: Any) -> None:
    first, records, _, _ = two_wire_runs
    responses, revisits = by_uri(records, "response"), by_uri(records, "revisit")
    assert "same-a" in responses and "same-b" not in responses
    _, warc, http, payload = revisits["same-b"]
    original = responses["same-a"][1]
    assert warc.get_header("WARC-Profile") == PROFILE_IDENTICAL
    assert warc.get_header("WARC-Refers-To") == original.get_header("WARC-Record-ID")
    assert warc.get_header("WARC-Refers-To-Target-URI") == original.get_header("WARC-Target-URI")
    assert warc.get_header("WARC-Refers-To-Date") == original.get_header("WARC-Date")
    assert warc.get_header("WARC-Payload-Digest") == original.get_header("WARC-Payload-Digest")
    assert http.get_statuscode() == "200" and payload == b""
    items = {i["url"].rsplit("/", 1)[1]: i for i in first}
    assert items["same-b"]["warc"]["revisit"] is True
    assert items["same-a"]["warc"]["revisit"] is False
    assert items["same-b"]["sha1"] == hashlib.sha1(PAGE).hexdigest()  # spider still gets it


def test_meta_points_at_the_record(two_wire_runs: Any) -> None:
    first, _, _, _ = two_wire_runs
    archive_items = {i["url"].rsplit("/", 1)[1]: i for i in first}
    item = archive_items["same-a"]
    warc = item["warc"]
    assert set(warc) >= {"filename", "offset", "length", "record_id", "payload_digest", "date"}
    assert warc["payload_digest"].startswith("sha1:")


def test_recrawl_sends_validators_and_304_is_a_revisit(two_wire_runs: Any) -> None:
    first, first_records, second, records = two_wire_runs
    new = records[len(first_records) :]
    requests = by_uri(new, "request")
    assert requests["etag"][2].get_header("If-None-Match") == '"v1"'
    assert requests["lastmod"][2].get_header("If-Modified-Since") == "Fri, 01 May 2026 10:00:00 GMT"
    originals = by_uri(first_records, "response")
    revisits = by_uri(new, "revisit")
    for name in ("etag", "lastmod"):
        _, warc, http, payload = revisits[name]
        assert warc.get_header("WARC-Profile") == PROFILE_NOT_MODIFIED
        assert http.statusline == "304 Not Modified" and payload == b""
        assert warc.get_header("WARC-Refers-To") == originals[name][1].get_header("WARC-Record-ID")
        assert warc.get_header("WARC-Refers-To-Date") == originals[name][1].get_header("WARC-Date")
    # the spider got the original page back, flagged as a revisit
    before = {i["url"].rsplit("/", 1)[1]: i for i in first}
    after = {i["url"].rsplit("/", 1)[1]: i for i in second}
    for name in ("etag", "lastmod"):
        assert after[name]["status"] == 200 and after[name]["sha1"] == before[name]["sha1"]
        assert "revisit" in after[name]["flags"]
        assert after[name]["warc"]["revisit"] is True and after[name]["warc"]["not_modified"]
    # unchanged payloads without validators are identical-payload revisits on re-crawl
    assert revisits["same-a"][1].get_header("WARC-Profile") == PROFILE_IDENTICAL
    assert by_uri(new, "response") == {}


def test_disabled_dedup_writes_full_responses(wire_server: str, tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    for _ in range(2):
        run_wire_crawl(wire_server, archive, tmp_path, "-s", "DEDUP_ENABLED=False")
    records = warc_records(archive)
    assert not [r for r in records if r[0] == "revisit"]
    assert not [r for r in records if r[0] == "request" and r[2].get_header("If-None-Match")]
    assert len([r for r in records if r[0] == "response"]) == 10


def test_redis_backend_in_a_crawl(
    wire_server: str,
    tmp_path: Path,
    redis_url: str,
) -> None:
    prefix = f"test-{uuid.uuid4().hex}:"
    extra = ["-s", "DEDUP_BACKEND=redis", "-s", f"DEDUP_REDIS_URL={redis_url}"]
    extra += ["-s", f"DEDUP_REDIS_PREFIX={prefix}"]
    archive = tmp_path / "archive"
    try:
        for _ in range(2):
            run_wire_crawl(wire_server, archive, tmp_path, *extra)
    finally:
        client = redis.Redis.from_url(redis_url)
        keys = list(client.scan_iter(match=prefix + "*"))
        assert keys  # the index lived in Redis, under the prefix
        client.delete(*keys)
        client.close()
    assert not (archive / "index" / "dedup.sqlite3").exists()
    records = warc_records(archive)
    profiles = [r[1].get_header("WARC-Profile") for r in records if r[0] == "revisit"]
    assert profiles.count(PROFILE_NOT_MODIFIED) == 2  # /etag and /lastmod
    assert profiles.count(PROFILE_IDENTICAL) == 4  # /same-b; /wire, /same-a, /same-b again
    assert len([r for r in records if r[0] == "response"]) == 4


def test_cut_body_is_marked_truncated(wire_server: str, tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    extra = ["-a", "paths=/cut", "-s", "DOWNLOAD_FAIL_ON_DATALOSS=False"]
    for _ in range(2):  # a truncated body is never indexed, so never a revisit source
        items = run_wire_crawl(wire_server, archive, tmp_path, *extra)
        assert "dataloss" in items[0]["flags"]
    records = warc_records(archive)
    cut = [r for r in records if r[0] == "response"]
    assert len(cut) == 2
    for _, warc, http, payload in cut:
        assert warc.get_header("WARC-Truncated") == "disconnect"
        assert http.get_header("Content-Length") == "1000" and payload == PAGE[:20]


def test_bad_settings_are_errors_not_a_disabled_writer(tmp_path: Path) -> None:
    for bad in ({"WARC_MAX_SIZE": 0}, {"WARC_GZIP_LEVEL": 11}):
        # without the extensions (the start-up check would refuse these settings first)
        overrides: dict[str, Any] = {"ARCHIVE_DIR": str(tmp_path), "EXTENSIONS": {}, **bad}
        crawler = get_crawler(settings_dict=project_settings(**overrides))
        with pytest.raises(ValueError, match=next(iter(bad))):
            ArchiveExtension.from_crawler(crawler)
    crawler = project_crawler(ARCHIVE_DIR=str(tmp_path), WARC_ENABLED=False)
    with pytest.raises(NotConfigured, match="WARC_ENABLED"):
        WarcWriterMiddleware.from_crawler(crawler)


# -- the sample site, crawled twice: v1, then the same URLs a day later (v2 overlay) ------


@dataclass
class SiteRuns:
    url: str
    archive: Path
    first_files: list[Path]
    records: list[Any]  # all records of both runs, file order
    first_count: int  # how many of them the first run wrote
    first_json: list[dict[str, Any]]
    second_json: list[dict[str, Any]]
    changes: dict[str, list[str]]
    statuses_second: list[int]


def _json_records(archive: Path, skip: set[Path]) -> list[dict[str, Any]]:
    files = sorted(p for p in (archive / "json").glob("*.jsonl") if p not in skip)
    return [json.loads(line) for path in files for line in path.read_text().splitlines()]


def _crawl(url: str, archive: Path, settings: dict[str, str] | None = None) -> None:
    done = run_crawl(["-a", "site=nhandan", "-a", f"start_urls={url}"], archive, settings)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]


@pytest.fixture(scope="module")
def site_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SiteRuns]:
    tmp = tmp_path_factory.mktemp("site")
    archive = tmp / "archive"
    v1 = start_server(NHANDAN, tmp / "v1.log")
    try:
        _crawl(v1.url, archive)
    finally:
        stop_process(v1.process)
    first_files = sorted((archive / "warc").glob("*.warc.gz"))
    first_count = len(warc_records(archive))
    first_json_files = set((archive / "json").glob("*.jsonl"))
    v2 = start_server(NHANDAN, tmp / "v2.log", overlay=NHANDAN_V2, port=v1.port)
    try:
        # every archived article again (conditionally), not only the due/changed ones
        _crawl(v2.url, archive, {"NEWS_RECHECK": "all"})
        statuses = [status for _, _, status in v2.requests()]
    finally:
        stop_process(v2.process)
    yield SiteRuns(
        url=v1.url,
        archive=archive,
        first_files=first_files,
        records=warc_records(archive),
        first_count=first_count,
        first_json=_json_records(archive, set()),
        second_json=_json_records(archive, first_json_files),
        changes=v2.expected["changes"],
        statuses_second=statuses,
    )


def test_site_first_run_one_record_per_article(site_runs: SiteRuns) -> None:
    expected = load_expected(NHANDAN, None, site_runs.url)
    first = site_runs.first_json[: len(site_runs.first_json) - len(site_runs.second_json)]
    urls = [r["canonical_url"] for r in first]
    assert len(urls) == len(set(urls))
    assert set(urls) == {a["canonical_url"] for a in expected["articles"]}
    assert all(r["version"] == 1 and r["previous"] is None for r in first)
    for record in first:
        assert set(record["warc"]) == {
            "filename",
            "offset",
            "length",
            "record_id",
            "payload_digest",
        }
        assert record["warc"]["filename"] in {p.name for p in site_runs.first_files}


def test_site_robots_and_sitemaps_are_archived(site_runs: SiteRuns) -> None:
    first = site_runs.records[: site_runs.first_count]
    uris = {r[1].get_header("WARC-Target-URI") for r in first if r[0] == "response"}
    assert site_runs.url + "/robots.txt" in uris
    assert site_runs.url + "/sitemap.xml" in uris
    assert any(u.endswith(".rss") for u in uris)


def test_site_records_point_at_their_response(site_runs: SiteRuns) -> None:
    by_id = {r[1].get_header("WARC-Record-ID"): r for r in site_runs.records}
    for record in site_runs.first_json:
        rec = by_id[record["warc"]["record_id"]]
        assert rec[0] == "response"
        assert rec[1].get_header("WARC-Payload-Digest") == record["warc"]["payload_digest"]
        path = site_runs.archive / "warc" / record["warc"]["filename"]
        with open(path, "rb") as stream:
            stream.seek(record["warc"]["offset"])
            raw = stream.read(record["warc"]["length"])
        assert gzip.decompress(raw).startswith(b"WARC/1.1\r\n")


def test_site_second_run_sends_validators_and_writes_304_revisits(site_runs: SiteRuns) -> None:
    first = site_runs.records[: site_runs.first_count]
    second = site_runs.records[site_runs.first_count :]
    by_id = {r[1].get_header("WARC-Record-ID"): r for r in first}
    conditional = [r for r in second if r[0] == "request" and r[2].get_header("If-None-Match")]
    not_modified = [r for r in second if r[1].get_header("WARC-Profile") == PROFILE_NOT_MODIFIED]
    assert site_runs.statuses_second.count(304) == len(not_modified) > 20
    assert len(conditional) >= len(not_modified)
    for _, warc, http, payload in not_modified:
        assert http.get_statuscode() == "304" and payload == b""
        original = by_id[warc.get_header("WARC-Refers-To")]
        assert original[0] == "response"
        assert warc.get_header("WARC-Refers-To-Target-URI") == original[1].get_header(
            "WARC-Target-URI"
        )
        assert warc.get_header("WARC-Refers-To-Date") == original[1].get_header("WARC-Date")
    # never a second full response for an unchanged payload
    digests = [
        r[1].get_header("WARC-Payload-Digest")
        for r in site_runs.records
        if r[0] == "response" and r[2].get_statuscode() == "200" and r[3]
    ]
    assert len(digests) == len(set(digests))


def test_site_second_run_json_versions(site_runs: SiteRuns) -> None:
    base = site_runs.url
    second = {r["canonical_url"]: r for r in site_runs.second_json}
    changed = base + site_runs.changes["text_changed"][0]
    new = base + site_runs.changes["new"][0]
    assert set(second) == {changed, new}  # boilerplate-only and unchanged pages: no record
    v1 = next(
        r for r in site_runs.first_json if r["canonical_url"] == changed and r["version"] == 1
    )
    assert (second[changed]["version"], second[changed]["previous"]) == (2, v1["id"])
    assert second[changed]["id"] != v1["id"]
    assert (second[new]["version"], second[new]["previous"]) == (1, None)
    boiler = base + site_runs.changes["boilerplate_changed"][0]
    assert [r["version"] for r in site_runs.first_json if r["canonical_url"] == boiler] == [1]


def test_site_warcinfo_describes_the_crawl(site_runs: SiteRuns) -> None:
    for path in sorted((site_runs.archive / "warc").glob("*.warc.gz")):
        with open(path, "rb") as stream:
            first = next(iter(ArchiveIterator(stream)))
            assert first.rec_type == "warcinfo"
            assert first.rec_headers.get_header("WARC-Filename") == path.name
            fields = dict(
                line.split(": ", 1)
                for line in first.content_stream().read().decode().splitlines()
                if line
            )
        assert fields["format"] == "WARC File Format 1.1"
        assert fields["software"].startswith("vnnews-archiver/")
        assert fields["robots"] == "obey"
        assert fields["profile"] == "nhandan"
        assert "vnnews-archiver" in fields["http-header-user-agent"]
        assert fields["dedup"].startswith("sqlite")
