"""archive.extension: one owner opens the writer, the dedup index and the CDXJ updates, the
components find it through ``crawler.get_extension``, and one ``spider_closed`` closes all.

Crawlers here are built from settings.py as ``scrapy crawl`` builds them (no crawl runs);
the crawls themselves are tests/test_warc_crawl.py and tests/test_crash.py.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from scrapy import Spider, signals
from scrapy.utils.test import get_crawler
from warcio.archiveiterator import ArchiveIterator

from archive.dedupindex import SqliteDedupIndex
from archive.extension import ArchiveExtension
from archive.middleware import WarcWriterMiddleware
from archive.recordbuilder import build_response
from pipelines.dedup import DedupPipeline
from pipelines.extract import ExtractionPipeline
from pipelines.jsonlines import JsonLinesPipeline
from tests.archive_support import (
    BODY,
    DATE,
    URL,
    project_crawler,
    project_settings,
    response_headers,
    unfinished_warc,
)
from vnnews.items import Page
from vnnews.paths import ArchivePaths


class SiteSpider(Spider):
    name = "news"
    site_name = "nhandan"


def _archive(crawler: Any) -> ArchiveExtension:
    archive = crawler.get_extension(ArchiveExtension)
    assert archive is not None
    return archive


def test_extension_is_registered_and_opens_the_archive(tmp_path: Path) -> None:
    crawler = project_crawler(ARCHIVE_DIR=str(tmp_path))
    archive = _archive(crawler)
    assert archive.paths == ArchivePaths.of(tmp_path)
    assert archive.writer is not None and archive.writer.warc_dir == tmp_path / "warc"
    assert isinstance(archive.index, SqliteDedupIndex)
    assert archive.index.path == tmp_path / "index" / "dedup.sqlite3"
    # nothing hangs on the crawler besides Scrapy's own components
    assert not [name for name in vars(crawler) if name.startswith("_vnnews")]
    archive.spider_closed()


def test_components_use_the_extensions_writer_and_index(tmp_path: Path) -> None:
    crawler = project_crawler(ARCHIVE_DIR=str(tmp_path))
    archive = _archive(crawler)
    middleware = WarcWriterMiddleware.from_crawler(crawler)
    pipeline = DedupPipeline.from_crawler(crawler)
    assert middleware.writer is archive.writer and middleware.index is archive.index
    assert pipeline.index is archive.index
    archive.spider_closed()


def test_spider_closed_closes_writer_then_index_and_indexes_the_last_file(tmp_path: Path) -> None:
    crawler = project_crawler(ARCHIVE_DIR=str(tmp_path))
    archive = _archive(crawler)
    assert archive.writer is not None and archive.index is not None
    (loc,) = archive.writer.write_records(
        [build_response(URL, response_headers(), BODY, date=DATE)]
    )
    crawler.signals.send_catch_log(signals.spider_closed, spider=None, reason="finished")
    (path,) = (tmp_path / "warc").glob("*.warc.gz")  # renamed: no .open left
    assert path.name == loc.filename
    (line,) = (tmp_path / "index" / "index.cdxj").read_text().splitlines()
    assert json.loads(line.split(" ", 2)[2])["filename"] == loc.filename
    with pytest.raises(sqlite3.ProgrammingError):  # the index is closed too
        archive.index.latest_version(URL)


def test_leftover_open_files_are_repaired_and_indexed_on_start(tmp_path: Path) -> None:
    leftover, _ = unfinished_warc(tmp_path, count=2)
    crawler = project_crawler(ARCHIVE_DIR=str(tmp_path))
    archive = _archive(crawler)
    assert not leftover.exists()
    lines = (tmp_path / "index" / "index.cdxj").read_text().splitlines()
    assert len(lines) == 2  # the two responses of the repaired file
    archive.spider_closed()


def test_warcinfo_names_the_spider_and_its_site(tmp_path: Path) -> None:
    crawler = get_crawler(SiteSpider, settings_dict=project_settings(ARCHIVE_DIR=str(tmp_path)))
    crawler.spider = SiteSpider()  # as Crawler.crawl() does before the extensions are built
    archive = ArchiveExtension.from_crawler(crawler)
    assert archive.writer is not None
    assert archive.writer.info["spider"] == "news"
    assert archive.writer.info["profile"] == "nhandan"
    archive.writer.write_metadata("<urn:uuid:x>", URL, b"{}")
    archive.spider_closed()
    (path,) = (tmp_path / "warc").glob("*.warc.gz")
    with path.open("rb") as stream:
        info = next(iter(ArchiveIterator(stream))).content_stream().read()
    assert b"spider: news\r\n" in info and b"profile: nhandan\r\n" in info
    _archive(crawler).spider_closed()  # the one the settings built


def test_switches(tmp_path: Path) -> None:
    no_warc = _archive(project_crawler(ARCHIVE_DIR=str(tmp_path), WARC_ENABLED=False))
    assert no_warc.writer is None and no_warc.index is not None
    assert not (tmp_path / "warc").exists()
    no_warc.spider_closed()
    no_dedup = _archive(project_crawler(ARCHIVE_DIR=str(tmp_path / "b"), DEDUP_ENABLED=False))
    assert no_dedup.writer is not None and no_dedup.index is None
    assert not (tmp_path / "b" / "index" / "dedup.sqlite3").exists()
    no_dedup.spider_closed()


def test_components_without_the_extension_refuse_to_start(tmp_path: Path) -> None:
    crawler = get_crawler(settings_dict=project_settings(ARCHIVE_DIR=str(tmp_path), EXTENSIONS={}))
    assert crawler.get_extension(ArchiveExtension) is None
    with pytest.raises(RuntimeError, match="ArchiveExtension"):
        WarcWriterMiddleware.from_crawler(crawler)
    with pytest.raises(RuntimeError, match="ArchiveExtension"):
        DedupPipeline.from_crawler(crawler)
    assert not (tmp_path / "warc").exists()  # nobody else opened the archive


def test_extraction_pipeline_writes_metadata_only_through_the_extension(tmp_path: Path) -> None:
    """With no archive extension the pipeline writes nothing: it never opens a WARC file."""
    crawler = get_crawler(
        settings_dict=project_settings(
            ARCHIVE_DIR=str(tmp_path), EXTENSIONS={}, EXTRACT_POOL="inline"
        )
    )
    pipeline = ExtractionPipeline.from_crawler(crawler)
    page = Page(
        url=URL,
        request_url=URL,
        status=200,
        headers={},
        body=b"",
        encoding="utf-8",
        fetched_at=datetime(2026, 5, 1, tzinfo=UTC),
        warc={"record_id": "<urn:uuid:x>"},
    )
    asyncio.run(pipeline._write_metadata(page, {"title": "x"}))
    assert not (tmp_path / "warc").exists()


def test_bad_prefix_is_an_error(tmp_path: Path) -> None:
    for prefix in ("", "a/b"):
        overrides: dict[str, Any] = {
            "ARCHIVE_DIR": str(tmp_path),
            "EXTENSIONS": {},
            "WARC_PREFIX": prefix,
        }
        crawler = get_crawler(settings_dict=project_settings(**overrides))
        with pytest.raises(ValueError, match="WARC_PREFIX"):
            ArchiveExtension.from_crawler(crawler)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o002, 0o664)])
def test_every_output_file_follows_the_umask(tmp_path: Path, umask: int, mode: int) -> None:
    """WARC, CDXJ, SQLite (and its WAL files) and JSONL get 0666 less the umask."""
    old = os.umask(umask)
    try:
        crawler = project_crawler(ARCHIVE_DIR=str(tmp_path))
        archive = _archive(crawler)
        assert archive.writer is not None and archive.index is not None
        archive.writer.write_records([build_response(URL, response_headers(), BODY, date=DATE)])
        archive.index.add_version(URL, "sha1:T", "id")
        jsonl = JsonLinesPipeline.from_crawler(crawler)
        jsonl.open_spider()
        jsonl.process_item({"id": "x"})
        jsonl.close_spider()
        # SQLite's -wal and -shm files exist while the index is open
        wal = {
            p.name: _mode(p)
            for p in (tmp_path / "index").iterdir()
            if p.name.startswith("dedup.sqlite3-")
        }
        archive.spider_closed()
    finally:
        os.umask(old)
    outputs = [
        *(tmp_path / "warc").glob("*.warc.gz"),
        tmp_path / "index" / "index.cdxj",
        tmp_path / "index" / "dedup.sqlite3",
        *(tmp_path / "json").glob("*.jsonl"),
    ]
    assert len(outputs) == 4 and wal.keys() == {"dedup.sqlite3-wal", "dedup.sqlite3-shm"}
    found = {**{p.name: _mode(p) for p in outputs}, **wal}
    assert found == dict.fromkeys(found, mode)
