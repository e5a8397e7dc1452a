"""DedupPipeline: one JSON record per article version.

Items are article record dicts (from the extraction pipeline) with ``url``,
``canonical_url``, ``text_digest`` and ``warc``. An article is named by its article key
(``archive.versions.version_key``: the canonical URL when it is on the record's own site, else
the record's URL). Against the dedup index (``archive.dedupindex``):

* first sighting of an article -> ``version`` 1, ``previous`` null;
* changed text -> ``version`` = latest + 1, ``previous`` = the latest version's ``id``;
* text already stored (an HTML-only change, a revisit, a 304) -> dropped
  (:class:`UnchangedText` / :class:`KnownRevisit`).

The rule itself is ``archive.versions`` (shared with ``scrapy reprocess``); the index is the
one ``archive.extension.ArchiveExtension`` opened for the crawl.

A version is committed to the index right after its JSON line is written
(``pipelines.jsonlines``, see ``archive.versions``), or, without JSON output, once the item
has passed every pipeline (``item_scraped``); so a crawl killed before the line is written
re-emits the article on the next run instead of losing it, and one killed after it does not
write it twice. Items of one article are numbered one at a time: a second item of an article
with an item still in flight (AMP and canonical copies, two versions) waits until the first
was written or dropped, then is judged against the index, so two copies give one record and
a copy is never dropped in favour of one that then fails.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, NoReturn

from scrapy import signals
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.utils.asyncio import run_in_thread
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred

from archive.dedupindex import DedupIndex
from archive.extension import ArchiveExtension
from archive.versions import commit_version, is_committed, next_version, version_key
from extraction.article import record_id

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

# The record's ``warc`` block (article.schema.json); meta extras such as ``revisit`` go.
WARC_FIELDS = ("filename", "offset", "length", "record_id", "payload_digest")


class UnchangedText(DropItem):
    """The page changed (or not) but its extracted text is a version already recorded."""


class KnownRevisit(DropItem):
    """A revisit (same payload, or 304) of an article version already recorded."""


class DedupPipeline:
    def __init__(self, crawler: Crawler, index: DedupIndex) -> None:
        self.crawler = crawler
        self.index = index
        # article key -> (the item of that article being numbered or written, who waits)
        self.in_flight: dict[str, tuple[Any, list[Deferred[None]]]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupPipeline:
        if not crawler.settings.getbool("DEDUP_ENABLED"):
            raise NotConfigured("JSON record dedup is off; set DEDUP_ENABLED=True to enable it")
        archive = crawler.get_extension(ArchiveExtension)
        if archive is None or archive.index is None:
            raise RuntimeError(
                "the dedup index is not open: enable archive.extension.ArchiveExtension in"
                " EXTENSIONS"
            )
        pipeline = cls(crawler, archive.index)
        crawler.signals.connect(pipeline._item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(pipeline._item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(pipeline._item_dropped, signal=signals.item_error)
        return pipeline

    def _inc(self, key: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(key)

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, dict):
            return item
        key = version_key(item)
        if key is None:
            self._inc("dedup/missing_fields")
            logger.warning("Record without canonical_url/text_digest: %s", item.get("url"))
            return item
        article, digest = key  # the article key (archive.versions): never another site's URL
        item["id"] = item.get("id") or record_id(article, digest)
        warc = item.get("warc") or {}
        revisit = bool(warc.get("revisit"))
        if warc:
            item["warc"] = {k: warc[k] for k in WARC_FIELDS if k in warc}
        while (held := self.in_flight.get(article)) is not None:
            waiter: Deferred[None] = Deferred()
            held[1].append(waiter)  # fired when that item is written or dropped
            await maybe_deferred_to_future(waiter)
        self.in_flight[article] = (item, [])
        try:
            if await run_in_thread(self.index.find_version, *key) is not None:
                self._drop(article, digest, revisit)
            latest = await run_in_thread(self.index.latest_version, article)
        except BaseException:
            self._release(item)
            raise
        newest = (latest.version, latest.record_id) if latest else None
        item["version"], item["previous"] = next_version(newest)
        self._inc("dedup/new_versions" if latest else "dedup/new_articles")
        return item

    def _drop(self, article: str, digest: str, revisit: bool) -> NoReturn:
        self._inc("dedup/known_revisit" if revisit else "dedup/unchanged_text")
        kind = KnownRevisit if revisit else UnchangedText
        raise kind(f"article text already recorded: {article} ({digest})")

    def _release(self, item: Any) -> bool:
        """Let the next item of ``item``'s article go on; False if ``item`` held nothing."""
        key = version_key(item) if isinstance(item, dict) else None
        held = self.in_flight.get(key[0]) if key is not None else None
        if key is None or held is None or held[0] is not item:
            return False
        del self.in_flight[key[0]]
        for waiter in held[1]:
            waiter.callback(None)
        return True

    def _item_scraped(self, item: Any) -> None:
        key = version_key(item) if isinstance(item, dict) else None
        held = self.in_flight.get(key[0]) if key is not None else None
        if held is None or held[0] is not item:
            return
        # the JSON output committed the version after writing the line; without JSON output
        # (or a later pipeline writing elsewhere) it is committed here, before the next item
        # of the article is let through
        try:
            if not is_committed(self.index, item):
                stored = commit_version(self.index, item)
                if stored is not None and stored.version != item.get("version"):
                    self._inc("dedup/version_conflicts")
        except Exception as exc:
            self._inc("dedup/commit_errors")
            logger.error("Could not commit the version of %s: %s", item.get("url"), exc)
        finally:
            self._release(item)

    def _item_dropped(self, item: Any) -> None:
        self._release(item)
