"""Build tests/sites/unseen_tapchi/: a modern magazine site full of crawler traps, no profile.

Articles live at ``/bai-viet/<slug>`` (no id, no date: only the page's own markup says it is an
article: Yoast-style JSON-LD ``@graph``, ``time[datetime]``), with two authors, a closing
"(Theo Tuổi Trẻ)" line, a quote and a list in the body, and one English article
(``<html lang="en">``). No Sitemap line, no sitemap, no feed: discovery is by listings only
(``/chuyen-muc/doi-song?trang=2`` behind ``<a rel=next>``; ``/chuyen-muc/moi-truong/2`` only in
``<link rel=next>``), with ``<base href>`` and relative links.

Traps (served dynamically by tests/test_unseen_sites.py from ``_site.json``):
``/luu-tru/YYYY-MM-DD`` archive days that always link to the day before; ``/moi-nhat?trang=N``,
an endless "latest" stream whose every page links to new stub pages under ``/goc-nhin/``; links
with ``;jsessionid=``; ``?ref=home`` duplicates of articles (rel=canonical); an off-host mirror
(``localhost``) of every article; ``/tai-khoan/`` disallowed.

Run: python tests/sites_src/build_unseen_tapchi.py  (rewrites tests/sites/unseen_tapchi/ and its
expected.json). Files named ``PATH@QUERY.html`` answer ``PATH?QUERY``.
"""

from __future__ import annotations

import html
import json
import shutil
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "sites" / "unseen_tapchi"
SITE = "Tạp chí Sống Xanh"
CATS = {"doi-song": "Đời sống", "moi-truong": "Môi trường"}
ARTICLES = [
    {
        "slug": "nguoi-tre-thanh-pho-tim-ve-nong-trai-cuoi-tuan",
        "cat": "doi-song",
        "lang": "vi",
        "title": "Người trẻ thành phố tìm về nông trại cuối tuần",
        "lead": "Những nông trại nhỏ ven đô trở thành điểm đến quen thuộc của nhiều người trẻ "
        "muốn tạm rời màn hình sau một tuần làm việc căng thẳng.",
        "published": "2025-11-20T19:45:00+07:00",
        "authors": ["Ngọc Mai", "Đức Anh"],
        "paragraphs": [
            "Mỗi sáng thứ bảy, chị Lan cùng nhóm bạn lái xe hơn 40 km từ trung tâm Hà Nội "
            "về một nông trại ở Ba Vì để tự tay trồng rau và cho gà ăn.",
            "“Ở đây không ai nhắc đến công việc, chúng tôi chỉ nói chuyện về đất, về cây”, "
            "chị chia sẻ.",
            "Chủ nông trại cho biết số khách đăng ký tham gia tăng gấp ba so với năm ngoái, "
            "phần lớn là nhân viên văn phòng dưới 30 tuổi.",
        ],
        "source": None,
        "routes": ["listing"],
    },
    {
        "slug": "rac-thai-nhua-tren-bo-bien-mien-trung-sau-mua-lu",
        "cat": "moi-truong",
        "lang": "vi",
        "title": "Rác thải nhựa phủ kín bờ biển miền Trung sau mùa lũ",
        "lead": "Hàng chục tấn rác thải, chủ yếu là chai nhựa và xốp, dạt vào bờ biển sau các "
        "đợt lũ lớn cuối tháng 10.",
        "published": "2025-11-18T08:20:00+07:00",
        "authors": ["Hoài Thương"],
        "paragraphs": [
            "Tại bãi biển Mỹ Khê, lực lượng tình nguyện viên đã thu gom hơn 12 tấn rác chỉ "
            "trong hai buổi sáng cuối tuần.",
            "Các nhà khoa học cảnh báo vi nhựa đang xuất hiện ngày càng nhiều trong hải sản "
            "đánh bắt gần bờ.",
            "Chính quyền địa phương đề xuất hạn chế túi ni lông tại các chợ ven biển từ năm sau.",
        ],
        "source": "Tuổi Trẻ",
        "routes": ["listing"],
    },
    {
        "slug": "mo-hinh-vuon-rau-tren-mai-nha-o-tp-hcm",
        "cat": "doi-song",
        "lang": "vi",
        "title": "Mô hình vườn rau trên mái nhà ở TP HCM",
        "lead": "Nhiều gia đình tận dụng sân thượng để trồng rau sạch, vừa đủ dùng hằng ngày "
        "vừa giúp làm mát ngôi nhà.",
        "published": "2025-11-15T10:05:00+07:00",
        "authors": ["Minh Quân"],
        "paragraphs": [
            "Trên sân thượng rộng 30 mét vuông, anh Tuấn trồng hơn 15 loại rau và cây gia vị "
            "bằng hệ thống tưới nhỏ giọt tự động.",
            "Theo anh, chi phí đầu tư ban đầu khoảng 8 triệu đồng và có thể thu hồi sau hai "
            "năm nhờ tiết kiệm tiền mua rau và tiền điện.",
            "Các kỹ sư nông nghiệp lưu ý cần gia cố chống thấm trước khi đặt bồn đất nặng lên mái.",
        ],
        "source": None,
        "routes": ["listing-page-2"],
    },
    {
        "slug": "hanoi-bans-single-use-plastic-bags-at-traditional-markets",
        "cat": "moi-truong",
        "lang": "en",
        "title": "Hanoi bans single-use plastic bags at traditional markets",
        "lead": "From January, vendors at 20 traditional markets in Hanoi will no longer be "
        "allowed to hand out free single-use plastic bags.",
        "published": "2025-11-19T14:30:00+07:00",
        "authors": ["Thu Trang"],
        "paragraphs": [
            "The city's environment department said the pilot covers markets in four central "
            "districts and will be extended next year.",
            "Shoppers will be offered paper bags or reusable cloth bags at cost price at "
            "every market gate.",
            "Officials expect the programme to cut plastic waste from markets by a third "
            "within twelve months.",
        ],
        "source": None,
        "routes": ["listing-page-2"],
    },
    {
        "slug": "lang-gom-bat-trang-giu-lua-giua-pho-thi",
        "cat": "doi-song",
        "lang": "vi",
        "title": "Làng gốm Bát Tràng giữ lửa giữa phố thị",
        "lead": "Giữa nhịp đô thị hóa, những lò gốm lâu đời ở Bát Tràng vẫn đỏ lửa nhờ lớp "
        "nghệ nhân trẻ biết kết hợp truyền thống với du lịch.",
        "published": "2025-11-12T07:00:00+07:00",
        "authors": ["Phương Linh"],
        "paragraphs": [
            "Nghệ nhân Nguyễn Văn Hưng, 34 tuổi, là đời thứ năm trong gia đình theo nghề "
            "gốm, hiện mở lớp dạy làm gốm cho du khách mỗi cuối tuần.",
            "Anh cho biết khách nước ngoài đặc biệt thích công đoạn vuốt gốm bằng tay trên "
            "bàn xoay.",
            "Làng nghề đang xây dựng bảo tàng gốm ngoài trời để giới thiệu lịch sử hơn 500 "
            "năm của nghề.",
        ],
        "source": None,
        "routes": ["listing-page-2"],
    },
]
QUOTE = "Đất không phụ người, chỉ cần mình chịu khó chăm."
BOILERPLATE = ["Đăng ký nhận bản tin", "Bài viết liên quan", "Chia sẻ bài viết", "Quảng cáo"]


