"""Record normalisation: NFC, Ð -> Đ in Vietnamese only, spaces, paragraphs."""

from __future__ import annotations

import unicodedata

import pytest

from extraction.normalise import (
    is_vietnamese_language,
    looks_vietnamese,
    normalise_line,
    normalise_record,
    normalise_text,
)


def test_decomposed_text_comes_out_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "Thủ tướng Nguyễn Tấn Dũng")
    assert decomposed != "Thủ tướng Nguyễn Tấn Dũng"
    out = normalise_line(decomposed)
    assert out == "Thủ tướng Nguyễn Tấn Dũng"
    assert unicodedata.is_normalized("NFC", out)


def test_eth_becomes_d_with_stroke_in_vietnamese() -> None:
    assert normalise_line("Ðại hội Ðảng, ðồng chí") == "Đại hội Đảng, đồng chí"
    assert "\u00d0" not in normalise_text("Văn phòng T.Ư Ðảng\n\nÐề cập")


def test_eth_survives_outside_vietnamese() -> None:
    icelandic = "Ðað er gott veður í dag, sagði Jón."
    assert normalise_line(icelandic, vietnamese=False) == icelandic
    record = normalise_record({"language": "is", "title": "Guðrún", "text": icelandic})
    assert record["title"] == "Guðrún"
    assert record["text"] == icelandic


def test_spaces_nbsp_and_zero_width() -> None:
    raw = "Thứ năm,\u00a0 06/05/2021\u202fgiờ\u2007x\u200by\ufeffz\u00ad"
    assert normalise_line(raw) == "Thứ năm, 06/05/2021 giờ xyz"
    assert normalise_line("  a \t\n b  ") == "a b"


def test_paragraph_structure_is_kept() -> None:
    raw = "  Đoạn một.\u00a0\n\n\u00a0\n \n\nĐoạn  hai,\ndòng hai.\r\n\r\n\r\nĐoạn ba. "
    assert normalise_text(raw) == "Đoạn một.\n\nĐoạn hai,\ndòng hai.\n\nĐoạn ba."
    assert normalise_text("") == ""
    assert normalise_text(None) == ""


def test_zwj_kept_outside_vietnamese() -> None:
    emoji = "👩\u200d💻"
    assert normalise_line(emoji, vietnamese=False) == emoji


@pytest.mark.parametrize(
    ("language", "expected"),
    [("vi", True), ("vi-VN", True), ("vi_VN", True), ("VI", True), ("en", False), (None, False)],
)
def test_is_vietnamese_language(language: str | None, expected: bool) -> None:
    assert is_vietnamese_language(language) is expected


def test_looks_vietnamese() -> None:
    assert looks_vietnamese("Thủ tướng đặc biệt nhấn mạnh, là năm cuối của Kế hoạch 5 năm")
    assert not looks_vietnamese("The Prime Minister stressed that this is the final year")
    assert not looks_vietnamese("Ça coûte très cher, dit-elle à l'hôtel")
    assert not looks_vietnamese("")


def test_normalise_record_fields() -> None:
    record = {
        "language": "vi",
        "title": " Ðánh bại\u00a0Argentina ",
        "lead": None,
        "text": "Ðoạn 1\n\n\n\nÐoạn 2",
        "authors": ["TRẦN HẢI", "Trần\u00a0Hải", " "],
        "tags": ["World\u00a0Cup", "world cup"],
        "categories": [],
        "images": [{"url": "https://x.vn/a.jpg", "caption": "Ảnh\u00a0: Ð", "credit": None}],
        "source": "Nhandan.vn ",
        "published": "2015-01-15T20:10:00+07:00",
    }
    out = normalise_record(record)
    assert out["title"] == "Đánh bại Argentina"
    assert out["lead"] is None
    assert out["text"] == "Đoạn 1\n\nĐoạn 2"
    assert out["authors"] == ["TRẦN HẢI"]  # case-insensitive duplicates dropped
    assert out["tags"] == ["World Cup"]
    assert out["images"] == [{"url": "https://x.vn/a.jpg", "caption": "Ảnh : Đ", "credit": None}]
    assert out["source"] == "Nhandan.vn"
    assert out["published"] == record["published"]
    assert record["title"] == " Ðánh bại\u00a0Argentina "  # input left alone
