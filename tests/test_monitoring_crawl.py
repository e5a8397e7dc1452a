"""Run reports and drift checks on real crawls of the sample site, into one archive.

Four crawls at the same URL (the server restarted on the same port between them):

1. the sample site (v1): the first report, no history, no flag;
2. a day later (``nhandan-v2``: one new article, one corrected): a healthy re-crawl, no flag;
3. after a redesign (``nhandan-broken``: bodies cut to one paragraph, dates gone, sitemap and
   feed moved): flagged — ERROR lines, flags in the report, exit code MONITOR_DRIFT_EXIT_CODE;
4. the broken site again with ``MONITOR_FAIL_ON_DRIFT=False``: still flagged, exit code 0.

Re-crawls use ``NEWS_RECHECK=all`` so every archived article is fetched again (conditionally).
The report's numbers are checked against what the run wrote (JSON Lines and WARC files named
with the run's pid), not against the stats they were computed from.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import NHANDAN, NHANDAN_V2, REPO_ROOT, SITES, run_crawl, start_server

BROKEN = SITES / "nhandan-broken"
DRIFT_EXIT = 7  # settings.MONITOR_DRIFT_EXIT_CODE
SECRET = "s3cr3t-pw"


@dataclass
class Run:
    result: subprocess.CompletedProcess[str]
    report: dict[str, Any]
    path: Path


@dataclass
class Crawls:
    archive: Path
    runs: list[Run]


def _report_of(archive: Path, before: set[Path]) -> Path:
    new = sorted(set((archive / "runs" / "nhandan").glob("*.json")) - before)
    assert len(new) == 1, f"expected one new run report, found {new}"
    return new[0]


@pytest.fixture(scope="module")
def crawls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawls]:
    base = tmp_path_factory.mktemp("monitoring")
    archive = base / "archive"
    runs: list[Run] = []
    port = 0
    plan: list[tuple[Path | None, dict[str, Any]]] = [
        # a password in a setting given on the command line must not reach the report
        (None, {"MONITOR_PROGRESS_INTERVAL": 0.2, "DEDUP_REDIS_URL": f"redis://:{SECRET}@h:1/0"}),
        (NHANDAN_V2, {"NEWS_RECHECK": "all"}),
        (BROKEN, {"NEWS_RECHECK": "all"}),
        (BROKEN, {"NEWS_RECHECK": "all", "MONITOR_FAIL_ON_DRIFT": False}),
    ]
    for i, (overlay, settings) in enumerate(plan):
        site = start_server(NHANDAN, base / f"server-{i}.log", overlay, port)
        port = site.port
        try:
            before = set((archive / "runs" / "nhandan").glob("*.json"))
            result = run_crawl(
                ["-a", "site=nhandan", "-a", f"start_urls={site.url}/"], archive, settings
            )
        finally:
            site.stop()
        assert "Traceback" not in result.stderr, result.stderr[-3000:]
        path = _report_of(archive, before)
        runs.append(Run(result, json.loads(path.read_text(encoding="utf-8")), path))
    yield Crawls(archive, runs)


def _records(archive: Path, pid: int) -> list[dict[str, Any]]:
    out = []
    for path in sorted((archive / "json").glob(f"*-{pid}.jsonl")):
        out.extend(json.loads(line) for line in path.read_text(encoding="utf-8").splitlines())
    return out


def test_every_run_writes_one_report_named_by_start_time_and_pid(crawls: Crawls) -> None:
    names = [run.path.name for run in crawls.runs]
    assert len(set(names)) == 4
    for run in crawls.runs:
        assert re.fullmatch(rf"\d{{8}}T\d{{6}}Z-{run.report['pid']}\.json", run.path.name)
        assert run.report["format"] == "vnnews-run-report/1"
        assert run.report["site"] == "nhandan" and run.report["has_profile"] is True
        assert run.report["finish_reason"] == "finished"
    assert not list((crawls.archive / "runs").rglob("*.open")), "a temp file was left"


def test_first_run_report_matches_what_the_run_wrote(crawls: Crawls) -> None:
    run = crawls.runs[0]
    report, archive = run.report, crawls.archive
    assert run.result.returncode == 0, run.result.stderr[-3000:]
    records = _records(archive, report["pid"])
    assert len(records) == 27
    assert report["articles"] == {
        "new": 27,
        "changed": 0,
        "unchanged": 0,
        "skipped_not_due": 0,
        "records_written": 27,
    }
    assert report["date_sources"] == dict(Counter(r["published_source"] for r in records))
    assert report["extraction"]["pages"] == 27 and report["extraction"]["failures"] == 0
    assert report["pages"]["discovered"]["sitemap"] > 0 and report["pages"]["discovered"]["feed"]
    jsonl = sum(p.stat().st_size for p in (archive / "json").glob(f"*-{report['pid']}.jsonl"))
    warc = sum(p.stat().st_size for p in (archive / "warc").glob(f"*-{report['pid']}.warc.gz"))
    assert report["bytes_written"] == {"json": jsonl, "warc": warc}
    lengths = sorted(len(r["text"]) for r in records)
    assert report["extracted"]["text_length_median"] == lengths[len(lengths) // 2]
    assert report["errors"].get("http_404", 0) >= 1  # the seed's related list links a 404
    assert report["drops"]["offsite"] > 0
    assert report["discovery"][f"{report['arguments']['start_urls'][0]}sitemap.xml"] == {
        "kind": "sitemap",
        "status": 200,
    }
    assert report["drift"] == {"flags": [], "compared_runs": 0}


def test_settings_that_differ_are_reported_with_secrets_masked(crawls: Crawls) -> None:
    first, second = crawls.runs[0], crawls.runs[1]
    assert first.report["settings"]["DEDUP_REDIS_URL"] == "redis://:***@h:1/0"
    assert first.report["settings"]["DOWNLOAD_DELAY"] == "0"
    assert "ROBOTSTXT_OBEY" not in first.report["settings"]  # not changed: not listed
    assert second.report["settings"]["NEWS_RECHECK"] == "all"
    for run in crawls.runs:
        assert SECRET not in run.path.read_text(encoding="utf-8")


def test_summary_and_progress_lines(crawls: Crawls) -> None:
    err = crawls.runs[0].result.stderr
    assert "Run report nhandan: finished in" in err
    assert "articles: 27 new, 0 changed, 0 unchanged, 0 not due" in err
    assert "drift: none" in err
    progress = re.findall(
        r"Progress: [\d,]+ pages \([\d,]+/min\), [\d,]+ items, queue (?:[\d,]+|\?) "
        r"\(\+\d+ in flight\), articles [\d,]+ new / [\d,]+ changed, [\d,]+ errors",
        err,
    )
    assert progress, err[-3000:]
    assert "Crawled " not in err  # Scrapy's LogStats line is replaced


def test_healthy_recrawl_is_not_flagged(crawls: Crawls) -> None:
    run = crawls.runs[1]
    assert run.result.returncode == 0, run.result.stderr[-3000:]
    assert run.report["drift"] == {"flags": [], "compared_runs": 1}
    assert "Drift on" not in run.result.stderr
    articles = run.report["articles"]
    assert (articles["new"], articles["changed"]) == (1, 1)
    assert articles["unchanged"] >= 20
    # every re-fetched article was judged, not only the two written
    assert run.report["extracted"]["count"] >= 25
    assert run.report["archive"]["revisits_by_profile"]["server-not-modified"] > 0


def test_layout_change_is_flagged_with_exit_code_and_report(crawls: Crawls) -> None:
    run = crawls.runs[2]
    assert run.result.returncode == DRIFT_EXIT, run.result.stderr[-3000:]
    checks = {f["check"] for f in run.report["drift"]["flags"]}
    assert {"dates", "body_length", "discovery", "selectors"} <= checks, run.report["drift"]
    assert run.report["drift"]["compared_runs"] == 2
    errors = [line for line in run.result.stderr.splitlines() if "ERROR: Drift on nhandan" in line]
    assert len(errors) == len(run.report["drift"]["flags"])
    discovery = next(f for f in run.report["drift"]["flags"] if f["check"] == "discovery")
    assert "sitemap.xml (HTTP 404)" in discovery["message"]
    assert "rss/home.rss (HTTP 404)" in discovery["message"]
    assert run.report["extracted"]["published_missing"] == run.report["extracted"]["count"]


def test_drift_exit_code_can_be_turned_off(crawls: Crawls) -> None:
    run = crawls.runs[3]
    assert run.result.returncode == 0, run.result.stderr[-3000:]
    checks = {f["check"] for f in run.report["drift"]["flags"]}
    assert {"dates", "selectors"} <= checks  # still broken, still flagged
    assert "ERROR: Drift on nhandan [dates]" in run.result.stderr


def _scrapy(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scrapy", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_scrapy_sites_lists_last_run_success_articles_and_flags(crawls: Crawls) -> None:
    result = _scrapy("sites", "--json", "-s", f"ARCHIVE_DIR={crawls.archive}")
    assert result.returncode == 0, result.stderr
    rows = {row["site"]: row for row in map(json.loads, result.stdout.splitlines())}
    assert {"nhandan", "vnexpress", "tuoitre"} <= set(rows)  # every profile is listed
    nd = rows["nhandan"]
    assert nd["runs"] == 4
    assert nd["last_run"] == crawls.runs[3].report["started_at"]
    assert nd["last_success"] == crawls.runs[1].report["started_at"]  # the healthy re-crawl
    assert nd["last_result"].startswith("drift")
    assert {"dates", "selectors"} <= set(nd["drift"])
    canonical = {
        r["canonical_url"]
        for p in (crawls.archive / "json").glob("*.jsonl")
        for r in map(json.loads, p.read_text(encoding="utf-8").splitlines())
    }
    assert nd["articles"] == len(canonical) == 28
    assert rows["vnexpress"]["last_result"] == "never run"
    table = _scrapy("sites", "-s", f"ARCHIVE_DIR={crawls.archive}")
    assert table.returncode == 0 and table.stderr == ""
    line = next(x for x in table.stdout.splitlines() if x.startswith("nhandan "))
    assert "drift (" in line and "dates" in line and " 28 " in line


def test_scrapy_report_writes_a_page_with_the_flags(crawls: Crawls, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = _scrapy("report", "-o", str(out), "-s", f"ARCHIVE_DIR={crawls.archive}")
    assert result.returncode == 0, result.stderr
    page = out.read_text(encoding="utf-8")
    assert page.count('class="flag"') == sum(len(r.report["drift"]["flags"]) for r in crawls.runs)
    assert "http://" not in page.split("<main>")[0]  # nothing fetched: no external resource
    assert "<script" not in page and "<link" not in page
