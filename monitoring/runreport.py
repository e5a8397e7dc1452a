"""RunReportExtension: a JSON report for every crawl, drift checks at spider close.

At ``spider_closed`` the extension builds the report (:mod:`monitoring.report`) from the
stats and what its signal handlers saw, runs the drift checks (:mod:`monitoring.drift`)
against the site's earlier reports, writes the report under ``ARCHIVE_DIR/runs/<site>/``
and logs a short summary. Each drift flag is one ERROR line, a flag in the report and the
stat ``monitor/drift_flags``; ``scrapy crawl`` turns that stat into its exit code
(:func:`drift_exit_code`, ``MONITOR_FAIL_ON_DRIFT``, ``MONITOR_DRIFT_EXIT_CODE``).
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response
from scrapy.settings import SETTINGS_PRIORITIES
from scrapy.spiders import Spider
from scrapy.utils.project import get_project_settings

from monitoring.drift import Thresholds, run_checks
from monitoring.history import site_reports, url_site, write_report
from monitoring.report import RunObserver, build_report, settings_diff, summary_lines
from vnnews.paths import ArchivePaths

logger = logging.getLogger(__name__)

DISCOVERY_KINDS = ("robots", "sitemap", "feed")
DRIFT_STAT = "monitor/drift_flags"
REPORT_STAT = "monitor/report"


def drift_exit_code(crawler: Crawler) -> int:
    """The exit code a finished crawl should end with because of drift flags (0: none)."""
    if crawler.stats is None or not crawler.settings.getbool("MONITOR_FAIL_ON_DRIFT"):
        return 0
    flags = crawler.stats.get_value(DRIFT_STAT, 0)
    return crawler.settings.getint("MONITOR_DRIFT_EXIT_CODE") if flags else 0


def site_of(spider: Spider) -> tuple[str, bool]:
    """The site a run is reported under: its profile's name, else its first start host."""
    profile = getattr(spider, "profile", None)
    if profile is not None and getattr(profile, "name", None):
        return str(profile.name), True
    name = getattr(spider, "site_name", None)
    if name:
        return str(name), False
    urls = list(getattr(spider, "start_urls", None) or [])
    return (url_site(str(urls[0])) if urls else "") or spider.name, False


class RunReportExtension:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("MONITOR_ENABLED"):
            raise NotConfigured("run reports are off (MONITOR_ENABLED=False)")
        self.crawler = crawler
        self.paths = ArchivePaths.of(settings.get("ARCHIVE_DIR"))
        self.thresholds = Thresholds.from_settings(settings)
        self.log_summary = settings.getbool("MONITOR_SUMMARY")
        self.observer = RunObserver(settings.getfloat("MONITOR_FETCH_DATE_WINDOW"))
        self.started_at = datetime.now(UTC)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunReportExtension:
        ext = cls(crawler)
        connect = crawler.signals.connect
        connect(ext.spider_opened, signal=signals.spider_opened)
        connect(ext.spider_closed, signal=signals.spider_closed)
        connect(ext.item_scraped, signal=signals.item_scraped)
        connect(ext.request_reached_downloader, signal=signals.request_reached_downloader)
        connect(ext.response_received, signal=signals.response_received)
        return ext

    # --- what the run sees ----------------------------------------------------------------

    def spider_opened(self) -> None:
        self.started_at = datetime.now(UTC)

    def item_scraped(self, item: Any) -> None:
        if isinstance(item, dict) and "text" in item:
            self.observer.record_written(item)

    def record_extracted(self, record: Any) -> None:
        """Called by :class:`monitoring.observe.ExtractedRecordObserver` for every record."""
        if isinstance(record, dict) and "text" in record:
            self.observer.record_extracted(record)

    @staticmethod
    def _discovery(request: Request) -> tuple[str, str] | None:
        kind = request.meta.get("kind")
        if kind not in DISCOVERY_KINDS:
            return None
        first = (request.meta.get("redirect_urls") or [request.url])[0]
        return str(first), str(kind)

    def request_reached_downloader(self, request: Request) -> None:
        found = self._discovery(request)
        if found:
            self.observer.discovery_requested(*found)

    def response_received(self, response: Response, request: Request) -> None:
        found = self._discovery(request)
        if found:
            self.observer.discovery_answered(found[0], found[1], response.status)

    # --- the end of the run -------------------------------------------------------------------

    def changed_settings(self) -> dict[str, Any]:
        """Settings given on the command line or by the spider that differ from settings.py."""
        current = self.crawler.settings
        above = SETTINGS_PRIORITIES["project"]
        names = [n for n in current if (current.getpriority(n) or 0) > above]
        defaults = get_project_settings()
        return settings_diff(
            {n: current[n] for n in names}, {n: defaults.get(n) for n in names}, names
        )

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = self.crawler.stats
        assert stats is not None
        try:
            self._close(spider, reason)
        except Exception as exc:  # a report must never turn a crawl into a traceback
            stats.inc_value("monitor/report_errors")
            logger.error("Could not write the run report: %s: %s", type(exc).__name__, exc)

    def _close(self, spider: Spider, reason: str) -> None:
        stats = self.crawler.stats
        assert stats is not None
        site, has_profile = site_of(spider)
        previous = site_reports(self.paths, site)
        report = build_report(
            stats=stats.get_stats(),
            observer=self.observer,
            site=site,
            has_profile=has_profile,
            arguments={
                "site": getattr(spider, "site_name", None),
                "start_urls": list(getattr(spider, "requested_start_urls", None) or []),
            },
            started_at=self.started_at,
            finished_at=datetime.now(UTC),
            finish_reason=reason,
            settings=self.changed_settings(),
            pid=os.getpid(),
        )
        flags = run_checks(report, previous, self.thresholds)
        report["drift"] = {
            "flags": [f.as_dict() for f in flags],
            "compared_runs": min(len(previous), self.thresholds.history_runs),
        }
        stats.set_value(DRIFT_STAT, len(flags))
        for flag in flags:
            logger.error("Drift on %s [%s]: %s", site, flag.check, flag.message)
        path = write_report(self.paths, report)
        stats.set_value(REPORT_STAT, str(path))
        if self.log_summary:
            logger.info("%s", "\n".join(summary_lines(report, str(path))))
