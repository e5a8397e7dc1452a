"""Distributed crawling on a real Redis: workers share one crawl, a killed worker loses nothing.

Every worker is a real ``scrapy crawl news … -s REDIS_URL=…`` process with its own
ARCHIVE_DIR (as on separate machines), against the bundled sample site served on 127.0.0.1.
Each test uses key prefixes of its own and deletes its keys at the end.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from warcio.archiveiterator import ArchiveIterator

from archive.recheck import RedisRecheckStore
from spiders.distributed.keys import CrawlKeys
from spiders.news import NewsSpider
from tests.conftest import REPO_ROOT, RunningSite, crawl_command, run_crawl
from tests.redisserver import delete_prefix

WORKER_TIMEOUT = 300


@pytest.fixture
def prefix(redis_url: str) -> Iterator[str]:
    value = f"test-dist-{uuid.uuid4().hex[:8]}:"
    yield value
    delete_prefix(redis_url, value)


def worker_settings(redis_url: str, prefix: str, **extra: Any) -> dict[str, Any]:
    return {
        "REDIS_URL": redis_url,
        "REDIS_KEY_PREFIX": prefix,
        "DEDUP_REDIS_PREFIX": prefix + "dedup:",
        "NEWS_RECHECK_REDIS_PREFIX": prefix + "recheck:",
        "NEARDUP_REDIS_PREFIX": prefix + "neardup:",
        "MONITOR_FAIL_ON_DRIFT": False,
        "REDIS_HEARTBEAT_INTERVAL": 0.5,
        "REDIS_IDLE_CLOSE": 2,
        "EXTRACT_WORKERS": 1,
        **extra,
    }


def start_worker(
    site: RunningSite, archive: Path, settings: dict[str, Any]
) -> subprocess.Popen[bytes]:
    args = ["-a", "site=nhandan", "-a", f"start_urls={site.url}"]
    cmd, env = crawl_command(args, archive, settings)
    with (archive.parent / f"{archive.name}.log").open("wb") as log:
        # A session of its own, so a kill reaches the whole process tree (extraction pool too).
        return subprocess.Popen(
            cmd,
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def records(archive: Path) -> list[dict[str, Any]]:
    """Every JSON record, including the whole lines of a killed worker's ``.open`` file."""
    out = []
    for path in sorted((archive / "json").glob("*.jsonl*")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                with contextlib.suppress(json.JSONDecodeError):  # a line cut by the kill
                    out.append(json.loads(line))
    return out


def fetched_urls(archive: Path) -> list[str]:
    """Target URIs of response and revisit records in the worker's WARCs (robots.txt aside)."""
    urls = []
    for path in sorted((archive / "warc").glob("*.warc.gz*")):
        with path.open("rb") as fh:
            try:
                for record in ArchiveIterator(fh):
                    if record.rec_type in ("response", "revisit"):
                        url = record.rec_headers.get_header("WARC-Target-URI")
                        if not url.endswith("/robots.txt"):
                            urls.append(url)
            except Exception:  # a killed worker's last member may be cut
                pass
    return urls


def expected_urls(site: RunningSite) -> set[str]:
    return {site.url + entry["path"] for entry in site.expected["articles"]}


def wait(proc: subprocess.Popen[bytes]) -> int:
    return proc.wait(timeout=WORKER_TIMEOUT)


def test_three_workers_share_one_crawl(
    sample_site: RunningSite, tmp_path: Path, redis_url: str, prefix: str
) -> None:
    settings = worker_settings(redis_url, prefix, DOWNLOAD_DELAY=0.05, CONCURRENT_REQUESTS=2)
    archives = [tmp_path / f"worker{i}" for i in range(3)]
    workers = [start_worker(sample_site, a, settings) for a in archives]
    codes = [wait(w) for w in workers]
    logs = [(tmp_path / f"worker{i}.log").read_text(errors="replace") for i in range(3)]
    assert codes == [0, 0, 0], "\n".join(log[-3000:] for log in logs)

    recs = [r for a in archives for r in records(a)]
    per_url = Counter(r["url"] for r in recs)
    assert set(per_url) == expected_urls(sample_site)
    assert max(per_url.values()) == 1, "an article recorded twice across workers"

    fetched = [u for a in archives for u in fetched_urls(a)]
    twice = [u for u, n in Counter(fetched).items() if n > 1]
    assert not twice, f"fetched by more than one worker: {twice[:5]}"
    assert sum(1 for a in archives if fetched_urls(a)) >= 2, "one worker did all the work"

    client = redis.Redis.from_url(redis_url)
    keys = CrawlKeys(prefix, "nhandan")
    assert client.hlen(keys.inflight) == 0 and client.zcard(keys.queue) == 0
    assert not client.exists(keys.dupefilter), "the last worker out clears the crawl"
    assert int(client.get(keys.articles) or 0) == len(expected_urls(sample_site))
    # the dedup index and the re-check state live in Redis too, not in the workers' archives
    assert list(client.scan_iter(match=f"{prefix}dedup:*"))
    assert list(client.scan_iter(match=f"{prefix}recheck:*"))
    assert not [a for a in archives if (a / "index" / "recheck.sqlite3").exists()]


def test_the_spider_is_built_in_distributed_mode(
    tmp_path: Path, redis_url: str, prefix: str
) -> None:
    """The spider opens its re-check store in from_crawler, before the add-ons' update_settings:
    the add-on must already have switched the back ends when the crawler process was built."""
    from scrapy.crawler import CrawlerRunner
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    values = {**worker_settings(redis_url, prefix), "ARCHIVE_DIR": str(tmp_path)}
    settings.setdict(values, priority="cmdline")
    crawler = CrawlerRunner(settings).create_crawler("news")
    spider = NewsSpider.from_crawler(crawler, start_urls="http://127.0.0.1:9/")
    assert spider.recheck is not None
    assert isinstance(spider.recheck.store, RedisRecheckStore)
    assert crawler.settings["DEDUP_BACKEND"] == "redis"
    assert not (tmp_path / "index" / "recheck.sqlite3").exists()


def test_same_records_as_a_single_worker(
    sample_site: RunningSite, tmp_path: Path, redis_url: str, prefix: str
) -> None:
    single = tmp_path / "single"
    done = run_crawl(["-a", "site=nhandan", "-a", f"start_urls={sample_site.url}"], single)
    assert done.returncode == 0, done.stderr[-3000:]
    settings = worker_settings(redis_url, prefix)
    archives = [tmp_path / "w0", tmp_path / "w1"]
    workers = [start_worker(sample_site, a, settings) for a in archives]
    assert [wait(w) for w in workers] == [0, 0]

    def comparable(rec: dict[str, Any]) -> dict[str, Any]:
        return {
            k: v for k, v in rec.items() if k not in ("fetched_at", "warc", "id", "text_digest")
        }

    alone = {r["url"]: comparable(r) for r in records(single)}
    shared = {r["url"]: comparable(r) for a in archives for r in records(a)}
    assert shared == alone


def test_killed_worker_loses_nothing_and_a_late_worker_takes_over(
    sample_site: RunningSite, tmp_path: Path, redis_url: str, prefix: str
) -> None:
    slow = worker_settings(
        redis_url,
        prefix,
        DOWNLOAD_DELAY=0.3,
        CONCURRENT_REQUESTS=2,
        REDIS_WORKER_TIMEOUT=3,
    )
    first = start_worker(sample_site, tmp_path / "killed", slow)
    client = redis.Redis.from_url(redis_url)
    keys = CrawlKeys(prefix, "nhandan")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        # well into the crawl: several pages done and requests leased right now
        if client.scard(keys.dupefilter) > 15 and client.hlen(keys.owners) > 0:
            break
        assert first.poll() is None, "the first worker ended before it could be killed"
        time.sleep(0.1)
    else:
        pytest.fail("the first worker never got going")
    held = client.hlen(keys.owners)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(timeout=30)

    late = start_worker(
        sample_site, tmp_path / "late", worker_settings(redis_url, prefix, REDIS_WORKER_TIMEOUT=3)
    )
    assert wait(late) == 0, (tmp_path / "late.log").read_text(errors="replace")[-3000:]
    late_log = (tmp_path / "late.log").read_text(errors="replace")
    assert "Re-queued" in late_log and held > 0
    # the killed worker's captures are in its own archive: no 304 can be restored from them,
    # so the late worker asks unconditionally instead of failing to restore
    assert "dedup/restore_errors" not in late_log
    assert "dedup/conditional_skipped_elsewhere" in late_log

    recs = records(tmp_path / "killed") + records(tmp_path / "late")
    per_url = Counter(r["url"] for r in recs)
    assert set(per_url) == expected_urls(sample_site), "an article was lost with the worker"
    assert max(per_url.values()) == 1
    assert fetched_urls(tmp_path / "late"), "the late worker got no work"
    # no process of the killed worker is left
    time.sleep(0.5)
    with pytest.raises(ProcessLookupError):
        os.killpg(first.pid, 0)
