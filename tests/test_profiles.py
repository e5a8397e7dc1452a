"""Site profiles against the real saved pages in tests/data/html/<site>/.

URL patterns must classify the pages' own URLs and the links on listing pages; selectors must
match the markup (title and lead text equal what a person read off the page, the body selector
picks one element holding the first and last sentence, "remove" drops the boilerplate). The
hand-read expectations come from the golden files (tests/golden/<site>/<page>.json).
"""

from __future__ import annotations

import copy
import gzip
import json
from datetime import datetime
from pathlib import Path
from urllib.parse import urljoin

import pytest
from lxml import html as lxml_html
from parsel import Selector

from tools.regen_golden import norm
from vnnews.profiles import ProfileRegistry, Selectors, SiteProfile

DATA = Path(__file__).parent / "data" / "html"
GOLDEN = Path(__file__).parent / "golden"
SITES = (
    "nhandan",
    "baochinhphu",
    "baodautu",
    "cafef",
    "dantri",
    "nld",
    "tuoitre",
    "vietnamnet",
    "vnexpress",
    "vbpl",
    "anle-toaan",
)
# URL of each saved page as recorded in the corpus MANIFEST (anle has no canonical tag).
MANIFEST_URLS = {
    "anle-toaan/anle-63-2023-AL.html": "http://anle.toaan.gov.vn/webcenter/portal/anle/chitiettin?dDocName=TAND311306",
    "baodautu/list-meth04.html": "https://baodautu.vn/tai-chinh-chung-khoan-d6/",
    "vnexpress/list-meth04.html": "https://vnexpress.net/kinh-doanh",
    "vnexpress/VnExpress_2025_10_22.html.gz": "https://vnexpress.net/dau-bung-keo-dai-phat-hien-ung-thu-lymphoma-ruot-non-4954454.html",
    "dantri/home-2019-son601008.html": "https://dantri.com.vn/",
}
# Pages that are not named article-*/list-*/home-*: the documents count as articles.
DOCUMENT_PAGES = {
    "vbpl/toanvan-ItemID32801-hien-phap-2013.html": True,
    "vbpl/thuoctinh-ItemID32801.html": False,
    "vbpl/thuoctinh-ItemID96172.html": False,
    "vbpl/vanbanlienquan-ItemID32801.html": False,
    "vbpl/luocdo-hopnhat-ItemID147301.html": False,
    "anle-toaan/anle-63-2023-AL.html": True,
}
FIELDS = ("title", "lead", "body", "published", "modified", "authors", "tags", "categories")
FIELDS += ("images", "source")


@pytest.fixture(scope="module")
def registry() -> ProfileRegistry:
    return ProfileRegistry.load()


def _pages() -> list[str]:
    """The corpus copies (other suites may keep more files in the same directories)."""
    pages = [p for site in SITES for p in sorted((DATA / site).glob("*.htm*"))]
    names = [f"{p.parent.name}/{p.name}" for p in pages]
    prefixes = ("article-", "list-", "home-", "VnExpress_")
    return [n for n in names if n in DOCUMENT_PAGES or n.split("/")[1].startswith(prefixes)]


def _selector(page: str) -> Selector:
    raw = (DATA / page).read_bytes()
    if page.endswith(".gz"):
        raw = gzip.decompress(raw)
    return Selector(text=raw.decode("utf-8", "replace"))


def _goldens() -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(GOLDEN.glob("*/*.json"))]


# refusal goldens ("refused": pages that hold no article) have no checked fields
GOLDENS = [g for g in _goldens() if g["page"].startswith("tests/data/html/") and "refused" not in g]
GOLDEN_IDS = [g["page"].removeprefix("tests/data/html/") for g in GOLDENS]


def _page_urls(page: str, sel: Selector) -> list[str]:
    urls = sel.css("link[rel=canonical]::attr(href), meta[property='og:url']::attr(content)")
    found = [u.strip() for u in urls.getall() if u.strip()]
    if page in MANIFEST_URLS:
        found.append(MANIFEST_URLS[page])
    return found


def _is_article_page(page: str) -> bool:
    if page in DOCUMENT_PAGES:
        return DOCUMENT_PAGES[page]
    return not page.split("/")[1].startswith(("list-", "home-"))


