"""Build tests/sites/synd_a/ and tests/sites/synd_b/: a paper and a portal that republishes it.

Neither site has a profile (crawled with ``-a start_urls=`` only). Texts are sample articles of
tests/sites/nhandan_articles.toml (written for these tests), under new URLs, dates and
templates.

* ``synd_a/``: "Thời Báo Hà Thành", a paper: 7 articles (robots.txt -> sitemap.xml, home).
  ``synd_a_v2/`` is an overlay one day later: article A3 corrected (one paragraph; its sitemap
  ``lastmod`` says so), so a re-crawl gives it a version 2 (a version, never a near-duplicate
  of itself).
* ``synd_b/``: "Tin Miền Tây", a regional portal with another template: 3 articles of its own
  and 5 of A's republished:

  | copy | of | how | published | expected ``decided_by`` |
  | --- | --- | --- | --- | --- |
  | B-c1 | A1 | verbatim, closing "Theo Thời Báo Hà Thành" | same minute as A1 | attribution |
  | B-c2 | A2 | verbatim, closing "Nguồn: thoibaohathanh.vn" | 2 h *before* A2 (misdated) | attribution |
  | B-c3 | A3 | verbatim, no attribution | a day later | earlier_published |
  | B-c4 | A4 | verbatim, no attribution, the lead folded into the body | 5 h later | earlier_published |
  | B-c5 | A5 | lightly edited (new title, one sentence rewritten, one added), no attribution | 6 h later | earlier_published |

Ground truth goes to ``synd_b/expected.json`` (never served): ``copies`` (copy path, original
path, expected rule, edited), ``own`` (B's own articles) and ``a_only`` (A's articles not
copied). URLs in the pages start with ``__BASE__`` (the mock server's base URL).
Run: python tests/sites_src/build_syndication.py
"""

from __future__ import annotations

import html
import json
import re
import shutil
import tomllib
import unicodedata
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent / "sites"
SOURCE = ROOT / "nhandan_articles.toml"
OUT_A = ROOT / "synd_a"
OUT_A2 = ROOT / "synd_a_v2"
OUT_B = ROOT / "synd_b"

A_NAME = "Thời Báo Hà Thành"
A_DOMAIN = "thoibaohathanh.vn"
B_NAME = "Tin Miền Tây"

#: (label, source article id, section, published)
A_ARTICLES = [
    ("A1", 645268, "thoi-su", "2024-06-10T08:15:00+07:00"),
    ("A2", 645201, "thoi-su", "2024-06-10T10:40:00+07:00"),
    ("A3", 644870, "thoi-su", "2024-06-11T07:05:00+07:00"),
    ("A4", 645190, "kinh-te", "2024-06-11T15:30:00+07:00"),
    ("A5", 644921, "kinh-te", "2024-06-12T09:00:00+07:00"),
    ("A6", 645275, "kinh-te", "2024-06-12T11:20:00+07:00"),
    ("A7", 644512, "thoi-su", "2024-06-12T16:45:00+07:00"),
]
B_OWN = [
    ("B1", 645230, "van-hoa", "2024-06-10T09:00:00+07:00"),
    ("B2", 645316, "quoc-te", "2024-06-11T13:00:00+07:00"),
    ("B3", 644790, "the-thao", "2024-06-12T18:10:00+07:00"),
]
#: (label, original, closing line, shift of the published time, lead folded, edited)
B_COPIES = [
    ("B-c1", "A1", f"Theo {A_NAME}", timedelta(0), False, False, "attribution"),
    ("B-c2", "A2", f"Nguồn: {A_DOMAIN}", timedelta(hours=-2), False, False, "attribution"),
    ("B-c3", "A3", "", timedelta(days=1), False, False, "earlier_published"),
    ("B-c4", "A4", "", timedelta(hours=5), True, False, "earlier_published"),
    ("B-c5", "A5", "", timedelta(hours=6), False, True, "earlier_published"),
]
A3_CORRECTION = (
    "Cập nhật ngày 12/6: theo số liệu mới của Trung tâm Khí tượng thủy văn, độ mặn tại các cửa "
    "sông đã giảm nhanh sau những cơn mưa đầu mùa, nhiều cống đầu mối được mở để lấy nước."
)


def slugify(text: str) -> str:
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:70].rstrip("-")


def load_sources() -> dict[int, dict[str, Any]]:
    data = tomllib.loads(SOURCE.read_text(encoding="utf-8"))
    out = {}
    for entry in data["article"]:
        if "title" in entry:
            paragraphs = [p.strip() for p in entry["body"].strip().split("\n\n") if p.strip()]
            out[int(entry["id"])] = {
                "title": entry["title"],
                "lead": entry["lead"],
                "paragraphs": paragraphs,
            }
    return out


def e(text: str) -> str:
    return html.escape(text, quote=True)


def vn_time(iso: str) -> str:
    dt = datetime.fromisoformat(iso)
    return dt.strftime("%d/%m/%Y %H:%M")


