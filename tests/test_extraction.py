"""extract_article(): real Vietnamese pages, the seed article, decoding, listings."""

from __future__ import annotations

import pickle
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from extraction.article import (
    ExtractionError,
    Paragraph,
    clean_author,
    clean_paragraphs,
    decode_html,
    extract_article,
    is_standfirst,
    parse_html,
    source_from_line,
    split_credit,
    strip_site_suffix,
)
from vnnews.pagekind import is_article_page
from vnnews.profiles import ProfileRegistry, SiteProfile
from vnnews.urlcanon import is_template_canonical

HTML = Path(__file__).resolve().parent / "data" / "html"
FETCHED_AT = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
SEED = HTML / "nhandan" / "seed-post231845.html"
SEED_URL = (
    "https://nhandan.vn/van-phong-chinh-phu-can-lam-tot-hon-cong-tac-to-chuc-thuc-hien"
    "-cac-chuong-trinh-cua-chinh-phu-post231845.html"
)
CAPTION_START = "Thủ tướng Nguyễn Tấn Dũng trao Huân chương Lao động"


@pytest.fixture(scope="module")
def registry() -> ProfileRegistry:
    return ProfileRegistry.load()


def extract(body: bytes | str, url: str, profile: SiteProfile | None, **kw: Any) -> dict[str, Any]:
    return extract_article(body, url, fetched_at=FETCHED_AT, profile=profile, **kw)


# --- the seed article ------------------------------------------------------------------------


@pytest.mark.parametrize("with_profile", [True, False], ids=["profile", "generic"])
def test_seed_article(registry: ProfileRegistry, with_profile: bool) -> None:
    profile = registry.for_url(SEED_URL) if with_profile else None
    record = extract(SEED.read_bytes(), SEED_URL, profile)
    text = record["text"]
    assert "Đảng" in text and "\u00d0" not in text, "Ð (U+00D0) must become Đ (U+0110)"
    assert "\u00a0" not in text and "\u00a0" not in record["lead"]
    assert unicodedata.is_normalized("NFC", text)
    assert record["source"] == "Nhandan.vn"
    assert text.endswith("cải thiện đời sống cán bộ nhân viên.")
    assert "Theo Nhandan.vn" not in text, "the attribution line moves to `source`"
    assert CAPTION_START not in text and "ĐỨC TÁM" not in text
    assert record["title"] == (
        "Văn phòng Chính phủ cần làm tốt hơn công tác tổ chức thực hiện các chương trình "
        "của Chính phủ"
    )
    assert not text.startswith(record["lead"][:40]), "the sapo is not repeated in the text"
    assert text.startswith("Thủ tướng Nguyễn Tấn Dũng biểu dương")
    assert "\n\n" in text and "\n\n\n" not in text
    assert text.count("\n\n") == 1  # two paragraphs (the first one is the sapo)
    if with_profile:
        assert record["site"] == "nhandan"
        image = record["images"][0]
        assert (
            image["url"] == "https://cdn.nhandan.vn/images/seed/thu-tuong-trao-huan-chuong-2015.jpg"
        )
        assert image["caption"].startswith(CAPTION_START)
        assert image["credit"] == "ĐỨC TÁM (TTXVN)"
    assert record["authors"] == []  # "Báo Nhân Dân điện tử" is the site, not an author


def test_seed_loose_caption_paragraph_goes_to_the_image(registry: ProfileRegistry) -> None:
    """Migrated old pages put the caption in a plain <p> under the picture."""
    html = SEED.read_text(encoding="utf-8")
    start, end = html.index("<figure"), html.index("</figure>") + len("</figure>")
    figure = html[start:end]
    img = figure[figure.index("<img") : figure.index(">", figure.index("<img")) + 1]
    caption = figure[figure.index("<p>") : figure.index("</p>") + 4]
    html = html[:start] + f'<p style="text-align:center">{img}</p>{caption}' + html[end:]
    record = extract(html, SEED_URL, registry.for_url(SEED_URL))
    assert CAPTION_START not in record["text"]
    assert record["images"][0]["caption"].startswith(CAPTION_START)
    assert record["images"][0]["credit"] == "ĐỨC TÁM (TTXVN)"


# --- decoding ------------------------------------------------------------------------------------


