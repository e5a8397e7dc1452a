"""bench/eval_vndev.py: the vn-dev split and the scoring rules of ``make eval``'s section 4."""

from __future__ import annotations

import pytest

from bench.eval_vndev import (
    DETAIL_GROUPS,
    GROUPS,
    Output,
    Page,
    contains,
    host,
    load_devpages,
    load_pages,
    load_split,
    load_unseen,
    match_key,
    minute_ok,
    norm,
    real_site_group,
    score_page,
    sentences,
)


def test_split_holds_out_whole_sites_and_at_least_a_third() -> None:
    split = load_split()
    pages = load_pages(split=split)
    held = [p for p in pages if p.group == "held-out"]
    assert 3 * len(held) >= len(pages)
    dev_hosts = {host(p.gold["url"]) for p in pages if p.group == "dev"}
    held_hosts = {host(p.gold["url"]) for p in held}
    assert not dev_hosts & held_hosts, "a site is in both groups"
    assert dev_hosts <= set(split.dev_hosts)
    assert {p.file for p in held} == set(split.heldout_files)


def test_a_page_added_later_is_held_out() -> None:
    split = load_split()
    assert split.group("99-new-2026-page.html", "https://genk.vn/x.chn") == "held-out"
    assert split.group(split.dev_files[0], "https://unknown.vn/") == "held-out"


def test_devpages_and_realpages_follow_the_site_rule() -> None:
    """bench/devpages holds only sites the rule gives to development, bench/realpages only
    sites it holds out, and no site is in both (bench/realpages/README.md, "Split")."""
    dev = load_devpages()
    unseen = load_unseen()
    assert unseen, "bench/realpages has no pages"
    assert {p.group for p in dev} <= {"dev-2"} and {p.group for p in unseen} == {"unseen"}
    dev_sites = {host(p.gold["url"]) for p in dev}
    unseen_sites = {host(p.gold["url"]) for p in unseen}
    assert not dev_sites & unseen_sites, "a site is in both groups"
    for site in dev_sites:
        assert real_site_group(site) == "dev-2", site
    for site in unseen_sites:
        assert real_site_group(site) == "unseen", site
    held = {host(p.gold["url"]) for p in load_pages() if p.group == "held-out"}
    assert not dev_sites & held, "a vn-dev held-out site is in bench/devpages"
    files = [p.file for p in [*dev, *unseen]]
    assert len(files) == len(set(files))


def test_site_rule() -> None:
    assert real_site_group("tienphong.vn") == "unseen"  # bench/realpages before the rule
    assert real_site_group("soha.vn") == "unseen"  # vn-dev held-out
    assert real_site_group("genk.vn") == "dev-2"  # vn-dev development
    assert real_site_group("nhandan.vn") == "dev-2"  # sha256 starts with 0
    assert real_site_group("voz.vn") == "unseen"  # sha256 starts with e
    assert GROUPS.index("dev-2") < GROUPS.index("unseen")
    assert "dev-2" in DETAIL_GROUPS and "unseen" not in DETAIL_GROUPS


def test_norm_nfc_eth_zero_width_whitespace() -> None:
    decomposed = "Đa\u0300 Na\u0306\u0303ng"  # NFD: a + breve + tilde
    assert norm(decomposed) == "Đà Nẵng"
    assert norm("\u00d0à\u00a0N\u200bẵng\n\t city ") == "Đà Nẵng city"
    assert norm("ð") == "đ"


def test_contains_ignores_space_around_punctuation_not_words() -> None:
    body = match_key("Giá vàng tăng ( mạnh ) , theo PNJ .")
    assert contains(body, "Giá vàng tăng (mạnh), theo PNJ.")
    assert not contains(body, "Giá vàng giảm")
    assert not contains(body, "")
    assert not contains(match_key("&amp; co"), "& co")  # no unescaping of the output


def test_sentences() -> None:
    text = (
        "Ông A nói với phóng viên. TP. HCM mưa to suốt đêm qua! 3 người bị thương nhẹ… "
        "“Vậy sao?” Ông B hỏi lại. Hết."
    )
    assert sentences(text) == [
        "Ông A nói với phóng viên.",
        "TP. HCM mưa to suốt đêm qua!",  # no split after the abbreviation "TP."
        "3 người bị thương nhẹ… “Vậy sao?”",  # pieces under three words join the previous one
        "Ông B hỏi lại. Hết.",
    ]
    # no split before a lower-case letter, nor inside numbers
    assert sentences("giá 40.900 đồng/cp. vùng đáy") == ["giá 40.900 đồng/cp. vùng đáy"]


@pytest.mark.parametrize(
    ("got", "ok"),
    [
        ("2026-07-16T21:43:59+07:00", True),
        ("2026-07-16T21:43:00+0700", True),
        ("2026-07-16T14:43:00+00:00", False),  # same instant, other offset: not as the page says
        ("2026-07-16T21:43:00", False),  # no offset
        ("2026-07-16", False),  # no time
        ("2026-07-16T21:44+07:00", False),
        (None, False),
    ],
)
def test_minute_with_offset(got: str | None, ok: bool) -> None:
    assert minute_ok(got, "2026-07-16T21:43+07:00") is ok


GOLD = {
    "file": "x.html",
    "url": "https://x.vn/a",
    "title": "Tiêu đề",
    "published": "2026-07-16T21:43+07:00",
    "authors": ["Ngọc Mai"],
    "source": None,
    "language": "vi",
    "must_include": ["Câu một. Câu hai có năm từ.", "Câu ba ở cuối bài."],
    "must_exclude": ["Tin liên quan", "Ảnh minh họa"],
}


def test_score_page_fields() -> None:
    page = Page("x.html", "dev", GOLD, b"")
    out = Output(
        record=True,
        title=" Tiêu  đề ",
        published="2026-07-16T21:43:00+07:00",
        authors=["ngọc mai"],
        lead="Câu một.",
        text="Câu hai có năm từ.\n\nTin liên quan\n\nCâu ba ở cuối",
        language="vi-VN",
    )
    score = score_page(page, out, "ours")
    assert (score.sentences, score.found, score.leaks, score.missing) == (3, 2, 1, 0)
    assert score.missed_sentences == ["Câu ba ở cuối bài."]
    assert all(score.checks.values()), score.checks
    missing = score_page(page, Output(record=False), "ours")
    assert missing.missing == 1 and missing.found == 0 and not any(missing.checks.values())


def test_non_article_is_refused_only_without_a_record() -> None:
    page = Page(
        "n.html", "dev", {"file": "n.html", "url": "https://x.vn", "is_article": False}, b""
    )
    assert score_page(page, Output(record=False), "ours").checks == {"refused": True}
    assert score_page(page, Output(record=True, text="x"), "ours").checks == {"refused": False}


class _Reached(Exception):
    pass


def test_loo_guesser_reaches_extraction() -> None:
    """The leave-one-out variants really replace the guesser extract_article uses."""
    from bench.eval_vndev import guesser, run_ours

    page = next(p for p in load_pages() if p.group == "dev" and p.is_article)

    def boom(*args: object, **kwargs: object) -> None:
        raise _Reached

    with pytest.raises(_Reached), guesser(boom):
        run_ours(page, None)
    with pytest.raises(RuntimeError, match="did not call"), guesser(boom):
        pass  # no extraction: the figures would be meaningless, so it says so
