"""The run report: what one crawl did, as a JSON-ready dict (plain Python, no Scrapy).

Counts come from the crawl's stats (``news/*``, ``extract/*``, ``archive/*``, ``dedup/*``,
``json/*``); what stats cannot say (date provenance, body lengths, which discovery URL
answered) comes from :class:`RunObserver`, fed by the extension's signal handlers.
The layout of the dict is documented in docs/monitoring.md; ``format`` names its version.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

REPORT_FORMAT = "vnnews-run-report/1"
#: published_source values that mean "a CSS selector found the date" (a profile's or a
#: guessed layout's); their share falling is the sign of selectors that stopped matching
SELECTOR_SOURCES = ("profile:selector", "layout:selector")
#: statuses that mean a discovery source answered (a 304 is an unchanged answer)
ANSWERED = range(200, 400)

_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.\-]*://[^:/@\s]*):[^@/\s]+@", re.IGNORECASE)
_QUERY_SECRET = re.compile(
    r"(?P<head>[?&;](?:password|passwd|pass|pwd|token|access_token|api_key|apikey|key|secret"
    r"|auth|signature|sig)=)[^&;#\s]*",
    re.IGNORECASE,
)
_SECRET_NAME = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|CREDENTIAL|(?:^|_)AUTH", re.I)
MASK = "***"


# --- secrets ----------------------------------------------------------------------------------


def mask_text(text: str) -> str:
    """``redis://:pw@host`` → ``redis://:***@host``; ``?token=abc`` → ``?token=***``."""
    text = _URL_PASSWORD.sub(lambda m: f"{m['head']}:{MASK}@", text)
    return _QUERY_SECRET.sub(lambda m: f"{m['head']}{MASK}", text)


