"""ExtractionPipeline: a fetched :class:`Page` becomes an article record.

The work itself is :func:`extraction.article.extract_page` (``extract_article``, which
``scrapy extract`` and ``scrapy reprocess`` call, plus how the record was found). It runs off the
reactor thread, in a thread pool or (``EXTRACT_POOL = "process"``) in a
process pool so both cores work while the reactor keeps downloading.
"""

from __future__ import annotations

import asyncio
import json
import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from functools import partial
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from archive.extension import ArchiveExtension
from archive.recordbuilder import article_uri
from extraction.article import ExtractionError, extract_page
from pipelines.schema import SCHEMA_VERSION
from vnnews.config import checked
from vnnews.items import Page
from vnnews.profiles import ProfileRegistry, SiteProfile

logger = logging.getLogger(__name__)

POOLS = ("thread", "process", "inline")
# What a record keeps of the capture's location (the WARC middleware's meta has more).
WARC_FIELDS = ("filename", "offset", "length", "record_id", "payload_digest")


def watch_parent(crawl_pid: int, interval: float = 1.0) -> None:
    """In each pool worker: exit when the crawl process is gone (e.g. killed with SIGKILL).

    Pool workers hold their own queue pipes open, so they never see EOF when the crawl
    dies; without this they (and the forkserver) would linger after a kill. A killed crawl
    its parent has not reaped yet is a zombie, which ``kill(pid, 0)`` still finds: that counts
    as gone too (else a parent reading the crawl's stderr until EOF would wait forever)."""

    def watch() -> None:
        while True:
            time.sleep(interval)
            try:
                os.kill(crawl_pid, 0)
            except ProcessLookupError:
                os._exit(0)
            except PermissionError:
                pass
            if _zombie(crawl_pid):
                os._exit(0)

    threading.Thread(target=watch, name="watch-crawl", daemon=True).start()


def _zombie(pid: int) -> bool:
    """Whether ``pid`` has exited and waits to be reaped (Linux /proc; False elsewhere)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return False


class NotAnArticle(DropItem):
    """The page has no article content (a listing, an empty or error page)."""


class ExtractionFailed(DropItem):
    """The extractor raised on this page; the crawl goes on."""


class ExtractionPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        # a bad value is an error (SettingError), never a silently disabled pipeline
        self.pool: str = checked(settings, "EXTRACT_POOL")
        self.workers: int = checked(settings, "EXTRACT_WORKERS")
        self.write_metadata = settings.getbool("EXTRACT_WARC_METADATA")
        self.registry = ProfileRegistry.load(settings.getlist("NEWS_PROFILE_DIRS"))
        self.executor: Executor | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractionPipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        if self.pool == "thread":
            self.executor = ThreadPoolExecutor(self.workers, thread_name_prefix="extract")
        elif self.pool == "process":
            ctx = multiprocessing.get_context("forkserver")
            self.executor = ProcessPoolExecutor(
                self.workers, mp_context=ctx, initializer=watch_parent, initargs=(os.getpid(),)
            )

    def close_spider(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=False)
            self.executor = None

    def _profile(self, page: Page) -> SiteProfile | None:
        if page.site:
            try:
                return self.registry.get(page.site)
            except ValueError:
                pass
        return self.registry.for_url(page.url)

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, Page):
            return item
        stats = self.crawler.stats
        assert stats is not None
        job = partial(
            extract_page,
            item.body,
            item.url,
            fetched_at=item.fetched_at,
            profile=self._profile(item),
            hints=item.hints,
            headers=item.headers,
            encoding=item.encoding,
        )
        try:
            if self.executor is None:
                found = job()
            else:
                found = await asyncio.get_running_loop().run_in_executor(self.executor, job)
        except ExtractionError as exc:
            stats.inc_value("extract/not_article")
            raise NotAnArticle(f"no article at {item.url}: {exc}") from exc
        except Exception as exc:
            stats.inc_value("extract/errors")
            logger.warning("Extraction failed for %s: %s: %s", item.url, type(exc).__name__, exc)
            raise ExtractionFailed(f"extraction failed for {item.url}") from exc
        stats.inc_value("extract/articles")
        record = found.record
        if found.profile_miss:  # the site's profile no longer fits its pages: a redesign?
            stats.inc_value("extract/profile_miss")
        if record.get("published") is None:
            stats.inc_value("extract/no_date")
        record["warc"] = {k: item.warc.get(k) for k in WARC_FIELDS} if item.warc else None
        record["schema_version"] = SCHEMA_VERSION
        if self.write_metadata and item.warc and not item.revisit:
            await self._write_metadata(item, record)
        return record

    async def _write_metadata(self, page: Page, record: dict[str, Any]) -> None:
        """A WARC ``metadata`` record after the response, holding the extracted article
        (written by the crawl's writer, which the archive extension owns)."""
        archive = self.crawler.get_extension(ArchiveExtension)
        writer = archive.writer if archive is not None else None
        if writer is None or not page.warc:
            return
        payload = json.dumps(
            {k: v for k, v in record.items() if k != "warc"}, ensure_ascii=False, sort_keys=True
        ).encode("utf-8")
        # its own URI (urn:vnnews:article:URL): replay tools never show it in place of the page
        uri = article_uri(page.url)
        await writer.write_metadata_async(page.warc["record_id"], uri, payload)
