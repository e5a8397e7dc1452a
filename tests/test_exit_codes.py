"""`scrapy crawl` exits non-zero, in one line, when the run cannot do its job.

Real crawls in subprocesses (``run_crawl``) against the sample site: wrong settings (exit 2,
one stderr line naming the setting, an existing archive untouched), an archive directory
that cannot be written, Redis where nothing listens (checked at start) and Redis killed
mid-run (the crawl stops cleanly, exit 4, the WARC files stay valid), a start URL on a
closed port (every request fails: exit 5), and a quiet re-crawl log.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import faultserver
from tests.conftest import REPO_ROOT, RunningSite, crawl_command, run_crawl
from tests.redisserver import answers, free_port

STATS_REASON = re.compile(r"'finish_reason': '([a-z_]+)'")


def start_args(site: RunningSite) -> list[str]:
    return ["-a", "site=nhandan", "-a", f"start_urls={site.url}/"]


def snapshot(root: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file under ``root``."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def stderr_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def archive(sample_site: RunningSite, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One finished crawl of the sample site (read-only for the tests below)."""
    root = tmp_path_factory.mktemp("exit-codes") / "archive"
    done = run_crawl(start_args(sample_site), root)
    assert done.returncode == 0, done.stderr[-3000:]
    assert list((root / "warc").glob("*.warc.gz"))
    return root


# every value check is in test_settings_spec.py; these prove the command wiring end to end
WRONG = [
    ("DEDUP_BACKEND", "foo"),
    ("WARC_GZIP_LEVEL", "42"),
    ("EXTRACT_WORKERS", "-1"),
    ("NEWS_PROFILE_DIRS", "/nonexistent-vnnews-profiles"),
    ("DEDUP_BACKNED", "redis"),  # a typo in the name
]


