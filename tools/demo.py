"""`make demo`: serve the bundled sample site, crawl it, summarise the archive.

Starts tests/mockserver.py on 127.0.0.1 (a free port), runs
``scrapy crawl news -a site=nhandan -a start_urls=<that URL>`` into
``--archive-dir`` (default ./data), stops the server and prints what was
written and how to look at it. No internet needed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "tests" / "sites" / "nhandan"


def start_server(root: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.mockserver", "--root", str(root), "--host", "127.0.0.1"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    if not url.startswith("http"):
        proc.kill()
        raise SystemExit(f"error: the sample-site server did not start (said {url!r})")
    return proc, url


def stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def read_records(archive: Path) -> list[dict[str, object]]:
    records: list[dict[str, object]] = []
    for path in sorted((archive / "json").glob("*.jsonl")):
        with open(path, encoding="utf-8") as f:
            records.extend(json.loads(line) for line in f if line.strip())
    return records


def count_warc_records(archive: Path) -> dict[str, int]:
    from warcio.archiveiterator import ArchiveIterator

    counts: dict[str, int] = {}
    for path in sorted((archive / "warc").glob("*.warc.gz")):
        with open(path, "rb") as f:
            for rec in ArchiveIterator(f):
                counts[rec.rec_type] = counts.get(rec.rec_type, 0) + 1
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive-dir", default="data")
    args = parser.parse_args()
    archive = Path(args.archive_dir).resolve()
    proc, url = start_server(SITE)
    print(f"Serving the sample site at {url}; crawling it into {archive} ...")
    try:
        crawl = subprocess.run(
            [
                sys.executable,
                "-m",
                "scrapy",
                "crawl",
                "news",
                "-a",
                "site=nhandan",
                "-a",
                f"start_urls={url}/",
                "-s",
                f"ARCHIVE_DIR={archive}",
                "-s",
                "LOG_LEVEL=WARNING",
                "-s",
                "DOWNLOAD_DELAY=0",
                "-s",
                "AUTOTHROTTLE_ENABLED=0",
            ],
            cwd=ROOT,
        )
    finally:
        stop(proc)
    if crawl.returncode != 0:
        print(f"error: the crawl exited with {crawl.returncode}", file=sys.stderr)
        return crawl.returncode
    archived = read_records(archive)
    # this crawl's records: an archive used before holds the sample site of other runs too
    # (another port each time), and other sites
    records = [r for r in archived if str(r.get("url", "")).startswith(f"{url}/")]
    warcs = sorted((archive / "warc").glob("*.warc.gz"))
    jsons = sorted((archive / "json").glob("*.jsonl"))
    counts = count_warc_records(archive)
    print()
    print("=" * 72)
    also = f"  ({len(archived)} in the archive)" if len(archived) != len(records) else ""
    print(f"Articles archived: {len(records)}{also}")
    print(f"WARC files: {len(warcs)}  ({', '.join(f'{n} {t}' for t, n in sorted(counts.items()))})")
    for path in warcs:
        print(f"  {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")
    print(f"JSON Lines files: {len(jsons)}")
    for path in jsons:
        print(f"  {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")
    print("\nA few articles:")
    for rec in sorted(records, key=lambda r: str(r.get("published") or ""), reverse=True)[:6]:
        print(f"  {rec.get('published') or '(no date)':<26} {rec.get('title')}")
    print("\nLook at the results:")
    print(f"  head -c 2000 {jsons[0] if jsons else archive / 'json/*.jsonl'}")
    print(f"  .venv/bin/warcio index {warcs[0] if warcs else archive / 'warc/*.warc.gz'}")
    print(f"  make wayback ARCHIVE_DIR={archive}   # installs pywb, then browse the captures in it")
    print(
        f"  .venv/bin/scrapy crawl news -a site=nhandan -a start_urls={url}/ -s ARCHIVE_DIR=rerun"
        " -s HTTPCACHE_ENABLED=1 -s HTTPCACHE_STORAGE=archive.httpcache.WarcCacheStorage"
        f" -s HTTPCACHE_IGNORE_MISSING=1 -s HTTPCACHE_ARCHIVE_DIR={archive}"
        "   # the same crawl again, offline, answered from the archive"
    )
    print("=" * 72)
    return 0


if __name__ == "__main__":
    sys.exit(main())
