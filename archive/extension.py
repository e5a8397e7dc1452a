"""ArchiveExtension: the one owner of a crawl's archive state.

Registered in ``EXTENSIONS``, it opens, for its crawler:

* the WARC writer (``archive.warcwriter``), when ``WARC_ENABLED``: leftover ``.open`` files
  of dead processes are repaired first;
* the dedup index (``archive.dedupindex``), when ``DEDUP_ENABLED``;
* the CDXJ updates (``archive.cdxj.update_index``): every WARC file the writer closes (or
  repairs) is merged into ``index/index.cdxj``.

and closes them in one ``spider_closed`` handler, in this order: the writer (its last file
is renamed and indexed), then the dedup index. Components find it through Scrapy's public
API, ``crawler.get_extension(ArchiveExtension)``, and use its :attr:`writer`,
:attr:`index` and :attr:`paths`; none of them opens or closes any of these.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from scrapy import signals

from archive.cdxj import update_index
from archive.dedupindex import DedupIndex, open_dedup_index
from archive.recordbuilder import crawl_info
from archive.repair import repair_index
from archive.warcwriter import WarcFileWriter, valid_file_prefix
from vnnews import crashpoint
from vnnews.paths import ArchivePaths

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class ArchiveExtension:
    """Opens the archive's writer, dedup index and CDXJ updates; closes them with the spider."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.paths = ArchivePaths.of(settings["ARCHIVE_DIR"])
        self.writer: WarcFileWriter | None = None
        self.index: DedupIndex | None = None
        crashpoint.arm(settings.get("ARCHIVE_TEST_KILL_AT"))  # tests only (vnnews.crashpoint)
        if settings.getbool("WARC_ENABLED"):
            self.writer = self._open_writer(crawler)
        if settings.getbool("DEDUP_ENABLED"):
            self.index = open_dedup_index(settings)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveExtension:
        if not crawler.settings["ARCHIVE_DIR"]:
            raise ValueError("set ARCHIVE_DIR to the directory the archive is written to")
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def _open_writer(self, crawler: Crawler) -> WarcFileWriter:
        settings = crawler.settings
        max_size = settings.getint("WARC_MAX_SIZE")
        level = settings.getint("WARC_GZIP_LEVEL")
        prefix = settings["WARC_PREFIX"]
        if max_size <= 0 or not 1 <= level <= 9:
            raise ValueError(
                "WARC_MAX_SIZE must be a positive number of bytes and WARC_GZIP_LEVEL 1..9"
            )
        if not isinstance(prefix, str) or not valid_file_prefix(prefix):
            raise ValueError(f"WARC_PREFIX must be a non-empty file name part, not {prefix!r}")
        info = crawl_info(settings)
        spider = crawler.spider
        if spider is not None:
            info["spider"] = spider.name
            site = getattr(spider, "site_name", None)
            if site:
                info["profile"] = str(site)
            # a mirror crawled with -a site=X -a start_urls=...: which hosts the profile read
            # (scrapy reprocess gives their pages the same profile)
            start = getattr(spider, "start_urls", None)
            if start:
                info["start-urls"] = " ".join(str(url) for url in start)
        writer = WarcFileWriter(
            self.paths.warc_dir,
            prefix=prefix,
            max_size=max_size,
            info=info,
            stats=crawler.stats,
            gzip_level=level,
        )
        writer.on_close.append(self._index_file)  # before repair: repaired files are indexed
        writer.repair()
        repair_index(self.paths, self._index_file)  # files closed but not indexed by a killed run
        logger.info("Writing WARC files to %s", writer.warc_dir)
        return writer

    def _index_file(self, path: Path) -> None:
        update_index(self.paths.root, path)

    def spider_closed(self) -> None:
        """Close the writer (last file renamed and indexed), then the dedup index."""
        if self.writer is not None:
            self.writer.close()
        if self.index is not None:
            self.index.close()