def to_cp1258(text: str) -> bytes:
    """Encode like a legacy Vietnamese page: base letter + combining tone mark."""
    tones = "\u0300\u0301\u0303\u0309\u0323"
    out = bytearray()
    for char in unicodedata.normalize("NFC", text):
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", char)
            tone = "".join(c for c in parts if c in tones)
            base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
            out += (base + tone).encode("cp1258")
    return bytes(out)


def test_windows_1258_page_decodes_to_nfc(registry: ProfileRegistry) -> None:
    utf8 = SEED.read_text(encoding="utf-8").replace('<meta charset="utf-8">', "")
    utf8 = utf8.replace("\u00d0", "\u0110")  # windows-1258 has no eth
    legacy = to_cp1258(utf8)
    assert legacy.decode("cp1258") != utf8  # combining marks: not NFC as decoded
    profile = registry.for_url(SEED_URL)
    expected = extract(utf8, SEED_URL, profile)
    got = extract(
        legacy, SEED_URL, profile, headers={"Content-Type": ["text/html; charset=windows-1258"]}
    )
    assert got["text"] == expected["text"]
    assert got["title"] == expected["title"]
    assert got["text_digest"] == expected["text_digest"]


def test_meta_charset_is_used_when_http_is_silent() -> None:
    html = "<html><head><meta charset='windows-1258'></head><body><p>Đại hội Đảng</p></body></html>"
    assert decode_html(to_cp1258(html)) == unicodedata.normalize("NFC", html)


def test_wrong_charset_label_on_utf8_bytes() -> None:
    html = "<html><head><meta charset='iso-8859-1'></head><body><p>Tiếng Việt</p></body></html>"
    headers = {b"Content-Type": [b"text/html; charset=windows-1258"]}
    assert decode_html(html.encode("utf-8"), headers, "cp1252") == html


def test_decomposed_utf8_and_bom() -> None:
    text = unicodedata.normalize("NFD", "<p>Nguyễn Tấn Dũng</p>")
    assert decode_html(b"\xef\xbb\xbf" + text.encode("utf-8")) == "<p>Nguyễn Tấn Dũng</p>"


def test_undeclared_legacy_bytes_do_not_crash() -> None:
    body = "<html><body><p>Café crème brûlée à la carte</p></body></html>".encode("cp1252")
    assert "Caf" in decode_html(body)


# --- real pages ------------------------------------------------------------------------------

REAL = {
    "nhandan/article-post976641-world-cup-2026-final.html": (
        "https://nhandan.vn/danh-bai-argentina-tay-ban-nha-vo-dich-world-cup-lan-thu-hai-post976641.html",
        "Đánh bại Argentina, Tây Ban Nha vô địch World Cup lần thứ hai",
        ["TP"],
    ),
    "tuoitre/article-meth04.html": (
        "https://tuoitre.vn/chien-su-day-gia-hoa-nhap-khau-dip-8-3-tang-manh-20260307075519174.htm",
        "Chiến sự đẩy giá hoa nhập khẩu dịp 8-3 tăng mạnh",
        ["NHẬT XUÂN", "NGHI VŨ"],
    ),
    "vnexpress/article-meth04.html": (
        "https://vnexpress.net/cach-cac-nuoc-doi-pho-cu-soc-nang-luong-tu-trung-dong-5047363.html",
        "Cách các nước đối phó cú sốc năng lượng từ Trung Đông",
        ["Hà Thu"],
    ),
    "dantri/article-meth04.html": (
        "https://dantri.com.vn/kinh-doanh/gia-vang-giam-van-cao-hon-the-gioi-gan-20-trieu-dongluong-20260307080054340.htm",
        "Giá vàng giảm, vẫn cao hơn thế giới gần 20 triệu đồng/lượng",
        ["Tri Túc"],
    ),
    "cafef/article-batdongsan-meth04.html": (
        "https://cafef.vn/tang-ho-tro-giam-ap-luc-tai-chinh-khi-chuyen-muc-dich-su-dung-dat-188260307071033787.chn",
        "Tăng hỗ trợ, giảm áp lực tài chính khi chuyển mục đích sử dụng đất",
        ["Hồ Hương"],
    ),
    "vietnamnet/article-meth04.html": (
        "https://vietnamnet.vn/co-phieu-flc-duoc-giao-dich-tro-lai-2495349.html",
        "Cổ phiếu FLC được giao dịch trở lại",
        ["Duy Anh"],
    ),
}
NEVER_IN_TEXT = ("Xem thêm", "Đọc thêm", "Tin liên quan", "Bình luận", "\u00a0", "\u00d0")


