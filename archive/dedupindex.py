"""Deduplication index: what has been captured before, shared across runs.

One interface, :class:`DedupIndex`, three kinds of facts:

* payload digest -> first capture (for ``identical-payload-digest`` revisits);
* URL -> last capture with its validators (for conditional re-crawls and 304 revisits);
* canonical URL -> article versions by text digest (one JSON record per version).

Back ends: :class:`SqliteDedupIndex` (default, ``ARCHIVE_DIR/index/dedup.sqlite3``, WAL)
and :class:`RedisDedupIndex` (redis-py, for distributed crawls). Both are thread-safe.
In a crawl the index is opened and closed by ``archive.extension.ArchiveExtension``.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vnnews.paths import ArchivePaths

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings


@dataclass(frozen=True)
class Capture:
    """One earlier capture: enough to write a revisit and to read the record back."""

    uri: str
    date: str
    record_id: str
    filename: str
    offset: int
    length: int = 0
    payload_digest: str = ""
    etag: str | None = None
    last_modified: str | None = None
    status: int = 200


@dataclass(frozen=True)
class ArticleVersion:
    """One JSON record version of an article."""

    canonical_url: str
    text_digest: str
    version: int
    record_id: str


class DedupIndex(ABC):
    """What was captured before. Implementations must be safe to call from threads."""

    @abstractmethod
    def first_capture(self, payload_digest: str) -> Capture | None:
        """The first capture with this payload digest, any URL."""

    @abstractmethod
    def add_capture(self, payload_digest: str, capture: Capture) -> bool:
        """Remember ``capture`` unless the digest is known; True if it was added."""

    @abstractmethod
    def last_capture(self, url: str) -> Capture | None:
        """The last full capture of ``url`` (with its validators)."""

    @abstractmethod
    def set_last_capture(self, url: str, capture: Capture) -> None:
        """Replace the last capture of ``url``."""

    @abstractmethod
    def find_version(self, canonical_url: str, text_digest: str) -> ArticleVersion | None:
        """The version of this article with this text, if any."""

    @abstractmethod
    def latest_version(self, canonical_url: str) -> ArticleVersion | None:
        """The highest version of this article, if any."""

    @abstractmethod
    def add_version(self, canonical_url: str, text_digest: str, record_id: str) -> ArticleVersion:
        """Store a new version (number = latest + 1) atomically; returns the stored version.

        If this text is already stored, the existing version is returned unchanged.
        """

    @abstractmethod
    def close(self) -> None:
        """Release connections."""


def open_dedup_index(settings: BaseSettings) -> DedupIndex:
    """Open the back end named by ``DEDUP_BACKEND`` ("sqlite" or "redis")."""
    backend = str(settings["DEDUP_BACKEND"]).lower()
    if backend == "sqlite":
        return SqliteDedupIndex(ArchivePaths.of(settings["ARCHIVE_DIR"]).dedup_db)
    if backend == "redis":
        url = settings["DEDUP_REDIS_URL"]
        prefix = settings["DEDUP_REDIS_PREFIX"]
        if not url or not prefix:
            raise ValueError("set DEDUP_REDIS_URL and DEDUP_REDIS_PREFIX for the redis back end")
        return RedisDedupIndex.from_url(url, prefix=prefix)
    raise ValueError(f"DEDUP_BACKEND must be 'sqlite' or 'redis', not {backend!r}")


def _capture_from(data: dict[str, Any] | None) -> Capture | None:
    return Capture(**data) if data else None


# -- SQLite --------------------------------------------------------------------------

_SCHEMA = """
CREATE TABLE IF NOT EXISTS payloads (digest TEXT PRIMARY KEY, capture TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS captures (url TEXT PRIMARY KEY, capture TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS versions (
    canonical_url TEXT NOT NULL,
    version INTEGER NOT NULL,
    text_digest TEXT NOT NULL,
    record_id TEXT NOT NULL,
    PRIMARY KEY (canonical_url, version),
    UNIQUE (canonical_url, text_digest)
);
"""


class SqliteDedupIndex(DedupIndex):
    """SQLite file in WAL mode; every write is its own committed transaction."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # create the file ourselves, so its mode is 0666 less the umask like every other
        # output (SQLite would use 0644 whatever the umask); the WAL files take its mode
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o666))
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=10000")
        self._db.executescript(_SCHEMA)

    def _one(self, sql: str, *args: Any) -> tuple[Any, ...] | None:
        with self._lock:
            row: tuple[Any, ...] | None = self._db.execute(sql, args).fetchone()
            return row

    def first_capture(self, payload_digest: str) -> Capture | None:
        row = self._one("SELECT capture FROM payloads WHERE digest = ?", payload_digest)
        return _capture_from(json.loads(row[0]) if row else None)

    def add_capture(self, payload_digest: str, capture: Capture) -> bool:
        with self._lock:
            cur = self._db.execute(
                "INSERT OR IGNORE INTO payloads (digest, capture) VALUES (?, ?)",
                (payload_digest, json.dumps(asdict(capture))),
            )
            return cur.rowcount == 1

    def last_capture(self, url: str) -> Capture | None:
        row = self._one("SELECT capture FROM captures WHERE url = ?", url)
        return _capture_from(json.loads(row[0]) if row else None)

    def set_last_capture(self, url: str, capture: Capture) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO captures (url, capture) VALUES (?, ?)",
                (url, json.dumps(asdict(capture))),
            )

    def _version(self, where: str, *args: Any) -> ArticleVersion | None:
        row = self._one(
            "SELECT canonical_url, text_digest, version, record_id FROM versions " + where, *args
        )
        return ArticleVersion(*row) if row else None

    def find_version(self, canonical_url: str, text_digest: str) -> ArticleVersion | None:
        where = "WHERE canonical_url = ? AND text_digest = ?"
        return self._version(where, canonical_url, text_digest)

    def latest_version(self, canonical_url: str) -> ArticleVersion | None:
        return self._version("WHERE canonical_url = ? ORDER BY version DESC LIMIT 1", canonical_url)

    def add_version(self, canonical_url: str, text_digest: str, record_id: str) -> ArticleVersion:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "INSERT OR IGNORE INTO versions"
                    " (canonical_url, version, text_digest, record_id)"
                    " SELECT ?, COALESCE(MAX(version), 0) + 1, ?, ? FROM versions"
                    " WHERE canonical_url = ?",
                    (canonical_url, text_digest, record_id, canonical_url),
                )
                row = self._db.execute(
                    "SELECT canonical_url, text_digest, version, record_id FROM versions"
                    " WHERE canonical_url = ? AND text_digest = ?",
                    (canonical_url, text_digest),
                ).fetchone()
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return ArticleVersion(*row)

    def close(self) -> None:
        with self._lock:
            self._db.close()


