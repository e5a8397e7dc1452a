"""Start-up and run guards: fail loudly, in one line, and stop cleanly when the run cannot work.

* :class:`RunGuard` (extension): validates every setting and checks the archive and the
  dedup back end when the crawler is built, for any way a crawl is started (``scrapy
  crawl``, Scrapyd, a script with ``CrawlerProcess``); stops the crawl cleanly when the
  archive or the dedup back end fails mid-run; logs a one-line run summary (drops by
  reason, failures) and sets the ``vnnews/exit_code`` stat (see ``vnnews.outcome``).
* :class:`OneLineTaskErrors`: an error asyncio reports from a task nobody awaited, and an
  item or page that failed for a full or read-only disk or a Redis back end that stopped
  answering (the guard then stops the crawl), is one log line; the traceback only at DEBUG.
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

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from scrapy import signals

from vnnews.config import SettingError, check_redis, check_startup
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


def is_backend_down(exc: BaseException | None) -> bool:
    """The Redis back end does not answer (a lost connection, a timeout): not a bug."""
    return isinstance(exc, RedisConnectionError | RedisTimeoutError)


#: what SQLite says when the file system under the dedup index fails
SQLITE_STORAGE = ("disk is full", "disk i/o error", "readonly database", "unable to open")


def is_storage_error(exc: BaseException | None, depth: int = 0) -> bool:
    """The archive's file system fails (full, read-only, I/O error), not the page or a peer.

    Also an error raised while handling one (SQLite's failed rollback after a full disk)."""
    if exc is None or depth > 5:
        return False
    if isinstance(exc, sqlite3.OperationalError) and any(
        text in str(exc).lower() for text in SQLITE_STORAGE
    ):
        return True
    if isinstance(exc, OSError) and exc.errno in STORAGE_ERRNOS:
        return True
    return is_storage_error(exc.__cause__ or exc.__context__, depth + 1)


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


class OneLineTaskErrors(logging.Filter):
    """asyncio's "Task exception was never retrieved" (with an 80-line traceback), and an item
    or page that failed because the disk is full or Redis stopped answering, as one line;
    the traceback stays at DEBUG."""

    def __init__(self) -> None:
        super().__init__()
        self.keep_traceback = False

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and not self.keep_traceback:
            exc = record.exc_info[1]
            if record.name != "asyncio" and not is_storage_error(exc) and not is_backend_down(exc):
                return True  # a bug in item processing keeps its traceback
            first = record.getMessage().splitlines()[0] if record.getMessage() else "error"
            if exc is not None:
                record.msg = "%s: %s: %s"
                record.args = (first, type(exc).__name__, one_line(exc))
            record.exc_info = None
            record.exc_text = None
        return True


TASK_ERRORS = OneLineTaskErrors()


class RunGuard:
    """Extension: settings checked at start-up, clean stops mid-run, a one-line summary."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunGuard:
        check_startup(crawler.settings)  # SettingError: one line, names the setting
        TASK_ERRORS.keep_traceback = str(crawler.settings.get("LOG_LEVEL")).upper() == "DEBUG"
        for name in ("asyncio", "scrapy.core.scraper", "scrapy.core.engine", "scrapy.utils.signal"):
            if TASK_ERRORS not in logging.getLogger(name).filters:
                logging.getLogger(name).addFilter(TASK_ERRORS)
        guard = cls(crawler)
        crawler.signals.connect(guard.item_error, signal=signals.item_error)
        crawler.signals.connect(guard.spider_error, signal=signals.spider_error)
        crawler.signals.connect(guard.response_received, signal=signals.response_received)
        crawler.signals.connect(guard.spider_closed, signal=signals.spider_closed)
        return guard

    def spider_error(self, failure: Failure, response: Any) -> None:
        self.item_error(None, response, failure)

    def item_error(self, item: Any, response: Any, failure: Failure) -> None:
        exc = failure.value
        if exc is None:
            return
        if is_storage_error(exc):
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("archive/write_errors")
            stop_crawl(self.crawler, REASON_ARCHIVE, f"Cannot write the archive: {one_line(exc)}")
        elif is_backend_error(exc):
            stop_crawl(self.crawler, REASON_DEDUP, f"The dedup back end failed: {one_line(exc)}")

    def response_received(self) -> None:
        """A WARC write failed (the middleware counts it and goes on): stop the crawl here."""
        stats = self.crawler.stats
        assert stats is not None
        if not stats.get_value("archive/write_errors") or stats.get_value("vnnews/stop_reason"):
            return
        if self._redis_down():  # the index lookup inside the WARC write failed, not the disk
            stop_crawl(self.crawler, REASON_DEDUP, "The Redis dedup back end stopped answering")
        else:
            stop_crawl(self.crawler, REASON_ARCHIVE, "Writing the WARC archive failed (see above)")

    def _redis_down(self) -> bool:
        settings = self.crawler.settings
        if not settings.getbool("DEDUP_ENABLED") or settings["DEDUP_BACKEND"].lower() != "redis":
            return False
        try:
            check_redis(settings, timeout=2.0)
        except SettingError:
            return True
        return False

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
        if is_storage_error(exception):
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("archive/write_errors")
            stop_crawl(
                self.crawler, REASON_ARCHIVE, f"Cannot write the archive: {one_line(exception)}"
            )
        elif is_backend_error(exception):
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("dedup/backend_errors")
            stop_crawl(
                self.crawler, REASON_DEDUP, f"The dedup back end failed: {one_line(exception)}"
            )