@pytest.mark.parametrize("relpath", sorted(REAL))
def test_real_page_with_profile(registry: ProfileRegistry, relpath: str) -> None:
    url, title, authors = REAL[relpath]
    record = extract((HTML / relpath).read_bytes(), url, registry.for_url(url))
    assert record["title"] == title
    assert record["authors"] == authors
    assert record["language"] == "vi"
    assert record["site"] == registry.for_url(url).name  # type: ignore[union-attr]
    assert record["canonical_url"].startswith("https://")
    for snippet in NEVER_IN_TEXT:
        assert snippet not in record["text"], snippet
    assert not record["text"].startswith(title)
    assert record["lead"] and not record["text"].startswith(record["lead"][:50])
    assert len(record["text"].split()) > 150
    assert all(i["url"].startswith("https://") for i in record["images"])
    assert all(
        not (i["caption"] or "") or i["caption"] not in record["text"] for i in record["images"]
    )


def test_nhandan_inline_links_survive_remove_selectors(registry: ProfileRegistry) -> None:
    """`.cms-relate` is an inline link inside a sentence: the words stay."""
    relpath = "nhandan/article-post976641-world-cup-2026-final.html"
    url = REAL[relpath][0]
    record = extract((HTML / relpath).read_bytes(), url, registry.for_url(url))
    assert record["text"].startswith(
        "Đây là chức vô địch World Cup thứ hai trong lịch sử của bóng đá Tây Ban Nha"
    )
    assert record["images"][0]["credit"] == "FIFA"
    assert "Tây Ban Nha: Unai Simon" not in record["text"]  # the .notebox line-up box


def test_jsonld_author_entities_decoded_without_profile() -> None:
    relpath = "tuoitre/article-meth04.html"
    record = extract((HTML / relpath).read_bytes(), REAL[relpath][0], None)
    assert "NHẬT XUÂN" in record["authors"]
    assert all("&#" not in a for a in record["authors"])
    assert record["publisher"] and "TUOI TRE" in record["publisher"].upper()


def test_generic_path_strips_site_suffix_from_title() -> None:
    relpath = "nhandan/article-post976641-world-cup-2026-final.html"
    record = extract((HTML / relpath).read_bytes(), REAL[relpath][0], None)
    assert record["title"] == REAL[relpath][1]
    assert record["site"] is None
    assert record["publisher"] == "Báo Nhân Dân điện tử"
    assert record["tags"][:2] == ["World Cup", "World Cup 2026"]


def test_record_is_deterministic_and_picklable(registry: ProfileRegistry) -> None:
    body = SEED.read_bytes()
    first = extract(body, SEED_URL, registry.for_url(SEED_URL))
    second = extract(body, SEED_URL + "?utm_source=x", registry.for_url(SEED_URL))
    assert first["id"] == second["id"], "same canonical URL and text -> same id"
    assert first["text_digest"].startswith("sha1:") and len(first["text_digest"]) == 37
    assert pickle.loads(pickle.dumps(first)) == first
    assert {"warc", "version", "previous"}.isdisjoint(first)
    changed = extract(body.replace("cải thiện đời sống".encode(), b"x"), SEED_URL, None)
    assert changed["id"] != first["id"]


# --- not articles ------------------------------------------------------------------------------


LISTING_URLS = {
    "baochinhphu": "https://baochinhphu.vn/chinh-sach-va-cuoc-song/chinh-sach-moi.htm",
    "baodautu": "https://baodautu.vn/tai-chinh-chung-khoan-d6/",
    "cafef": "https://cafef.vn/thi-truong-chung-khoan.chn",
    "dantri": "https://dantri.com.vn/kinh-doanh.htm",
    "nld": "https://nld.com.vn/kinh-te.htm",
    "tuoitre": "https://tuoitre.vn/kinh-doanh.htm",
    "vietnamnet": "https://vietnamnet.vn/kinh-doanh",
    "vnexpress": "https://vnexpress.net/kinh-doanh",
}


