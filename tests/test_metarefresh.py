"""spiders.metarefresh decides meta-refresh redirects exactly as Scrapy's middleware does, from
the head of the page only (real saved pages, in every encoding the corpus has, and pages that
do redirect)."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy.http import HtmlResponse
from scrapy.utils.response import get_meta_refresh

from spiders.metarefresh import HEAD_CHARS, head_text, meta_refresh

ROOT = Path(__file__).resolve().parent
PAGES = sorted((ROOT / "data" / "html").glob("*/*.html"))[:40]
IGNORE = ["script", "noscript"]


def _response(body: bytes, content_type: str = "text/html") -> HtmlResponse:
    return HtmlResponse(
        "https://bao.example.vn/tin/bai-1.html", body=body, headers={"Content-Type": content_type}
    )


@pytest.mark.parametrize("path", PAGES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_head_is_the_start_of_the_page_text(path: Path) -> None:
    body = path.read_bytes()
    for content_type in ("text/html", "text/html; charset=utf-8"):
        plain = _response(body, content_type)
        assert head_text(_response(body, content_type)) == plain.text[:HEAD_CHARS]


REFRESHING = [
    b'<html><head><meta http-equiv="refresh" content="0;url=/tin/bai-2.html"></head></html>',
    # a base element and a relative URL, behind a long head in a legacy encoding
    b"<html><head><meta charset='windows-1258'><base href='https://bao.example.vn/moi/'>"
    + b"<!-- "
    + b"\xe0" * 3000
    + b" -->"
    + b'<meta http-equiv="Refresh" content="5; URL=trang-chu.html"></head><body></body></html>',
    # inside <noscript>: ignored by Scrapy's defaults
    b'<html><head><noscript><meta http-equiv="refresh" content="0;url=/x"></noscript></head>',
    # past the first 4,096 characters: not seen
    b"<html><head><title>" + "Đ".encode() * 5000 + b'</title><meta http-equiv="refresh" '
    b'content="0;url=/xa"></head></html>',
]


@pytest.mark.parametrize("body", REFRESHING)
def test_the_refresh_found_is_scrapys(body: bytes) -> None:
    assert meta_refresh(_response(body), IGNORE) == get_meta_refresh(_response(body), IGNORE)


def test_a_refresh_is_found() -> None:
    interval, url = meta_refresh(_response(REFRESHING[1]), IGNORE)
    assert (interval, url) == (5.0, "https://bao.example.vn/moi/trang-chu.html")


def test_a_refresh_in_utf16_is_still_found() -> None:
    body = (
        '<html><head><meta http-equiv="refresh" content="0;url=/tin/bai-2.html"></head></html>'
    ).encode("utf-16")
    response = _response(body)
    assert meta_refresh(response, IGNORE) == get_meta_refresh(_response(body), IGNORE)
    assert meta_refresh(response, IGNORE)[1] == "https://bao.example.vn/tin/bai-2.html"
