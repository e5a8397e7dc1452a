"""What a user sees from the project's short commands: the answer, or one error line.

Each command runs as a user runs it (``python -m scrapy …`` in the repository) against the
real Redis of the test session; Scrapy's start-up banner (INFO lines printed when a command
builds a crawler process) must not come before the answer or the error.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import uuid
from pathlib import Path

from scrapy.settings import Settings

from archive.neardup import open_neardup_index
from tests.conftest import REPO_ROOT
from tests.redisserver import delete_prefix


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


def test_a_near_duplicate_index_built_with_other_settings_is_one_line(tmp_path: Path) -> None:
    settings = Settings()
    settings.setmodule("settings")
    settings.set("ARCHIVE_DIR", str(tmp_path))
    open_neardup_index(settings).close()  # an archive whose index has the default NEARDUP_*
    args = ["-a", "site=nhandan", "-s", f"ARCHIVE_DIR={tmp_path}"]
    done = scrapy("crawl", "news", *args, "-s", "NEARDUP_THRESHOLD=0.7")
    assert done.returncode == 2, done.stderr[-2000:]
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr[-2000:]
    assert "neardup.sqlite3 was built with" in lines[0] and "NEARDUP_" in lines[0]
    assert not list((tmp_path / "warc").glob("*")), "nothing is crawled"


def test_distributed_worker_mistakes_are_one_line_before_start_up(
    redis_url: str, tmp_path: Path
) -> None:
    site = ["-a", "site=nhandan", "-s", f"ARCHIVE_DIR={tmp_path}"]
    sqlite = scrapy(
        "crawl", "news", *site, "-s", f"REDIS_URL={redis_url}", "-s", "DEDUP_BACKEND=sqlite"
    )
    assert sqlite.returncode == 2, sqlite.stderr[-2000:]
    assert sqlite.stderr.splitlines() == [
        "error: DEDUP_BACKEND=sqlite cannot be used with REDIS_URL: distributed workers share"
        " the dedup index in Redis (drop -s DEDUP_BACKEND or REDIS_URL)"
    ]
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        dead = f"redis://127.0.0.1:{sock.getsockname()[1]}/0"
    down = scrapy("crawl", "news", *site, "-s", f"REDIS_URL={dead}")
    assert down.returncode == 4, down.stderr[-2000:]
    lines = down.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: REDIS_URL={dead!r}: cannot use"), lines
    assert not (tmp_path / "warc").exists() or not list((tmp_path / "warc").iterdir())


def test_distributed_seed_says_how_many_requests_it_pushed(redis_url: str) -> None:
    prefix = f"test-cli-{uuid.uuid4().hex[:8]}:"
    settings = [
        f"REDIS_URL={redis_url}",
        f"REDIS_KEY_PREFIX={prefix}",
        f"DEDUP_REDIS_PREFIX={prefix}dedup:",
        f"NEWS_RECHECK_REDIS_PREFIX={prefix}recheck:",
        f"NEARDUP_REDIS_PREFIX={prefix}neardup:",
    ]
    options = [arg for setting in settings for arg in ("-s", setting)]
    try:
        seed = scrapy(
            "distributed", "seed", "-a", "site=nhandan", "-a", "start_urls=http://127.0.0.1:9/",
            *options,
        )  # fmt: skip
        assert seed.returncode == 0, seed.stderr[-2000:]
        assert seed.stdout.strip() == "seeded 2 start requests"  # the start page and robots.txt
        status = scrapy("distributed", "status", "--json", *options)
        assert json.loads(status.stdout)["nhandan"]["queued"] == 2, status.stdout
    finally:
        delete_prefix(redis_url, prefix)


def test_make_demo_twice_into_one_archive(tmp_path: Path) -> None:
    """Each `make demo` serves the sample site on a new port: the second run is another
    origin's crawl, not the first one's discovery sources gone (a drift flag, exit 7)."""
    for run in range(2):
        done = subprocess.run(
            [sys.executable, "tools/demo.py", "--archive-dir", str(tmp_path)],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stdout[-1000:] + done.stderr[-2000:]
        assert "Drift" not in done.stderr, done.stderr[-2000:]
        counted = "Articles archived: 27" + ("  (54 in the archive)" if run else "")
        assert f"{counted}\n" in done.stdout, done.stdout  # this run's, and the archive's
    assert len(list((tmp_path / "runs" / "nhandan").glob("*.json"))) == 2


def test_extract_option_mistakes_are_exit_2(tmp_path: Path) -> None:
    page = tmp_path / "p.html"
    page.write_text("<html><body><h1>Tin</h1><p>Một đoạn văn.</p></body></html>", "utf-8")
    url = "https://nhandan.vn/a-post1.html"
    cases = {
        ("--url", "notaurl"): "error: --url must be the page's http(s) URL, not 'notaurl'",
        ("--url", url, "--site", "nosuch"): f"error: cannot extract {page}: unknown site 'nosuch'",
        ("--url", url, "--fetched-at", "yesterday"): (
            f"error: cannot extract {page}: --fetched-at 'yesterday' is not ISO 8601"
        ),
    }
    for options, message in cases.items():
        done = scrapy("extract", str(page), *options)
        assert done.returncode == 2, (options, done.stderr)
        lines = done.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith(message), (options, done.stderr)
        assert done.stdout == ""


def test_schedule_refuses_bad_settings_before_any_run(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    schedule = tmp_path / "schedule.toml"
    schedule.write_text(
        '[sites.nhandan]\nevery = "1m"\nstart_urls = ["http://127.0.0.1:9/"]\n', "utf-8"
    )
    bad_file = tmp_path / "bad.toml"
    bad_file.write_text('[sites.nhandan]\nevery = "1m"\nsettings = { WARC_GZIP_LEVEL = 42 }\n')
    level = "setting WARC_GZIP_LEVEL='42' is not allowed: an integer from 1 to 9"
    cases = {
        ("--file", str(schedule), "-s", "WARC_GZIP_LEVEL=42"): f"error: {level}",
        ("--file", str(schedule), "-s", "WARC_GZIP_LEVL=4"): (
            "error: setting WARC_GZIP_LEVL='4': no such setting; did you mean WARC_GZIP_LEVEL?"
        ),
        ("--file", str(bad_file)): f"error: {bad_file} [sites.nhandan]: {level}",
        (): "error: nothing to schedule: no profile has a [schedule] table; give --file "
        "schedule.toml",
    }
    for options, message in cases.items():
        done = scrapy("schedule", *options, "-s", f"ARCHIVE_DIR={archive}")
        assert done.returncode == 2, (options, done.stderr[-2000:])
        assert done.stderr.splitlines() == [message], options  # no banner, one line
    assert not (archive / "runs").exists(), "no run was started"


def test_a_listing_read_by_a_pipe_that_closes_early_ends_quietly(tmp_path: Path) -> None:
    """``scrapy sites | head``: the reader is gone before the table is printed."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "scrapy", "sites", "-s", f"ARCHIVE_DIR={tmp_path}"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # like `head` exiting before the command prints
    err = proc.stderr.read().decode("utf-8", "replace")
    proc.stderr.close()
    assert proc.wait(timeout=120) == 0
    assert "Traceback" not in err and "BrokenPipe" not in err, err