LISTING_PAGES = {
    **{f"{site}/list-meth04.html": url for site, url in LISTING_URLS.items()},
    "dantri/home-2019-son601008.html": "https://dantri.com.vn/",
}


@pytest.mark.parametrize("relpath", sorted(LISTING_PAGES))
def test_listing_pages_are_not_articles(relpath: str) -> None:
    tree = parse_html(decode_html((HTML / relpath).read_bytes()))
    assert is_article_page(tree, LISTING_PAGES[relpath]) is False


@pytest.mark.parametrize("site", sorted(LISTING_URLS))
def test_listing_page_of_a_known_site_raises(registry: ProfileRegistry, site: str) -> None:
    url = LISTING_URLS[site]
    body = next((HTML / site).glob("list-*.html")).read_bytes()
    with pytest.raises(ExtractionError, match="listing"):
        extract(body, url, registry.for_url(url))


@pytest.mark.parametrize("relpath", sorted(REAL))
def test_article_pages_are_articles(relpath: str) -> None:
    tree = parse_html(decode_html((HTML / relpath).read_bytes()))
    assert is_article_page(tree, REAL[relpath][0]) is True


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   ",
        b"<html><body><p>Trang kh\xc3\xb4ng t\xe1\xbb\x93n t\xe1\xba\xa1i</p></body></html>",
    ],
)
def test_no_article_content_raises(body: bytes) -> None:
    with pytest.raises(ExtractionError):
        extract(body, "https://nhandan.vn/404", None)


# --- helpers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Đánh bại Argentina - Báo Nhân Dân điện tử", "Đánh bại Argentina"),
        ("Cách các nước đối phó | VnExpress", "Cách các nước đối phó"),
        ("Giá vàng giảm - Kinh doanh - Báo Dân trí", "Giá vàng giảm - Kinh doanh"),
        ("Chiến tranh Iran - Israel leo thang", "Chiến tranh Iran - Israel leo thang"),
    ],
)
def test_strip_site_suffix(title: str, expected: str) -> None:
    assert (
        strip_site_suffix(title, ["Báo Nhân Dân điện tử", "vnexpress.net", "Dân trí"]) == expected
    )


@pytest.mark.parametrize(
    ("caption", "expected"),
    [
        (
            "Thủ tướng trao Huân chương. Ảnh: ĐỨC TÁM (TTXVN)",
            ("Thủ tướng trao Huân chương.", "ĐỨC TÁM (TTXVN)"),
        ),
        ("Ferran Torres ghi bàn. (Ảnh: FIFA)", ("Ferran Torres ghi bàn.", "FIFA")),
        ("Một dự án của FLC. Ảnh: Hồng Khanh", ("Một dự án của FLC.", "Hồng Khanh")),
        ("Ảnh minh hoạ", ("Ảnh minh hoạ", None)),
    ],
)
def test_split_credit(caption: str, expected: tuple[str | None, str | None]) -> None:
    assert split_credit(caption) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Bài và ảnh: MINH ANH", "MINH ANH"),
        ("Theo Hồ Hương", "Hồ Hương"),
        ("Theo Nhandan.vn", None),
        ("Hà Thu (tổng hợp)", "Hà Thu"),
        ("Báo Nhân Dân điện tử", None),
        ("VCCorp.vn", None),
        ("NH&#7852;T XUÂN", "NHẬT XUÂN"),
    ],
)
def test_clean_author(raw: str, expected: str | None) -> None:
    assert clean_author(raw, ["Báo Nhân Dân điện tử"]) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Theo Nhandan.vn", "Nhandan.vn"),
        ("(Theo TTXVN)", "TTXVN"),
        ("Nguồn: Reuters", "Reuters"),
        ("THEO VNA", "VNA"),
        ("Theo nhandan.vn", "nhandan.vn"),
        ("Theo đó, giá vàng tiếp tục tăng.", None),
        ("Theo tôi thấy vậy", None),
        ("Theo báo cáo của Bộ Tài chính, lạm phát giảm", None),
    ],
)
def test_source_from_line(line: str, expected: str | None) -> None:
    assert source_from_line(line) == expected


