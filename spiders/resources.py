"""Page resources: what an archived page needs to render as the reader saw it.

An article page (and, with ``RESOURCES_LISTINGS``, a listing page) is archived with its
images (``src``, ``srcset``, lazy ``data-src`` / ``data-srcset`` / ``data-original`` /
``data-lazy-src``, ``<picture><source srcset>``, ``poster``), stylesheets and what they
``@import`` and ``url()`` (fonts, background images), scripts, icons, and the documents it
links to (PDF, DOC, DOCX, XLS, XLSX, ...). This module finds those links and decides which
may be fetched; the spider (``spiders.news``) only asks for the requests.

* Hosts (``RESOURCES_HOSTS``): ``site`` — the crawl's own hosts and their subdomains;
  ``cdn`` — hosts whose name has one of ``RESOURCES_CDN_WORDS`` (``cdn``, ``static``,
  ``img``...: ``i1-vnexpress.vnecdn.net``, ``static.mediacdn.vn``, ``cafefcdn.com``); ``*`` —
  any host; anything else a host or ``*.domain`` pattern. ``RESOURCES_DENY_HOSTS`` wins over
  all (trackers, ads). IP literals that are private/loopback are never admitted unless the
  crawl's own start host is one (the sample site on 127.0.0.1).
* Bounds: ``RESOURCES_MAX_SIZE`` bytes per resource, ``RESOURCES_MAX_PER_PAGE`` resources and
  ``RESOURCES_MAX_PAGE_BYTES`` bytes per page, ``RESOURCES_MAX_RUN_BYTES`` per run.
  :class:`ResourceMiddleware` applies the host rule to every resource request the downloader
  sees (redirects included) and the byte budgets before each download.
* A resource URL is requested once per crawl (Scrapy's dupefilter); across crawls the WARC
  middleware writes an unchanged payload as a revisit record, as for pages.
* Resources never reach the item pipelines; stats are ``news/resources/*``.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import logging
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Request, Response
from scrapy.spidermiddlewares.httperror import HttpError

from spiders.pageresources import (
    DOCUMENT_EXTENSIONS,
    ResourceLink,
    css_resources,
    css_text,
    html_resources,
    is_document_url,
    parse_srcset,
)
from vnnews.config import checked

if TYPE_CHECKING:
    from lxml.html import HtmlElement
    from scrapy.crawler import Crawler

# the pure part (finding a page's resources) lives in spiders.pageresources
__all__ = [
    "DOCUMENT_EXTENSIONS",
    "META_KIND",
    "META_PAGE",
    "HostPolicy",
    "ResourceLink",
    "ResourceMiddleware",
    "ResourcePlanner",
    "admitted_origin",
    "css_resources",
    "css_text",
    "html_resources",
    "is_document_url",
    "parse_srcset",
]

logger = logging.getLogger(__name__)

#: request.meta key marking a page resource; its value is the resource kind
META_KIND = "resource"
#: request.meta key: the page the resource belongs to (its budget)
META_PAGE = "resource_page"

# -- which hosts ---------------------------------------------------------------------------


_ORIGIN = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*")


def origin_of(url: str) -> str:
    """The ``scheme://netloc`` text an absolute URL starts with ("" when it has none): what
    ``urlsplit`` would give as scheme and netloc, found without splitting the rest."""
    match = _ORIGIN.match(url)
    return match.group(0) if match else ""


def _special_ip(host: str) -> bool:
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return bool(
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
    )


@dataclass
class HostPolicy:
    """Which hosts page resources may come from (see the module docstring)."""

    site_hosts: frozenset[str]
    allow: tuple[str, ...]
    cdn_words: tuple[str, ...]
    deny: tuple[str, ...]
    _decided: dict[tuple[str, str], str | None] = field(default_factory=dict, repr=False)
    _by_origin: dict[str, str | None] = field(default_factory=dict, repr=False)

    @classmethod
    def from_settings(cls, settings: Any, start_urls: Iterable[str]) -> HostPolicy:
        hosts = set()
        for url in start_urls:
            host = (urlsplit(url).hostname or "").lower()
            if host:
                hosts.add(host.removeprefix("www."))
        return cls(
            frozenset(hosts),
            tuple(str(h).strip().lower() for h in checked(settings, "RESOURCES_HOSTS")),
            tuple(str(w).strip().lower() for w in checked(settings, "RESOURCES_CDN_WORDS")),
            tuple(str(h).strip().lower() for h in checked(settings, "RESOURCES_DENY_HOSTS")),
        )

    def _own(self, host: str) -> bool:
        key = host.removeprefix("www.")
        return any(key == h or key.endswith("." + h) for h in self.site_hosts)

    def _cdn(self, host: str) -> bool:
        if _special_ip(host) or not self.cdn_words:
            return False
        labels = host.split(".")[:-1]  # not the top-level domain
        return any(word in label for label in labels for word in self.cdn_words)

    @staticmethod
    def _match(host: str, pattern: str) -> bool:
        if pattern.startswith("*."):
            return host == pattern[2:] or fnmatch.fnmatchcase(host, pattern)
        return host == pattern

    def refusal(self, url: str) -> str | None:
        """None when a resource at ``url`` may be fetched, else why not (the scheme and the
        host decide: memoised per pair, since a page's resources come from a few hosts)."""
        origin = origin_of(url)  # the memo is keyed by the URL's scheme://netloc text first
        if origin in self._by_origin:
            return self._by_origin[origin]
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname or "")
        if key not in self._decided:
            if len(self._decided) >= 1 << 14:
                self._decided.clear()
                self._by_origin.clear()
            self._decided[key] = self._host_refusal(*key)
        if origin:
            self._by_origin[origin] = self._decided[key]
        return self._decided[key]

    def _host_refusal(self, scheme: str, hostname: str) -> str | None:
        host = hostname.lower().rstrip(".")
        if scheme not in ("http", "https") or not host:
            return "scheme"
        if any(self._match(host, p) for p in self.deny):
            return "denied_host"
        own = self._own(host)
        if _special_ip(host) and not own:
            return "private_address"
        for rule in self.allow:
            if (
                rule == "*"
                or (rule == "site" and own)
                or (rule == "cdn" and self._cdn(host))
                or (rule not in ("site", "cdn") and self._match(host, rule))
            ):
                return None
        return "host"


