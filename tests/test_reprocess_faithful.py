"""The archive gives back the crawl: ``scrapy reprocess`` and the offline re-run from the archive
produce the crawl's own records, with the capture's time; every file honours the umask.

One crawl of the sample site (a mirror: ``-a site=nhandan -a start_urls=http://127.0.0.1:PORT/``,
under umask 002), then the site is stopped: everything after reads the archive only. One crawl
of ``tests/sites/datehints``, whose pages hold no date (only its news sitemap and RSS feed do):
reprocess must date its articles as the crawl did, from the hints kept in the request records.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from archive.reader import read_record_at
from archive.recordbuilder import (
    PROFILE_IDENTICAL,
    build_request,
    build_response,
    build_revisit,
    http_headers,
    new_record_id,
    payload_digest,
)
from archive.warcwriter import WarcFileWriter
from commands.reprocess import Reprocessor
from tests.conftest import (
    NHANDAN,
    REPO_ROOT,
    SITES,
    crawl_command,
    run_crawl,
    start_server,
    stop_process,
)
from vnnews.profiles import ProfileRegistry

# Filled in by pipelines.syndication from the archive-wide near-duplicate index; reprocess
# reads WARC files only and leaves them out.
CROSS_RECORD = {"near_duplicates", "syndicated_from", "syndicated_to"}
DATEHINTS = SITES / "datehints"


@dataclass
class Crawled:
    root: Path
    url: str
    records: dict[str, dict[str, Any]]
    args: list[str]


def read_jsonl(paths: list[Path]) -> dict[str, dict[str, Any]]:
    out = {}
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            out[record["url"]] = record
    return out


def scrapy(*args: str, umask: int = 0o022) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "-m", "scrapy", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        umask=umask,
        check=False,
    )


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawled]:
    tmp = tmp_path_factory.mktemp("faithful")
    site = start_server(NHANDAN, tmp / "server.log")
    args = ["-a", "site=nhandan", "-a", f"start_urls={site.url}/"]
    try:
        cmd, env = crawl_command(args, tmp / "archive")
        done = subprocess.run(
            cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300, umask=0o002
        )
    finally:
        stop_process(site.process)  # from here on, only the archive answers
    assert done.returncode == 0, done.stderr[-3000:]
    records = read_jsonl(sorted((tmp / "archive" / "json").glob("*.jsonl")))
    assert len(records) == len(site.expected["articles"])
    yield Crawled(tmp / "archive", site.url, records, args)


def capture_date(root: Path, record: dict[str, Any]) -> str:
    warc = record["warc"]
    rec = read_record_at(root / "warc" / warc["filename"], warc["offset"])
    assert rec is not None and rec.record_id == warc["record_id"]
    return rec.date


def same_instant(fetched_at: str, warc_date: str) -> bool:
    from datetime import datetime

    def parse(text: str) -> datetime:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    return parse(fetched_at) == parse(warc_date)


def compare(crawl: dict[str, dict[str, Any]], other: dict[str, dict[str, Any]]) -> list[str]:
    problems = sorted(f"only in crawl: {u}" for u in set(crawl) - set(other))
    problems += sorted(f"not in crawl: {u}" for u in set(other) - set(crawl))
    for url in sorted(set(crawl) & set(other)):
        a, b = crawl[url], other[url]
        for key in sorted((set(a) | set(b)) - CROSS_RECORD):
            if a.get(key) != b.get(key):
                problems.append(f"{url}: {key}: {a.get(key)!r} != {b.get(key)!r}"[:300])
    return problems


def test_reprocess_gives_the_crawls_records(crawled: Crawled, tmp_path: Path) -> None:
    out = tmp_path / "re.jsonl"
    done = scrapy(
        "reprocess", str(crawled.root / "warc"), "-o", str(out), "-s", f"ARCHIVE_DIR={crawled.root}"
    )
    assert done.returncode == 0, done.stderr[-2000:]
    again = read_jsonl([out])
    assert compare(crawled.records, again) == []
    # the home page, sections, their pagination and "about" are listings, as in the crawl
    assert " 16 listings" in done.stderr
    for record in again.values():
        assert same_instant(record["fetched_at"], capture_date(crawled.root, record))
        assert record["site"] == "nhandan"


def test_reprocess_site_option(crawled: Crawled, tmp_path: Path) -> None:
    out = tmp_path / "site.jsonl"
    done = scrapy(
        "reprocess", str(crawled.root / "warc"), "-o", str(out), "--site", "nhandan", "--no-archive"
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert compare(crawled.records, read_jsonl([out])) == []
    bad = scrapy(
        "reprocess", str(crawled.root / "warc"), "-o", str(tmp_path / "x.jsonl"), "--site", "nosuch"
    )
    assert bad.returncode == 2
    lines = bad.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --site: unknown site 'nosuch'")
    assert not (tmp_path / "x.jsonl").exists()


def test_reprocess_bad_output_is_one_line(crawled: Crawled, tmp_path: Path) -> None:
    done = scrapy("reprocess", str(crawled.root / "warc"), "-o", str(tmp_path))
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [
        f"error: {tmp_path} is a directory; give a file name"
    ]
    assert list(tmp_path.iterdir()) == []
    kept = tmp_path / "kept.jsonl"
    kept.write_text("old\n", encoding="utf-8")
    junk = tmp_path / "junk.warc.gz"
    junk.write_bytes(b"not a warc at all")
    failed = scrapy("reprocess", str(junk), "-o", str(kept))
    assert failed.returncode != 0
    assert kept.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junk.warc.gz", "kept.jsonl"]


def rerun(crawled: Crawled, target: Path, args: list[str]) -> subprocess.CompletedProcess[str]:
    """The README's offline re-run: the crawl again, answered from the archive."""
    return scrapy(
        "crawl",
        "news",
        *args,
        "-s",
        f"ARCHIVE_DIR={target}",
        "-s",
        "HTTPCACHE_ENABLED=1",
        "-s",
        "HTTPCACHE_STORAGE=archive.httpcache.WarcCacheStorage",
        "-s",
        "HTTPCACHE_IGNORE_MISSING=1",
        "-s",
        f"HTTPCACHE_ARCHIVE_DIR={crawled.root}",
        "-s",
        "DOWNLOAD_DELAY=0",
        "-s",
        "AUTOTHROTTLE_ENABLED=0",
    )


