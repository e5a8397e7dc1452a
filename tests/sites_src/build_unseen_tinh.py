"""Build tests/sites/unseen_tinh/: a provincial government portal with no profile.

Nothing machine-readable: no JSON-LD, no Open Graph, no ``article:published_time``, the same
``<title>`` on every page. The headline is an ``h2.TieuDe``, the time only visible text next to
it ("Cập nhật: 08:15 ngày 16/01/2015" or "Thứ Năm, ngày 15 tháng 1 năm 2015 - 10:30"), the
author a bold closing line ("NGUYỄN VĂN AN"), the attribution a closing "Theo Báo Nhân Dân" /
"Nguồn: TTXVN" line. Pages are windows-1258 with decomposed tone marks and the charset only in
``<meta http-equiv>`` (the Content-Type header has none). Listings are tables with relative
links; article URLs are ``/tin-tuc/chi-tiet?id=NNNN`` (the query names the article);
pagination ``danh-sach?cm=5&page=2``; on four articles a template ``rel=canonical`` to the home
page or to ``/tin-tuc/chi-tiet`` (the id dropped); robots.txt has a ``Sitemap:`` line to a
sitemap index whose child sitemap is gzipped; ``/quan-tri/`` and ``/tim-kiem`` are disallowed.

Run: python tests/sites_src/build_unseen_tinh.py  (rewrites tests/sites/unseen_tinh/ and its
expected.json). Files named ``PATH@QUERY.html`` answer ``PATH?QUERY``.
"""

from __future__ import annotations

