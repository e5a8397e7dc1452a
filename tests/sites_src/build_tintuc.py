"""Build tests/sites/tintuc/: a small WordPress-style Vietnamese news site with no profile.

It exercises the generic path of the spider (`-a start_urls=` on a site the project has
never seen): no Sitemap line in robots.txt, an Atom feed linked from <head>, category
listings with /page/N/ pagination, date-shaped article URLs, Yoast-style JSON-LD @graph.
Run: python tests/sites_src/build_tintuc.py  (rewrites tests/sites/tintuc/ and expected.json)
"""

from __future__ import annotations

import html
import json
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "sites" / "tintuc"

ARTICLES = [
    {
        "slug": "2024/05/06/gia-vang-trong-nuoc-tang-manh-phien-dau-tuan",
        "category": "kinh-te",
        "title": "Giá vàng trong nước tăng mạnh phiên đầu tuần",
        "lead": "Sáng 6/5, giá vàng miếng trong nước tăng thêm gần một triệu đồng mỗi lượng, "
        "theo đà đi lên của thị trường thế giới.",
        "published": "2024-05-06T09:15:00+07:00",
        "author": "Hoàng Lan",
        "paragraphs": [
            "Mở cửa phiên giao dịch sáng nay, các doanh nghiệp kinh doanh vàng lớn đồng loạt "
            "điều chỉnh giá vàng miếng tăng mạnh so với cuối tuần trước.",
            "Theo các chuyên gia, nhu cầu nắm giữ vàng tăng lên khi lãi suất tiết kiệm ở mức "
            "thấp và thị trường chứng khoán biến động khó lường.",
            "Giới phân tích khuyến cáo người dân cân nhắc kỹ trước khi mua vào, bởi chênh lệch "
            "giữa giá mua và giá bán vẫn ở mức cao.",
        ],
        "routes": ["feed", "listing"],
    },
    {
        "slug": "2024/05/05/xuat-khau-nong-san-quy-i-dat-ky-luc",
        "category": "kinh-te",
        "title": "Xuất khẩu nông sản quý I đạt kỷ lục",
        "lead": "Kim ngạch xuất khẩu nông, lâm, thủy sản quý I ước đạt hơn 13 tỷ USD, "
        "cao nhất từ trước tới nay.",
        "published": "2024-05-05T14:40:00+07:00",
        "author": "Minh Đức",
        "paragraphs": [
            "Bộ Nông nghiệp và Phát triển nông thôn cho biết gạo, cà phê và rau quả là những "
            "mặt hàng đóng góp lớn nhất vào kết quả tăng trưởng.",
            "Nhiều doanh nghiệp đã chủ động tìm kiếm thị trường mới tại Trung Đông và châu Phi "
            "bên cạnh các thị trường truyền thống.",
            "Ngành nông nghiệp đặt mục tiêu kim ngạch xuất khẩu cả năm đạt khoảng 55 tỷ USD.",
        ],
        "routes": ["feed", "listing"],
    },
    {
        "slug": "2024/05/04/ngan-hang-giam-lai-suat-cho-vay-ho-tro-doanh-nghiep",
        "category": "kinh-te",
        "title": "Ngân hàng giảm lãi suất cho vay hỗ trợ doanh nghiệp",
        "lead": "Nhiều ngân hàng thương mại công bố các gói tín dụng ưu đãi với lãi suất "
        "thấp hơn từ 1 đến 2 điểm phần trăm.",
        "published": "2024-05-04T08:00:00+07:00",
        "author": "Thu Hà",
        "paragraphs": [
            "Các gói tín dụng tập trung vào doanh nghiệp nhỏ và vừa, lĩnh vực sản xuất và "
            "xuất khẩu.",
            "Ngân hàng Nhà nước yêu cầu các tổ chức tín dụng tiếp tục tiết giảm chi phí hoạt "
            "động để có dư địa giảm lãi suất.",
        ],
        "routes": ["listing-page-2"],
    },
    {
        "slug": "2024/05/06/le-hoi-hoa-phuong-do-hai-phong-khai-mac",
        "category": "van-hoa",
        "title": "Lễ hội Hoa phượng đỏ Hải Phòng khai mạc",
        "lead": "Tối 5/5, lễ hội Hoa phượng đỏ lần thứ 12 khai mạc tại Quảng trường Nhà hát "
        "thành phố với nhiều hoạt động văn hóa đặc sắc.",
        "published": "2024-05-06T07:30:00+07:00",
        "author": "Quang Vinh",
        "paragraphs": [
            "Chương trình nghệ thuật khai mạc tái hiện lịch sử hình thành và phát triển của "
            "thành phố Cảng qua các thời kỳ.",
            "Trong khuôn khổ lễ hội còn có hội chợ thương mại, triển lãm ảnh và các giải thi "
            "đấu thể thao truyền thống.",
            "Ban tổ chức dự kiến lễ hội thu hút hàng trăm nghìn lượt du khách trong và ngoài nước.",
        ],
        "routes": ["feed", "listing"],
    },
    {
        "slug": "2024/05/03/trien-lam-tranh-son-mai-tai-ha-noi",
        "category": "van-hoa",
        "title": "Triển lãm tranh sơn mài tại Hà Nội",
        "lead": "Hơn 60 tác phẩm sơn mài của các họa sĩ ba thế hệ được giới thiệu tại Bảo "
        "tàng Mỹ thuật Việt Nam.",
        "published": "2024-05-03T16:20:00+07:00",
        "author": "Phương Thảo",
        "paragraphs": [
            "Triển lãm mang đến cái nhìn toàn cảnh về sự phát triển của chất liệu sơn mài "
            "truyền thống trong hội họa đương đại.",
            "Nhiều tác phẩm lần đầu được ra mắt công chúng, thể hiện những tìm tòi mới về kỹ "
            "thuật và bố cục.",
        ],
        "routes": ["listing"],
    },
    {
        "slug": "2024/05/06/doi-tuyen-bong-chuyen-nu-gianh-ve-du-giai-the-gioi",
        "category": "the-thao",
        "title": "Đội tuyển bóng chuyền nữ giành vé dự giải thế giới",
        "lead": "Thắng 3-1 trong trận chung kết, đội tuyển bóng chuyền nữ Việt Nam lần đầu "
        "giành quyền tham dự giải đấu cấp thế giới.",
        "published": "2024-05-06T21:05:00+07:00",
        "author": "Anh Tuấn",
        "paragraphs": [
            "Các cô gái Việt Nam thi đấu đầy bản lĩnh trước đối thủ có thứ hạng cao hơn trên "
            "bảng xếp hạng thế giới.",
            "Huấn luyện viên trưởng cho biết toàn đội sẽ có hai tuần nghỉ ngơi trước khi bước "
            "vào giai đoạn tập huấn mới.",
        ],
        "routes": ["feed-only"],
    },
]
CATEGORIES = {"kinh-te": "Kinh tế", "van-hoa": "Văn hóa", "the-thao": "Thể thao"}
PER_PAGE = 2

