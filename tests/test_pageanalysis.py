"""The page analysis (spiders.pageanalysis) and the worker pool that runs it (vnnews.workpool).

A page is read once, in a worker: what comes back must survive the process boundary, match
what the extraction pipeline would have found on its own, and be used by the pipeline without
a second extraction. Crawl-level equivalence (records, stats and WARC records the same as
before) is covered by the crawl tests (test_crawl, test_discovery, test_resources...), which
run with the process pool.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from scrapy.utils.test import get_crawler

from extraction.article import Extraction, extract_page
from extraction.outcome import ExtractFailure
from pipelines.extract import ExtractionFailed, ExtractionPipeline, NotAnArticle
from spiders.news import _extraction_pipeline_on
from spiders.pageanalysis import ExtractArgs, PageRules, Profiles, analyse_page, normalise_link
from tests.archive_support import project_settings
from vnnews.items import Page
from vnnews.profiles import ProfileRegistry
from vnnews.workpool import WorkPool

HTML = Path(__file__).parent / "data" / "html"
WHEN = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
ARTICLE = HTML / "dantri" / "article-meth04.html"
LISTING = HTML / "dantri" / "list-meth04.html"
ARTICLE_URL = (
    "https://dantri.com.vn/kinh-doanh/"
    "gia-vang-giam-van-cao-hon-the-gioi-gan-20-trieu-dongluong-20260307080054340.htm"
)
LISTING_URL = "https://dantri.com.vn/kinh-doanh.htm"


def _rules(**overrides: Any) -> PageRules:
    values: dict[str, Any] = {
        "profiles": Profiles(None, ()),
        "max_links": 500,
        "resources_article": True,
        "titles": True,
        "extract": ExtractArgs(fetched_at=WHEN, hints={}, headers={}),
    }
    return PageRules(**{**values, **overrides})


def test_an_article_page_comes_back_with_its_links_and_its_record() -> None:
    body = ARTICLE.read_bytes()
    found = analyse_page(body, ARTICLE_URL, "utf-8", _rules())
    assert found.error is None and found.article
    assert found.content and found.content == sorted(found.content)
    assert all(u == normalise_link(u) for u in [*found.pagers, *found.content])
    assert found.own == normalise_link(ARTICLE_URL) and found.own not in found.content
    assert found.resources and any(r.kind == "image" for r in found.resources)
    assert set(found.verdicts) == {*found.pagers, *found.content}
    # the record is the one the pipeline would extract on its own
    assert isinstance(found.extraction, Extraction)
    # (the bundled dantri profile: the analysis finds a URL's profile as the pipeline does)
    profile = ProfileRegistry.load().for_url(ARTICLE_URL)
    assert profile is not None and profile.name == "dantri"
    alone = extract_page(body, ARTICLE_URL, fetched_at=WHEN, profile=profile, hints={}, headers={})
    assert found.extraction.record == alone.record
    # and it survives the process boundary whole
    assert pickle.loads(pickle.dumps(found)) == found


def test_a_variant_that_names_its_article_is_not_extracted() -> None:
    """An AMP/print/tracking variant: the spider fetches the canonical URL instead."""
    found = analyse_page(ARTICLE.read_bytes(), ARTICLE_URL + "?utm=x&amp=1", "utf-8", _rules())
    assert found.article and found.canonical == found.own_canonical.split("?")[0]
    assert found.extraction is None


def test_a_listing_is_not_extracted_and_the_link_cap_is_reported() -> None:
    body = LISTING.read_bytes()
    found = analyse_page(body, LISTING_URL, "utf-8", _rules(max_links=5))
    assert not found.article and found.extraction is None
    assert found.resources is None  # listing resources were not asked for
    assert found.links_capped and len(found.content) + len(found.pagers) <= 5
    everything = analyse_page(body, LISTING_URL, "utf-8", _rules())
    assert not everything.links_capped and len(everything.content) > 5


def test_an_unparsable_page_is_an_error_not_an_exception() -> None:
    found = analyse_page(b"", "https://x.vn/a", "utf-8", _rules())
    assert found.error


def test_a_worker_process_gives_what_the_calling_process_gives() -> None:
    body = ARTICLE.read_bytes()
    ctx = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(1, mp_context=ctx) as pool:
        remote = pool.submit(analyse_page, body, ARTICLE_URL, "utf-8", _rules()).result(120)
    assert remote == analyse_page(body, ARTICLE_URL, "utf-8", _rules())


def _page(**overrides: Any) -> Page:
    values: dict[str, Any] = {
        "url": ARTICLE_URL,
        "request_url": ARTICLE_URL,
        "status": 200,
        "headers": {},
        "body": ARTICLE.read_bytes(),
        "encoding": "utf-8",
        "fetched_at": WHEN,
    }
    return Page(**{**values, **overrides})


def _pipeline(tmp_path: Path) -> ExtractionPipeline:
    settings = project_settings(
        ARCHIVE_DIR=str(tmp_path), EXTENSIONS={}, EXTRACT_POOL="inline", EXTRACT_WARC_METADATA=False
    )
    return ExtractionPipeline.from_crawler(get_crawler(settings_dict=settings))


def test_the_pipeline_uses_the_record_it_is_given(tmp_path: Path) -> None:
    pipeline = _pipeline(tmp_path)
    given = Extraction({"url": ARTICLE_URL, "title": "given", "published": None})
    # an empty body would not extract: the record can only come from the item
    record = asyncio.run(pipeline.process_item(_page(body=b"", extraction=given)))
    assert record["title"] == "given"
    assert record["schema_version"]


def test_the_pipeline_extracts_a_page_that_comes_without_a_record(tmp_path: Path) -> None:
    record = asyncio.run(_pipeline(tmp_path).process_item(_page()))
    profile = ProfileRegistry.load().for_url(ARTICLE_URL)
    alone = extract_page(ARTICLE.read_bytes(), ARTICLE_URL, fetched_at=WHEN, profile=profile)
    assert record["title"] == alone.record["title"] and record["text"] == alone.record["text"]


def test_failures_from_the_worker_are_counted_as_before(tmp_path: Path) -> None:
    pipeline = _pipeline(tmp_path)
    stats = pipeline.crawler.stats
    assert stats is not None
    refused = ExtractFailure(True, "ExtractionError", "no article text (3 words)")
    with pytest.raises(NotAnArticle, match="no article text"):
        asyncio.run(pipeline.process_item(_page(extraction=refused)))
    broken = ExtractFailure(False, "KeyError", "'x'")
    with pytest.raises(ExtractionFailed):
        asyncio.run(pipeline.process_item(_page(extraction=broken)))
    assert stats.get_value("extract/not_article") == 1
    assert stats.get_value("extract/errors") == 1


def test_the_pool_runs_inline_threads_or_processes() -> None:
    async def run(pool: WorkPool) -> int:
        return await pool.run(len, b"abc")

    for kind in ("inline", "thread", "process"):
        pool = WorkPool(kind, 1)
        try:
            assert asyncio.run(run(pool)) == 3
            assert (pool.executor is None) == (kind == "inline")
        finally:
            pool.close()
        assert pool.executor is None


def test_the_spider_extracts_in_the_analysis_only_when_the_pipeline_is_on() -> None:
    assert _extraction_pipeline_on({"pipelines.extract.ExtractionPipeline": 300})
    assert _extraction_pipeline_on({ExtractionPipeline: 300})
    assert not _extraction_pipeline_on({"pipelines.extract.ExtractionPipeline": None})
    assert not _extraction_pipeline_on({"pipelines.jsonlines.JsonLinesPipeline": 800})