import contextlib
import gzip
import html
import json
import shutil
import unicodedata
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "sites" / "unseen_tinh"
PORTAL = "Cổng Thông tin điện tử tỉnh Sơn Nam"
CATS = {"5": "Tin tức - Sự kiện", "7": "Kinh tế - Xã hội"}
ARTICLES = [
    {
        "id": "1231",
        "cat": "5",
        "title": "Hội nghị tổng kết công tác xây dựng Đảng năm 2014",
        "lead": "Sáng 16/1, Tỉnh ủy Sơn Nam tổ chức hội nghị tổng kết công tác xây dựng Đảng "
        "năm 2014, triển khai nhiệm vụ năm 2015.",
        "dateline": "Cập nhật: 08:15 ngày 16/01/2015",
        "published": "2015-01-16T08:15:00+07:00",
        "byline": "NGUYỄN VĂN AN",
        "authors": ["NGUYỄN VĂN AN"],
        "source_line": None,
        "source": None,
        "paragraphs": [
            "Năm 2014, các cấp ủy đảng trong tỉnh đã tập trung lãnh đạo thực hiện Nghị quyết "
            "Trung ương 4 khóa XI về xây dựng Đảng gắn với việc học tập và làm theo tấm gương "
            "đạo đức Hồ Chí Minh.",
            "Công tác phát triển đảng viên đạt kết quả tốt, toàn tỉnh kết nạp mới 1.850 đảng "
            "viên, vượt 12% kế hoạch đề ra.",
            "Công tác kiểm tra, giám sát được tăng cường, kịp thời phát hiện và xử lý nghiêm "
            "các trường hợp vi phạm kỷ luật của Đảng.",
            "Phát biểu chỉ đạo hội nghị, đồng chí Bí thư Tỉnh ủy đề nghị các cấp ủy chuẩn bị "
            "chu đáo đại hội đảng bộ các cấp nhiệm kỳ 2015 - 2020.",
        ],
        "routes": ["listing"],
    },
    {
        "id": "1229",
        "cat": "5",
        "title": "Khánh thành cầu Bến Đình nối hai huyện miền núi",
        "lead": "Công trình cầu Bến Đình với tổng mức đầu tư 86 tỷ đồng chính thức đưa vào sử "
        "dụng, rút ngắn 25 km đường đi giữa hai huyện.",
        "dateline": "Thứ Năm, ngày 15 tháng 1 năm 2015 - 10:30",
        "published": "2015-01-15T10:30:00+07:00",
        "byline": "Tin, ảnh: TRẦN THỊ HOA",
        "authors": ["TRẦN THỊ HOA"],
        "source_line": None,
        "source": None,
        "paragraphs": [
            "Cầu Bến Đình dài 240 mét, rộng 9 mét, được thiết kế theo tiêu chuẩn cầu vĩnh "
            "cửu với tải trọng 30 tấn.",
            "Trước đây, người dân hai bên bờ sông phải đi đò ngang, mùa mưa lũ việc đi lại "
            "gặp rất nhiều khó khăn và nguy hiểm.",
            "Đại diện chủ đầu tư cho biết công trình hoàn thành trước thời hạn hai tháng và "
            "bảo đảm chất lượng theo thiết kế được duyệt.",
            "Ủy ban nhân dân tỉnh giao các huyện có trách nhiệm quản lý, bảo trì công trình "
            "để phát huy hiệu quả lâu dài.",
        ],
        "routes": ["listing"],
    },
    {
        "id": "1224",
        "cat": "5",
        "title": "Sơn Nam đón nhận Huân chương Lao động hạng Nhất",
        "lead": "Tỉnh Sơn Nam vinh dự được Chủ tịch nước trao tặng Huân chương Lao động hạng "
        "Nhất vì thành tích xuất sắc trong giai đoạn 2010 - 2014.",
        "dateline": "Cập nhật: 16:40 ngày 12/01/2015",
        "published": "2015-01-12T16:40:00+07:00",
        "byline": "LÊ MINH",
        "authors": ["LÊ MINH"],
        "source_line": "Theo Báo Nhân Dân",
        "source": "Báo Nhân Dân",
        "paragraphs": [
            "Trong 5 năm qua, tốc độ tăng trưởng kinh tế bình quân của tỉnh đạt 9,2% mỗi "
            "năm, thu nhập bình quân đầu người tăng gấp đôi so với năm 2010.",
            "Tỉnh đã hoàn thành sớm mục tiêu phổ cập giáo dục trung học cơ sở và đưa tỷ lệ "
            "hộ nghèo giảm xuống dưới 8%.",
            "Thay mặt lãnh đạo tỉnh, đồng chí Chủ tịch Ủy ban nhân dân tỉnh bày tỏ cảm ơn sự "
            "quan tâm của Đảng, Nhà nước và cam kết tiếp tục phấn đấu.",
        ],
        "routes": ["listing-page-2"],
    },
    {
        "id": "1230",
        "cat": "7",
        "title": "Giá trị sản xuất nông nghiệp năm 2014 tăng 4,8%",
        "lead": "Ngành nông nghiệp tỉnh Sơn Nam tiếp tục giữ mức tăng trưởng khá nhờ chuyển "
        "đổi cơ cấu cây trồng và ứng dụng tiến bộ kỹ thuật.",
        "dateline": "Cập nhật: 14:05 ngày 15/01/2015",
        "published": "2015-01-15T14:05:00+07:00",
        "byline": "PHẠM QUANG HUY",
        "authors": ["PHẠM QUANG HUY"],
        "source_line": "Nguồn: TTXVN",
        "source": "TTXVN",
        "paragraphs": [
            "Sản lượng lương thực có hạt cả năm đạt 412 nghìn tấn, tăng 3,5% so với năm "
            "trước, năng suất lúa bình quân đạt 58 tạ mỗi héc-ta.",
            "Nhiều mô hình cánh đồng mẫu lớn, sản xuất rau an toàn theo tiêu chuẩn VietGAP "
            "được nhân rộng tại các huyện đồng bằng.",
            "Năm 2015, ngành phấn đấu giá trị sản xuất trên một héc-ta đất canh tác đạt 90 "
            "triệu đồng.",
        ],
        "routes": ["listing"],
    },
    {
        "id": "1227",
        "cat": "7",
        "title": "Thu hút 15 dự án đầu tư vào khu công nghiệp Tây Sơn",
        "lead": "Năm 2014, khu công nghiệp Tây Sơn thu hút thêm 15 dự án với tổng vốn đăng ký "
        "hơn 2.100 tỷ đồng, tạo việc làm cho khoảng 4.000 lao động.",
        "dateline": "Thứ Ba, ngày 13 tháng 1 năm 2015 - 09:20",
        "published": "2015-01-13T09:20:00+07:00",
        "byline": "HOÀNG ĐỨC THẮNG",
        "authors": ["HOÀNG ĐỨC THẮNG"],
        "source_line": None,
        "source": None,
        "paragraphs": [
            "Các dự án tập trung vào lĩnh vực chế biến nông sản, may mặc và sản xuất linh kiện "
            "điện tử, trong đó có 4 dự án vốn nước ngoài.",
            "Ban Quản lý các khu công nghiệp tỉnh đã rút ngắn thời gian cấp giấy chứng nhận "
            "đầu tư xuống còn 10 ngày làm việc.",
            "Tỉnh tiếp tục đầu tư hạ tầng giao thông kết nối khu công nghiệp với quốc lộ và "
            "cảng biển để nâng sức hút với nhà đầu tư.",
        ],
        "routes": ["sitemap"],
    },
    {
        "id": "1218",
        "cat": "7",
        "title": "Hỗ trợ hơn 3.000 hộ nghèo đón Tết Ất Mùi",
        "lead": "Ủy ban Mặt trận Tổ quốc tỉnh phối hợp với các doanh nghiệp trao hơn 3.000 "
        "suất quà cho hộ nghèo và gia đình chính sách.",
        "dateline": "Cập nhật: 07:50 ngày 09/01/2015",
        "published": "2015-01-09T07:50:00+07:00",
        "byline": "ĐỖ THU TRANG",
        "authors": ["ĐỖ THU TRANG"],
        "source_line": None,
        "source": None,
        "paragraphs": [
            "Mỗi suất quà gồm tiền mặt, gạo và nhu yếu phẩm trị giá 500 nghìn đồng, được trao "
            "tận tay các hộ gia đình ở 10 huyện, thành phố.",
            "Các địa phương được yêu cầu rà soát kỹ danh sách, bảo đảm không để hộ nghèo nào "
            "không có Tết.",
            "Dịp này, nhiều đơn vị còn tổ chức khám bệnh, cấp thuốc miễn phí cho người dân "
            "vùng sâu, vùng xa.",
        ],
        "routes": ["other-news"],
    },
]


