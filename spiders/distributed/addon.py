"""DistributedAddon: ``REDIS_URL`` set → this crawl is one worker of a shared crawl.

Scrapy add-ons change settings before any component is built. With ``REDIS_URL`` empty (the
default) nothing changes and the crawl is embedded (local queue, SQLite indexes). With it set:

* ``SCHEDULER`` becomes :class:`spiders.distributed.scheduler.LeasedScheduler` (scrapy-redis
  queue and dupefilter in Redis, with leases) and its spider middleware acknowledges finished
  requests;
* the dedup index (payload digests, last captures, article versions, text digests) moves to
  the same Redis server (``DEDUP_BACKEND=redis``, ``DEDUP_REDIS_URL=REDIS_URL``);
* ``JOBDIR`` is dropped: the queue already survives any worker in Redis.

Values the user gave on the command line win over these (Scrapy's setting priorities), except
that a ``DEDUP_BACKEND`` other than redis is refused: workers on other machines could not
see each other's captures.

The settings are changed twice, the same way: before the crawler exists
(``update_pre_crawler_settings``, when ``scrapy crawl`` builds its crawler process), because
the spider reads ``DEDUP_BACKEND`` in ``from_crawler`` (the re-check store), which Scrapy runs
before the add-ons' ``update_settings``; and again in ``update_settings`` (crawlers given their
own settings, and the refusal).
"""

from __future__ import annotations

from typing import Any

SCHEDULER = "spiders.distributed.scheduler.LeasedScheduler"
ACK_MIDDLEWARE = "spiders.distributed.scheduler.LeaseAckMiddleware"


class DistributedModeError(ValueError):
    """A setting that cannot hold in distributed mode."""


class DistributedAddon:
    @classmethod
    def update_pre_crawler_settings(cls, settings: Any) -> None:
        """The same changes before any crawler (and its spider) is built; never refuses."""
        if settings.get("REDIS_URL") and not _refused(settings):
            _apply(settings)

    def update_settings(self, settings: Any) -> None:
        url = settings.get("REDIS_URL")
        if not url:
            return
        if _refused(settings):
            raise DistributedModeError(
                "DEDUP_BACKEND=sqlite cannot be used with REDIS_URL: distributed workers"
                " share the dedup index in Redis (drop -s DEDUP_BACKEND or REDIS_URL)"
            )
        _apply(settings)


def _refused(settings: Any) -> bool:
    """An explicit DEDUP_BACKEND=sqlite (command line or higher) together with REDIS_URL."""
    explicit = settings.getpriority("DEDUP_BACKEND") >= _priority("cmdline")
    return bool(settings.get("DEDUP_BACKEND") == "sqlite" and explicit)


def _apply(settings: Any) -> None:
    url = settings.get("REDIS_URL")
    cmdline = _priority("cmdline")
    settings.set("SCHEDULER", SCHEDULER, priority="cmdline")
    settings.set("DEDUP_BACKEND", "redis", priority="cmdline")
    if settings.getpriority("DEDUP_REDIS_URL") < cmdline:
        settings.set("DEDUP_REDIS_URL", url, priority="cmdline")
    settings.set("JOBDIR", None, priority="cmdline")
    middlewares = settings.getdict("SPIDER_MIDDLEWARES")
    middlewares.setdefault(ACK_MIDDLEWARE, 990)
    settings.set("SPIDER_MIDDLEWARES", middlewares, priority="cmdline")


def _priority(name: str) -> int:
    from scrapy.settings import SETTINGS_PRIORITIES

    return int(SETTINGS_PRIORITIES[name])
