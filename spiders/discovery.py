"""Pure parsing helpers for discovery: sitemaps, news sitemaps, feeds, URL shapes.

(Article or listing: :mod:`vnnews.pagekind`.)

Nothing here touches the network or Scrapy's engine; the spider feeds bytes in
and gets URLs (with the facts found next to them) out.
"""

from __future__ import annotations

import gzip
import io
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from lxml import etree

_MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # the sitemap protocol's own limit

# Session parameters: never part of a page's identity. ``sid``/``s`` only when the value
# looks like a token (``?sid=3`` is a section id on some portals).
_SESSION_PARAMS = frozenset({"phpsessid", "jsessionid", "aspsessionid", "sessionid", "sessid"})
_TOKEN_PARAMS = frozenset({"sid", "session", "token", "s"})
_TOKEN = re.compile(r"^(?=.*\d)(?=.*[a-z])[0-9a-z_-]{16,}$", re.IGNORECASE)
_PATH_SESSION = re.compile(r";(?:jsessionid|phpsessid|sid)=[^/?#]*", re.IGNORECASE)


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
    #: entries past ``max_entries`` were left unread
    truncated: bool = False


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


def _hints(item: etree._Element) -> dict[str, str]:
    hints = {}
    for key, names in (
        ("sitemap_lastmod", ("lastmod",)),
        ("sitemap_published", ("publication_date",)),
        ("sitemap_title", ("title",)),
    ):
        value = _child_text(item, *names)
        if value:
            hints[key] = value
    return hints


def parse_sitemap(body: bytes, base_url: str, max_entries: int = 50_000) -> Sitemap:
    """A sitemap index or urlset, news sitemap fields kept as hints.

    Read as a stream (each ``<url>``/``<sitemap>`` element is dropped once read), at most
    ``max_entries`` entries; entities are never expanded, nothing is fetched."""
    data = maybe_gunzip(body).strip()
    events = etree.iterparse(
        io.BytesIO(data),
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        remove_comments=True,
        huge_tree=False,
        recover=True,
    )
    kind = ""
    entries: list[Entry] = []
    truncated = False
    try:
        for event, el in events:
            name = _local(el.tag)
            if event == "start":
                if not kind:
                    kind = name
                    if kind not in ("sitemapindex", "urlset"):
                        raise DiscoveryError(f"root element is <{kind}>, not a sitemap")
                continue
            if name not in ("sitemap", "url") or el.getparent() is None:
                continue
            if el.getparent().getparent() is None:  # a direct child of the root
                loc = _child_text(el, "loc")
                if loc:
                    if len(entries) >= max_entries:
                        truncated = True
                        break
                    entries.append(Entry(urljoin(base_url, loc), _hints(el)))
                el.clear()
                while el.getprevious() is not None:  # keep the tree small
                    del el.getparent()[0]
    except etree.XMLSyntaxError as exc:
        if not kind:
            raise DiscoveryError(f"not XML: {exc}") from exc
    if not kind:
        raise DiscoveryError("empty XML document")
    return Sitemap("index" if kind == "sitemapindex" else "urlset", entries, truncated)


def children_first(entries: list[Entry], limit: int) -> tuple[list[Entry], int]:
    """The child sitemaps of an index to follow: the ``limit`` most recent (by lastmod; those
    without one keep their order, after the dated ones), and how many were left out."""
    dated = sorted(
        (e for e in entries if e.hints.get("sitemap_lastmod")),
        key=lambda e: e.hints["sitemap_lastmod"],
        reverse=True,
    )
    undated = [e for e in entries if not e.hints.get("sitemap_lastmod")]
    ordered = dated + undated
    return ordered[:limit], max(0, len(ordered) - limit)


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


_DIGITS = re.compile(r"\d+")
_LONG_TOKEN = re.compile(r"(?<![a-z0-9])(?=[a-z0-9]*\d)(?=[a-z0-9]*[a-z])[a-z0-9]{16,}(?![a-z0-9])")
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+){2,}")


def url_shape(url: str) -> str:
    """A URL with numbers and slugs folded, for per-pattern caps against traps."""
    shape = _DIGITS.sub("0", _LONG_TOKEN.sub("tok", url.lower()))
    return _SLUG.sub("slug", shape)
