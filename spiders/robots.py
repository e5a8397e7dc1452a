"""robots.txt as RFC 9309 says, in place of Scrapy's ``RobotsTxtMiddleware``.

One fetch per origin (``scheme://host:port/robots.txt``) before the first request to it; then:

| answer | policy for that origin, this run | counted |
| --- | --- | --- |
| 2xx | the rules of the first ``NEWS_ROBOTS_MAX_BYTES`` (RFC 9309 §2.5: ≥ 500 KiB) | |
| 4xx (not 429) | "unavailable": everything allowed (§2.3.1.3) | ``news/robots/unavailable`` |
| 5xx or 429 | "unreachable": **nothing** allowed (§2.3.1.4) | ``news/robots/disallow_all`` |
| network error, timeout | "unreachable": nothing allowed | ``news/robots/disallow_all`` |
| a redirect out of scope | unavailable: everything allowed | ``news/robots/unavailable`` |

Redirects are followed by Scrapy's RedirectMiddleware within the crawl's scope. A failure is
one log line naming the origin and what happened, never a traceback.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Request
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.misc import build_from_crawler, load_object
from twisted.internet.defer import Deferred

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

ALLOW_ALL = "allow_all"
DISALLOW_ALL = "disallow_all"
DOWNLOAD_PRIORITY = 1000

Policy = Any  # a RobotParser, ALLOW_ALL or DISALLOW_ALL


def policy_for_status(status: int) -> str | None:
    """ALLOW_ALL / DISALLOW_ALL for a status that is not a robots.txt, None for 2xx."""
    if 200 <= status < 300:
        return None
    if status >= 500 or status == 429:
        return DISALLOW_ALL
    return ALLOW_ALL


def cut(body: bytes, limit: int) -> bytes:
    """The first ``limit`` bytes of a robots.txt, cut at the last whole line."""
    if len(body) <= limit:
        return body
    head = body[:limit]
    end = head.rfind(b"\n")
    return head[: end + 1] if end >= 0 else b""


class RobotsTxtMiddleware:
    """Downloader middleware (register in place of Scrapy's, at the same priority)."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("ROBOTSTXT_OBEY"):
            raise NotConfigured
        self.crawler = crawler
        self.max_bytes = settings.getint("NEWS_ROBOTS_MAX_BYTES")
        self.user_agent: str = settings.get("ROBOTSTXT_USER_AGENT") or settings["USER_AGENT"]
        self.parser_class = load_object(settings.get("ROBOTSTXT_PARSER"))
        self.policies: dict[str, Policy | Deferred[Policy]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RobotsTxtMiddleware:
        return cls(crawler)

    def _inc(self, key: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(key)

    async def process_request(self, request: Request) -> None:
        if request.meta.get("dont_obey_robotstxt"):
            return
        parts = urlsplit(request.url)
        if parts.scheme not in ("http", "https"):
            return
        policy = await self.policy(f"{parts.scheme}://{parts.netloc}")
        if policy == ALLOW_ALL:
            return
        if policy == DISALLOW_ALL or not policy.allowed(request.url, self.user_agent):
            self._inc("robotstxt/forbidden")
            logger.debug("Forbidden by robots.txt: %s", request.url)
            raise IgnoreRequest("Forbidden by robots.txt")

    async def policy(self, origin: str) -> Policy:
        known = self.policies.get(origin)
        if isinstance(known, Deferred):
            # Every waiter gets its own Deferred: callbacks on a shared one are chained, so
            # a second waiter would receive what the first waiter's callback returned (None).
            mine: Deferred[Policy] = Deferred()
            known.addCallback(_fan_out, mine)
            return await maybe_deferred_to_future(mine)
        if known is not None:
            return known
        waiting: Deferred[Policy] = Deferred()
        self.policies[origin] = waiting
        policy = await self._fetch(origin)
        self.policies[origin] = policy
        waiting.callback(policy)
        return policy

    async def _fetch(self, origin: str) -> Policy:
        request = Request(
            f"{origin}/robots.txt",
            priority=DOWNLOAD_PRIORITY,
            meta={"dont_obey_robotstxt": True, "kind": "robots_policy"},
            callback=NO_CALLBACK,
        )
        assert self.crawler.engine is not None
        self._inc("robotstxt/request_count")
        try:
            response: Response = await self.crawler.engine.download_async(request)
        except IgnoreRequest as exc:
            self._inc("news/robots/unavailable")
            logger.info("robots.txt of %s not fetched (%s): all allowed", origin, exc)
            return ALLOW_ALL
        except Exception as exc:  # network errors, timeouts: "unreachable"
            self._inc("news/robots/disallow_all")
            self._inc(f"news/errors/robots_{type(exc).__name__}")
            logger.warning(
                "robots.txt of %s unreachable (%s: %s): nothing on %s is fetched this run "
                "(RFC 9309)",
                origin,
                type(exc).__name__,
                str(exc)[:200],
                origin,
            )
            logger.debug("robots.txt failure for %s", origin, exc_info=True)
            return DISALLOW_ALL
        self._inc(f"robotstxt/response_status_count/{response.status}")
        by_status = policy_for_status(response.status)
        if by_status == DISALLOW_ALL:
            self._inc("news/robots/disallow_all")
            self._inc(f"news/errors/robots_http_{response.status}")
            logger.warning(
                "robots.txt of %s answered %s: nothing on %s is fetched this run (RFC 9309)",
                origin,
                response.status,
                origin,
            )
            return DISALLOW_ALL
        if by_status == ALLOW_ALL:
            self._inc("news/robots/unavailable")
            logger.info("robots.txt of %s answered %s: all allowed", origin, response.status)
            return ALLOW_ALL
        body = response.body
        if len(body) > self.max_bytes:
            self._inc("news/caps/robots_bytes")
            logger.info(
                "robots.txt of %s is %d bytes: only the first %d are read",
                origin,
                len(body),
                self.max_bytes,
            )
            body = cut(body, self.max_bytes)
        return build_from_crawler(self.parser_class, self.crawler, body)


def _fan_out(policy: Policy, waiter: Deferred[Policy]) -> Policy:
    """Hand the fetched policy to one waiter and pass it on unchanged to the next."""
    waiter.callback(policy)
    return policy