HEAD = """<!DOCTYPE html>
<html lang="vi">
<head>
<meta charset="utf-8">
<title>{title} &#8211; Tin Tức Hôm Nay</title>
<link rel="alternate" type="application/atom+xml" title="Tin Tức Hôm Nay" href="/feed.xml">
{extra}
</head>
<body class="wp-site">
<header class="site-header"><div class="topbar">Thứ hai, 06/05/2024</div>
<nav class="main-menu"><a href="/">Trang chủ</a> {menu}</nav></header>
"""
FOOT = """<aside class="widget"><h3>Tin mới</h3><ul>
<li><a href="/{first}/">{first_title}</a> <span>06/05/2024</span></li></ul></aside>
<footer class="site-footer">© 2024 Tin Tức Hôm Nay. Địa chỉ: 12 Lý Thường Kiệt, Hà Nội.</footer>
</body></html>
"""


def menu() -> str:
    return " ".join(f'<a href="/category/{k}/">{v}</a>' for k, v in CATEGORIES.items())


def page(title: str, body: str, extra: str = "") -> str:
    first = ARTICLES[0]
    return (
        HEAD.format(title=html.escape(title), extra=extra, menu=menu())
        + body
        + FOOT.format(first=first["slug"], first_title=html.escape(str(first["title"])))
    )


