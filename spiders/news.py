"""NewsSpider: one profile-driven spider for Vietnamese news sites.

Discovery order for each start host: robots.txt (its ``Sitemap:`` lines) →
sitemap indexes and (news) sitemaps → RSS/Atom feeds → the start page and the
listing pages it links to, with their pagination. Pages are told apart as
articles or listings; articles go to the pipelines as :class:`Page` items.

The spider only discovers and fetches; it never writes files.
"""

from __future__ import annotations

import logging
import zlib
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.http import Request, Response
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.sitemap import sitemap_urls_from_robots
from twisted.python.failure import Failure

from spiders.discovery import (
    DiscoveryError,
    Entry,
    children_first,
    parse_feed,
    parse_sitemap,
    sniff_kind,
)
from spiders.incremental import RecheckGate, site_key
from spiders.pageanalysis import (
    ExtractArgs,
    PageAnalysis,
    PageRules,
    Profiles,
    analyse_page,
    article_link,
    link_refusal,
    normalise_link,
    warm_up,
)
from spiders.resources import ResourcePlanner
from spiders.scope import Scope
from spiders.trapguard import EMPTY, TrapGuard
from vnnews.config import checked
from vnnews.items import Page
from vnnews.profiles import ProfileError, ProfileRegistry, SiteProfile
from vnnews.urlcanon import is_template_canonical
from vnnews.workpool import WorkPool, run_in

logger = logging.getLogger(__name__)

# One URL per page (spiders.pageanalysis): memoised, shared with the re-check gate.
_normalise = normalise_link


def _crc(url: str) -> int:
    return zlib.crc32(url.encode("utf-8"))


def _extraction_pipeline_on(pipelines: Any) -> bool:
    """Is the extraction pipeline (pipelines.extract.ExtractionPipeline) enabled?"""
    return any(
        getattr(key, "__name__", str(key).rsplit(".", 1)[-1]) == "ExtractionPipeline"
        and order is not None
        for key, order in dict(pipelines).items()
    )


def _split_urls(value: str | list[str] | None) -> list[str]:
    if not value:
        return []
    if isinstance(value, list):
        return value
    return [u.strip() for u in value.split(",") if u.strip()]


def check_arguments(
    registry: ProfileRegistry, site: str | None, start_urls: str | list[str] | None
) -> tuple[SiteProfile | None, list[str]]:
    """The profile and start URLs for ``-a site=`` / ``-a start_urls=``; ValueError if wrong."""
    profile = registry.get(site) if site else None
    urls = _split_urls(start_urls) or list(profile.start_urls if profile else [])
    if not urls:
        raise ValueError("nothing to crawl: pass -a site=NAME or -a start_urls=URL[,URL]")
    bad = [
        u for u in urls if urlsplit(u).scheme not in ("http", "https") or not urlsplit(u).hostname
    ]
    if bad:
        raise ValueError(f"start_urls must be http(s) URLs: {', '.join(bad)}")
    return profile, urls


def _scope_drop(refusal: str) -> str:
    """The stat of a link the crawl's scope refused (``Scope.refusal``'s reason)."""
    return "news/dropped/" + ("offsite" if refusal == "offsite" else f"scope_{refusal}")


