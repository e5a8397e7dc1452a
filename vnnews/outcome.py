"""What a finished crawl's exit code means, read from its stats (pure; no Scrapy import).

A scheduled job must tell a failed run from a good one, so ``scrapy crawl`` exits
non-zero when the run could not do its job. :data:`EXIT_CODES` is the table
(docs/settings.md shows it; a test keeps the two in step); :func:`exit_code` picks
the code for a finished crawl from its stats.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

OK = 0
FAILED = 1
BAD_SETTINGS = 2
ARCHIVE_UNWRITABLE = 3
DEDUP_UNAVAILABLE = 4
NOTHING_FETCHED = 5
INTERRUPTED = 6
#: the default of MONITOR_DRIFT_EXIT_CODE (monitoring/drift.py); configurable
DRIFT = 7

#: code -> (short name, when it happens)
EXIT_CODES: dict[int, tuple[str, str]] = {
    OK: ("ok", "the crawl ran to its end (new, unchanged or no articles alike)"),
    FAILED: ("failed", "Scrapy could not start the crawl or the command failed; see the log"),
    BAD_SETTINGS: (
        "bad settings",
        "a wrong setting, spider argument or command option; nothing was crawled",
    ),
    ARCHIVE_UNWRITABLE: (
        "archive unwritable",
        "ARCHIVE_DIR cannot be written (at start), or writing failed during the run "
        "(full disk, I/O error): the crawl stopped; what was written is valid",
    ),
    DEDUP_UNAVAILABLE: (
        "dedup unavailable",
        "the dedup back end does not answer (checked at start), or was lost during the run: "
        "the crawl stopped cleanly",
    ),
    NOTHING_FETCHED: (
        "nothing fetched",
        "every request failed (no network, DNS failure, connection refused), robots.txt was "
        "unreachable (5xx, 429: RFC 9309 allows nothing), or an offline re-run found none of "
        "its URLs in the archive",
    ),
    INTERRUPTED: (
        "interrupted",
        "stopped by Ctrl-C or SIGTERM before its end; the next run continues",
    ),
    DRIFT: (
        "drift",
        "the run succeeded but a drift check flagged it (docs/monitoring.md); the code is "
        "MONITOR_DRIFT_EXIT_CODE, 0 with MONITOR_FAIL_ON_DRIFT=False",
    ),
}

#: finish_reason values the project sets when it stops a crawl itself
REASON_ARCHIVE = "archive_write_failed"
REASON_DEDUP = "dedup_unavailable"


def exit_code(stats: Mapping[str, Any]) -> tuple[int, str]:
    """The exit code of a finished crawl and a one-line reason ("" when it went well)."""
    reason = str(stats.get("finish_reason") or "")
    if reason == REASON_DEDUP:
        return DEDUP_UNAVAILABLE, "the dedup back end was lost during the run; crawl stopped"
    write_errors = int(stats.get("archive/write_errors") or 0)
    if reason == REASON_ARCHIVE or write_errors:
        return (
            ARCHIVE_UNWRITABLE,
            f"writing the archive failed ({write_errors or 'an'} error(s)); see the log",
        )
    responses = int(stats.get("downloader/response_count") or 0)
    failures = int(stats.get("downloader/exception_count") or 0) - int(
        stats.get("downloader/exception_type_count/scrapy.exceptions.IgnoreRequest") or 0
    )
    if responses == 0 and failures > 0:
        kinds = sorted(
            key.rsplit("/", 1)[1].rsplit(".", 1)[-1]
            for key in stats
            if key.startswith("downloader/exception_type_count/")
            and not key.endswith("IgnoreRequest")
        )
        return (
            NOTHING_FETCHED,
            f"nothing fetched: all {failures} requests failed ({', '.join(kinds)})",
        )
    cache_ignored = int(stats.get("httpcache/ignore") or 0)
    if responses == 0 and cache_ignored > 0:  # an offline re-run that found nothing archived
        return (
            NOTHING_FETCHED,
            f"nothing fetched: none of the {cache_ignored} requests is in the HTTP cache "
            "(HTTPCACHE_IGNORE_MISSING)",
        )
    robots = sum(
        int(v or 0) for k, v in stats.items() if k.startswith("robotstxt/response_status_count/")
    )
    if int(stats.get("news/robots/disallow_all") or 0) and responses <= robots:
        # every origin's robots.txt was unreachable (5xx, 429): RFC 9309 allows nothing then,
        # and a scheduler must not read "nothing fetched" as a quiet day
        return (
            NOTHING_FETCHED,
            "nothing fetched: robots.txt was unreachable (HTTP 5xx or 429), so RFC 9309 allows "
            "nothing on the site this run",
        )
    if reason == "shutdown":
        return INTERRUPTED, "the crawl was interrupted before its end"
    return OK, ""