def article_html(a: dict) -> str:
    url = f"__BASE__/{a['slug']}/"
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebPage", "@id": url, "url": url, "name": a["title"]},
            {
                "@type": "NewsArticle",
                "headline": a["title"],
                "datePublished": a["published"],
                "author": {"@type": "Person", "name": a["author"]},
                "publisher": {"@type": "Organization", "name": "Tin Tức Hôm Nay"},
                "mainEntityOfPage": {"@id": url},
            },
        ],
    }
    extra = (
        f'<link rel="canonical" href="{url}">\n'
        '<meta property="og:type" content="article">\n'
        f'<meta property="og:title" content="{html.escape(a["title"])}">\n'
        f'<meta property="article:published_time" content="{a["published"]}">\n'
        '<script type="application/ld+json">' + json.dumps(graph, ensure_ascii=False) + "</script>"
    )
    paras = "\n".join(f"<p>{html.escape(p)}</p>" for p in a["paragraphs"])
    day = a["published"][8:10] + "/" + a["published"][5:7] + "/" + a["published"][:4]
    body = f"""<main id="main"><article class="post type-post">
<header class="entry-header"><h1 class="entry-title">{html.escape(a["title"])}</h1>
<div class="entry-meta"><span class="byline">Bởi <span class="author vcard">{html.escape(a["author"])}</span></span>
<time class="entry-date published" datetime="{a["published"]}">{day} {a["published"][11:16]}</time></div></header>
<div class="entry-content">
<p class="lead"><strong>{html.escape(a["lead"])}</strong></p>
{paras}
</div>
<div class="share">Chia sẻ: <a href="https://www.facebook.com/sharer/sharer.php?u={url}">Facebook</a></div>
<section class="related"><h3>Bài liên quan</h3><ul>
<li><a href="/{ARTICLES[1]["slug"]}/">{html.escape(ARTICLES[1]["title"])}</a> (30/12/2023)</li></ul></section>
</article></main>
"""
    return page(a["title"], body, extra)


def listing_html(cat: str, items: list[dict], page_no: int, pages: int) -> str:
    lis = "\n".join(
        f'<li class="post"><h2><a href="/{a["slug"]}/">{html.escape(a["title"])}</a></h2>'
        f"<p>{html.escape(a['lead'])}</p></li>"
        for a in items
    )
    nav = ""
    if page_no < pages:
        nav = (
            f'<a class="next page-numbers" href="/category/{cat}/page/{page_no + 1}/">Trang sau</a>'
        )
    extra = '<meta property="og:type" content="website">'
    return page(
        CATEGORIES[cat], f"<main><h1>{CATEGORIES[cat]}</h1><ul>{lis}</ul>{nav}</main>", extra
    )


def atom() -> str:
    entries = "\n".join(
        f"""<entry><title>{html.escape(a["title"])}</title><link href="__BASE__/{a["slug"]}/"/>
<id>__BASE__/{a["slug"]}/</id><published>{a["published"]}</published><updated>{a["published"]}</updated></entry>"""
        for a in ARTICLES
        if any(r.startswith("feed") for r in a["routes"])
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Tin Tức Hôm Nay</title>
<link href="__BASE__/"/><updated>2024-05-06T21:05:00+07:00</updated><id>__BASE__/</id>
{entries}
</feed>
"""


def write(rel: str, text: str) -> None:
    path = OUT / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def main() -> None:
    write("robots.txt", "User-agent: *\nDisallow: /wp-admin/\n")
    home = "\n".join(
        f'<li><a href="/{a["slug"]}/">{html.escape(a["title"])}</a></li>'
        for a in ARTICLES
        if "listing" in a["routes"]
    )
    write(
        "index.html",
        page(
            "Trang chủ",
            f'<main><ul class="latest">{home}</ul><a href="/wp-admin/">Quản trị</a></main>',
            '<meta property="og:type" content="website">',
        ),
    )
    for cat in CATEGORIES:
        items = [a for a in ARTICLES if a["category"] == cat and "feed-only" not in a["routes"]]
        pages = max(1, -(-len(items) // PER_PAGE))
        for n in range(1, pages + 1):
            chunk = items[(n - 1) * PER_PAGE : n * PER_PAGE]
            rel = f"category/{cat}/index.html" if n == 1 else f"category/{cat}/page/{n}/index.html"
            write(rel, listing_html(cat, chunk, n, pages))
    for a in ARTICLES:
        write(f"{a['slug']}/index.html", article_html(a))
    write("feed.xml", atom())
    expected = [
        {
            "path": f"/{a['slug']}/",
            "title": a["title"],
            "lead": a["lead"],
            "published": a["published"],
            "authors": [a["author"]],
            "first_sentence": a["paragraphs"][0],
            "last_sentence": a["paragraphs"][-1],
        }
        for a in ARTICLES
    ]
    (OUT.parent.parent / "sites_src" / "tintuc_expected.json").write_text(
        json.dumps(expected, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