def test_generic_path_peels_closing_byline_and_source() -> None:
    body = "".join(
        f"<p>Đoạn văn số {i} nói về giá vàng trong nước, thị trường và các nhà đầu tư lớn.</p>"
        for i in range(6)
    )
    html = (
        "<html lang='vi'><head><title>Giá vàng tăng - Báo Mẫu</title></head><body>"
        f"<article><h1>Giá vàng tăng</h1>{body}"
        "<p>Hà Thu (tổng hợp)</p><p>Theo VnExpress</p></article></body></html>"
    )
    record = extract(html, "https://example.vn/gia-vang-tang.html", None)
    assert record["authors"] == ["Hà Thu"]
    assert record["source"] == "VnExpress"
    assert record["text"].endswith("các nhà đầu tư lớn.")
    assert record["title"] == "Giá vàng tăng"
    assert record["language"] == "vi"


def test_english_page_is_english_and_keeps_eth() -> None:
    body = "".join(
        f"<p>Paragraph {i}: the minister said on Tuesday that Guðrún will lead the talks.</p>"
        for i in range(6)
    )
    html = f"<html><head><title>Talks</title></head><body><article>{body}</article></body></html>"
    record = extract(html, "https://example.com/talks", None)
    assert record["language"] == "en"
    assert "Guðrún" in record["text"]


SAMPLE_SEED = (
    Path(__file__).resolve().parent
    / "sites"
    / "nhandan"
    / "van-phong-chinh-phu-can-lam-tot-hon-cong-tac-to-chuc-thuc-hien-cac-chuong-trinh-cua-chinh-phu-post223551.html"
)


@pytest.mark.skipif(not SAMPLE_SEED.exists(), reason="sample nhandan site not built")
def test_seed_article_on_the_sample_site(registry: ProfileRegistry) -> None:
    """The seed as the sample site serves it at its -post…html URL."""
    url = "https://nhandan.vn/" + SAMPLE_SEED.name
    body = SAMPLE_SEED.read_bytes().replace(b"__BASE__", b"https://nhandan.vn")
    assert "\u00d0".encode() in body and b"\xc2\xa0" in body  # the raw page has both
    record = extract(body, url, registry.for_url(url))
    text = record["text"]
    assert "\u00d0" not in text and "Đảng" in text
    assert "\u00a0" not in text and unicodedata.is_normalized("NFC", text)
    assert record["source"] == "Nhandan.vn"
    assert CAPTION_START not in text
    assert record["images"][0]["caption"].startswith(CAPTION_START)
    assert record["images"][0]["credit"] == "ĐỨC TÁM (TTXVN)"


# --- never-seen sites: template canonicals, photo bylines, description leads -------------------

SITES = Path(__file__).resolve().parent / "sites"
BASE = "http://127.0.0.1:8123"


def fixture_page(site: str, name: str) -> bytes:
    """A page of a never-seen fixture site as served (``__BASE__`` filled in)."""
    return (SITES / site / name).read_bytes().replace(b"__BASE__", BASE.encode("ascii"))


@pytest.mark.parametrize(
    ("page_url", "canonical", "template"),
    [
        ("https://t.vn/tin-tuc/chi-tiet?id=1224", "https://t.vn/tin-tuc/chi-tiet", True),
        ("https://t.vn/tin-tuc/chi-tiet?id=1224", "https://t.vn/", True),
        (
            "https://t.vn/News/Detail.aspx?ItemID=45&cat=2",
            "https://t.vn/News/Detail.aspx?cat=2",
            True,
        ),
        ("https://t.vn/tin/123456", "https://www.t.vn/tin/", True),
        ("https://t.vn/kinh-te/gia-vang-tang-123456.html", "http://t.vn/kinh-te", True),
        ("https://t.vn/", "https://t.vn/", False),
        ("https://t.vn/tin-tuc/chi-tiet?id=1224", "https://t.vn/tin-tuc/chi-tiet?id=1224", False),
        ("https://t.vn/a-123456.html?utm_source=fb", "https://www.t.vn/a-123456.html", False),
        ("https://t.vn/amp/a-123456.html", "https://t.vn/a-123456.html", False),
        ("https://t.vn/danh-sach?cm=5&page=2", "https://t.vn/danh-sach?cm=5", False),
        ("https://t.vn/a-123456.html?ref=20251119", "https://t.vn/a-123456.html", False),
        ("https://t.vn/?p=4521", "https://t.vn/", True),
        ("https://t.vn/?p=4521", "https://t.vn/?p=4521", False),
        ("https://t.vn/index.php?p=4521", "https://t.vn/index.php", True),
        ("https://t.vn/tin-tuc/chi-tiet?id=1224", "https://other.vn/tin-tuc/chi-tiet", False),
    ],
)
def test_template_canonicals(page_url: str, canonical: str, template: bool) -> None:
    assert is_template_canonical(page_url, canonical) is template