def _layout(profile: SiteProfile, golden: dict) -> Selectors:
    return profile.selectors_for(datetime.fromisoformat(golden["checked"]["published"]))


def _text(node: Selector) -> str:
    return norm(node.xpath("string()").get() or "")


# --- loading ----------------------------------------------------------------------------------


def test_every_corpus_site_has_a_profile(registry: ProfileRegistry) -> None:
    for site in SITES:
        profile = registry.get(site)
        assert Path(profile.path).name == f"{site}.toml", f"{site}: name must match the file"
        assert (DATA / site).is_dir(), f"{site}: no saved pages in tests/data/html/{site}"


@pytest.mark.parametrize("site", SITES)
def test_profile_keys(registry: ProfileRegistry, site: str) -> None:
    profile = registry.get(site)
    assert profile.publisher, f"{site}: publisher"
    assert profile.language == "vi", f"{site}: language"
    assert profile.timezone == "Asia/Ho_Chi_Minh", f"{site}: timezone"
    assert profile.start_urls, f"{site}: start_urls"
    assert profile.article_patterns and profile.listing_patterns, f"{site}: [urls] patterns"
    for url in (*profile.start_urls, *profile.sitemaps, *profile.feeds):
        assert registry.for_url(url) is profile, f"{site}: {url} is not on the site's domains"
        assert profile.is_article_url(url) is not True, f"{site}: {url} taken for an article"
    assert profile.selectors.title and profile.selectors.body, f"{site}: title/body selectors"


# --- URL patterns ----------------------------------------------------------------------------


@pytest.mark.parametrize("page", _pages())
def test_page_url_classified(registry: ProfileRegistry, page: str) -> None:
    urls = _page_urls(page, _selector(page))
    assert urls, f"{page}: no canonical/og:url/manifest URL"
    expected = _is_article_page(page)
    for url in urls:
        profile = registry.for_url(url)
        assert profile is not None and profile.name == page.split("/")[0], f"{page}: {url}"
        verdict = profile.is_article_url(url)
        if expected:
            assert verdict is True, f"{page}: article URL {url} classified {verdict}"
        else:
            assert verdict is not True, f"{page}: non-article URL {url} classified as article"


LISTINGS = [p for p in _pages() if not _is_article_page(p) and not p.startswith("vbpl/")]


@pytest.mark.parametrize("page", LISTINGS)
def test_listing_links_classified(registry: ProfileRegistry, page: str) -> None:
    """A listing page links to articles and to other listings; the patterns tell them apart."""
    sel = _selector(page)
    base = _page_urls(page, sel)[0]
    profile = registry.get(page.split("/")[0])
    links = {urljoin(base, h.strip()) for h in sel.css("a::attr(href)").getall()}
    own = [u for u in links if registry.for_url(u) is profile]
    articles = [u for u in own if profile.is_article_url(u) is True]
    listings = [u for u in own if profile.is_article_url(u) is False]
    assert len(articles) >= 5, f"{page}: only {len(articles)} article links recognised"
    assert listings, f"{page}: no listing/denied links recognised"
    for url in articles:  # an article URL is never a listing at the same time
        assert not profile.is_denied(url), url


def test_deny_patterns(registry: ProfileRegistry) -> None:
    assert (
        registry.get("vietnamnet").is_article_url(
            "https://vietnamnet.vn/co-phieu-flc-tag10255416778094936500.html"
        )
        is False
    )
    assert registry.get("baodautu").is_article_url("https://baodautu.vn/tag/aat/") is False
    vnexpress = registry.get("vnexpress")
    assert vnexpress.is_article_url("https://vnexpress.net/rss/kinh-doanh.rss") is False
    assert (
        registry.get("vbpl").is_article_url(
            "https://vbpl.vn/tw/Pages/vbpq-print.aspx?dvid=13&ItemID=32801"
        )
        is False
    )


# --- selectors -------------------------------------------------------------------------------