# -- requests ------------------------------------------------------------------------------


@dataclass
class ResourcePlanner:
    """Turns a page's resource links into requests, within the per-page count and hosts."""

    enabled: bool
    listings: bool
    documents: bool
    scripts: bool
    max_size: int
    max_per_page: int
    policy: HostPolicy
    crawler: Any
    origins: set[str] = field(default_factory=set)

    @classmethod
    def from_crawler(cls, crawler: Crawler, start_urls: Iterable[str]) -> ResourcePlanner:
        s = crawler.settings
        return cls(
            enabled=checked(s, "RESOURCES_ENABLED"),
            listings=checked(s, "RESOURCES_LISTINGS"),
            documents=checked(s, "RESOURCES_DOCUMENTS"),
            scripts=checked(s, "RESOURCES_SCRIPTS"),
            max_size=checked(s, "RESOURCES_MAX_SIZE"),
            max_per_page=checked(s, "RESOURCES_MAX_PER_PAGE"),
            policy=HostPolicy.from_settings(s, start_urls),
            crawler=crawler,
        )

    @property
    def stats(self) -> Any:
        return self.crawler.stats

    def wanted_for(self, *, article: bool) -> bool:
        return self.enabled and (article or self.listings)

    def requests(
        self,
        links: Iterable[ResourceLink],
        page_url: str,
        callback: Any,
        errback: Any,
        *,
        already: int = 0,
    ) -> Iterator[Request]:
        """Requests for ``links`` of the page ``page_url`` (``already``: resources of this
        page requested before, e.g. a stylesheet's parent)."""
        count = already
        counts: Counter[str] = Counter()  # stats, added once per page (not once per link)
        try:
            for link in links:
                if link.kind == "script" and not self.scripts:
                    continue
                if link.kind == "document" and not self.documents:
                    continue
                reason = self.policy.refusal(link.url)
                if reason is not None:
                    counts[f"news/resources/dropped/{reason}"] += 1
                    continue
                if count >= self.max_per_page:
                    counts["news/resources/dropped/page_count"] += 1
                    continue
                count += 1
                origin = origin_of(link.url)
                if not origin:
                    parts = urlsplit(link.url)
                    origin = f"{parts.scheme}://{parts.netloc}"
                self.origins.add(origin.lower())
                counts[f"news/resources/requested/{link.kind}"] += 1
                yield self._request(link, page_url, count, callback, errback)
        finally:
            for key, n in counts.items():
                self.stats.inc_value(key, n)

    def _request(
        self, link: ResourceLink, page_url: str, count: int, callback: Any, errback: Any
    ) -> Request:
        return Request(
            link.url,
            callback=callback,
            errback=errback,
            priority=6,
            meta={
                META_KIND: link.kind,
                META_PAGE: page_url,
                "kind": "resource",
                "resource_count": count,
                "download_maxsize": self.max_size,
                "allow_offsite": True,
            },
        )

    def page(
        self, tree: HtmlElement, response: Response, callback: Any, errback: Any
    ) -> Iterator[Request]:
        """Requests for the resources of a page the spider parsed (``tree``, links absolute)."""
        links = html_resources(tree, response.url, documents=self.documents)
        yield from self.page_links(links, response, callback, errback)

    def page_links(
        self, links: Iterable[ResourceLink], response: Response, callback: Any, errback: Any
    ) -> Iterator[Request]:
        """Requests for a page's resources, found by the page analysis
        (:func:`spiders.pageresources.html_resources`, in a worker)."""
        self.stats.inc_value("news/resources/pages")
        yield from self.requests(links, response.url, callback, errback)

    def fetched(self, response: Response, callback: Any, errback: Any) -> Iterator[Request]:
        """A resource arrived: counted; a stylesheet's own resources are requested."""
        kind = str(response.meta.get(META_KIND) or "other")
        self.stats.inc_value("news/resources/fetched")
        self.stats.inc_value(f"news/resources/fetched/{kind}")
        self.stats.inc_value("news/resources/bytes", len(response.body))
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
        if kind != "stylesheet" and "text/css" not in content_type.lower():
            return
        text = css_text(response.body, content_type)
        links = css_resources(text, response.url)
        page = str(response.meta.get(META_PAGE) or response.url)
        already = int(response.meta.get("resource_count") or 0)
        yield from self.requests(links, page, callback, errback, already=already)

    def failed(self, failure: Any) -> None:
        """A resource could not be had: counted under ``news/resources/errors/*``."""
        error = failure.value
        request = getattr(failure, "request", None)
        url = request.url if request is not None else "?"
        if isinstance(error, HttpError):
            name = f"http_{error.response.status}"
        elif isinstance(error, IgnoreRequest):
            self.stats.inc_value("news/resources/ignored")
            return
        else:
            name = type(error).__name__
            if name == "DownloadCancelledError" or "max size" in failure.getErrorMessage():
                name = "too_big"
        self.stats.inc_value(f"news/resources/errors/{name}")
        logger.info("Resource not archived (%s): %s", name, url[:200])


