"""archive.versions: the one versioning rule, and the crawl's pipeline and ``scrapy reprocess``
numbering the same history the same way."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.exceptions import DropItem

from archive.extension import ArchiveExtension
from archive.versions import VersionLedger, next_version, version_key
from commands.reprocess import assign_versions
from extraction.article import record_id
from pipelines.dedup import DedupPipeline
from tests.archive_support import project_crawler

A = "https://nhandan.vn/a.html"
B = "https://nhandan.vn/b.html"
# one article's texts over time: T1, T1 again (HTML-only change), T2, back to T1, T3; another
# article with the first one's text
HISTORY = [(A, "sha1:T1"), (A, "sha1:T1"), (A, "sha1:T2"), (B, "sha1:T1"), (A, "sha1:T1"),
           (A, "sha1:T3")]  # fmt: skip


def _record(canonical: str, digest: str, n: int) -> dict[str, Any]:
    return {
        "url": canonical + "?utm_source=x",
        "canonical_url": canonical,
        "text_digest": digest,
        "id": record_id(canonical, digest),
        "fetched_at": f"2026-05-01T10:{n:02d}:00+00:00",
        "warc": {"filename": "a.warc.gz", "offset": n},
    }


def test_key_and_next_version() -> None:
    assert version_key({"canonical_url": A, "url": B, "text_digest": "d"}) == (A, "d")
    assert version_key({"url": B, "text_digest": "d"}) == (B, "d")
    assert version_key({"url": B}) is None and version_key({"text_digest": "d"}) is None
    assert next_version(None) == (1, None)
    assert next_version((3, "id3")) == (4, "id3")


def test_ledger_applies_the_rule() -> None:
    ledger = VersionLedger()
    kept = [r for n, (c, d) in enumerate(HISTORY) if ledger.add(r := _record(c, d, n))]
    assert [(r["canonical_url"], r["text_digest"], r["version"]) for r in kept] == [
        (A, "sha1:T1", 1),
        (A, "sha1:T2", 2),
        (B, "sha1:T1", 1),
        (A, "sha1:T3", 3),
    ]
    assert [r["previous"] for r in kept] == [
        None,
        record_id(A, "sha1:T1"),
        None,
        record_id(A, "sha1:T2"),
    ]
    keyless = {"url": A}
    assert ledger.add(keyless) and "version" not in keyless


def _pipeline_run(crawler: Any) -> list[tuple[str, int, str | None] | str]:
    pipeline = DedupPipeline.from_crawler(crawler)
    out: list[tuple[str, int, str | None] | str] = []
    for n, (canonical, digest) in enumerate(HISTORY):
        item = _record(canonical, digest, n)
        try:
            done = asyncio.run(pipeline.process_item(item))
        except DropItem as exc:
            out.append(type(exc).__name__)
            continue
        crawler.signals.send_catch_log(signals.item_scraped, item=done, response=None, spider=None)
        out.append((done["canonical_url"], done["version"], done["previous"]))
    return out


def test_crawl_and_reprocess_number_the_same_history_alike(tmp_path: Path) -> None:
    crawler = project_crawler(ARCHIVE_DIR=str(tmp_path), WARC_ENABLED=False)
    crawled = _pipeline_run(crawler)
    archive = crawler.get_extension(ArchiveExtension)
    assert archive is not None
    archive.spider_closed()

    stats: Counter[str] = Counter()
    records = [_record(c, d, n) for n, (c, d) in enumerate(HISTORY)]
    reprocessed = {
        (r["canonical_url"], r["text_digest"]): (r["canonical_url"], r["version"], r["previous"])
        for r in assign_versions(records, stats)
    }
    expected = [reprocessed.get(key, "UnchangedText") for key in HISTORY]
    seen: set[tuple[str, str]] = set()
    for n, key in enumerate(HISTORY):  # the first sighting of each text is the record
        if key in seen:
            expected[n] = "UnchangedText"
        seen.add(key)
    assert crawled == expected
    assert stats["reprocess/unchanged_text"] == 2 and stats["reprocess/records"] == 4


def test_key_is_the_canonical_only_on_the_records_own_site() -> None:
    amp = "https://amp.nhandan.vn/a.html"
    assert version_key({"canonical_url": A, "url": amp, "text_digest": "d"}) == (A, "d")
    copy = "https://baotintuc.vn/a-copy.html"  # a republished copy naming the original
    assert version_key({"canonical_url": A, "url": copy, "text_digest": "d"}) == (copy, "d")


def test_pipeline_keeps_a_cross_site_copy_and_its_original(tmp_path: Path) -> None:
    """Same text, the copy's canonical is the original: two articles, in either order."""
    copy_url = "http://127.0.0.1:8002/tin/a.html"
    for order in ((A, copy_url), (copy_url, A)):
        crawler = project_crawler(
            ARCHIVE_DIR=str(tmp_path / str(len(order[0]))), WARC_ENABLED=False
        )
        pipeline = DedupPipeline.from_crawler(crawler)
        done: list[tuple[Any, ...]] = []
        for url in order:
            item: dict[str, Any] = {"url": url, "canonical_url": A, "text_digest": "sha1:T1"}
            item = asyncio.run(pipeline.process_item(item))  # never dropped
            crawler.signals.send_catch_log(
                signals.item_scraped, item=item, response=None, spider=None
            )
            done.append((item["url"], item["id"], item["version"], item["previous"]))
        archive = crawler.get_extension(ArchiveExtension)
        assert archive is not None
        archive.spider_closed()
        assert sorted(done) == sorted(
            [
                (A, record_id(A, "sha1:T1"), 1, None),
                (copy_url, record_id(copy_url, "sha1:T1"), 1, None),
            ]
        )
