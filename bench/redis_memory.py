"""Bytes per URL in Redis for a distributed crawl: queue, dupefilter, dedup index.

Starts a private ``redis-server`` on 127.0.0.1 (so nothing else moves the figures), fills each
structure with N realistic entries (article URLs of a news site, the spider's request meta,
payload digests and capture records as the archive writes them) and reads ``used_memory``
before and after each. Prints a table and writes bench/redis_memory.md.

    .venv/bin/python bench/redis_memory.py [--n 100000]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import platform
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scrapy import Request, Spider  # noqa: E402
from scrapy_redis.dupefilter import RFPDupeFilter  # noqa: E402
from scrapy_redis.queue import PriorityQueue  # noqa: E402

from archive.dedupindex import Capture, RedisDedupIndex  # noqa: E402

SECTIONS = ["thoi-su", "kinh-te", "the-gioi", "van-hoa", "xa-hoi", "the-thao", "giao-duc"]


def url(i: int) -> str:
    slug = "-".join(["tin", "moi", "ve", SECTIONS[i % 7], "va", "doi", "song", str(i)])
    return f"https://nhandan.vn/{SECTIONS[i % 7]}/{slug}-post{800000 + i}.html"


def digest(i: int) -> str:
    raw = hashlib.sha1(str(i).encode()).digest()
    return "sha1:" + base64.b32encode(raw).decode()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def used(client: redis.Redis) -> int:  # type: ignore[type-arg]
    client.execute_command("MEMORY", "PURGE")
    return int(client.info("memory")["used_memory"])


def measure(client: redis.Redis, fill: Callable[[], None]) -> int:  # type: ignore[type-arg]
    before = used(client)
    fill()
    return used(client) - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    args = parser.parse_args()
    n = args.n
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("error: needs redis-server (apt-get install redis-server)")
    port = free_port()
    cmd = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    try:
        client = redis.Redis(port=port)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        spider = Spider(name="news")
        queue = PriorityQueue(client, spider, "q:requests")
        dupefilter = RFPDupeFilter(client, key="q:dupefilter")
        index = RedisDedupIndex(redis.Redis(port=port, decode_responses=True), prefix="d:")

        def requests() -> None:
            for i in range(n):
                meta = {"kind": "article", "hints": {"source": "sitemap"}, "hops": 1}
                queue.push(Request(url(i), priority=5, meta=meta))

        def fingerprints() -> None:
            for i in range(n):
                dupefilter.request_seen(Request(url(i)))

        def dedup() -> None:
            for i in range(n):
                capture = Capture(
                    uri=url(i),
                    date="2026-12-03T10:00:00Z",
                    record_id=f"<urn:uuid:{hashlib.md5(str(i).encode()).hexdigest()}>",
                    filename="vnnews-20261203100000000-00001-worker-1234.warc.gz",
                    offset=123456789,
                    length=45678,
                    payload_digest=digest(i),
                    etag='"abc123"',
                    last_modified="Wed, 03 Dec 2026 09:59:00 GMT",
                )
                index.add_capture(digest(i), capture)
                index.set_last_capture(url(i), capture)
                index.add_version(url(i), digest(i), f"rec-{i}")

        rows = [
            ("queue (scrapy-redis sorted set, pickled requests)", measure(client, requests)),
            ("dupefilter (scrapy-redis set of SHA-1 fingerprints)", measure(client, fingerprints)),
            ("dedup index (payload, last capture, versions)", measure(client, dedup)),
        ]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    lines = [
        f"# Redis memory per URL ({n:,} entries each; {time.strftime('%Y-%m-%d')})",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores,"
        f" Python {platform.python_version()}",
        "",
        "| structure | bytes per URL | at 1 M URLs | at 100 M URLs |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, total in rows:
        per = total / n
        lines.append(
            f"| {name} | {per:,.0f} | {per * 1e6 / 2**20:,.0f} MiB | {per * 1e8 / 2**30:,.1f} GiB |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    (ROOT / "bench" / "redis_memory.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
