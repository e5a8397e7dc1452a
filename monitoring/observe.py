"""ExtractedRecordObserver: an item pipeline that lets the run report see every extracted record.

It sits between extraction (300) and dedup (500), so it sees each record before dedup may drop
it as a version already recorded (Scrapy's ``item_dropped`` signal carries the item as it
entered the pipelines, the fetched page, not the record). It passes every item on unchanged.
The drift checks judge dates and body lengths on these records, so a re-crawl whose texts did
not change is judged too.
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from monitoring.runreport import RunReportExtension


class ExtractedRecordObserver:
    def __init__(self, extension: RunReportExtension) -> None:
        self.extension = extension

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractedRecordObserver:
        extension = crawler.get_extension(RunReportExtension)
        if extension is None:
            raise NotConfigured("run reports are off (MONITOR_ENABLED=False)")
        return cls(extension)

    def process_item(self, item: Any) -> Any:
        self.extension.record_extracted(item)
        return item
