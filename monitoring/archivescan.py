"""What the archive's JSON records say per site: articles, versions, days, date sources.

One pass over the closed ``ARCHIVE_DIR/json/*.jsonl`` files (``.open`` files are still being
written and are skipped); only a few fields of each record are kept, so memory grows with the
number of distinct articles and days, not with the texts.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitoring.history import url_site
from vnnews.paths import JSONL_SUFFIX, ArchivePaths
from vnnews.urlcanon import article_key

logger = logging.getLogger(__name__)


@dataclass
class SiteArchive:
    """One site's records."""

    site: str
    articles: set[int] = field(default_factory=set)  # hashes of canonical URLs
    versions: int = 0
    #: first versions per day of publication ("YYYY-MM-DD" as the record states it)
    published_per_day: Counter[str] = field(default_factory=Counter)
    undated: int = 0
    date_sources: Counter[str] = field(default_factory=Counter)
    last_fetched: str | None = None

    @property
    def article_count(self) -> int:
        return len(self.articles)


def _article(record: dict[str, Any]) -> str:
    """The article a record is a version of (``vnnews.urlcanon.article_key``, as dedup has it):
    a republished copy naming its original on another site counts on its own site."""
    return article_key(str(record.get("url") or ""), record.get("canonical_url"))


def record_site(record: dict[str, Any]) -> str:
    """The site a record belongs to: its profile name, else its host (as run reports do)."""
    if record.get("site"):
        return str(record["site"])
    return url_site(_article(record)) or "unknown"  # as run reports name a site without a profile


def jsonl_files(paths: ArchivePaths) -> list[Path]:
    if not paths.json_dir.is_dir():
        return []
    return sorted(p for p in paths.json_dir.iterdir() if p.name.endswith(JSONL_SUFFIX))


def scan_archive(paths: ArchivePaths) -> dict[str, SiteArchive]:
    """Per-site facts from every closed JSON Lines file of the archive."""
    sites: dict[str, SiteArchive] = {}
    bad = 0
    for path in jsonl_files(paths):
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except ValueError:
                    bad += 1
                    continue
                if isinstance(record, dict):
                    _add(sites, record)
    if bad:
        logger.warning("Skipped %d unreadable JSON lines under %s", bad, paths.json_dir)
    return sites


def _add(sites: dict[str, SiteArchive], record: dict[str, Any]) -> None:
    name = record_site(record)
    site = sites.get(name)
    if site is None:
        site = sites[name] = SiteArchive(name)
    site.versions += 1
    site.articles.add(hash(_article(record)))
    published = record.get("published")
    site.date_sources[str(record.get("published_source") or "none") if published else "none"] += 1
    fetched = record.get("fetched_at")
    if fetched and (site.last_fetched is None or str(fetched) > site.last_fetched):
        site.last_fetched = str(fetched)
    if record.get("version", 1) != 1:
        return
    if published:
        site.published_per_day[str(published)[:10]] += 1
    else:
        site.undated += 1
