"""archive.dedupindex: the same suite against the SQLite and the Redis back ends."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from scrapy import signals
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.settings import Settings

from archive.dedupindex import (
    Capture,
    DedupIndex,
    RedisDedupIndex,
    SqliteDedupIndex,
    open_dedup_index,
)
from archive.extension import ArchiveExtension
from extraction.article import record_id
from pipelines.dedup import DedupPipeline
from tests.archive_support import project_crawler, project_settings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except redis.RedisError:
        return False


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """127.0.0.1:6379 if it answers, else a private redis-server on a free port."""
    default = "redis://127.0.0.1:6379/0"
    if _answers(default):
        yield default
        return
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("no Redis at 127.0.0.1:6379 and no redis-server binary")
    port = _free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        for _ in range(100):
            if _answers(url):
                break
            time.sleep(0.05)
        else:
            pytest.skip("redis-server did not start")
        yield url
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)


@pytest.fixture(params=["sqlite", "redis"])
def index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DedupIndex]:
    if request.param == "sqlite":
        idx: DedupIndex = SqliteDedupIndex(tmp_path / "index" / "dedup.sqlite3")
        yield idx
        idx.close()
        return
    url = request.getfixturevalue("redis_url")
    prefix = f"test-{uuid.uuid4().hex}:"
    idx = RedisDedupIndex.from_url(url, prefix=prefix)
    yield idx
    cleaner = redis.Redis.from_url(url)
    keys = list(cleaner.scan_iter(match=prefix + "*"))
    if keys:
        cleaner.delete(*keys)
    cleaner.close()
    idx.close()


def _capture(uri: str = "https://nhandan.vn/a.html", **kw: object) -> Capture:
    fields: dict[str, object] = {
        "uri": uri,
        "date": "2026-05-01T10:00:00.000000Z",
        "record_id": "<urn:uuid:11111111-1111-1111-1111-111111111111>",
        "filename": "vnnews-20260501100000000-00000-host-1.warc.gz",
        "offset": 1234,
        "length": 567,
        "payload_digest": "sha1:AAAA",
        **kw,
    }
    return Capture(**fields)  # type: ignore[arg-type]


def test_first_capture_wins(index: DedupIndex) -> None:
    assert index.first_capture("sha1:AAAA") is None
    first = _capture()
    assert index.add_capture("sha1:AAAA", first) is True
    assert index.add_capture("sha1:AAAA", _capture(uri="https://nhandan.vn/b.html")) is False
    assert index.first_capture("sha1:AAAA") == first
    assert index.first_capture("sha1:BBBB") is None


def test_last_capture_is_replaced(index: DedupIndex) -> None:
    url = "https://nhandan.vn/a.html?page=2"
    assert index.last_capture(url) is None
    index.set_last_capture(url, _capture(url, etag='"v1"', last_modified=None))
    second = _capture(url, etag='"v2"', last_modified="Fri, 01 May 2026 10:00:00 GMT")
    index.set_last_capture(url, second)
    assert index.last_capture(url) == second
    assert index.last_capture("https://nhandan.vn/a.html") is None


def test_versions_count_up_per_article(index: DedupIndex) -> None:
    url = "https://nhandan.vn/bai-viet-1.html"
    assert index.latest_version(url) is None
    v1 = index.add_version(url, "sha1:T1", "id1")
    v2 = index.add_version(url, "sha1:T2", "id2")
    assert (v1.version, v2.version) == (1, 2)
    assert index.latest_version(url) == v2
    assert index.find_version(url, "sha1:T1") == v1
    assert index.find_version(url, "sha1:T3") is None
    # storing a known text again changes nothing
    assert index.add_version(url, "sha1:T1", "other") == v1
    assert index.latest_version(url) == v2
    # other articles have their own numbering
    assert index.add_version(url + "?x=1", "sha1:T1", "id3").version == 1


def test_concurrent_add_version_gives_distinct_numbers(index: DedupIndex) -> None:
    url = "https://nhandan.vn/hot.html"
    results: list[int] = []

    def add(n: int) -> None:
        results.append(index.add_version(url, f"sha1:T{n}", f"id{n}").version)

    threads = [threading.Thread(target=add, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == list(range(1, 9))


def test_unicode_urls_round_trip(index: DedupIndex) -> None:
    url = "https://nhandan.vn/thời-sự/bài-viết.html"
    capture = _capture(url, etag='W/"đ"')
    index.set_last_capture(url, capture)
    assert index.last_capture(url) == capture


def test_sqlite_survives_reopen(tmp_path: Path) -> None:
    path = tmp_path / "dedup.sqlite3"
    first = SqliteDedupIndex(path)
    first.add_capture("sha1:AAAA", _capture())
    first.add_version("u", "sha1:T1", "id1")
    first.close()
    again = SqliteDedupIndex(path)
    assert again.first_capture("sha1:AAAA") == _capture()
    assert again.add_version("u", "sha1:T2", "id2").version == 2
    again.close()


def test_sqlite_uses_wal(tmp_path: Path) -> None:
    idx = SqliteDedupIndex(tmp_path / "d.sqlite3")
    mode = idx._db.execute("PRAGMA journal_mode").fetchone()[0]
    idx.close()
    assert mode == "wal"


def test_factory_from_settings(tmp_path: Path, redis_url: str) -> None:
    sqlite = open_dedup_index(Settings(project_settings(ARCHIVE_DIR=str(tmp_path))))
    assert isinstance(sqlite, SqliteDedupIndex)
    assert sqlite.path == tmp_path / "index" / "dedup.sqlite3"
    sqlite.close()
    prefix = f"test-{uuid.uuid4().hex}:"
    settings = Settings(
        project_settings(
            DEDUP_BACKEND="redis", DEDUP_REDIS_URL=redis_url, DEDUP_REDIS_PREFIX=prefix
        )
    )
    red = open_dedup_index(settings)
    assert isinstance(red, RedisDedupIndex)
    assert red.prefix == prefix
    red.close()
    with pytest.raises(ValueError, match="DEDUP_BACKEND"):
        open_dedup_index(Settings(project_settings(DEDUP_BACKEND="mongo")))


# -- DedupPipeline: one JSON record per article version ------------------------------


@pytest.fixture(params=["sqlite", "redis"])
def pipeline_crawler(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    settings: dict[str, Any] = {"ARCHIVE_DIR": str(tmp_path)}
    prefix = f"test-{uuid.uuid4().hex}:"
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        settings |= {"DEDUP_BACKEND": "redis", "DEDUP_REDIS_URL": url, "DEDUP_REDIS_PREFIX": prefix}
    crawler = project_crawler(**settings)
    yield crawler
    crawler_index(crawler).close()
    if request.param == "redis":
        cleaner = redis.Redis.from_url(settings["DEDUP_REDIS_URL"])
        keys = list(cleaner.scan_iter(match=prefix + "*"))
        if keys:
            cleaner.delete(*keys)
        cleaner.close()


def crawler_index(crawler: Any) -> DedupIndex:
    """The dedup index the crawl's archive extension opened."""
    archive = crawler.get_extension(ArchiveExtension)
    assert archive is not None and archive.index is not None
    return archive.index


