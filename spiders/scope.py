"""The crawl's scope is a set of origins (scheme, host, port), not a set of host names.

``Scope.of(start_urls)`` admits, for every start URL:

* its own origin, the same host with or without ``www.`` and its subdomains (``amp.x.vn``),
  on the start URL's port;
* the other scheme on its default port when the start URL is on a default port, so that
  ``http://x.vn`` → ``https://x.vn`` upgrades are followed; ``x.vn:8080`` is never admitted
  from ``x.vn``, nor ``127.0.0.1:OTHER`` from ``127.0.0.1:PORT``.

A URL outside it gets a reason: ``scheme`` (``file:``, ``data:``, ``ftp:``...),
``private_address`` (an IP literal that is loopback, private, link-local, reserved or
multicast and is not a start host itself), ``other_origin`` (a known host on another port or
scheme) or ``offsite``. ``ScopeMiddleware`` applies it to every request the downloader
sees, so redirects, meta refreshes, sitemap and feed entries are held to it too.
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import IgnoreRequest

from spiders.resources import admitted_origin

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    return scheme, host, port if port is not None else _DEFAULT_PORTS[scheme]


def _site_key(host: str) -> str:
    return host.removeprefix("www.")


def _is_special_address(host: str) -> bool:
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


@dataclass(frozen=True)
class Scope:
    """Origins a crawl may request; see the module docstring."""

    #: (scheme, site key, port) admitted
    origins: frozenset[tuple[str, str, int]]
    #: the exact start hosts (an IP literal among them is admitted even if private)
    start_hosts: frozenset[str]

    @classmethod
    def of(cls, start_urls: list[str]) -> Scope:
        origins: set[tuple[str, str, int]] = set()
        hosts: set[str] = set()
        for url in start_urls:
            origin = _origin(url)
            if origin is None:
                continue
            scheme, host, port = origin
            hosts.add(host)
            origins.add((scheme, _site_key(host), port))
            if port == _DEFAULT_PORTS[scheme]:
                for other, default in _DEFAULT_PORTS.items():
                    origins.add((other, _site_key(host), default))
        return cls(frozenset(origins), frozenset(hosts))

    @property
    def domains(self) -> list[str]:
        """Host names of the scope (for Scrapy's ``allowed_domains``)."""
        return sorted({key for _, key, _ in self.origins})

    def refusal(self, url: str) -> str | None:
        """None when ``url`` is in scope, else why not (see the module docstring)."""
        origin = _origin(url)
        if origin is None:
            return "scheme"
        scheme, host, port = origin
        if _is_special_address(host) and host not in self.start_hosts:
            return "private_address"
        key = _site_key(host)
        known = [(s, k, p) for s, k, p in self.origins if key == k or key.endswith("." + k)]
        if not known:
            return "offsite"
        if any(s == scheme and p == port for s, _, p in known):
            return None
        return "other_origin"

    def allows(self, url: str) -> bool:
        return self.refusal(url) is None


class ScopeMiddleware:
    """Downloader middleware: a request outside the spider's ``scope`` is dropped and counted
    (``news/dropped/scope_<reason>``) when it is scheduled and again before it is downloaded
    (robots.txt fetches are not scheduled): nothing connects, redirects included."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ScopeMiddleware:
        mw = cls(crawler)
        # Scrapy's OffsiteMiddleware filters at scheduling time; this runs first (connected
        # first), so a redirect to 169.254.169.254 is counted as what it is.
        crawler.signals.connect(mw.request_scheduled, signal=signals.request_scheduled)
        return mw

    def request_scheduled(self, request: Request, spider: object) -> None:
        self.process_request(request)

    def process_request(self, request: Request) -> None:
        scope = getattr(self.crawler.spider, "scope", None)
        if not isinstance(scope, Scope):
            return
        reason = scope.refusal(request.url)
        if reason is None:
            return
        if reason in ("offsite", "other_origin") and admitted_origin(self.crawler.spider, request):
            return  # a page resource (or its host's robots.txt): spiders.resources checks it
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"news/dropped/scope_{reason}")
        via = " (redirect)" if request.meta.get("redirect_times") else ""
        logger.info("Out of scope (%s)%s: %s", reason, via, request.url[:200])
        raise IgnoreRequest(f"out of scope ({reason})")
