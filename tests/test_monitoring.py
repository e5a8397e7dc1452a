"""Drift checks, report building, secrets, report files and the sites overview (no crawl).

Each drift check is tested on both sides: a history and a run that must be flagged, and the
nearest healthy case that must not be.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitoring.archivescan import scan_archive
from monitoring.drift import Thresholds, run_checks
from monitoring.history import site_reports, write_report
from monitoring.htmlreport import axis
from monitoring.overview import format_table, site_rows
from monitoring.progress import progress_line
from monitoring.report import (
    RunObserver,
    build_report,
    mask_secrets,
    mask_text,
    published_is_fetch_date,
    settings_diff,
    summary_lines,
)
from vnnews.paths import ArchivePaths

T0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
TH = Thresholds()  # the defaults of settings.py


def record(
    i: int, *, text_len: int = 600, published: str | None = "auto", source: str = ""
) -> dict[str, Any]:
    fetched = T0 + timedelta(days=i)
    if published == "auto":
        published = (fetched - timedelta(days=2)).isoformat()
    return {
        "url": f"https://nhandan.vn/a-post{i}.html",
        "canonical_url": f"https://nhandan.vn/a-post{i}.html",
        "site": "nhandan",
        "text": "x" * text_len,
        "published": published,
        "published_source": source or ("profile:selector" if published else None),
        "published_precision": "second",
        "fetched_at": fetched.isoformat(),
        "version": 1,
    }


def report(
    n: int = 20,
    *,
    start: datetime = T0,
    text_len: int = 600,
    published: str | None = "auto",
    source: str = "",
    stats: dict[str, Any] | None = None,
    discovery: dict[str, int] | None = None,
    new: int | None = None,
    reason: str = "finished",
    has_profile: bool = True,
) -> dict[str, Any]:
    """A report as build_report makes it, from stats and records of a run."""
    observer = RunObserver(fetch_date_window=120)
    for i in range(n):
        rec = record(i, text_len=text_len, published=published, source=source)
        observer.record_extracted(rec)
        observer.record_written(rec)
    for url, status in (discovery or {"https://nhandan.vn/sitemap.xml": 200}).items():
        observer.discovery_requested(url, "sitemap")
        if status:
            observer.discovery_answered(url, "sitemap", status)
    base = {
        "extract/articles": n,
        "dedup/new_articles": n if new is None else new,
        "json/records": n,
        "news/pages/article": n,
    }
    return build_report(
        stats={**base, **(stats or {})},
        observer=observer,
        site="nhandan",
        has_profile=has_profile,
        arguments={"site": "nhandan", "start_urls": []},
        started_at=start,
        finished_at=start + timedelta(seconds=30),
        finish_reason=reason,
        settings={},
        pid=1234,
    )


def history(k: int = 3, **kwargs: Any) -> list[dict[str, Any]]:
    return [report(start=T0 + timedelta(hours=h), **kwargs) for h in range(k)]


def checks(current: dict[str, Any], previous: list[dict[str, Any]]) -> set[str]:
    return {f.check for f in run_checks(current, previous, TH)}


def test_healthy_run_after_healthy_history_has_no_flag() -> None:
    assert checks(report(), history()) == set()
    assert checks(report(), []) == set()  # a first run with good data


def test_extraction_failures_above_threshold() -> None:
    bad = report(stats={"extract/not_article": 5, "extract/errors": 3})  # 8 of 28
    assert "extraction_failures" in checks(bad, history())
    ok = report(stats={"extract/not_article": 5})  # 5 of 25 = 20%
    assert "extraction_failures" not in checks(ok, history())
    few = report(n=2, stats={"extract/errors": 2})  # 2 of 4: too few pages to judge
    assert "extraction_failures" not in checks(few, history())


def test_dates_missing_or_equal_to_capture_time() -> None:
    assert "dates" in checks(report(published=None), history())
    now = report(n=10)
    # the capture time as the date, to the second: a default standing in for a date
    observer = RunObserver(120)
    for i in range(10):
        rec = record(i)
        rec["published"] = rec["fetched_at"]
        observer.record_extracted(rec)
    now["extracted"] = observer.extracted_summary()
    assert now["extracted"]["published_is_fetch_date"] == 10
    assert "dates" in checks(now, history())
    assert "dates" not in checks(report(), history())


def test_published_is_fetch_date_rules() -> None:
    rec = {"fetched_at": "2026-05-01T08:00:00+00:00", "published_precision": "second"}
    assert published_is_fetch_date({**rec, "published": "2026-05-01T15:01:00+07:00"}, 120)
    assert not published_is_fetch_date({**rec, "published": "2026-05-01T14:00:00+07:00"}, 120)
    day = {**rec, "published_precision": "day", "published": "2026-05-01T00:00:00+07:00"}
    assert published_is_fetch_date(day, 120)
    assert not published_is_fetch_date({**day, "published": "2026-04-30T00:00:00+07:00"}, 120)
    assert not published_is_fetch_date({**rec, "published": None}, 120)


def test_median_body_length_falling_by_more_than_half() -> None:
    assert "body_length" in checks(report(text_len=250), history(text_len=600))
    assert "body_length" not in checks(report(text_len=350), history(text_len=600))
    assert "body_length" not in checks(report(text_len=250), [])  # nothing to compare with


def test_no_new_articles_for_n_runs_on_a_site_that_usually_has_them() -> None:
    usual = history(6)  # every run found new articles
    quiet = [report(start=T0 + timedelta(days=1, hours=h), new=0) for h in range(4)]
    flagged = report(start=T0 + timedelta(days=2), new=0)
    assert "no_new_articles" in checks(flagged, usual + quiet)  # 5 quiet runs in a row
    assert "no_new_articles" not in checks(flagged, usual + quiet[1:])  # only 4
    always_quiet = [report(start=T0 + timedelta(hours=h), new=0) for h in range(10)]
    assert "no_new_articles" not in checks(flagged, always_quiet)  # the site never has any


def test_a_quiet_spell_that_the_usual_pace_explains_is_not_flagged() -> None:
    """Frequent runs of a slow site: 6 new articles in 8 runs (0.75 per run)."""
    pace = [report(start=T0 + timedelta(hours=h), new=[1, 1, 0][h % 3]) for h in range(8)]

    def quiet(k: int) -> list[dict[str, Any]]:
        return [report(start=T0 + timedelta(days=1, hours=h), new=0) for h in range(k)]

    now = report(start=T0 + timedelta(days=2), new=0)
    assert "no_new_articles" not in checks(now, pace + quiet(4))  # 5 quiet runs: 3.75 expected
    assert "no_new_articles" in checks(now, pace + quiet(6))  # 7 quiet runs: 5.25 expected


def test_discovery_source_that_stopped_answering() -> None:
    before = history(
        2, discovery={"https://nhandan.vn/sitemap.xml": 200, "https://nhandan.vn/rss": 200}
    )
    gone = report(discovery={"https://nhandan.vn/sitemap.xml": 404, "https://nhandan.vn/rss": 304})
    flags = [f for f in run_checks(gone, before, TH) if f.check == "discovery"]
    assert len(flags) == 1 and "sitemap.xml (HTTP 404)" in flags[0].message
    assert "rss" not in flags[0].message  # a 304 is an answer
    silent = report(discovery={"https://nhandan.vn/sitemap.xml": 0, "https://nhandan.vn/rss": 200})
    assert "no answer" in next(
        f.message for f in run_checks(silent, before, TH) if f.check == "discovery"
    )
    dropped = report(discovery={"https://nhandan.vn/sitemap.xml": 200})
    assert "no longer requested" in next(
        f.message for f in run_checks(dropped, before, TH) if f.check == "discovery"
    )
    elsewhere = report(discovery={"http://127.0.0.1:9/sitemap.xml": 200})  # another host
    assert "discovery" not in checks(elsewhere, before)


def test_a_discovery_source_that_stays_down_is_flagged_every_run() -> None:
    """A scheduler watching exit codes sees every failing run, not only the first."""
    up = {"https://nhandan.vn/sitemap.xml": 200, "https://nhandan.vn/rss": 200}
    down = {"https://nhandan.vn/sitemap.xml": 404, "https://nhandan.vn/rss": 200}
    runs = history(3, discovery=up)
    for n in range(1, 4):  # the first run down, then two more
        now = report(start=T0 + timedelta(days=n), discovery=down)
        flags = [f for f in run_checks(now, runs, TH) if f.check == "discovery"]
        assert len(flags) == 1 and "sitemap.xml (HTTP 404" in flags[0].message, n
        assert ("down for" in flags[0].message) == (n > 1)
        assert "rss" not in flags[0].message
        runs = [*runs, now]
    back = report(start=T0 + timedelta(days=5), discovery=up)
    assert "discovery" not in checks(back, runs)
    # a source that answered once, long ago, is no longer compared once out of the window
    old = history(1, discovery=up) + [
        report(start=T0 + timedelta(days=d), discovery=down) for d in range(1, 12)
    ]
    assert "discovery" not in checks(report(start=T0 + timedelta(days=12), discovery=down), old)


def test_profile_selectors_stopped_matching() -> None:
    miss = report(stats={"extract/profile_miss": 15})
    assert "selectors" in checks(miss, history())
    guessed = report(source="layout:selector")
    assert "selectors" in checks(guessed, history())
    assert "selectors" not in checks(report(source="layout:selector", has_profile=False), [])
    from_jsonld = report(source="jsonld:datePublished")  # the selector no longer finds dates
    assert "selectors" in checks(from_jsonld, history())
    assert "selectors" not in checks(from_jsonld, history(source="jsonld:datePublished"))


def test_interrupted_runs_are_not_judged_nor_compared_with() -> None:
    assert checks(report(published=None, reason="shutdown"), history()) == set()
    broken_history = history(3, text_len=100, reason="shutdown")
    assert "body_length" not in checks(report(text_len=200), broken_history)
    assert "dates" in checks(report(published=None, reason="closespider_timeout"), history())


def test_masking_secrets() -> None:
    assert mask_text("redis://:pw@host:6379/0") == "redis://:***@host:6379/0"
    assert (
        mask_text("https://user:pw@x.vn/a?token=abc&page=2")
        == "https://user:***@x.vn/a?token=***&page=2"
    )
    masked = mask_secrets({"DEDUP_REDIS_URL": "redis://u:p@h/0", "API_KEY": "k", "N": 3})
    assert masked == {"DEDUP_REDIS_URL": "redis://u:***@h/0", "API_KEY": "***", "N": 3}


def test_settings_diff_lists_only_changed_values() -> None:
    current = {"A": 1, "B": "x", "C": [1, 2], "PASSWORD": "hunter2"}
    defaults = {"A": 1, "B": "y", "C": (1, 2), "PASSWORD": ""}
    assert settings_diff(current, defaults, current) == {"B": "x", "PASSWORD": "***"}


def test_report_counts_from_stats() -> None:
    stats = {
        "news/discovered/sitemap": 30,
        "news/discovered/feed": 5,
        "downloader/response_count": 40,
        "archive/responses": 30,
        "archive/revisits": 9,
        "dedup/not_modified": 7,
        "dedup/revisits": 2,
        "dedup/new_articles": 3,
        "dedup/new_versions": 2,
        "dedup/unchanged_text": 4,
        "dedup/known_revisit": 1,
        "news/recheck/skipped_not_due": 11,
        "news/dropped/offsite": 6,
        "robotstxt/forbidden": 2,
        "news/errors/http_500": 2,
        "extract/errors": 1,
        "extract/not_article": 2,
        "extract/articles": 10,
        "archive/bytes": 12345,
    }
    rep = report(n=0, stats=stats)
    assert rep["pages"]["discovered"] == {"feed": 5, "sitemap": 30}
    assert rep["archive"]["revisits_by_profile"] == {
        "server-not-modified": 7,
        "identical-payload-digest": 2,
    }
    assert rep["articles"] == {
        "new": 3,
        "changed": 2,
        "unchanged": 5,
        "skipped_not_due": 11,
        "records_written": 0,
    }
    assert rep["drops"] == {"offsite": 6, "robots": 2}
    assert rep["errors"] == {"extraction": 1, "http_500": 2}
    assert rep["extraction"]["pages"] == 13 and rep["extraction"]["failures"] == 3
    assert rep["bytes_written"]["warc"] == 12345
    lines = summary_lines({**rep, "drift": {"flags": []}}, "runs/x.json")
    assert len(lines) <= 6 and "3 new, 2 changed, 5 unchanged, 11 not due" in lines[2]


def test_progress_line() -> None:
    stats = {
        "response_received_count": 1204,
        "item_scraped_count": 310,
        "dedup/new_articles": 280,
        "dedup/new_versions": 12,
        "news/errors/http_404": 3,
    }
    line = progress_line(stats, pages_per_min=96.4, waiting=2140, in_flight=4)
    assert line == (
        "Progress: 1,204 pages (96/min), 310 items, queue 2,140 (+4 in flight), "
        "articles 280 new / 12 changed, 3 errors"
    )


def test_reports_are_written_atomically_kept_and_read_back_in_order(tmp_path: Path) -> None:
    paths = ArchivePaths.of(tmp_path)
    first = write_report(paths, report(start=T0))
    second = write_report(paths, report(start=T0))  # same second, same pid: both kept
    third = write_report(paths, report(start=T0 - timedelta(hours=1)))
    assert first != second and len({first, second, third}) == 3
    assert first.parent == paths.runs_dir / "nhandan"
    (first.parent / "crawl.log").write_text("a log of another component", encoding="utf-8")
    (first.parent / "other.json").write_text('{"format": "something else"}', encoding="utf-8")
    (first.parent / "torn.json.open").write_text("{", encoding="utf-8")
    loaded = site_reports(paths, "nhandan")
    assert [r["_path"] for r in loaded] == [str(third), str(first), str(second)]
    assert json.loads(first.read_text(encoding="utf-8"))["site"] == "nhandan"


def test_sites_overview_from_reports_and_records(tmp_path: Path) -> None:
    paths = ArchivePaths.of(tmp_path)
    ok = write_report(paths, report(start=T0))
    bad = report(start=T0 + timedelta(hours=1), published=None)
    bad["drift"] = {"flags": [{"check": "dates", "message": "m"}], "compared_runs": 1}
    write_report(paths, bad)
    ok_report = json.loads(ok.read_text(encoding="utf-8"))
    paths.json_dir.mkdir()
    recs = [record(i) for i in range(3)] + [{**record(0), "version": 2}]
    # no profile: the site is the article's (an AMP page counts on its canonical's site; a
    # copy naming an original on another site counts on its own)
    recs.append({**record(9), "site": None, "url": "https://amp.tintuc.vn/b",
                 "canonical_url": "https://www.tintuc.vn/b"})  # fmt: skip
    recs.append({**record(8), "site": None, "url": "https://baomoi.com/c.epi",
                 "canonical_url": "https://www.tintuc.vn/c"})  # fmt: skip
    with open(paths.json_dir / "articles-1-1.jsonl", "w", encoding="utf-8") as fh:
        fh.write("".join(json.dumps(r) + "\n" for r in recs) + "{broken\n")
    archive = scan_archive(paths)
    assert archive["nhandan"].article_count == 3 and archive["nhandan"].versions == 4
    assert archive["tintuc.vn"].article_count == 1 and archive["baomoi.com"].article_count == 1
    days = Counter(r["published"][:10] for r in recs[:3])
    assert archive["nhandan"].published_per_day == days
    from monitoring.history import all_reports

    rows = {r.site: r for r in site_rows(["nhandan", "vnexpress"], all_reports(paths), archive)}
    assert rows["nhandan"].last_success == ok_report["started_at"]
    assert rows["nhandan"].drift == ["dates"] and rows["nhandan"].runs == 2
    assert rows["vnexpress"].last_result == "never run" and rows["vnexpress"].articles == 0
    assert not rows["tintuc.vn"].has_profile
    table = format_table(list(rows.values()))
    assert "tintuc.vn *" in table and "no site profile" in table


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, (1, 1)), (3, (3, 1)), (7, (8, 2)), (27, (30, 10)), (101, (125, 25)), (1234, (1250, 250))],
)
def test_chart_axis_has_whole_ticks(value: int, expected: tuple[int, int]) -> None:
    top, step = axis(value)
    assert (top, step) == expected and top % step == 0 and top >= value and top // step <= 5


def test_report_files_never_hold_a_temp_file(tmp_path: Path) -> None:
    paths = ArchivePaths.of(tmp_path)
    path = write_report(paths, report())
    assert sorted(os.listdir(path.parent)) == [path.name]


def test_broken_layout_overlay_is_up_to_date() -> None:
    """tests/sites/nhandan-broken is what tests/sites_src/build_nhandan_broken.py writes."""
    import subprocess
    import sys

    script = Path(__file__).parent / "sites_src" / "build_nhandan_broken.py"
    result = subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_sites_on_one_host_have_their_own_history() -> None:
    from types import SimpleNamespace

    from monitoring.runreport import site_of

    def spider(url: str) -> Any:
        return SimpleNamespace(profile=None, site_name=None, start_urls=[url], name="news")

    assert site_of(spider("http://127.0.0.1:8001/"))[0] == "127.0.0.1:8001"
    assert site_of(spider("http://127.0.0.1:8002/"))[0] == "127.0.0.1:8002"
    assert site_of(spider("https://www.nhandan.vn/"))[0] == "nhandan.vn"


def test_records_of_a_site_on_a_port_count_under_its_run_reports_site() -> None:
    """`scrapy sites` / `scrapy report` put a start_urls site's records and runs on one row."""
    from types import SimpleNamespace

    from monitoring.archivescan import record_site
    from monitoring.runreport import site_of

    for start, article in [
        ("http://127.0.0.21:8731/", "http://127.0.0.21:8731/tin-tuc/a-1.html"),
        ("https://www.tintuc.vn/", "https://www.tintuc.vn/a-1.html"),
        ("https://tintuc.vn:8443/", "https://tintuc.vn:8443/a-1.html"),
    ]:
        spider = SimpleNamespace(profile=None, site_name=None, start_urls=[start], name="news")
        rec = {"site": None, "canonical_url": article, "url": article}
        assert record_site(rec) == site_of(spider)[0]
