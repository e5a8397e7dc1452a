"""Start-up and run guards: fail loudly, in one line, and stop cleanly when the run cannot work.

* :class:`RunGuard` (extension): validates every setting and checks the archive and the
  dedup back end when the crawler is built, for any way a crawl is started (``scrapy
  crawl``, Scrapyd, a script with ``CrawlerProcess``); stops the crawl cleanly when the
  archive or the dedup back end fails mid-run; logs a one-line run summary (drops by
  reason, failures) and sets the ``vnnews/exit_code`` stat (see ``vnnews.outcome``).
* :class:`BackendGuardMiddleware` (downloader middleware): a dedup back-end error raised
  while a request is prepared (the conditional-request lookup) stops the crawl with
  ``finish_reason = dedup_unavailable`` instead of failing every request one by one.
"""

from __future__ import annotations

import errno
import logging
import sqlite3
from collections import Counter
from typing import TYPE_CHECKING, Any

from scrapy import signals

from vnnews.config import check_startup
from vnnews.outcome import EXIT_CODES, REASON_ARCHIVE, REASON_DEDUP, exit_code

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Request
    from twisted.python.failure import Failure

logger = logging.getLogger(__name__)

#: errno values that mean "the archive cannot be written", not "this item is bad"
STORAGE_ERRNOS = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO, errno.EFBIG}
)


def one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def is_backend_error(exc: BaseException) -> bool:
    """A failure of the dedup index's store (Redis connection, SQLite I/O), not of a page."""
    module = type(exc).__module__ or ""
    if module.startswith("redis"):
        return True
    return isinstance(exc, sqlite3.OperationalError | sqlite3.DatabaseError)


def is_storage_error(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in STORAGE_ERRNOS


def stop_crawl(crawler: Crawler, reason: str, message: str) -> None:
    """Log ``message`` once (ERROR) and close the spider with ``reason``."""
    assert crawler.stats is not None
    if crawler.stats.get_value("vnnews/stop_reason"):
        return
    crawler.stats.set_value("vnnews/stop_reason", reason)
    logger.error("%s; stopping the crawl", message)
    engine = crawler.engine
    if engine is not None and engine.spider is not None:
        from scrapy.utils.defer import deferred_from_coro

        deferred_from_coro(engine.close_spider_async(reason=reason))


class RunGuard:
    """Extension: settings checked at start-up, clean stops mid-run, a one-line summary."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunGuard:
        check_startup(crawler.settings)  # SettingError: one line, names the setting
        guard = cls(crawler)
        crawler.signals.connect(guard.item_error, signal=signals.item_error)
        crawler.signals.connect(guard.spider_error, signal=signals.spider_error)
        crawler.signals.connect(guard.spider_closed, signal=signals.spider_closed)
        return guard

    def spider_error(self, failure: Failure, response: Any) -> None:
        self.item_error(None, response, failure)

    def item_error(self, item: Any, response: Any, failure: Failure) -> None:
        exc = failure.value
        if exc is None:
            return
        if is_backend_error(exc):
            stop_crawl(self.crawler, REASON_DEDUP, f"The dedup back end failed: {one_line(exc)}")
        elif is_storage_error(exc):
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("archive/write_errors")
            stop_crawl(self.crawler, REASON_ARCHIVE, f"Cannot write the archive: {one_line(exc)}")

    def spider_closed(self, reason: str) -> None:
        stats = self.crawler.stats
        assert stats is not None
        values = dict(stats.get_stats())
        values["finish_reason"] = reason
        code, message = exit_code(values)
        stats.set_value("vnnews/exit_code", code)
        logger.info("Run summary: %s", summary(values))
        if code:
            name = EXIT_CODES[code][0]
            logger.error("Run failed (exit code %d, %s): %s", code, name, message)


def summary(stats: dict[str, Any]) -> str:
    """Responses, records written, and how many items were dropped for each reason."""
    drops: Counter[str] = Counter()
    for key, value in stats.items():
        if key.startswith("item_dropped_reasons_count/"):
            drops[key.rsplit("/", 1)[1]] += int(value)
    ignored = int(stats.get("downloader/exception_type_count/scrapy.exceptions.IgnoreRequest") or 0)
    failures = int(stats.get("downloader/exception_count") or 0) - ignored
    parts = [
        f"{int(stats.get('downloader/response_count') or 0)} responses",
        f"{failures} failed requests",
        f"{ignored} requests not sent (robots.txt, dedup)",
        f"{int(stats.get('json/records') or 0)} JSON records",
        f"{sum(drops.values())} pages dropped"
        + (
            " (" + ", ".join(f"{n} {reason}" for reason, n in sorted(drops.items())) + ")"
            if drops
            else ""
        ),
        f"finish reason {stats.get('finish_reason')}",
    ]
    return "; ".join(parts)


class BackendGuardMiddleware:
    """Downloader middleware: a dedup back-end error while preparing a request stops the crawl."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackendGuardMiddleware:
        return cls(crawler)

    def process_exception(self, request: Request, exception: Exception) -> None:
        if is_backend_error(exception):
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("dedup/backend_errors")
            stop_crawl(
                self.crawler, REASON_DEDUP, f"The dedup back end failed: {one_line(exception)}"
            )
