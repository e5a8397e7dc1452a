"""A profile is a hint, never a veto (issue 10, deliverable 1).

A real page in a template the site's profile does not know (here: a real vietnamnet.vn article
served at a nhandan.vn-style URL, as if Nhân Dân had moved to that markup overnight) is still
extracted, through the layout guesser or the generic path, and counted as a profile miss; a
listing of the same site is still refused; in a crawl the miss becomes ``extract/profile_miss``.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from extraction.article import ExtractionError, extract_article, extract_page
from tests.conftest import run_crawl, start_server, stop_process
from vnnews.profiles import ProfileRegistry

HTML = Path(__file__).resolve().parent / "data" / "html"
PAGE = HTML / "vietnamnet" / "article-meth04.html"
OWN_URL = "https://vietnamnet.vn/a-2495349.html"
FOREIGN_URL = "https://nhandan.vn/kinh-te/thi-truong-post900001.html"
FETCHED_AT = datetime(2026, 3, 8, tzinfo=UTC)


@pytest.fixture(scope="module")
def registry() -> ProfileRegistry:
    return ProfileRegistry.load()


def test_a_page_in_a_template_the_profile_does_not_know_is_still_extracted(
    registry: ProfileRegistry,
) -> None:
    body = PAGE.read_bytes()
    nhandan = registry.get("nhandan")
    own = extract_page(body, OWN_URL, fetched_at=FETCHED_AT, profile=registry.get("vietnamnet"))
    miss = extract_page(body, FOREIGN_URL, fetched_at=FETCHED_AT, profile=nhandan)
    assert own.profile_miss is False
    assert miss.profile_miss is True
    assert miss.record["site"] == "nhandan"
    assert miss.record["title"] == own.record["title"]
    own_paragraphs = own.record["text"].split("\n\n")
    found = [p for p in own_paragraphs if p in miss.record["text"]]
    assert len(found) >= 0.9 * len(own_paragraphs), "the body is the same article"
    assert miss.record["published"] == own.record["published"]
    # extract_article is extract_page's record
    plain = extract_article(body, FOREIGN_URL, fetched_at=FETCHED_AT, profile=nhandan)
    assert plain == miss.record


def test_a_listing_is_still_refused_when_the_profile_misses(registry: ProfileRegistry) -> None:
    body = (HTML / "vietnamnet" / "list-meth04.html").read_bytes()
    with pytest.raises(ExtractionError, match="listing"):
        extract_page(
            body,
            "https://nhandan.vn/kinh-te",
            fetched_at=FETCHED_AT,
            profile=registry.get("nhandan"),
        )


def test_a_crawl_counts_the_profile_miss(tmp_path: Path) -> None:
    root = tmp_path / "site"
    (root / "kinh-te").mkdir(parents=True)
    shutil.copy(PAGE, root / "kinh-te" / "thi-truong-post900001.html")
    site = start_server(root, tmp_path / "requests.log")
    try:
        url = f"{site.url}/kinh-te/thi-truong-post900001.html"
        archive = tmp_path / "data"
        result = run_crawl(
            ["-a", "site=nhandan", "-a", f"start_urls={url}"],
            archive,
            {"EXTRACT_POOL": "inline", "NEWS_MAX_HOPS": 0},
        )
    finally:
        stop_process(site.process)
    assert result.returncode == 0, result.stderr[-3000:]
    stats = dict(re.findall(r"'([a-z_/0-9.]+)': (\d+)", result.stderr.split("Dumping", 1)[1]))
    assert stats.get("extract/profile_miss") == "1"
    records = [
        json.loads(line)
        for path in sorted((archive / "json").glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    assert [r["url"] for r in records] == [url]
    assert records[0]["site"] == "nhandan" and len(records[0]["text"].split()) > 200