@pytest.mark.parametrize("golden", GOLDENS, ids=GOLDEN_IDS)
def test_selectors_match(registry: ProfileRegistry, golden: dict) -> None:
    page = golden["page"].removeprefix("tests/data/html/")
    profile = registry.for_url(golden["url"])
    assert profile is not None and profile.name == golden["checked"]["site"], page
    layout = _layout(profile, golden)
    sel = _selector(page)
    for field in FIELDS:
        css = getattr(layout, field)
        if field == "source" and golden["checked"]["source"] is None:
            continue  # only republished pieces name a source
        if css:
            assert sel.css(css), f"{page}: selector {field}={css!r} matches nothing"
    for css in layout.remove:
        sel.css(css)  # must at least parse


@pytest.mark.parametrize("golden", GOLDENS, ids=GOLDEN_IDS)
def test_title_and_lead_selectors(registry: ProfileRegistry, golden: dict) -> None:
    page = golden["page"].removeprefix("tests/data/html/")
    layout = _layout(registry.get(golden["checked"]["site"]), golden)
    sel = _selector(page)
    assert _text(sel.css(layout.title)[0]) == golden["checked"]["title"], f"{page}: title"
    if layout.lead:
        assert _text(sel.css(layout.lead)[0]) == golden["checked"]["lead"], f"{page}: lead"


@pytest.mark.parametrize("golden", GOLDENS, ids=GOLDEN_IDS)
def test_body_selector_and_remove(registry: ProfileRegistry, golden: dict) -> None:
    page = golden["page"].removeprefix("tests/data/html/")
    checked = golden["checked"]
    layout = _layout(registry.get(checked["site"]), golden)
    sel = _selector(page)
    bodies = sel.css(layout.body)
    assert len(bodies) == 1, f"{page}: body selector matches {len(bodies)} elements"
    whole = _text(sel.css("body")[0])
    body = copy.deepcopy(bodies[0].root)
    for css in (*layout.remove, "script", "style"):
        for node in Selector(root=body).css(css):
            node.root.drop_tree()
    text = norm(lxml_html.tostring(body, method="text", encoding="unicode"))
    assert checked["first_sentence"] in text, f"{page}: first sentence not in the cleaned body"
    assert checked["last_sentence"] in text, f"{page}: last sentence not in the cleaned body"
    for snippet in checked["must_not_contain"]:
        assert snippet in whole, f"{page}: snippet {snippet!r} is not on the page at all"
        assert snippet not in text, f"{page}: {snippet!r} left in the body after remove"


# --- layout versions -------------------------------------------------------------------------


def test_vnexpress_layout_history(registry: ProfileRegistry) -> None:
    """The 2023 byline (p.author_mail) differs from the 2025+ one (right-aligned p.Normal)."""
    profile = registry.get("vnexpress")
    old = profile.selectors_for(datetime.fromisoformat("2023-11-02T19:20:45+07:00"))
    new = profile.selectors_for(datetime.fromisoformat("2025-10-22T19:25:52+07:00"))
    assert old is not profile.selectors and new is profile.selectors
    assert profile.selectors_for(None) is profile.selectors
    page_2023 = _selector("vnexpress/article-4672302-htmldate-eval.html")
    assert [_text(n) for n in page_2023.css(old.authors)] == ["Anh Minh"]
    assert page_2023.css(new.authors) == [], "the current byline selector must not fit 2023"
    for page, author in (
        ("vnexpress/VnExpress_2025_10_22.html.gz", "Lê Phương"),
        ("vnexpress/article-meth04.html", "Hà Thu"),
    ):
        assert [_text(n) for n in _selector(page).css(new.authors)] == [author], page


def test_anle_precedent_selectors(registry: ProfileRegistry) -> None:
    """anle.toaan.gov.vn has no golden record (its text is a PDF); check the selectors here."""
    layout = registry.get("anle-toaan").selectors
    sel = _selector("anle-toaan/anle-63-2023-AL.html")
    assert [_text(n) for n in sel.css(layout.title)] == ["63/2023/AL"]
    assert len(sel.css(layout.body)) == 1
    summary = "Về xem xét quyết định hành chính có liên quan đến hành vi hành chính bị khiếu kiện"
    assert [_text(n) for n in sel.css(layout.lead)] == [summary]
    assert [_text(n) for n in sel.css(layout.published)] == ["24/02/2023"]  # "Ngày công bố"
    assert [_text(n) for n in sel.css(layout.categories)] == ["Hành chính"]  # "Lĩnh vực"
