"""``scrapy schedule``: start each site's crawl when it is due, unattended, for months.

    scrapy schedule -s ARCHIVE_DIR=/srv/archive                  # every profile with [schedule]
    scrapy schedule --file schedule.toml -s ARCHIVE_DIR=/srv/archive
    scrapy schedule --site nhandan --site dantri                 # only these

When a crawl is due comes from the site profile (``[schedule] every = "30m"`` or
``cron = "*/30 * * * *"``) or from a schedule file (TOML)::

    [sites.nhandan]
    every = "30m"                          # or cron = "5 * * * *" (croniter syntax)
    start_urls = ["https://nhandan.vn/"]   # optional: -a start_urls= (a mirror, another host)
    settings = { DOWNLOAD_DELAY = 1 }      # optional: -s for this site's crawls

Each run is its own process (``python -m commands.cli crawl news -a site=…`` with the same
settings module, the same ``-s`` options and an absolute ``ARCHIVE_DIR``). Never two runs of
one site at once: a run still going when its next slot comes is logged and the slot skipped
(``overrun``); a per-site lock file, inherited by the crawl, also keeps a second scheduler (or
a crawl left running by a killed scheduler) from doubling it. Every run's log goes to
``ARCHIVE_DIR/runs/<site>/<UTC start>-crawl.log``, and one JSON line per start, end and
skipped slot to ``ARCHIVE_DIR/runs/<site>/schedule.jsonl`` (the crawl writes its own run
report beside them). SIGTERM or SIGINT: no new runs; each running crawl gets SIGTERM (Scrapy
finishes the requests in flight and closes its files) and is waited for, up to
``--stop-timeout`` seconds, then signalled again; exit code 0 once every crawl stopped on
its own.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import logging
import os
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import IO, Any

from croniter import croniter
from scrapy.commands import ScrapyCommand
from scrapy.utils.conf import arglist_to_dict
from scrapy.utils.log import configure_logging

from monitoring.history import site_dir, url_site
from spiders.incremental import site_key
from spiders.news import check_arguments
from vnnews.config import SettingError, unknown_names, validate
from vnnews.durations import parse_duration
from vnnews.paths import ArchivePaths
from vnnews.profiles import ProfileError, ProfileRegistry

logger = logging.getLogger(__name__)

TICK = 0.2  # seconds between looks at the clock and at the running crawls
LOCK_NAME = ".schedule.lock"
EVENTS_NAME = "schedule.jsonl"


class ScheduleError(ValueError):
    """A schedule file or profile entry is wrong; ``str()`` is the one line to show."""


@dataclass(frozen=True)
class Job:
    """One site's crawl and when it is due."""

    name: str
    every: timedelta | None = None
    cron: str | None = None
    spider_args: tuple[tuple[str, str], ...] = ()
    settings: tuple[tuple[str, str], ...] = ()
    #: the site the crawl reports under (``runs/<report_site>/``), when not ``name``: a
    #: schedule-file entry without a profile is reported under its first start URL's host
    report_site: str = ""

    def first_due(self, now: datetime) -> datetime:
        """An interval job runs at once; a cron job at its next time."""
        return now if self.every is not None else self._cron_next(now)

    def next_due(self, slot: datetime, now: datetime) -> datetime:
        """The first slot after ``slot`` that is still ahead of ``now`` (missed ones skipped)."""
        if self.every is not None:
            due = slot + self.every
            if due <= now:
                missed = (now - due) // self.every + 1
                due += self.every * missed
            return due
        return self._cron_next(max(slot, now))

    def _cron_next(self, after: datetime) -> datetime:
        assert self.cron is not None
        nxt: datetime = croniter(self.cron, after).get_next(datetime)
        return nxt

    def describe(self) -> str:
        return f"every {self.every}" if self.every is not None else f"cron {self.cron!r}"


def _job(name: str, every: Any, cron: Any, where: str, **extra: Any) -> Job:
    if bool(every) == bool(cron):
        raise ScheduleError(f'{where}: give exactly one of every = "30m" or cron = "*/30 * * * *"')
    try:
        interval = parse_duration(every) if every else None
    except ValueError as exc:
        raise ScheduleError(f"{where}: every: {exc}") from None
    if cron and not croniter.is_valid(str(cron)):
        raise ScheduleError(f"{where}: cron: not a cron expression: {cron!r}")
    return Job(name, interval, str(cron) if cron else None, **extra)