# -- Site A: a paper -------------------------------------------------------------------


def a_page(title: str, body: str, head: str = "") -> str:
    return f"""<!DOCTYPE html>
<html lang="vi">
<head>
<meta charset="utf-8">
<title>{e(title)} | {e(A_NAME)}</title>
<meta property="og:site_name" content="{e(A_NAME)}">
{head}</head>
<body>
<header class="masthead"><a class="logo" href="/">{e(A_NAME)}</a>
<nav><a href="/thoi-su/">Thời sự</a> <a href="/kinh-te/">Kinh tế</a></nav></header>
{body}
<footer class="site-footer">© 2024 {e(A_NAME)}. Giấy phép số 123/GP-BTTTT. Ghi rõ nguồn "{e(A_NAME)}" khi phát hành lại thông tin từ website này.</footer>
</body></html>
"""


def a_article(item: dict[str, Any]) -> str:
    url = f"__BASE__{item['path']}"
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": item["title"],
        "datePublished": item["published"],
        "publisher": {"@type": "Organization", "name": A_NAME},
        "mainEntityOfPage": url,
    }
    modified = ""
    if item.get("modified"):
        ld["dateModified"] = item["modified"]
        modified = f'<meta property="article:modified_time" content="{item["modified"]}">\n'
    head = (
        f'<link rel="canonical" href="{url}">\n'
        '<meta property="og:type" content="article">\n'
        f'<meta property="og:title" content="{e(item["title"])}">\n'
        f'<meta name="description" content="{e(item["lead"])}">\n'
        f'<meta property="article:published_time" content="{item["published"]}">\n{modified}'
        f'<script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script>\n'
    )
    paras = "\n".join(f"<p>{e(p)}</p>" for p in item["paragraphs"])
    body = f"""<main><article class="story">
<h1 class="story-title">{e(item["title"])}</h1>
<div class="story-meta"><time datetime="{item["published"]}">{vn_time(item["published"])}</time></div>
<p class="story-sapo"><strong>{e(item["lead"])}</strong></p>
<div class="story-body">
{paras}
</div>
<p class="story-author">{e(item["author"])}</p>
</article>
<aside class="more"><h3>Tin khác</h3><ul>{item["more"]}</ul></aside></main>"""
    return a_page(item["title"], body, head)


# -- Site B: a regional portal ---------------------------------------------------------


def b_page(title: str, body: str, head: str = "") -> str:
    return f"""<!DOCTYPE html>
<html lang="vi">
<head>
<meta charset="utf-8">
<title>{e(title)} - {e(B_NAME)}</title>
<meta property="og:site_name" content="{e(B_NAME)}">
{head}</head>
<body>
<div id="top"><a href="/">{e(B_NAME)}</a> · Cổng thông tin tổng hợp khu vực Tây Nam Bộ</div>
<div id="wrapper">
{body}
</div>
<div id="footer">Bản quyền © {e(B_NAME)}. Địa chỉ: 25 Hòa Bình, Ninh Kiều, Cần Thơ.</div>
</body></html>
"""


def b_article(item: dict[str, Any]) -> str:
    url = f"__BASE__{item['path']}"
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": item["title"],
        "datePublished": item["published"],
        "publisher": {"@type": "Organization", "name": B_NAME},
    }
    head = (
        f'<link rel="canonical" href="{url}">\n'
        '<meta property="og:type" content="article">\n'
        f'<meta property="og:title" content="{e(item["title"])}">\n'
        f'<meta name="description" content="{e(item["lead"])}">\n'
        f'<meta property="article:published_time" content="{item["published"]}">\n'
        f'<script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script>\n'
    )
    summary = "" if item["fold_lead"] else f'<div class="summary">{e(item["lead"])}</div>\n'
    paragraphs = ([item["lead"]] if item["fold_lead"] else []) + item["paragraphs"]
    paras = "\n".join(f"<p>{e(p)}</p>" for p in paragraphs)
    closing = ""
    if item["closing"]:
        closing = f'\n<p style="text-align: right;"><strong>{e(item["closing"])}</strong></p>'
    body = f"""<div class="detail">
<h1 class="title">{e(item["title"])}</h1>
<div class="date">Cập nhật: {vn_time(item["published"])}</div>
{summary}<div id="main-detail">
{paras}{closing}
</div>
<div class="tags">Từ khóa: <a href="/">{e(B_NAME)}</a></div>
</div>
<div class="lienquan"><b>Tin liên quan</b><ul>{item["more"]}</ul></div>"""
    return b_page(item["title"], body, head)


