"""Syndication benchmark: link quality on the fixture sites, and the index at scale.

    .venv/bin/python bench/syndication.py [--n 1000000] [--skip-crawl] [--skip-scale]
                                          [--redis] [--out bench/syndication.md]

1. **Fixture crawl** (real crawls, both orders): tests/sites/synd_a (a paper), synd_b (a
   portal republishing five of A's articles: two with an attribution line, two verbatim without,
   one lightly edited) and tintuc (an unrelated site), each crawled by its own ``scrapy crawl``
   into one ARCHIVE_DIR. Ground truth: synd_b/expected.json. Precision and recall of the
   near-duplicate pairs and of the syndication links (copy -> original, from the records and
   the late links), and how many links got the expected rule.
2. **Edit sweep** (in process): the 27 sample article texts of tests/sites/nhandan_articles.toml
   indexed; copies with a share of their words replaced are looked up: recall per edit level,
   and false links among the 351 pairs of distinct articles.
3. **Scale** (synthetic): ``--n`` random signatures loaded into the SQLite index (and with
   ``--redis`` into a private redis-server on a free port, stopped by PID), then 1,000 lookups:
   500 planted near-copies of stored signatures (80 % of values kept, estimated similarity 0.8)
   and 500 fresh random ones. Load time, lookup latency, recall of the planted copies, false
   hits, disk size of the SQLite file, the process's peak memory, Redis ``used_memory``.

Results are written to bench/syndication.md (figures, not assertions: a benchmark).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive.neardup import (  # noqa: E402
    DocEntry,
    LshParams,
    NearDupIndex,
    RedisNearDupIndex,
    SqliteNearDupIndex,
)
from tests.conftest import SITES, run_crawl, start_server, stop_process  # noqa: E402

PARAMS = LshParams.for_threshold(0.5, 128, 1, 3)
THRESHOLD = 0.5
SETTINGS = {"EXTRACT_POOL": "inline", "MONITOR_FAIL_ON_DRIFT": False}


# -- 1. fixture crawl -------------------------------------------------------------------


def read_jsonl(directory: Path) -> list[dict[str, Any]]:
    rows = []
    for path in sorted(directory.glob("*.jsonl")) if directory.is_dir() else []:
        rows += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return rows


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def crawl_order(order: list[str], work: Path) -> dict[str, Any]:
    expected = json.loads((SITES / "synd_b" / "expected.json").read_text(encoding="utf-8"))
    servers = {name: start_server(SITES / name, work / f"{name}.log") for name in order}
    try:
        for name in order:
            done = run_crawl(["-a", f"start_urls={servers[name].url}/"], work / "arch", SETTINGS)
            if done.returncode != 0:
                raise RuntimeError(f"crawl of {name} failed: {done.stderr[-1500:]}")
    finally:
        for server in servers.values():
            stop_process(server.process)
    records = read_jsonl(work / "arch" / "json")
    url_a, url_b = servers["synd_a"].url, servers["synd_b"].url
    key = {r["id"]: (r["url"].startswith(url_a), path_of(r["url"])) for r in records}
    truth_pairs = {
        frozenset({(False, c["copy"]), (True, c["original"])}) for c in expected["copies"]
    }
    truth_links = {((False, c["copy"]), (True, c["original"])): c for c in expected["copies"]}
    pairs = set()
    links: dict[tuple[Any, Any], str] = {}
    for r in records:
        me = key[r["id"]]
        for near in r.get("near_duplicates") or []:
            pairs.add(frozenset({me, key[near["id"]]}))
        if r.get("syndicated_from"):
            links[(me, key[r["syndicated_from"]["id"]])] = r["syndicated_from"]["decided_by"]
    for line in read_jsonl(work / "arch" / "links"):
        links[(key[line["id"]], key[line["syndicated_from"]["id"]])] = line["syndicated_from"][
            "decided_by"
        ]
    right_rule = sum(
        1
        for pair, rule in links.items()
        if pair in truth_links and truth_links[pair]["decided_by"] == rule
    )
    del url_b
    return {
        "order": " → ".join(order),
        "records": len(records),
        "pairs_found": len(pairs),
        "pairs_true": len(pairs & truth_pairs),
        "pairs_expected": len(truth_pairs),
        "links_found": len(links),
        "links_true": len(set(links) & set(truth_links)),
        "links_expected": len(truth_links),
        "right_rule": right_rule,
    }


# -- 2. edit sweep ------------------------------------------------------------------------


def sample_texts() -> list[str]:
    data = tomllib.loads((SITES / "nhandan_articles.toml").read_text(encoding="utf-8"))
    return [a["lead"] + "\n\n" + a["body"] for a in data["article"] if "title" in a]


def edited(text: str, share: float, rng: random.Random) -> str:
    """Replace ``share`` of the words (spread over the text) with other words of the text."""
    tokens = text.split()
    for i in rng.sample(range(len(tokens)), int(len(tokens) * share)):
        tokens[i] = rng.choice(["mới", "theo", "đã", "người", "năm", "tỉnh", "cho", "và"])
    return " ".join(tokens)


def edit_sweep(work: Path) -> dict[str, Any]:
    rng = random.Random(14)
    texts = sample_texts()
    index = SqliteNearDupIndex(work / "sweep.sqlite3", PARAMS)
    for n, text in enumerate(texts):
        url = f"https://a.example/{n}"
        index.add(DocEntry(f"{n:032d}", url, url), index.signer.signature(text))
    levels = {}
    for share in (0.0, 0.02, 0.05, 0.10, 0.15, 0.20, 0.30):
        found = 0
        sims = []
        for n, text in enumerate(texts):
            matches = index.query(index.signer.signature(edited(text, share, rng)), THRESHOLD)
            hit = [m for m in matches if m.entry.id == f"{n:032d}"]
            found += bool(hit)
            sims += [m.similarity for m in hit]
        levels[share] = (found, len(texts), float(np.mean(sims)) if sims else 0.0)
    false_links = 0
    for n, text in enumerate(texts):
        matches = index.query(index.signer.signature(text), THRESHOLD)
        false_links += sum(1 for m in matches if m.entry.id != f"{n:032d}")
    index.close()
    return {
        "levels": levels,
        "false_links": false_links,
        "pairs": len(texts) * (len(texts) - 1) // 2,
    }


# -- 3. scale ---------------------------------------------------------------------------


def synthetic(n: int, seed: int) -> Iterator[tuple[DocEntry, Any]]:
    rng = np.random.default_rng(seed)
    for start in range(0, n, 10_000):
        block = rng.integers(
            0, 2**32 - 1, size=(min(10_000, n - start), PARAMS.num_perm), dtype=np.uint32
        )
        for i, sig in enumerate(block):
            k = start + i
            url = f"https://site{k % 500}.example/bai-{k}.html"
            yield DocEntry(f"{k:032x}", url, url, published="2024-06-10T08:00:00+07:00"), sig


def near_copy(sig: Any, rng: np.random.Generator, keep: float = 0.8) -> Any:
    out = sig.copy()
    change = rng.choice(len(sig), size=int(len(sig) * (1 - keep)), replace=False)
    out[change] = rng.integers(0, 2**32 - 1, size=len(change), dtype=np.uint32)
    return out


def scale(index: NearDupIndex, n: int, label: str) -> dict[str, Any]:
    t0 = time.perf_counter()
    chunk: list[tuple[DocEntry, Any]] = []
    stored: dict[int, Any] = {}
    rng = np.random.default_rng(7)
    probes = set(rng.choice(n, size=500, replace=False).tolist())
    for k, item in enumerate(synthetic(n, seed=1)):
        if k in probes:
            stored[k] = item[1]
        chunk.append(item)
        if len(chunk) == 50_000:
            index.add_many(chunk)
            chunk = []
    if chunk:
        index.add_many(chunk)
    load = time.perf_counter() - t0
    latencies = []
    found = 0
    for k, sig in stored.items():
        probe = near_copy(sig, rng)
        t = time.perf_counter()
        matches = index.query(probe, THRESHOLD)
        latencies.append(time.perf_counter() - t)
        found += any(m.entry.id == f"{k:032x}" for m in matches)
    false_hits = 0
    for sig in rng.integers(0, 2**32 - 1, size=(500, PARAMS.num_perm), dtype=np.uint32):
        t = time.perf_counter()
        false_hits += len(index.query(sig, THRESHOLD))
        latencies.append(time.perf_counter() - t)
    ms = np.array(latencies) * 1000
    return {
        "backend": label,
        "n": index.count(),
        "load_s": load,
        "p50_ms": float(np.percentile(ms, 50)),
        "p95_ms": float(np.percentile(ms, 95)),
        "p99_ms": float(np.percentile(ms, 99)),
        "recall": found / len(stored),
        "false_hits": false_hits,
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--skip-crawl", action="store_true")
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--redis", action="store_true", help="also load a private redis-server")
    parser.add_argument("--redis-n", type=int, default=0, help="records for Redis (default --n)")
    parser.add_argument("--out", default=str(ROOT / "bench" / "syndication.md"))
    args = parser.parse_args()
    results: dict[str, Any] = {"params": PARAMS, "n": args.n}
    with tempfile.TemporaryDirectory(prefix="synd-bench-") as tmp:
        work = Path(tmp)
        if not args.skip_crawl:
            results["crawl"] = []
            for n, order in enumerate(
                (["synd_a", "synd_b", "tintuc"], ["synd_b", "tintuc", "synd_a"])
            ):
                (work / f"o{n}").mkdir()
                results["crawl"].append(crawl_order(order, work / f"o{n}"))
                print(results["crawl"][-1], file=sys.stderr)
        results["sweep"] = edit_sweep(work)
        print(results["sweep"], file=sys.stderr)
        if not args.skip_scale:
            path = work / "scale.sqlite3"
            index = SqliteNearDupIndex(path, PARAMS)
            row = scale(index, args.n, "SQLite")
            index.close()
            row["disk_mb"] = sum(p.stat().st_size for p in work.glob("scale.sqlite3*")) / 2**20
            row["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            results["scale"] = [row]
            print(row, file=sys.stderr)
            if args.redis:
                port = free_port()
                proc = subprocess.Popen(
                    [
                        "redis-server",
                        "--port",
                        str(port),
                        "--bind",
                        "127.0.0.1",
                        "--save",
                        "",
                        "--appendonly",
                        "no",
                    ],
                    stdout=subprocess.DEVNULL,
                )
                try:
                    time.sleep(0.5)
                    rindex = RedisNearDupIndex.from_url(
                        f"redis://127.0.0.1:{port}/0", PARAMS, "bench:neardup:"
                    )
                    row = scale(rindex, args.redis_n or args.n, "Redis")
                    info = rindex.client.info("memory")
                    row["redis_used_mb"] = info["used_memory"] / 2**20
                    rindex.close()
                    results["scale"].append(row)
                    print(row, file=sys.stderr)
                finally:
                    proc.terminate()
                    proc.wait(10)
    Path(args.out).write_text(report(results), encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)


def report(results: dict[str, Any]) -> str:
    p: LshParams = results["params"]
    lines = [
        "# Syndication benchmark (`bench/syndication.py`)",
        "",
        f"Index parameters: {p.num_perm} permutations, {p.bands} bands × {p.rows} rows, word "
        f"{p.shingle_words}-shingles, threshold {THRESHOLD} (settings defaults). Machine: 2 cores "
        "shared with other jobs; times are indicative.",
        "",
    ]
    if "crawl" in results:
        lines += [
            "## Fixture sites (real crawls, one `scrapy crawl` per site, one ARCHIVE_DIR)",
            "",
            "synd_a (paper), synd_b (portal: 5 of A's articles republished — 2 with an "
            "attribution line, 2 verbatim without, 1 lightly edited — and 3 of its own), tintuc "
            "(unrelated). A link is correct when it joins a copy to its original in the right "
            "direction; late links (copy crawled first) are read from `links/*.jsonl`.",
            "",
            "| crawl order | records | near-dup pairs: precision | recall"
            " | syndicated_from: precision | recall | expected rule |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for c in results["crawl"]:
            prec_p = c["pairs_true"] / c["pairs_found"] if c["pairs_found"] else 1.0
            prec_l = c["links_true"] / c["links_found"] if c["links_found"] else 1.0
            pairs_true, links_true = c["pairs_true"], c["links_true"]
            lines.append(
                f"| {c['order']} | {c['records']}"
                f" | {prec_p:.2f} ({pairs_true}/{c['pairs_found']})"
                f" | {pairs_true / c['pairs_expected']:.2f} ({pairs_true}/{c['pairs_expected']})"
                f" | {prec_l:.2f} ({links_true}/{c['links_found']})"
                f" | {links_true / c['links_expected']:.2f} ({links_true}/{c['links_expected']})"
                f" | {c['right_rule']}/{c['links_expected']} |"
            )
        lines.append("")
    sweep = results["sweep"]
    lines += [
        "## Edit sweep (27 sample articles, in process)",
        "",
        "Each article is indexed; a copy with a share of its words replaced is looked up.",
        "",
        "| words replaced | found (similarity ≥ 0.5) | mean estimated similarity |",
        "| ---: | ---: | ---: |",
    ]
    for share, (found, total, sim) in sweep["levels"].items():
        lines.append(f"| {share:.0%} | {found}/{total} | {sim:.2f} |")
    lines += [
        "",
        f"False links among the {sweep['pairs']} pairs of distinct articles (same house style, "
        f"same sections): {sweep['false_links']}.",
        "",
    ]
    if "scale" in results:
        lines += [
            "## Scale: synthetic signatures",
            "",
            "Random signatures (no two similar), loaded in transactions of 50,000; then 500 "
            "lookups of planted near-copies (80 % of a stored signature's values kept) and 500 "
            "of fresh random signatures.",
            "",
            "| back end | records | load | lookup p50 | p95 | p99 | planted copies found"
            " | false hits | size |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
        for r in results["scale"]:
            size = (
                f"{r['disk_mb']:.0f} MiB on disk; process peak RSS {r['peak_rss_mb']:.0f} MiB"
                if "disk_mb" in r
                else f"Redis used_memory {r['redis_used_mb']:.0f} MiB"
            )
            lines.append(
                f"| {r['backend']} | {r['n']:,} | {r['load_s']:.0f} s | {r['p50_ms']:.2f} ms"
                f" | {r['p95_ms']:.2f} ms | {r['p99_ms']:.2f} ms | {r['recall']:.1%}"
                f" | {r['false_hits']} | {size} |"
            )
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
