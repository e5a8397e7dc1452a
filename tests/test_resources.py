"""Page resources (spiders.resources): found in HTML and CSS, bounded, archived once, revisited.

The link finders and the host rule are checked on snippets; the crawl tests crawl the sample
site (tests/sites/nhandan: stylesheets with @import, a font and backgrounds by url(), lead
images with srcset, lazy body images with data-src/data-srcset, a script, a PDF linked from
the seed article) and read the WARCs back with warcio, against the resources the generator
says each article page needs (``resources`` in expected.json).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from lxml import html as lxml_html
from warcio.archiveiterator import ArchiveIterator

from spiders.resources import HostPolicy, css_resources, html_resources, parse_srcset
from tests.conftest import RunningSite, run_crawl

BASE = "https://nhandan.vn/thoi-su/bai-post1.html"


def _links(markup: str, documents: bool = True) -> dict[str, str]:
    tree = lxml_html.document_fromstring(markup, base_url=BASE)
    return {link.url: link.kind for link in html_resources(tree, BASE, documents=documents)}


def test_html_resources_cover_lazy_images_srcset_styles_scripts_and_documents() -> None:
    found = _links(
        """<html><head>
        <link rel="stylesheet" href="/css/a.css"><link rel="icon" href="/favicon.png">
        <link rel="preload" as="font" href="/f/x.woff2" crossorigin>
        <script src="https://static.mediacdn.vn/app.js"></script>
        <style>@import "/css/print.css"; .hero { background: url('/img/hero.jpg') }</style>
        </head><body>
        <img src="data:image/gif;base64,R0lGOD" data-src="/img/lazy.jpg"
             data-srcset="/img/lazy-480.jpg 480w, /img/lazy-960.jpg 960w">
        <img src="/img/a.jpg" srcset="/img/a-1x.jpg 1x, /img/a,2x.jpg 2x">
        <img data-original="https://cdn.example.vn/img/o.jpg">
        <picture><source srcset="/img/p.webp" type="image/webp"><img src="/img/p.jpg"></picture>
        <video poster="/img/poster.jpg"><source src="/v/clip.mp4"></video>
        <div style="background-image:url(/img/bg.png)"></div>
        <a href="/files/van-ban.pdf">PDF</a> <a href="/files/bang.XLSX?v=2">XLSX</a>
        <a href="/thoi-su/khac-post2.html">another page</a> <a href="#top">top</a>
        </body></html>"""
    )
    u = "https://nhandan.vn"
    assert found == {
        f"{u}/css/a.css": "stylesheet",
        f"{u}/favicon.png": "icon",
        f"{u}/f/x.woff2": "font",
        "https://static.mediacdn.vn/app.js": "script",
        f"{u}/css/print.css": "stylesheet",
        f"{u}/img/hero.jpg": "image",
        f"{u}/img/lazy.jpg": "image",
        f"{u}/img/lazy-480.jpg": "image",
        f"{u}/img/lazy-960.jpg": "image",
        f"{u}/img/a.jpg": "image",
        f"{u}/img/a-1x.jpg": "image",
        f"{u}/img/a,2x.jpg": "image",
        "https://cdn.example.vn/img/o.jpg": "image",
        f"{u}/img/p.webp": "image",
        f"{u}/img/p.jpg": "image",
        f"{u}/img/poster.jpg": "image",
        f"{u}/img/bg.png": "image",
        f"{u}/files/van-ban.pdf": "document",
        f"{u}/files/bang.XLSX?v=2": "document",
    }
    assert "https://nhandan.vn/files/van-ban.pdf" not in _links(
        '<a href="/files/van-ban.pdf">PDF</a>', documents=False
    )


def test_document_links_are_judged_by_the_url_they_resolve_to() -> None:
    """Only links that can resolve to a document are joined (a cheap test of the href first);
    a bare query keeps the base's path, so it is joined too, and an anchor's style is read
    whatever its href."""
    tree = lxml_html.document_fromstring(
        '<a href="?tai=1">tải</a><a href="../Files/Bao-Cao.Docx#p2">báo cáo</a>'
        '<a href="/tin/bai-2.html" style="background:url(/img/nen.png)">bài</a>'
    )
    found = {link.url: link.kind for link in html_resources(tree, "https://h.vn/vb/du-thao.pdf")}
    assert found == {
        "https://h.vn/vb/du-thao.pdf?tai=1": "document",
        "https://h.vn/Files/Bao-Cao.Docx": "document",
        "https://h.vn/img/nen.png": "image",
    }


def test_css_resources_imports_fonts_and_backgrounds() -> None:
    css = """@charset "utf-8";
    /* url(/commented-out.png) */
    @import url("base.css"); @import 'theme.css' screen; @import print.css;
    @font-face { font-family: X; src: url(../fonts/x.woff2) format("woff2"), url('../fonts/x.ttf'); }
    .a { background: url( "../img/bg.png" ) } .b { background: url(data:image/png;base64,AAA) }
    .c { cursor: url(https://cdn.x.vn/c.cur), auto }"""
    base = "https://x.vn/assets/css/main.css"
    got = {link.url: link.kind for link in css_resources(css, base)}
    assert got == {
        "https://x.vn/assets/css/base.css": "stylesheet",
        "https://x.vn/assets/css/theme.css": "stylesheet",
        "https://x.vn/assets/css/print.css": "stylesheet",
        "https://x.vn/assets/fonts/x.woff2": "font",
        "https://x.vn/assets/fonts/x.ttf": "font",
        "https://x.vn/assets/img/bg.png": "image",
        "https://cdn.x.vn/c.cur": "image",
    }


def test_parse_srcset() -> None:
    assert parse_srcset("a.jpg 480w, b.jpg 960w") == ["a.jpg", "b.jpg"]
    assert parse_srcset(" a.jpg ") == ["a.jpg"]
    assert parse_srcset("https://x/i.jpg?w=1,2 1x,https://x/j.jpg 2x") == [
        "https://x/i.jpg?w=1,2",
        "https://x/j.jpg",
    ]


def _policy(**kw: Any) -> HostPolicy:
    settings = {
        "RESOURCES_HOSTS": ["site", "cdn"],
        "RESOURCES_CDN_WORDS": ["cdn", "static", "img"],
        "RESOURCES_DENY_HOSTS": ["*.facebook.net", "ads.example.vn"],
        **kw,
    }
    return HostPolicy.from_settings(settings, ["https://vnexpress.net/", "http://127.0.0.1:8080/"])


def test_host_policy() -> None:
    policy = _policy()
    allowed = [
        "https://vnexpress.net/a.css",
        "https://www.vnexpress.net/a.css",
        "https://img.vnexpress.net/a.jpg",  # a subdomain of the site
        "https://i1-vnexpress.vnecdn.net/a.jpg",  # a CDN by its name
        "https://static.mediacdn.vn/a.js",
        "http://127.0.0.1:8080/x.png",  # the start host itself, even a loopback one
    ]
    refused = {
        "https://www.googletagmanager.com/gtm.js": "host",
        "https://connect.facebook.net/sdk.js": "denied_host",
        "https://ads.example.vn/cdn.js": "denied_host",
        "http://169.254.169.254/latest": "private_address",
        "http://10.0.0.1/cdn.png": "private_address",
        "ftp://vnexpress.net/a.pdf": "scheme",
    }
    assert [u for u in allowed if policy.refusal(u) is not None] == []
    assert {u: policy.refusal(u) for u in refused} == refused
    only_site = _policy(RESOURCES_HOSTS=["site"])
    assert only_site.refusal("https://i1-vnexpress.vnecdn.net/a.jpg") == "host"
    wide = _policy(RESOURCES_HOSTS=["*"])
    assert wide.refusal("https://www.googletagmanager.com/gtm.js") is None
    assert wide.refusal("https://connect.facebook.net/sdk.js") == "denied_host"
    listed = _policy(RESOURCES_HOSTS=["site", "*.example.org"])
    assert listed.refusal("https://a.b.example.org/x.css") is None
    assert listed.refusal("https://example.org.evil.vn/x.css") == "host"


# -- crawls of the sample site ---------------------------------------------------------------


@dataclass
class Crawl:
    root: Path
    site: RunningSite
    stderr: str
    files: list[Path]  # the WARC files this crawl wrote

    def records(self) -> list[Any]:
        out = []
        for path in self.files:
            with open(path, "rb") as f:
                for rec in ArchiveIterator(f):
                    uri = rec.rec_headers.get_header("WARC-Target-URI")
                    status = rec.http_headers.get_statuscode() if rec.http_headers else None
                    out.append((rec.rec_type, uri, status, rec.content_stream().read()))
        return out

    def json_records(self) -> list[dict[str, Any]]:
        return [
            json.loads(line)
            for path in sorted((self.root / "json").glob("*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines()
        ]

    def stat(self, name: str) -> int:
        match = re.search(rf"'{re.escape(name)}': (\d+)", self.stderr)
        return int(match.group(1)) if match else 0


def crawl(site: RunningSite, root: Path, **settings: Any) -> Crawl:
    args = ["-a", "site=nhandan", "-a", f"start_urls={site.url}/"]
    before = set((root / "warc").glob("*.warc.gz"))
    done = run_crawl(args, root, {"NEWS_RECHECK": "all", **settings})
    assert done.returncode == 0, done.stderr[-3000:]
    files = sorted(set((root / "warc").glob("*.warc.gz")) - before)
    return Crawl(root, site, done.stderr, files)


def needed(site: RunningSite, kinds: tuple[str, ...] | None = None) -> set[str]:
    out: set[str] = set()
    for article in site.expected["articles"]:
        for kind, urls in article["resources"].items():
            if kinds is None or kind in kinds:
                out.update(urls)
    return out


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from tests.conftest import NHANDAN, start_server, stop_process

    root = tmp_path_factory.mktemp("resources")
    site = start_server(NHANDAN, root / "server.log")
    try:
        first = crawl(site, root / "archive")
        again = crawl(site, root / "archive")  # a re-crawl of the same site into the same archive
        yield first, again
    finally:
        stop_process(site.process)


def test_every_resource_an_article_needs_is_archived_once(crawled: tuple[Crawl, Crawl]) -> None:
    first, _ = crawled
    site = first.site
    responses = Counter(uri for kind, uri, status, _ in first.records() if kind == "response")
    wanted = needed(site)
    assert {"fonts", "css_images", "lazy_images", "documents"} <= set(
        site.expected["articles"][0]["resources"]
    )
    assert len(wanted) > 40
    missing = sorted(u for u in wanted if responses[u] == 0)
    assert missing == []
    twice = sorted(u for u in wanted if responses[u] > 1)
    assert twice == []  # each resource fetched once per crawl, however many pages use it


def test_resource_records_hold_the_bytes_served(crawled: tuple[Crawl, Crawl]) -> None:
    first, _ = crawled
    root = first.site.root
    by_uri = {uri: body for kind, uri, status, body in first.records() if kind == "response"}
    for url in sorted(needed(first.site, ("images", "fonts", "documents", "css_images"))):
        path = url.removeprefix(first.site.url + "/")
        assert by_uri[url] == (root / path).read_bytes(), url
    pdf = next(iter(needed(first.site, ("documents",))))
    assert by_uri[pdf].startswith(b"%PDF-")


def test_resources_are_not_articles(crawled: tuple[Crawl, Crawl]) -> None:
    first, _ = crawled
    articles = len(first.site.expected["articles"])
    records = first.json_records()
    assert len(records) == articles
    assert all(r["url"].endswith(".html") for r in records)
    assert first.stat("news/pages/article") == articles
    assert first.stat("extract/articles") == articles
    assert first.stat("news/resources/fetched") >= len(needed(first.site))
    assert first.stat("news/resources/fetched/document") == 1
    assert first.stat("news/resources/fetched/font") == 1
    assert first.stat("news/resources/fetched/stylesheet") == 2
    errors = set(re.findall(r"'news/errors/([^']+)'", first.stderr))
    assert errors <= {"http_404"}  # the seed's related link to a page that is gone
    assert first.stat("news/resources/errors/http_404") == 0


def test_listing_resources_only_when_asked(crawled: tuple[Crawl, Crawl]) -> None:
    first, _ = crawled
    uris = {uri for kind, uri, _, _ in first.records() if kind == "response"}
    assert not any("/images/thumb/" in u for u in uris)  # thumbnails appear on listings only


def test_a_recrawl_writes_unchanged_resources_as_revisits(crawled: tuple[Crawl, Crawl]) -> None:
    first, again = crawled
    kinds = {u: k for k, u, _, _ in again.records() if k in ("response", "revisit")}
    wanted = needed(first.site)
    assert {u for u in wanted if u in kinds} == wanted
    assert sorted(u for u in wanted if kinds[u] != "revisit") == []


def test_switched_off_and_bounded(site_server: Callable[..., RunningSite], tmp_path: Path) -> None:
    site = site_server()
    off = crawl(site, tmp_path / "off", RESOURCES_ENABLED=False)
    uris = {u for k, u, _, _ in off.records() if k == "response"}
    assert not uris & needed(site)
    assert len(off.json_records()) == len(site.expected["articles"])
    small = crawl(
        site,
        tmp_path / "small",
        RESOURCES_MAX_PER_PAGE=3,
        RESOURCES_MAX_RUN_BYTES=8_000,
        RESOURCES_LISTINGS=True,
        RESOURCES_DOCUMENTS=False,
        RESOURCES_HOSTS="site",
    )
    assert small.stat("news/resources/dropped/page_count") > 0
    assert small.stat("news/resources/dropped/run_bytes") > 0
    fetched = small.stat("news/resources/bytes")
    # each download is capped at what is left of the run's budget when it starts
    assert 0 < fetched <= 8_000 * 16
    uris = {u for k, u, _, _ in small.records() if k == "response"}
    assert not any(u.endswith(".pdf") for u in uris)
    assert len(small.json_records()) == len(site.expected["articles"])


@pytest.mark.parametrize(
    "url",
    [
        "https://cdn.example.vn/a/b.jpg?x=1",
        "HTTP://User@CDN.Example.vn:8080/a.css",
        "http://[::1]:8000/x.png",
        "https://host.vn?q=1",
        "https://host.vn#frag",
        "data:image/png;base64,AAAA",
        "/relative/path.png",
    ],
)
def test_origin_of_is_the_scheme_and_netloc_urlsplit_gives(url: str) -> None:
    from urllib.parse import urlsplit

    from spiders.resources import origin_of

    parts = urlsplit(url)
    expected = f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""
    assert origin_of(url).lower() == expected.lower()
