"""ProgressExtension: one INFO line every ``MONITOR_PROGRESS_INTERVAL`` seconds.

    Progress: 1,204 pages (96/min), 310 items, queue 2,140 (+4 in flight),
    articles 280 new / 12 changed, 3 errors

It replaces Scrapy's LogStats (disabled in settings.py): the same pages/min and items, plus
what a person watching a long crawl wants to know — how much is still queued, how many
articles are new, whether errors are piling up. ``MONITOR_PROGRESS_INTERVAL = 0`` turns it off.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call

from monitoring.report import errors_by_kind

logger = logging.getLogger(__name__)


def queue_size(crawler: Crawler) -> tuple[int | None, int]:
    """(requests waiting in the scheduler or None if unknown, requests being downloaded)."""
    engine = crawler.engine
    if engine is None:
        return None, 0
    # ExecutionEngine.scheduler is public from Scrapy 2.19; older versions keep it on the slot
    scheduler = getattr(engine, "scheduler", None)
    if scheduler is None:
        slot = getattr(engine, "_slot", None) or getattr(engine, "slot", None)
        scheduler = getattr(slot, "scheduler", None)
    try:
        waiting = len(scheduler) if scheduler is not None else None  # type: ignore[arg-type]
    except TypeError:
        waiting = None
    downloader = getattr(engine, "downloader", None)
    active = len(getattr(downloader, "active", ()) or ())
    return waiting, active


def progress_line(
    stats: Mapping[str, Any],
    *,
    pages_per_min: float,
    waiting: int | None,
    in_flight: int,
) -> str:
    pages = int(stats.get("response_received_count", 0) or 0)
    items = int(stats.get("item_scraped_count", 0) or 0)
    new = int(stats.get("dedup/new_articles", 0) or 0)
    changed = int(stats.get("dedup/new_versions", 0) or 0)
    errors = sum(errors_by_kind(stats).values())
    queue = f"{waiting:,}" if waiting is not None else "?"
    return (
        f"Progress: {pages:,} pages ({pages_per_min:,.0f}/min), {items:,} items, "
        f"queue {queue} (+{in_flight} in flight), articles {new:,} new / {changed:,} changed, "
        f"{errors:,} errors"
    )


class ProgressExtension:
    def __init__(self, crawler: Crawler, interval: float) -> None:
        self.crawler = crawler
        self.interval = interval
        self.task: Any = None
        self.last_pages = 0
        self.last_time = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressExtension:
        interval = crawler.settings.getfloat("MONITOR_PROGRESS_INTERVAL")
        if interval <= 0:
            raise NotConfigured("progress lines are off (MONITOR_PROGRESS_INTERVAL=0)")
        ext = cls(crawler, interval)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self) -> None:
        self.last_time = time.monotonic()
        self.task = create_looping_call(self.log)
        self.task.start(self.interval, now=False)

    def log(self) -> None:
        stats = self.crawler.stats
        if stats is None:
            return
        values = stats.get_stats()
        now = time.monotonic()
        pages = int(values.get("response_received_count", 0) or 0)
        elapsed = max(now - self.last_time, 1e-6)
        rate = (pages - self.last_pages) * 60.0 / elapsed
        self.last_pages, self.last_time = pages, now
        waiting, in_flight = queue_size(self.crawler)
        logger.info(
            "%s",
            progress_line(values, pages_per_min=rate, waiting=waiting, in_flight=in_flight),
        )

    def spider_closed(self) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()
