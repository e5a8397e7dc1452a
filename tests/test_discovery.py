"""Discovery parsing: sitemaps (index, urlset, news, gzip), feeds, page kinds, URL shapes."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import html

from spiders.discovery import (
    DiscoveryError,
    parse_feed,
    parse_sitemap,
    sniff_kind,
    url_shape,
)
from vnnews.pagekind import is_article_page

DATA = Path(__file__).parent / "data"

NEWS_SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url>
    <loc>https://nhandan.vn/van-phong-chinh-phu-post123456.html</loc>
    <lastmod>2015-01-15T16:00:00+07:00</lastmod>
    <news:news>
      <news:publication><news:name>Nh\xc3\xa2n D\xc3\xa2n</news:name><news:language>vi</news:language></news:publication>
      <news:publication_date>2015-01-15T15:30:00+07:00</news:publication_date>
      <news:title>V\xc4\x83n ph\xc3\xb2ng Ch\xc3\xadnh ph\xe1\xbb\xa7</news:title>
    </news:news>
  </url>
</urlset>"""

INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>/sitemap-news.xml</loc><lastmod>2021-05-06</lastmod></sitemap>
  <sitemap><loc>https://nhandan.vn/sitemap-2.xml.gz</loc></sitemap>
</sitemapindex>"""


def test_news_sitemap_keeps_publication_date_lastmod_and_title() -> None:
    sitemap = parse_sitemap(NEWS_SITEMAP, "https://nhandan.vn/sitemap-news.xml")
    assert sitemap.kind == "urlset"
    [entry] = sitemap.entries
    assert entry.url == "https://nhandan.vn/van-phong-chinh-phu-post123456.html"
    assert entry.hints == {
        "sitemap_lastmod": "2015-01-15T16:00:00+07:00",
        "sitemap_published": "2015-01-15T15:30:00+07:00",
        "sitemap_title": "Văn phòng Chính phủ",
    }


def test_sitemap_index_resolves_relative_locations() -> None:
    sitemap = parse_sitemap(INDEX, "https://nhandan.vn/sitemap.xml")
    assert sitemap.kind == "index"
    assert [e.url for e in sitemap.entries] == [
        "https://nhandan.vn/sitemap-news.xml",
        "https://nhandan.vn/sitemap-2.xml.gz",
    ]


def test_plain_and_gzipped_sitemaps_from_corpus_agree() -> None:
    plain = parse_sitemap((DATA / "feeds/sitemap.xml").read_bytes(), "https://www.sitemaps.org/")
    gz = parse_sitemap((DATA / "feeds/sitemap.xml.gz").read_bytes(), "https://www.sitemaps.org/")
    assert len(plain.entries) == 84
    assert [e.url for e in gz.entries] == [e.url for e in plain.entries]
    assert plain.entries[0].hints["sitemap_lastmod"] == "2016-11-21"


def test_rss_and_atom_feeds_from_corpus() -> None:
    rss = parse_feed((DATA / "feeds/feed2.rss").read_bytes(), "http://www.example.com/")
    assert [e.url for e in rss] == ["http://www.example.com/blog/post/1"]
    assert rss[0].hints["feed_published"].startswith("Sun, 06 Sep 2009")
    atom = parse_feed((DATA / "feeds/feed1.atom").read_bytes(), "https://example.org/")
    assert len(atom) == 1
    assert atom[0].url.startswith("http")
    assert "feed_updated" in atom[0].hints or "feed_published" in atom[0].hints


@pytest.mark.parametrize(
    "body",
    [b"", b"<html><body>not a sitemap</body></html>", b"\x1f\x8b\x08garbage", b"\x00\x01 garbage"],
)
def test_broken_sitemaps_raise_a_clear_error(body: bytes) -> None:
    with pytest.raises(DiscoveryError):
        parse_sitemap(body, "https://x.vn/sitemap.xml")


def test_sniff_kind() -> None:
    assert sniff_kind(NEWS_SITEMAP, "text/xml") == "sitemap"
    assert sniff_kind((DATA / "feeds/feed2.rss").read_bytes(), "application/xml") == "feed"
    assert sniff_kind(b"<!DOCTYPE html><html></html>", "") == "html"
    assert sniff_kind(b"\x89PNG", "image/png") == "other"


def test_article_and_listing_pages_are_told_apart() -> None:
    article = html.fromstring(
        '<html><head><meta property="og:type" content="article"></head><body><p>x</p></body></html>'
    )
    listing = html.fromstring(
        '<html><head><meta property="og:type" content="website"></head><body></body></html>'
    )
    jsonld = html.fromstring(
        '<html><head><script type="application/ld+json">{"@graph": [{"@type": "NewsArticle"}]}'
        "</script></head><body></body></html>"
    )
    assert is_article_page(article, "https://x.vn/a")
    assert not is_article_page(listing, "https://x.vn/thoi-su/")
    assert is_article_page(jsonld, "https://x.vn/b")


def test_url_shape_folds_numbers_and_slugs() -> None:
    a = url_shape("https://x.vn/lich?date=2021-05-06")
    b = url_shape("https://x.vn/lich?date=2021-05-07")
    assert a == b
    assert url_shape("https://x.vn/a-b-c-post1.html") == url_shape("https://x.vn/d-e-f-post22.html")
    assert url_shape("https://x.vn/thoi-su/") != url_shape("https://x.vn/lich?date=1")
