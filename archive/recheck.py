"""Re-check state: when each archived URL of a site was last checked, and what sources said.

An incremental crawl asks this module two questions about a URL it has archived before:

* has a discovery source said the page changed since we last looked? (a sitemap
  ``lastmod`` or feed ``updated`` newer than the newest such date the sources gave when we
  last fetched the page, or, when they gave none, newer than that fetch; a listing or feed
  showing a title we have not seen for it);
* is its re-check due under the site's policy? The policy is a list of ages after
  publication (``1h, 6h, 1d, 3d, 7d`` by default): a re-check is due once the article has
  passed an age it had not reached at our last check. After the last age, never (unless a
  source says it changed). An article whose publication date is unknown ages from the
  time we first saw it.

State per ``(site, url)`` (:class:`UrlState`) lives in a :class:`RecheckStore`:
:class:`SqliteRecheckStore` (``ARCHIVE_DIR/index/recheck.sqlite3``, WAL) by default, or
:class:`RedisRecheckStore` (one hash per site) when the dedup index is in Redis, so
crawlers that share an index share the re-check state too. Both are thread-safe.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import zlib
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vnnews.durations import parse_duration
from vnnews.paths import ArchivePaths

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

#: kinds of state: an article (re-checked by policy), another page (a listing, a section),
#: or a URL that redirects (fetched again only when a source says it changed)
ARTICLE = "article"
PAGE = "page"
REDIRECT = "redirect"
#: titles kept per URL (the newest ones); a listing showing another title means "changed"
MAX_TITLES = 16
#: recheck modes (``NEWS_RECHECK``)
MODES = ("policy", "all")


@dataclass(frozen=True)
class UrlState:
    """What we know about one URL of a site between runs."""

    url: str
    kind: str
    first_seen: datetime
    last_checked: datetime
    published: datetime | None = None
    #: the newest ``lastmod``/``updated`` date a source gave when we last fetched the page
    source_mark: datetime | None = None
    #: digests (:func:`title_digest`) of the titles sources have shown for this URL
    titles: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> str:
        data: dict[str, Any] = {
            "kind": self.kind,
            "first_seen": self.first_seen.isoformat(),
            "last_checked": self.last_checked.isoformat(),
        }
        if self.published is not None:
            data["published"] = self.published.isoformat()
        if self.source_mark is not None:
            data["source_mark"] = self.source_mark.isoformat()
        if self.titles:
            data["titles"] = list(self.titles)
        return json.dumps(data, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, url: str, text: str) -> UrlState:
        data = json.loads(text)
        return cls(
            url=url,
            kind=str(data["kind"]),
            first_seen=datetime.fromisoformat(data["first_seen"]),
            last_checked=datetime.fromisoformat(data["last_checked"]),
            published=_opt_dt(data.get("published")),
            source_mark=_opt_dt(data.get("source_mark")),
            titles=tuple(data.get("titles", ())),
        )

    def with_titles(self, digests: Iterable[str]) -> UrlState:
        """This state with ``digests`` added (newest last, at most :data:`MAX_TITLES`)."""
        titles = list(self.titles)
        for digest in digests:
            if digest and digest not in titles:
                titles.append(digest)
        return replace(self, titles=tuple(titles[-MAX_TITLES:]))


def _opt_dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


# -- reading source dates and titles ------------------------------------------------------


def parse_source_date(value: str | None) -> datetime | None:
    """A sitemap/feed/record date as an aware UTC datetime; None when unreadable.

    W3C/ISO dates (``2021-05-06T09:00:00+07:00``, ``…Z``) and RFC 2822 (RSS). A date
    without a time counts as the end of that day (so an update later that day is not
    missed); a time without an offset counts as UTC.
    """
    if not value:
        return None
    text = value.strip()
    parsed: datetime | None = None
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            parsed = datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)
        else:
            parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def title_digest(title: str) -> str:
    """A short digest of a title, insensitive to case and whitespace."""
    folded = " ".join(title.casefold().split())
    return f"{zlib.crc32(folded.encode('utf-8')):08x}" if folded else ""


# -- policy ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecheckPolicy:
    """Ages after publication at which an archived article is checked again."""

    after: tuple[timedelta, ...]

    @classmethod
    def parse(cls, values: Iterable[str | int | float]) -> RecheckPolicy:
        """From ``["1h", "6h", "1d"]``; ValueError naming a bad value."""
        return cls(tuple(sorted(parse_duration(v) for v in values)))

    def next_due(self, state: UrlState) -> datetime | None:
        """The first policy age the article had not reached when we last checked it."""
        base = state.published or state.first_seen
        for age in self.after:
            if base + age > state.last_checked:
                return base + age
        return None

    def is_due(self, state: UrlState, now: datetime) -> bool:
        due = self.next_due(state)
        return due is not None and due <= now


def changed_by_source(
    state: UrlState, *, dates: Iterable[datetime | None] = (), titles: Iterable[str] = ()
) -> str | None:
    """Why a source says the page changed since our last check (``"date"``/``"title"``), or None.

    ``dates`` are ``lastmod``/``updated`` values; ``titles`` are title digests. A date
    counts when it is newer than the newest source date seen when we last fetched the page
    (the value moved: whatever the clocks say, and a date in the future triggers one
    re-fetch, not one per run), or, when no source gave one then, newer than that fetch.
    A title counts only when titles were recorded for the URL and this one is new.
    """
    bar = state.source_mark or state.last_checked
    if any(d is not None and d > bar for d in dates):
        return "date"
    if state.titles and any(t and t not in state.titles for t in titles):
        return "title"
    return None


# -- stores -------------------------------------------------------------------------------


class RecheckStore(ABC):
    """Re-check state per ``(site, url)``. Implementations must be safe to call from threads."""

    @abstractmethod
    def get_many(self, site: str, urls: Iterable[str]) -> dict[str, UrlState]:
        """The known states among ``urls`` (unknown URLs are absent)."""

    @abstractmethod
    def put_many(self, site: str, states: Iterable[UrlState]) -> None:
        """Store (replace) these states in one step."""

    @abstractmethod
    def count(self, site: str) -> int:
        """How many URLs of ``site`` have a state."""

    @abstractmethod
    def close(self) -> None:
        """Release connections."""

    def get(self, site: str, url: str) -> UrlState | None:
        return self.get_many(site, [url]).get(url)

    def put(self, site: str, state: UrlState) -> None:
        self.put_many(site, [state])


_SCHEMA = """
CREATE TABLE IF NOT EXISTS recheck (
    site TEXT NOT NULL,
    url TEXT NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (site, url)
) WITHOUT ROWID;
"""
_CHUNK = 400  # placeholders per SELECT, well under SQLite's limit


class SqliteRecheckStore(RecheckStore):
    """SQLite file in WAL mode; each ``put_many`` is one committed transaction."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        # created here so its mode is 0666 less the umask (SQLite would use 0644 whatever the
        # umask); the WAL files take its mode
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o666))
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=10000")
        self._db.executescript(_SCHEMA)

    def get_many(self, site: str, urls: Iterable[str]) -> dict[str, UrlState]:
        wanted = list(dict.fromkeys(urls))
        found: dict[str, UrlState] = {}
        with self._lock:
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    f"SELECT url, state FROM recheck WHERE site = ? AND url IN ({marks})",
                    (site, *chunk),
                ).fetchall()
                for url, text in rows:
                    found[url] = UrlState.from_json(url, text)
        return found

    def put_many(self, site: str, states: Iterable[UrlState]) -> None:
        rows = [(site, s.url, s.to_json()) for s in states]
        if not rows:
            return
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(
                    "INSERT OR REPLACE INTO recheck (site, url, state) VALUES (?, ?, ?)", rows
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def count(self, site: str) -> int:
        with self._lock:
            row = self._db.execute(
                "SELECT COUNT(*) FROM recheck WHERE site = ?", (site,)
            ).fetchone()
        return int(row[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()


class RedisRecheckStore(RecheckStore):
    """Redis back end: one hash ``{prefix}{site}`` mapping URL → state JSON."""

    def __init__(self, client: Any, prefix: str) -> None:
        self.client = client
        self.prefix = prefix

    @classmethod
    def from_url(cls, url: str, prefix: str) -> RedisRecheckStore:
        import redis

        return cls(redis.Redis.from_url(url, decode_responses=True), prefix=prefix)

    def _key(self, site: str) -> str:
        return f"{self.prefix}{site}"

    def get_many(self, site: str, urls: Iterable[str]) -> dict[str, UrlState]:
        wanted: Sequence[str] = list(dict.fromkeys(urls))
        if not wanted:
            return {}
        values = self.client.hmget(self._key(site), wanted)
        return {u: UrlState.from_json(u, v) for u, v in zip(wanted, values, strict=True) if v}

    def put_many(self, site: str, states: Iterable[UrlState]) -> None:
        mapping = {s.url: s.to_json() for s in states}
        if mapping:
            self.client.hset(self._key(site), mapping=mapping)

    def count(self, site: str) -> int:
        return int(self.client.hlen(self._key(site)))

    def close(self) -> None:
        self.client.close()


def open_recheck_store(settings: BaseSettings) -> RecheckStore:
    """The store beside the dedup index: SQLite under ARCHIVE_DIR, or Redis (``DEDUP_BACKEND``)."""
    backend = str(settings.get("DEDUP_BACKEND")).lower()
    if backend == "sqlite":
        return SqliteRecheckStore(ArchivePaths.of(settings.get("ARCHIVE_DIR")).recheck_db)
    if backend == "redis":
        return RedisRecheckStore.from_url(
            str(settings.get("DEDUP_REDIS_URL")),
            prefix=str(settings.get("NEWS_RECHECK_REDIS_PREFIX")),
        )
    raise ValueError(f"DEDUP_BACKEND must be 'sqlite' or 'redis', not {backend!r}")
