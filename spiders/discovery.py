"""Pure parsing helpers for discovery: sitemaps, news sitemaps, feeds, page kinds.

Nothing here touches the network or Scrapy's engine; the spider feeds bytes in
and gets URLs (with the facts found next to them) out.
"""

from __future__ import annotations

import gzip
import io
import json
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from lxml import etree, html

_MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # the sitemap protocol's own limit

_ARTICLE_URL_HINTS = (
    re.compile(r"-(?:post|p|d|a|n)?\d{5,}(?:\.html?|\.htm|\.aspx|\.chn|\.ldo|\.vnp|\.vov)?$"),
    re.compile(r"/\d{4}/\d{1,2}/\d{1,2}/[^/]+"),
    re.compile(r"[/-]\d{6,}(?:\.html?)?$"),
)
# ``/tin-tuc/chi-tiet?id=123``, ``/News/Detail.aspx?ItemID=45``, ``/index.php?newsid=9``: the
# query names the article on many government and older CMS portals.
_DETAIL_PATH = re.compile(
    r"chi-?tiet|chitiet|detail|xem|view|noi-?dung|bai-?viet|article|story|post|news|tin",
    re.IGNORECASE,
)
_ID_PARAM = re.compile(
    r"(?:^|&)(?:id|nid|newsid|news_id|itemid|item_id|articleid|article_id|postid|post_id|"
    r"contentid|content_id|tinid|baiviet)=\d{2,}(?:&|$)",
    re.IGNORECASE,
)
# Session parameters: never part of a page's identity. ``sid``/``s`` only when the value
# looks like a token (``?sid=3`` is a section id on some portals).
_SESSION_PARAMS = frozenset({"phpsessid", "jsessionid", "aspsessionid", "sessionid", "sessid"})
_TOKEN_PARAMS = frozenset({"sid", "session", "token", "s"})
_TOKEN = re.compile(r"^(?=.*\d)(?=.*[a-z])[0-9a-z_-]{16,}$", re.IGNORECASE)
_PATH_SESSION = re.compile(r";(?:jsessionid|phpsessid|sid)=[^/?#]*", re.IGNORECASE)
_DATELINE = re.compile(
    r"\b\d{1,2}[/.-]\d{1,2}[/.-]\d{4}\b|\bngày\s+\d{1,2}\s+tháng\s+\d{1,2}\b",
    re.IGNORECASE,
)
_LISTING_LINKS = 1
_HEADINGS = "//h1|//h2|//*[contains(@class,'title') or contains(@class,'tieude')]"
_ARTICLE_TYPES = {"newsarticle", "article", "reportagenewsarticle", "blogposting", "report"}


class DiscoveryError(ValueError):
    """A sitemap or feed could not be parsed."""


@dataclass
class Entry:
    """A URL found by discovery, with what the source said about it."""

    url: str
    hints: dict[str, str] = field(default_factory=dict)


@dataclass
class Sitemap:
    kind: str  # "index" or "urlset"
    entries: list[Entry]


def maybe_gunzip(body: bytes) -> bytes:
    if body[:2] != b"\x1f\x8b":
        return body
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(body)) as f:
            data = f.read(_MAX_SITEMAP_BYTES + 1)
    except (OSError, EOFError) as exc:
        raise DiscoveryError(f"bad gzip: {exc}") from exc
    if len(data) > _MAX_SITEMAP_BYTES:
        raise DiscoveryError("sitemap larger than 50 MB")
    return data


def _xml_root(body: bytes) -> etree._Element:
    parser = etree.XMLParser(
        recover=True, resolve_entities=False, no_network=True, remove_comments=True, huge_tree=False
    )
    try:
        root = etree.fromstring(maybe_gunzip(body).strip(), parser=parser)
    except etree.XMLSyntaxError as exc:
        raise DiscoveryError(f"not XML: {exc}") from exc
    if root is None:
        raise DiscoveryError("empty XML document")
    return root


def _local(tag: object) -> str:
    return etree.QName(tag).localname.lower() if isinstance(tag, str) else ""


def _child_text(el: etree._Element, *names: str) -> str:
    """Text of the first descendant whose local name is one of ``names``."""
    for child in el.iter():
        if _local(child.tag) in names and child.text and child.text.strip():
            return str(child.text).strip()
    return ""


def parse_sitemap(body: bytes, base_url: str) -> Sitemap:
    """A sitemap index or urlset, news sitemap fields kept as hints."""
    root = _xml_root(body)
    kind = _local(root.tag)
    if kind not in ("sitemapindex", "urlset"):
        raise DiscoveryError(f"root element is <{kind}>, not a sitemap")
    entries = []
    for item in root:
        if _local(item.tag) not in ("sitemap", "url"):
            continue
        loc = _child_text(item, "loc")
        if not loc:
            continue
        hints = {}
        for key, names in (
            ("sitemap_lastmod", ("lastmod",)),
            ("sitemap_published", ("publication_date",)),
            ("sitemap_title", ("title",)),
        ):
            value = _child_text(item, *names)
            if value:
                hints[key] = value
        entries.append(Entry(urljoin(base_url, loc), hints))
    return Sitemap("index" if kind == "sitemapindex" else "urlset", entries)


