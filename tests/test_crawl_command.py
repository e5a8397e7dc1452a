"""``scrapy crawl`` start-up faults found when verifying issues 8 and 15 as a user: a wrong
spider argument or spider name is one line and exit 2 (not an ignored typo or a traceback),
and a crawl stopped by a signal while it was starting (its spider never closed) exits 6,
not 0. The settings checks themselves are in ``test_exit_codes.py``."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from scrapy.settings import Settings
from twisted.internet.defer import Deferred

from commands.crawl import Command
from tests.conftest import REPO_ROOT
from vnnews.outcome import BAD_SETTINGS, INTERRUPTED


def crawl(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SCRAPY_SETTINGS_MODULE"}
    cmd = [sys.executable, "-m", "scrapy", "crawl", *args, "-s", f"ARCHIVE_DIR={tmp_path}"]
    return subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_an_unknown_spider_argument_is_one_line_and_exit_2(tmp_path: Path) -> None:
    # -a start_url (a typo of start_urls) next to -a site would crawl the real site
    done = crawl(tmp_path, "news", "-a", "site=nhandan", "-a", "start_url=http://127.0.0.1:9/")
    assert done.returncode == BAD_SETTINGS, done.stderr[-2000:]
    assert done.stderr.splitlines() == [
        "error: unknown spider argument 'start_url' for news: allowed: site, start_urls"
    ]
    assert not any(tmp_path.iterdir())  # nothing crawled


def test_the_argument_scrapyd_adds_is_accepted(tmp_path: Path) -> None:
    done = crawl(tmp_path, "news", "-a", "_job=0123abcd", "-a", "site=nosuchsite")
    assert done.returncode == BAD_SETTINGS
    assert done.stderr.startswith("error: unknown site 'nosuchsite'"), done.stderr[-2000:]


def test_an_unknown_spider_is_one_line_and_exit_2(tmp_path: Path) -> None:
    done = crawl(tmp_path, "nosuchspider")
    assert done.returncode == BAD_SETTINGS, done.stderr[-2000:]
    assert done.stderr.splitlines() == ["error: no spider named 'nosuchspider'; spiders: news"]


class _Stats:
    def __init__(self, stats: dict[str, Any]) -> None:
        self.stats = stats

    def get_stats(self) -> dict[str, Any]:
        return self.stats


class _Crawler:
    def __init__(self, stats: dict[str, Any]) -> None:
        self.stats = _Stats(stats)
        self.settings = Settings({"MONITOR_FAIL_ON_DRIFT": False})


class _Process:
    """A crawl whose reactor stopped before the engine closed the spider: what a SIGTERM
    between "Spider opened" and the engine's start does (Scrapy 2.19 stops the reactor
    then; the spider is never closed, so no finish_reason is in its stats)."""

    bootstrap_failed = False

    def crawl(self, crawler: Any, **kwargs: Any) -> Deferred[None]:
        return Deferred()

    def start(self) -> None:
        pass


def _run(stats: dict[str, Any], capsys: Any) -> tuple[int, str]:
    command = Command()
    command.crawler_process = _Process()  # type: ignore[assignment]
    command._create_crawler = lambda name: _Crawler(stats)  # type: ignore[assignment,method-assign,return-value]
    command.run(["news"], argparse.Namespace(spargs={}))
    return command.exitcode, capsys.readouterr().err


def test_a_crawl_stopped_while_starting_exits_6_not_0(capsys: Any) -> None:
    code, err = _run({"start_time": 0, "log_count/INFO": 12}, capsys)
    assert code == INTERRUPTED
    assert err.startswith("error: the crawl was stopped while starting")


def test_a_crawl_that_closed_is_judged_by_its_stats(capsys: Any) -> None:
    code, err = _run({"finish_reason": "finished", "vnnews/exit_code": 0}, capsys)
    assert (code, err) == (0, "")
    code, _ = _run({"finish_reason": "shutdown", "vnnews/exit_code": INTERRUPTED}, capsys)
    assert code == INTERRUPTED
