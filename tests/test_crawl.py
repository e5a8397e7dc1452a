"""The first crawl end to end: the real spider against the bundled sample site.

One crawl per module (it takes a few seconds); the tests then read what it left on
disk: JSON Lines records (validated against the schema), the WARC files (read back
with warcio), the server's request log and the crawl's stats.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.conftest import SITES, RunningSite, run_crawl, start_server, stop_process

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "tests" / "sites" / "seed"
SCHEMA = json.loads((ROOT / "pipelines" / "article.schema.json").read_text(encoding="utf-8"))


class Crawl:
    def __init__(self, site: RunningSite, archive: Path, since: int, log: str) -> None:
        self.site = site
        self.archive = archive
        self.since = since
        self.log = log
        self.records = [
            json.loads(line)
            for path in sorted((archive / "json").glob("*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines()
        ]
        self.by_path = {urlsplit(r["url"]).path: r for r in self.records}

    def requested(self) -> list[str]:
        return [path for _, path, _ in self.site.requests(self.since)]

    def stats(self) -> dict[str, Any]:
        block = self.log.split("Dumping Scrapy stats:", 1)[1]
        return dict(re.findall(r"'([a-z_/0-9.]+)': (\d+)", block.split("\n20", 1)[0]))


@pytest.fixture(scope="module")
def crawl(sample_site: RunningSite, tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    archive = tmp_path_factory.mktemp("crawl") / "data"
    since = sample_site.mark()
    result = run_crawl(["-a", "site=nhandan", "-a", f"start_urls={sample_site.url}/"], archive)
    assert result.returncode == 0, result.stderr[-3000:]
    return Crawl(sample_site, archive, since, result.stderr)


def test_every_sample_article_is_archived_once(crawl: Crawl) -> None:
    expected = {a["path"] for a in crawl.site.expected["articles"]}
    paths = [urlsplit(r["url"]).path for r in crawl.records]
    assert sorted(paths) == sorted(expected)
    assert len(paths) == len(set(paths))


def test_records_validate_against_the_schema(crawl: Crawl) -> None:
    for record in crawl.records:
        jsonschema.validate(record, SCHEMA)


def test_titles_dates_and_authors_are_right(crawl: Crawl) -> None:
    for article in crawl.site.expected["articles"]:
        record = crawl.by_path[article["path"]]
        assert record["title"] == article["title"], article["path"]
        assert record["published"] == article["published"], article["path"]
        assert record["authors"] == article["authors"], article["path"]
        assert record["site"] == "nhandan"


def test_seed_article_text_is_present_and_normalised(crawl: Crawl) -> None:
    seed = next(a for a in crawl.site.expected["articles"] if a["seed"])
    record = crawl.by_path[seed["path"]]
    assert record["published"].startswith("2015-01-15T")
    assert record["source"] == "Nhandan.vn"
    assert "Ð" not in record["text"] and "\xa0" not in record["text"]
    assert "Văn phòng T.Ư Đảng" in record["lead"] + record["text"]
    assert "Đại hội lần thứ XII của Đảng" in record["text"]
    assert record["text"].rstrip().endswith("cải thiện đời sống cán bộ nhân viên.") or record[
        "text"
    ].rstrip().endswith("Theo Nhandan.vn")


def test_warc_holds_warcinfo_then_request_response_pairs(crawl: Crawl) -> None:
    warcs = sorted((crawl.archive / "warc").glob("*.warc.gz"))
    assert warcs and not list((crawl.archive / "warc").glob("*.open"))
    responses: dict[str, bytes] = {}
    for path in warcs:
        with open(path, "rb") as f:
            records = list(ArchiveIterator(f))
        assert records[0].rec_type == "warcinfo"
    for path in warcs:
        with open(path, "rb") as f:
            for rec in ArchiveIterator(f):
                if rec.rec_type == "response":
                    uri = rec.rec_headers.get_header("WARC-Target-URI")
                    responses[uri] = rec.content_stream().read()
    # The payload is the page as served (raw bytes, any charset); the record is NFC text.
    for article in crawl.site.expected["articles"]:
        body = responses[crawl.by_path[article["path"]]["url"]]
        charset = "cp1258" if "cp1258" in article["quirks"] else "utf-8"
        assert article["title"] in unicodedata.normalize("NFC", body.decode(charset))


def test_json_records_point_at_their_warc_capture(crawl: Crawl) -> None:
    for record in crawl.records[:5]:
        loc = record["warc"]
        with open(crawl.archive / "warc" / loc["filename"], "rb") as f:
            f.seek(loc["offset"])
            rec = next(iter(ArchiveIterator(f)))
            assert rec.rec_headers.get_header("WARC-Record-ID") == loc["record_id"]
            assert rec.rec_headers.get_header("WARC-Target-URI") == record["url"]


def test_stays_on_site_obeys_robots_and_is_bounded(crawl: Crawl) -> None:
    requested = crawl.requested()
    assert not [p for p in requested if p.startswith(("/tim-kiem", "/admin"))]
    calendar = [p for p in requested if p.startswith("/lich")]
    assert 0 < len(calendar) <= 20  # the infinite calendar was entered and left
    assert not [p for p in requested if "utm_" in p]  # tracking parameters dropped
    assert len(requested) == len(set(requested)) + requested.count("/robots.txt") - 1


def test_discovery_used_robots_sitemaps_and_feed(crawl: Crawl) -> None:
    requested = set(crawl.requested())
    assert "/robots.txt" in requested
    assert any("sitemap" in p for p in requested)
    assert any(p.endswith((".rss", ".xml")) and "rss" in p for p in requested)
    stats = crawl.stats()
    assert int(stats["news/discovered/sitemap"]) > 0
    assert int(stats["news/discovered/feed"]) > 0
    assert int(stats["json/records"]) == len(crawl.site.expected["articles"])


def test_unknown_site_is_crawled_from_its_start_url(tmp_path: Path) -> None:
    """A WordPress-style site with no profile and no sitemap: feed + listings + pagination."""
    site = start_server(SITES / "tintuc", tmp_path / "requests.log")
    try:
        result = run_crawl(["-a", f"start_urls={site.url}/"], tmp_path / "data")
    finally:
        stop_process(site.process)
    assert result.returncode == 0, result.stderr[-3000:]
    expected = json.loads((ROOT / "tests/sites_src/tintuc_expected.json").read_text("utf-8"))
    records = [
        json.loads(line)
        for path in (tmp_path / "data" / "json").glob("*.jsonl")
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    got = {urlsplit(r["url"]).path: r for r in records}
    assert sorted(got) == sorted(e["path"] for e in expected)
    for e in expected:
        record = got[e["path"]]
        assert record["site"] is None
        assert record["title"] == e["title"]
        assert record["published"] == e["published"]
        assert record["authors"] == e["authors"]
        assert e["first_sentence"] in record["text"]
        assert record["text"].rstrip().endswith(e["last_sentence"])
    requested = [
        line.split("\t")[1] for line in (tmp_path / "requests.log").read_text().splitlines()
    ]
    assert "/wp-admin/" not in requested