def _article(
    text_digest: str, *, revisit: bool = False, url: str = "https://nhandan.vn/a.html"
) -> dict[str, Any]:
    return {
        "url": url + "?utm_source=x",
        "canonical_url": url,
        "text_digest": text_digest,
        "title": "Tin",
        "warc": {"record_id": "<urn:uuid:x>", "revisit": revisit},
    }


def _through(crawler: Any, pipeline: DedupPipeline, item: dict[str, Any]) -> dict[str, Any] | str:
    """Run one item as Scrapy would: process_item, then item_scraped or item_dropped."""
    try:
        out = asyncio.run(pipeline.process_item(item))
    except DropItem as exc:
        crawler.signals.send_catch_log(
            signals.item_dropped, item=item, response=None, exception=exc, spider=None
        )
        return type(exc).__name__
    crawler.signals.send_catch_log(signals.item_scraped, item=out, response=None, spider=None)
    return dict(out)


def test_pipeline_versions(pipeline_crawler: Any) -> None:
    crawler = pipeline_crawler
    pipeline = DedupPipeline.from_crawler(crawler)
    first = _through(crawler, pipeline, _article("sha1:T1"))
    assert isinstance(first, dict) and first["version"] == 1 and first["previous"] is None
    assert first["id"] == record_id("https://nhandan.vn/a.html", "sha1:T1")
    assert first["warc"] == {"record_id": "<urn:uuid:x>"}  # meta extras (revisit) removed
    # same text (boilerplate-only HTML change) -> no new record
    assert _through(crawler, pipeline, _article("sha1:T1")) == "UnchangedText"
    # revisit of a known version -> no new record
    assert _through(crawler, pipeline, _article("sha1:T1", revisit=True)) == "KnownRevisit"
    second = _through(crawler, pipeline, _article("sha1:T2"))
    assert isinstance(second, dict)
    assert (second["version"], second["previous"]) == (2, first["id"])
    other = _through(crawler, pipeline, _article("sha1:T1", url="https://nhandan.vn/b.html"))
    assert isinstance(other, dict) and other["version"] == 1
    assert crawler.stats.get_value("dedup/unchanged_text") == 1
    assert crawler.stats.get_value("dedup/known_revisit") == 1
    # a new run (new pipeline, same index) knows the versions
    again = DedupPipeline.from_crawler(crawler)
    assert _through(crawler, again, _article("sha1:T2")) == "UnchangedText"
    third = _through(crawler, again, _article("sha1:T3", revisit=True))
    assert isinstance(third, dict) and (third["version"], third["previous"]) == (3, second["id"])


