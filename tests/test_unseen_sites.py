"""The generic path on sites the project has never seen: ``-a start_urls=`` with no profile.

Each fixture site under ``tests/sites/unseen_*`` is built by ``tests/sites_src/build_unseen_*.py``,
which writes the pages and ``expected.json`` from the same data. A crawl per site (module
scope) is checked for: every article archived exactly once with the right title, publication
time (+07:00), authors, attribution and body boundaries; nothing disallowed, off-host or trap-
shaped requested beyond a small bound. ``scrapy extract`` on one saved page of each site must
give the same record fields as the crawl.

The sites are served by ``tests.mockserver`` with a handler that also answers query URLs from
files named ``PATH@QUERY.html`` (``/tin-tuc/chi-tiet?id=123`` is a different page from
``?id=124``), fills ``__SID__`` with a fresh session token and ``__PORT__`` with the port on
every response, re-renders gzipped files, serves the traps named in ``_site.json``
(``tag_trap``: an endless pager that repeats itself; ``calendar_trap``: days that link to the day
before; ``stream_trap``: an endless pager with a new ``stub_pages`` link on every page) and logs
the ``Host`` of requests for other hosts (``//HOST/PATH``).

Extraction failures these sites expose are strict xfails listed in ``KNOWN_FAILURES``.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import re
import secrets
import subprocess
import sys
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import jsonschema
import pytest
from lxml import html as lxml_html
from scrapy.crawler import Crawler
from scrapy.http import HtmlResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

import settings
from spiders.discovery import strip_session, url_shape
from spiders.news import NewsSpider
from tests.archive_support import project_settings
from tests.conftest import REPO_ROOT, SITES, run_crawl
from tests.mockserver import Handler, Resource, SiteServer, make_server
from vnnews.pagekind import is_article_page, looks_like_article_url

SCHEMA = json.loads((REPO_ROOT / "pipelines/article.schema.json").read_text(encoding="utf-8"))
FETCHED_AT = ["--fetched-at", "2026-03-08T00:00:00Z"]
BUILDERS = REPO_ROOT / "tests" / "sites_src"


def tag_trap_page(base: str, path: str, query: str) -> Resource:
    """An endless pager: every page N links to N+1 and shows the same (nothing new)."""
    page = int(dict(parse_qsl(query)).get("page", "1") or 1)
    body = (
        '<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">'
        f'<meta property="og:type" content="website"><title>Tag - trang {page}</title></head>'
        f'<body><h1>Tag: {path.rsplit("/", 1)[-1]}</h1><div class="list-main">'
        '<div class="box-category-item"><a href="/">Trang chủ</a></div></div>'
        f'<a class="next" href="{base}{path}?page={page + 1}">Trang sau</a></body></html>\n'
    )
    return Resource(body.encode("utf-8"), "text/html; charset=utf-8", None)


def small_page(title: str, links: list[tuple[str, str]], text: str = "") -> Resource:
    anchors = "".join(f'<li><a href="{href}">{label}</a></li>' for href, label in links)
    body = (
        '<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">'
        f'<meta property="og:type" content="website"><title>{title}</title></head>'
        f"<body><h1>{title}</h1><p>{text}</p><ul>{anchors}</ul></body></html>\n"
    )
    return Resource(body.encode("utf-8"), "text/html; charset=utf-8", None)


def calendar_trap_page(base: str, prefix: str, path: str) -> Resource:
    """An archive day that always links to the day before."""
    try:
        day = date.fromisoformat(path[len(prefix) :])
    except ValueError:
        day = date(2025, 11, 20)
    before = day - timedelta(days=1)
    return small_page(
        f"Lưu trữ ngày {day:%d/%m/%Y}",
        [(f"{base}{prefix}{before.isoformat()}", "Ngày trước"), (f"{base}/", "Trang chủ")],
        "Không có bài viết nào trong ngày này.",
    )


def stream_trap_page(base: str, path: str, query: str, stubs: str) -> Resource:
    """An endless "latest" stream: page N links to a new stub page and to page N+1."""
    page = int(dict(parse_qsl(query)).get("trang", "1") or 1)
    return small_page(
        f"Mới nhất - trang {page}",
        [
            (f"{base}{stubs}ghi-chep-nhanh-so-{page}", f"Ghi chép nhanh số {page}"),
            (f"{base}{path}?trang={page + 1}", "Xem thêm"),
        ],
    )


class UnseenHandler(Handler):
    """mockserver's handler plus query files, session tokens, gzip re-rendering, host logging."""

    def resource(self) -> Resource:
        site = self.server.site
        parts = urlsplit(self.path)
        path = unquote(parts.path) or "/"
        trap = site.config.get("tag_trap")
        if trap and path.startswith(trap):
            return tag_trap_page(site.base_url, path, parts.query)
        config = site.config
        base = site.base_url
        if config.get("calendar_trap") and path.startswith(config["calendar_trap"]):
            return calendar_trap_page(base, config["calendar_trap"], path)
        if config.get("stream_trap") and path == config["stream_trap"]:
            return stream_trap_page(base, path, parts.query, config["stub_pages"])
        if config.get("stub_pages") and path.startswith(config["stub_pages"]):
            return small_page("Ghi chép nhanh", [(f"{base}/", "Trang chủ")], "Đang cập nhật.")
        res: Resource | None = None
        if parts.query:
            query = "&".join(sorted(parts.query.split("&")))
            res = site.static(f"{path}@{query}")
        res = res or super().resource()
        port = site.base_url.rsplit(":", 1)[1].encode("ascii")
        if res.body[:2] == b"\x1f\x8b":
            res.body = gzip.compress(site.render(gzip.decompress(res.body)), mtime=0)
        sid = secrets.token_hex(16).encode("ascii")
        res.body = res.body.replace(b"__SID__", sid).replace(b"__PORT__", port)
        return res

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        host = self.headers.get("Host", "")
        own = urlsplit(self.server.site.base_url).netloc
        path = self.path if host in ("", own) else f"//{host}{self.path}"
        self.server.record(self.command, path, int(code) if str(code).isdigit() else 0)


