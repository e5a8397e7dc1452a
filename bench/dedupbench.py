"""Dedup index (archive.dedupindex.SqliteDedupIndex) lookups and inserts at 10k … 1M stored
captures: microseconds per operation through the public API, at each size.

The index is filled in bulk (one transaction) to each size, then ``ops`` lookups (half hits,
half misses) of ``first_capture`` and ``last_capture`` and ``ops`` inserts (``add_capture`` +
``set_last_capture``, each its own committed transaction, as in a crawl) are timed.
"""

from __future__ import annotations

import hashlib
import json
import random
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from archive.dedupindex import Capture, SqliteDedupIndex


def _capture(i: int) -> tuple[str, str, Capture]:
    digest = "sha1:" + hashlib.sha1(str(i).encode()).hexdigest().upper()
    url = f"https://site{i % 97}.example/bai-viet-{i}.html"
    capture = Capture(
        uri=url,
        date="2026-11-01T00:00:00Z",
        record_id=f"<urn:uuid:{i:032x}>",
        filename="vnnews-20261101000000000-00000-host-1.warc.gz",
        offset=i * 4096,
        length=4000,
        payload_digest=digest,
    )
    return digest, url, capture


def _fill(index: SqliteDedupIndex, start: int, stop: int) -> None:
    rows = [_capture(i) for i in range(start, stop)]
    db = index._db  # bulk fill only; the timed operations use the public API
    db.execute("BEGIN")
    db.executemany(
        "INSERT OR IGNORE INTO payloads (digest, capture) VALUES (?, ?)",
        ((d, json.dumps(asdict(c))) for d, _, c in rows),
    )
    db.executemany(
        "INSERT OR REPLACE INTO captures (url, capture) VALUES (?, ?)",
        ((u, json.dumps(asdict(c))) for _, u, c in rows),
    )
    db.execute("COMMIT")


def run(sizes: list[int], ops: int = 2000) -> list[dict[str, float]]:
    results = []
    rng = random.Random(12)
    with tempfile.TemporaryDirectory(prefix="vnnews-dedup-bench-") as tmp:
        index = SqliteDedupIndex(Path(tmp) / "dedup.sqlite3")
        stored = 0
        fresh = 10**9  # ids of the timed inserts, never in the filled range
        for size in sizes:
            _fill(index, stored, size)
            stored = size
            hits = [_capture(rng.randrange(stored)) for _ in range(ops // 2)]
            misses = [_capture(fresh + 10**8 + i) for i in range(ops // 2)]
            probes = hits + misses
            rng.shuffle(probes)
            start = time.perf_counter()
            for digest, url, _ in probes:
                index.first_capture(digest)
                index.last_capture(url)
            lookup = (time.perf_counter() - start) / (2 * len(probes))
            start = time.perf_counter()
            for _ in range(ops):
                digest, url, capture = _capture(fresh)
                fresh += 1
                index.add_capture(digest, capture)
                index.set_last_capture(url, capture)
            insert = (time.perf_counter() - start) / (2 * ops)
            results.append({"size": size, "lookup_us": lookup * 1e6, "insert_us": insert * 1e6})
        index.close()
    return results