# CMS template bugs: rel=canonical to the home page, or to the detail URL without its id.
CANONICAL_BUG = {
    "1231": '\n<link rel="canonical" href="__BASE__/">',
    "1229": '\n<link rel="canonical" href="__BASE__/">',
    "1224": '\n<link rel="canonical" href="__BASE__/tin-tuc/chi-tiet">',
    "1230": '\n<link rel="canonical" href="__BASE__/tin-tuc/chi-tiet">',
}


def encode_cp1258(text: str) -> bytes:
    """Windows-1258 has few precomposed Vietnamese letters: decompose what does not fit."""
    out = bytearray()
    for ch in text:
        with contextlib.suppress(UnicodeEncodeError):
            out += ch.encode("cp1258")
            continue
        parts = unicodedata.normalize("NFD", ch)
        base, marks = parts[0], list(parts[1:])
        for i in range(len(marks)):
            head = unicodedata.normalize("NFC", base + marks[i])
            rest = "".join(marks[:i] + marks[i + 1 :])
            try:
                out += head.encode("cp1258") + rest.encode("cp1258")
                break
            except UnicodeEncodeError:
                continue
        else:
            out += f"&#{ord(ch)};".encode("ascii")
    return bytes(out)


def link(a: dict) -> str:
    return f"chi-tiet?id={a['id']}"