@dataclass
class Served:
    server: SiteServer
    url: str
    log: Path
    expected: dict[str, Any]

    def requested(self) -> list[str]:
        lines = self.log.read_text(encoding="utf-8").splitlines() if self.log.exists() else []
        return [line.split("\t")[1] for line in lines]


def serve_site(root: Path, log: Path) -> Served:
    server = make_server(root, host="127.0.0.1", port=0, log=log)
    server.RequestHandlerClass = UnseenHandler
    threading.Thread(target=server.serve_forever, name="unseen-site", daemon=True).start()
    url = server.site.base_url
    text = (root / "expected.json").read_text(encoding="utf-8").replace("__BASE__", url)
    return Served(server, url, log, json.loads(text))


@dataclass
class Crawl:
    site: Served
    archive: Path
    stderr: str
    records: list[dict[str, Any]]

    @property
    def by_path(self) -> dict[str, dict[str, Any]]:
        return {path_of(r["url"]): r for r in self.records}

    def stats(self) -> dict[str, int]:
        block = self.stderr.split("Dumping Scrapy stats:", 1)[1]
        pairs = re.findall(r"'([a-z_/0-9.]+)': (\d+)", block.split("\n20", 1)[0])
        return {k: int(v) for k, v in pairs}


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def crawl_site(name: str, tmp: Path) -> Iterator[Crawl]:
    site = serve_site(SITES / name, tmp / "requests.log")
    try:
        result = run_crawl(["-a", f"start_urls={site.url}/"], tmp / "data")
    finally:
        site.server.shutdown()
        site.server.server_close()
    assert result.returncode == 0, result.stderr[-3000:]
    records = [
        json.loads(line)
        for path in sorted((tmp / "data" / "json").glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    yield Crawl(site, tmp / "data", result.stderr, records)


SITE_NAMES = ["unseen_vcc", "unseen_tinh", "unseen_tapchi"]
N_ARTICLES = {"unseen_vcc": 6, "unseen_tinh": 6, "unseen_tapchi": 5}

# Extraction failures found by these sites, (site, check) -> (article indexes, reason). They are
# strict xfails: fixing extraction/article.py or extraction/dates.py turns them into failures
# that ask for the entry to be removed.
KNOWN_FAILURES: dict[tuple[str, str], tuple[range | list[int], str]] = {}


def article_params(check: str) -> list[Any]:
    params = []
    for name in SITE_NAMES:
        failing, reason = KNOWN_FAILURES.get((name, check), ([], ""))
        for index in range(N_ARTICLES[name]):
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if index in failing else []
            params.append(pytest.param(name, index, marks=marks, id=f"{name}-{index}"))
    return params


@pytest.fixture(scope="module")
def crawls(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Crawl]:
    """One crawl per site, on first use (a module-wide cache)."""
    return _CrawlCache(tmp_path_factory)


class _CrawlCache(dict[str, Crawl]):
    def __init__(self, factory: pytest.TempPathFactory) -> None:
        super().__init__()
        self.factory = factory

    def __missing__(self, name: str) -> Crawl:
        crawl = next(crawl_site(name, self.factory.mktemp(name)))
        self[name] = crawl
        return crawl


# --- checks -----------------------------------------------------------------------------------


def check_metadata(record: dict[str, Any], article: dict[str, Any]) -> None:
    where = article["path"]
    assert record["title"] == article["title"], where
    assert record["published"] == article["published"], where
    assert record["authors"] == article["authors"], where
    assert record["language"] == article["language"], where
    assert record["source"] == article["source"], where


def check_body(record: dict[str, Any], article: dict[str, Any], boilerplate: list[str]) -> None:
    """Starts with the first sentence, ends with the last (or the "Theo X" line), no chrome."""
    where = article["path"]
    text = record["text"].rstrip()
    assert text.startswith(article["first_sentence"]), where
    if article["source"]:
        text = re.sub(rf"\s*\(?Theo {re.escape(article['source'])}\)?$", "", text)
    assert text.endswith(article["last_sentence"]), where
    assert not [b for b in boilerplate if b in text], where


@pytest.mark.parametrize("name", SITE_NAMES)
def test_every_article_archived_once(crawls: dict[str, Crawl], name: str) -> None:
    crawl = crawls[name]
    expected = sorted(a["path"] for a in crawl.site.expected["articles"])
    assert sorted(path_of(r["url"]) for r in crawl.records) == expected
    requested = crawl.site.requested()
    assert all(requested.count(p) == 1 for p in expected), requested
    for record in crawl.records:
        jsonschema.validate(record, SCHEMA)
        assert record["site"] is None
        assert unicodedata.is_normalized("NFC", record["text"])


@pytest.mark.parametrize(("name", "index"), article_params("canonical"))
def test_canonical_url_is_the_article_url(crawls: dict[str, Crawl], name: str, index: int) -> None:
    """Template canonicals (home page, the detail URL without its id) are not the article's."""
    crawl = crawls[name]
    article = crawl.site.expected["articles"][index]
    record = crawl.by_path[article["path"]]
    assert record["canonical_url"] == article["url"]
    assert record["version"] == 1 and record["previous"] is None


@pytest.mark.parametrize(("name", "index"), article_params("metadata"))
def test_title_date_authors_language_source(
    crawls: dict[str, Crawl], name: str, index: int
) -> None:
    crawl = crawls[name]
    article = crawl.site.expected["articles"][index]
    check_metadata(crawl.by_path[article["path"]], article)


@pytest.mark.parametrize(("name", "index"), article_params("body"))
def test_body_boundaries_without_boilerplate(
    crawls: dict[str, Crawl], name: str, index: int
) -> None:
    crawl = crawls[name]
    article = crawl.site.expected["articles"][index]
    boilerplate = [*crawl.site.expected["boilerplate"], "Hãy là người đầu tiên"]
    check_body(crawl.by_path[article["path"]], article, boilerplate)


@pytest.mark.parametrize("name", SITE_NAMES)
def test_nothing_disallowed_offhost_or_tracking_is_requested(
    crawls: dict[str, Crawl], name: str
) -> None:
    crawl = crawls[name]
    requested = crawl.site.requested()
    assert not [p for p in requested if p.startswith(tuple(crawl.site.expected["disallowed"]))]
    assert not [p for p in requested if p.startswith("//")]  # the mirror on another host
    markers = ("utm_", "fbclid", "sid=", "jsessionid", "/amp/", "gui-email")
    assert not [p for p in requested if any(m in p for m in markers)], requested


def test_vcc_discovery_routes(crawls: dict[str, Crawl]) -> None:
    crawl = crawls["unseen_vcc"]
    requested = crawl.site.requested()
    assert "/sitemaps/google-news.xml" in requested
    assert "/rss/home.rss" in requested  # linked only from the footer
    assert "/kinh-te.htm?page=2" in requested
    assert crawl.stats()["news/discovered/feed"] >= 1
    assert crawl.stats()["news/discovered/sitemap"] >= 1
    tags = [p.split("?")[0] for p in requested if p.startswith("/tag/")]
    assert tags and all(tags.count(t) <= 2 for t in tags)  # the endless pager was left at once
    assert len(requested) <= 25, requested


def test_tinh_discovery_routes(crawls: dict[str, Crawl]) -> None:
    crawl = crawls["unseen_tinh"]
    requested = crawl.site.requested()
    assert "/sitemap.xml" in requested
    assert "/sitemaps/tin-tuc.xml.gz" in requested  # the gzipped child of the index
    assert "/tin-tuc/danh-sach?cm=5&page=2" in requested
    assert "/tin-tuc/chi-tiet" not in requested  # a template canonical, not followed
    assert crawl.stats()["news/canonical_ignored"] >= 4
    assert crawl.stats()["news/discovered/sitemap"] >= 1
    assert len(requested) <= 20, requested


def test_tapchi_traps_are_bounded_with_default_settings(crawls: dict[str, Crawl]) -> None:
    crawl = crawls["unseen_tapchi"]
    requested = crawl.site.requested()
    stream = [p for p in requested if p.startswith("/moi-nhat")]
    calendar = [p for p in requested if p.startswith("/luu-tru/")]
    stubs = [p for p in requested if p.startswith("/goc-nhin/")]
    # an endless pager with new links on every page ends at the pagination or depth limit
    assert 0 < len(stream) <= min(settings.NEWS_MAX_PAGINATION, settings.DEPTH_LIMIT) + 1
    assert 0 < len(calendar) <= settings.NEWS_MAX_HOPS + 1
    assert len(stubs) <= len(stream)
    assert "/chuyen-muc/doi-song?trang=2" in requested  # <a rel=next>
    assert "/chuyen-muc/moi-truong/2" in requested  # only a <link rel=next> in <head>
    assert len(requested) <= 2 * len(stream) + 30, len(requested)


# --- scrapy extract on a saved page ---------------------------------------------------------


def scrapy_extract(page: Path, url: str) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "extract", str(page), "--url", url, *FETCHED_AT],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    record: dict[str, Any] = json.loads(result.stdout)
    return record


@pytest.mark.parametrize(
    ("name", "index"), [("unseen_vcc", 0), ("unseen_tinh", 2), ("unseen_tapchi", 1)]
)
def test_scrapy_extract_on_a_saved_page_matches_the_crawl(
    crawls: dict[str, Crawl], tmp_path: Path, name: str, index: int
) -> None:
    """The page as saved (raw bytes, any charset) gives the record fields the crawl gave."""
    crawl = crawls[name]
    article = crawl.site.expected["articles"][index]
    record = crawl.by_path[article["path"]]
    page = tmp_path / "page.html"
    raw = (SITES / name / article["file"]).read_bytes()
    page.write_bytes(raw.replace(b"__BASE__", crawl.site.url.encode("ascii")))
    got = scrapy_extract(page, record["url"])
    for field in ("title", "lead", "published", "authors", "source", "language", "text"):
        assert got[field] == record[field], field


# --- the fixture sites are what their generators write -----------------------------------------


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(f.relative_to(root)): f.read_bytes() for f in sorted(root.rglob("*")) if f.is_file()
    }


