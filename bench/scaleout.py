"""Distributed crawl throughput with 1, 2 and 4 workers on this machine, as ratios to one worker.

A page farm (bench/pagefarm.py) serves N distinct article pages from memory on several
loopback hosts; a private ``redis-server`` holds the shared crawl. For each worker count the
same crawl runs with that many ``scrapy crawl news … -s REDIS_URL=…`` processes (politeness
off: no delay, no AutoThrottle), each with its own ARCHIVE_DIR. Articles/s is N divided by the
time until the shared article counter reaches N (the idle wait at the end is not counted).
Prints a table and writes bench/scaleout.md.

    .venv/bin/python bench/scaleout.py [--pages 600] [--hosts 4] [--workers 1,2,4]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.redis_memory import free_port  # noqa: E402
from spiders.distributed.keys import CrawlKeys  # noqa: E402


def start_farm(pages: int, hosts: int) -> tuple[subprocess.Popen[str], list[str]]:
    cmd = [sys.executable, str(ROOT / "bench" / "pagefarm.py"), "--pages", str(pages)]
    proc = subprocess.Popen([*cmd, "--hosts", str(hosts)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    urls = [proc.stdout.readline().strip() for _ in range(hosts)]
    return proc, urls


def start_redis() -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("error: needs redis-server (apt-get install redis-server)")
    port = free_port()
    cmd = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    return proc, f"redis://127.0.0.1:{port}/0"


def run(workers: int, urls: list[str], redis_url: str, pages: int, scratch: Path) -> float:
    prefix = f"bench{workers}:"
    settings = {
        "REDIS_URL": redis_url,
        "REDIS_KEY_PREFIX": prefix,
        "DEDUP_REDIS_PREFIX": prefix + "dedup:",
        "NEWS_RECHECK_REDIS_PREFIX": prefix + "recheck:",
        "NEARDUP_REDIS_PREFIX": prefix + "neardup:",
        "REDIS_CRAWL_ID": "bench",
        "REDIS_HEARTBEAT_INTERVAL": 0.5,
        "REDIS_IDLE_CLOSE": 1,
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "CONCURRENT_REQUESTS": 32,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 32,
        "LOG_LEVEL": "WARNING",
    }
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    procs = []
    for w in range(workers):
        cmd = [
            sys.executable,
            "-m",
            "scrapy",
            "crawl",
            "news",
            "-a",
            "start_urls=" + ",".join(urls),
        ]
        cmd += ["-s", f"ARCHIVE_DIR={scratch / f'w{workers}-{w}'}"]
        for name, value in settings.items():
            cmd += ["-s", f"{name}={value}"]
        log = (scratch / f"w{workers}-{w}.log").open("wb")
        procs.append(subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=log))
    client = redis.Redis.from_url(redis_url)
    counter = CrawlKeys(prefix, "bench").articles
    start = time.monotonic()
    done_at = None
    while any(p.poll() is None for p in procs):
        if done_at is None and int(client.get(counter) or 0) >= pages:
            done_at = time.monotonic()
        time.sleep(0.1)
    written = int(client.get(counter) or 0)
    if done_at is None:
        done_at = time.monotonic()
    if written < pages:
        print(f"  warning: {workers} workers wrote {written} of {pages} articles", file=sys.stderr)
    return written / (done_at - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=600)
    parser.add_argument("--hosts", type=int, default=4)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--keep", help="keep the workers' archives and logs in this directory")
    args = parser.parse_args()
    counts = [int(w) for w in args.workers.split(",")]
    farm, urls = start_farm(args.pages, args.hosts)
    server, redis_url = start_redis()
    rates: dict[int, float] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="vnnews-bench-") as tmp:
            scratch = Path(args.keep or tmp)
            scratch.mkdir(parents=True, exist_ok=True)
            for workers in counts:
                rates[workers] = run(workers, urls, redis_url, args.pages, scratch)
                print(f"{workers} worker(s): {rates[workers]:.1f} articles/s", flush=True)
    finally:
        farm.terminate()
        server.terminate()
        farm.wait(10)
        server.wait(10)
    base = rates[counts[0]]
    lines = [
        f"# Distributed crawl throughput ({time.strftime('%Y-%m-%d')})",
        "",
        f"{args.pages} distinct article pages on {args.hosts} loopback hosts, politeness off;"
        f" machine: {platform.machine()}, {os.cpu_count()} cores, Python"
        f" {platform.python_version()}. Ratios are to {counts[0]} worker(s) in the same run.",
        "",
        "| workers | articles/s | ratio |",
        "| ---: | ---: | ---: |",
        *(f"| {w} | {r:.1f} | {r / base:.2f} |" for w, r in rates.items()),
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    (ROOT / "bench" / "scaleout.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
