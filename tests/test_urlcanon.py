"""vnnews.urlcanon: one URL per article."""

from __future__ import annotations

import pytest

from vnnews.urlcanon import canonicalize_url, fold_variant


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # scheme/host case, default port, fragment, sorted query
        ("HTTP://NhanDan.VN:80/a?z=1&a=2#top", "http://nhandan.vn/a?a=2&z=1"),
        ("https://nhandan.vn:443", "https://nhandan.vn/"),
        ("https://nhandan.vn:8443/a", "https://nhandan.vn:8443/a"),
        # tracking parameters of every family
        (
            "https://nhandan.vn/a.html?utm_source=fb&utm_MEDIUM=x&fbclid=1&gclid=2&id=7",
            "https://nhandan.vn/a.html?id=7",
        ),
        (
            "https://nhandan.vn/a.html?zarsrc=30&_ga=1&mc_cid=a&mc_eid=b&igshid=c&msclkid=d",
            "https://nhandan.vn/a.html",
        ),
        # "ref" can carry content: kept
        ("https://nhandan.vn/a.html?ref=5", "https://nhandan.vn/a.html?ref=5"),
        # blank values kept, percent-encoding normalised, dot segments resolved
        ("https://nhandan.vn/x/../đ.html?q=&b=á", "https://nhandan.vn/%C4%91.html?b=%C3%A1&q="),
        ("https://nhandan.vn/a%2fb", "https://nhandan.vn/a%2Fb"),
    ],
)
def test_canonicalize_url(url: str, expected: str) -> None:
    assert canonicalize_url(url) == expected


def test_canonicalize_is_idempotent() -> None:
    url = "HTTPS://Nhandan.vn:443/tin-tuc/bai-viet-123.html?utm_campaign=x&b=2&a=1#c"
    once = canonicalize_url(url)
    assert canonicalize_url(once) == once


def test_ipv6_host_keeps_its_colons() -> None:
    assert canonicalize_url("http://[::1]:8080/a") == "http://[::1]:8080/a"
    assert canonicalize_url("http://[::1]:80/a") == "http://[::1]/a"


@pytest.mark.parametrize(
    "variant",
    [
        "https://nhandan.vn/amp/the-thao/bai-viet-123.html",
        "https://nhandan.vn/the-thao/bai-viet-123.html/amp",
        "https://nhandan.vn/the-thao/bai-viet-123.html/amp/",
        "https://amp.nhandan.vn/the-thao/bai-viet-123.html",
        "https://nhandan.vn/the-thao/bai-viet-123.html?amp=1",
        "https://nhandan.vn/the-thao/bai-viet-123.html?amp",
        "https://nhandan.vn/the-thao/bai-viet-123.html?print=1&utm_source=x",
        "https://nhandan.vn/print/the-thao/bai-viet-123.html",
        "https://NHANDAN.vn:443/the-thao/bai-viet-123.html#binh-luan",
    ],
)
def test_fold_variant(variant: str) -> None:
    assert fold_variant(variant) == "https://nhandan.vn/the-thao/bai-viet-123.html"


def test_fold_variant_keeps_other_parameters_and_real_words() -> None:
    assert (
        fold_variant("https://nhandan.vn/a.html?amp=1&page=2") == "https://nhandan.vn/a.html?page=2"
    )
    # "amp" or "print" inside a slug is not a variant marker
    assert fold_variant("https://nhandan.vn/camp-print-shop.html") == (
        "https://nhandan.vn/camp-print-shop.html"
    )
    assert fold_variant("https://nhandan.vn/x.html?print=0") == "https://nhandan.vn/x.html?print=0"