@pytest.mark.parametrize("name", SITE_NAMES)
def test_fixture_site_is_up_to_date_with_its_generator(name: str, tmp_path: Path) -> None:
    builder = BUILDERS / f"build_{name}.py"
    spec = importlib.util.spec_from_file_location(f"build_{name}", builder)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(tmp_path / name)
    assert _tree(tmp_path / name) == _tree(SITES / name), f"run python {builder}"


# --- the page and URL rules the generic path relies on --------------------------------------

DATA_HTML = REPO_ROOT / "tests" / "data" / "html"
# Real pages (copies in tests/data/html, see SOURCES.md) with the URLs they were saved from.
# Five of the listings and the dantri home page say og:type=article.
REAL_PAGES = {
    "baochinhphu/article-meth04.html": ("https://baochinhphu.vn/a-102260306.htm", True),
    "baochinhphu/list-meth04.html": ("https://baochinhphu.vn/chinh-sach-moi.htm", False),
    "baodautu/article-meth04.html": ("https://baodautu.vn/x-d123456.html", True),
    "baodautu/list-meth04.html": ("https://baodautu.vn/tai-chinh-chung-khoan-d6/", False),
    "cafef/article-meth04.html": ("https://cafef.vn/a-18826030622484142.chn", True),
    "cafef/list-meth04.html": ("https://cafef.vn/thi-truong-chung-khoan.chn", False),
    "dantri/article-meth04.html": ("https://dantri.com.vn/kinh-doanh/a-20260307.htm", True),
    "dantri/list-meth04.html": ("https://dantri.com.vn/kinh-doanh.htm", False),
    "dantri/home-2019-son601008.html": ("https://dantri.com.vn/", False),
    "nld/article-meth04.html": ("https://nld.com.vn/a-196260307071308923.htm", True),
    "nld/list-meth04.html": ("https://nld.com.vn/kinh-te.htm", False),
    "tuoitre/article-meth04.html": ("https://tuoitre.vn/a-2026030708.htm", True),
    "tuoitre/list-meth04.html": ("https://tuoitre.vn/kinh-doanh.htm", False),
    "vietnamnet/article-meth04.html": ("https://vietnamnet.vn/a-2495349.html", True),
    "vietnamnet/list-meth04.html": ("https://vietnamnet.vn/kinh-doanh", False),
    "vnexpress/list-meth04.html": ("https://vnexpress.net/kinh-doanh", False),
}