def test_pipeline_commits_only_scraped_items(pipeline_crawler: Any) -> None:
    crawler = pipeline_crawler
    pipeline = DedupPipeline.from_crawler(crawler)
    item = asyncio.run(pipeline.process_item(_article("sha1:T1")))
    # while in flight, a second copy is a duplicate
    with pytest.raises(DropItem):
        asyncio.run(pipeline.process_item(_article("sha1:T1")))
    # a later pipeline drops it: nothing committed, the article comes back next time
    crawler.signals.send_catch_log(
        signals.item_dropped, item=item, response=None, exception=DropItem("x"), spider=None
    )
    assert crawler_index(crawler).latest_version("https://nhandan.vn/a.html") is None
    again = _through(crawler, pipeline, _article("sha1:T1"))
    assert isinstance(again, dict) and again["version"] == 1


def test_pipeline_passes_records_without_digest(pipeline_crawler: Any) -> None:
    crawler = pipeline_crawler
    pipeline = DedupPipeline.from_crawler(crawler)
    item = {"url": "https://nhandan.vn/x.html"}
    assert asyncio.run(pipeline.process_item(item)) is item
    assert crawler.stats.get_value("dedup/missing_fields") == 1


def test_pipeline_disabled(tmp_path: Path) -> None:
    crawler = project_crawler(ARCHIVE_DIR=str(tmp_path), DEDUP_ENABLED=False)
    with pytest.raises(NotConfigured, match="DEDUP_ENABLED"):
        DedupPipeline.from_crawler(crawler)


def test_pipeline_items_in_flight_together(pipeline_crawler: Any) -> None:
    """Items awaiting the index at the same time: one record per text, versions in order."""
    crawler = pipeline_crawler
    pipeline = DedupPipeline.from_crawler(crawler)

    async def together(*items: dict[str, Any]) -> list[Any]:
        return await asyncio.gather(
            *(pipeline.process_item(i) for i in items), return_exceptions=True
        )

    same = asyncio.run(together(_article("sha1:T1"), _article("sha1:T1")))
    assert sorted(type(r).__name__ for r in same) == ["UnchangedText", "dict"]
    for result in same:
        if isinstance(result, dict):
            crawler.signals.send_catch_log(
                signals.item_scraped, item=result, response=None, spider=None
            )
    # which of the two gets version 2 depends on the thread that answers first
    two = sorted(
        asyncio.run(together(_article("sha1:T2"), _article("sha1:T3"))),
        key=lambda r: r["version"],
    )
    assert [r["version"] for r in two] == [2, 3]
    v1 = crawler_index(crawler).find_version("https://nhandan.vn/a.html", "sha1:T1")
    assert v1 is not None
    assert [r["previous"] for r in two] == [v1.record_id, two[0]["id"]]
