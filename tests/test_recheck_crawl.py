"""Incremental runs over the sample site, read off the mock server's request log.

A second run over an unchanged site requests the discovery pages (robots.txt, sitemaps,
feeds, start page, the pages it links to) and nothing else; an article whose re-check is
due, one whose sitemap ``lastmod`` moved, and one a listing shows under a new title are
fetched again; ``NEWS_RECHECK=all`` fetches every article again.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from archive.recheck import ARTICLE, SqliteRecheckStore, UrlState
from tests.conftest import NHANDAN, RunningSite, run_crawl
from vnnews.paths import ArchivePaths

LASTMOD_CHANGED = (
    "/phuc-dung-le-hoi-dinh-lang-ven-song-hong-sau-nhieu-thap-ky-gian-doan-post645325.html"
)
TITLE_CHANGED = "/quang-ninh-mo-rong-dich-vu-cong-truc-tuyen-muc-do-4-post645268.html"
OLD_TITLE = "Quảng Ninh mở rộng dịch vụ công trực tuyến mức độ 4</a>"
NEW_TITLE = "Quảng Ninh mở rộng dịch vụ công trực tuyến mức độ 4 trên toàn tỉnh</a>"


def crawl(site: RunningSite, archive: Path, **settings: object) -> tuple[set[str], dict[str, int]]:
    """Crawl the site; the paths it requested and the crawl's integer stats."""
    mark = site.mark()
    args = ["-a", "site=nhandan", "-a", f"start_urls={site.url}"]
    result = run_crawl(args, archive, dict(settings))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "'finish_reason': 'finished'" in result.stderr
    stats = {k: int(v) for k, v in re.findall(r"'([\w/.-]+)': (\d+)[,}]", result.stderr)}
    return {path for _, path, _ in site.requests(mark)}, stats


def article_paths(site: RunningSite) -> set[str]:
    return {a["path"] for a in site.expected["articles"]}


def test_second_run_requests_discovery_pages_and_due_articles_only(
    site_server: Callable[..., RunningSite], tmp_path: Path
) -> None:
    site = site_server()
    archive = tmp_path / "archive"
    articles = article_paths(site)

    first, stats1 = crawl(site, archive)
    assert articles <= first  # the whole sample site was archived
    assert stats1.get("news/recheck/skipped_not_due", 0) == 0
    assert not (ArchivePaths.of(archive).jobs_dir / "nhandan").exists()  # emptied at the end

    # unchanged site, a minute later: discovery only, every article skipped as not due
    second, stats2 = crawl(site, archive)
    assert not second & articles, sorted(second & articles)
    assert {"/robots.txt", "/", "/sitemap.xml", "/rss/home.rss"} <= second
    assert any(p.startswith("/sitemaps/") for p in second)
    assert not any("trang-" in p for p in second)  # no next pages: the first showed nothing new
    assert second < first
    assert stats2["news/recheck/skipped_not_due"] >= 14  # at least the sitemap's articles
    assert stats2.get("news/recheck/due", 0) == 0
    assert stats2.get("item_scraped_count", 0) == 0

    # time passes: one article published 2 h ago and last checked at 30 min old is due
    # (its 1 h re-check); one last checked at 1 h 30 min old is not (next at 6 h)
    store = SqliteRecheckStore(ArchivePaths.of(archive).recheck_db)
    now = datetime.now(UTC)
    due_path, fresh_path = sorted(articles)[:2]
    for path, checked_age in (
        (due_path, timedelta(minutes=30)),
        (fresh_path, timedelta(hours=1.5)),
    ):
        url = site.url + path
        old = store.get("nhandan", url)
        assert old is not None and old.kind == ARTICLE
        published = now - timedelta(hours=2)
        aged = UrlState(url, ARTICLE, published, published + checked_age, published=published)
        store.put("nhandan", aged.with_titles(old.titles))
    store.close()
    third, stats3 = crawl(site, archive)
    assert third & articles == {due_path}
    assert stats3["news/recheck/due"] == 1

    # audit: every archived article again, conditionally (nothing changed: 304s)
    mark = site.mark()
    fourth, stats4 = crawl(site, archive, NEWS_RECHECK="all")
    assert articles <= fourth
    statuses = {path: status for _, path, status in site.requests(mark)}
    assert {statuses[p] for p in articles} == {304}
    assert stats4.get("news/recheck/skipped_not_due", 0) == 0


def changed_overlay(directory: Path) -> Path:
    """The sample site a day later: one article's lastmod moved, one listing title changed."""
    (directory / "sitemaps").mkdir(parents=True)
    (directory / "thoi-su").mkdir()
    sitemap = (NHANDAN / "sitemaps" / "articles-2021-05.xml").read_text(encoding="utf-8")
    entry = re.search(re.escape(LASTMOD_CHANGED) + r"</loc><lastmod>([^<]+)</lastmod>", sitemap)
    assert entry is not None
    moved = sitemap.replace(entry.group(0), entry.group(0).replace(entry.group(1), "2099-01-01"))
    (directory / "sitemaps" / "articles-2021-05.xml").write_text(moved, encoding="utf-8")
    listing = (NHANDAN / "thoi-su" / "index.html").read_text(encoding="utf-8")
    assert OLD_TITLE in listing
    (directory / "thoi-su" / "index.html").write_text(
        listing.replace(OLD_TITLE, NEW_TITLE), encoding="utf-8"
    )
    return directory


def test_sources_saying_changed_trigger_a_refetch_once(
    site_server: Callable[..., RunningSite], tmp_path: Path
) -> None:
    v1 = site_server()
    archive = tmp_path / "archive"
    articles = article_paths(v1)
    crawl(v1, archive)
    v1.stop()

    v2 = site_server(overlay=changed_overlay(tmp_path / "overlay"), port=v1.port)
    second, stats = crawl(v2, archive)
    assert second & articles == {LASTMOD_CHANGED, TITLE_CHANGED}
    assert stats["news/recheck/changed_by_source"] == 2
    assert stats["news/recheck/changed_by_source/date"] == 1
    assert stats["news/recheck/changed_by_source/title"] == 1
    # the listing showed something new, so its next page was read too
    assert "/thoi-su/trang-2" in second

    # the same sources again: nothing new to act on (the far-future lastmod does not
    # trigger a fetch per run; the new title is now known)
    third, stats3 = crawl(v2, archive)
    assert not third & articles, sorted(third & articles)
    assert stats3.get("news/recheck/changed_by_source", 0) == 0


def test_bad_recheck_setting_is_one_line_and_nonzero_exit(
    sample_site: RunningSite, tmp_path: Path
) -> None:
    args = ["-a", "site=nhandan", "-a", f"start_urls={sample_site.url}"]
    result = run_crawl(args, tmp_path / "a", {"NEWS_RECHECK_AFTER": "1h,often"})
    assert result.returncode != 0
    assert "NEWS_RECHECK_AFTER" in result.stderr and "often" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "a" / "warc").exists() or not any((tmp_path / "a" / "warc").iterdir())