def test_offline_rerun_gives_the_crawls_records_at_capture_time(
    crawled: Crawled, tmp_path: Path
) -> None:
    done = rerun(crawled, tmp_path / "rerun", crawled.args)
    assert done.returncode == 0, done.stderr[-3000:]
    again = read_jsonl(sorted((tmp_path / "rerun" / "json").glob("*.jsonl")))
    assert compare(crawled.records, again) == []
    for record in again.values():
        assert same_instant(record["fetched_at"], capture_date(crawled.root, record))


def test_offline_rerun_with_other_arguments_says_why_nothing_came(
    crawled: Crawled, tmp_path: Path
) -> None:
    done = rerun(crawled, tmp_path / "rerun", ["-a", "site=nhandan"])  # nhandan.vn: not archived
    errors = [line for line in done.stderr.splitlines() if "WARC cache: none of the" in line]
    assert len(errors) == 1, done.stderr[-3000:]
    assert crawled.url.removeprefix("http://") in errors[0]
    assert "-a start_urls=" in errors[0]
    assert done.returncode == 5, done.stderr[-2000:]  # nothing fetched: a cron job sees it


def test_files_honour_the_umask(crawled: Crawled, tmp_path: Path) -> None:
    modes = {
        p.relative_to(crawled.root).as_posix(): stat.S_IMODE(p.stat().st_mode)
        for p in crawled.root.rglob("*")
        if p.is_file()
    }
    assert any(name.startswith("warc/") for name in modes)
    assert "index/index.cdxj" in modes
    wrong = {name: oct(mode) for name, mode in modes.items() if mode != 0o664}
    assert wrong == {}  # crawled under umask 002: 0666 & ~002
    out = tmp_path / "re.jsonl"
    done = scrapy(
        "reprocess", str(crawled.root / "warc"), "-o", str(out), "--no-archive", umask=0o027
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert stat.S_IMODE(out.stat().st_mode) == 0o640


# -- dates found by discovery (news sitemap, feed), not in the page --------------------------


@pytest.fixture(scope="module")
def hinted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawled]:
    tmp = tmp_path_factory.mktemp("hinted")
    site = start_server(DATEHINTS, tmp / "server.log")
    args = ["-a", f"start_urls={site.url}/"]
    try:
        done = run_crawl(args, tmp / "archive")
    finally:
        stop_process(site.process)
    assert done.returncode == 0, done.stderr[-3000:]
    records = read_jsonl(sorted((tmp / "archive" / "json").glob("*.jsonl")))
    assert len(records) == 3, sorted(records)
    yield Crawled(tmp / "archive", site.url, records, args)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_reprocess_dates_articles_as_the_crawl_did_from_sitemap_and_feed(
    hinted: Crawled, tmp_path: Path, jobs: str
) -> None:
    by_path = {r["url"].removeprefix(hinted.url): r for r in hinted.records.values()}
    # the crawl dated every article from discovery alone (the pages hold no date)
    dates = {path: (r["published_source"], r["modified_source"]) for path, r in by_path.items()}
    assert dates == {
        "/kinh-te/gia-ca-phe-xuat-khau-tang-manh.html": ("sitemap:news", "sitemap:lastmod"),
        "/xa-hoi/mua-lon-keo-dai-o-mien-trung.html": ("sitemap:news", None),
        "/van-hoa/le-hoi-hoa-ban-tro-lai-dien-bien.html": ("feed:pubDate", None),
    }
    out = tmp_path / "re.jsonl"
    done = scrapy(
        "reprocess",
        str(hinted.root / "warc"),
        "-o",
        str(out),
        "--jobs",
        jobs,
        "-s",
        f"ARCHIVE_DIR={hinted.root}",
    )
    assert done.returncode == 0, done.stderr[-2000:]
    again = read_jsonl([out])
    assert compare(hinted.records, again) == []  # published, modified and their sources too
    for record in again.values():
        assert same_instant(record["fetched_at"], capture_date(hinted.root, record))