def page(body: str, canonical: str = "") -> str:
    menu = " | ".join(
        f'<a href="/tin-tuc/danh-sach?cm={k}">{html.escape(v)}</a>' for k, v in CATS.items()
    )
    return f"""<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=windows-1258">
<title>{PORTAL}</title>{canonical}
<link href="/css/portal.css" rel="stylesheet" type="text/css">
</head>
<body>
<table width="980" align="center" cellpadding="0" cellspacing="0" id="khung">
<tr><td colspan="2" class="banner"><img src="/images/banner.jpg" alt="{PORTAL}"></td></tr>
<tr><td colspan="2" class="menu"><a href="/">Trang chủ</a> | {menu} |
<a href="/tim-kiem?tu-khoa=">Tìm kiếm</a> | <a href="/quan-tri/dang-nhap">Đăng nhập</a></td></tr>
<tr><td width="200" valign="top" class="cot-trai">
<div class="box-lienket"><b>Liên kết website</b><br>
<a href="http://chinhphu.vn">Cổng TTĐT Chính phủ</a></div>
<div class="box-thongke">Lượt truy cập: 1.234.567<br>Đang trực tuyến: 42</div>
</td>
<td valign="top" class="cot-giua">
{body}
</td></tr>
<tr><td colspan="2" class="chan-trang">Cơ quan chủ quản: Ủy ban nhân dân tỉnh Sơn Nam.<br>
Địa chỉ: Số 1 đường Lê Lợi, thành phố Sơn Nam. Điện thoại: 0350.3841.234.<br>
Ghi rõ nguồn "{PORTAL}" khi phát hành lại thông tin từ website này.</td></tr>
</table>
</body>
</html>
"""


def article_html(a: dict) -> str:
    paras = "\n".join(f'<p align="justify">{html.escape(p)}</p>' for p in a["paragraphs"])
    closing = f'<p align="right"><b>{html.escape(a["byline"])}</b></p>'
    if a["source_line"]:
        closing += f'\n<p align="right"><i>{html.escape(a["source_line"])}</i></p>'
    older = [o for o in ARTICLES if o["routes"] == ["listing"] and o["id"] < a["id"]]
    older += [o for o in ARTICLES if "other-news" in o["routes"]]
    others = "\n".join(
        f'<tr><td>&#8226; <a href="{link(o)}">{html.escape(o["title"])}</a> '
        f'<span class="ngay">({o["published"][8:10]}/{o["published"][5:7]}/'
        f"{o['published'][:4]})</span></td></tr>"
        for o in older
        if o is not a
    )
    body = f"""<div class="duong-dan"><a href="/">Trang chủ</a> &raquo;
<a href="/tin-tuc/danh-sach?cm={a["cat"]}">{html.escape(CATS[a["cat"]])}</a></div>
<div class="ChiTiet">
<h2 class="TieuDe">{html.escape(a["title"])}</h2>
<div class="NgayDang">{html.escape(a["dateline"])}</div>
<div class="TomTat"><b>{html.escape(a["lead"])}</b></div>
<div class="NoiDung">
{paras}
{closing}
</div>
<div class="CongCu"><a href="javascript:window.print()">In trang</a> |
<a href="/tin-tuc/gui-email?id={a["id"]}" rel="nofollow">Gửi email</a> | <a href="#top">Về đầu trang</a></div>
</div>
<div class="TinKhac"><b>Các tin khác:</b>
<table width="100%">{others}</table></div>
"""
    return page(body, CANONICAL_BUG.get(a["id"], ""))


def pager_query(cat: str, n: int) -> str:
    return f"cm={cat}" if n == 1 else f"cm={cat}&amp;page={n}"


def listing_html(cat: str, items: list[dict], page_no: int, pages: int) -> str:
    rows = "\n".join(
        f'<tr><td class="stt">{i}</td><td><a class="tieude-ds" href="{link(a)}">'
        f"{html.escape(a['title'])}</a></td>"
        f'<td class="ngay">{a["published"][8:10]}/{a["published"][5:7]}/{a["published"][:4]}'
        "</td></tr>"
        for i, a in enumerate(items, 1)
    )
    nav = " ".join(
        f"<b>{n}</b>" if n == page_no else f'<a href="danh-sach?{pager_query(cat, n)}">{n}</a>'
        for n in range(1, pages + 1)
    )
    body = (
        f'<div class="TieuDeChuyenMuc">{html.escape(CATS[cat])}</div>\n'
        f'<table class="DanhSach" width="100%" border="1">\n'
        f"<tr><th>STT</th><th>Tiêu đề</th><th>Ngày đăng</th></tr>\n{rows}\n</table>\n"
        f'<div class="PhanTrang">Trang: {nav}</div>'
    )
    return page(body)


