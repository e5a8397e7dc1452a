"""``scrapy schedule``: when jobs are due, one run per site at a time, clean SIGTERM, logs kept.

The scheduler's own rules are tested in-process with small child processes standing in
for crawls (a child that outlives its slot, one that traps SIGTERM, one that ignores it);
then ``scrapy schedule`` runs against the sample site for a few one-second slots and is
stopped with SIGTERM. Waits are bounded and generous; nothing asserts a duration.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from commands.schedule import (
    EVENTS_NAME,
    LOCK_NAME,
    Job,
    ScheduleError,
    Scheduler,
    crawl_command,
    jobs_from_file,
    jobs_from_profiles,
)
from monitoring.history import site_dir
from monitoring.runreport import site_of
from tests.conftest import REPO_ROOT, RunningSite
from vnnews.paths import ArchivePaths
from vnnews.profiles import ProfileRegistry

WAIT = 240.0
T0 = datetime(2026, 1, 10, 8, 0, tzinfo=UTC)


def events(archive: Path, site: str) -> list[dict[str, Any]]:
    path = ArchivePaths.of(archive).runs_dir / site / EVENTS_NAME
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def wait_for(predicate: Any, what: str, timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


# -- when a job is due ------------------------------------------------------------------------


def test_interval_slots_skip_missed_ones() -> None:
    job = Job("nhandan", every=timedelta(minutes=30))
    assert job.first_due(T0) == T0
    assert job.next_due(T0, T0 + timedelta(minutes=1)) == T0 + timedelta(minutes=30)
    # a run that took 95 minutes: the next slot is the first one still ahead
    assert job.next_due(T0, T0 + timedelta(minutes=95)) == T0 + timedelta(minutes=120)


def test_cron_slots() -> None:
    job = Job("nhandan", cron="*/15 * * * *")
    assert job.first_due(T0 + timedelta(minutes=1)) == T0 + timedelta(minutes=15)
    assert job.next_due(T0 + timedelta(minutes=15), T0 + timedelta(minutes=16)) == T0 + timedelta(
        minutes=30
    )


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "schedule.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_schedule_file_jobs(tmp_path: Path) -> None:
    registry = ProfileRegistry.load()
    path = _write(
        tmp_path,
        '[sites.nhandan]\nevery = "30m"\nstart_urls = ["http://127.0.0.1:9/"]\n'
        "settings = { DOWNLOAD_DELAY = 1, AUTOTHROTTLE_ENABLED = false }\n"
        '[sites."tin.example.vn"]\ncron = "5 * * * *"\nstart_urls = "https://tin.example.vn/"\n',
    )
    nhandan, other = jobs_from_file(path, registry)
    assert nhandan.every == timedelta(minutes=30)
    assert nhandan.spider_args == (("site", "nhandan"), ("start_urls", "http://127.0.0.1:9/"))
    assert nhandan.settings == (("DOWNLOAD_DELAY", "1"), ("AUTOTHROTTLE_ENABLED", "False"))
    assert other.cron == "5 * * * *" and other.name == "tin.example.vn"
    assert other.spider_args == (("start_urls", "https://tin.example.vn/"),)
    cmd = crawl_command(nhandan, tmp_path / "archive", ["LOG_LEVEL=INFO"], python="py")
    assert cmd[:5] == ["py", "-m", "commands.cli", "crawl", "news"]
    assert cmd[-2:] == ["-s", f"ARCHIVE_DIR={tmp_path / 'archive'}"]
    assert cmd[5:7] == ["-a", "site=nhandan"] and "LOG_LEVEL=INFO" in cmd


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[sites.nhandan]\nevery = "often"\n', "every: not a duration: 'often'"),
        ('[sites.nhandan]\ncron = "every day"\n', "not a cron expression"),
        ('[sites.nhandan]\nevery = "1h"\ncron = "5 * * * *"\n', "exactly one of"),
        ('[sites.nhandan]\nevry = "1h"\n', "unknown keys: evry"),
        ('[sites.unknown]\nevery = "1h"\n', "not a site profile; give start_urls"),
        (
            '[sites.tin]\nevery = "1h"\nstart_urls = ["tin.example.vn"]\n',
            "start_urls must be http.* URLs: tin.example.vn",
        ),
        ('[sites.nhandan]\nevery = "1h"\nsettings = { ARCHIVE_DIR = "x" }\n', "ARCHIVE_DIR"),
        ("[other]\n", "no [sites.NAME] tables"),
        ("[sites.nhandan\n", "schedule.toml"),
    ],
)
def test_schedule_file_errors_name_what_to_fix(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ScheduleError, match=message.replace("[", r"\[").replace("(", r"\(")):
        jobs_from_file(_write(tmp_path, text), ProfileRegistry.load())


def test_profile_schedule_tables(tmp_path: Path) -> None:
    (tmp_path / "mau.toml").write_text(
        'publisher = "Báo Mẫu"\ndomains = ["mau.vn"]\n[schedule]\ncron = "*/10 * * * *"\n',
        encoding="utf-8",
    )
    jobs = jobs_from_profiles(ProfileRegistry.load([tmp_path]))
    mau = [j for j in jobs if j.name == "mau"]
    assert len(mau) == 1 and mau[0].cron == "*/10 * * * *"
    assert mau[0].spider_args == (("site", "mau"),)


def test_cli_errors_are_one_line_exit_2(tmp_path: Path) -> None:
    bad = _write(tmp_path, '[sites.nhandan]\nevery = "often"\n')
    done = subprocess.run(
        [sys.executable, "-m", "scrapy", "schedule", "--file", str(bad)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=WAIT,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith("error: ")
    assert "often" in done.stderr and "Traceback" not in done.stderr


# -- the scheduler's rules, with stand-in children -------------------------------------------------

# a child that lives ~1.5 s; one that traps SIGTERM, notes it and exits 0 after a short
# "safe point"; one that ignores SIGTERM
SLEEPER = "import time; time.sleep(1.5)"
TRAPPER = (
    "import signal, sys, time, pathlib\n"
    "def stop(*a):\n"
    "    time.sleep(0.3); pathlib.Path(sys.argv[1]).write_text('stopped'); sys.exit(0)\n"
    "signal.signal(signal.SIGTERM, stop)\n"
    "pathlib.Path(sys.argv[1] + '.started').write_text('x')\n"
    "while True: time.sleep(0.05)\n"
)
STUBBORN = (
    "import signal, sys, time, pathlib\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "pathlib.Path(sys.argv[1] + '.started').write_text('x')\n"
    "while True: time.sleep(0.05)\n"
)


def _scheduler(tmp_path: Path, script: str, every: float = 0.2, **kw: Any) -> Scheduler:
    marker = tmp_path / "marker"
    return Scheduler(
        [Job("site", every=timedelta(seconds=every))],
        ArchivePaths.of(tmp_path / "archive"),
        lambda job: [sys.executable, "-c", script, str(marker)],
        **kw,
    )


@pytest.mark.parametrize(
    ("url", "directory"),
    [
        ("http://127.0.0.16:8816/", "127.0.0.16_8816"),
        ("https://www.tin.example.vn/thoi-su/", "tin.example.vn"),
    ],
)
def test_a_site_without_a_profile_keeps_its_logs_beside_its_run_reports(
    tmp_path: Path, url: str, directory: str
) -> None:
    # [sites.NAME] without a profile: the crawl reports under its start host
    # (monitoring.runreport.site_of), so the scheduler's log, events and lock go there too,
    # not under NAME (they were split over runs/NAME and runs/HOST)
    path = _write(tmp_path, f'[sites.lentsite]\nevery = "1h"\nstart_urls = ["{url}"]\n')
    (job,) = jobs_from_file(path, ProfileRegistry.load())
    spider = SimpleNamespace(profile=None, site_name=None, start_urls=[url], name="news")
    reported, _ = site_of(spider)  # type: ignore[arg-type]
    assert site_dir(ArchivePaths.of(tmp_path), reported).name == directory
    scheduler = Scheduler(
        [job],
        ArchivePaths.of(tmp_path / "archive"),
        lambda job: [sys.executable, "-c", "pass"],
    )
    code = scheduler.run(until=lambda: scheduler.counts.get("ended", 0) >= 1)
    assert code == 0
    (end,) = [e for e in events(tmp_path / "archive", directory) if e["event"] == "end"]
    assert end["site"] == "lentsite"
    assert Path(end["log"]).parent.name == directory
    assert not (ArchivePaths.of(tmp_path / "archive").runs_dir / "lentsite").exists()


def test_a_run_that_overruns_its_slots_is_not_doubled(tmp_path: Path) -> None:
    scheduler = _scheduler(tmp_path, SLEEPER)
    code = scheduler.run(until=lambda: scheduler.counts.get("ended", 0) >= 2)
    assert code == 0
    log = events(tmp_path / "archive", "site")
    starts = [e for e in log if e["event"] == "start"]
    ends = [e for e in log if e["event"] == "end"]
    # (a run still going when the loop ends is stopped with SIGTERM: only the first two
    # ran to their end)
    assert len(ends) >= 2 and all(e["exit_code"] == 0 for e in ends[:2])
    # never two at once: each run starts after the one before it ended
    for before, after in zip(ends, starts[1:], strict=False):
        assert after["started_at"] >= before["ended_at"]
    skipped = [e for e in log if e["event"] == "skipped"]
    assert skipped and {e["reason"] for e in skipped} == {"overrun"}
    assert scheduler.counts["skipped_overrun"] == len(skipped)
    for end in ends:
        assert Path(end["log"]).is_file()


def test_a_site_locked_by_another_run_is_skipped(tmp_path: Path) -> None:
    directory = ArchivePaths.of(tmp_path / "archive").runs_dir / "site"
    directory.mkdir(parents=True)
    with (directory / LOCK_NAME).open("ab") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        scheduler = _scheduler(tmp_path, SLEEPER)
        code = scheduler.run(until=lambda: scheduler.counts.get("skipped_locked", 0) >= 2)
    assert code == 0
    assert "started" not in scheduler.counts
    assert {e["reason"] for e in events(tmp_path / "archive", "site")} == {"locked"}


def _stop_when_started(scheduler: Scheduler, tmp_path: Path) -> threading.Thread:
    def stopper() -> None:
        wait_for(lambda: (tmp_path / "marker.started").exists(), "the child to start")
        scheduler.stop()

    thread = threading.Thread(target=stopper, daemon=True)
    thread.start()
    return thread


def test_stop_waits_for_the_running_crawl_to_reach_its_safe_point(tmp_path: Path) -> None:
    scheduler = _scheduler(tmp_path, TRAPPER, every=3600)
    thread = _stop_when_started(scheduler, tmp_path)
    assert scheduler.run() == 0
    thread.join(5)
    assert (tmp_path / "marker").read_text() == "stopped"  # it got SIGTERM and finished
    ends = [e for e in events(tmp_path / "archive", "site") if e["event"] == "end"]
    assert len(ends) == 1 and ends[0]["exit_code"] == 0
    assert scheduler.running == {}


def test_a_crawl_that_ignores_sigterm_is_ended_and_the_exit_code_says_so(tmp_path: Path) -> None:
    scheduler = _scheduler(tmp_path, STUBBORN, every=3600, stop_timeout=0.5, escalate_timeout=0.5)
    thread = _stop_when_started(scheduler, tmp_path)
    assert scheduler.run() == 1
    thread.join(5)
    ends = [e for e in events(tmp_path / "archive", "site") if e["event"] == "end"]
    assert len(ends) == 1 and ends[0]["exit_code"] == -signal.SIGKILL


# -- scrapy schedule against the sample site ---------------------------------------------------------


def test_scrapy_schedule_runs_the_sample_site_and_stops_on_sigterm(
    sample_site: RunningSite, tmp_path: Path
) -> None:
    archive = tmp_path / "archive"
    schedule = _write(
        tmp_path,
        f'[sites.nhandan]\nevery = "1s"\nstart_urls = ["{sample_site.url}"]\n'
        "settings = { DOWNLOAD_DELAY = 0, AUTOTHROTTLE_ENABLED = false }\n",
    )
    env = {k: v for k, v in os.environ.items() if k != "SCRAPY_SETTINGS_MODULE"}
    out = (tmp_path / "schedule.out").open("wb")
    # from another directory, through the console script's module: no cwd dependence
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "commands.cli",
            "schedule",
            "--file",
            str(schedule),
            "-s",
            f"ARCHIVE_DIR={archive}",
        ],
        cwd=tmp_path,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    out.close()
    try:

        def runs(kind: str) -> list[dict[str, Any]]:
            return [e for e in events(archive, "nhandan") if e["event"] == kind]

        wait_for(lambda: len(runs("end")) >= 2 and len(runs("start")) >= 3, "two runs and a third")

        def third_crawling() -> bool:
            log = Path(runs("start")[2]["log"])
            return "Spider opened" in log.read_text(errors="replace")

        wait_for(third_crawling, "the third run to be crawling")
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(WAIT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    output = (tmp_path / "schedule.out").read_text(errors="replace")
    assert code == 0, output[-3000:]
    starts, ends = runs("start"), runs("end")
    assert len(starts) == len(ends) >= 3  # the third was stopped, not abandoned
    for before, after in zip(ends, starts[1:], strict=False):
        assert after["started_at"] >= before["ended_at"]  # never two at once
    assert all(e["exit_code"] == 0 for e in ends[:2])
    for end in ends[:2]:
        log = Path(end["log"]).read_text(errors="replace")
        assert "'finish_reason': 'finished'" in log
    last = Path(ends[-1]["log"]).read_text(errors="replace")
    # the crawl got SIGTERM from the scheduler and closed its spider (files closed, stats out)
    assert "Received SIGTERM" in last, last[-3000:]
    assert "'finish_reason':" in last, last[-3000:]
    assert "SIGTERM: no new runs" in output
    # the first run archived the site; the next ones were incremental
    records = [
        json.loads(line)
        for f in sorted(ArchivePaths.of(archive).json_dir.glob("*.jsonl"))
        for line in f.read_text(encoding="utf-8").splitlines()
    ]
    paths = {a["path"] for a in sample_site.expected["articles"]}
    assert {sample_site.url + p for p in paths} <= {r["url"] for r in records}
    second_log = Path(ends[1]["log"]).read_text(errors="replace")
    assert "'news/recheck/skipped_not_due'" in second_log
