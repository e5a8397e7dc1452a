"""`make bench`: extraction throughput and memory, as ratios to a baseline run in the same process.

Baseline: ``extract_article`` called inline, one page after another, on every article page
in tests/data/html (repeated ``--rounds`` times). Compared: the crawl's thread pool and
process pool (``EXTRACT_POOL``), each with ``--workers`` workers. Wall-clock numbers are
printed for context only; the result is the speed-up ratio against the baseline, which is
what is comparable across machines. Peak RSS of this process is reported too.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import time
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from extraction.article import extract_article  # noqa: E402
from vnnews.profiles import ProfileRegistry  # noqa: E402

FETCHED_AT = datetime(2026, 11, 1, tzinfo=UTC)


def pages() -> list[tuple[bytes, str, object]]:
    registry = ProfileRegistry.load()
    out = []
    for path in sorted((ROOT / "tests/data/html").glob("*/article-*.html")):
        profile = registry.get(path.parent.name) if path.parent.name in registry.names() else None
        url = f"https://{path.parent.name}.example/{path.stem}.html"
        out.append((path.read_bytes(), url, profile))
    return out


def job(body: bytes, url: str, profile: object) -> int:
    record = extract_article(body, url, fetched_at=FETCHED_AT, profile=profile)  # type: ignore[arg-type]
    return len(record["text"])


def timed(run: Callable[[], None]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def run_pool(executor: Executor, work: list[tuple[bytes, str, object]]) -> None:
    list(executor.map(job, *zip(*work, strict=True)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    work = pages() * args.rounds
    if not work:
        print("error: no pages in tests/data/html", file=sys.stderr)
        return 1
    job(*work[0])  # warm up imports and caches outside the timings
    baseline = timed(lambda: [job(*w) for w in work] and None)
    with ThreadPoolExecutor(args.workers) as pool:
        threads = timed(partial(run_pool, pool, work))
    ctx = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(args.workers, mp_context=ctx) as pool:
        run_pool(pool, work[: args.workers])  # start the workers before timing
        processes = timed(partial(run_pool, pool, work))
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    n = len(work)
    print(f"extraction of {n} pages ({n // args.rounds} distinct), {args.workers} workers")
    print("| mode | pages/s | speed-up vs inline |")
    print("| --- | --- | --- |")
    for name, secs in (("inline (baseline)", baseline), ("thread pool", threads),
                       ("process pool", processes)):  # fmt: skip
        print(f"| {name} | {n / secs:.1f} | {baseline / secs:.2f}x |")
    print(f"peak RSS of the benchmark process: {rss_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