def test_template_canonical_without_the_id_is_not_the_articles() -> None:
    """unseen_tinh: every detail page says rel=canonical …/tin-tuc/chi-tiet (the id dropped)."""
    urls = {}
    for article_id in (1224, 1230):
        url = f"{BASE}/tin-tuc/chi-tiet?id={article_id}"
        body = fixture_page("unseen_tinh", f"tin-tuc/chi-tiet@id={article_id}.html")
        assert f'rel="canonical" href="{BASE}/tin-tuc/chi-tiet"'.encode() in body
        urls[article_id] = extract(body, url, None)["canonical_url"]
    assert urls == {i: f"{BASE}/tin-tuc/chi-tiet?id={i}" for i in (1224, 1230)}


def test_closing_photo_byline_is_a_byline_not_a_caption() -> None:
    """The bold, right-aligned "Tin, ảnh: TRẦN THỊ HOA" ends unseen_tinh's ?id=1229."""
    body = fixture_page("unseen_tinh", "tin-tuc/chi-tiet@id=1229.html")
    record = extract(body, f"{BASE}/tin-tuc/chi-tiet?id=1229", None)
    assert record["authors"] == ["TRẦN THỊ HOA"]
    assert record["text"].endswith("để phát huy hiệu quả lâu dài.")


@pytest.mark.parametrize(
    ("line", "authors"),
    [
        ("Tin, ảnh: TRẦN THỊ HOA", ["TRẦN THỊ HOA"]),
        ("Bài và ảnh: MINH ANH", ["MINH ANH"]),
        ("Tin và ảnh: Lê Phương", ["Lê Phương"]),
        ("Bài, ảnh: HOÀNG LONG", ["HOÀNG LONG"]),
        ("Bài: MINH ANH - Ảnh: HOÀNG LONG", ["MINH ANH", "HOÀNG LONG"]),
        ("Tin: Hà Thu", ["Hà Thu"]),
        ("Nhóm PV: Hà Thu, Lê Phương", ["Hà Thu", "Lê Phương"]),
        ("Nhóm PV", []),  # a byline that names no one: peeled off, no author
    ],
)
def test_photo_bylines_on_the_closing_line(line: str, authors: list[str]) -> None:
    paragraphs = [
        Paragraph("Cầu Bến Đình dài 240 mét, rộng 9 mét, được thiết kế theo tiêu chuẩn cầu mới."),
        Paragraph("Cầu mới nối hai huyện miền núi. Ảnh: TRẦN HOA"),  # a loose caption
        Paragraph("Người dân hai bên bờ sông không còn phải đi đò ngang như trước đây."),
        Paragraph(line, bold=True, right=True),
    ]
    body = clean_paragraphs(paragraphs, title="Khánh thành cầu", lead="", vietnamese=True)
    assert body.bylines == [line]
    assert body.captions == ["Cầu mới nối hai huyện miền núi. Ảnh: TRẦN HOA"]
    html = "".join(f"<p>{p.text}</p>" for p in paragraphs[:3]) * 3
    page = f"<html lang='vi'><body><article><h1>Khánh thành cầu</h1>{html}<p><b>{line}</b></p>"
    record = extract(page + "</article></body></html>", "https://t.vn/cau-123456.html", None)
    assert record["authors"] == authors


def test_excerpt_equal_to_the_meta_description_is_the_lead() -> None:
    """unseen_tapchi's English article: p.post-excerpt = <meta name=description>."""
    name = "bai-viet/hanoi-bans-single-use-plastic-bags-at-traditional-markets"
    record = extract(fixture_page("unseen_tapchi", f"{name}.html"), f"{BASE}/{name}", None)
    excerpt = (
        "From January, vendors at 20 traditional markets in Hanoi will no longer be allowed "
        "to hand out free single-use plastic bags."
    )
    assert record["language"] == "en"
    assert record["lead"] == excerpt
    assert record["text"].startswith("The city's environment department said the pilot")
    assert excerpt not in record["text"]