def jobs_from_profiles(registry: ProfileRegistry) -> list[Job]:
    """A job for every profile with a ``[schedule]`` table."""
    jobs = []
    for profile in sorted(registry, key=lambda p: p.name):
        if profile.schedule_every or profile.schedule_cron:
            where = f"profile {profile.name} [schedule]"
            jobs.append(
                _job(
                    profile.name,
                    profile.schedule_every,
                    profile.schedule_cron,
                    where,
                    spider_args=(("site", profile.name),),
                )
            )
    return jobs


def jobs_from_file(path: Path, registry: ProfileRegistry) -> list[Job]:
    """The ``[sites.NAME]`` tables of a schedule file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ScheduleError(f"{path}: {exc}") from None
    sites = data.get("sites")
    if not isinstance(sites, dict) or not sites:
        raise ScheduleError(f"{path}: no [sites.NAME] tables")
    known = set(registry.names())
    jobs = []
    for name, entry in sites.items():
        where = f"{path} [sites.{name}]"
        if not isinstance(entry, dict):
            raise ScheduleError(f"{where}: not a table")
        unknown = set(entry) - {"every", "cron", "start_urls", "settings"}
        if unknown:
            raise ScheduleError(f"{where}: unknown keys: {', '.join(sorted(unknown))}")
        urls = entry.get("start_urls", [])
        urls = [urls] if isinstance(urls, str) else list(urls)
        if name not in known and not urls:
            raise ScheduleError(
                f'{where}: {name!r} is not a site profile; give start_urls = ["https://…"]'
            )
        args = [("site", name)] if name in known else []
        if urls:
            args.append(("start_urls", ",".join(str(u) for u in urls)))
        try:  # the crawl's own check, once here, not an exit 2 at every slot
            check_arguments(registry, name if name in known else None, [str(u) for u in urls])
        except ValueError as exc:
            raise ScheduleError(f"{where}: {exc}") from None
        settings = entry.get("settings", {})
        if not isinstance(settings, dict):
            raise ScheduleError(f"{where}: settings must be a table")
        pairs = tuple((str(k), _setting_text(v)) for k, v in settings.items())
        if any(k == "ARCHIVE_DIR" for k, _ in pairs):
            raise ScheduleError(f"{where}: ARCHIVE_DIR is the scheduler's (-s ARCHIVE_DIR=…)")
        jobs.append(
            _job(
                site_key(name, []),
                entry.get("every"),
                entry.get("cron"),
                where,
                spider_args=tuple(args),
                settings=pairs,
                report_site="" if name in known else report_site(urls),
            )
        )
    return jobs


def report_site(start_urls: Sequence[str]) -> str:
    """The site a crawl without a profile reports under (its first start URL's, as
    ``monitoring.runreport.site_of`` names it), so the scheduler's log, events and lock sit
    beside the crawl's run reports."""
    return url_site(str(start_urls[0]))


def _setting_text(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, list | dict):
        return json.dumps(value)
    return str(value)


@dataclass
class Run:
    """One running crawl."""

    job: Job
    proc: subprocess.Popen[bytes]
    started_at: datetime
    log_path: Path
    lock: IO[bytes]