@pytest.mark.parametrize("relpath", sorted(REAL_PAGES))
def test_real_listings_with_og_type_article_are_not_articles(relpath: str) -> None:
    url, article = REAL_PAGES[relpath]
    tree = lxml_html.document_fromstring((DATA_HTML / relpath).read_bytes(), base_url=url)
    assert is_article_page(tree, url) is article


def test_markup_less_article_is_told_from_its_listing() -> None:
    root = SITES / "unseen_tinh" / "tin-tuc"
    page = (root / "chi-tiet@id=1218.html").read_bytes().decode("cp1258")
    listing = (root / "danh-sach@cm=5.html").read_bytes().decode("cp1258")
    assert is_article_page(
        lxml_html.document_fromstring(page), "http://t.vn/tin-tuc/chi-tiet?id=1218"
    )
    assert not is_article_page(
        lxml_html.document_fromstring(listing), "http://t.vn/tin-tuc/danh-sach?cm=5"
    )
    # the same short article at a URL that says nothing: its dateline still tells
    assert is_article_page(lxml_html.document_fromstring(page), "http://t.vn/trang?x=1") is False
    long_page = page.replace("</p>", " " + "Nội dung bổ sung cho bài viết. " * 20 + "</p>", 2)
    assert is_article_page(lxml_html.document_fromstring(long_page), "http://t.vn/trang?x=1")