def test_a_wrong_setting_is_one_line_and_exit_2(archive: Path, sample_site: RunningSite) -> None:
    """Each wrong setting in its own ``scrapy crawl`` (run side by side to save time)."""
    before = snapshot(archive)
    procs = []
    for name, value in WRONG:
        cmd, env = crawl_command(start_args(sample_site), archive, {name: value})
        procs.append(
            subprocess.Popen(
                cmd,
                cwd=REPO_ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    problems = []
    for (name, value), proc in zip(WRONG, procs, strict=True):
        _, stderr = proc.communicate(timeout=180)
        lines = [line for line in stderr.splitlines() if line.strip()]
        expected = f"error: setting {name}={value!r}"
        if proc.returncode != 2 or len(lines) != 1 or not lines[0].startswith(expected):
            problems.append(f"{name}={value}: exit {proc.returncode}, stderr: {stderr[-1500:]}")
    assert not problems, "\n".join(problems)
    assert snapshot(archive) == before  # nothing archived was touched


def test_archive_dir_that_is_a_file_is_exit_2(tmp_path: Path, sample_site: RunningSite) -> None:
    afile = tmp_path / "archive"
    afile.write_bytes(b"not a directory")
    for target in (afile, afile / "sub"):
        result = run_crawl(start_args(sample_site), target)
        assert result.returncode == 2, result.stderr[-3000:]
        lines = stderr_lines(result)
        assert len(lines) == 1 and "ARCHIVE_DIR=" in lines[0] and "not a directory" in lines[0]
    assert afile.read_bytes() == b"not a directory"


def test_archive_dir_that_cannot_be_written_is_exit_3(sample_site: RunningSite) -> None:
    # root ignores chmod, so use a place nobody may create directories in: sysfs
    target = Path("/sys/vnnews-archive-test")
    if not Path("/sys").is_dir() or _can_mkdir(target):
        pytest.skip("no unwritable place to point ARCHIVE_DIR at")
    result = run_crawl(start_args(sample_site), target)
    assert result.returncode == 3, result.stderr[-3000:]
    lines = stderr_lines(result)
    assert len(lines) == 1 and "cannot write there" in lines[0], result.stderr[-3000:]


def _can_mkdir(path: Path) -> bool:
    try:
        path.mkdir()
    except OSError:
        return False
    path.rmdir()
    return True


def test_redis_where_nothing_listens_is_exit_4_at_start(
    archive: Path, sample_site: RunningSite
) -> None:
    before = snapshot(archive)
    url = f"redis://127.0.0.1:{free_port()}/0"
    result = run_crawl(
        start_args(sample_site), archive, {"DEDUP_BACKEND": "redis", "DEDUP_REDIS_URL": url}
    )
    assert result.returncode == 4, result.stderr[-3000:]
    lines = stderr_lines(result)
    assert len(lines) == 1, result.stderr[-3000:]
    assert lines[0].startswith(f"error: setting DEDUP_REDIS_URL={url!r}")
    assert "does not answer" in lines[0]
    assert snapshot(archive) == before


def test_every_request_failing_is_exit_5(tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{free_port()}/"  # nothing listens: connection refused
    result = run_crawl(["-a", f"start_urls={closed}"], tmp_path / "archive", {"RETRY_TIMES": 0})
    assert result.returncode == 5, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert "Run failed (exit code 5, nothing fetched)" in result.stderr
    assert "ConnectionRefusedError" in result.stderr


def test_robots_txt_answering_500_is_exit_5_not_a_quiet_day(tmp_path: Path) -> None:
    """RFC 9309: a 5xx robots.txt allows nothing. The run fetched only robots.txt: a scheduled
    job must see that it failed, not an ordinary run with no new articles."""
    server = faultserver.start(tmp_path / "requests.log", REPO_ROOT)
    try:
        url = server.urls["robots500"] + "/"
        result = run_crawl(["-a", f"start_urls={url}"], tmp_path / "archive", {"RETRY_TIMES": 0})
    finally:
        server.stop()
    assert result.returncode == 5, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert "robots.txt was unreachable" in result.stderr


def test_redis_lost_mid_run_stops_the_crawl_cleanly(tmp_path: Path, site_server: object) -> None:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("no redis-server binary")
    site = site_server()  # type: ignore[operator]
    port = free_port()
    redis_proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    crawl = None
    try:
        for _ in range(100):
            if answers(url):
                break
            time.sleep(0.05)
        settings = {
            "DEDUP_BACKEND": "redis",
            "DEDUP_REDIS_URL": url,
            # slow enough that Redis dies in the middle of the crawl
            "DOWNLOAD_DELAY": 0.25,
            "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
        }
        cmd, env = crawl_command(start_args(site), tmp_path / "archive", settings)
        crawl = subprocess.Popen(
            cmd, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        deadline = time.monotonic() + 120
        while len(site.requests()) < 8 and crawl.poll() is None:
            assert time.monotonic() < deadline, "the crawl never got going"
            time.sleep(0.05)
        assert crawl.poll() is None, "the crawl ended before Redis could be stopped"
        os.kill(redis_proc.pid, signal.SIGKILL)
        redis_proc.wait(timeout=10)
        served_at_kill = len(site.requests())
        _, stderr = crawl.communicate(timeout=180)
    finally:
        if crawl is not None and crawl.poll() is None:
            crawl.kill()
            crawl.wait()
        if redis_proc.poll() is None:
            redis_proc.kill()
            redis_proc.wait()
    assert crawl.returncode == 4, stderr[-4000:]
    assert STATS_REASON.findall(stderr) == ["dedup_unavailable"], stderr[-4000:]
    assert re.search(r"dedup back end .*; stopping the crawl", stderr), stderr[-4000:]
    assert len(site.requests()) < served_at_kill + 30  # stopped, not every page failing
    check_warcs(tmp_path / "archive")


def check_warcs(root: Path) -> None:
    """Every WARC reads back whole with warcio and with FastWARC."""
    from fastwarc.warc import ArchiveIterator as FastIterator
    from warcio.archiveiterator import ArchiveIterator

    files = sorted((root / "warc").glob("*.warc.gz"))
    assert files and not list((root / "warc").glob("*.open"))
    for path in files:
        with path.open("rb") as fh:
            count = sum(1 for record in ArchiveIterator(fh) if record.content_stream().read() or 1)
        with path.open("rb") as fh:
            fast = sum(1 for _ in FastIterator(fh, parse_http=False))
        assert count == fast > 0
        check = subprocess.run(
            [sys.executable, "-m", "warcio.cli", "check", str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert check.returncode == 0, check.stdout + check.stderr


def test_a_recrawl_log_is_small_and_never_holds_a_page(
    archive: Path, sample_site: RunningSite, tmp_path: Path
) -> None:
    copy = tmp_path / "archive"
    shutil.copytree(archive, copy)
    articles = len(sample_site.expected["articles"])
    recheck_all = {"NEWS_RECHECK": "all"}  # fetch every archived article again
    quiet = run_crawl(start_args(sample_site), copy, {**recheck_all, "LOG_LEVEL": "WARNING"})
    assert quiet.returncode == 0, quiet.stderr[-3000:]
    assert len(quiet.stderr.encode()) <= 200 * articles + 2000, quiet.stderr[-3000:]
    for marker in ("<html", "<!DOCTYPE", "<body", "Page(", "body=b"):
        assert marker.lower() not in quiet.stderr.lower()
    loud = run_crawl(start_args(sample_site), copy, {**recheck_all, "LOG_LEVEL": "INFO"})
    assert loud.returncode == 0, loud.stderr[-3000:]
    drops = [line for line in loud.stderr.splitlines() if "] INFO: Dropped " in line]
    assert len(drops) == articles, loud.stderr[-3000:]
    assert all(len(line) < 600 and "(UnchangedText)" in line for line in drops)
    assert "<html" not in loud.stderr.lower()
    summary = next(line for line in loud.stderr.splitlines() if "Run summary:" in line)
    assert f"{articles} pages dropped ({articles} UnchangedText)" in summary


def test_a_full_disk_stops_the_crawl_with_exit_3(sample_site: RunningSite, tmp_path: Path) -> None:
    """ARCHIVE_DIR on a 400 KB tmpfs: room to start, not for the whole crawl."""
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(mount_point)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        result = run_crawl(start_args(sample_site), mount_point / "archive")
        assert result.returncode == 3, result.stderr[-4000:]
        assert "Run failed (exit code 3, archive unwritable)" in result.stderr
        assert "Traceback" not in result.stderr  # one line per failure, tracebacks at DEBUG
        assert STATS_REASON.findall(result.stderr) == ["archive_write_failed"], result.stderr[
            -4000:
        ]
        assert len(sample_site.expected["articles"]) > 0
        for path in (mount_point / "archive").rglob("*.jsonl"):
            for line in path.read_text(encoding="utf-8").splitlines():
                json.loads(line)
    finally:
        subprocess.run(["umount", str(mount_point)], check=False)
