"""One HTML page, read once, off the reactor: what the spider needs of it, and its article.

:func:`analyse_page` is a pure function (no Scrapy, no crawl state): it takes the page's bytes,
URL and encoding (as Scrapy decided it: a hint; the page is decoded by the extraction's one
rule, :func:`extraction.article.read_page`) and :class:`PageRules` (what the spider knows: the
page's site profile, the link cap, which extras it wants), parses the page once and returns
plain data (:class:`PageAnalysis`): the trap guard's text fingerprint, feed links, the
article/listing decision (:func:`vnnews.pagekind.is_article_page` unless the profile decides by
URL), the rel=canonical target, the page's resources by kind (:mod:`spiders.pageresources`),
its links normalised and split into pagers and content (capped at ``NEWS_MAX_LINKS_PER_PAGE``),
the link titles an incremental run compares, and, for an article page, the extraction record
(:func:`extraction.article.extract_page`, on the same tree) so the pipeline does not read the
page again. The analysis only reads the tree (hrefs are resolved on the side, not rewritten);
the extraction, which changes it, comes last.

The spider (:mod:`spiders.news`) runs it in the crawl's worker pool (:mod:`vnnews.workpool`,
``EXTRACT_POOL``): the body crosses the process boundary once, the reactor thread only
schedules. Everything it computes was computed by the spider on the reactor before; the rules
are the same code (moved here), so the crawl's decisions are unchanged.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import html as lxml_html

from extraction.article import ExtractionError, read_page
from extraction.outcome import ExtractOutcome, extract_outcome
from spiders.discovery import strip_session
from spiders.pageresources import ResourceLink, html_resources
from spiders.trapguard import EMPTY, fingerprint
from vnnews.pagekind import is_article_page, looks_like_article_url
from vnnews.profiles import ProfileRegistry, SiteProfile
from vnnews.urlcanon import canonicalize_url, fold_variant, is_template_canonical

_PAGINATION = re.compile(
    r"[?&](?:page|p|trang|pg)=\d+|/(?:page|trang|p)[-/]?\d+(?:\.html?)?/?$", re.IGNORECASE
)
_NEXT_XPATH = (
    '//a[contains(concat(" ", normalize-space(@rel), " "), " next ")]/@href'
    ' | //link[contains(concat(" ", normalize-space(@rel), " "), " next ")]/@href'
)
#: links to files, not pages (never followed as pages)
SKIP_EXTENSIONS = (
    ".jpg",
    ".jpeg",
    ".png",
    ".gif",
    ".webp",
    ".svg",
    ".pdf",
    ".mp4",
    ".mp3",
    ".zip",
    ".css",
    ".js",
    ".ico",
    ".doc",
    ".docx",
    ".xls",
    ".xlsx",
)
_FEED_XPATH = '//link[@rel="alternate"][contains(@type,"rss") or contains(@type,"atom")]/@href'
# A print variant in the path or query: never folded by URL (``/print/123`` is not ``/123``).
_PRINT_MARK = re.compile(r"/print(?:/|$)|[?&](?:print|outputtype|output)=", re.IGNORECASE)


# Pages of a site repeat the same navigation and related-article links: canonicalising each
# href once per process (not once per page) keeps link discovery cheap.
@functools.lru_cache(maxsize=1 << 16)
def normalise_link(url: str) -> str:
    """One URL per page: AMP variants folded (an AMP URL mirrors its article's path by
    convention), session ids and tracking parameters dropped. Print variants are left as
    they are: their page declares its article by rel=canonical, and the spider folds them
    then (guessing ``/print/ID`` -> ``/ID`` invents URLs that do not exist)."""
    folded = url if _PRINT_MARK.search(url) else fold_variant(url)
    return canonicalize_url(strip_session(folded))


def is_pagination(url: str) -> bool:
    """A pager link by its URL (``?page=2``, ``/trang-3``), unless it looks like an article."""
    return bool(_PAGINATION.search(url)) and not looks_like_article_url(url)


def link_refusal(url: str, profile: SiteProfile | None) -> str | None:
    """Why a link (in the crawl's scope) is not followed as a page: ``not_page`` (a file),
    ``denied`` (the profile's deny patterns); None to follow it."""
    if urlsplit(url).path.lower().endswith(SKIP_EXTENSIONS):
        return "not_page"
    if profile and profile.is_denied(url):
        return "denied"
    return None


def article_link(url: str, profile: SiteProfile | None) -> bool:
    """Does a link look like an article (profile patterns, else the URL's shape)?"""
    article = profile.is_article_url(url) if profile else None
    return looks_like_article_url(url) if article is None else article


@functools.lru_cache(maxsize=8)
def _registry(dirs: tuple[str, ...]) -> ProfileRegistry:
    return ProfileRegistry.load(dirs)


@dataclass(frozen=True)
class Profiles:
    """Which site profile a URL has: the crawl's own (``-a site=``), else the one whose hosts
    match (the registry is loaded once per process from ``NEWS_PROFILE_DIRS``)."""

    site: str | None
    dirs: tuple[str, ...]

    def for_url(self, url: str) -> SiteProfile | None:
        registry = _registry(self.dirs)
        return registry.get(self.site) if self.site else registry.for_url(url)


@dataclass(frozen=True)
class ExtractArgs:
    """What :func:`extraction.article.extract_page` needs besides the body and URL."""

    fetched_at: datetime
    hints: dict[str, Any]
    headers: dict[str, list[str]]


@dataclass(frozen=True)
class PageRules:
    """What the spider knows that the analysis needs (small and picklable)."""

    #: the site profiles (the page's decides article pages by URL when it can)
    profiles: Profiles
    #: NEWS_MAX_LINKS_PER_PAGE: ``<a>`` elements read per page
    max_links: int
    #: the trap guard's fingerprint of the page's text is wanted
    fingerprint: bool = True
    #: page resources wanted on article / listing pages; linked documents among them
    resources_article: bool = False
    resources_listing: bool = False
    documents: bool = True
    #: link titles (an incremental run compares them with what it archived)
    titles: bool = False
    #: extract the article in the same call (None: the pipeline will)
    extract: ExtractArgs | None = None


@dataclass
class PageAnalysis:
    """What :func:`analyse_page` found (plain data; see the module docstring)."""

    #: the page could not be parsed (the reason); nothing else is set
    error: str | None = None
    fingerprint: int = EMPTY
    feeds: list[str] = field(default_factory=list)
    article: bool = False
    #: this page's URL canonicalised, and its first rel=canonical href canonicalised
    own_canonical: str = ""
    canonical: str | None = None
    #: the page's resources (None: not wanted for this kind of page)
    resources: list[ResourceLink] | None = None
    #: this page's normalised URL, its pager links and its other links (sorted, normalised)
    own: str = ""
    pagers: list[str] = field(default_factory=list)
    content: list[str] = field(default_factory=list)
    #: the page had more than ``max_links`` links (the rest were not read)
    links_capped: bool = False
    titles: dict[str, str] = field(default_factory=dict)
    #: per pager and content link: why it is not followed as a page (``link_refusal``; scope
    #: is the spider's to check) and whether it looks like an article (``article_link``)
    verdicts: dict[str, tuple[str | None, bool]] = field(default_factory=dict)
    extraction: ExtractOutcome | None = None


class _Resolver:
    """A page's hrefs made absolute against its base (``<base href>``, else its URL), without
    changing the tree (the extraction reads the same tree afterwards). Repeated hrefs (a
    page's navigation) are resolved once."""

    def __init__(self, tree: lxml_html.HtmlElement, url: str) -> None:
        self.base = url
        for href in tree.xpath("//base/@href")[:1]:  # the first one counts (HTML)
            with contextlib.suppress(ValueError):
                self.base = urljoin(url, str(href).strip())
        self._done: dict[str, str | None] = {}

    def __call__(self, href: str) -> str | None:
        """``href`` absolute, None when it cannot be joined (a malformed URL)."""
        if href not in self._done:
            try:
                self._done[href] = urljoin(self.base, href.strip())
            except ValueError:
                self._done[href] = None
        return self._done[href]


def analyse_page(body: bytes, url: str, encoding: str, rules: PageRules) -> PageAnalysis:
    """Read the HTML page ``body`` at ``url`` once (see the module docstring): decoded and
    parsed as the extraction reads it (:func:`extraction.article.read_page`), and the same
    tree is then handed to the extraction."""
    headers = rules.extract.headers if rules.extract is not None else None
    try:
        tree = read_page(body, headers, encoding)
    except ExtractionError as exc:
        return PageAnalysis(error=str(exc))
    resolve = _Resolver(tree, url)
    found = PageAnalysis()
    if rules.fingerprint:
        found.fingerprint = fingerprint(tree.text_content())
    found.feeds = [u for u in map(resolve, map(str, tree.xpath(_FEED_XPATH))) if u]
    profile = rules.profiles.for_url(url)
    decided = profile.is_article_url(url) if profile else None
    found.article = is_article_page(tree, url) if decided is None else decided
    found.own_canonical = canonicalize_url(url)
    hrefs = tree.xpath('//link[@rel="canonical"]/@href')
    canonical = resolve(str(hrefs[0])) if hrefs else None
    if canonical:
        found.canonical = canonicalize_url(canonical.strip())
    if rules.resources_article if found.article else rules.resources_listing:
        found.resources = html_resources(tree, resolve.base, documents=rules.documents)
    links, found.links_capped = _links(tree, rules.max_links, resolve)
    found.own = normalise_link(url)
    urls = {normalise_link(href) for href in links}
    urls.discard(found.own)
    marked = {normalise_link(href) for href in _next_links(tree, resolve)}
    pagers = {u for u in urls if u in marked or is_pagination(u)}
    found.pagers, found.content = sorted(pagers), sorted(urls - pagers)
    if rules.titles:
        found.titles = link_titles(tree, resolve)
    for link in (*found.pagers, *found.content):
        link_profile = rules.profiles.for_url(link)
        found.verdicts[link] = (link_refusal(link, link_profile), article_link(link, link_profile))
    if found.article and rules.extract is not None and not _folds_elsewhere(found):
        args = rules.extract
        found.extraction = extract_outcome(
            body,
            url,
            fetched_at=args.fetched_at,
            profile=profile,
            hints=args.hints,
            headers=args.headers,
            encoding=encoding,
            tree=tree,
        )
    return found


_WARM_PAGE = (
    b"<html><head><title>Kh\xe1\xbb\x9fi \xc4\x91\xe1\xbb\x99ng</title></head><body><article>"
    b"<h1>Kh\xe1\xbb\x9fi \xc4\x91\xe1\xbb\x99ng m\xc3\xa1y</h1>"
    b"<p>Th\xe1\xbb\xa9 N\xc4\x83m, 04/12/2026 - 08:00</p>"
    b"<p>M\xe1\xbb\x99t \xc4\x91o\xe1\xba\xa1n v\xc4\x83n \xc4\x91\xe1\xbb\xa7 d\xc3\xa0i "
    b"\xc4\x91\xe1\xbb\x83 \xc4\x91\xc6\xb0\xe1\xbb\xa3c \xc4\x91\xe1\xbb\x8dc.</p>"
    b'<a href="/a/b-1.html">x</a></article></body></html>'
)


def warm_up(profiles: Profiles) -> None:
    """Read a small built-in page as a crawl would: a pool worker imports the extraction and
    loads its lazy tables (profiles, date languages) before the first real page arrives."""
    with contextlib.suppress(Exception):
        rules = PageRules(
            profiles=profiles,
            max_links=10,
            extract=ExtractArgs(fetched_at=datetime.now(UTC), hints={}, headers={}),
        )
        url = "http://warm-up.invalid/a/khoi-dong-1.html"
        analyse_page(_WARM_PAGE, url, "utf-8", rules)
        # the page is too small to pass for an article: its extraction is asked for directly
        extract_outcome(
            _WARM_PAGE,
            url,
            fetched_at=datetime.now(UTC),
            profile=None,
            hints={},
            headers={},
            encoding="utf-8",
        )


def _folds_elsewhere(found: PageAnalysis) -> bool:
    """The page names another URL as its article (the spider fetches that one instead, when
    it is on the site): no record for this one."""
    target, own = found.canonical, found.own_canonical
    return bool(target) and target != own and not is_template_canonical(own, str(target))


def _links(
    tree: lxml_html.HtmlElement, max_links: int, resolve: _Resolver
) -> tuple[list[str], bool]:
    """The page's followable links (rel=next first, then ``<a href>`` in document order,
    nofollow skipped), absolute, fragments cut; and whether the ``<a>`` cap cut the page
    short."""
    out = list(_next_links(tree, resolve))
    seen: set[str] = set()
    for n, el in enumerate(tree.iter("a")):
        if n >= max_links:
            return out, True
        if el.get("href") is None:
            continue
        rel = (el.get("rel") or "").lower()
        if "nofollow" in rel:
            continue
        href = resolve(str(el.get("href")))
        if href and href.startswith(("http://", "https://")) and href not in seen:
            seen.add(href)
            out.append(href.split("#", 1)[0])
    return out, False


def _next_links(tree: lxml_html.HtmlElement, resolve: _Resolver) -> Iterator[str]:
    """Links marked as the next page (``rel=next``, ``<link rel=next>``), whatever their URL."""
    for href in tree.xpath(_NEXT_XPATH):
        absolute = resolve(str(href))
        if absolute and absolute.startswith(("http://", "https://")):
            yield absolute.split("#", 1)[0]


def link_titles(tree: lxml_html.HtmlElement, resolve: _Resolver) -> dict[str, str]:
    """The longest link text per (normalised) URL on a page: the titles a listing shows."""
    titles: dict[str, str] = {}
    for link in tree.xpath("//a[@href]"):
        href = resolve(str(link.get("href")))
        if not href or not href.startswith(("http://", "https://")):
            continue
        text = " ".join(link.text_content().split())
        url = normalise_link(href.split("#", 1)[0])
        if len(text) > len(titles.get(url, "")):
            titles[url] = text
    return titles