def test_a_revisit_gets_its_own_requests_hints(tmp_path: Path) -> None:
    """Pass 2 resolves a revisit to its original's payload, but the hints that went with
    the revisit's own request (a later crawl: a newer sitemap lastmod), not the original's."""
    page = (DATEHINTS / "kinh-te" / "gia-ca-phe-xuat-khau-tang-manh.html").read_bytes()
    body = page.replace(b"__BASE__", b"http://tin.example")
    url = "http://tin.example/kinh-te/gia-ca-phe-xuat-khau-tang-manh.html"
    headers = http_headers(
        ("HTTP/1.1", "200", "OK"), [(b"Content-Type", b"text/html; charset=utf-8")], request=False
    )
    first = {"sitemap_published": "2025-03-04T08:15:00+07:00"}
    later = {**first, "sitemap_lastmod": "2025-03-09T07:00:00+07:00"}
    dates = ["2025-03-05T00:00:00Z", "2025-03-10T00:00:00Z", "2025-03-11T00:00:00Z"]
    writer = WarcFileWriter(tmp_path / "warc", prefix="t", info={"software": "t"})
    original_id = new_record_id()
    original = {"uri": url, "date": dates[0], "record_id": original_id}
    for date, hints in zip(dates, (first, later, None), strict=True):
        request_id, capture_id = new_record_id(), new_record_id()
        if hints is first:
            capture_id = original_id
            capture = build_response(
                url, headers, body, date=date, record_id=capture_id, concurrent_to=request_id
            )
        else:
            capture = build_revisit(
                url,
                headers,
                profile=PROFILE_IDENTICAL,
                payload_digest=payload_digest(body),
                refers_to=original,
                date=date,
                record_id=capture_id,
                concurrent_to=request_id,
            )
        request = build_request(
            url,
            http_headers(("GET", url[len("http://tin.example") :], "HTTP/1.1"), [], request=True),
            b"",
            date=date,
            record_id=request_id,
            concurrent_to=capture_id,
            hints=hints,
        )
        writer.write_records([request, capture])
    path = writer.close()
    assert path is not None
    processor = Reprocessor(ProfileRegistry.load())
    scanned = list(processor._scan([path]))
    resolved = list(processor._resolved_revisits())
    assert [t.hints for t in scanned] == [first]
    assert [t.hints for t in resolved] == [later, None]
    assert [t.fetched_at.isoformat() for t in resolved] == [
        "2025-03-10T00:00:00+00:00",
        "2025-03-11T00:00:00+00:00",
    ]
    assert processor.pending_hints == {}
    # the whole run: one record (the revisits repeat its text), dated from its own hints
    (record,) = Reprocessor(ProfileRegistry.load()).run([path])
    assert (record["published"], record["published_source"]) == (
        "2025-03-04T08:15:00+07:00",
        "sitemap:news",
    )
