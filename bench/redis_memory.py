"""Bytes per URL in Redis for a distributed crawl: queue, dupefilter, dedup index.

Starts a private ``redis-server`` on 127.0.0.1 (so nothing else moves the figures), fills each
structure with N realistic entries (article URLs of a news site, the spider's request meta,
payload digests and capture records as the archive writes them) and reads ``used_memory``
before and after each. Prints a table and writes bench/redis_memory.md.

The dedup index (format 2) buckets URLs and payload digests into 2**20 hashes; its cost per URL
depends on how full the buckets are, so it is measured twice with N URLs in fewer buckets: as
full as 1 M and as 100 M URLs make them. ``--baseline FILE`` also measures the
``RedisDedupIndex`` of another version of archive/dedupindex.py (e.g. format 1, from
``git show be8b5f8~1:archive/dedupindex.py``). Insert and lookup latencies (µs per call, one
client, no pipelining) are timed on the first ``--timed`` URLs of each.

    .venv/bin/python bench/redis_memory.py [--n 100000] [--baseline old_dedupindex.py]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import importlib.util
import math
import os
import platform
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


def capture(i: int) -> Capture:
    return Capture(
        uri=url(i),
        date="2026-12-03T10:00:00Z",
        record_id=f"<urn:uuid:{uuid.UUID(bytes=hashlib.md5(str(i).encode()).digest())}>",
        filename="vnnews-20261203100000000-00001-worker-1234.warc.gz",
        offset=123456789,
        length=45678,
        payload_digest=digest(i),
        etag='"abc123"',
        last_modified="Wed, 03 Dec 2026 09:59:00 GMT",
    )


def fill_dedup(index: Any, n: int) -> None:
    """What the archive stores for n new pages: payload, last capture, one article version."""
    for i in range(n):
        cap = capture(i)
        index.add_capture(cap.payload_digest, cap)
        index.set_last_capture(cap.uri, cap)
        index.add_version(cap.uri, digest(i), f"rec-{i}")


def filler(index: Any, n: int) -> Callable[[], None]:
    return lambda: fill_dedup(index, n)


def timed(index: Any, n: int) -> dict[str, float]:
    """µs per call: inserts of n URLs, then lookups of each (half of them unknown)."""
    results: dict[str, float] = {}
    start = time.perf_counter()
    fill_dedup(index, n)
    results["insert (3 calls)"] = (time.perf_counter() - start) / n * 1e6
    lookups: dict[str, Callable[[int], object]] = {
        "first_capture": lambda i: index.first_capture(digest(i)),
        "last_capture": lambda i: index.last_capture(url(i)),
        "find_version": lambda i: index.find_version(url(i), digest(i)),
        "latest_version": lambda i: index.latest_version(url(i)),
    }
    for name, call in lookups.items():
        start = time.perf_counter()
        for i in range(0, 2 * n, 2):  # even i: stored; odd i ≥ n: unknown
            call(i if i < n else i + 1)
        results[name] = (time.perf_counter() - start) / n * 1e6
    return results


def dedup_client(port: int) -> redis.Redis:  # type: ignore[type-arg]
    return redis.Redis(port=port, decode_responses=True)


def load_index_class(path: str) -> Any:
    spec = importlib.util.spec_from_file_location("baseline_dedupindex", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"error: cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module.RedisDedupIndex


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--timed", type=int, default=10_000)
    parser.add_argument("--baseline", help="another archive/dedupindex.py to measure as well")
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

        def requests() -> None:
            for i in range(n):
                meta = {"kind": "article", "hints": {"source": "sitemap"}, "hops": 1}
                queue.push(Request(url(i), priority=5, meta=meta))

        def fingerprints() -> None:
            for i in range(n):
                dupefilter.request_seen(Request(url(i)))

        rows = [
            ("queue (scrapy-redis sorted set, pickled requests)", measure(client, requests)),
            ("dupefilter (scrapy-redis set of SHA-1 fingerprints)", measure(client, fingerprints)),
        ]
        dedup_rows: list[tuple[str, float, float, float]] = []
        timings: list[tuple[str, dict[str, float]]] = []
        if args.baseline:
            old = load_index_class(args.baseline)
            per = measure(client, lambda: fill_dedup(old(dedup_client(port), prefix="o:"), n)) / n
            dedup_rows.append(("dedup index, format 1 (JSON objects, URL keys)", per, per, per))
            timings.append(("format 1", timed(old(dedup_client(port), prefix="ot:"), args.timed)))
        density: dict[int, tuple[int, float]] = {}
        for target in (1_000_000, 100_000_000):
            bits = max(1, round(20 - math.log2(target / n)))
            index = RedisDedupIndex(dedup_client(port), prefix=f"n{target}:", bucket_bits=bits)
            density[target] = (bits, measure(client, filler(index, n)) / n)
        per1, per100 = density[1_000_000][1], density[100_000_000][1]
        dedup_rows.append(
            (
                f"dedup index, format 2 ({n:,} URLs in 2^{density[1_000_000][0]} /"
                f" 2^{density[100_000_000][0]} buckets, as full as at 1 M / 100 M)",
                per1,
                per1,
                per100,
            )
        )
        timings.append(
            ("format 2", timed(RedisDedupIndex(dedup_client(port), prefix="nt:"), args.timed))
        )
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
    for name, per, at1, at100 in dedup_rows:
        shown = f"{per:,.0f}" if at1 == at100 else f"{at1:,.0f} / {at100:,.0f}"
        lines.append(
            f"| {name} | {shown} | {at1 * 1e6 / 2**20:,.0f} MiB | {at100 * 1e8 / 2**30:,.1f} GiB |"
        )
    ops = list(timings[0][1])
    lines += [
        "",
        f"Latency, µs per call ({args.timed:,} URLs, one client, no pipelining; insert ="
        " add_capture + set_last_capture + add_version):",
        "",
        "| index | " + " | ".join(ops) + " |",
        "| --- |" + " ---: |" * len(ops),
    ]
    for name, result in timings:
        lines.append(f"| {name} | " + " | ".join(f"{result[op]:,.0f}" for op in ops) + " |")
    text = "\n".join(lines) + "\n"
    print(text)
    (ROOT / "bench" / "redis_memory.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
