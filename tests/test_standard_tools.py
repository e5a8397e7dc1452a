"""Replay in any web-archive tool, with the tools' defaults: pywb's standard collection tools
(``wb-manager init`` + ``wb-manager add``) and ``cdxj-indexer`` on a crawl's WARCs.

The sample site is crawled, then stopped; every article replays as its HTML page (never the
extracted-article JSON, which is a ``metadata`` record with its own URI,
``urn:vnnews:article:URL``); the capture-list and collection URLs that docs/replay.md gives are
checked against the pinned pywb (2.10).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from extraction.htmltree import decode_html
from tests.conftest import NHANDAN, REPO_ROOT, start_server, stop_process
from tests.replay_support import (
    COLLECTION,
    SampleCrawl,
    crawl_sample,
    fetch,
    have_pywb_tools,
    pywb_collection,
    pywb_tool,
    run_tool,
    timestamp14,
)

pytestmark = pytest.mark.skipif(
    not have_pywb_tools("cdxj-indexer"), reason="pywb venv missing: make venv"
)
DOCS = REPO_ROOT / "docs" / "replay.md"
DOC_HOST = "http://127.0.0.1:8080"
DOC_PAGE = "https://nhandan.vn/thoi-su/bao-so-9-post1.html"


@dataclass
class Replay:
    crawl: SampleCrawl
    base: str
    workdir: Path


@pytest.fixture(scope="module")
def replay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replay]:
    tmp = tmp_path_factory.mktemp("standard")
    site = start_server(NHANDAN, tmp / "server.log")
    try:
        crawl = crawl_sample(site, tmp / "archive")
    finally:
        stop_process(site.process)  # replay with the site gone
    with pywb_collection(tmp / "pywb", crawl.warcs()) as base:  # pywb's defaults, no config
        yield Replay(crawl, base, tmp / "pywb")


def test_every_article_replays_as_html(replay: Replay) -> None:
    for record in replay.crawl.records:
        url = record["url"]
        ts = timestamp14(record["fetched_at"])
        # the latest capture and the capture at its time: pywb's frame (its banner) and, in
        # it, the page itself (``mp_``, what the frame loads)
        for path in (url, f"{ts}/{url}", f"mp_/{url}", f"{ts}mp_/{url}"):
            status, ctype, body = fetch(f"{replay.base}/{COLLECTION}/{path}")
            assert status == 200, (path, status)
            assert ctype.startswith("text/html"), (path, ctype)
            if "mp_/" in path:
                text = page_text(body, ctype)
                assert record["title"] in text, path
                assert not text.lstrip().startswith("{"), path
        # the page as archived, byte for byte, unrewritten
        status, ctype, body = fetch(
            f"{replay.base}/{COLLECTION}/{timestamp14(record['fetched_at'])}id_/{url}"
        )
        assert status == 200 and ctype.startswith("text/html")
        assert b"<title>" in body


def page_text(body: bytes, ctype: str) -> str:
    """The page's text as the record normalises it (its charset, NFC, spaces collapsed)."""
    text = unescape(decode_html(body, {"Content-Type": [ctype]}))
    return " ".join(text.replace("Ð", "Đ").split())


def _lines(text: str) -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for line in text.splitlines():
        if line.strip() and not line.startswith("!"):
            key, ts, block = line.split(" ", 2)
            out.append((key, ts, json.loads(block)))
    return out


def test_indexers_give_the_page_its_key_and_the_json_its_own(replay: Replay) -> None:
    article_urls = {r["url"] for r in replay.crawl.records}
    ours = (replay.crawl.archive / "index" / "index.cdxj").read_text(encoding="utf-8")
    wb_index = replay.workdir / "collections" / COLLECTION / "indexes" / "index.cdxj"
    cdxj = run_tool(pywb_tool("cdxj-indexer"), *replay.crawl.warcs(), cwd=replay.workdir).stdout
    for name, text in (("cdxj-indexer", cdxj), ("wb-manager", wb_index.read_text("utf-8"))):
        lines = _lines(text)
        by_key: dict[str, list[dict[str, Any]]] = {}
        for key, _ts, block in lines:
            by_key.setdefault(key, []).append(block)
        metadata = [b for _k, _t, b in lines if b.get("mime") == "application/json"]
        assert len(metadata) == len(article_urls), name  # one article record per page
        assert all(b["url"].startswith("urn:vnnews:article:") for b in metadata), name
        assert {b["url"].removeprefix("urn:vnnews:article:") for b in metadata} == article_urls
        for key, blocks in by_key.items():
            if any(b["url"] in article_urls for b in blocks):
                assert {b.get("mime") for b in blocks} == {"text/html"}, (name, key)
    assert "urn:vnnews:article:" not in ours  # our own index leaves metadata records out


def _doc_urls() -> list[str]:
    return sorted(set(re.findall(r"http://127\.0\.0\.1:8080/vnnews/[^\s`)\"']*", DOCS.read_text())))


def test_docs_urls_work_in_the_pinned_pywb(replay: Replay) -> None:
    urls = _doc_urls()
    kinds = {"collection": 0, "capture_list": 0, "calendar": 0, "page": 0}
    site = replay.crawl.site_url
    host = site.removeprefix("http://")
    article = replay.crawl.records[0]
    for doc_url in urls:
        url = doc_url.replace(DOC_HOST, replay.base).replace(DOC_PAGE, article["url"])
        url = url.replace("https://nhandan.vn", site).replace("nhandan.vn", host)
        url = url.replace("20261126150000", timestamp14(article["fetched_at"]))
        status, ctype, body = fetch(url)
        assert status == 200, (doc_url, url, status)
        if "/cdx?" in url:
            kinds["capture_list"] += 1
            listed = {json.loads(line)["url"] for line in body.decode().splitlines() if line}
            missing = {r["url"] for r in replay.crawl.records} - listed
            assert missing == set(), doc_url  # every article's capture is in the list
        elif url.rstrip("/").endswith(f"/{COLLECTION}"):
            kinds["collection"] += 1
            assert ctype.startswith("text/html")
        elif "/*/" in url:
            kinds["calendar"] += 1
            assert ctype.startswith("text/html")
        else:
            kinds["page"] += 1
            assert ctype.startswith("text/html")
            framed = "id_/" not in url  # pywb's frame; the page itself is its mp_ URL
            if framed:
                ts = timestamp14(article["fetched_at"])
                status, ctype, body = fetch(url.replace(f"/{ts}/", f"/{ts}mp_/"))
                assert status == 200 and ctype.startswith("text/html")
            assert article["title"] in page_text(body, ctype)
    assert all(kinds.values()), kinds  # the docs give each kind of URL


def test_article_uri_round_trip() -> None:
    from archive.recordbuilder import article_page_url, article_uri

    url = "https://nhandan.vn/thoi-su/bao-so-9-post1.html?x=1"
    assert article_uri(url) == "urn:vnnews:article:" + url
    assert article_page_url(article_uri(url)) == url
    assert article_page_url(url) is None