# -- Redis ---------------------------------------------------------------------------

# KEYS: versions hash, counter; ARGV: text digest, record id, canonical url.
_ADD_VERSION = """
local existing = redis.call('HGET', KEYS[1], ARGV[1])
if existing then return existing end
local n = redis.call('INCR', KEYS[2])
local value = cjson.encode({canonical_url=ARGV[3], text_digest=ARGV[1], version=n,
                            record_id=ARGV[2]})
redis.call('HSET', KEYS[1], ARGV[1], value)
redis.call('HSET', KEYS[3], tostring(n), value)
return value
"""


class RedisDedupIndex(DedupIndex):
    """Redis back end; every key starts with ``prefix`` (``DEDUP_REDIS_PREFIX``)."""

    def __init__(self, client: Any, prefix: str = "vnnews:dedup:") -> None:
        self.client = client
        self.prefix = prefix
        self._add_version = client.register_script(_ADD_VERSION)

    @classmethod
    def from_url(cls, url: str, prefix: str = "vnnews:dedup:") -> RedisDedupIndex:
        import redis

        return cls(redis.Redis.from_url(url, decode_responses=True), prefix=prefix)

    def _key(self, kind: str, name: str) -> str:
        return f"{self.prefix}{kind}:{name}"

    def _get(self, key: str) -> dict[str, Any] | None:
        raw = self.client.get(key)
        return json.loads(raw) if raw else None

    def first_capture(self, payload_digest: str) -> Capture | None:
        return _capture_from(self._get(self._key("payload", payload_digest)))

    def add_capture(self, payload_digest: str, capture: Capture) -> bool:
        key = self._key("payload", payload_digest)
        return bool(self.client.set(key, json.dumps(asdict(capture)), nx=True))

    def last_capture(self, url: str) -> Capture | None:
        return _capture_from(self._get(self._key("url", url)))

    def set_last_capture(self, url: str, capture: Capture) -> None:
        self.client.set(self._key("url", url), json.dumps(asdict(capture)))

    @staticmethod
    def _version_from(raw: str | None) -> ArticleVersion | None:
        return ArticleVersion(**json.loads(raw)) if raw else None

    def find_version(self, canonical_url: str, text_digest: str) -> ArticleVersion | None:
        return self._version_from(self.client.hget(self._key("ver", canonical_url), text_digest))

    def latest_version(self, canonical_url: str) -> ArticleVersion | None:
        count = self.client.get(self._key("vercount", canonical_url))
        if not count:
            return None
        return self._version_from(self.client.hget(self._key("vernum", canonical_url), count))

    def add_version(self, canonical_url: str, text_digest: str, record_id: str) -> ArticleVersion:
        keys = [
            self._key("ver", canonical_url),
            self._key("vercount", canonical_url),
            self._key("vernum", canonical_url),
        ]
        raw = self._add_version(keys=keys, args=[text_digest, record_id, canonical_url])
        version = self._version_from(raw)
        assert version is not None
        return version

    def close(self) -> None:
        self.client.close()
