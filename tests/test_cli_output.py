"""What a user sees from the project's short commands: the answer, or one error line.

Each command runs as a user runs it (``python -m scrapy …`` in the repository) against the
real Redis of the test session; Scrapy's start-up banner (INFO lines printed when a command
builds a crawler process) must not come before the answer or the error.
"""

from __future__ import annotations

import subprocess
import sys
import uuid

from tests.conftest import REPO_ROOT


def scrapy(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scrapy", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_distributed_status_prints_only_its_answer(redis_url: str) -> None:
    prefix = f"test-cli-{uuid.uuid4().hex[:8]}:"  # nothing is written under it
    done = scrapy(
        "distributed", "status", "-s", f"REDIS_URL={redis_url}", "-s", f"REDIS_KEY_PREFIX={prefix}"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "no distributed crawl in this Redis (under this REDIS_KEY_PREFIX)"
    assert done.stderr == ""


def test_distributed_mistakes_are_one_line() -> None:
    no_url = scrapy("distributed", "status")
    assert no_url.returncode == 2
    assert no_url.stderr.splitlines() == [
        "error: set -s REDIS_URL=redis://host:port/db (the Redis of the distributed crawl)"
    ]
    no_action = scrapy("distributed", "-s", "REDIS_URL=redis://127.0.0.1:1/0")
    assert no_action.returncode == 2
    assert no_action.stderr.splitlines() == ["error: say one of: seed, status, drain"]
