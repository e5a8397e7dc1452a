"""Issue 3 as a user checks it: two crawls of a site that changes between them, then the
WARCs through warcio, FastWARC and real pywb replay, and the JSON records counted.

Crawl 1 serves tests/sites/nhandan; crawl 2 serves the same URLs with the nhandan-v2
overlay (one article corrected, one with only boilerplate changed, one new article).
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from fastwarc.warc import ArchiveIterator as FastIterator
from fastwarc.warc import WarcRecordType
from warcio.archiveiterator import ArchiveIterator

from commands.wayback import write_config
from tests.conftest import NHANDAN, NHANDAN_V2, REPO_ROOT, run_crawl, start_server, stop_process
from tests.test_replay_pywb import WAYBACK, _free_port, _wait_ready

WARCIO = REPO_ROOT / ".venv" / "bin" / "warcio"


@dataclass
class Archive:
    root: Path
    v1_articles: int
    new_articles: int

    def warcs(self) -> list[Path]:
        return sorted((self.root / "warc").glob("*.warc.gz"))

    def records(self) -> list[dict[str, object]]:
        return [
            json.loads(line)
            for path in sorted((self.root / "json").glob("*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines()
        ]


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    tmp = tmp_path_factory.mktemp("e2e")
    root = tmp / "data"
    v1 = start_server(NHANDAN, tmp / "v1.log")
    try:
        first = run_crawl(["-a", "site=nhandan", "-a", f"start_urls={v1.url}/"], root)
    finally:
        stop_process(v1.process)
    assert first.returncode == 0, first.stderr[-3000:]
    v2 = start_server(NHANDAN, tmp / "v2.log", overlay=NHANDAN_V2, port=v1.port)
    try:
        second = run_crawl(["-a", "site=nhandan", "-a", f"start_urls={v2.url}/"], root)
    finally:
        stop_process(v2.process)
    assert second.returncode == 0, second.stderr[-3000:]
    new = len(v2.expected["articles"]) - len(v1.expected["articles"])
    return Archive(root, len(v1.expected["articles"]), new)


def test_every_warc_passes_warcio_check(archive: Archive) -> None:
    assert len(archive.warcs()) >= 2  # one per crawl at least
    assert not list((archive.root / "warc").glob("*.open"))
    for path in archive.warcs():
        done = subprocess.run(
            [str(WARCIO), "check", "-v", str(path)], capture_output=True, text=True
        )
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


def test_every_warc_reads_cleanly_with_fastwarc(archive: Archive) -> None:
    names = [
        (WarcRecordType.warcinfo, "warcinfo"),
        (WarcRecordType.request, "request"),
        (WarcRecordType.response, "response"),
        (WarcRecordType.revisit, "revisit"),
        (WarcRecordType.metadata, "metadata"),
    ]
    kinds: Counter[str] = Counter()
    for path in archive.warcs():
        with open(path, "rb") as f:  # the whole block, as stored
            for rec in FastIterator(f, parse_http=False):
                kinds[next(n for t, n in names if rec.record_type == t)] += 1
                assert rec.verify_block_digest(), (path.name, rec.record_id)
        with open(path, "rb") as f:  # the payload, after FastWARC's own HTTP parsing
            for rec in FastIterator(f, parse_http=True, record_types=WarcRecordType.response):
                assert rec.verify_payload_digest(), (path.name, rec.record_id)
    assert kinds["warcinfo"] == len(archive.warcs())
    assert kinds["response"] > 0 and kinds["revisit"] > 0 and kinds["request"] > 0


def test_no_page_payload_is_stored_twice(archive: Archive) -> None:
    """200 payloads are deduplicated (redirect and error bodies are small and kept whole)."""
    digests: Counter[str] = Counter()
    for path in archive.warcs():
        with open(path, "rb") as f:
            for rec in ArchiveIterator(f):
                if rec.rec_type == "response" and rec.http_headers.get_statuscode() == "200":
                    digests[rec.rec_headers.get_header("WARC-Payload-Digest")] += 1
    assert [d for d, n in digests.items() if n > 1] == []


def test_json_records_one_per_article_version(archive: Archive) -> None:
    records = archive.records()
    keys = Counter((r["canonical_url"], r["text_digest"]) for r in records)
    assert [k for k, n in keys.items() if n > 1] == []
    # v1: every article once; v2: the corrected article (version 2) and the new one.
    assert len(records) == archive.v1_articles + 1 + archive.new_articles
    by_id = {r["id"]: r for r in records}
    second = [r for r in records if r["version"] == 2]
    assert len(second) == 1
    previous = by_id[second[0]["previous"]]
    assert previous["canonical_url"] == second[0]["canonical_url"]
    assert previous["text"] != second[0]["text"]


@dataclass
class Capture:
    uri: str
    timestamp: str
    body: bytes
    kind: str


def _captures(archive: Archive) -> list[Capture]:
    """Every HTML 200 response and every revisit, with the payload bytes it must replay."""
    payloads: dict[str, bytes] = {}
    out = []
    for path in archive.warcs():
        with open(path, "rb") as f:
            for rec in ArchiveIterator(f):
                if rec.rec_type not in ("response", "revisit"):
                    continue
                digest = rec.rec_headers.get_header("WARC-Payload-Digest")
                date = rec.rec_headers.get_header("WARC-Date")
                ts = datetime.fromisoformat(date.replace("Z", "+00:00")).strftime("%Y%m%d%H%M%S")
                uri = rec.rec_headers.get_header("WARC-Target-URI")
                if rec.rec_type == "response":
                    body = rec.raw_stream.read()
                    payloads[digest] = body
                    ctype = rec.http_headers.get_header("Content-Type") or ""
                    if rec.http_headers.get_statuscode() == "200" and "html" in ctype:
                        out.append(Capture(uri, ts, body, "response"))
                elif digest in payloads and uri.endswith(".html"):
                    out.append(Capture(uri, ts, payloads[digest], "revisit"))
    return out


@pytest.fixture(scope="module")
def pywb(archive: Archive, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not WAYBACK.exists():
        pytest.fail("pywb venv missing: run make venv")
    conf = write_config(archive.root, tmp_path_factory.mktemp("pywb"), "e2e").parent
    port = _free_port()
    proc = subprocess.Popen(
        [str(WAYBACK), "-b", "127.0.0.1", "-p", str(port), "-d", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(proc, base)  # type: ignore[arg-type]
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)


def test_pywb_replays_every_capture_byte_identical(archive: Archive, pywb: str) -> None:
    import urllib.request

    captures = _captures(archive)
    kinds = Counter(c.kind for c in captures)
    assert kinds["response"] >= archive.v1_articles and kinds["revisit"] > 0
    wrong = []
    for cap in captures:
        # Ask for gzip as the crawler did, so pywb hands the stored (encoded) bytes back.
        req = urllib.request.Request(
            f"{pywb}/e2e/{cap.timestamp}id_/{cap.uri}", headers={"Accept-Encoding": "gzip"}
        )
        with urllib.request.urlopen(req, timeout=30) as r:
            if r.read() != cap.body:
                wrong.append((cap.kind, cap.uri))
    assert wrong == []
