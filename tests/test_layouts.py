"""extraction/layouts.py: CMS layout families and the generic layout guess for unknown sites.

The main measure is a leave-one-out evaluation on the real corpus pages (tests/golden): each
page is extracted with no site profile, once with layout guessing off (the trafilatura path) and
once with the layout guessed from a family table that leaves out every family known only from
that page's own site, so the page is treated as a layout the project has never seen. The checks
are bench/eval.py's section 2 checks. Print the table with::

    .venv/bin/python -m tests.test_layouts
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from lxml.html import HtmlElement

from bench.eval import VI_CHECKS, vi_checks
from extraction import article as extraction
from extraction.article import ExtractionError, decode_html, extract_article, parse_html
from extraction.layouts import (
    GENERIC_REMOVE,
    LAYOUTS,
    css_path,
    guess_generic,
    guess_profile,
    load_layouts,
    without_sites,
)
from tools.regen_golden import golden_files, load_golden, page_bytes
from vnnews.profiles import ProfileError, SiteProfile

REAL = [g for g in map(load_golden, golden_files()) if g["page"].startswith("tests/data/html/")]
SAMPLE = [g for g in map(load_golden, golden_files()) if not g["page"].startswith("tests/data/")]
# Measured 2026-11-26 (python -m tests.test_layouts): leave-one-out counts on the 13 real pages.
# Without guessing: title 11, day 12, minute 12, authors 12, start 10, end 10, clean 12.
LOO_FLOORS = {
    "title": 12,
    "day": 12,
    "minute": 12,
    "authors": 12,
    "start": 12,
    "end": 12,
    "clean": 12,
}
Guess = Callable[[HtmlElement, str], SiteProfile | None]


def site_of(golden: dict[str, Any]) -> str:
    return str(golden["page"]).split("/")[3]


def page_tree(golden: dict[str, Any]) -> HtmlElement:
    return parse_html(decode_html(page_bytes(golden), golden.get("headers")))


@contextmanager
def guessing(guess: Guess) -> Iterator[None]:
    """What ``extract_article`` guesses for a page without a profile, for the duration."""
    original = getattr(extraction, "guess_profile")  # noqa: B009 (not re-exported)
    setattr(extraction, "guess_profile", guess)  # noqa: B010
    try:
        yield
    finally:
        setattr(extraction, "guess_profile", original)  # noqa: B010


def no_guess(tree: HtmlElement, url: str = "") -> None:
    return None


def leave_one_out(golden: dict[str, Any]) -> Guess:
    table = without_sites([site_of(golden)])

    def guess(tree: HtmlElement, url: str = "") -> SiteProfile | None:
        return guess_profile(tree, url, layouts=table)

    return guess


def extract(golden: dict[str, Any], guess: Guess) -> dict[str, Any]:
    """The no-profile record of a golden page, with ``guess`` as the layout guesser."""
    with guessing(guess):
        try:
            return extract_article(
                page_bytes(golden),
                golden["url"],
                fetched_at=datetime.fromisoformat(golden["fetched_at"]),
                profile=None,
                headers=golden.get("headers"),
            )
        except ExtractionError:
            return {}


def checks(golden: dict[str, Any], record: dict[str, Any]) -> dict[str, bool | None]:
    got = {
        "title": record.get("title"),
        "published": record.get("published"),
        "authors": record.get("authors") or [],
        "text": record.get("text") or "",
    }
    return vi_checks(golden, got)


def evaluate(goldens: list[dict[str, Any]], *, loo: bool = True) -> dict[str, Any]:
    """Check counts without and with guessing, and per-page checks lost by guessing."""
    before = dict.fromkeys(VI_CHECKS, 0)
    after = dict.fromkeys(VI_CHECKS, 0)
    lost: list[str] = []
    for golden in goldens:
        guess = leave_one_out(golden) if loo else guess_profile
        old = checks(golden, extract(golden, no_guess))
        new = checks(golden, extract(golden, guess))
        for check in VI_CHECKS:
            before[check] += bool(old[check])
            after[check] += bool(new[check])
            if old[check] and not new[check]:
                lost.append(f"{golden['page']}: {check}")
    return {"pages": len(goldens), "before": before, "after": after, "lost": lost}


# --- the table ---------------------------------------------------------------------------------


def test_layout_table_loads_and_every_family_names_title_and_body() -> None:
    assert len(LAYOUTS) >= 8
    assert len({layout.name for layout in LAYOUTS}) == len(LAYOUTS)
    for layout in LAYOUTS:
        assert layout.selectors.title and layout.selectors.body, layout.name


def test_a_broken_layout_table_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "layouts.toml"
    bad.write_text('[[layout]]\nname = "x"\ntitle = "h1"\nbodyy = "div"\n', encoding="utf-8")
    with pytest.raises(ProfileError, match="bad layout table"):
        load_layouts(bad)


def test_without_sites_keeps_shared_and_public_families() -> None:
    names = {layout.name for layout in without_sites(["nhandan"])}
    assert "mcms-bem" not in names  # seen on nhandan only
    assert {"vccorp", "wordpress", "schema-org"} <= names
    assert "vccorp" in {layout.name for layout in without_sites(["nld", "tuoitre"])}


# --- families and the generic guess on real pages -----------------------------------------------


@pytest.mark.parametrize("golden", REAL, ids=lambda g: g["page"].split("/", 3)[-1])
def test_family_found_on_the_sites_it_was_read_from(golden: dict[str, Any]) -> None:
    families = [layout.name for layout in LAYOUTS if site_of(golden) in layout.sites]
    guessed = guess_profile(page_tree(golden), golden["url"])
    if families:
        assert guessed is not None and guessed.name == f"_layout:{families[0]}"
    elif site_of(golden) == "vbpl":  # a legal-text database, not a news layout
        assert guessed is None
    else:
        assert guessed is not None and guessed.name == "_layout:generic"


@pytest.mark.parametrize("golden", REAL, ids=lambda g: g["page"].split("/", 3)[-1])
def test_generic_guess_selects_one_body_and_the_headline(golden: dict[str, Any]) -> None:
    """The guess from the page alone (no family) reads the headline the golden file names."""
    tree = page_tree(golden)
    sel = guess_generic(tree)
    if site_of(golden) == "vbpl":
        assert sel is None
        return
    assert sel is not None
    assert len(tree.cssselect(sel.body)) == 1
    titles = tree.cssselect(sel.title)
    assert len(titles) == 1
    assert " ".join(titles[0].text_content().split()) == golden["checked"]["title"]
    assert set(GENERIC_REMOVE) <= set(sel.remove)


def test_listing_and_home_pages_get_no_layout() -> None:
    pages = sorted(Path("tests/data/html").glob("*/list-*.html"))
    pages.append(Path("tests/data/html/dantri/home-2019-son601008.html"))
    assert len(pages) >= 8
    for page in pages:
        assert guess_profile(parse_html(decode_html(page.read_bytes())), "") is None, page


def test_english_pages_are_left_to_the_generic_extractor() -> None:
    import gzip

    pages = sorted(Path("tests/data/zyte/html").glob("*.html.gz"))[:20]
    assert pages
    for page in pages:
        tree = parse_html(decode_html(gzip.decompress(page.read_bytes())))
        assert guess_profile(tree, "") is None, page


# --- synthetic layouts --------------------------------------------------------------------------

PARAGRAPHS = "".join(
    f"<p>Đoạn văn thứ {i} của bài báo kể về việc người dân địa phương chuẩn bị cho mùa vụ mới.</p>"
    for i in range(1, 6)
)


def page(
    body: str, title: str = "Nông dân xuống giống vụ đông xuân sớm", *, og: bool = True
) -> HtmlElement:
    og_title = f'<meta property="og:title" content="{title}">' if og else ""
    html = (
        f'<html lang="vi"><head>{og_title}'
        f"<title>{title} - Báo Mẫu</title></head><body>"
        '<div class="menu"><a href="/">Trang chủ</a></div>'
        f"{body}<div class='footer'><p>Cơ quan chủ quản: Công ty Báo Mẫu, giấy phép số 1.</p>"
        "</div></body></html>"
    )
    return parse_html(html)


def test_an_unknown_cms_is_guessed_from_the_page() -> None:
    tree = page(
        '<div class="story"><h1 class="story-headline">Nông dân xuống giống vụ đông xuân sớm</h1>'
        '<div class="story-meta">07/03/2026 08:06</div>'
        '<div class="story-intro">Nông dân các tỉnh miền Tây đồng loạt xuống giống sớm hơn mọi '
        "năm để tránh hạn mặn.</div>"
        f'<div class="story-text">{PARAGRAPHS}'
        '<div class="box-relate"><p>Bài liên quan: giá lúa tăng mạnh trong tuần qua.</p></div>'
        "</div></div>"
    )
    profile = guess_profile(tree, "https://bao-mau.example/bai-1.html")
    assert profile is not None and profile.name == "_layout:generic"
    sel = profile.selectors
    assert [n.get("class") for n in tree.cssselect(sel.title)] == ["story-headline"]
    assert [n.get("class") for n in tree.cssselect(sel.body)] == ["story-text"]
    assert [n.get("class") for n in tree.cssselect(sel.lead)] == ["story-intro"]
    assert sel.published == ""  # only on pages with no machine-readable date


def test_a_family_whose_title_is_not_the_headline_is_refused() -> None:
    body = (
        '<h1 class="detail-title">Nông dân xuống giống vụ đông xuân sớm</h1>'
        f'<div class="detail-content" data-role="content">{PARAGRAPHS}</div>'
    )
    accepted = guess_profile(page(body), "")
    assert accepted is not None and accepted.name == "_layout:vccorp"
    refused = guess_profile(page(body, title="Một tiêu đề hoàn toàn khác hẳn"), "")
    assert refused is None or refused.name != "_layout:vccorp"


def test_a_family_with_two_article_bodies_is_refused() -> None:
    one = f'<div class="detail-content" data-role="content">{PARAGRAPHS}</div>'
    tree = page('<h1 class="detail-title">Nông dân xuống giống vụ đông xuân sớm</h1>' + one + one)
    guessed = guess_profile(tree, "")
    assert guessed is None or guessed.name != "_layout:vccorp"


def test_a_dateline_is_guessed_only_without_machine_dates() -> None:
    body = (
        '<div class="ChiTiet"><h2 class="TieuDe">Nông dân xuống giống vụ đông xuân sớm</h2>'
        '<div class="NgayDang">Cập nhật: 08:15 ngày 16/01/2015</div>'
        f'<div class="NoiDung">{PARAGRAPHS}</div></div>'
    )
    portal = "Cổng thông tin điện tử tỉnh"  # <title> names the portal; no og:title
    assert guess_generic(page(body, title=portal)) is None  # og:title declared, no heading says it
    sel = guess_generic(page(body, title=portal, og=False))
    assert sel is not None and sel.title == "h2.TieuDe" and sel.published == "div.NgayDang"
    dated = page('<time datetime="2015-01-16T08:15:00+07:00"></time>' + body, portal, og=False)
    sel = guess_generic(dated)
    assert sel is not None and sel.published == ""


def test_a_date_read_by_a_guessed_layout_says_layout_not_profile() -> None:
    """The dateline selector is the guesser's, not a site profile's: ``layout:selector``."""
    body = (
        '<div class="ChiTiet"><h2 class="TieuDe">Nông dân xuống giống vụ đông xuân sớm</h2>'
        '<div class="NgayDang">Cập nhật: 08:15 ngày 16/01/2015</div>'
        f'<div class="NoiDung">{PARAGRAPHS}</div></div>'
    )
    html = lxml.html.tostring(page(body, title="Cổng thông tin điện tử tỉnh", og=False))
    record = extract_article(
        html, "https://tinh.example/tin?id=12", fetched_at=datetime(2026, 1, 1, tzinfo=UTC),
        profile=None,
    )  # fmt: skip
    assert record["published"] == "2015-01-16T08:15:00+07:00"
    assert record["published_source"] == "layout:selector"
    assert record["site"] is None


def test_a_body_that_would_lose_its_text_to_the_remove_list_is_refused() -> None:
    body = (
        '<h1 class="detail-title">Nông dân xuống giống vụ đông xuân sớm</h1>'
        '<div class="detail-content" data-role="content">'
        f'<div class="related-wrapper">{PARAGRAPHS}</div></div>'
    )
    guessed = guess_profile(page(body), "")
    assert guessed is None or guessed.name != "_layout:vccorp"


@pytest.mark.parametrize(
    "html",
    [
        "<html><body></body></html>",
        "<html><head><title>Tin tức</title></head><body><h1>Tin tức</h1></body></html>",
        "<html><frameset><frame src='a.html'></frameset></html>",
        "<html><body>" + "<div>" * 300 + "Đoạn văn" + "</div>" * 300 + "</body></html>",
        '<html><body><div class="x" id="1 2"><p>'
        + "Văn bản dài của bài viết. " * 40
        + "</p></div></body></html>",
    ],
)
def test_odd_pages_get_no_layout_and_no_error(html: str) -> None:
    assert guess_profile(parse_html(html), "") is None


def test_css_path_selects_exactly_the_element() -> None:
    tree = parse_html(
        "<html><body><div class='a'><p>x</p><p>y</p></div><div class='a'><p>z</p></div>"
        "<div id='main'><span>w</span></div></body></html>"
    )
    for el in tree.iter("p", "span", "div"):
        selector = css_path(tree, el)
        assert selector is not None
        assert tree.cssselect(selector) == [el], selector


# --- extraction with the guess (leave-one-out) ---------------------------------------------------


@pytest.fixture(scope="module")
def loo_result() -> dict[str, Any]:
    return evaluate(REAL)


def test_leave_one_out_loses_no_check_on_any_page(loo_result: dict[str, Any]) -> None:
    assert loo_result["lost"] == []


def test_leave_one_out_meets_the_floors(loo_result: dict[str, Any]) -> None:
    assert loo_result["pages"] == 13
    assert all(loo_result["after"][k] >= LOO_FLOORS[k] for k in VI_CHECKS), loo_result["after"]
    assert sum(loo_result["after"].values()) > sum(loo_result["before"].values())


def test_guessed_pages_keep_site_null() -> None:
    golden = next(g for g in REAL if site_of(g) == "nld")
    record = extract(golden, guess_profile)
    assert record["site"] is None
    assert record["title"] == golden["checked"]["title"]


def test_sample_site_without_profile_keeps_every_check() -> None:
    result = evaluate(SAMPLE, loo=False)
    assert result["lost"] == []
    assert result["after"] == dict.fromkeys(VI_CHECKS, len(SAMPLE))


def main() -> int:
    for label, goldens, loo in (
        ("real (leave-one-out)", REAL, True),
        ("sample site", SAMPLE, False),
    ):
        result = evaluate(goldens, loo=loo)
        print(f"{label}: {result['pages']} pages")
        for name in ("before", "after"):
            cells = ", ".join(f"{c} {result[name][c]}" for c in VI_CHECKS)
            print(f"  {name:6}: {cells}")
        print("  lost:", result["lost"] or "none")
    print("run at", datetime.now(UTC).isoformat(timespec="minutes"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