def home_html() -> str:
    items = [a for a in ARTICLES if a["routes"] == ["listing"]][:2]
    news = "\n".join(
        f'<tr><td><a href="/tin-tuc/{link(a)}">{html.escape(a["title"])}</a></td></tr>'
        for a in items
    )
    return page(f'<div class="TinMoi"><b>Tin mới</b><table>{news}</table></div>')


def sitemaps() -> tuple[str, bytes]:
    index = """<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>__BASE__/sitemaps/tin-tuc.xml.gz</loc><lastmod>2015-01-16</lastmod></sitemap>
</sitemapindex>
"""
    urls = "\n".join(
        f"<url><loc>__BASE__/tin-tuc/{link(a)}</loc><lastmod>{a['published'][:10]}</lastmod></url>"
        for a in ARTICLES
        if "sitemap" in a["routes"] or a["routes"] == ["listing"]
    )
    child = f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
{urls}
</urlset>
"""
    return index, gzip.compress(child.encode("utf-8"), mtime=0)


def write(out: Path, rel: str, data: str | bytes) -> None:
    path = out / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else encode_cp1258(data))


def main(out: Path = OUT) -> None:
    """Write the site (and expected.json) into ``out``."""
    if out.exists():
        shutil.rmtree(out)
    (out / "robots.txt").parent.mkdir(parents=True)
    (out / "robots.txt").write_text(
        "User-agent: *\nDisallow: /quan-tri/\nDisallow: /tim-kiem\nSitemap: __BASE__/sitemap.xml\n",
        encoding="ascii",
    )
    html_paths = ["/"]
    write(out, "index.html", home_html())
    for cat in CATS:
        mine = [a for a in ARTICLES if a["cat"] == cat]
        chunks = [
            [a for a in mine if "listing" in a["routes"]],
            [a for a in mine if "listing-page-2" in a["routes"]],
        ]
        pages = 2 if chunks[1] else 1
        for n in range(1, pages + 1):
            query = f"cm={cat}" if n == 1 else f"cm={cat}&page={n}"
            write(
                out, f"tin-tuc/danh-sach@{query}.html", listing_html(cat, chunks[n - 1], n, pages)
            )
            html_paths.append(f"/tin-tuc/danh-sach@{query}")
    for a in ARTICLES:
        write(out, f"tin-tuc/chi-tiet@id={a['id']}.html", article_html(a))
        html_paths.append(f"/tin-tuc/chi-tiet@id={a['id']}")
    index, child = sitemaps()
    (out / "sitemap.xml").write_text(index, encoding="utf-8")
    write(out, "sitemaps/tin-tuc.xml.gz", child)
    (out / "_site.json").write_text(json.dumps({"no_charset": html_paths}, indent=1) + "\n")
    expected = {
        "portal": PORTAL,
        "disallowed": ["/quan-tri/", "/tim-kiem"],
        "boilerplate": ["Các tin khác", "In trang", "Lượt truy cập", "Cơ quan chủ quản"],
        "articles": [
            {
                "path": f"/tin-tuc/{link(a)}",
                "file": f"tin-tuc/chi-tiet@id={a['id']}.html",
                "url": f"__BASE__/tin-tuc/{link(a)}",
                "title": a["title"],
                "lead": a["lead"],
                "published": a["published"],
                "authors": a["authors"],
                "source": a["source"],
                "language": "vi",
                "first_sentence": a["paragraphs"][0],
                "last_sentence": a["paragraphs"][-1],
                "routes": a["routes"],
            }
            for a in ARTICLES
        ],
    }
    (out / "expected.json").write_text(
        json.dumps(expected, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
