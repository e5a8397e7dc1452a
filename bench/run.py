"""`make bench`: the crawl against the machine's extraction limit and a plain-Scrapy peer, one run.

On N distinct real-layout article pages (bench/pagefarm.py --layouts corpus: eleven Vietnamese
news sites' saved pages, each page with its own URL, title and text, served from memory):

* limit: bare ``trafilatura.extract`` on the same HTML, 1 process and ``--jobs`` processes;
* peer: a plain Scrapy SitemapSpider + ``trafilatura.bare_extraction`` pipeline + JSONL feed,
  no WARC (bench/peer.py, Scrapy defaults otherwise);
* crawl: ``scrapy crawl news`` (discovery, fetch, WARC, extraction pool, dedup, JSONL);
* ``scrapy reprocess --jobs N`` of the crawl's WARCs;
* peak RSS of the crawl at N and at ``--scale``×N pages;
* a second configuration, politeness on (the project's defaults, the same for the peer) with the
  pages spread over 8 loopback hosts;
* dedup-index lookups and inserts at 10k … 1M stored captures (bench/dedupbench.py).

Configuration A is politeness off for every contender alike (DOWNLOAD_DELAY=0, AutoThrottle off,
32 concurrent requests, 32 per host). A rate is articles written over the time from the
command's start until its output held every article (start-up counted, idle shut-down not).
The machine may be shared: absolute rates move between runs, the ratios within one run count.
Prints a table and writes bench/results-<timestamp>.md and .json with the machine's description.

    .venv/bin/python bench/run.py [--pages 1000] [--jobs 2] [--scale 10] [--quick]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.dedupbench import run as dedup_bench  # noqa: E402
from bench.pagefarm import CORPUS_TEMPLATES, corpus_page  # noqa: E402
from bench.procstat import Usage, measure  # noqa: E402
from vnnews.paths import ArchivePaths  # noqa: E402

PY = sys.executable
FAST = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS": "32",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "32",
}
# the project's own politeness defaults (settings.py), given to the peer as well
POLITE = {
    "DOWNLOAD_DELAY": "0.25",
    "AUTOTHROTTLE_ENABLED": "True",
    "AUTOTHROTTLE_START_DELAY": "0.25",
    "AUTOTHROTTLE_TARGET_CONCURRENCY": "2.0",
    "CONCURRENT_REQUESTS": "16",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "4",
}
# resources (images, CSS) only from the farm itself: the saved pages name real CDNs, and a
# benchmark never reaches the internet
CRAWL_EXTRA = {"RESOURCES_HOSTS": '["site"]', "LOG_LEVEL": "WARNING"}


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor()
    return {
        "cores": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_at_start": os.getloadavg(),
    }


# -- the limit ---------------------------------------------------------------------------


def _extract(page: bytes) -> int:
    import trafilatura

    return len(trafilatura.extract(page) or "")


def limit(pages: list[bytes], jobs: int) -> float:
    """Articles/s of bare trafilatura.extract over ``pages`` with ``jobs`` processes."""
    if jobs == 1:
        _extract(pages[0])
        start = time.perf_counter()
        for page in pages:
            _extract(page)
        return len(pages) / (time.perf_counter() - start)
    ctx = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(jobs, mp_context=ctx) as pool:
        list(pool.map(_extract, pages[:jobs]))  # workers started and warm
        start = time.perf_counter()
        list(pool.map(_extract, pages, chunksize=4))
        return len(pages) / (time.perf_counter() - start)


# -- servers and crawls ------------------------------------------------------------------


def start_farm(pages: int, hosts: int) -> tuple[subprocess.Popen[str], list[str]]:
    cmd = [PY, str(ROOT / "bench" / "pagefarm.py"), "--pages", str(pages), "--hosts", str(hosts)]
    proc = subprocess.Popen([*cmd, "--layouts", "corpus"], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    return proc, [proc.stdout.readline().strip() for _ in range(hosts)]


def stop(proc: subprocess.Popen[Any]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class LineCount:
    """Lines written so far to the files matching ``pattern`` under ``folder`` (incremental)."""

    def __init__(self, folder: Path, pattern: str) -> None:
        self.folder, self.pattern = folder, pattern
        self.read: dict[Path, int] = {}
        self.lines = 0

    def __call__(self) -> int:
        for path in self.folder.glob(self.pattern):
            try:
                with path.open("rb") as f:
                    f.seek(self.read.get(path, 0))
                    chunk = f.read()
            except OSError:
                continue
            self.read[path] = self.read.get(path, 0) + len(chunk)
            self.lines += chunk.count(b"\n")
        return self.lines


def _sets(settings: dict[str, str]) -> list[str]:
    return [arg for k, v in settings.items() for arg in ("-s", f"{k}={v}")]


def crawl(urls: list[str], archive: Path, pages: int, settings: dict[str, str]) -> Usage:
    cmd = [PY, "-m", "scrapy", "crawl", "news", "-a", "start_urls=" + ",".join(urls)]
    cmd += ["-s", f"ARCHIVE_DIR={archive}", *_sets({**settings, **CRAWL_EXTRA})]
    count = LineCount(ArchivePaths.of(archive).json_dir, "*.jsonl")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    usage = measure(cmd, cwd=ROOT, env=env, log=archive.with_suffix(".log"),
                    done=lambda: count() >= pages)  # fmt: skip
    usage.marks["articles"] = count()
    return usage


def peer(urls: list[str], out: Path, pages: int, settings: dict[str, str]) -> Usage:
    robots = ",".join(u + "robots.txt" for u in urls)
    cmd = [
        PY,
        "-m",
        "scrapy",
        "runspider",
        str(ROOT / "bench" / "peer.py"),
        "-a",
        f"robots={robots}",
    ]
    cmd += ["-o", f"{out.name}:jsonlines", *_sets({**settings, "LOG_LEVEL": "WARNING"})]
    env = {k: v for k, v in os.environ.items() if k not in ("SCRAPY_SETTINGS_MODULE", "PYTHONPATH")}
    count = LineCount(out.parent, out.name)
    usage = measure(cmd, cwd=out.parent, env=env, log=out.with_suffix(".log"),
                    done=lambda: count() >= pages)  # fmt: skip
    usage.marks["articles"] = count()
    return usage


def reprocess(archive: Path, out: Path, jobs: int) -> Usage:
    warcs = ArchivePaths.of(archive).warc_dir
    cmd = [PY, "-m", "scrapy", "reprocess", str(warcs), "-o", str(out), "--jobs", str(jobs)]
    cmd += ["-s", f"ARCHIVE_DIR={archive}", "-s", "LOG_LEVEL=WARNING"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    usage = measure(cmd, cwd=ROOT, env=env, log=out.with_suffix(".log"))
    try:
        usage.marks["articles"] = sum(1 for _ in out.open("rb"))
    except OSError:
        usage.marks["articles"] = 0
    return usage


def rate(usage: Usage) -> float:
    return usage.marks.get("articles", 0) / usage.marks.get("done", usage.wall)


# -- the run -----------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000, help="N distinct article pages")
    parser.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 2, help="EXTRACT_WORKERS, reprocess --jobs"
    )
    parser.add_argument("--scale", type=int, default=10, help="memory run at SCALE×N pages")
    parser.add_argument("--hosts", type=int, default=8, help="hosts of the politeness run")
    parser.add_argument("--dedup-max", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="no scale, politeness or dedup runs")
    parser.add_argument("--keep", help="keep archives and logs in this directory")
    args = parser.parse_args()
    n, jobs = args.pages, args.jobs
    if not CORPUS_TEMPLATES:
        print("error: no article pages in tests/data/html/*/article-*.html", file=sys.stderr)
        return 1
    results: dict[str, Any] = {"machine": machine(), "pages": n, "jobs": jobs, "runs": {}}
    runs: dict[str, Any] = results["runs"]
    workers = {"EXTRACT_WORKERS": str(jobs)}

    def note(name: str, usage: Usage | None = None, **extra: Any) -> None:
        row = {**(asdict(usage) if usage else {}), **extra}
        if usage is not None:
            row["articles_per_s"] = rate(usage)
        runs[name] = row
        shown = row.get("articles_per_s")
        print(f"  {name}: " + (f"{shown:.1f} articles/s" if shown else json.dumps(extra)),
              flush=True)  # fmt: skip

    with tempfile.TemporaryDirectory(prefix="vnnews-bench-") as tmp:
        scratch = Path(args.keep or tmp)
        scratch.mkdir(parents=True, exist_ok=True)
        sample = [
            corpus_page(i, "127.0.0.1:8000") for i in range(min(n, 20 * len(CORPUS_TEMPLATES)))
        ]
        print(f"limit: trafilatura.extract on {len(sample)} distinct pages", flush=True)
        note("limit_1", articles_per_s=limit(sample, 1))
        note(f"limit_{jobs}", articles_per_s=limit(sample, jobs))
        del sample

        print(f"configuration A: {n} pages on 127.0.0.1, politeness off", flush=True)
        farm, urls = start_farm(n, 1)
        try:
            note("peer", peer(urls, scratch / "peer.jsonl", n, FAST))
            note("crawl", crawl(urls, scratch / "crawl", n, {**FAST, **workers}))
        finally:
            stop(farm)
        note("reprocess", reprocess(scratch / "crawl", scratch / "reprocess.jsonl", jobs))
        if not args.quick:
            big = n * args.scale
            print(f"memory: the crawl at {big} pages", flush=True)
            farm, urls = start_farm(big, 1)
            try:
                note("crawl_scaled", crawl(urls, scratch / "crawl-big", big, {**FAST, **workers}))
            finally:
                stop(farm)
            print(f"configuration B: {n} pages on {args.hosts} hosts, politeness on", flush=True)
            farm, urls = start_farm(n, args.hosts)
            try:
                note("peer_polite", peer(urls, scratch / "peer-polite.jsonl", n, POLITE))
                note(
                    "crawl_polite", crawl(urls, scratch / "crawl-polite", n, {**POLITE, **workers})
                )
            finally:
                stop(farm)
            sizes = [s for s in (10_000, 100_000, 1_000_000) if s <= args.dedup_max]
            print(f"dedup index: {', '.join(map(str, sizes))} stored captures", flush=True)
            results["dedup"] = dedup_bench(sizes)
    results["machine"]["load_at_end"] = os.getloadavg()
    text = report(results)
    print(text)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (ROOT / "bench" / f"results-{stamp}.md").write_text(text, encoding="utf-8")
    (ROOT / "bench" / f"results-{stamp}.json").write_text(json.dumps(results, indent=1) + "\n")
    return 0


def report(results: dict[str, Any]) -> str:
    m, runs, n, jobs = results["machine"], results["runs"], results["pages"], results["jobs"]
    lim = runs[f"limit_{jobs}"]["articles_per_s"]
    lines = [
        f"# Crawl throughput ({time.strftime('%Y-%m-%d %H:%M')})",
        "",
        f"Machine: {m['cores']} cores, {m['cpu']}, Python {m['python']}; load average"
        f" {m['load_at_start'][0]:.1f} at the start, {m['load_at_end'][0]:.1f} at the end."
        f" {n} distinct article pages (corpus layouts), {jobs} extraction processes."
        " Ratios are to the all-cores limit in this same run.",
        "",
        "| what | articles/s | ratio | main-process CPU s | all-processes CPU s"
        " | peak RSS MB (main / all) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    names = {
        "limit_1": "limit: bare trafilatura.extract, 1 process",
        f"limit_{jobs}": f"limit: bare trafilatura.extract, {jobs} processes",
        "peer": "plain Scrapy SitemapSpider + bare_extraction, JSONL, no WARC",
        "crawl": "this project's crawl",
        "reprocess": f"scrapy reprocess --jobs {jobs}",
        "crawl_scaled": "this project's crawl at the scaled page count",
        "peer_polite": "politeness on, 8 hosts: plain Scrapy peer",
        "crawl_polite": "politeness on, 8 hosts: this project's crawl",
    }
    for key, label in names.items():
        row = runs.get(key)
        if row is None:
            continue
        r = row["articles_per_s"]
        cpu = f"{row['main_cpu']:.1f} | {row['tree_cpu']:.1f}" if "main_cpu" in row else "– | –"
        mem = f"{row['main_peak_mb']:.0f} / {row['tree_peak_mb']:.0f}" if "main_cpu" in row else "–"
        got = row.get("marks", {}).get("articles")
        label += f" ({int(got)} articles)" if got is not None else ""
        lines.append(f"| {label} | {r:.1f} | {r / lim:.2f} | {cpu} | {mem} |")
    lines += ["", "Targets (reported, never asserted):", ""]
    crawl, peer = runs["crawl"]["articles_per_s"], runs["peer"]["articles_per_s"]
    lines.append(
        f"- crawl ≥ 0.8 × limit: {crawl / lim:.2f} {'met' if crawl >= 0.8 * lim else 'NOT met'}"
    )
    lines.append(
        f"- crawl ahead of the peer: {crawl / peer:.2f}× {'met' if crawl > peer else 'NOT met'}"
    )
    rep = runs["reprocess"]["articles_per_s"]
    lines.append(
        f"- reprocess ≥ 0.9 × limit: {rep / lim:.2f} {'met' if rep >= 0.9 * lim else 'NOT met'}"
    )
    if "crawl_scaled" in runs:
        big, small = runs["crawl_scaled"]["main_peak_mb"], runs["crawl"]["main_peak_mb"]
        lines.append(
            f"- peak RSS (main process) at scaled N ≤ 1.1 × at N: {big:.0f} / {small:.0f} MB ="
            f" {big / small:.2f} {_met(big <= 1.1 * small)}"
        )
    if results.get("dedup"):
        d = results["dedup"]
        lines += ["", "| stored captures | lookup µs | insert µs |", "| ---: | ---: | ---: |"]
        lines += [f"| {r['size']:,} | {r['lookup_us']:.1f} | {r['insert_us']:.1f} |" for r in d]
        lines.append(
            f"\n- dedup flat from {d[0]['size']:,} to {d[-1]['size']:,}: lookups"
            f" {d[-1]['lookup_us'] / d[0]['lookup_us']:.2f}×, inserts"
            f" {d[-1]['insert_us'] / d[0]['insert_us']:.2f}×"
        )
    return "\n".join(lines) + "\n"


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


if __name__ == "__main__":
    sys.exit(main())
