"""A copy whose rel=canonical names the original on another site is its own article.

Article identity (versions, record ids, the dedup pipeline's in-flight map) is the *article
key* (:func:`vnnews.urlcanon.article_key`): the canonical URL when it is on the record's own
site, else the record's URL. Before, it was the canonical URL whatever site it named, so a
republished copy declaring the original as canonical was taken for a version of the original:
crawled after it, the copy was dropped ("article text already recorded"); crawled before it,
the *original* was dropped and had no record at all.

Here the two fixture sites of tests/test_syndication.py (synd_a, synd_b; one 127.0.0.1 host,
two ports: two sites) are crawled in both orders, with B's verbatim copy of A3 (no
attribution line) served with ``<link rel="canonical" href="<A's URL of A3>">``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from extraction.article import record_id
from tests.conftest import RunningSite
from tests.test_reprocess_faithful import scrapy
from tests.test_syndication import (
    COPIES,
    EXPECTED,
    SITE_A,
    SITE_B,
    assert_valid,
    by_path,
    crawl,
    read_jsonl,
)
from vnnews.urlcanon import article_key, same_site, site_key

#: B's verbatim copy of A3, no attribution (decided by ``earlier_published`` without canonical)
CASE = next(c for c in COPIES if c["original"] == EXPECTED["a_corrected"])


def copy_overlay(tmp_path: Path, a: RunningSite) -> Path:
    """An overlay for synd_b: the copy of A3 with its rel=canonical on site A."""
    overlay = tmp_path / "synd_b_canonical"
    page = SITE_B / CASE["copy"].lstrip("/")
    html = page.read_text(encoding="utf-8")
    own = f'<link rel="canonical" href="__BASE__{CASE["copy"]}">'
    assert own in html
    html = html.replace(own, f'<link rel="canonical" href="{a.url}{CASE["original"]}">')
    target = overlay / CASE["copy"].lstrip("/")
    target.parent.mkdir(parents=True)
    target.write_text(html, encoding="utf-8")
    return overlay


def start_both(
    site_server: Callable[..., RunningSite], tmp_path: Path
) -> tuple[RunningSite, RunningSite]:
    a = site_server(root=SITE_A)
    b = site_server(root=SITE_B, overlay=copy_overlay(tmp_path, a))
    assert site_key(a.url) != site_key(b.url)  # same IP, other port: another site
    return a, b


def pair(records: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    got = by_path(records)
    assert len(got) == 15, sorted(got)  # every page of both sites has its record
    assert len(records) == 15  # and only one: nothing was taken for a version of another
    original, copy = got[CASE["original"]], got[CASE["copy"]]
    assert copy["canonical_url"] == original["url"]  # the record says what the page says
    assert copy["id"] != original["id"]
    assert copy["id"] == record_id(str(copy["url"]), str(copy["text_digest"]))
    assert original["id"] == record_id(str(original["url"]), str(original["text_digest"]))
    assert original["version"] == copy["version"] == 1
    assert original["previous"] is None and copy["previous"] is None
    return original, copy


@pytest.mark.parametrize("order", ["original_first", "copy_first"])
def test_cross_site_canonical_copy_keeps_both_records(
    site_server: Callable[..., RunningSite], tmp_path: Path, order: str
) -> None:
    archive = tmp_path / "archive"
    a, b = start_both(site_server, tmp_path)
    for site in (a, b) if order == "original_first" else (b, a):
        crawl(site, archive)
    records = read_jsonl(archive / "json")
    assert_valid(records)
    original, copy = pair(records)
    link = {"id": original["id"], "url": original["url"], "decided_by": "canonical"}
    if order == "original_first":
        assert copy["syndicated_from"] == link
        assert original["syndicated_to"] == []
        assert not (archive / "links").exists()
    else:
        assert copy["syndicated_from"] is None  # written before the original was known
        assert original["syndicated_to"] == [
            {"id": copy["id"], "url": copy["url"], "decided_by": "canonical"}
        ]
        lines = [line for line in read_jsonl(archive / "links") if line["id"] == copy["id"]]
        assert len(lines) == 1 and lines[0]["syndicated_from"] == link
    assert original["syndicated_from"] is None
    assert [n["id"] for n in copy["near_duplicates"] or []] == (
        [original["id"]] if order == "original_first" else []
    )
    # scrapy reprocess numbers versions by the same key: the WARCs give back both records
    out = tmp_path / "re.jsonl"
    done = scrapy("reprocess", str(archive / "warc"), "-o", str(out), "--no-archive")
    assert done.returncode == 0, done.stderr[-2000:]
    again = read_jsonl(tmp_path)  # re.jsonl
    assert sorted((r["url"], r["id"], r["version"]) for r in again) == sorted(
        (r["url"], r["id"], r["version"]) for r in records
    )


# -- the key function --------------------------------------------------------------------

ART = "https://nhandan.vn/thoi-su/bai-viet-post870001.html"


@pytest.mark.parametrize(
    "variant",
    [
        "https://amp.nhandan.vn/thoi-su/bai-viet-post870001.html",
        "https://m.nhandan.vn/thoi-su/bai-viet-post870001.html",
        "https://www.nhandan.vn/thoi-su/bai-viet-post870001.html",
        "http://www.nhandan.vn:80/thoi-su/bai-viet-post870001.html",
        "https://NhanDan.VN:443/amp/thoi-su/bai-viet-post870001.html",
        "https://mobile.nhandan.vn/print/thoi-su/bai-viet-post870001.html",
        "https://amp.m.nhandan.vn./thoi-su/bai-viet-post870001.html?utm_source=zalo",
        "https://nhandan.vn/thoi-su/bai-viet-post870001.html?amp=1",
    ],
)
def test_variants_on_the_same_site_fold_into_the_canonical(variant: str) -> None:
    assert site_key(variant) == "nhandan.vn"
    assert same_site(variant, ART)
    assert article_key(variant, ART) == ART


@pytest.mark.parametrize(
    "copy",
    [
        "https://baotintuc.vn/thoi-su/bai-viet-123.htm",  # another outlet
        "https://tinhuy.nhandan.vn/bai-viet-post870001.html",  # another site on a subdomain
        "https://nhandan.vn.evil.example/thoi-su/bai-viet-post870001.html",
        "https://nhandan.vn:8443/thoi-su/bai-viet-post870001.html",  # another port
        "http://127.0.0.1:8001/tin/602/bai-viet.html",
    ],
)
def test_a_canonical_on_another_site_leaves_the_page_its_own_article(copy: str) -> None:
    assert not same_site(copy, ART)
    assert article_key(copy, ART) == copy


def test_article_key_edges() -> None:
    assert article_key(ART, None) == ART
    assert article_key(ART, "") == ART
    assert article_key("", ART) == ART  # a record without url: its canonical
    assert site_key("https://m.vn/") == "m.vn" and site_key("https://amp.vn/x") == "amp.vn"
    assert site_key("http://127.0.0.1:8001/a") == "127.0.0.1:8001"
    assert site_key("http://127.0.0.1:80/a") == site_key("https://127.0.0.1/a")
    assert site_key("mailto:x@y.vn") == "" and not same_site("", "")
    assert site_key("http://[::1]:8080/a") == "::1:8080"
    assert site_key("http://x.vn:notaport/") == ""
    local = "http://127.0.0.1:8001/a.html"
    assert article_key(local, "https://nhandan.vn/a.html") == local
