"""Command-line errors are one clear line and a non-zero exit, never a traceback."""

from __future__ import annotations

import json
import os
import stat
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


# -- commands never destroy output ---------------------------------------------------------

WARC = ROOT / "tests" / "data" / "warc" / "webrecorder__warcio" / "example.warc.gz"
HTML_DIR = ROOT / "tests" / "data" / "html" / "nhandan"
ARTICLE_URL = "https://nhandan.vn/world-cup-2026-final-post976641.html"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)


def leftovers(directory: Path, keep: set[str]) -> list[str]:
    """Files in ``directory`` besides ``keep`` (a temporary file left behind shows here)."""
    return sorted(p.name for p in directory.iterdir() if p.name not in keep)


def test_reprocess_of_unreadable_input_leaves_existing_output_untouched(tmp_path: Path) -> None:
    junk = tmp_path / "notawarc.txt"
    junk.write_text("these are notes, not a WARC\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    out.write_bytes(b'{"kept": true}\n')
    result = scrapy("reprocess", str(junk), "-o", str(out), "--no-archive")
    assert result.returncode == 1, result.stderr
    assert out.read_bytes() == b'{"kept": true}\n'
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: not a WARC or ARC file: {junk}; nothing written"]
    assert "Traceback" not in result.stderr
    assert leftovers(tmp_path, {"notawarc.txt", "out.jsonl"}) == []


def test_reprocess_into_a_directory_is_one_line_and_leaves_nothing(tmp_path: Path) -> None:
    outdir = tmp_path / "somedir"
    outdir.mkdir()
    result = scrapy("reprocess", str(WARC), "-o", str(outdir), "--no-archive")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: {outdir} is a directory; give a file name"
    ]
    assert list(outdir.iterdir()) == [] and leftovers(tmp_path, {"somedir"}) == []


def test_reprocess_replaces_output_whole_with_umask_permissions(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "out.jsonl"
    old_umask = os.umask(0o022)
    try:
        result = scrapy("reprocess", str(WARC), "-o", str(out), "--no-archive")
    finally:
        os.umask(old_umask)
    assert result.returncode == 0, result.stderr
    assert all(json.loads(line)["url"] for line in out.read_text(encoding="utf-8").splitlines())
    assert "reprocess: 1 files," in result.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o644  # not mkstemp's 0600
    assert leftovers(out.parent, {"out.jsonl"}) == []


def test_extract_of_a_png_says_not_an_html_page(tmp_path: Path) -> None:
    image = tmp_path / "photo.png"
    image.write_bytes(PNG)
    result = scrapy("extract", str(image), "--url", "https://nhandan.vn/a-post1.html")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        f"error: cannot extract {image}: not an HTML page (a PNG image)"
    ]


def test_extract_writes_its_output_file_only_when_complete(tmp_path: Path) -> None:
    page = tmp_path / "p.html"
    page.write_bytes((HTML_DIR / "article-post976641-world-cup-2026-final.html").read_bytes())
    out = tmp_path / "record.json"
    args = ("extract", str(page), "--url", ARTICLE_URL, "--fetched-at", "2026-06-01")
    result = scrapy(*args, "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert json.loads(out.read_text(encoding="utf-8"))["url"] == ARTICLE_URL
    result = scrapy(*args, "-o", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: {tmp_path} is a directory; give a file name"
    ]
    assert leftovers(tmp_path, {"p.html", "record.json"}) == []