def head(title: str, extra: str, lang: str = "vi") -> str:
    return f"""<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<base href="__BASE__/">
<title>{html.escape(title)} - {SITE}</title>
{extra}
</head>
<body>
<header class="site-header"><a class="logo" href="./">{SITE}</a>
<nav><a href="chuyen-muc/doi-song">Đời sống</a> <a href="chuyen-muc/moi-truong">Môi trường</a>
<a href="moi-nhat?trang=1">Mới nhất</a> <a href="luu-tru/2025-11-20">Lưu trữ</a>
<a href="tai-khoan/dang-nhap">Đăng nhập</a></nav></header>
"""


FOOT = """<aside class="newsletter"><h3>Đăng ký nhận bản tin</h3>
<form action="/tai-khoan/dang-ky"><input name="email"></form></aside>
<div class="ad-slot">Quảng cáo</div>
<footer><p>© 2025 Tạp chí Sống Xanh. Giấy phép số 123/GP-BTTTT.</p>
<a href="gioi-thieu;jsessionid=__SID__">Giới thiệu</a></footer>
</body>
</html>
"""


def article_html(a: dict) -> str:
    url = f"__BASE__/bai-viet/{a['slug']}"
    people = [{"@type": "Person", "@id": f"#p{i}", "name": n} for i, n in enumerate(a["authors"])]
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebPage", "@id": url, "url": url, "name": a["title"]},
            {
                "@type": "Article",
                "headline": a["title"],
                "datePublished": a["published"],
                "author": [{"name": p["name"], "@id": p["@id"]} for p in people],
                "inLanguage": a["lang"],
                "mainEntityOfPage": {"@id": url},
                "publisher": {"@type": "Organization", "name": SITE},
            },
            *people,
        ],
    }
    extra = (
        f'<meta name="description" content="{html.escape(a["lead"])}">\n'
        f'<link rel="canonical" href="{url}">\n'
        '<script type="application/ld+json">' + json.dumps(graph, ensure_ascii=False) + "</script>"
    )
    paras = [f"<p>{html.escape(p)}</p>" for p in a["paragraphs"]]
    if a["lang"] == "vi":
        paras.insert(1, f"<blockquote><p>{html.escape(QUOTE)}</p></blockquote>")
        paras.insert(
            2, "<ul><li>Trồng rau theo mùa</li><li>Ủ phân hữu cơ</li><li>Tiết kiệm nước</li></ul>"
        )
    if a["source"]:
        paras.append(f"<p><em>(Theo {html.escape(a['source'])})</em></p>")
    others = [o for o in ARTICLES if o is not a and o["routes"] == ["listing"]]
    related = "".join(
        f'<li><a href="bai-viet/{o["slug"]}?ref=related">{html.escape(o["title"])}</a></li>'
        for o in others
    )
    names = ", ".join(html.escape(n) for n in a["authors"])
    day = f"{a['published'][8:10]}/{a['published'][5:7]}/{a['published'][:4]}"
    body = f"""<main><article class="post">
<header><a class="post-cat" href="chuyen-muc/{a["cat"]}">{CATS[a["cat"]]}</a>
<h1 class="post-title">{html.escape(a["title"])}</h1>
<div class="post-meta"><span class="post-authors">{names}</span> ·
<time datetime="{a["published"]}">{day} {a["published"][11:16]}</time></div></header>
<p class="post-excerpt">{html.escape(a["lead"])}</p>
<div class="post-body">
{chr(10).join(paras)}
</div>
<div class="share">Chia sẻ bài viết: <a href="https://www.facebook.com/sharer.php?u={url}">Facebook</a>
<a href="http://localhost:__PORT__/bai-viet/{a["slug"]}">Bản sao</a></div>
</article>
<section class="related"><h2>Bài viết liên quan</h2><ul>{related}</ul></section></main>
"""
    return head(a["title"], extra, a["lang"]) + body + FOOT