class NewsSpider(scrapy.Spider):
    """``scrapy crawl news -a site=NAME`` or ``-a start_urls=URL[,URL]``."""

    name = "news"

    def __init__(
        self,
        site: str | None = None,
        start_urls: str | list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.site_name = site
        self.requested_start_urls = _split_urls(start_urls)
        self.profile: SiteProfile | None = None
        self.registry: ProfileRegistry | None = None
        self.scope = Scope.of([])
        self.trap_guard: TrapGuard | None = None
        self._sitemaps_followed = 0
        self.recheck: RecheckGate | None = None
        self.resources: ResourcePlanner | None = None
        self._pool: WorkPool | None = None
        self._pool_found = False
        self._refusals: dict[str, str | None] = {}
        self.extract_in_analysis = False

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> NewsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        assert isinstance(spider, NewsSpider)
        spider.configure()
        crawler.signals.connect(spider._idle, signal=signals.spider_idle)
        return spider

    # --- set-up -----------------------------------------------------------------

    def configure(self) -> None:
        settings = self.crawler.settings
        self.registry = ProfileRegistry.load(settings.getlist("NEWS_PROFILE_DIRS"))
        try:
            self.profile, urls = check_arguments(
                self.registry, self.site_name, self.requested_start_urls
            )
        except (ProfileError, ValueError) as exc:
            raise ValueError(str(exc)) from None  # bad -a arguments: the crawl cannot start
        self.start_urls = urls
        # which profile a URL has, for the page analysis (the same rule as _profile_for)
        self.profiles = Profiles(
            self.profile.name if self.profile else None,
            tuple(str(d) for d in settings.getlist("NEWS_PROFILE_DIRS")),
        )
        # Origins (scheme, host, port): www.x.vn and x.vn are one site, http -> https
        # upgrades on default ports are followed, another port is another origin.
        self.scope = Scope.of(urls)
        self.allowed_domains = self.scope.domains
        self.sitemap_maxsize: int = checked(settings, "NEWS_SITEMAP_MAXSIZE")
        self.sitemap_max_urls: int = checked(settings, "NEWS_SITEMAP_MAX_URLS")
        self.sitemap_max_children: int = checked(settings, "NEWS_SITEMAP_MAX_CHILDREN")
        self.max_sitemaps: int = checked(settings, "NEWS_MAX_SITEMAPS")
        self.max_links: int = checked(settings, "NEWS_MAX_LINKS_PER_PAGE")
        self.max_hops: int = checked(settings, "NEWS_MAX_HOPS")
        self.max_pagination: int = checked(settings, "NEWS_MAX_PAGINATION")
        self.max_per_pattern: int = checked(settings, "NEWS_MAX_PER_PATTERN")
        self.trap_guard = TrapGuard(
            self.crawler,
            max_per_pattern=self.max_per_pattern,
            sample=checked(settings, "NEWS_TRAP_SAMPLE"),
            min_distinct=checked(settings, "NEWS_TRAP_MIN_DISTINCT"),
            backlog=checked(settings, "NEWS_TRAP_BACKLOG"),
        )
        # page resources (images, styles, fonts, scripts, documents): spiders.resources
        self.resources = ResourcePlanner.from_crawler(self.crawler, urls)
        # HTML pages are read in the crawl's worker pool (vnnews.workpool, found once the
        # extensions exist), with the article extracted in the same call when the extraction
        # pipeline is on
        self.extract_in_analysis = _extraction_pipeline_on(settings.getwithbase("ITEM_PIPELINES"))
        # incremental runs: which archived URLs to fetch again; JOBDIR per site
        name = self.profile.name if self.profile else self.site_name
        self.recheck = RecheckGate.for_spider(
            self.crawler, site_key(name, urls), self.profile, _normalise
        )

    @property
    def pool(self) -> WorkPool | None:
        """The crawl's worker pool (None without the extension: pages are read inline)."""
        if not self._pool_found:
            self._pool = self.crawler.get_extension(WorkPool)
            self._pool_found = True
        return self._pool

    def _wanted(self, url: str, **kwargs: Any) -> bool:
        """Fetch this URL in this run? (an archived one only when changed or due)"""
        return self.recheck is None or self.recheck.want(url, **kwargs)

    def _profile_for(self, url: str) -> SiteProfile | None:
        if self.profile is not None:
            return self.profile
        return self.registry.for_url(url) if self.registry else None

    # --- start ------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        if self.pool is not None:  # workers start while robots.txt and sitemaps are fetched
            self.pool.warm(warm_up, self.profiles)
        for request in self._start_requests():
            yield request

    def _start_requests(self) -> Iterator[Request]:
        profile = self.profile
        # When start_urls were given with a profile (a mirror or the sample site),
        # the profile's own sitemap/feed URLs point elsewhere; discovery starts
        # from the start hosts' robots.txt instead.
        own_urls = profile is not None and not self.requested_start_urls
        hosts_done: set[str] = set()
        for url in self.start_urls:
            parts = urlsplit(url)
            root = f"{parts.scheme}://{parts.netloc}"
            if root not in hosts_done:
                hosts_done.add(root)
                yield self._request(
                    root + "/robots.txt", self.parse_robots, kind="robots", priority=30
                )
            yield self._request(url, self.parse_page, kind="start", priority=10)
        if own_urls and profile is not None:
            for sitemap in profile.sitemaps:
                yield self._request(sitemap, self.parse_sitemap, kind="sitemap", priority=20)
            for feed in profile.feeds:
                yield self._request(feed, self.parse_feed, kind="feed", priority=20)

    def _request(
        self,
        url: str,
        callback: Any,
        *,
        kind: str,
        priority: int = 0,
        hints: dict[str, str] | None = None,
        hops: int = 0,
        pages: int = 0,
    ) -> Request:
        meta: dict[str, Any] = {
            "kind": kind,
            "hints": hints or {},
            "hops": hops,
            "pagination": pages,
        }
        if kind == "sitemap":  # sitemaps may be bigger than pages, up to their own cap
            meta["download_maxsize"] = self.sitemap_maxsize
        return Request(url, callback=callback, errback=self.on_error, priority=priority, meta=meta)

    def _sitemap_request(self, url: str, *, priority: int) -> Iterator[Request]:
        """A sitemap to fetch, within NEWS_MAX_SITEMAPS per crawl."""
        if not self._on_site(url):
            self._count_refusal(url)
            return
        if self._sitemaps_followed >= self.max_sitemaps:
            self._cap("sitemaps", f"{self.max_sitemaps} sitemaps fetched (NEWS_MAX_SITEMAPS)")
            return
        self._sitemaps_followed += 1
        yield self._request(url, self.parse_sitemap, kind="sitemap", priority=priority)

    def _gate(self, request: Request) -> Iterator[Request]:
        """The request unless the trap guard holds or drops it."""
        if self.trap_guard is None or self.trap_guard.admit(request):
            yield request

    # --- robots, sitemaps, feeds ---------------------------------------------------

    def parse_robots(self, response: Response) -> Iterator[Request]:
        sitemaps = list(sitemap_urls_from_robots(response.body, base_url=response.url))
        self.crawler.stats.inc_value("news/robots/sitemaps", len(sitemaps))
        if not sitemaps:
            # No Sitemap: line; try the conventional location.
            sitemaps = [urljoin(response.url, "/sitemap.xml")]
        for url in sitemaps:
            yield from self._sitemap_request(url, priority=20)

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        try:
            sitemap = parse_sitemap(response.body, response.url, self.sitemap_max_urls)
        except DiscoveryError as exc:
            self._bad_input("sitemap", response.url, exc)
            return
        self.crawler.stats.inc_value("news/sitemaps")
        if sitemap.truncated:
            self._cap("sitemap_urls", f"a sitemap over {self.sitemap_max_urls} entries")
        if sitemap.kind == "index":
            children, left_out = children_first(sitemap.entries, self.sitemap_max_children)
            if left_out:
                self.crawler.stats.inc_value("news/dropped/sitemap_children", left_out)
                self._cap("sitemap_children", f"an index of {len(sitemap.entries)} sitemaps")
            # after the articles already found (priority 5): a huge index never starves them
            for entry in children:
                yield from self._sitemap_request(entry.url, priority=4)
            return
        if self.recheck is not None and sitemap.kind == "urlset":
            self.recheck.prefetch(entry.url for entry in sitemap.entries)
        for entry in sitemap.entries:
            if self._admit(entry.url) and self._wanted(entry.url, hints=entry.hints):
                yield from self._gate(self._article_request(entry, source="sitemap"))

    def parse_feed(self, response: Response) -> Iterator[Request]:
        try:
            entries = parse_feed(response.body, response.url)
        except DiscoveryError as exc:
            self._bad_input("feed", response.url, exc)
            return
        self.crawler.stats.inc_value("news/feeds")
        if self.recheck is not None:
            self.recheck.prefetch(entry.url for entry in entries)
        for entry in entries:
            if self._admit(entry.url) and self._wanted(entry.url, hints=entry.hints):
                yield from self._gate(self._article_request(entry, source="feed"))

    def _article_request(self, entry: Entry, *, source: str) -> Request:
        url = _normalise(entry.url)
        self.crawler.stats.inc_value(f"news/discovered/{source}")
        return self._request(url, self.parse_page, kind="article", priority=5, hints=entry.hints)

    # --- HTML pages -------------------------------------------------------------------

    async def parse_page(self, response: Response) -> AsyncIterator[Any]:
        content_type = response.headers.get("Content-Type") or b""
        kind = sniff_kind(response.body, content_type.decode("latin-1"))
        if kind == "sitemap":
            for request in self.parse_sitemap(response):
                yield request
            return
        if kind == "feed":
            for request in self.parse_feed(response):
                yield request
            return
        if kind != "html":
            self.crawler.stats.inc_value("news/pages/not_html")
            return
        # read once, in the crawl's worker pool (spiders.pageanalysis): the reactor only
        # schedules what the analysis found
        encoding = getattr(response, "encoding", "utf-8")
        fetched_at = self._fetched_at(response)
        found = await run_in(
            self.pool,
            analyse_page,
            response.body,
            response.url,
            encoding,
            self._page_rules(response, fetched_at),
        )
        for output in self._page_outputs(found, response, fetched_at):
            yield output

    def _page_rules(self, response: Response, fetched_at: datetime) -> PageRules:
        planner = self.resources
        extract = ExtractArgs(
            fetched_at=fetched_at,
            hints=dict(response.meta.get("hints") or {}),
            headers=self._headers(response),
        )
        return PageRules(
            profiles=self.profiles,
            max_links=self.max_links,
            fingerprint=self.trap_guard is not None and response.request is not None,
            resources_article=planner is not None and planner.wanted_for(article=True),
            resources_listing=planner is not None and planner.wanted_for(article=False),
            documents=planner.documents if planner is not None else True,
            titles=self.recheck is not None,
            extract=extract if self.extract_in_analysis else None,
        )

    def _page_outputs(
        self, found: PageAnalysis, response: Response, fetched_at: datetime
    ) -> Iterator[Any]:
        """What the spider does with an analysed HTML page (requests and the Page item)."""
        if found.error is not None:
            self._bad_input("html", response.url, ValueError(found.error))
            return
        if self.trap_guard is not None and response.request is not None:
            yield from self.trap_guard.judge(response.request, found.fingerprint)
        yield from self._feed_links(found.feeds)
        if found.article:
            canonical = self._canonical_elsewhere(found)
            if canonical and not self._wanted(canonical, hints=response.meta.get("hints")):
                return
            if canonical:
                self.crawler.stats.inc_value("news/folded_to_canonical")
                yield self._request(
                    canonical,
                    self.parse_page,
                    kind="article",
                    priority=5,
                    hints=response.meta.get("hints"),
                    hops=response.meta.get("hops", 0),
                )
                return
            self.crawler.stats.inc_value("news/pages/article")
            yield self._page_item(response, fetched_at, found)
            yield from self._resources(found, response)
        else:
            self.crawler.stats.inc_value("news/pages/listing")
            yield from self._resources(found, response)
            if self.recheck is not None:
                self.recheck.page_seen(response)
        yield from self._follow_links(found, response)

    def _resources(self, found: PageAnalysis, response: Response) -> Iterator[Request]:
        if self.resources is not None and found.resources is not None:
            yield from self.resources.page_links(
                found.resources, response, self.parse_resource, self.on_resource_error
            )

    def parse_resource(self, response: Response) -> Iterator[Request]:
        """A page resource (spiders.resources): counted; a stylesheet's own resources."""
        if self.resources is not None:
            yield from self.resources.fetched(response, self.parse_resource, self.on_resource_error)

    def on_resource_error(self, failure: Failure) -> None:
        if self.resources is not None:
            self.resources.failed(failure)

    def _canonical_elsewhere(self, found: PageAnalysis) -> str | None:
        """The article's own URL when this page says it is a variant (AMP, print, tracking)
        by its rel=canonical; never guessed from the URL."""
        own, target = found.own_canonical, found.canonical
        if target is None:
            return None
        if target == own or not self._on_site(target):
            return None
        if is_template_canonical(own, target):
            self.crawler.stats.inc_value("news/canonical_ignored")
            return None
        return target

    @staticmethod
    def _fetched_at(response: Response) -> datetime:
        warc = response.meta.get("warc")
        if isinstance(warc, dict) and warc.get("date"):
            return datetime.fromisoformat(str(warc["date"]).replace("Z", "+00:00"))
        return datetime.now(UTC)

    @staticmethod
    def _headers(response: Response) -> dict[str, list[str]]:
        return {
            k.decode("latin-1"): [v.decode("latin-1") for v in vs]
            for k, vs in response.headers.items()
        }

    def _page_item(self, response: Response, fetched_at: datetime, found: PageAnalysis) -> Page:
        warc = response.meta.get("warc")
        hints = dict(response.meta.get("hints") or {})
        return Page(
            url=response.url,
            request_url=response.request.url if response.request else response.url,
            status=response.status,
            headers=self._headers(response),
            body=response.body,
            encoding=getattr(response, "encoding", "utf-8"),
            fetched_at=fetched_at,
            site=self._site_name(response.url),
            hints=hints,
            warc=dict(warc) if isinstance(warc, dict) else None,
            revisit=bool(isinstance(warc, dict) and warc.get("revisit")),
            extraction=found.extraction,
        )

    def _site_name(self, url: str) -> str | None:
        profile = self._profile_for(url)
        return profile.name if profile else None

    def _feed_links(self, feeds: list[str]) -> Iterator[Request]:
        for href in feeds:
            if self._on_site(href):
                yield self._request(href, self.parse_feed, kind="feed", priority=20)
            else:
                self._count_refusal(href)

    def _follow_links(self, found: PageAnalysis, response: Response) -> Iterator[Request]:
        hops = int(response.meta.get("hops", 0))
        pages = int(response.meta.get("pagination", 0))
        if found.links_capped:
            self._cap("links_per_page", f"a page with over {self.max_links} links")
        content, titles = found.content, found.titles
        fresh = self.recheck is None or self.recheck.listing_fresh(
            [u for u in content if self._article_link(u, found)], titles
        )
        # A pager page that shows nothing its previous page did not (an endless ``?page=N``
        # or a page number past the end) ends that pager.
        fingerprint = sorted({_crc(u) for u in content})
        exhausted = pages > 0 and set(fingerprint) <= set(response.meta.get("listed") or [])
        counts: Counter[str] = Counter()  # refused links, added to the stats once per page
        try:
            yield from self._follow(
                found, response, hops, pages, fresh, fingerprint, exhausted, counts
            )
        finally:
            for key, n in counts.items():
                self.crawler.stats.inc_value(key, n)

    def _follow(
        self,
        found: PageAnalysis,
        response: Response,
        hops: int,
        pages: int,
        fresh: bool,
        fingerprint: list[int],
        exhausted: bool,
        counts: Counter[str],
    ) -> Iterator[Request]:
        own, pagers, content, titles = found.own, found.pagers, found.content, found.titles
        for url in pagers:
            if not self._admit(url, found, counts):
                continue
            if exhausted:
                self.crawler.stats.inc_value("news/dropped/pagination_repeat")
            elif not self._wanted(url, hops=hops, pager=True, listing_fresh=fresh):
                continue
            elif pages < self.max_pagination:
                request = self._request(
                    url, self.parse_page, kind="listing", priority=8, hops=hops, pages=pages + 1
                )
                # links back to this page are navigation on the next one, not content
                request.meta["listed"] = [*fingerprint, _crc(own)]
                yield request
            else:
                self.crawler.stats.inc_value("news/dropped/pagination_cap")
        for url in content:
            if not self._admit(url, found, counts):
                continue
            if hops >= self.max_hops:
                self.crawler.stats.inc_value("news/dropped/hops")
                continue
            if not self._wanted(url, title=titles.get(url), hops=hops + 1):
                continue
            article = self._article_link(url, found)
            yield from self._gate(
                self._request(
                    url,
                    self.parse_page,
                    kind="article" if article else "listing",
                    priority=5 if article else 3,
                    hops=hops + 1,
                )
            )

    def _article_link(self, url: str, found: PageAnalysis | None = None) -> bool:
        """Does a link look like an article (profile patterns, else the URL's shape)?"""
        verdict = found.verdicts.get(url) if found is not None else None
        return verdict[1] if verdict is not None else article_link(url, self._profile_for(url))

    def _on_site(self, url: str) -> bool:
        """In the crawl's scope: one of its origins (scheme, host, port)."""
        return self._refusal(url) is None

    def _refusal(self, url: str) -> str | None:
        """The scope's refusal, memoised per origin (``scheme://netloc``, which decides it)."""
        key = url.split("/", 3)
        origin = "/".join(key[:3])
        if origin not in self._refusals:
            if len(self._refusals) >= 1 << 14:
                self._refusals.clear()
            self._refusals[origin] = self.scope.refusal(url)
        return self._refusals[origin]

    def _count_refusal(self, url: str) -> None:
        self.crawler.stats.inc_value(_scope_drop(self._refusal(url) or "offsite"))

    def _cap(self, name: str, what: str) -> None:
        """A cap was reached: a stat for the run report, one WARNING line at the end."""
        stats = self.crawler.stats
        if not stats.get_value(f"news/caps/{name}"):
            logger.info("Cap reached: %s", what)
        stats.inc_value(f"news/caps/{name}")

    def _admit(
        self, url: str, found: PageAnalysis | None = None, counts: Counter[str] | None = None
    ) -> bool:
        """Keep a link? In scope, not denied, not a file (the trap guard comes after).
        A refusal is counted in ``counts`` when given (the caller adds them to the stats once
        per page), else in the stats."""
        refusal = self._refusal(url)
        if refusal is None:
            verdict = found.verdicts.get(url) if found is not None else None
            reason = (
                verdict[0] if verdict is not None else link_refusal(url, self._profile_for(url))
            )
            if reason is None:
                return True
            key = f"news/dropped/{reason}"
        else:
            key = _scope_drop(refusal)
        if counts is None:
            self.crawler.stats.inc_value(key)
        else:
            counts[key] += 1
        return False

    def _idle(self) -> None:
        """Shapes still held by the trap guard are decided; released URLs keep the crawl on."""
        released = self.trap_guard.idle() if self.trap_guard is not None else []
        if not released:
            return
        assert self.crawler.engine is not None
        for request in released:
            self.crawler.engine.crawl(request)
        raise DontCloseSpider

    def closed(self, reason: str) -> None:
        """One WARNING per cap reached, so a cut crawl is never silent."""
        stats = self.crawler.stats.get_stats()
        for key in sorted(k for k in stats if k.startswith("news/caps/")):
            name = key.removeprefix("news/caps/")
            logger.warning("Cap reached: %s (%s times; see docs/reliability.md)", name, stats[key])

    # --- errors -------------------------------------------------------------------

    def _bad_input(self, what: str, url: str, exc: Exception) -> None:
        self.crawler.stats.inc_value(f"news/errors/bad_{what}")
        logger.warning("Bad %s at %s: %s", what, url, exc)

    def on_error(self, failure: Failure) -> Iterator[Request]:
        request = failure.request if hasattr(failure, "request") else None
        url = request.url if request is not None else "?"
        error = failure.value
        if request is not None and request.meta.get("kind") == "robots":
            # No robots.txt (404, 5xx, timeout): still try the conventional sitemap.
            self.crawler.stats.inc_value("news/robots/missing")
            yield self._request(urljoin(url, "/sitemap.xml"), self.parse_sitemap, kind="sitemap")
        if request is not None and self.trap_guard is not None:
            # an error page tells the trap guard as much as an empty one
            yield from self.trap_guard.judge(request, EMPTY)
        if isinstance(error, HttpError):
            status = error.response.status
            if status in (404, 410) and request is not None and self.recheck is not None:
                self.recheck.gone(request)
            self.crawler.stats.inc_value(f"news/errors/http_{status}")
            logger.info("HTTP %s for %s", status, url)
            return
        message = failure.getErrorMessage()
        if isinstance(error, IgnoreRequest):
            # robots.txt, scope and dedup drops: counted by their own middlewares.
            self.crawler.stats.inc_value("news/ignored")
            if "DOWNLOAD_MAXSIZE" in message:  # a compression bomb, stopped while decoding
                self.crawler.stats.inc_value("news/dropped/too_big_decoded")
                self._cap("download_maxsize", "a body over DOWNLOAD_MAXSIZE once decoded")
            elif "max redirections" in message:
                self.crawler.stats.inc_value("news/dropped/redirect_limit")
            logger.debug("Ignored %s: %s", url, message[:300])
            return
        name = type(error).__name__
        if name == "DownloadCancelledError" or "max size" in message:
            # over DOWNLOAD_MAXSIZE / NEWS_SITEMAP_MAXSIZE on the wire
            self.crawler.stats.inc_value("news/dropped/too_big")
            self._cap("download_maxsize", "a body over its size limit")
            logger.info("Too big, dropped: %s", url)
            return
        self.crawler.stats.inc_value(f"news/errors/{name}")
        logger.warning("Fetch failed for %s: %s", url, failure.getErrorMessage())
