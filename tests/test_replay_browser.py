"""Replay as the reader saw it, in a real browser (Debian's headless Chromium).

The sample site is crawled; article pages are opened live in Chromium (network log and
screenshot); the site is stopped; the crawl's WARCs go into a pywb collection made with pywb's
own tools (``wb-manager init`` + ``add``; ``framed_replay: false`` so the screenshot has no
banner); the same pages are replayed. Every image, stylesheet and font the live page loaded
must come from the archive (status 200, no 404 or failure in the replay's network log, nothing
fetched from the stopped site), lazy images must be loaded, and the replay's screenshot must
match the live one (share of differing pixels below ``MAX_DIFFERENCE``). Screenshots are kept in
the test's tmp directory (``live-N.png``, ``replay-N.png``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.browser_support import Browser, PageLoad, chromium_binary, image_difference
from tests.conftest import NHANDAN, start_server, stop_process
from tests.replay_support import (
    COLLECTION,
    SampleCrawl,
    crawl_sample,
    fetch,
    have_pywb_tools,
    pywb_collection,
    timestamp14,
)

pytestmark = [
    pytest.mark.skipif(not have_pywb_tools(), reason="pywb venv missing: make venv"),
    pytest.mark.skipif(
        chromium_binary() is None, reason="chromium missing: tools/ensure-chromium.sh"
    ),
]
MAX_DIFFERENCE = 0.005  # share of pixels allowed to differ
RENDERED = ("Image", "Stylesheet", "Font")


@dataclass
class Replayed:
    crawl: SampleCrawl
    base: str
    shots: Path
    live: dict[str, PageLoad] = field(default_factory=dict)
    replay: dict[str, PageLoad] = field(default_factory=dict)
    images_loaded: dict[str, Any] = field(default_factory=dict)


def chosen_articles(expected: dict[str, Any]) -> list[dict[str, Any]]:
    """The article with the most images (lead srcset + lazy body images) and the one with a
    document attached."""
    articles = expected["articles"]
    most = max(articles, key=lambda a: (len(a["images"]), a["path"]))
    document = next(a for a in articles if a["resources"]["documents"])
    return [most, document] if document is not most else [most]


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replayed]:
    tmp = tmp_path_factory.mktemp("browser")
    site = start_server(NHANDAN, tmp / "server.log")
    articles = chosen_articles(site.expected)
    live: dict[str, PageLoad] = {}
    with Browser.start(tmp / "profile") as browser:
        try:
            crawl = crawl_sample(site, tmp / "archive")
            for article in articles:
                live[article["url"]] = browser.load(article["url"])
        finally:
            stop_process(site.process)  # the replay has only the archive
        result = Replayed(crawl, "", tmp)
        result.live = live
        with pywb_collection(tmp / "pywb", crawl.warcs(), config="framed_replay: false\n") as base:
            result.base = base
            captured = {r["url"]: r for r in crawl.records}
            for n, article in enumerate(articles):
                url = article["url"]
                ts = timestamp14(captured[url]["fetched_at"])
                page = browser.load(f"{base}/{COLLECTION}/{ts}mp_/{url}")
                result.replay[url] = page
                result.images_loaded[url] = browser.evaluate(
                    "Array.from(document.images).map(i => [i.currentSrc || i.src, i.complete,"
                    " i.naturalWidth, i.className])"
                )
                (tmp / f"live-{n}.png").write_bytes(live[url].screenshot)
                (tmp / f"replay-{n}.png").write_bytes(page.screenshot)
            yield result


def original_url(replay_url: str, base: str) -> str:
    """``http://pywb/vnnews/20261203193024im_/http://site/x.jpg`` -> ``http://site/x.jpg``."""
    prefix = re.escape(f"{base}/{COLLECTION}/")
    return re.sub(rf"^{prefix}(?:\d{{0,14}}[a-z]{{2}}_/|\d{{14}}/)?", "", replay_url)