def card(a: dict, ref: str = "") -> str:
    return (
        f'<article class="card"><h3><a href="bai-viet/{a["slug"]}{ref}">'
        f"{html.escape(a['title'])}</a></h3><p>{html.escape(a['lead'])}</p></article>"
    )


def next_page(cat: str, page: int) -> str:
    """Đời sống pages as ``?trang=N`` with <a rel=next>; Môi trường as ``/N``, only in <head>."""
    return f"chuyen-muc/{cat}?trang={page}" if cat == "doi-song" else f"chuyen-muc/{cat}/{page}"


def listing_html(cat: str, items: list[dict], page: int, pages: int) -> str:
    nav, extra = "", '<meta property="og:type" content="website">'
    if page < pages and cat == "doi-song":
        nav = f'<a rel="next" href="{next_page(cat, page + 1)}">Xem thêm</a>'
    elif page < pages:
        extra += f'\n<link rel="next" href="{next_page(cat, page + 1)}">'
    body = f"<main><h1>{CATS[cat]}</h1>{''.join(card(a) for a in items)}{nav}</main>\n"
    return head(CATS[cat], extra) + body + FOOT


def home_html() -> str:
    first = [a for a in ARTICLES if a["routes"] == ["listing"]][:2]
    cards = "".join(card(a, "?ref=home") for a in first)
    return (
        head(SITE, '<meta property="og:type" content="website">') + f"<main>{cards}</main>\n" + FOOT
    )


def write(out: Path, rel: str, text: str) -> None:
    path = out / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def main(out: Path = OUT) -> None:
    """Write the site (and expected.json) into ``out``."""
    if out.exists():
        shutil.rmtree(out)
    write(out, "robots.txt", "User-agent: *\nDisallow: /tai-khoan/\n")
    write(out, "index.html", home_html())
    write(
        out, "gioi-thieu.html", head("Giới thiệu", "") + "<main><p>Về chúng tôi.</p></main>" + FOOT
    )
    for cat in CATS:
        mine = [a for a in ARTICLES if a["cat"] == cat]
        chunks = [
            [a for a in mine if "listing" in a["routes"]],
            [a for a in mine if "listing-page-2" in a["routes"]],
        ]
        pages = 2 if chunks[1] else 1
        for n in range(1, pages + 1):
            name = (
                f"chuyen-muc/{cat}.html"
                if n == 1
                else next_page(cat, n).replace("?", "@") + ".html"
            )
            write(out, name, listing_html(cat, chunks[n - 1], n, pages))
    for a in ARTICLES:
        write(out, f"bai-viet/{a['slug']}.html", article_html(a))
    config = {"calendar_trap": "/luu-tru/", "stream_trap": "/moi-nhat", "stub_pages": "/goc-nhin/"}
    write(out, "_site.json", json.dumps(config, indent=1) + "\n")
    expected = {
        "site": SITE,
        "disallowed": ["/tai-khoan/"],
        "boilerplate": BOILERPLATE,
        "articles": [
            {
                "path": f"/bai-viet/{a['slug']}",
                "file": f"bai-viet/{a['slug']}.html",
                "url": f"__BASE__/bai-viet/{a['slug']}",
                "title": a["title"],
                "lead": a["lead"],
                "published": a["published"],
                "authors": a["authors"],
                "source": a["source"],
                "language": a["lang"],
                "first_sentence": a["paragraphs"][0],
                "last_sentence": a["paragraphs"][-1],
                "routes": a["routes"],
            }
            for a in ARTICLES
        ],
    }
    write(out, "expected.json", json.dumps(expected, ensure_ascii=False, indent=1) + "\n")


if __name__ == "__main__":
    main()
