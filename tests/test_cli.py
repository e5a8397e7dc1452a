"""Command-line errors are one clear line and a non-zero exit, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def scrapy(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scrapy", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_extract_missing_file_is_a_one_line_error(tmp_path: Path) -> None:
    result = scrapy(
        "extract", str(tmp_path / "nope.html"), "--url", "https://nhandan.vn/a-post1.html"
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: cannot read") and "nope.html" in lines[0]
    assert result.stdout == ""


def test_extract_bad_fetched_at_is_a_one_line_error(tmp_path: Path) -> None:
    page = tmp_path / "p.html"
    page.write_text("<html><body><p>x</p></body></html>", encoding="utf-8")
    result = scrapy("extract", str(page), "--url", "https://x.vn/a", "--fetched-at", "yesterday")
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        f"error: cannot extract {page}: --fetched-at 'yesterday' is not ISO 8601"
    ]


def test_crawl_unknown_site_is_a_one_line_error() -> None:
    result = scrapy("crawl", "news", "-a", "site=no-such-site")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "unknown site 'no-such-site'" in lines[0] and "nhandan" in lines[0]


def test_crawl_bad_start_url_is_a_one_line_error() -> None:
    result = scrapy("crawl", "news", "-a", "start_urls=ftp://example.vn/")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: start_urls must be http(s) URLs: ftp://example.vn/"
    ]


def test_crawl_without_arguments_says_what_to_pass() -> None:
    result = scrapy("crawl", "news")
    assert result.returncode == 2
    assert "pass -a site=NAME or -a start_urls=URL" in result.stderr