@pytest.mark.parametrize(
    ("url", "article"),
    [
        ("https://t.vn/tin-tuc/chi-tiet?id=1231", True),
        ("https://t.vn/News/Detail.aspx?ItemID=45&cat=2", True),
        ("https://t.vn/index.php?option=view&newsid=908", True),
        ("https://t.vn/tin-tuc/danh-sach?cm=5&page=2", False),
        ("https://t.vn/kinh-te.htm?page=2", False),
        ("https://t.vn/tin-tuc/chi-tiet", False),
        ("https://t.vn/a-b-c-196260307080612345.htm", True),
    ],
)
def test_article_urls_named_by_their_query(url: str, article: bool) -> None:
    assert looks_like_article_url(url) is article


@pytest.mark.parametrize(
    ("url", "clean"),
    [
        ("https://t.vn/?sid=9f86d081884c7d659a2feaa0c55ad015", "https://t.vn/"),
        ("https://t.vn/a?id=3&PHPSESSID=abc", "https://t.vn/a?id=3"),
        ("https://t.vn/a;jsessionid=0A1B2C3D?id=3", "https://t.vn/a?id=3"),
        ("https://t.vn/danh-muc?sid=3", "https://t.vn/danh-muc?sid=3"),  # a section id
        ("https://t.vn/?s=gia+vang", "https://t.vn/?s=gia+vang"),  # a search
    ],
)
def test_session_ids_are_stripped(url: str, clean: str) -> None:
    assert strip_session(url) == clean


