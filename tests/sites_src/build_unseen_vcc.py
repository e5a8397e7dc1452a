"""Build tests/sites/unseen_vcc/: a VCCorp-style ("detail-*") news portal with no profile.

Markup as on nld.com.vn / cafef.vn: ``h1.detail-title``, ``h2.detail-sapo``,
``div.detail-content[data-role=content]`` (with a "TIN MỚI" box, inline related-news boxes and
photo captions inside it), ``[data-role=publishdate]`` reading "07/03/2026 08:06 GMT+7",
``article:published_time`` without a zone (as cafef writes it), JSON-LD whose author name is
entity-encoded. Listing and home pages carry ``og:type=article`` too, as on nld, cafef and
dantri. Discovery: robots.txt points at a Google News sitemap only; the RSS feed is linked only
from the footer; listings paginate with ``?page=2``; AMP variants; tracking
parameters (utm_*, fbclid) on links; ``/tim-kiem.htm`` and ``/api/`` disallowed; share links
and a mirror on another host; an infinite tag pager (``/tag/...htm?page=N``, served
dynamically) and session-id links (``?sid=``, a new value on every response).

Run: python tests/sites_src/build_unseen_vcc.py  (rewrites tests/sites/unseen_vcc/, with
expected.json written from the same data). Files named ``PATH@QUERY.html`` answer ``PATH?QUERY``
(see tests/test_unseen_sites.py).
"""

from __future__ import annotations