def edit_lightly(src: dict[str, Any]) -> dict[str, Any]:
    """B-c5: new title, the first sentence of paragraph 2 rewritten, one closing sentence."""
    paragraphs = list(src["paragraphs"])
    first, _, rest = paragraphs[1].partition(". ")
    paragraphs[1] = (
        "Ghi nhận của phóng viên cho thấy mô hình đang được nhiều hộ dân quan tâm. " + rest
    )
    paragraphs[-1] += " Địa phương sẽ tổng kết, đánh giá mô hình vào cuối năm."
    assert first  # the sentence that was replaced
    return {
        **src,
        "title": "Đồng Tháp: nông dân liên kết trồng xoài theo chuẩn xuất khẩu",
        "paragraphs": paragraphs,
    }


def sitemap(items: list[dict[str, Any]]) -> str:
    urls = "\n".join(
        f"<url><loc>__BASE__{i['path']}</loc><lastmod>{i.get('modified') or i['published']}</lastmod></url>"
        for i in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{urls}\n</urlset>\n"
    )


def listing(items: list[dict[str, Any]]) -> str:
    return "\n".join(f'<li><a href="{i["path"]}">{e(i["title"])}</a></li>' for i in items)


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel.lstrip("/")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def build() -> dict[str, Any]:
    sources = load_sources()
    a_items: dict[str, dict[str, Any]] = {}
    for n, (label, ident, section, published) in enumerate(A_ARTICLES):
        src = sources[ident]
        a_items[label] = {
            **src,
            "label": label,
            "path": f"/{section}/{slugify(src['title'])}-a{1000 + n}.html",
            "published": published,
            "author": ["Hoàng Yến", "Quốc Việt", "Thanh Tâm"][n % 3],
        }
    b_items: dict[str, dict[str, Any]] = {}
    for n, (label, ident, _section, published) in enumerate(B_OWN):
        src = sources[ident]
        b_items[label] = {
            **src,
            "label": label,
            "path": f"/tin/{500 + n}/{slugify(src['title'])}.html",
            "published": published,
            "closing": "",
            "fold_lead": False,
        }
    for n, (label, original, closing, shift, fold_lead, edited, _rule) in enumerate(B_COPIES):
        src = a_items[original]
        base = edit_lightly(src) if edited else src
        published = datetime.fromisoformat(src["published"]) + shift
        b_items[label] = {
            "title": base["title"],
            "lead": base["lead"],
            "paragraphs": base["paragraphs"],
            "label": label,
            "path": f"/tin/{600 + n}/{slugify(base['title'])}.html",
            "published": published.isoformat(),
            "closing": closing,
            "fold_lead": fold_lead,
        }

    for out in (OUT_A, OUT_A2, OUT_B):
        if out.exists():
            shutil.rmtree(out)

    a_list = sorted(a_items.values(), key=lambda i: i["published"], reverse=True)
    for item in a_list:
        item["more"] = listing([i for i in a_list if i is not item][:3])
        write(OUT_A, item["path"], a_article(item))
    write(OUT_A, "robots.txt", "User-agent: *\nDisallow: /admin/\nSitemap: __BASE__/sitemap.xml\n")
    write(OUT_A, "sitemap.xml", sitemap(a_list))
    home = f'<main><h1>Tin mới</h1><ul class="latest">{listing(a_list)}</ul></main>'
    write(
        OUT_A,
        "index.html",
        a_page("Trang chủ", home, '<meta property="og:type" content="website">\n'),
    )

    # v2 overlay: A3 corrected one day later (its last paragraph replaced)
    a3 = dict(a_items["A3"])
    a3["paragraphs"] = [*a3["paragraphs"][:-1], A3_CORRECTION]
    a3["modified"] = "2024-06-12T10:00:00+07:00"
    write(OUT_A2, a3["path"], a_article(a3))
    write(OUT_A2, "sitemap.xml", sitemap([a3 if i["label"] == "A3" else i for i in a_list]))

    b_list = sorted(b_items.values(), key=lambda i: i["published"], reverse=True)
    for item in b_list:
        item["more"] = listing([i for i in b_list if i is not item][:2])
        write(OUT_B, item["path"], b_article(item))
    write(OUT_B, "robots.txt", "User-agent: *\nDisallow:\n")
    home = f'<div class="home"><h2>Tin tổng hợp</h2><ul>{listing(b_list)}</ul></div>'
    write(
        OUT_B,
        "index.html",
        b_page("Trang chủ", home, '<meta property="og:type" content="website">\n'),
    )

    expected = {
        "a_name": A_NAME,
        "b_name": B_NAME,
        "copies": [
            {
                "copy": b_items[label]["path"],
                "original": a_items[original]["path"],
                "decided_by": rule,
                "edited": edited,
                "closing": closing,
            }
            for label, original, closing, _shift, _fold, edited, rule in B_COPIES
        ],
        "own": [b_items[label]["path"] for label, *_ in B_OWN],
        "a_only": [
            a_items[label]["path"]
            for label, *_ in A_ARTICLES
            if label not in {c[1] for c in B_COPIES}
        ],
        "a_corrected": a_items["A3"]["path"],
    }
    (OUT_B / "expected.json").write_text(
        json.dumps(expected, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    return expected


if __name__ == "__main__":
    build()