def test_random_tokens_share_one_url_shape() -> None:
    a = url_shape("https://t.vn/x?token=9f86d081884c7d659a2feaa0c55ad015")
    b = url_shape("https://t.vn/x?token=1b4f0e9851971998e732078544c96b36")
    assert a == b
    assert url_shape("https://t.vn/x?cat=kinh-te") != a


def spider_crawler() -> Crawler:
    """A crawler with the project's settings (every setting is read strictly), no extensions."""
    return get_crawler(NewsSpider, project_settings(EXTENSIONS={}, NEWS_PROFILE_DIRS=[]))


def test_www_and_bare_host_are_one_site() -> None:
    """A start URL on www.x.vn keeps x.vn (and the reverse): either may redirect to the other."""
    crawler = spider_crawler()
    for start in ("https://www.thoibao.vn/", "https://thoibao.vn/"):
        spider = NewsSpider.from_crawler(crawler, start_urls=start)
        assert spider._on_site("https://thoibao.vn/a-123456.html")
        assert spider._on_site("https://www.thoibao.vn/a-123456.html")
        assert not spider._on_site("https://thoibao.com.vn/a-123456.html")


def test_missing_robots_txt_still_tries_the_sitemap() -> None:
    crawler = spider_crawler()
    spider = NewsSpider.from_crawler(crawler, start_urls="https://thoibao.vn/")
    robots = spider._request("https://thoibao.vn/robots.txt", spider.parse_robots, kind="robots")
    failure = Failure(HttpError(HtmlResponse(robots.url, status=404, request=robots)))
    failure.request = robots  # as Scrapy sets it before calling the errback
    [request] = list(spider.on_error(failure))
    assert request.url == "https://thoibao.vn/sitemap.xml"
    assert request.meta["kind"] == "sitemap"
    page = spider._request("https://thoibao.vn/a-123456.html", spider.parse_page, kind="article")
    failure = Failure(HttpError(HtmlResponse(page.url, status=404, request=page)))
    failure.request = page
    assert list(spider.on_error(failure)) == []
