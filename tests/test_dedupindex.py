"""archive.dedupindex: the same suite against the SQLite and the Redis back ends."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
import redis
from scrapy import signals
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.settings import Settings

from archive.dedupindex import (
    ArticleVersion,
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
    index: DedupIndex = archive.index
    return index


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

    async def scenario() -> tuple[Any, bool]:
        item = await pipeline.process_item(_article("sha1:T1"))
        # while in flight, a second copy of the article waits for it
        second = asyncio.ensure_future(pipeline.process_item(_article("sha1:T1")))
        for _ in range(20):
            await asyncio.sleep(0)
        waited = not second.done()
        # a later pipeline drops the first: nothing committed, the copy goes on as version 1
        crawler.signals.send_catch_log(
            signals.item_dropped, item=item, response=None, exception=DropItem("x"), spider=None
        )
        assert crawler_index(crawler).latest_version("https://nhandan.vn/a.html") is None
        return await second, waited

    again, waited = asyncio.run(scenario())
    assert waited
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
    """Items of one article in flight together: numbered one at a time, one record per text."""
    crawler = pipeline_crawler
    pipeline = DedupPipeline.from_crawler(crawler)

    async def through(item: dict[str, Any]) -> Any:
        """process_item, then item_scraped or item_dropped at once, as Scrapy does."""
        try:
            out = await pipeline.process_item(item)
        except DropItem as exc:
            crawler.signals.send_catch_log(
                signals.item_dropped, item=item, response=None, exception=exc, spider=None
            )
            return exc
        crawler.signals.send_catch_log(signals.item_scraped, item=out, response=None, spider=None)
        return out

    async def together(*items: dict[str, Any]) -> list[Any]:
        return await asyncio.gather(*(through(i) for i in items))

    same = asyncio.run(together(_article("sha1:T1"), _article("sha1:T1")))
    assert sorted(type(r).__name__ for r in same) == ["UnchangedText", "dict"]
    two = asyncio.run(together(_article("sha1:T2"), _article("sha1:T3")))
    assert [r["version"] for r in two] == [2, 3]  # in the order they came
    v1 = crawler_index(crawler).find_version("https://nhandan.vn/a.html", "sha1:T1")
    assert v1 is not None
    assert [r["previous"] for r in two] == [v1.record_id, two[0]["id"]]


# -- Redis layout (format 2) and the format-1 fallback --------------------------------


@pytest.fixture()
def redis_prefix(redis_url: str) -> Iterator[str]:
    prefix = f"test-{uuid.uuid4().hex}:"
    yield prefix
    cleaner = redis.Redis.from_url(redis_url)
    keys = list(cleaner.scan_iter(match=prefix + "*"))
    if keys:
        cleaner.delete(*keys)
    cleaner.close()


def _sha1_digest(i: int) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(str(i).encode()).digest()).decode()


def _bench_capture(i: int) -> Capture:
    return Capture(
        uri=f"https://nhandan.vn/thoi-su/tin-moi-ve-thoi-su-va-doi-song-{i}-post{800000 + i}.html",
        date="2026-12-03T10:00:00Z",
        record_id=f"<urn:uuid:{uuid.UUID(int=i)}>",
        filename="vnnews-20261203100000000-00001-worker-1234.warc.gz",
        offset=123456789 + i,
        length=45678,
        payload_digest=_sha1_digest(i),
        etag='"abc123"',
        last_modified="Wed, 03 Dec 2026 09:59:00 GMT",
    )


def _write_format1(client: Any, prefix: str, i: int, versions: int) -> None:
    """What the format-1 back end stored for one URL (JSON objects, URLs in key names)."""
    capture = _bench_capture(i)
    client.set(f"{prefix}payload:{capture.payload_digest}", json.dumps(asdict(capture)))
    client.set(f"{prefix}url:{capture.uri}", json.dumps(asdict(capture)))
    for n in range(1, versions + 1):
        value = json.dumps(
            {
                "canonical_url": capture.uri,
                "text_digest": f"sha1:T{n}",
                "version": n,
                "record_id": f"id{n}",
            }
        )
        client.hset(f"{prefix}ver:{capture.uri}", f"sha1:T{n}", value)
        client.hset(f"{prefix}vernum:{capture.uri}", str(n), value)
        client.set(f"{prefix}vercount:{capture.uri}", str(n))


def _memory(client: Any, prefix: str) -> int:
    return sum(
        int(client.memory_usage(key, samples=0)) for key in client.scan_iter(match=prefix + "*")
    )


def test_redis_compact_layout(redis_url: str, redis_prefix: str) -> None:
    """Bucketed hashes, no URL in a key, file names interned, raw digests, short arrays."""
    index = RedisDedupIndex.from_url(redis_url, prefix=redis_prefix, bucket_bits=4)
    n = 60
    for i in range(n):
        capture = _bench_capture(i)
        assert index.add_capture(capture.payload_digest, capture)
        index.set_last_capture(capture.uri, capture)
        index.add_version(capture.uri, f"sha1:T{i}", f"rec{i}")
    raw = redis.Redis.from_url(redis_url)
    keys = sorted(k.decode()[len(redis_prefix) :] for k in raw.scan_iter(match=redis_prefix + "*"))
    families = {k.split(":")[0] for k in keys}
    assert families == {"meta", "files", "fileids", "p", "u"}
    assert len(keys) <= 3 + 2 * 16  # 4 bits: at most 16 buckets of each kind
    assert raw.hgetall(redis_prefix + "files") == {
        b"vnnews-20261203100000000-00001-worker-1234.warc.gz": b"1"
    }
    capture = _bench_capture(7)
    digest_raw = base64.b32decode(capture.payload_digest[5:])
    bucket = f"{redis_prefix}p:{digest_raw[0] >> 4:x}"
    stored = raw.hget(bucket, digest_raw)  # the field is the digest's 20 raw bytes
    assert stored is not None
    assert json.loads(stored) == [
        capture.uri,
        capture.date,
        uuid.UUID(int=7).hex,
        1,
        capture.offset,
        45678,
        0,
        '"abc123"',
        "Wed, 03 Dec 2026 09:59:00 GMT",
    ]  # status 200 (the default) left off
    # the URL's last capture names that payload entry instead of repeating it
    url_raw = hashlib.sha1(capture.uri.encode()).digest()
    last = raw.hget(f"{redis_prefix}u:{url_raw[0] >> 4:x}", url_raw[4:12] + b"c")
    assert last == f"@{digest_raw[0] >> 4:x}{digest_raw.hex()}".encode()
    for i in range(n):
        capture = _bench_capture(i)
        assert index.first_capture(capture.payload_digest) == capture
        assert index.last_capture(capture.uri) == capture
        assert index.latest_version(capture.uri) == ArticleVersion(
            capture.uri, f"sha1:T{i}", 1, f"rec{i}"
        )
    # the same facts in format 1 take several times the memory
    compact = _memory(raw, redis_prefix)
    old_prefix = redis_prefix + "old:"
    for i in range(n):
        _write_format1(raw, old_prefix, i, versions=1)
    assert compact * 3 < _memory(raw, old_prefix)
    raw.close()
    index.close()


def test_redis_captures_round_trip_unusual_values(redis_url: str, redis_prefix: str) -> None:
    index = RedisDedupIndex.from_url(redis_url, prefix=redis_prefix)
    odd = [
        _capture(record_id="0123456789abcdef0123456789abcdef", status=304, etag=None),
        _capture(record_id="<urn:uuid:ABCDEF01-0000-0000-0000-000000000000>", length=0),
        _capture(payload_digest="", filename="other.warc.gz", last_modified="x"),
        _capture(uri="https://nhandan.vn/khác.html", payload_digest="sha256:Zm9v/+=="),
    ]
    for n, capture in enumerate(odd):
        assert index.add_capture(f"sha1:K{n}", capture)
        assert index.first_capture(f"sha1:K{n}") == capture
        index.set_last_capture(f"https://nhandan.vn/{n}", capture)
        assert index.last_capture(f"https://nhandan.vn/{n}") == capture
    # a sha1 digest in canonical form whose capture names another digest
    digest = _sha1_digest(1)
    assert index.add_capture(digest, odd[3])
    assert index.first_capture(digest) == odd[3]
    index.set_last_capture(odd[3].uri, odd[3])
    assert index.last_capture(odd[3].uri) == odd[3]
    # a new opener knows the interned file names from Redis, not from a cache
    again = RedisDedupIndex.from_url(redis_url, prefix=redis_prefix)
    assert again.first_capture("sha1:K2") == odd[2]
    assert again.add_capture("sha1:K2", odd[0]) is False
    again.close()
    index.close()


def test_redis_keeps_the_bucket_bits_it_was_created_with(redis_url: str, redis_prefix: str) -> None:
    first = RedisDedupIndex.from_url(redis_url, prefix=redis_prefix, bucket_bits=4)
    first.set_last_capture("https://nhandan.vn/a.html", _capture())
    first.close()
    again = RedisDedupIndex.from_url(redis_url, prefix=redis_prefix)  # default 20 bits asked
    assert again.bucket_bits == 4
    assert again.last_capture("https://nhandan.vn/a.html") == _capture()
    again.close()


def test_redis_refuses_an_unknown_format(redis_url: str, redis_prefix: str) -> None:
    client = redis.Redis.from_url(redis_url)
    client.hset(redis_prefix + "meta", mapping={"format": "9", "bits": "20"})
    client.close()
    with pytest.raises(ValueError, match="set a new DEDUP_REDIS_PREFIX") as err:
        RedisDedupIndex.from_url(redis_url, prefix=redis_prefix)
    assert "\n" not in str(err.value)


def test_redis_reads_format1_and_moves_versions(redis_url: str, redis_prefix: str) -> None:
    """An index written by the format-1 back end: read as a fallback, versions migrated."""
    raw = redis.Redis.from_url(redis_url)
    _write_format1(raw, redis_prefix, 1, versions=2)
    _write_format1(raw, redis_prefix, 2, versions=1)
    index = RedisDedupIndex.from_url(redis_url, prefix=redis_prefix)
    assert index.legacy is True
    one, two = _bench_capture(1), _bench_capture(2)
    assert index.first_capture(one.payload_digest) == one
    assert index.last_capture(two.uri) == two
    assert index.find_version(one.uri, "sha1:T1") == ArticleVersion(one.uri, "sha1:T1", 1, "id1")
    assert index.latest_version(one.uri) == ArticleVersion(one.uri, "sha1:T2", 2, "id2")
    # SET NX semantics span both formats
    assert index.add_capture(one.payload_digest, two) is False
    assert index.add_capture("sha1:NEW", two) is True
    # a known text is found in the old keys; a new one continues their numbering
    assert index.add_version(one.uri, "sha1:T1", "x").version == 1
    assert index.add_version(one.uri, "sha1:T3", "id3").version == 3
    assert raw.exists(f"{redis_prefix}ver:{one.uri}", f"{redis_prefix}vernum:{one.uri}") == 0
    assert index.find_version(one.uri, "sha1:T1") == ArticleVersion(one.uri, "sha1:T1", 1, "id1")
    assert index.latest_version(one.uri) == ArticleVersion(one.uri, "sha1:T3", 3, "id3")
    # a new last capture replaces the old key
    index.set_last_capture(two.uri, one)
    assert index.last_capture(two.uri) == one
    assert raw.exists(f"{redis_prefix}url:{two.uri}") == 0
    index.close()
    # a fresh prefix is not legacy
    fresh = RedisDedupIndex.from_url(redis_url, prefix=redis_prefix + "fresh:")
    assert fresh.legacy is False
    fresh.close()
    raw.close()