def mask_secrets(value: Any, name: str = "") -> Any:
    """A JSON-ready copy of ``value`` with passwords in URLs and secret-named values masked."""
    if name and _SECRET_NAME.search(name) and value not in (None, "", [], {}):
        return MASK
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, Mapping):
        return {str(k): mask_secrets(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [mask_secrets(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    return jsonable(value)


def jsonable(value: Any) -> Any:
    """Datetimes as ISO strings, numbers and strings as they are, anything else as text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if hasattr(value, "copy_to_dict"):  # scrapy BaseSettings
        return jsonable(value.copy_to_dict())
    if isinstance(value, type):
        return f"{value.__module__}.{value.__qualname__}"
    return str(value)


def settings_diff(
    current: Mapping[str, Any], defaults: Mapping[str, Any], names: Iterable[str]
) -> dict[str, Any]:
    """The settings among ``names`` whose value in ``current`` differs from ``defaults``,
    JSON-ready and with secrets masked."""
    out: dict[str, Any] = {}
    for name in sorted(set(names)):
        value = jsonable(current.get(name))
        if value != jsonable(defaults.get(name)):
            out[name] = mask_secrets(value, name)
    return out


# --- what the run saw ------------------------------------------------------------------------


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def published_is_fetch_date(record: Mapping[str, Any], window_seconds: float) -> bool:
    """Whether ``published`` looks like the capture time standing in for a date: within
    ``window_seconds`` of ``fetched_at``, or (day precision) the same calendar day."""
    published = _parse_time(record.get("published"))
    fetched = _parse_time(record.get("fetched_at"))
    if published is None or fetched is None:
        return False
    if record.get("published_precision") == "day":
        return published.date() == fetched.astimezone(published.tzinfo).date()
    return abs((published - fetched).total_seconds()) <= window_seconds


@dataclass
class ArticleSample:
    """Facts about a set of extracted article records (no texts kept, only lengths)."""

    count: int = 0
    published_missing: int = 0
    published_is_fetch_date: int = 0
    layout_guessed: int = 0
    sources: Counter[str] = field(default_factory=Counter)
    text_lengths: list[int] = field(default_factory=list)

    def add(self, record: Mapping[str, Any], window_seconds: float) -> None:
        self.count += 1
        source = str(record.get("published_source") or "none")
        if record.get("published") is None:
            self.published_missing += 1
            source = "none"
        elif published_is_fetch_date(record, window_seconds):
            self.published_is_fetch_date += 1
        self.sources[source] += 1
        if source.startswith("layout:"):
            self.layout_guessed += 1
        self.text_lengths.append(len(str(record.get("text") or "")))

    def summary(self) -> dict[str, Any]:
        n = self.count
        return {
            "count": n,
            "published_missing": self.published_missing,
            "published_is_fetch_date": self.published_is_fetch_date,
            "layout_guessed": self.layout_guessed,
            "selector_dates": sum(self.sources[s] for s in SELECTOR_SOURCES),
            "published_sources": dict(sorted(self.sources.items())),
            "published_source_share": {
                k: round(v / n, 4) for k, v in sorted(self.sources.items()) if n
            },
            "text_length_median": statistics.median(self.text_lengths)
            if self.text_lengths
            else None,
        }


class RunObserver:
    """Collects, during a crawl, what the report needs beyond the stats."""

    def __init__(self, fetch_date_window: float) -> None:
        self.window = fetch_date_window
        #: records that passed every pipeline (written to JSON)
        self.written = ArticleSample()
        #: every extracted record: written, or dropped as a version already recorded
        self.extracted = ArticleSample()
        #: discovery URL (as first requested) -> {"kind": ..., "status": int | None}
        self.discovery: dict[str, dict[str, Any]] = {}

    def record_extracted(self, record: Mapping[str, Any]) -> None:
        """A record straight out of extraction (before dedup may drop it as already recorded)."""
        self.extracted.add(record, self.window)

    def record_written(self, record: Mapping[str, Any]) -> None:
        self.written.add(record, self.window)

    def extracted_summary(self) -> dict[str, Any]:
        """The extracted sample; the written records when extraction was not observed."""
        sample = self.extracted if self.extracted.count else self.written
        return sample.summary()

    def discovery_requested(self, url: str, kind: str) -> None:
        self.discovery.setdefault(mask_text(url), {"kind": kind, "status": None})

    def discovery_answered(self, url: str, kind: str, status: int) -> None:
        self.discovery[mask_text(url)] = {"kind": kind, "status": status}


# --- the report --------------------------------------------------------------------------------


def group(stats: Mapping[str, Any], prefix: str) -> dict[str, int]:
    """``{"a": 1}`` for stats ``{prefix + "a": 1}`` (numbers only), sorted by name."""
    return {
        k[len(prefix) :]: int(v)
        for k, v in sorted(stats.items())
        if k.startswith(prefix) and isinstance(v, int | float) and not isinstance(v, bool)
    }


def _int(stats: Mapping[str, Any], key: str) -> int:
    value = stats.get(key, 0)
    return int(value) if isinstance(value, int | float) else 0


def errors_by_kind(stats: Mapping[str, Any]) -> dict[str, int]:
    errors: Counter[str] = Counter(group(stats, "news/errors/"))
    for key, name in (
        ("extract/errors", "extraction"),
        ("archive/write_errors", "archive_write"),
        ("archive/close_hook_errors", "archive_close_hook"),
        ("archive/repair_errors", "archive_repair"),
        ("dedup/restore_errors", "dedup_restore"),
        ("dedup/version_conflicts", "dedup_version_conflict"),
        ("dedup/missing_fields", "record_missing_fields"),
        ("dedup/backend_errors", "dedup_backend"),
        ("news/recheck/errors", "recheck"),
    ):
        if _int(stats, key):
            errors[name] += _int(stats, key)
    for name, count in group(stats, "spider_exceptions/").items():
        errors[f"spider_exception/{name}"] += count
    return dict(sorted(errors.items()))


def build_report(
    *,
    stats: Mapping[str, Any],
    observer: RunObserver,
    site: str,
    has_profile: bool,
    arguments: Mapping[str, Any],
    started_at: datetime,
    finished_at: datetime,
    finish_reason: str,
    settings: Mapping[str, Any],
    pid: int,
) -> dict[str, Any]:
    """The report of one run (without ``drift``, which the checks add)."""
    s = stats
    unchanged = _int(s, "dedup/unchanged_text") + _int(s, "dedup/known_revisit")
    attempts = _int(s, "extract/articles") + _int(s, "extract/errors")
    attempts += _int(s, "extract/not_article")
    drops = group(s, "news/dropped/")
    if _int(s, "robotstxt/forbidden"):
        drops["robots"] = _int(s, "robotstxt/forbidden")
    written = observer.written.summary()
    return {
        "format": REPORT_FORMAT,
        "site": site,
        "has_profile": has_profile,
        "arguments": mask_secrets(dict(arguments)),
        "pid": pid,
        "started_at": started_at.isoformat(),
        "finished_at": finished_at.isoformat(),
        "duration_seconds": round((finished_at - started_at).total_seconds(), 3),
        "finish_reason": finish_reason,
        "pages": {
            "discovered": group(s, "news/discovered/"),
            "robots_sitemaps": _int(s, "news/robots/sitemaps"),
            "sitemaps_read": _int(s, "news/sitemaps"),
            "feeds_read": _int(s, "news/feeds"),
            "requests": _int(s, "downloader/request_count"),
            "fetched": _int(s, "downloader/response_count"),
            "status": group(s, "downloader/response_status_count/"),
            "articles": _int(s, "news/pages/article"),
            "listings": _int(s, "news/pages/listing"),
            "not_html": _int(s, "news/pages/not_html"),
        },
        "archive": {
            "responses": _int(s, "archive/responses"),
            "revisits": _int(s, "archive/revisits"),
            "revisits_by_profile": {
                "server-not-modified": _int(s, "dedup/not_modified"),
                "identical-payload-digest": _int(s, "dedup/revisits"),
            },
            "records": _int(s, "archive/records"),
            "files": _int(s, "archive/files"),
            "conditional_requests": _int(s, "dedup/conditional_requests"),
        },
        "articles": {
            "new": _int(s, "dedup/new_articles"),
            "changed": _int(s, "dedup/new_versions"),
            "unchanged": unchanged,
            # spiders.incremental: archived articles whose re-check was not due
            "skipped_not_due": _int(s, "news/recheck/skipped_not_due"),
            "records_written": _int(s, "json/records"),
        },
        "extraction": {
            "pages": attempts,
            "articles": _int(s, "extract/articles"),
            "failures": _int(s, "extract/errors") + _int(s, "extract/not_article"),
            "errors": _int(s, "extract/errors"),
            "not_article": _int(s, "extract/not_article"),
            "no_date": _int(s, "extract/no_date"),
            "profile_miss": _int(s, "extract/profile_miss"),
        },
        "date_sources": written["published_sources"],
        "date_source_share": written["published_source_share"],
        "extracted": observer.extracted_summary(),
        "drops": dict(sorted(drops.items())),
        "duplicates_filtered": _int(s, "dupefilter/filtered"),
        "errors": errors_by_kind(s),
        "log_errors": _int(s, "log_count/ERROR"),
        "bytes_written": {"warc": _int(s, "archive/bytes"), "json": _int(s, "json/bytes")},
        "discovery": dict(sorted(observer.discovery.items())),
        "settings": dict(settings),
        "stats": {k: mask_secrets(v, k) for k, v in sorted(s.items())},
    }


def discovery_host(url: str) -> str:
    """The origin a discovery URL belongs to: host and port (the same host on another port
    is another site, e.g. the sample site served on a new port by each `make demo`)."""
    return urlsplit(url).netloc.lower()


def answered(status: Any) -> bool:
    return isinstance(status, int) and status in ANSWERED


def summary_lines(report: Mapping[str, Any], path: str) -> list[str]:
    """A few lines for the end of the run's log."""
    p, a, x, arc = report["pages"], report["articles"], report["extraction"], report["archive"]
    rev = arc["revisits_by_profile"]
    found = ", ".join(f"{n} {k}" for k, n in p["discovered"].items()) or "none from sitemaps/feeds"
    lines = [
        f"Run report {report['site']}: {report['finish_reason']} in "
        f"{report['duration_seconds']:.1f} s → {path}",
        f"  pages: {p['fetched']} fetched ({found} discovered), {arc['responses']} archived, "
        f"{arc['revisits']} revisits ({rev['server-not-modified']} not modified, "
        f"{rev['identical-payload-digest']} identical)",
        f"  articles: {a['new']} new, {a['changed']} changed, {a['unchanged']} unchanged, "
        f"{a['skipped_not_due']} not due; {x['failures']} of {x['pages']} extractions failed",
    ]
    share = report["extracted"]["published_source_share"]
    if share:
        top = sorted(share.items(), key=lambda kv: -kv[1])[:3]
        lines.append("  dates: " + ", ".join(f"{k} {v:.0%}" for k, v in top))
    drops = sorted(report["drops"].items(), key=lambda kv: -kv[1])[:4]
    errors = sorted(report["errors"].items(), key=lambda kv: -kv[1])[:4]
    lines.append(
        "  drops: "
        + (", ".join(f"{n} {k}" for k, n in drops) or "none")
        + "; errors: "
        + (", ".join(f"{n} {k}" for k, n in errors) or "none")
    )
    flags = report.get("drift", {}).get("flags", [])
    lines.append(
        f"  drift: {len(flags)} flag(s): " + "; ".join(f["check"] for f in flags)
        if flags
        else "  drift: none"
    )
    return lines
