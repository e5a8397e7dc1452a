"""A crawl killed with SIGKILL mid-way, then restarted: valid WARCs, every article once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from fastwarc.warc import ArchiveIterator as FastIterator

from tests.conftest import NHANDAN, REPO_ROOT, load_expected, run_crawl, start_server, stop_process

WARCIO = Path(sys.executable).parent / "warcio"
KILL_AFTER_RECORDS = 5  # JSON records written before the kill
PATIENCE = 120.0


def _json_lines(archive: Path) -> list[str]:
    """Lines of every JSON Lines file, finished or still being written (``.jsonl.open``)."""
    return [
        line for path in sorted((archive / "json").glob("*.jsonl*"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]  # fmt: skip


def _start_slow_crawl(url: str, archive: Path, log: Path) -> subprocess.Popen[bytes]:
    """``scrapy crawl news`` with a delay, so that it can be killed half-way."""
    cmd = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", "site=nhandan"]
    cmd += ["-a", f"start_urls={url}", "-s", f"ARCHIVE_DIR={archive}"]
    cmd += ["-s", "DOWNLOAD_DELAY=0.3", "-s", "AUTOTHROTTLE_ENABLED=False"]
    cmd += ["-s", "CONCURRENT_REQUESTS=1", "-s", f"LOG_FILE={log}"]
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL)


def _kill_mid_crawl(proc: subprocess.Popen[bytes], archive: Path) -> None:
    deadline = time.monotonic() + PATIENCE
    while len(_json_lines(archive)) < KILL_AFTER_RECORDS:
        assert proc.poll() is None, "crawl ended before it could be killed"
        assert time.monotonic() < deadline, "no JSON records appeared"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()


def _assert_valid(path: Path) -> None:
    done = subprocess.run([str(WARCIO), "check", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    with open(path, "rb") as stream:
        for record in FastIterator(stream, parse_http=False):
            assert record.verify_block_digest(), path


def test_sigkill_then_restart(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    site = start_server(NHANDAN, tmp_path / "requests.log")
    try:
        proc = _start_slow_crawl(site.url, archive, tmp_path / "killed.log")
        try:
            _kill_mid_crawl(proc, archive)
        finally:
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
        left_open = list((archive / "warc").glob("*.warc.gz.open"))
        assert len(left_open) == 1  # the killed run never closed its file
        killed_lines = len(_json_lines(archive))
        done = run_crawl(["-a", "site=nhandan", "-a", f"start_urls={site.url}"], archive)
        assert done.returncode == 0, done.stderr[-3000:]
    finally:
        stop_process(site.process)

    assert "Repaired unfinished WARC" in done.stderr
    assert not list((archive / "warc").glob("*.open"))
    assert not list((archive / "json").glob("*.open"))
    files = sorted((archive / "warc").glob("*.warc.gz"))
    assert len(files) == 2
    for path in files:
        _assert_valid(path)

    records = [json.loads(line) for line in _json_lines(archive)]
    assert len(records) > killed_lines >= KILL_AFTER_RECORDS
    urls = [r["canonical_url"] for r in records]
    expected = load_expected(NHANDAN, None, site.url)
    assert sorted(urls) == sorted(a["canonical_url"] for a in expected["articles"])