def parse_feed(body: bytes, base_url: str) -> list[Entry]:
    """RSS 2.0 / RSS 1.0 / Atom entries with their dates and titles."""
    root = _xml_root(body)
    kind = _local(root.tag)
    if kind not in ("rss", "rdf", "feed"):
        raise DiscoveryError(f"root element is <{kind}>, not a feed")
    entries = []
    for item in root.iter():
        if _local(item.tag) not in ("item", "entry"):
            continue
        link = ""
        for child in item:
            if _local(child.tag) == "link":
                href = child.get("href")
                rel = child.get("rel", "alternate")
                if href and rel == "alternate":
                    link = href
                    break
                if child.text and child.text.strip():
                    link = child.text.strip()
                    break
        if not link:
            link = _child_text(item, "guid", "id")
        if not link.startswith(("http://", "https://", "/")):
            continue
        hints = {}
        published = _child_text(item, "pubdate", "published", "date", "issued")
        if published:
            hints["feed_published"] = published
        updated = _child_text(item, "updated", "modified")
        if updated:
            hints["feed_updated"] = updated
        title = _child_text(item, "title")
        if title:
            hints["feed_title"] = title
        entries.append(Entry(urljoin(base_url, link), hints))
    return entries


def sniff_kind(body: bytes, content_type: str) -> str:
    """'sitemap', 'feed', 'html' or 'other' from the content type and first bytes."""
    ctype = content_type.lower()
    head = maybe_gunzip(body[:4096] if body[:2] != b"\x1f\x8b" else body)[:2048].lower()
    if b"<urlset" in head or b"<sitemapindex" in head:
        return "sitemap"
    if b"<rss" in head or b"<feed" in head or b"<rdf:rdf" in head:
        return "feed"
    if "html" in ctype or b"<html" in head or b"<!doctype html" in head:
        return "html"
    return "other"


def _jsonld_types(tree: html.HtmlElement) -> set[str]:
    types: set[str] = set()
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text_content() or "null", strict=False)
        except ValueError:
            continue
        stack = [data]
        while stack:
            node = stack.pop()
            if isinstance(node, list):
                stack.extend(node)
            elif isinstance(node, dict):
                t = node.get("@type")
                for name in t if isinstance(t, list) else [t]:
                    if isinstance(name, str):
                        types.add(name.lower())
                graph = node.get("@graph")
                if graph:
                    stack.append(graph)
    return types


def looks_like_article_url(url: str) -> bool:
    """An article-shaped URL: a numeric id or a date in the path, or a detail page with an id."""
    parts = urlsplit(url)
    if any(p.search(parts.path) for p in _ARTICLE_URL_HINTS):
        return True
    detail = _DETAIL_PATH.search(f"{parts.path}?{parts.query}")
    return bool(detail and _ID_PARAM.search(parts.query))


def strip_session(url: str) -> str:
    """``url`` without session-id parameters (``PHPSESSID=``, ``;jsessionid=``, ``sid=<token>``)."""
    parts = urlsplit(url)
    path = _PATH_SESSION.sub("", parts.path)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    kept = [
        (k, v)
        for k, v in pairs
        if k.lower() not in _SESSION_PARAMS and not (k.lower() in _TOKEN_PARAMS and _TOKEN.match(v))
    ]
    if path == parts.path and len(kept) == len(pairs):
        return url
    return urlunsplit((parts.scheme, parts.netloc, path, urlencode(kept), parts.fragment))


def _prose_run(tree: html.HtmlElement) -> int:
    """Characters of unlinked prose in the container holding the most long paragraphs."""
    runs: dict[html.HtmlElement, int] = {}
    for p in tree.iter("p"):
        text = p.text_content().strip()
        linked = sum(len(a.text_content()) for a in p.iter("a"))
        parent = p.getparent()
        if len(text) >= 60 and linked < len(text) / 3 and parent is not None:
            runs[parent] = runs.get(parent, 0) + len(text) - linked
    return max(runs.values(), default=0)


def _has_dateline(tree: html.HtmlElement) -> bool:
    """A date in the first few hundred characters of visible text after the first heading."""
    for heading in tree.xpath(_HEADINGS):
        following = heading.xpath("following::text()[normalize-space()][position() <= 8]")
        if _DATELINE.search(" ".join(str(t) for t in following)[:400]):
            return True
    return False


def _looks_like_listing(tree: html.HtmlElement, url: str) -> bool:
    """Little prose of its own and many links to article-shaped URLs."""
    if _prose_run(tree) >= 400 or looks_like_article_url(url):
        return False
    links = {urljoin(url, str(h)).split("#", 1)[0] for h in tree.xpath("//a/@href")}
    return sum(1 for link in links if looks_like_article_url(link)) >= _LISTING_LINKS


def is_article_page(tree: html.HtmlElement, url: str) -> bool:
    """Tell an article page from a listing/home page by its own markup."""
    if urlsplit(url).path in ("", "/"):
        return False  # a site's home page, whatever its markup claims
    og_type = tree.xpath('string(//meta[@property="og:type"]/@content)').strip().lower()
    if og_type == "article":
        # VCCorp and other CMSs put og:type=article on listing and home pages too.
        return not _looks_like_listing(tree, url)
    if _jsonld_types(tree) & _ARTICLE_TYPES:
        return True
    if tree.xpath('//meta[@property="article:published_time"]'):
        return True
    if og_type == "website":
        return False
    # Markup says nothing: a run of prose in one container, with an article-shaped URL or a
    # dateline under a heading (government portals: "Cập nhật: 08:15 ngày 16/01/2015").
    prose = _prose_run(tree)
    dated = prose >= 150 and _has_dateline(tree)
    if looks_like_article_url(url):
        return prose >= 400 or dated
    return prose >= 800 and dated


_DIGITS = re.compile(r"\d+")
_LONG_TOKEN = re.compile(r"(?<![a-z0-9])(?=[a-z0-9]*\d)(?=[a-z0-9]*[a-z])[a-z0-9]{16,}(?![a-z0-9])")
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+){2,}")


def url_shape(url: str) -> str:
    """A URL with numbers and slugs folded, for per-pattern caps against traps."""
    shape = _DIGITS.sub("0", _LONG_TOKEN.sub("tok", url.lower()))
    return _SLUG.sub("slug", shape)