def _gold_page(head: str, first: str, standfirst: str = "") -> str:
    body = "".join(
        f"<p>Đoạn {i} nói về thị trường vàng và các nhà đầu tư trong nước.</p>" for i in range(6)
    )
    return (
        f"<html lang='vi'><head>{head}</head><body><article><h1>Giá vàng tăng</h1>"
        f"{standfirst}<p>{first}</p>{body}</article></body></html>"
    )


GOLD_FIRST = "Giá vàng trong nước sáng nay tăng mạnh, vượt mốc 90 triệu đồng mỗi lượng."
GOLD_STATED = GOLD_FIRST.upper().rstrip(".")  # equal after normalisation (case, punctuation)
GOLD_HEADS = {
    "meta": f'<meta name="description" content="{GOLD_STATED}">',
    "og": f'<meta property="og:description" content="{GOLD_STATED}">',
    "jsonld": '<script type="application/ld+json">{"@type": "NewsArticle", '
    f'"description": "{GOLD_STATED}"}}</script>',
}


@pytest.mark.parametrize("where", ["meta", "og", "jsonld"])
def test_first_of_a_run_of_paragraphs_equal_to_the_description_stays_in_the_text(
    where: str,
) -> None:
    """Many sites copy their first body paragraph into the description: a plain <p> followed
    by sibling <p>s is body text, and the lead does not repeat it (null)."""
    record = extract(
        _gold_page(GOLD_HEADS[where], GOLD_FIRST), "https://t.vn/gia-123456.html", None
    )
    assert record["text"].startswith(GOLD_FIRST + "\n\nĐoạn 0 nói về thị trường vàng")
    assert record["lead"] is None


def test_a_description_that_differs_from_the_first_paragraph_is_still_the_lead() -> None:
    head = '<meta name="description" content="Tin kinh tế mới nhất.">'
    record = extract(_gold_page(head, GOLD_FIRST), "https://t.vn/gia-123456.html", None)
    assert record["text"].startswith(GOLD_FIRST) and record["lead"] == "Tin kinh tế mới nhất."


@pytest.mark.parametrize(
    "markup",
    [
        '<h2 class="article-subline">{}</h2>',  # another tag than the body paragraphs
        '<p class="strapline">{}</p>',  # a standfirst class
        '<div class="articleSummary"><p>{}</p></div>',  # on a wrapper, camelCase
        "<div><p>{}</p></div>",  # no sibling with its tag follows it
    ],
)
def test_a_standfirst_equal_to_the_description_is_the_lead(markup: str) -> None:
    html = _gold_page(GOLD_HEADS["og"], "Đoạn mở đầu của bài báo về giá vàng.", "")
    html = html.replace("<p>Đoạn mở đầu của bài báo về giá vàng.</p>", markup.format(GOLD_FIRST))
    record = extract(html, "https://t.vn/gia-vang-123456.html", None)
    assert record["lead"] == GOLD_FIRST
    assert record["text"].startswith("Đoạn 0 nói về thị trường vàng")
    assert GOLD_FIRST not in record["text"]


def test_is_standfirst_on_the_element_holding_the_text() -> None:
    tree = parse_html(
        "<html><body><article><p class='post-excerpt'>Tóm tắt bài.</p><div>"
        "<p>Một.</p><p>Hai.</p></div><p>Đầu tiên.</p><p>Tiếp theo.</p></article></body></html>"
    )
    assert is_standfirst(tree, "Tóm tắt bài")
    assert not is_standfirst(tree, "Đầu tiên.")  # the first of a run of <p>
    assert not is_standfirst(tree, "Không có trên trang.")  # no element holds it


def test_a_link_farm_is_refused_before_it_is_parsed() -> None:
    """A page with a million links is not read: parsing it would cost gigabytes."""
    import resource

    from extraction.article import MAX_LINKS, ExtractionError, extract_article

    links = "".join(f'<a href="/p/{i}">tin {i}</a> ' for i in range(MAX_LINKS + 1))
    page = f"<html><head><title>x</title></head><body><article>{links}</article></body></html>"
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(ExtractionError, match="link farm"):
        extract_article(page.encode(), "https://t.vn/x", fetched_at=datetime.now(UTC), profile=None)
    grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kb < 50_000, f"refusing the page grew memory by {grown_kb} KB"
