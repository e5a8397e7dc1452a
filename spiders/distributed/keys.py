"""Names of the Redis keys of one distributed crawl.

A distributed crawl is identified by ``REDIS_KEY_PREFIX`` and a crawl id (``REDIS_CRAWL_ID``,
else the site profile's name, else the start hosts), so every worker started with the same
command shares the same keys and two different crawls on one Redis server never mix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def crawl_id_for(site: str | None, start_urls: list[str]) -> str:
    """The default crawl id: the profile name, else the sorted start origins."""
    if site:
        return _UNSAFE.sub("_", site)
    hosts = sorted({urlsplit(u).netloc.lower() for u in start_urls})
    return _UNSAFE.sub("_", "+".join(hosts)) or "default"


@dataclass(frozen=True)
class CrawlKeys:
    """Every key one distributed crawl uses (all start with ``{prefix}crawl:{crawl_id}:``)."""

    prefix: str
    crawl_id: str

    @property
    def base(self) -> str:
        return f"{self.prefix}crawl:{self.crawl_id}:"

    @property
    def queue(self) -> str:
        """Sorted set of serialised requests waiting to be fetched (scrapy-redis)."""
        return self.base + "requests"

    @property
    def dupefilter(self) -> str:
        """Set of request fingerprints already scheduled (scrapy-redis)."""
        return self.base + "dupefilter"

    @property
    def inflight(self) -> str:
        """Hash lease id → serialised request, for requests a worker has taken."""
        return self.base + "inflight"

    @property
    def owners(self) -> str:
        """Hash lease id → ``"{worker} {score}"``: who holds the lease, and its queue score."""
        return self.base + "owners"

    @property
    def workers(self) -> str:
        """Hash worker id → last heartbeat (UNIX seconds)."""
        return self.base + "workers"

    @property
    def drain(self) -> str:
        """Present while the crawl is being drained: workers take no new requests."""
        return self.base + "drain"

    @property
    def articles(self) -> str:
        """Counter of article records written by all workers."""
        return self.base + "articles"

    def all_keys(self) -> list[str]:
        return [
            self.queue,
            self.dupefilter,
            self.inflight,
            self.owners,
            self.workers,
            self.drain,
            self.articles,
        ]


def crawl_ids(server: object, prefix: str) -> list[str]:
    """Crawl ids that have any key on ``server`` under ``prefix``."""
    found: set[str] = set()
    marker = f"{prefix}crawl:"
    for key in server.scan_iter(match=f"{marker}*"):  # type: ignore[attr-defined]
        text = key.decode() if isinstance(key, bytes) else str(key)
        found.add(text[len(marker) :].rsplit(":", 1)[0])
    return sorted(found)