@dataclass
class Scheduler:
    """Starts jobs when due, one run per site at a time; stops cleanly on request."""

    jobs: Sequence[Job]
    archive: ArchivePaths
    command_for: Callable[[Job], list[str]]
    stop_timeout: float = 600.0
    escalate_timeout: float = 30.0
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    running: dict[str, Run] = field(default_factory=dict)
    stopping: bool = False
    counts: dict[str, int] = field(default_factory=dict)

    # -- the loop ------------------------------------------------------------------------

    def run(self, until: Callable[[], bool] | None = None) -> int:
        """Run until stopped (SIGTERM/SIGINT, :meth:`stop`, or ``until()``); the exit code."""
        due = {job.name: job.first_due(self.now()) for job in self.jobs}
        for job in self.jobs:
            logger.info("Scheduled %s: %s, first run %s", job.name, job.describe(), due[job.name])
        while not self.stopping and not (until is not None and until()):
            self._reap()
            now = self.now()
            for job in self.jobs:
                if due[job.name] <= now:
                    self._start_or_skip(job, due[job.name])
                    due[job.name] = job.next_due(due[job.name], now)
            time.sleep(TICK)
        return self._shutdown()

    def stop(self, signum: int | None = None, frame: FrameType | None = None) -> None:
        if not self.stopping:
            name = signal.Signals(signum).name if signum else "stop"
            logger.info("%s: no new runs; stopping %d running crawl(s)", name, len(self.running))
        self.stopping = True

    def _count(self, key: str) -> None:
        self.counts[key] = self.counts.get(key, 0) + 1

    # -- starting --------------------------------------------------------------------------

    def _site_dir(self, job: Job) -> Path:
        directory = site_dir(self.archive, job.report_site or job.name)
        directory.mkdir(parents=True, exist_ok=True)
        return directory

    def _event(self, job: Job, **event: Any) -> None:
        record = {"site": job.name, "at": self.now().isoformat(), **event}
        path = self._site_dir(job) / EVENTS_NAME
        with path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, sort_keys=True) + "\n")

    def _start_or_skip(self, job: Job, slot: datetime) -> None:
        current = self.running.get(job.name)
        if current is not None:
            logger.warning(
                "%s: the run started %s (pid %d) is still going; the %s slot is skipped",
                job.name,
                current.started_at.isoformat(timespec="seconds"),
                current.proc.pid,
                slot.isoformat(timespec="seconds"),
            )
            self._count("skipped_overrun")
            self._event(job, event="skipped", reason="overrun", slot=slot.isoformat())
            return
        directory = self._site_dir(job)
        lock = (directory / LOCK_NAME).open("ab")
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            logger.warning("%s: another run holds %s; the slot is skipped", job.name, LOCK_NAME)
            self._count("skipped_locked")
            self._event(job, event="skipped", reason="locked", slot=slot.isoformat())
            return
        started = self.now()
        log_path = _free_name(directory, started.strftime("%Y%m%dT%H%M%SZ") + "-crawl", ".log")
        command = self.command_for(job)
        with log_path.open("wb") as log:
            # its own session: a terminal's Ctrl-C reaches the scheduler, which stops the crawls
            # in order; the crawl inherits the lock, so it stays held while the crawl lives
            proc = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                start_new_session=True,
                pass_fds=(lock.fileno(),),
            )
        self.running[job.name] = Run(job, proc, started, log_path, lock)
        self._count("started")
        logger.info("%s: run started (pid %d), log %s", job.name, proc.pid, log_path)
        self._event(
            job,
            event="start",
            pid=proc.pid,
            slot=slot.isoformat(),
            started_at=started.isoformat(),
            log=str(log_path),
            command=command,
        )

    # -- finishing -------------------------------------------------------------------------

    def _reap(self) -> None:
        for name, run in list(self.running.items()):
            code = run.proc.poll()
            if code is None:
                continue
            del self.running[name]
            run.lock.close()
            ended = self.now()
            seconds = (ended - run.started_at).total_seconds()
            log = logger.info if code == 0 else logger.warning
            log("%s: run ended (pid %d, exit code %d, %.0f s)", name, run.proc.pid, code, seconds)
            self._count("ended")
            self._event(
                run.job,
                event="end",
                pid=run.proc.pid,
                started_at=run.started_at.isoformat(),
                ended_at=ended.isoformat(),
                exit_code=code,
                log=str(run.log_path),
            )

    def _signal_all(self, signum: int) -> None:
        for run in self.running.values():
            if run.proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(run.proc.pid, signum)

    def _wait_all(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.running:
            self._reap()
            if not self.running:
                break
            if time.monotonic() > deadline:
                return False
            time.sleep(TICK)
        return True

    def _shutdown(self) -> int:
        """SIGTERM to the running crawls; wait for their safe stop; escalate only if stuck."""
        if not self.running:
            logger.info("Scheduler stopped; no crawl was running")
            return 0
        self._signal_all(signal.SIGTERM)
        if self._wait_all(self.stop_timeout):
            logger.info("Scheduler stopped; every running crawl closed cleanly")
            return 0
        names = ", ".join(sorted(self.running))
        logger.error(
            "Crawls still running after %.0f s: %s; signalling again", self.stop_timeout, names
        )
        self._signal_all(signal.SIGTERM)  # Scrapy's second signal: immediate shutdown
        if not self._wait_all(self.escalate_timeout):
            self._signal_all(signal.SIGKILL)
            self._wait_all(10.0)
        return 1


def _free_name(directory: Path, stem: str, suffix: str) -> Path:
    path = directory / f"{stem}{suffix}"
    n = 1
    while path.exists():
        path = directory / f"{stem}-{n}{suffix}"
        n += 1
    return path


def crawl_command(
    job: Job, archive_dir: Path, forwarded: Iterable[str], python: str = sys.executable
) -> list[str]:
    """``python -m commands.cli crawl news -a … -s …`` for one run of ``job``."""
    cmd = [python, "-m", "commands.cli", "crawl", "news"]
    for name, value in job.spider_args:
        cmd += ["-a", f"{name}={value}"]
    for item in forwarded:
        cmd += ["-s", item]
    for name, value in job.settings:
        cmd += ["-s", f"{name}={value}"]
    cmd += ["-s", f"ARCHIVE_DIR={archive_dir}"]
    return cmd


def check_settings(settings: Any, opts: argparse.Namespace, jobs: Sequence[Job]) -> None:
    """The settings every run will get, checked once here (one line, exit 2), not by each
    run failing with exit 2 at every slot."""
    where = ""
    try:
        unknown_names(arglist_to_dict(opts.set or []))
        validate(settings)
        for job in jobs:
            where = f"{opts.file} [sites.{job.name}]: " if opts.file else f"{job.name}: "
            given = dict(job.settings)
            unknown_names(given)
            merged = settings.copy()
            merged.setdict(given, priority="cmdline")
            validate(merged)
    except SettingError as exc:
        print(f"error: {where}{exc}", file=sys.stderr)
        raise SystemExit(2) from None


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False  # each run is its own process; logging is set up in run

    def syntax(self) -> str:
        return "[--file schedule.toml] [--site NAME ...] [-s NAME=VALUE ...]"

    def short_desc(self) -> str:
        return "Start each site's crawl when due (profile [schedule] or --file), until SIGTERM"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--file", help="schedule file (TOML, [sites.NAME] tables)")
        parser.add_argument(
            "--site", action="append", default=[], help="only this site (repeatable)"
        )
        parser.add_argument(
            "--stop-timeout",
            type=float,
            default=600.0,
            help="seconds to wait for running crawls after SIGTERM (default 600)",
        )

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        try:
            registry = ProfileRegistry.load(self.settings.getlist("NEWS_PROFILE_DIRS"))
            if opts.file:
                jobs = jobs_from_file(Path(opts.file), registry)
            else:
                jobs = jobs_from_profiles(registry)
        except (ScheduleError, ProfileError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            raise SystemExit(2) from None
        if opts.site:
            missing = set(opts.site) - {j.name for j in jobs}
            if missing:
                print(f"error: not scheduled: {', '.join(sorted(missing))}", file=sys.stderr)
                raise SystemExit(2)
            jobs = [j for j in jobs if j.name in opts.site]
        if not jobs:
            print(
                "error: nothing to schedule: no profile has a [schedule] table; "
                "give --file schedule.toml",
                file=sys.stderr,
            )
            raise SystemExit(2)
        check_settings(self.settings, opts, jobs)
        configure_logging(self.settings)  # LOG_LEVEL, LOG_FILE…, without Scrapy's banner
        archive_dir = Path(str(self.settings.get("ARCHIVE_DIR"))).resolve()
        forwarded = [s for s in (opts.set or []) if not s.startswith("ARCHIVE_DIR=")]
        env = dict(os.environ)
        env.setdefault("SCRAPY_SETTINGS_MODULE", "settings")
        scheduler = Scheduler(
            jobs,
            ArchivePaths.of(archive_dir),
            lambda job: crawl_command(job, archive_dir, forwarded),
            stop_timeout=opts.stop_timeout,
            env=env,
        )
        signal.signal(signal.SIGTERM, scheduler.stop)
        signal.signal(signal.SIGINT, scheduler.stop)
        code = scheduler.run()
        logger.info("Scheduler counts: %s", json.dumps(scheduler.counts, sort_keys=True))
        self.exitcode = code