def admitted_origin(spider: Any, request: Request) -> bool:
    """For ``spiders.scope``: a resource request (its host was checked by
    :class:`ResourceMiddleware`) or the robots.txt of a resource host is not off-site."""
    if request.meta.get(META_KIND):
        return True
    planner = getattr(spider, "resources", None)
    if not isinstance(planner, ResourcePlanner) or request.meta.get("kind") != "robots_policy":
        return False
    parts = urlsplit(request.url)
    return f"{parts.scheme}://{parts.netloc}".lower() in planner.origins


class ResourceMiddleware:
    """Downloader middleware for page resources: the host rule on every request the
    downloader sees (redirects too), the per-page and per-run byte budgets before each
    download (the remaining budget also caps the download size), and the byte counts."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not checked(settings, "RESOURCES_ENABLED"):
            raise NotConfigured
        self.crawler = crawler
        self.max_size: int = checked(settings, "RESOURCES_MAX_SIZE")
        self.page_bytes: int = checked(settings, "RESOURCES_MAX_PAGE_BYTES")
        self.run_bytes: int = checked(settings, "RESOURCES_MAX_RUN_BYTES")
        self.used: dict[str, int] = {}
        self.used_run = 0
        self._warned: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ResourceMiddleware:
        return cls(crawler)

    def _inc(self, key: str, count: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(key, count)

    def _drop(self, reason: str, request: Request, what: str) -> None:
        self._inc(f"news/resources/dropped/{reason}")
        if reason not in self._warned:
            self._warned.add(reason)
            logger.warning("Resource cap reached: %s (%s)", what, request.url[:200])
        raise IgnoreRequest(f"resource {reason}")

    def process_request(self, request: Request) -> None:
        if not request.meta.get(META_KIND):
            return
        planner = getattr(self.crawler.spider, "resources", None)
        if isinstance(planner, ResourcePlanner):
            reason = planner.policy.refusal(request.url)
            if reason is not None:
                self._inc(f"news/resources/dropped/{reason}")
                raise IgnoreRequest(f"resource host not allowed ({reason})")
            parts = urlsplit(request.url)
            planner.origins.add(f"{parts.scheme}://{parts.netloc}".lower())
        page = str(request.meta.get(META_PAGE) or "")
        left_page = self.page_bytes - self.used.get(page, 0)
        left_run = self.run_bytes - self.used_run
        if left_run <= 0:
            self._drop("run_bytes", request, f"{self.run_bytes} bytes this run")
        if left_page <= 0:
            self._drop("page_bytes", request, f"{self.page_bytes} bytes for one page")
        request.meta["download_maxsize"] = max(1, min(self.max_size, left_page, left_run))

    def process_response(self, request: Request, response: Response) -> Response:
        if request.meta.get(META_KIND):
            size = len(response.body)
            page = str(request.meta.get(META_PAGE) or "")
            self.used[page] = self.used.get(page, 0) + size
            self.used_run += size
        return response
