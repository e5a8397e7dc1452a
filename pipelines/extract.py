"""ExtractionPipeline: a fetched :class:`Page` becomes an article record.

The work itself is :func:`extraction.article.extract_page` (``extract_article``, which
``scrapy extract`` and ``scrapy reprocess`` call, plus how the record was found). The spider
has it done in the same worker call that reads the page (:mod:`spiders.pageanalysis`) and hands
the outcome over on the item (``Page.extraction``); a page that arrives without one (an item
from elsewhere) is extracted here, in the crawl's worker pool (:mod:`vnnews.workpool`,
``EXTRACT_POOL``), off the reactor thread.
"""

from __future__ import annotations

import json
import logging
from functools import partial
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from archive.extension import ArchiveExtension
from archive.recordbuilder import article_uri
from extraction.article import ExtractionError, extract_page
from extraction.outcome import ExtractFailure
from pipelines.schema import SCHEMA_VERSION
from vnnews.config import checked
from vnnews.items import Page
from vnnews.profiles import ProfileRegistry, SiteProfile
from vnnews.workpool import POOLS, WorkPool, run_in, watch_parent

__all__ = ["POOLS", "ExtractionFailed", "ExtractionPipeline", "NotAnArticle", "watch_parent"]

logger = logging.getLogger(__name__)

# What a record keeps of the capture's location (the WARC middleware's meta has more).
WARC_FIELDS = ("filename", "offset", "length", "record_id", "payload_digest")


class NotAnArticle(DropItem):
    """The page has no article content (a listing, an empty or error page)."""


class ExtractionFailed(DropItem):
    """The extractor raised on this page; the crawl goes on."""


class ExtractionPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        # a bad value is an error (SettingError), never a silently disabled pipeline
        checked(settings, "EXTRACT_POOL")
        self.write_metadata = settings.getbool("EXTRACT_WARC_METADATA")
        self.registry = ProfileRegistry.load(settings.getlist("NEWS_PROFILE_DIRS"))
        # the crawl's worker pool (None without the extension: extraction runs inline)
        self.pool: WorkPool | None = crawler.get_extension(WorkPool)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractionPipeline:
        return cls(crawler)

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
        outcome = item.extraction
        try:
            if outcome is None:  # not analysed by the spider: extracted here
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
                found = await run_in(self.pool, job)
            elif isinstance(outcome, ExtractFailure):
                if outcome.not_article:
                    raise ExtractionError(outcome.message)
                stats.inc_value("extract/errors")
                logger.warning(
                    "Extraction failed for %s: %s: %s",
                    item.url,
                    outcome.error_type,
                    outcome.message,
                )
                raise ExtractionFailed(f"extraction failed for {item.url}")
            else:
                found = outcome
        except ExtractionError as exc:
            stats.inc_value("extract/not_article")
            raise NotAnArticle(f"no article at {item.url}: {exc}") from exc
        except ExtractionFailed:
            raise
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
