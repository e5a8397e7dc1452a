"""The rules that decide which of two near-duplicates is the original (pipelines.syndication)."""

from __future__ import annotations

import pytest

from archive.neardup import DocEntry, Match
from pipelines.syndication import (
    cross_host,
    decide,
    direction,
    name_keys,
    names_outlet,
    outlet,
    same_article,
)


def doc(
    ident: str,
    url: str,
    *,
    canonical: str | None = None,
    publisher: str | None = None,
    source: str | None = None,
    published: str | None = None,
    precision: str | None = "minute",
    site: str | None = None,
    origin: str | None = None,
) -> DocEntry:
    return DocEntry(
        id=ident * 32,
        url=url,
        canonical_url=canonical or url,
        site=site,
        publisher=publisher,
        source=source,
        published=published,
        published_precision=precision,
        origin=origin,
    )


ORIGINAL = doc(
    "a", "https://nhandan.vn/bai-post1.html", publisher="Báo Nhân Dân điện tử", site="nhandan"
)


@pytest.mark.parametrize(
    ("source", "publisher", "host", "named"),
    [
        ("Nhandan.vn", "Báo Nhân Dân điện tử", "nhandan.vn", True),
        ("Báo Nhân Dân", "Nhân Dân", "example.vn", True),
        ("TTXVN", "Thông tấn xã Việt Nam", "baotintuc.vn", True),
        ("www.thoibaohathanh.vn", "Thời Báo Hà Thành", "127.0.0.1", True),
        ("Tuổi Trẻ", "Tuổi Trẻ Thủ Đô", "tuoitrethudo.vn", False),
        ("TTXVN", "Báo Nhân Dân", "nhandan.vn", False),
        (None, "Báo Nhân Dân", "nhandan.vn", False),
    ],
)
def test_attribution_names(source: str | None, publisher: str, host: str, named: bool) -> None:
    other = doc("b", f"https://{host}/x.html", publisher=publisher)
    assert names_outlet(source, other) is named


def test_name_keys() -> None:
    assert "nhandan" in name_keys("Báo Nhân Dân điện tử")
    assert name_keys("nhandan.vn") == {"nhandan"}
    assert name_keys("127.0.0.1") == set()  # an address names nobody
    assert "ttxvn" in name_keys("Thông tấn xã Việt Nam")


def test_rules_in_order() -> None:
    # attribution beats a misleading earlier date on the copy
    copy = doc(
        "b",
        "https://portal.vn/tin/1.html",
        source="Nhân Dân",
        published="2024-06-10T06:00:00+07:00",
    )
    original = doc(
        "a",
        ORIGINAL.url,
        publisher=ORIGINAL.publisher,
        site="nhandan",
        published="2024-06-10T08:00:00+07:00",
    )
    assert direction(copy, original) == (1, "attribution")
    assert direction(original, copy) == (-1, "attribution")
    # canonical beats attribution
    canonical_copy = doc("c", "https://mirror.vn/1.html", canonical=original.url, source="Tuổi Trẻ")
    assert direction(canonical_copy, original) == (1, "canonical")
    # dates at day precision: the same day says nothing, an earlier day does
    day_copy = doc("d", "https://x.vn/1", published="2024-06-10T00:00:00+07:00", precision="day")
    assert direction(day_copy, original) is None
    later = doc("e", "https://x.vn/2", published="2024-06-11T00:00:00+07:00", precision="day")
    assert direction(later, original) == (1, "earlier_published")
    # nothing to go by
    assert direction(doc("f", "https://x.vn/3"), doc("g", "https://y.vn/3")) is None


