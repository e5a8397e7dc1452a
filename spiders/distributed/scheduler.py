"""LeasedScheduler: scrapy-redis's queue and dupefilter, with leases: a killed worker loses nothing.

scrapy-redis pops a request from the shared queue and forgets it: if the worker dies before
the request is done, the request is gone. Here a pop is a *lease*, taken atomically (one Lua
script moves the request from the queue into an ``inflight`` hash and names its owner):

* the lease is acknowledged (deleted) when the request is done — its callback's output
  consumed and every item it yielded through the pipelines (``LeaseAckMiddleware``), or at
  the latest when this worker's engine is idle (then nothing of its own is in progress);
* every worker sends a heartbeat (``REDIS_HEARTBEAT_INTERVAL``); a worker whose heartbeat is
  older than ``REDIS_WORKER_TIMEOUT`` is dead, and any live worker puts its leases back into
  the queue with their original priority (another Lua script, so exactly one worker does it);
* a worker closed by a signal (Ctrl-C, SIGTERM) puts its unfinished leases back itself.

The crawl is done when the queue is empty and no lease is held by anyone for
``REDIS_IDLE_CLOSE`` seconds; each worker then closes with ``finished`` (exit 0), and the last
one out clears the dupefilter so that the next run of the same command starts a new crawl.
``scrapy distributed drain`` sets a flag on which workers stop taking requests and close.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from typing import TYPE_CHECKING, Any

import redis
from scrapy import Request, signals
from scrapy.exceptions import DontCloseSpider
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

from spiders.distributed.keys import CrawlKeys, crawl_id_for

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

LEASE_META_KEY = "_redis_lease"
WAKE_META_KEY = "_redis_wake"
#: signal sent by LeaseAckMiddleware when the request under a lease is done (kwarg ``lease``)
lease_done = object()

# Take the best request (lowest score = highest priority) and lease it, atomically.
_LEASE_POP = """
local r = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #r == 0 then return false end
redis.call('ZREM', KEYS[1], r[1])
redis.call('HSET', KEYS[2], ARGV[1], r[1])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2] .. ' ' .. r[2])
return r[1]
"""
# Put one lease back into the queue; 1 if this call did it, 0 if it was already gone.
_REQUEUE = """
local data = redis.call('HGET', KEYS[2], ARGV[1])
local owner = redis.call('HGET', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
if data and owner then
  local score = string.match(owner, ' (%S+)$')
  redis.call('ZADD', KEYS[1], score, data)
  return 1
end
return 0
"""


def connect(url: str) -> redis.Redis[bytes]:
    """A client for ``url``, checked with a PING; a one-line error names what to fix."""
    try:
        server = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=30)
        server.ping()
    except (ValueError, redis.RedisError) as exc:
        raise RuntimeError(f"REDIS_URL={url!r}: cannot use this Redis server ({exc})") from None
    return server


class LeasedScheduler(Scheduler):  # type: ignore[misc]
    """The scheduler of a distributed crawl (selected by ``REDIS_URL``; see the add-on)."""

    def __init__(self, crawler: Crawler, server: redis.Redis[bytes]) -> None:
        settings = crawler.settings
        super().__init__(
            server,
            persist=True,
            idle_before_close=0,
            queue_cls="scrapy_redis.queue.PriorityQueue",
        )
        self.crawler = crawler
        self.stats = crawler.stats
        self.prefix = settings["REDIS_KEY_PREFIX"]
        self.crawl_id_setting = settings["REDIS_CRAWL_ID"]
        self.heartbeat_interval = settings.getfloat("REDIS_HEARTBEAT_INTERVAL")
        self.worker_timeout = settings.getfloat("REDIS_WORKER_TIMEOUT")
        self.idle_close = settings.getfloat("REDIS_IDLE_CLOSE")
        self.seed_only = settings.getbool("REDIS_SEED_ONLY")
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.keys: CrawlKeys | None = None
        self.leases: set[str] = set()
        self.draining = False
        self._idle_since: float | None = None
        self._heartbeat: task.LoopingCall | None = None
        self._lease_pop = server.register_script(_LEASE_POP)
        self._requeue = server.register_script(_REQUEUE)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LeasedScheduler:
        scheduler = cls(crawler, connect(crawler.settings["REDIS_URL"]))
        crawler.signals.connect(scheduler.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(scheduler.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(scheduler.lease_done, signal=lease_done)
        return scheduler

    # --- life cycle -------------------------------------------------------------------

    def open(self, spider: Spider) -> None:
        self.spider = spider
        crawl_id = self.crawl_id_setting or crawl_id_for(
            getattr(spider, "site_name", None), list(getattr(spider, "start_urls", []))
        )
        self.keys = keys = CrawlKeys(self.prefix, crawl_id)
        self.queue = PriorityQueue(self.server, spider, keys.queue, serializer=None)
        self.df = RFPDupeFilter(self.server, key=keys.dupefilter)
        self._beat(wake=False)
        self._heartbeat = task.LoopingCall(self._beat)
        self._heartbeat.start(self.heartbeat_interval, now=False)
        logger.info(
            "Distributed crawl %s: worker %s joins (%d queued, %d in flight, %d workers)",
            crawl_id,
            self.worker_id,
            len(self.queue),
            self.server.hlen(keys.inflight),
            self.server.hlen(keys.workers),
        )

    def close(self, reason: str) -> None:
        if self._heartbeat is not None and self._heartbeat.running:
            self._heartbeat.stop()
        keys = self._keys()
        if reason == "finished":
            self._ack_all()  # the engine is idle: every lease of ours is done
        else:
            for lease in list(self.leases):
                self._requeue(keys=[keys.queue, keys.inflight, keys.owners], args=[lease])
            self.leases.clear()
        self.server.hdel(keys.workers, self.worker_id)
        if reason == "finished" and self._crawl_done() and not self.server.hlen(keys.workers):
            # Last one out: the next run of the same command is a new crawl.
            self.server.delete(keys.dupefilter, keys.drain, keys.workers)
            logger.info("Distributed crawl %s is complete", keys.crawl_id)

    # --- queue ------------------------------------------------------------------------

    def enqueue_request(self, request: Request) -> bool:
        if request.meta.get(WAKE_META_KEY):
            return False  # only there to make the engine look at the queue now
        if not request.dont_filter and self.df.request_seen(request):
            self.stats.inc_value("scheduler/filtered/redis")
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        self.queue.push(request)
        return True

    def next_request(self) -> Request | None:
        if self.draining or self.seed_only:
            return None
        keys = self._keys()
        lease = uuid.uuid4().hex
        data = self._lease_pop(
            keys=[keys.queue, keys.inflight, keys.owners], args=[lease, self.worker_id]
        )
        if not data:
            return None
        request: Request = self.queue._decode_request(data)
        request.meta[LEASE_META_KEY] = lease
        self.leases.add(lease)
        self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        if self.draining or self.seed_only:
            return False
        return len(self) > 0

    # --- leases -----------------------------------------------------------------------

    def ack(self, lease: str) -> None:
        """The request under ``lease`` is done: forget it everywhere."""
        if lease in self.leases:
            self.leases.discard(lease)
            keys = self._keys()
            pipe = self.server.pipeline()
            pipe.hdel(keys.inflight, lease)
            pipe.hdel(keys.owners, lease)
            pipe.execute()

    def _ack_all(self) -> None:
        for lease in list(self.leases):
            self.ack(lease)

    def item_scraped(self, item: Any, **_: Any) -> None:
        if _is_record(item):
            self.server.incr(self._keys().articles)

    def lease_done(self, lease: str, **_: Any) -> None:
        self.ack(lease)

    def _beat(self, wake: bool = True) -> None:
        keys = self._keys()
        now = time.time()
        self.server.hset(keys.workers, self.worker_id, f"{now:.3f}")
        self.draining = bool(self.server.exists(keys.drain))
        self.reap(now)
        if wake:
            self._wake_if_idle()

    def _wake_if_idle(self) -> None:
        """An idle engine looks at the scheduler only every 5 s; work arrived: look now."""
        engine = self.crawler.engine
        if engine is None or self.draining or self.seed_only or not engine.spider_is_idle():
            return
        if len(self.queue):
            engine.crawl(Request("data:,", meta={WAKE_META_KEY: True}, dont_filter=True))

    def reap(self, now: float) -> int:
        """Put the leases of dead workers back into the queue; returns how many."""
        keys = self._keys()
        beats = {
            _text(worker): float(_text(seen))
            for worker, seen in self.server.hgetall(keys.workers).items()
        }
        dead = {w for w, seen in beats.items() if now - seen > self.worker_timeout}
        requeued = 0
        for lease, owner in self.server.hgetall(keys.owners).items():
            worker = _text(owner).rsplit(" ", 1)[0]
            if worker != self.worker_id and (worker in dead or worker not in beats):
                requeued += int(
                    self._requeue(keys=[keys.queue, keys.inflight, keys.owners], args=[lease])
                )
        for worker in dead:
            self.server.hdel(keys.workers, worker)
        if requeued:
            self.stats.inc_value("distributed/requeued", requeued)
            logger.warning("Re-queued %d requests of dead workers %s", requeued, sorted(dead))
        return requeued

    # --- closing ----------------------------------------------------------------------

    def spider_idle(self, spider: Spider) -> None:
        self._ack_all()  # nothing is in progress in this process any more
        if self.draining or self.seed_only:
            return
        self.reap(time.time())
        if self._crawl_done():
            now = time.time()
            if self._idle_since is None:
                self._idle_since = now
            if now - self._idle_since >= self.idle_close:
                return
        else:
            self._idle_since = None
        raise DontCloseSpider

    def _crawl_done(self) -> bool:
        keys = self._keys()
        return len(self.queue) == 0 and self.server.hlen(keys.inflight) == 0

    def _keys(self) -> CrawlKeys:
        assert self.keys is not None, "scheduler not open"
        return self.keys


class LeaseAckMiddleware:
    """Spider middleware: a lease is done when its callback's output and its items are done.

    Sends ``lease_done`` (a Scrapy signal of this module) that the scheduler acknowledges.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        # id(response) → [items still in the pipelines, callback finished, lease]
        self.pending: dict[int, list[Any]] = {}
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(self.item_finished, signal=signal)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LeaseAckMiddleware:
        return cls(crawler)

    async def process_spider_output_async(self, response: Any, result: Any) -> Any:
        lease = response.meta.get(LEASE_META_KEY)
        state: list[Any] = [0, False, lease]
        if lease is not None:
            self.pending[id(response)] = state
        async for element in result:
            if lease is not None and not isinstance(element, Request):
                state[0] += 1
            yield element
        state[1] = True
        if lease is not None and state[0] <= 0:
            self.pending.pop(id(response), None)
            self._done(lease)

    def process_spider_output(self, response: Any, result: Any) -> Any:
        yield from result  # Scrapy >= 2.13 uses the async variant above

    def item_finished(self, item: Any = None, response: Any = None, **_: Any) -> None:
        state = self.pending.get(id(response)) if response is not None else None
        if state is None:
            return
        state[0] -= 1
        if state[0] <= 0 and state[1]:
            self.pending.pop(id(response), None)
            self._done(state[2])

    def _done(self, lease: str) -> None:
        self.crawler.signals.send_catch_log(lease_done, lease=lease)


def _is_record(item: Any) -> bool:
    return isinstance(item, dict) and "text" in item


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
