"""DedupPipeline: one JSON record per article version.

Items are article record dicts (from the extraction pipeline) with ``canonical_url``,
``text_digest`` and ``warc``. Against the dedup index (``archive.dedupindex``):

* first sighting of an article -> ``version`` 1, ``previous`` null;
* changed text -> ``version`` = latest + 1, ``previous`` = the latest version's ``id``;
* text already stored (an HTML-only change, a revisit, a 304) -> dropped
  (:class:`UnchangedText` / :class:`KnownRevisit`).

The rule itself is ``archive.versions`` (shared with ``scrapy reprocess``); the index is the
one ``archive.extension.ArchiveExtension`` opened for the crawl.

A version is committed to the index only once the item has passed every pipeline
(``item_scraped``), so a crawl killed before the JSON line is written re-emits the
article on the next run instead of losing it. Items in flight are tracked in memory so
two copies of one article in the same run (AMP and canonical, say) give one record.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, NoReturn

from scrapy import signals
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.utils.asyncio import run_in_thread

from archive.dedupindex import DedupIndex
from archive.extension import ArchiveExtension
from archive.versions import next_version, version_key
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
        self.pending: dict[tuple[str, str], dict[str, Any]] = {}
        self.pending_versions: dict[str, int] = {}

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
        canonical, digest = key
        item["id"] = item.get("id") or record_id(canonical, digest)
        warc = item.get("warc") or {}
        revisit = bool(warc.get("revisit"))
        if warc:
            item["warc"] = {k: warc[k] for k in WARC_FIELDS if k in warc}
        if key in self.pending:  # the same text is in flight: one record is enough
            self._drop(canonical, digest, revisit)
        self.pending[key] = item  # reserve before awaiting, so a twin waits on us
        try:
            if await run_in_thread(self.index.find_version, *key) is not None:
                self._release(item)
                self._drop(canonical, digest, revisit)
            latest = await run_in_thread(self.index.latest_version, canonical)
        except DropItem:
            raise
        except Exception:
            self._release(item)
            raise
        number = max(latest.version if latest else 0, self.pending_versions.get(canonical, 0))
        newest = (number, self._previous(canonical, number, latest)) if number else None
        item["version"], item["previous"] = next_version(newest)
        self.pending_versions[canonical] = item["version"]
        self._inc("dedup/new_versions" if number else "dedup/new_articles")
        return item

    def _drop(self, canonical: str, digest: str, revisit: bool) -> NoReturn:
        self._inc("dedup/known_revisit" if revisit else "dedup/unchanged_text")
        kind = KnownRevisit if revisit else UnchangedText
        raise kind(f"article text already recorded: {canonical} ({digest})")

    def _previous(self, canonical: str, number: int, latest: Any) -> str | None:
        """Id of version ``number``: in flight in this run, or the latest stored one."""
        for (c, _), other in self.pending.items():
            if c == canonical and other.get("version") == number:
                return str(other["id"])
        return str(latest.record_id) if latest else None

    def _release(self, item: Any) -> tuple[str, str] | None:
        key = version_key(item) if isinstance(item, dict) else None
        if key is None or self.pending.get(key) is not item:
            return None
        del self.pending[key]
        if not any(c == key[0] for c, _ in self.pending):
            self.pending_versions.pop(key[0], None)
        return key

    def _item_scraped(self, item: Any) -> None:
        key = self._release(item)
        if key is not None:
            stored = self.index.add_version(key[0], key[1], item["id"])
            if stored.version != item.get("version"):
                logger.warning(
                    "Version of %s stored as %d, record says %s (concurrent writer?)",
                    key[0],
                    stored.version,
                    item.get("version"),
                )
                self._inc("dedup/version_conflicts")

    def _item_dropped(self, item: Any) -> None:
        self._release(item)