def test_decide_versions_outlets_and_late_copies() -> None:
    record = doc(
        "a", "https://paper.vn/p1.html", publisher="Paper", published="2024-06-10T08:00+07:00"
    )
    old_version = doc(
        "v", "https://paper.vn/p1.html", publisher="Paper", published="2024-06-10T08:00+07:00"
    )
    same_site = doc("s", "https://paper.vn/p9.html", publisher="Paper", published="2024-06-09")
    late_copy = doc(
        "c", "https://portal.vn/c.html", source="Paper", published="2024-06-10T09:00+07:00"
    )
    linked = doc(
        "l", "https://other.vn/l.html", published="2024-06-11T09:00+07:00", origin="z" * 32
    )
    links = decide(
        record,
        [
            Match(old_version, 0.95),
            Match(same_site, 0.9),
            Match(late_copy, 1.0),
            Match(linked, 0.8),
        ],
        [],
    )
    # its own earlier version is not a near-duplicate; the same site's is, but no syndication
    assert [n["id"] for n in links.near_duplicates] == [late_copy.id, same_site.id, linked.id]
    assert links.syndicated_from is None
    # the copy archived first is linked now; one already linked elsewhere is left alone
    assert links.syndicated_to == [
        {"id": late_copy.id, "url": late_copy.url, "decided_by": "attribution"}
    ]
    assert [m.entry.id for m, _ in links.late] == [late_copy.id]


def test_decide_picks_the_strongest_then_earliest() -> None:
    copy = doc("c", "https://portal.vn/c.html", published="2024-06-12T09:00+07:00")
    first = doc("a", "https://a.vn/1.html", published="2024-06-10T08:00+07:00")
    second = doc("b", "https://b.vn/1.html", published="2024-06-11T08:00+07:00")
    links = decide(copy, [Match(second, 1.0), Match(first, 0.97)], [])
    assert links.syndicated_from == {
        "id": first.id,
        "url": first.url,
        "decided_by": "earlier_published",
    }
    named = doc("n", "https://b.vn/2.html", publisher="Báo B", published="2024-06-11T08:00+07:00")
    attributed = doc("c", copy.url, source="Báo B", published=copy.published)
    links = decide(attributed, [Match(first, 1.0), Match(named, 0.9)], [])
    assert links.syndicated_from == {"id": named.id, "url": named.url, "decided_by": "attribution"}


def test_cross_host_canonical_links_even_below_the_threshold() -> None:
    copy = doc("c", "https://mirror.vn/x.html", canonical=ORIGINAL.url)
    links = decide(copy, [], [ORIGINAL])
    assert links.syndicated_from == {
        "id": ORIGINAL.id,
        "url": ORIGINAL.url,
        "decided_by": "canonical",
    }
    assert links.near_duplicates == []  # not similar enough to be listed as one


def test_copies_on_two_sites_naming_one_original_are_two_articles() -> None:
    """Each copy is its own article (its own URL), so each is linked, neither a version."""
    one = doc("c", "https://mirror.vn/1.html", canonical=ORIGINAL.url)
    two = doc("d", "https://portal.vn/2.html", canonical=ORIGINAL.url)
    assert not same_article(one, two) and not same_article(one, ORIGINAL)
    links = decide(two, [Match(one, 1.0), Match(ORIGINAL, 1.0)], [ORIGINAL])
    assert [n["id"] for n in links.near_duplicates] == sorted([one.id, ORIGINAL.id])
    assert links.syndicated_from == {
        "id": ORIGINAL.id,
        "url": ORIGINAL.url,
        "decided_by": "canonical",
    }


def test_amp_and_mobile_hosts_are_the_records_own_site() -> None:
    """A canonical on the www./m./amp. host of the record's site is not "another site": the
    AMP page is a version of the article (same article key), never its copy."""
    amp = doc("m", "https://amp.nhandan.vn/bai-post1.html", canonical=ORIGINAL.url)
    mobile = doc("n", "http://m.nhandan.vn:80/bai-post1.html", canonical=ORIGINAL.url)
    for variant in (amp, mobile):
        assert not cross_host(variant)
        assert same_article(variant, ORIGINAL)
        assert outlet(variant) == "nhandan.vn"
        links = decide(variant, [Match(ORIGINAL, 1.0)], [])
        assert links.near_duplicates == [] and links.syndicated_from is None