def test_every_image_stylesheet_and_font_comes_from_the_archive(replayed: Replayed) -> None:
    for url, live in replayed.live.items():
        wanted = {
            e.url for e in live.loaded(*RENDERED) if e.url.startswith("http") and e.status == 200
        }
        assert any(e.type == "Font" for e in live.entries) and any(
            e.type == "Stylesheet" for e in live.entries
        )
        assert len([u for u in wanted if "/images/" in u]) >= 1, url
        replay = replayed.replay[url]
        served = {
            original_url(e.url, replayed.base): e
            for e in replay.entries
            if e.url.startswith(replayed.base)
        }
        missing = sorted(u for u in wanted if u not in served or served[u].status != 200)
        assert missing == [], (url, missing)


def test_no_404_and_nothing_from_the_live_site(replayed: Replayed) -> None:
    for url, replay in replayed.replay.items():
        bad = [
            (e.url, e.status, e.failed)
            for e in replay.entries
            if e.failed or (e.status is not None and e.status >= 400)
        ]
        assert bad == [], url
        site = replayed.crawl.site_url
        escaped = [e.url for e in replay.entries if e.url.startswith(site)]
        assert escaped == [], url  # every request went to the archive


def test_lazy_images_are_loaded_in_the_replay(replayed: Replayed) -> None:
    for url, images in replayed.images_loaded.items():
        assert images, url
        for src, complete, width, _classes in images:
            assert complete and width > 0, (url, src)
            assert "/images/" in src and src.startswith(replayed.base), (url, src)
        lazy = [i for i in images if "lazyloaded" in i[3]]
        expected_lazy = next(a for a in replayed.crawl.expected["articles"] if a["url"] == url)[
            "resources"
        ]["lazy_images"]
        assert len(lazy) == len(expected_lazy), url


def test_screenshot_matches_the_live_page(replayed: Replayed) -> None:
    for url, live in replayed.live.items():
        difference = image_difference(live.screenshot, replayed.replay[url].screenshot)
        assert difference < MAX_DIFFERENCE, (url, difference, str(replayed.shots))


def test_the_linked_document_replays(replayed: Replayed) -> None:
    captured = {r["url"]: r for r in replayed.crawl.records}
    articles = [a for a in replayed.crawl.expected["articles"] if a["resources"]["documents"]]
    for article in articles:
        ts = timestamp14(captured[article["url"]]["fetched_at"])
        for doc in article["resources"]["documents"]:
            status, ctype, body = fetch(f"{replayed.base}/{COLLECTION}/{ts}id_/{doc}")
            assert status == 200 and ctype.startswith("application/pdf")
            path = doc.removeprefix(replayed.crawl.site_url + "/")
            assert body == (NHANDAN / path).read_bytes()


def test_a_replay_without_the_resources_would_fail(replayed: Replayed, tmp_path: Path) -> None:
    """The screenshot check can fail: the live page against its own bare HTML (no CSS,
    images or font) differs well above the threshold."""
    url, live = next(iter(replayed.live.items()))
    captured = {r["url"]: r for r in replayed.crawl.records}
    ts = timestamp14(captured[url]["fetched_at"])
    with Browser.start(tmp_path / "profile") as browser:
        bare = browser.load(
            f"data:text/html;charset=utf-8,{fetch_text(replayed, ts, url)}", idle=0.5
        )
    assert image_difference(live.screenshot, bare.screenshot) > 20 * MAX_DIFFERENCE


def fetch_text(replayed: Replayed, ts: str, url: str) -> str:
    from urllib.parse import quote

    _status, _ctype, body = fetch(f"{replayed.base}/{COLLECTION}/{ts}id_/{url}")
    html = body.decode("utf-8", "replace")
    html = re.sub(r"<link[^>]+stylesheet[^>]*>|<script[^>]*>.*?</script>", "", html, flags=re.S)
    return quote(re.sub(r"<img[^>]*>", "", html))
