"""The local test server and the bundled Nhandan-style sample site it serves.

Everything goes over real HTTP to the subprocess started by the ``sample_site`` fixture (or a
fresh one from ``site_server``); requests use ``http.client`` so nothing is decoded for us.
"""

from __future__ import annotations

import gzip
import http.client
import json
import re
import subprocess
import sys
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree import ElementTree

import pytest
from lxml import html as lxml_html

from tests.conftest import NHANDAN, NHANDAN_V2, REPO_ROOT, SITES, RunningSite
from tests.mockserver import serve

SEED = SITES / "seed" / "000_c86f27ac90952118.txt"
SITEMAP_NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


@dataclass
class Reply:
    status: int
    reason: str
    headers: Message
    body: bytes


def fetch(
    base: str, path: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> Reply:
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    try:
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        return Reply(resp.status, resp.reason, resp.msg, resp.read())
    finally:
        conn.close()


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def served_files(root: Path) -> list[str]:
    """URL paths of the files a visitor may fetch (hidden files excluded)."""
    paths = []
    for file in sorted(root.rglob("*")):
        rel = file.relative_to(root).as_posix()
        if not file.is_file() or rel.startswith("_") or rel == "expected.json":
            continue
        paths.append("/" + rel.removesuffix("index.html"))
    return paths


def decoded(reply: Reply) -> str:
    ctype = reply.headers.get("Content-Type", "")
    charset = ctype.split("charset=")[1] if "charset=" in ctype else "utf-8"
    return unicodedata.normalize("NFC", reply.body.decode(charset))


def squash(text: str) -> str:
    return " ".join(text.split())


# ----------------------------------------------------------------------------- basics


def test_url_line_and_home(sample_site: RunningSite) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", sample_site.url)
    reply = fetch(sample_site.url, "/")
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "text/html; charset=utf-8"
    assert int(reply.headers["Content-Length"]) == len(reply.body)
    assert b'<h2 class="story__heading">' in reply.body


def test_every_file_is_served_with_placeholders_replaced(sample_site: RunningSite) -> None:
    paths = served_files(NHANDAN)
    assert len(paths) > 40
    for path in paths:
        reply = fetch(sample_site.url, path)
        assert reply.status == 200, path
        assert b"__BASE__" not in reply.body, path
    robots = fetch(sample_site.url, "/robots.txt").body.decode()
    assert f"Sitemap: {sample_site.url}/sitemap.xml" in robots


def test_hidden_files_and_traversal_are_404(sample_site: RunningSite) -> None:
    for path in ("/expected.json", "/_site.json", "/../conftest.py", "/seed/../robots.txt"):
        assert fetch(sample_site.url, path).status == 404, path


def test_content_types(sample_site: RunningSite) -> None:
    cases = {
        "/robots.txt": "text/plain; charset=utf-8",
        "/sitemap.xml": "application/xml; charset=utf-8",
        "/sitemaps/news.xml": "application/xml; charset=utf-8",
        "/rss/home.rss": "application/rss+xml; charset=utf-8",
        "/thoi-su/trang-2": "text/html; charset=utf-8",
    }
    for entry in sample_site.expected["articles"]:
        cases[path_of(entry["url"])] = entry["content_type"]
    assert "text/html" in cases.values()  # the page without a charset in the header
    for path, ctype in cases.items():
        assert fetch(sample_site.url, path).headers["Content-Type"] == ctype, path


def test_page_without_header_charset_declares_utf8_in_meta(sample_site: RunningSite) -> None:
    [entry] = [e for e in sample_site.expected["articles"] if "no_charset" in e["quirks"]]
    reply = fetch(sample_site.url, path_of(entry["url"]))
    assert "charset" not in reply.headers["Content-Type"]
    assert b'<meta charset="utf-8">' in reply.body
    assert entry["title"].encode("utf-8") in reply.body


def test_windows_1258_page(sample_site: RunningSite) -> None:
    [entry] = [e for e in sample_site.expected["articles"] if "cp1258" in e["quirks"]]
    reply = fetch(sample_site.url, path_of(entry["url"]))
    assert reply.headers["Content-Type"] == "text/html; charset=windows-1258"
    with pytest.raises(UnicodeDecodeError):
        reply.body.decode("utf-8")
    assert b"charset=windows-1258" in reply.body
    text = decoded(reply)
    assert entry["title"] in text and entry["text_last"] in text


# ----------------------------------------------------------------------------- the seed


def test_seed_paragraphs_are_served_byte_for_byte(sample_site: RunningSite) -> None:
    [entry] = [e for e in sample_site.expected["articles"] if e["seed"]]
    body = fetch(sample_site.url, path_of(entry["url"])).body
    lines = [line for line in SEED.read_bytes().split(b"\n") if line]
    assert len(lines) == 10
    for line in lines:
        assert line in body, line[:60]
    assert "Ð".encode() in body  # U+00D0 kept, not normalised to Đ
    assert b"<p>\xc2\xa0</p>" in body  # the NBSP-only paragraphs
    assert body.count(lines[0]) == 1  # the date bar "Thứ năm,<NBSP> 06/05/2021" once, in the header


def test_seed_metadata(sample_site: RunningSite) -> None:
    [entry] = [e for e in sample_site.expected["articles"] if e["seed"]]
    lines = [ln for ln in SEED.read_text(encoding="utf-8").split("\n") if ln.strip()]
    assert entry["title"] == lines[1]
    assert entry["lead"] == lines[2]
    assert entry["published"] == "2015-01-15T15:30:00+07:00"
    assert entry["source"] == "Nhandan.vn"
    assert entry["images"][0]["credit"] == "ĐỨC TÁM (TTXVN)"
    assert any(rel["date"].startswith("2014-12-30") for rel in entry["related"])
    assert len(entry["comments"]) >= 2
    page = fetch(sample_site.url, path_of(entry["url"])).body.decode("utf-8")
    assert 'datetime="2015-01-15T15:30:00+07:00"' in page
    assert "30/12/2014" in page and "Thứ Năm, ngày 15/01/2015 - 15:30" in page


# ----------------------------------------------------------------------------- HTTP details


def test_conditional_requests_get_304(sample_site: RunningSite) -> None:
    path = path_of(sample_site.expected["articles"][0]["url"])
    first = fetch(sample_site.url, path)
    etag, last_modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert etag and last_modified
    by_etag = fetch(sample_site.url, path, {"If-None-Match": etag})
    assert (by_etag.status, by_etag.body) == (304, b"")
    assert by_etag.headers["ETag"] == etag
    by_date = fetch(sample_site.url, path, {"If-Modified-Since": last_modified})
    assert by_date.status == 304
    older = fetch(sample_site.url, path, {"If-Modified-Since": "Mon, 01 Mar 2021 00:00:00 GMT"})
    assert older.status == 200 and older.body == first.body
    other = fetch(sample_site.url, path, {"If-None-Match": '"0000"'})
    assert other.status == 200


def test_gzip_only_when_asked(sample_site: RunningSite) -> None:
    plain = fetch(sample_site.url, "/")
    assert "Content-Encoding" not in plain.headers
    packed = fetch(sample_site.url, "/", {"Accept-Encoding": "gzip, deflate"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert packed.body[:2] == b"\x1f\x8b"
    assert int(packed.headers["Content-Length"]) == len(packed.body)
    assert gzip.decompress(packed.body) == plain.body
    assert packed.headers["ETag"] != plain.headers["ETag"]
    assert fetch(sample_site.url, "/", {"If-None-Match": packed.headers["ETag"]}).status == 304
    refused = fetch(sample_site.url, "/", {"Accept-Encoding": "gzip;q=0"})
    assert "Content-Encoding" not in refused.headers


def test_repeated_headers_on_every_response(sample_site: RunningSite) -> None:
    for path in ("/", "/robots.txt", "/does-not-exist", "/reason"):
        cookies = fetch(sample_site.url, path).headers.get_all("Set-Cookie")
        assert cookies is not None and len(cookies) == 2, path


def test_custom_reason_phrase(sample_site: RunningSite) -> None:
    for path in ("/reason", "/gioi-thieu.html"):
        reply = fetch(sample_site.url, path)
        assert (reply.status, reply.reason) == (200, "Fine Thanks"), path
    assert fetch(sample_site.url, "/").reason == "OK"


def test_chunked_feed(sample_site: RunningSite) -> None:
    reply = fetch(sample_site.url, "/rss/home.rss", {"Accept-Encoding": "gzip"})
    assert reply.headers["Transfer-Encoding"] == "chunked"
    assert "Content-Length" not in reply.headers
    feed = ElementTree.fromstring(gzip.decompress(reply.body))
    assert feed.tag == "rss" and feed.attrib["version"] == "2.0"
    assert all(item.findtext("pubDate") for item in feed.iter("item"))


def test_head_has_no_body(sample_site: RunningSite) -> None:
    reply = fetch(sample_site.url, "/", method="HEAD")
    assert reply.status == 200 and reply.body == b""
    assert int(reply.headers["Content-Length"]) == len(fetch(sample_site.url, "/").body)


def test_redirect_and_not_found(sample_site: RunningSite) -> None:
    redirects = sample_site.expected["site"]["redirects"]
    assert redirects
    for old, new in redirects.items():
        reply = fetch(sample_site.url, path_of(old))
        assert (reply.status, reply.headers["Location"]) == (301, new)
        assert fetch(sample_site.url, path_of(new)).status == 200
    for missing in sample_site.expected["site"]["not_found"]:
        reply = fetch(sample_site.url, missing)
        assert reply.status == 404 and "Không tìm thấy trang".encode() in reply.body


def test_calendar_trap_never_ends(sample_site: RunningSite) -> None:
    path, seen = "/lich?date=2021-05-06", set()
    for _ in range(40):
        reply = fetch(sample_site.url, path)
        assert reply.status == 200
        seen.add(path)
        nxt = re.search(rb'class="calendar__next" rel="next" href="([^"]+)"', reply.body)
        assert nxt is not None
        path = path_of(nxt.group(1).decode())
    assert len(seen) == 40 and path == "/lich?date=2021-06-15"
    assert fetch(sample_site.url, "/lich?date=rubbish").status == 200


def test_request_log(site_server: Callable[..., RunningSite]) -> None:
    site = site_server()
    fetch(site.url, "/robots.txt")
    fetch(site.url, "/nope?x=1")
    fetch(site.url, "/", method="HEAD")
    mark = site.mark()
    fetch(site.url, "/reason")
    assert site.requests() == [
        ("GET", "/robots.txt", 200),
        ("GET", "/nope?x=1", 404),
        ("HEAD", "/", 200),
        ("GET", "/reason", 200),
    ]
    assert site.requests(since=mark) == [("GET", "/reason", 200)]


def test_serve_in_process() -> None:
    server, base = serve(NHANDAN)
    try:
        assert base == f"http://127.0.0.1:{server.server_address[1]}"
        reply = fetch(base, "/sitemap.xml")
        assert reply.status == 200 and f"<loc>{base}/sitemaps/news.xml</loc>".encode() in reply.body
    finally:
        server.shutdown()
        server.server_close()


def test_other_fixture_site_without_config(site_server: Callable[..., RunningSite]) -> None:
    site = site_server(root=SITES / "tintuc")
    paths = served_files(SITES / "tintuc")
    assert paths
    for path in paths:
        reply = fetch(site.url, path)
        assert reply.status == 200 and b"__BASE__" not in reply.body, path
    assert site.expected == {}  # its expected data lives in tests/sites_src


# ----------------------------------------------------------------------------- the overlay


def test_overlay_is_the_site_a_day_later(site_server: Callable[..., RunningSite]) -> None:
    v1 = site_server()
    changes = load_changes()
    new_path = changes["new"][0]
    assert fetch(v1.url, new_path).status == 404
    before = {p: fetch(v1.url, p) for p in served_files(NHANDAN)}
    v1.stop()
    v2 = site_server(overlay=NHANDAN_V2, port=v1.port)  # same URLs as v1
    assert v2.url == v1.url and v2.expected["site"]["version"] == "v2"
    assert fetch(v2.url, new_path).status == 200
    overlaid = {"/" + p.relative_to(NHANDAN_V2).as_posix() for p in NHANDAN_V2.rglob("*")}
    for path, old in before.items():
        again = fetch(v2.url, path, {"If-None-Match": old.headers["ETag"]})
        changed = path in overlaid or path + "index.html" in overlaid or path + ".html" in overlaid
        assert again.status == (200 if changed else 304), path
    # one article's text was corrected; another kept its text with new boilerplate
    [fixed] = changes["text_changed"]
    [rebuilt] = changes["boilerplate_changed"]
    assert body_text(before[fixed].body) != body_text(fetch(v2.url, fixed).body)
    assert body_text(before[rebuilt].body) == body_text(fetch(v2.url, rebuilt).body)
    assert before[rebuilt].body != fetch(v2.url, rebuilt).body
    fixed_entry = v2.article(fixed)
    assert fixed_entry["modified"] == "2021-05-07T08:10:00+07:00"
    # the new article is announced where a crawler looks
    new_url = f"{v2.url}{new_path}"
    for where in ("/sitemaps/news.xml", "/rss/home.rss", "/thoi-su/", "/"):
        assert new_url.encode() in fetch(v2.url, where).body, where


def load_changes() -> dict[str, list[str]]:
    data = json.loads((NHANDAN_V2 / "expected.json").read_text(encoding="utf-8"))
    changes: dict[str, list[str]] = data["changes"]
    return changes


def body_text(page: bytes) -> str:
    tree = lxml_html.fromstring(page)
    [body] = tree.cssselect(".article__body")
    return squash(body.text_content())


# ----------------------------------------------------------------------------- expected.json


def test_discovery_routes_are_all_exercised(sample_site: RunningSite) -> None:
    articles = sample_site.expected["articles"]
    assert 20 <= len(articles) <= 40
    only = {tuple(e["routes"]) for e in articles}
    for route in ("listing", "sitemap", "rss", "news_sitemap"):
        assert (route,) in only, route
    listing_only = [e for e in articles if e["routes"] == ["listing"]]
    assert all(all("/trang-" in p for p in e["listing_pages"]) for e in listing_only)


def test_expected_matches_the_pages(sample_site: RunningSite) -> None:
    for entry in sample_site.expected["articles"]:
        reply = fetch(sample_site.url, path_of(entry["url"]))
        assert reply.status == 200, entry["path"]
        tree = lxml_html.fromstring(decoded(reply))
        where = entry["path"]
        assert squash(tree.cssselect("h1.article__title")[0].text_content()) == squash(
            entry["title"]
        ), where
        assert squash(tree.cssselect(".article__sapo")[0].text_content()) == squash(entry["lead"])
        assert tree.cssselect("time.time")[0].get("datetime") == entry["published"], where
        meta = tree.cssselect('meta[property="article:published_time"]')[0]
        assert meta.get("content") == entry["published"], where
        assert tree.cssselect('link[rel="canonical"]')[0].get("href") == entry["canonical_url"]
        names = [squash(n.text_content()) for n in tree.cssselect(".article__author .name")]
        assert names == ([entry["byline"]] if entry["byline"] else []), where
        tags = [squash(a.text_content()) for a in tree.cssselect(".article__tag a")]
        assert tags == entry["tags"], where
        body = squash(tree.cssselect(".article__body")[0].text_content())
        assert squash(entry["text_first"]) in body and squash(entry["text_last"]) in body, where
        if entry["source_line"]:
            assert squash(entry["source_line"]) in body, where
        captions = [squash(f.text_content()) for f in tree.cssselect("figcaption")]
        assert captions == [squash(i["figcaption"]) for i in entry["images"]], where
        for variant in entry["variants"].values():
            variant_page = fetch(sample_site.url, path_of(variant)).body
            assert f'rel="canonical" href="{entry["url"]}"'.encode() in variant_page


def test_expected_routes_match_sitemaps_feed_and_listings(sample_site: RunningSite) -> None:
    base = sample_site.url
    index = ElementTree.fromstring(fetch(base, "/sitemap.xml").body)
    sitemap_urls: set[str] = set()
    for loc in index.findall("sm:sitemap/sm:loc", SITEMAP_NS):
        doc = ElementTree.fromstring(fetch(base, path_of(loc.text or "")).body)
        if (loc.text or "").endswith("/news.xml"):
            news = {u.text for u in doc.findall("sm:url/sm:loc", SITEMAP_NS)}
        elif "/articles-" in (loc.text or ""):
            sitemap_urls |= {u.text or "" for u in doc.findall("sm:url/sm:loc", SITEMAP_NS)}
    rss = ElementTree.fromstring(gzip.decompress(fetch(base, "/rss/home.rss", GZ).body))
    feed = {item.findtext("link") for item in rss.iter("item")}
    home = fetch(base, "/").body.decode()
    home = re.sub(r'<aside class="sub-col sidebar">.*?</aside>', "", home, flags=re.S)
    for entry in sample_site.expected["articles"]:
        url, routes = entry["url"], set(entry["routes"])
        assert (url in sitemap_urls) == ("sitemap" in routes), url
        assert (url in news) == ("news_sitemap" in routes), url
        assert (url in feed) == ("rss" in routes), url
        assert (f'href="{url}' in home) == ("home" in routes), url
        for listing in entry["listing_pages"]:
            assert f'href="{url}"'.encode() in fetch(base, listing).body, (url, listing)


GZ = {"Accept-Encoding": "gzip"}


def test_generator_output_is_up_to_date() -> None:
    """The committed site is exactly what build_nhandan.py makes from the data file."""
    result = subprocess.run(
        [sys.executable, str(SITES / "build_nhandan.py"), "--check"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