import html
import json
import shutil
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "sites" / "unseen_vcc"
SITE = "Đô Thị Ngày Nay"
ARTICLES = [
    {
        "id": "196260307080612345",
        "slug": "gia-lua-gao-dong-bang-tang-manh-dau-vu-dong-xuan",
        "cat": "kinh-te",
        "title": "Giá lúa gạo đồng bằng tăng mạnh đầu vụ đông xuân",
        "lead": "(ĐTNN) - Giá lúa tươi tại nhiều tỉnh Đồng bằng sông Cửu Long tăng thêm 300 "
        "đến 500 đồng mỗi kg so với tuần trước, nông dân phấn khởi vào vụ thu hoạch.",
        "published": "2026-03-07T08:06:00+07:00",
        "author": "Minh Chiến",
        "paragraphs": [
            "Theo ghi nhận tại An Giang và Đồng Tháp, thương lái đến tận ruộng đặt cọc mua lúa "
            "IR 50404 với giá 7.200 đồng mỗi kg.",
            "Nhiều doanh nghiệp xuất khẩu cho biết đơn hàng từ Philippines và Indonesia tăng trở "
            "lại sau kỳ nghỉ Tết.",
            "Hiệp hội Lương thực Việt Nam dự báo giá gạo xuất khẩu sẽ duy trì ở mức cao đến hết "
            "tháng 4.",
        ],
        "source": None,
        "routes": ["news-sitemap", "listing"],
    },
    {
        "id": "196260306153045678",
        "slug": "tp-hcm-khoi-cong-nut-giao-an-phu-giai-doan-hai",
        "cat": "xa-hoi",
        "title": "TP HCM khởi công nút giao An Phú giai đoạn hai",
        "lead": "(ĐTNN) - Sáng 6/3, TP HCM khởi công giai đoạn hai dự án nút giao An Phú với "
        "tổng vốn hơn 3.400 tỉ đồng, dự kiến hoàn thành trong năm 2027.",
        "published": "2026-03-06T15:30:00+07:00",
        "author": "Ngọc Ánh",
        "paragraphs": [
            "Giai đoạn hai gồm hai hầm chui và một cầu vượt nối đường Mai Chí Thọ với cao tốc "
            "TP HCM - Long Thành - Dầu Giây.",
            "Chủ đầu tư cho biết mặt bằng đã được bàn giao đủ, nhà thầu sẽ thi công ba ca liên "
            "tục để bảo đảm tiến độ.",
            "Khi hoàn thành, nút giao sẽ giảm ùn tắc cho cửa ngõ phía Đông thành phố.",
        ],
        "source": None,
        "routes": ["listing"],
    },
    {
        "id": "196260305094511223",
        "slug": "ngan-hang-dong-loat-giam-lai-suat-cho-vay-mua-nha",
        "cat": "kinh-te",
        "title": "Ngân hàng đồng loạt giảm lãi suất cho vay mua nhà",
        "lead": "(ĐTNN) - Nhiều ngân hàng thương mại công bố gói vay mua nhà ở với lãi suất cố "
        "định 6,5% một năm trong 24 tháng đầu.",
        "published": "2026-03-05T09:45:00+07:00",
        "author": "Thái Phương",
        "paragraphs": [
            "Gói vay ưu tiên người mua nhà lần đầu dưới 35 tuổi và các dự án nhà ở xã hội.",
            "Các chuyên gia khuyến nghị người vay tính kỹ mức lãi suất thả nổi sau thời gian ưu "
            "đãi để tránh áp lực trả nợ.",
        ],
        "source": "TTXVN",
        "routes": ["listing-page-2"],
    },
    {
        "id": "196260306204599887",
        "slug": "nghe-an-don-hang-tram-nghin-khach-ve-le-hoi-lang-sen",
        "cat": "xa-hoi",
        "title": "Nghệ An đón hàng trăm nghìn khách về lễ hội Làng Sen",
        "lead": "(ĐTNN) - Lễ hội Làng Sen năm nay kéo dài 10 ngày với nhiều hoạt động văn hóa, "
        "thể thao và hội chợ ẩm thực xứ Nghệ.",
        "published": "2026-03-06T20:45:00+07:00",
        "author": "Hoàng Lộc",
        "paragraphs": [
            "Ban tổ chức bố trí hơn 200 gian hàng giới thiệu sản phẩm OCOP của các huyện trong "
            "tỉnh.",
            "Các đêm biểu diễn dân ca ví, giặm thu hút đông đảo người dân và du khách.",
            "Lực lượng chức năng tăng cường bảo đảm an ninh trật tự và an toàn giao thông.",
        ],
        "source": None,
        "routes": ["feed-only"],
    },
    {
        "id": "196260304071233445",
        "slug": "xuat-khau-ca-phe-hai-thang-dau-nam-vuot-mot-ty-usd",
        "cat": "kinh-te",
        "title": "Xuất khẩu cà phê hai tháng đầu năm vượt một tỷ USD",
        "lead": "(ĐTNN) - Giá cà phê thế giới neo ở mức cao giúp kim ngạch xuất khẩu của "
        "ngành tăng gần 40% so với cùng kỳ năm trước.",
        "published": "2026-03-04T07:12:00+07:00",
        "author": "Lê Hà",
        "paragraphs": [
            "Đức, Italy và Tây Ban Nha tiếp tục là ba thị trường nhập khẩu lớn nhất của cà phê "
            "Việt Nam.",
            "Tại Tây Nguyên, nhiều nông hộ chuyển sang trồng cà phê đặc sản để nâng giá trị.",
            "Hiệp hội Cà phê - Ca cao Việt Nam khuyến cáo doanh nghiệp thận trọng với hợp đồng "
            "giao hàng kỳ hạn.",
        ],
        "source": None,
        "routes": ["amp-only"],
    },
    {
        "id": "196260307113055661",
        "slug": "ha-noi-thi-diem-xe-buyt-dien-noi-san-bay-noi-bai",
        "cat": "xa-hoi",
        "title": "Hà Nội thí điểm xe buýt điện nối sân bay Nội Bài",
        "lead": "(ĐTNN) - Từ ngày 10/3, tuyến xe buýt điện số 86E nối trung tâm Hà Nội với "
        "sân bay Nội Bài chính thức hoạt động.",
        "published": "2026-03-07T11:30:00+07:00",
        "author": "Văn Duẩn",
        "paragraphs": [
            "Tuyến có 15 xe hoạt động từ 5 giờ đến 23 giờ, tần suất 20 phút một chuyến.",
            "Giá vé được giữ nguyên 45.000 đồng mỗi lượt, hành khách có thể thanh toán bằng thẻ "
            "ngân hàng.",
            "Sở Xây dựng Hà Nội cho biết sẽ đánh giá hiệu quả sau ba tháng vận hành.",
        ],
        "source": None,
        "routes": ["news-sitemap", "tracking-link"],
    },
]
CATS = {"kinh-te": "Kinh tế", "xa-hoi": "Xã hội"}
BOILERPLATE = ["TIN MỚI", "Xem thêm", "Đọc tiếp", "Bình luận", "Tin cùng chuyên mục"]


def href(a: dict) -> str:
    return f"/{a['slug']}-{a['id']}.htm"


def naive(iso: str) -> str:
    return iso[:19]


def shown(iso: str) -> str:
    return f"{iso[8:10]}/{iso[5:7]}/{iso[:4]} {iso[11:16]} GMT+7"


def entities(text: str) -> str:
    """Every non-ASCII character as a numeric entity, as VCCorp writes JSON-LD names."""
    return "".join(c if ord(c) < 128 else f"&#{ord(c)};" for c in text)


