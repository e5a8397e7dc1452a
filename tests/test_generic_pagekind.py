"""Home and section pages are refused as non-articles on the generic path (no site profile);
real articles, also those a listing heuristic would doubt, are not (vnnews.pagekind)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import lxml.html
import pytest

from extraction.article import ExtractionError, extract_article

HTML = Path(__file__).resolve().parent / "data" / "html"
FETCHED_AT = datetime(2026, 3, 8, tzinfo=UTC)
LISTINGS = {
    "vnexpress/list-meth04.html": "https://vnexpress.net/kinh-doanh",
    "vietnamnet/list-meth04.html": "https://vietnamnet.vn/kinh-doanh",
    "dantri/home-2019-son601008.html": "https://dantri.com.vn/",
    "cafef/list-meth04.html": "https://cafef.vn/",  # any page served as a home page
}
ARTICLES = {
    "vnexpress/article-meth04.html": "https://vnexpress.net/a-5047363.html",
    "vietnamnet/article-meth04.html": "https://vietnamnet.vn/a-2495349.html",
    "baodautu/article-meth04.html": "https://baodautu.vn/a-d123456.html",
    "dantri/article-meth04.html": "https://dantri.com.vn/kinh-doanh/a-20260307.htm",
    "nhandan/seed-post231845.html": "https://nhandan.vn/a-post231845.html",
}


@pytest.mark.parametrize("relpath", sorted(LISTINGS))
def test_listing_and_home_pages_without_a_profile_are_refused(relpath: str) -> None:
    body = (HTML / relpath).read_bytes()
    with pytest.raises(ExtractionError, match=r"not an article|no article text"):
        extract_article(body, LISTINGS[relpath], fetched_at=FETCHED_AT, profile=None)


@pytest.mark.parametrize("relpath", sorted(ARTICLES))
def test_articles_without_a_profile_are_not_refused(relpath: str) -> None:
    body = (HTML / relpath).read_bytes()
    record = extract_article(body, ARTICLES[relpath], fetched_at=FETCHED_AT, profile=None)
    assert len(record["text"].split()) >= 100
    # the same article at a URL that says nothing about it: its markup still counts
    odd_url = ARTICLES[relpath].rsplit("/", 1)[0] + "/bai-viet"
    again = extract_article(body, odd_url, fetched_at=FETCHED_AT, profile=None)
    assert again["text"] == record["text"]


@pytest.mark.parametrize(
    ("url", "home"),
    [
        ("https://bao.example.vn/", True),
        ("https://bao.example.vn/index.html", True),
        ("https://bao.example.vn/trang-chu.htm", True),
        ("https://cong.example.gov.vn/vi/", True),
        ("https://bao.example.vn/Default.aspx?lang=vi", True),
        ("https://bao.example.vn/thoi-su", False),
        ("https://bao.example.vn/home-decor-20260101.htm", False),
        ("https://bao.example.vn/vi/tin-tuc/bai-1.html", False),
    ],
)
def test_home_pages_by_their_url(url: str, home: bool) -> None:
    from vnnews.pagekind import is_home_url

    assert is_home_url(url) is home


def test_a_home_page_served_at_its_index_file_is_refused() -> None:
    body = (HTML / "cafef/list-meth04.html").read_bytes()
    with pytest.raises(ExtractionError, match="not an article"):
        extract_article(body, "https://cafef.vn/index.html", fetched_at=FETCHED_AT, profile=None)


def test_a_soft_404_is_refused_wherever_it_is_served() -> None:
    """vnexpress.net's "Không tìm thấy đường dẫn này" page (status 200, full site chrome, story
    lists; a vn-dev development page) gives no record at its article URL or any other."""
    body = (
        Path(__file__).resolve().parent / "data" / "generic" / "05-vnexpress-2026-not-found.html"
    ).read_bytes()
    for url in (
        "https://vnexpress.net/bai-viet-khong-con-5117107.html",
        "https://bao.example.vn/kinh-doanh",
        "https://bao.example.vn/tin-tuc/bai-viet-20260101.htm",
    ):
        with pytest.raises(ExtractionError, match="not an article"):
            extract_article(body, url, fetched_at=FETCHED_AT, profile=None)


def test_an_article_quoting_an_error_message_is_not_an_error_page() -> None:
    from vnnews.pagekind import error_page

    tree = lxml.html.document_fromstring(
        "<html><body><h1>Lỗi 404 trên cổng dịch vụ công</h1><p>"
        + "Người dân phản ánh trang không tồn tại khi nộp hồ sơ trực tuyến. " * 20
        + "</p></body></html>"
    )
    text = tree.text_content()
    assert error_page(tree, text) is None
    assert error_page(tree, "Trang không tồn tại") == "trang không tồn tại"


@pytest.mark.parametrize(
    "relpath",
    ["baodautu/list-meth04.html", "cafef/list-meth04.html", "dantri/list-meth04.html",
     "nld/list-meth04.html", "dantri/home-2019-son601008.html"],
)  # fmt: skip
def test_a_section_page_at_an_article_shaped_url_is_refused(relpath: str) -> None:
    """A topic or section page served at an id-bearing URL (``/chu-de/gia-vang-123456.html``)
    passes for an article by its URL; its text is still dozens of teaser cards."""
    body = (HTML / relpath).read_bytes()
    url = "https://bao.example.vn/chu-de/gia-vang-123456.html"
    with pytest.raises(ExtractionError, match="teaser cards"):
        extract_article(body, url, fetched_at=FETCHED_AT, profile=None)


def _section_with_a_featured_story(cards: int) -> str:
    """The real dantri section page cut to its first ``cards`` story cards, the first one's
    teaser lengthened to a real article's paragraphs (a lead story shown with a long teaser)
    and og:type=article added (VCCorp and others say article on section pages)."""
    tree = lxml.html.document_fromstring((HTML / "dantri" / "list-meth04.html").read_bytes())
    items = tree.xpath('//article[contains(concat(" ", @class, " "), " article-item ")]')
    for item in items[cards:]:
        item.drop_tree()
    article = lxml.html.document_fromstring((HTML / "dantri" / "article-meth04.html").read_bytes())
    story = " ".join(
        " ".join(p.text_content().split()) for p in article.xpath('//*[@data-slot="content"]//p')
    )
    teaser = items[0].xpath('.//a[@data-prop="sapo"]')[0]
    teaser.text = f"{teaser.text_content()} {story}"
    for child in teaser:
        teaser.remove(child)
    head = tree.find("head")
    assert head is not None
    head.append(lxml.html.fragment_fromstring('<meta property="og:type" content="article">'))
    return lxml.html.tostring(tree, encoding="unicode")


@pytest.mark.parametrize("cards", [6, 12])
def test_a_section_page_opening_with_a_long_featured_teaser_is_refused(cards: int) -> None:
    """Home and section pages with one long teaser were taken as articles (issue 10): a block
    that opens with the one headline it holds, linking to another page, is the lead story's
    teaser, not this page's article, even at an id-bearing URL with og:type=article and
    fewer cards than a topic page needs."""
    page = _section_with_a_featured_story(cards)
    with pytest.raises(ExtractionError, match="not an article"):
        extract_article(
            page,
            "https://dantri.com.vn/kinh-doanh-c20260307.htm",
            fetched_at=FETCHED_AT,
            profile=None,
        )
