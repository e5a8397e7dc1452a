"""``scrapy distributed seed|status|drain``: drive a distributed crawl (docs/distributed.md).

* ``seed -a site=NAME | -a start_urls=URL[,URL]`` pushes the crawl's start requests into Redis
  and exits; workers started later (``scrapy crawl news … -s REDIS_URL=…``) take them.
* ``status`` shows every crawl under ``REDIS_KEY_PREFIX``: queue length per host, URLs seen,
  requests in flight, workers alive with their last heartbeat, articles written.
* ``drain [--crawl ID] [--clear] [--wait S]`` asks the workers to stop taking requests; they
  finish what they hold and exit. ``--clear`` then deletes the crawl's keys.

All three need ``-s REDIS_URL=redis://host:port/db``.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import tempfile
import time
from collections import Counter
from typing import Any, ClassVar, NoReturn
from urllib.parse import urlsplit

from scrapy.commands import ScrapyCommand

from commands import stdout_may_close
from spiders.distributed.keys import CrawlKeys, crawl_ids
from spiders.distributed.scheduler import connect

ACTIONS = ("seed", "status", "drain")
SAMPLE = 10_000  # queue entries decoded for the per-host breakdown


class Command(ScrapyCommand):
    requires_project = True
    default_settings: ClassVar[dict[str, Any]] = {"LOG_LEVEL": "WARNING"}

    def syntax(self) -> str:
        return "seed|status|drain [options]"

    def short_desc(self) -> str:
        return "Seed, inspect or drain a distributed crawl in Redis (needs -s REDIS_URL=...)"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("-a", dest="spargs", action="append", default=[], metavar="NAME=VALUE")
        parser.add_argument("--crawl", default="", help="crawl id (default: every crawl)")
        parser.add_argument("--clear", action="store_true", help="drain: then delete its keys")
        parser.add_argument("--wait", type=float, default=60.0, help="drain: seconds to wait")
        parser.add_argument("--json", action="store_true", help="status: print JSON")

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        if not opts.loglevel:  # settings.py's INFO would print Scrapy's banner before the answer
            self.settings.set("LOG_LEVEL", "WARNING", priority="cmdline")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        if len(args) != 1 or args[0] not in ACTIONS:
            _fail(f"say one of: {', '.join(ACTIONS)}", 2)
        url = self.settings["REDIS_URL"]
        if not url:
            _fail("set -s REDIS_URL=redis://host:port/db (the Redis of the distributed crawl)", 2)
        try:
            server = connect(url)
        except RuntimeError as exc:
            _fail(str(exc), 1)
        prefix = self.settings["REDIS_KEY_PREFIX"]
        timeout = self.settings.getfloat("REDIS_WORKER_TIMEOUT")
        if args[0] == "seed":
            self.seed(opts)
        elif args[0] == "status":
            report = status(
                server, prefix, opts.crawl, self.settings.getfloat("REDIS_WORKER_TIMEOUT")
            )
            with stdout_may_close():
                print(json.dumps(report, indent=2) if opts.json else format_status(report))
        else:
            drain(server, prefix, opts.crawl, opts.wait, opts.clear, timeout)

    def seed(self, opts: argparse.Namespace) -> None:
        assert self.settings is not None and self.crawler_process is not None
        spargs = dict(arg.split("=", 1) for arg in opts.spargs if "=" in arg)
        self.settings.set("REDIS_SEED_ONLY", True, priority="cmdline")
        with tempfile.TemporaryDirectory(prefix="vnnews-seed-") as scratch:
            # A seed fetches nothing; whatever the archive components open goes to scratch.
            self.settings.set("ARCHIVE_DIR", scratch, priority="cmdline")
            crawler = self.crawler_process.create_crawler("news")
            self.crawler_process.crawl(crawler, **spargs)
            self.crawler_process.start()
        # (crawler_process.crawlers no longer holds a finished crawler: keep our own)
        pushed = crawler.stats.get_value("scheduler/enqueued/redis", 0) if crawler.stats else 0
        print(f"seeded {pushed} start requests")


def status(server: Any, prefix: str, only: str, worker_timeout: float) -> dict[str, Any]:
    now = time.time()
    report: dict[str, Any] = {}
    for crawl_id in crawl_ids(server, prefix):
        if only and crawl_id != only:
            continue
        keys = CrawlKeys(prefix, crawl_id)
        hosts: Counter[str] = Counter()
        for raw in server.zrange(keys.queue, 0, SAMPLE - 1):
            try:
                hosts[urlsplit(pickle.loads(raw)["url"]).netloc] += 1
            except Exception:
                hosts["?"] += 1
        workers = {
            _text(w): round(now - float(_text(seen)), 1)
            for w, seen in server.hgetall(keys.workers).items()
        }
        report[crawl_id] = {
            "queued": server.zcard(keys.queue),
            "queued_by_host": dict(hosts.most_common()),
            "seen_urls": server.scard(keys.dupefilter),
            "in_flight": server.hlen(keys.inflight),
            "workers": {
                w: {"heartbeat_age_s": age, "alive": age <= worker_timeout}
                for w, age in sorted(workers.items())
            },
            "articles_written": int(server.get(keys.articles) or 0),
            "draining": bool(server.exists(keys.drain)),
        }
    return report


def format_status(report: dict[str, Any]) -> str:
    if not report:
        return "no distributed crawl in this Redis (under this REDIS_KEY_PREFIX)"
    lines = []
    for crawl_id, s in report.items():
        alive = sum(1 for w in s["workers"].values() if w["alive"])
        lines.append(
            f"{crawl_id}: {s['queued']} queued, {s['in_flight']} in flight, {s['seen_urls']} URLs"
            f" seen, {s['articles_written']} articles, {alive} workers alive"
            + (" (draining)" if s["draining"] else "")
        )
        for host, n in s["queued_by_host"].items():
            lines.append(f"  queued  {n:>8}  {host}")
        for worker, w in s["workers"].items():
            state = "alive" if w["alive"] else "silent"
            lines.append(
                f"  worker  {worker}  last heartbeat {w['heartbeat_age_s']} s ago ({state})"
            )
    return "\n".join(lines)


def alive_workers(server: Any, keys: CrawlKeys, worker_timeout: float) -> int:
    now = time.time()
    beats = server.hgetall(keys.workers).values()
    return sum(1 for seen in beats if now - float(_text(seen)) <= worker_timeout)


def drain(
    server: Any, prefix: str, only: str, wait: float, clear: bool, worker_timeout: float
) -> None:
    targets = [c for c in crawl_ids(server, prefix) if not only or c == only]
    if not targets:
        _fail("no distributed crawl to drain" + (f" with id {only!r}" if only else ""), 1)
    for crawl_id in targets:
        server.set(CrawlKeys(prefix, crawl_id).drain, "1")
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if not any(alive_workers(server, CrawlKeys(prefix, c), worker_timeout) for c in targets):
            break
        time.sleep(0.5)
    else:
        left = {c: alive_workers(server, CrawlKeys(prefix, c), worker_timeout) for c in targets}
        _fail(f"workers still running after {wait:g} s: {left}; run drain again to wait", 1)
    for crawl_id in targets:
        keys = CrawlKeys(prefix, crawl_id)
        if clear:
            server.delete(*keys.all_keys())
            print(f"{crawl_id}: drained and cleared")
        else:
            server.delete(keys.drain)
            print(f"{crawl_id}: drained ({server.zcard(keys.queue)} requests left queued)")


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _fail(message: str, code: int) -> NoReturn:
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(code)
