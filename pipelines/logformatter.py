"""Log lines about items name the page, never print it.

Scrapy's default log formatter writes the whole item into every "Dropped:",
"Scraped from" and "Error processing" line; for a :class:`~vnnews.items.Page` that is
the page's HTML body, so a re-crawl of unchanged pages logged hundreds of kilobytes.
:class:`ItemLogFormatter` (``LOG_FORMATTER``) writes one short line instead: the URL,
the kind of drop and its reason. How many of each were dropped is in the run summary
(``spiders.guard``) and the ``item_dropped_reasons_count/*`` stats.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy.logformatter import LogFormatter, LogFormatterResult

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.http import Response
    from twisted.python.failure import Failure

MAX_REASON = 200


def item_url(item: Any, response: Any = None) -> str:
    """The URL an item is about: a Page's or a record's ``url``, else the response's."""
    url = getattr(item, "url", None)
    if url is None and isinstance(item, dict):
        url = item.get("url") or item.get("canonical_url")
    if url is None:
        url = getattr(response, "url", None)
    return str(url) if url is not None else f"<{type(item).__name__}>"


def short(text: object) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= MAX_REASON else flat[: MAX_REASON - 3] + "..."


class ItemLogFormatter(LogFormatter):
    """One line per dropped, scraped or failed item: URL and reason, no item body."""

    def dropped(
        self,
        item: Any,
        exception: BaseException,
        response: Response | Failure | None,
        spider: Spider,
    ) -> LogFormatterResult:
        level: Any = getattr(exception, "log_level", None)
        if level is None:
            level = spider.crawler.settings["DEFAULT_DROPITEM_LOG_LEVEL"]
        if isinstance(level, str):
            level = getattr(logging, level.upper())
        return {
            "level": level,
            "msg": "Dropped %(url)s (%(kind)s): %(reason)s",
            "args": {
                "url": item_url(item, response),
                "kind": type(exception).__name__,
                "reason": short(exception),
            },
        }

    def scraped(
        self, item: Any, response: Response | Failure | None, spider: Spider
    ) -> LogFormatterResult:
        return {
            "level": logging.DEBUG,
            "msg": "Scraped %(url)s",
            "args": {"url": item_url(item, response)},
        }

    def item_error(
        self,
        item: Any,
        exception: BaseException,
        response: Response | Failure | None,
        spider: Spider,
    ) -> LogFormatterResult:
        return {
            "level": logging.ERROR,
            "msg": "Error processing %(url)s: %(reason)s",
            "args": {"url": item_url(item, response), "reason": short(exception)},
        }