def head(title: str, extra: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="vi">
<head>
<meta charset="utf-8">
<title>{html.escape(title)}</title>
<meta name="author" content="VCCorp.vn">
<meta property="og:site_name" content="dothingaynay">
{extra}
</head>
<body>
<div class="header"><div class="header-top">Thứ bảy, 07/03/2026</div>
<ul class="menu-nav"><li><a href="/">Trang chủ</a></li>
<li><a href="/kinh-te.htm">Kinh tế</a></li><li><a href="/xa-hoi.htm">Xã hội</a></li>
<li><a href="/tim-kiem.htm?keywords=gia-vang">Tìm kiếm</a></li></ul></div>
"""


FOOT = """<div class="footer">
<a href="/tag/thoi-su.htm" title="Thời sự">#Thời sự</a>
<a href="/?sid=__SID__">Phiên bản mới</a>
<a href="http://localhost:__PORT__/">Trang dự phòng</a>
<a href="/rss/home.rss" class="rss">RSS</a>
<a href="/api/like?id=1">Thích</a>
<p>Cơ quan chủ quản: Công ty Cổ phần Truyền thông Đô Thị. Giấy phép số 41/GP-BTTTT.</p>
<p>© Bản quyền thuộc về Đô Thị Ngày Nay. Cấm sao chép dưới mọi hình thức.</p>
</div>
</body>
</html>
"""


def related_box(others: list[dict]) -> str:
    items = "".join(
        f'<li><a href="{href(o)}" title="{html.escape(o["title"])}">{html.escape(o["title"])}</a></li>'
        for o in others
    )
    return (
        '<div class="VCSortableInPreviewMode" type="RelatedNewsBox">'
        f'<div class="kbwscwl-relatedbox"><b>Xem thêm</b><ul>{items}</ul></div></div>\n'
    )


def article_html(a: dict, amp: bool = False) -> str:
    url = f"__BASE__{href(a)}"
    ld = {
        "@context": "http://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "headline": a["title"],
        "description": a["lead"],
        "datePublished": naive(a["published"]),
        "author": {"@type": "Person", "name": entities(a["author"])},
        "publisher": {"@type": "Organization", "name": SITE},
    }
    extra = (
        f'<link rel="canonical" href="{url}">\n'
        + ("" if amp else f'<link rel="amphtml" href="__BASE__/amp{href(a)}">\n')
        + '<meta property="og:type" content="article">\n'
        f'<meta property="og:title" content="{html.escape(a["title"])}">\n'
        f'<meta property="article:published_time" content="{naive(a["published"])}">\n'
        f'<meta property="article:author" content="{html.escape(a["author"])}">\n'
        '<script type="application/ld+json">\n'
        + json.dumps(ld, ensure_ascii=False, indent=4)
        + "\n</script>"
    )
    others = [o for o in ARTICLES if o is not a and o["routes"][-1] == "listing"][:2]
    paras = [f"<p>{html.escape(p)}</p>" for p in a["paragraphs"]]
    paras.insert(
        1,
        '<figure class="VCSortableInPreviewMode" type="Photo"><div>'
        f'<img src="__BASE__/images/{a["id"]}.jpg" alt="{html.escape(a["title"])}"></div>'
        '<figcaption class="PhotoCMS_Caption"><p>Ảnh minh họa: ĐTNN</p></figcaption></figure>',
    )
    if others:
        paras.insert(len(paras) - 1, related_box(others))
    if a["source"]:
        paras.append(f'<p class="source" style="text-align:right">Theo {a["source"]}</p>')
    tracked = f"{href(ARTICLES[5])}?utm_source=zalo&amp;utm_medium=share&amp;fbclid=IwAR0x9"
    body = f"""<div class="container"><div class="detail-top">
<div class="detail-cate"><a href="/{a["cat"]}.htm">{CATS[a["cat"]]}</a></div></div>
<h1 class="detail-title" data-role="title">{html.escape(a["title"])}</h1>
<div class="detail-info"><div class="detail-author"><div class="author-info">
<p class="name" data-role="author">{html.escape(a["author"])} </p></div></div>
<div class="detail-time"><div data-role="publishdate">
                {shown(a["published"])}
            </div></div></div>
<div class="detail-social"><a href="https://www.facebook.com/sharer/sharer.php?u={url}" rel="nofollow">Chia sẻ</a></div>
<div class="detail-cmain"><h2 class="detail-sapo" data-role="sapo">{html.escape(a["lead"])}</h2>
<div class="detail-content afcbc-body" data-role="content">
<div class="tindnd clearfix"><span class="title_box"><a href="javascript:;" rel="nofollow">TIN MỚI</a></span>
<ul><li><a href="{tracked}">{html.escape(ARTICLES[5]["title"])}</a></li></ul></div>
{chr(10).join(paras)}
</div>
<div class="detail-tab"><span>Từ khóa:</span> <a href="/tag/gia-ca.htm">giá cả</a></div>
<div class="detail-comment"><h3>Bình luận (0)</h3><p>Hãy là người đầu tiên bình luận.</p></div>
</div>
<div class="box-category"><h3>Tin cùng chuyên mục</h3><ul>
{"".join(f'<li><a href="{href(o)}">{html.escape(o["title"])}</a></li>' for o in others)}
</ul></div></div>
"""
    return head(f"{a['title']} | {SITE}", extra) + body + FOOT


def listing_items(items: list[dict]) -> str:
    return "\n".join(
        f'<div class="box-category-item"><h3><a class="box-category-link-title" '
        f'href="{href(a)}" title="{html.escape(a["title"])}">{html.escape(a["title"])}</a></h3>'
        f'<p class="box-category-sapo">{html.escape(a["lead"])}</p></div>'
        for a in items
    )


def listing_html(cat: str, items: list[dict], page: int, pages: int) -> str:
    nav = ""
    if page < pages:
        nav = f'<a class="btn-viewmore" href="/{cat}.htm?page={page + 1}">Xem thêm</a>'
    extra = '<meta property="og:type" content="article">'  # sic: as nld/cafef/dantri listings
    body = (
        f'<div class="list-main"><h1 class="cate-title">{CATS[cat]}</h1>\n'
        f"{listing_items(items)}\n{nav}</div>\n"
    )
    return head(f"{CATS[cat]} | {SITE}", extra) + body + FOOT


def home_html() -> str:
    items = [a for a in ARTICLES if a["routes"] == ["news-sitemap", "listing"]]
    amp = [a for a in ARTICLES if "amp-only" in a["routes"]]
    links = listing_items(items) + "".join(
        f'<div class="box-category-item"><a href="/amp{href(a)}">{html.escape(a["title"])}</a>'
        "</div>"
        for a in amp
    )
    extra = '<meta property="og:type" content="article">'  # sic: as nld/cafef/dantri listings
    return head(SITE, extra) + f'<div class="home-main">{links}</div>\n' + FOOT


def rss() -> str:
    items = "\n".join(
        f"<item><title><![CDATA[{a['title']}]]></title><link>__BASE__{href(a)}</link>"
        f"<guid>__BASE__{href(a)}</guid><pubDate>{a['published']}</pubDate></item>"
        for a in ARTICLES
        if "feed-only" in a["routes"] or "news-sitemap" in a["routes"]
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>{SITE}</title><link>__BASE__/</link>
<description>Tin mới nhất</description>
{items}
</channel></rss>
"""


def news_sitemap() -> str:
    urls = "\n".join(
        f"""<url><loc>__BASE__{href(a)}</loc><news:news><news:publication>
<news:name>{SITE}</news:name><news:language>vi</news:language></news:publication>
<news:publication_date>{a["published"]}</news:publication_date>
<news:title>{html.escape(a["title"])}</news:title></news:news></url>"""
        for a in ARTICLES
        if any(r.startswith("news-sitemap") for r in a["routes"])
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
{urls}
</urlset>
"""


def write(out: Path, rel: str, text: str) -> None:
    path = out / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def expected() -> dict:
    return {
        "site": SITE,
        "disallowed": ["/tim-kiem.htm", "/api/"],
        "boilerplate": BOILERPLATE,
        "articles": [
            {
                "path": href(a),
                "file": f"{href(a)[1:]}.html",
                "url": f"__BASE__{href(a)}",
                "title": a["title"],
                "lead": a["lead"],
                "published": a["published"],
                "authors": [a["author"]],
                "source": a["source"],
                "language": "vi",
                "first_sentence": a["paragraphs"][0],
                "last_sentence": a["paragraphs"][-1],
                "routes": a["routes"],
            }
            for a in ARTICLES
        ],
    }


def main(out: Path = OUT) -> None:
    """Write the site (and expected.json) into ``out``."""
    if out.exists():
        shutil.rmtree(out)
    write(
        out,
        "robots.txt",
        "User-agent: *\nDisallow: /tim-kiem.htm\nDisallow: /api/\n\n"
        "Sitemap: __BASE__/sitemaps/google-news.xml\n",
    )
    write(out, "index.html", home_html())
    for cat in CATS:
        mine = [a for a in ARTICLES if a["cat"] == cat]
        chunks = [
            [a for a in mine if "listing" in a["routes"]],
            [a for a in mine if "listing-page-2" in a["routes"]],
        ]
        pages = 2 if chunks[1] else 1
        for n in range(1, pages + 1):
            name = f"{cat}.htm.html" if n == 1 else f"{cat}.htm@page={n}.html"
            write(out, name, listing_html(cat, chunks[n - 1], n, pages))
    for a in ARTICLES:
        write(out, f"{href(a)[1:]}.html", article_html(a))
        write(out, f"amp{href(a)}.html", article_html(a, amp=True))
    write(out, "rss/home.rss", rss())
    write(out, "sitemaps/google-news.xml", news_sitemap())
    write(out, "_site.json", json.dumps({"tag_trap": "/tag/"}, indent=1) + "\n")
    write(out, "expected.json", json.dumps(expected(), ensure_ascii=False, indent=1) + "\n")


if __name__ == "__main__":
    main()
